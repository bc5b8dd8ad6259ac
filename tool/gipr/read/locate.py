"""Locate a format's tables in a workbook by their official labels (the reader's step 3).

Normalised label texts, the per-format lookup tables (cached through ``spec.per_spec``),
and the placement of a table: at the spec position when the labels are there, else found by
aligning the spec's rows of labels with the sheet's rows, with a finding for what moved.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .. import messages
from ..model import Finding
from ..spec import Label, Spec, TableLayout, per_spec, type_rules
from ..text import SPACES, cell_text
from ..values import is_integer_type
from ..vocabulary import vocabulary

# -----------------------------------------------------------------------------------------
# 2. labels

_PUNCT = str.maketrans(vocabulary()["labels"]["punctuation"])


@lru_cache(maxsize=8192)
def normalize_label(s: str) -> str:
    """The form labels are compared in: NFKC (full-width → half-width), no whitespace,
    one kind of quote, comma for 、 and . (so “1、” and “1.” match)."""
    return SPACES.sub("", unicodedata.normalize("NFKC", s)).translate(_PUNCT)




def _edit1(a: str, b: str) -> bool:
    """At most one substitution, insertion or deletion apart."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        return sum(x != y for x, y in zip(a, b)) == 1
    if la > lb:
        a, b = b, a
    return any(a == b[:i] + b[i + 1:] for i in range(len(b)))


@lru_cache(maxsize=65536)
def _similar(found: str, expected: str) -> bool:
    """A changed label that is still recognisably the official one (typo, added word)."""
    if not found or not expected:
        return False
    la, lb = len(found), len(expected)
    if min(la, lb) <= 4:
        return lb >= 2 and _edit1(found, expected)
    if 2 * min(la, lb) < 0.75 * (la + lb):  # the ratio can never reach 0.75
        return False
    common = len(set(found) & set(expected))
    if 2 * common < 0.5 * (len(set(found)) + len(set(expected))):  # hardly any characters in common
        return False
    sm = difflib.SequenceMatcher(None, found, expected, autojunk=False)
    if sm.real_quick_ratio() < 0.75 or sm.quick_ratio() < 0.75:
        return False
    return sm.ratio() >= 0.75


def similar_label(found: str, expected: str) -> bool:
    """Two normalised labels (``normalize_label``) that are recognisably the same official
    label (a typo, an added word): the reader's tolerance, also used for published tables."""
    return _similar(found, expected)


def label_status(found_raw: Any, label_text: str) -> str:
    """exact | drift | changed | different."""
    if isinstance(found_raw, str) and found_raw == label_text:
        return "exact"
    found = cell_text(found_raw)
    if not found.strip():
        return "different"
    fn = normalize_label(found)
    en = normalize_label(label_text)
    if fn == en:
        return "drift"
    if _similar(fn, en):
        return "changed"
    return "different"


# -----------------------------------------------------------------------------------------
# 3. spec-derived lookups (cached per spec)


@dataclass
class TableInfo:
    layout: TableLayout
    leaf_of: dict[str, int]  # cell id -> index into labels of its column leaf label
    row_label_of: dict[int, list[int]]  # spec row -> label indices starting in that row
    value_rows: list[int]  # spec rows holding value cells
    labelled_value_rows: set[int]
    distinct: frozenset[str]  # normalised label texts
    label_norm: list[str]
    spec_count: dict[str, int]  # normalised text -> occurrences in the layout
    leaf_labels: list[int]
    identity_rowmap: dict[int, int]  # the spec position itself
    identity_colmap: dict[int, int]
    plan: list[tuple[str, int, int, str, str | None, bool, str]]  # cid, row, col, type, unit, input, address
    label_at: list[tuple[int, int, str]] = field(default_factory=list)  # (row, col, text) of every label
    # plan with the type's rules (rule G) and whether a whole number ≥ 0 is always valid
    fast: list[tuple[str, int, int, dict, str | None, bool, bool]] = field(default_factory=list)
    addresses: dict[str, str] = field(default_factory=dict)  # cid -> address at the spec position


def table_infos(spec: Spec) -> dict[str, TableInfo]:
    return per_spec(spec, "read.tables", _build_infos)


def prepare(spec: Spec) -> None:
    """Build the reader's per-format tables now (before forking workers that inherit them)."""
    table_infos(spec)


def _build_infos(spec: Spec) -> dict[str, TableInfo]:
    out = {}
    for t in spec.tables:
        labels = t.labels
        leaf_of: dict[str, int] = {}
        for cid in t.cells:
            c = spec.cells[cid]
            best = None
            for i, lab in enumerate(labels):
                if lab.kind != "column" or not (lab.c0 <= c.colx <= lab.c1) or lab.r1 >= c.rowx:
                    continue
                key = (lab.r1, lab.r0)
                if best is None or key > best[0]:
                    best = (key, i)
            if best is not None:
                leaf_of[cid] = best[1]
        row_label_of: dict[int, list[int]] = {}
        for i, lab in enumerate(labels):
            row_label_of.setdefault(lab.r0, []).append(i)
        value_rows = sorted({spec.cells[cid].rowx for cid in t.cells})
        labelled = {r for r in value_rows if any(labels[i].kind == "row" for i in row_label_of.get(r, []))}
        norms = [normalize_label(lab.text) for lab in labels]
        count: dict[str, int] = {}
        for n in norms:
            count[n] = count.get(n, 0) + 1
        leaves = sorted(set(leaf_of.values()))
        plan = [(cid, spec.cells[cid].rowx, spec.cells[cid].colx, spec.cells[cid].type, spec.cells[cid].unit,
                 spec.cells[cid].input, spec.cells[cid].address) for cid in t.cells]
        out[t.id] = TableInfo(t, leaf_of, row_label_of, value_rows, labelled, frozenset(norms), norms, count,
                               leaves, {r: r for r in range(t.last_row + 1)},
                               {i: labels[i].c0 for i in leaves}, plan,
                               label_at=[(lab.r0, lab.c0, lab.text) for lab in labels],
                               fast=[(cid, r, c, tr, unit, i, whole_ok(tr, ct))
                                     for cid, r, c, ct, unit, i, _a in plan for tr in (type_rules(spec, ct),)],
                               addresses={cid: a for cid, *_x, a in plan})
    return out


# -----------------------------------------------------------------------------------------
# 4. locating a table in a sheet


@dataclass
class Grid:
    name: str
    rows: list[list[Any]]
    _norm_index: dict[str, list[tuple[int, int]]] | None = None

    def get(self, r: int, c: int) -> Any:
        if 0 <= r < len(self.rows):
            row = self.rows[r]
            if 0 <= c < len(row):
                return row[c]
        return ""

    @property
    def norm_index(self) -> dict[str, list[tuple[int, int]]]:
        """Normalised text -> positions, for every text cell."""
        if self._norm_index is None:
            idx: dict[str, list[tuple[int, int]]] = {}
            for r, row in enumerate(self.rows):
                for c, v in enumerate(row):
                    if isinstance(v, str) and v.strip():
                        idx.setdefault(normalize_label(v), []).append((r, c))
            self._norm_index = idx
        return self._norm_index


@dataclass
class Placement:
    """Where a table's cells are: a sheet, a row map and a column map."""

    sheet: str
    rowmap: dict[int, int]  # spec row -> grid row
    colmap: dict[int, int]  # leaf label index -> grid column
    dc: int  # column offset of the table as a whole
    findings: list[Finding]
    missing_rows: set[int] = field(default_factory=set)
    missing_leaves: set[int] = field(default_factory=set)
    exact: bool = False  # at the spec positions
    moved_cols: list[tuple[int, int]] = field(default_factory=list)  # (leaf label index, grid column) found elsewhere

    def position(self, info: TableInfo, cell) -> tuple[int, int] | None:
        r = self.rowmap.get(cell.rowx)
        li = info.leaf_of.get(cell.id)
        if r is None or li is None or li not in self.colmap:
            return None
        lab = info.layout.labels[li]
        return r, self.colmap[li] + (cell.colx - lab.c0)


@lru_cache(maxsize=65536)
def a1(r: int, c: int) -> str:
    s = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return f"{s}{r + 1}"


def _label_findings(info: TableInfo, grid: Grid, place_label) -> list[Finding]:
    out = []
    for i, lab in enumerate(info.layout.labels):
        pos = place_label(i, lab)
        if pos is None:
            continue
        found = grid.get(*pos)
        st = label_status(found, lab.text)
        if st == "exact":
            continue
        ref = f"{grid.name}!{a1(*pos)}"
        code = "label.drift" if st == "drift" else "label.changed"
        out.append(messages.finding(code, ref=ref, found=cell_text(found).strip(), expected=lab.text))
    return out


def fast_place(info: TableInfo, grid: Grid) -> Placement | None:
    """The table at exactly its spec position, if every label sits where it should
    (drift and typos allowed)."""
    labels = info.layout.labels
    rows = grid.rows
    try:  # the usual case: every label exactly where the spec puts it
        for r, c, text in info.label_at:
            if rows[r][c] != text:
                break
        else:
            return Placement(grid.name, info.identity_rowmap, info.identity_colmap, 0, [], exact=True)
    except IndexError:
        pass
    nrows = len(rows)
    findings: list[Finding] = []
    for lab in labels:
        r, c = lab.r0, lab.c0
        v = rows[r][c] if r < nrows and c < len(rows[r]) else ""
        if v == lab.text:
            continue
        st = label_status(v, lab.text)
        if st == "different":
            return None
        findings.append(messages.finding("label.drift" if st == "drift" else "label.changed",
                                         ref=f"{grid.name}!{a1(r, c)}", found=cell_text(v).strip(),
                                         expected=lab.text))
    return Placement(grid.name, info.identity_rowmap, info.identity_colmap, 0, findings, exact=True)


def _row_match_scores(info: TableInfo, grid: Grid) -> dict[int, dict[int, int]]:
    """spec row -> {grid row: score}; 2 per label found exactly (normalised), 1 per fuzzy match."""
    idx = grid.norm_index
    fuzzy_cache: dict[str, list[str]] = {}
    grid_texts = list(idx)
    scores: dict[int, dict[int, int]] = {}
    for srow, lids in info.row_label_of.items():
        acc: dict[int, int] = {}
        for i in lids:
            n = info.label_norm[i]
            hit_rows = set()
            for (g, _c) in idx.get(n, ()):
                hit_rows.add(g)
                acc[g] = acc.get(g, 0) + 2
            if n not in fuzzy_cache:
                # typos are looked for only for labels the sheet does not hold as such (or holds
                # fewer times than the layout): a sheet full of other text stays fast
                if len(idx.get(n, ())) >= info.spec_count[n]:
                    fuzzy_cache[n] = []
                else:
                    fuzzy_cache[n] = [t for t in grid_texts if t != n and _similar(t, n)]
            for t in fuzzy_cache[n]:
                for (g, _c) in idx[t]:
                    if g not in hit_rows:
                        acc[g] = acc.get(g, 0) + 1
        if acc:
            scores[srow] = acc
    return scores


def _align(spec_rows: list[int], scores: dict[int, dict[int, int]]) -> dict[int, int]:
    """Order-preserving alignment of spec rows to grid rows maximising the label score."""
    grows = sorted({g for s in spec_rows for g in scores.get(s, {})})
    if not grows:
        return {}
    S, G = len(spec_rows), len(grows)
    # dp[i][j]: best score using spec rows[:i] and grid rows[:j]
    prev = [0] * (G + 1)
    back: list[list[int]] = []  # 0 = skip spec, 1 = skip grid, 2 = match
    for i in range(1, S + 1):
        sc = scores.get(spec_rows[i - 1], {})
        cur = [0] * (G + 1)
        bk = [0] * (G + 1)
        for j in range(1, G + 1):
            best, how = prev[j], 0
            if cur[j - 1] > best:
                best, how = cur[j - 1], 1
            m = sc.get(grows[j - 1], 0)
            if m and prev[j - 1] + m > best:
                best, how = prev[j - 1] + m, 2
            cur[j] = best
            bk[j] = how
        back.append(bk)
        prev = cur
    out: dict[int, int] = {}
    i, j = S, G
    while i > 0 and j > 0:
        how = back[i - 1][j]
        if how == 2:
            out[spec_rows[i - 1]] = grows[j - 1]
            i, j = i - 1, j - 1
        elif how == 1:
            j -= 1
        else:
            i -= 1
    return out


def search_place(info: TableInfo, grid: Grid) -> tuple[Placement | None, str | None]:
    """Find the table in ``grid`` by its labels.  Returns (placement, None), or (None, reason)
    where reason is "missing" or "ambiguous"."""
    t = info.layout
    labels = t.labels
    idx = grid.norm_index
    # duplicated tables: most leaf labels (rows, or columns without row labels) occur more
    # often in the sheet than in the layout
    probe = [i for i in range(len(labels)) if labels[i].kind == "row" and labels[i].r0 in info.labelled_value_rows]
    if not probe:
        probe = list(info.leaf_labels)
    if probe:
        over = sum(1 for i in probe if len(idx.get(info.label_norm[i], ())) > info.spec_count[info.label_norm[i]])
        if over * 2 > len(probe):
            return None, "ambiguous"
    scores = _row_match_scores(info, grid)
    spec_rows = sorted(scores)
    anchors = _align(spec_rows, scores)
    if not anchors:
        return None, "missing"
    # interpolate rows without (recognisable) labels between anchors with equal gaps
    rowmap = dict(anchors)
    anchor_list = sorted(anchors.items())
    for s in range(t.last_row + 1):
        if s in rowmap:
            continue
        prev = next(((a, g) for a, g in reversed(anchor_list) if a < s), None)
        nxt = next(((a, g) for a, g in anchor_list if a > s), None)
        if prev and nxt:
            if nxt[1] - prev[1] == nxt[0] - prev[0]:
                rowmap[s] = prev[1] + (s - prev[0])
        elif prev:
            rowmap[s] = prev[1] + (s - prev[0])
        elif nxt and nxt[1] - (nxt[0] - s) >= 0:
            rowmap[s] = nxt[1] - (nxt[0] - s)
    used: dict[int, int] = {}
    for s, row in sorted(rowmap.items()):
        if row in used.values():
            del rowmap[s]
        else:
            used[s] = row
    # column offset: vote over labels found in their mapped rows
    votes: dict[int, int] = {}
    for i, lab in enumerate(labels):
        g = rowmap.get(lab.r0)
        if g is None:
            continue
        cols = [c for (r, c) in idx.get(info.label_norm[i], ()) if r == g]
        if len(cols) == 1:
            votes[cols[0] - lab.c0] = votes.get(cols[0] - lab.c0, 0) + 1
    dc = max(votes.items(), key=lambda kv: (kv[1], -abs(kv[0])))[0] if votes else 0
    colmap: dict[int, int] = {}
    moved_cols: list[tuple[int, int]] = []
    for li in info.leaf_labels:
        lab = labels[li]
        g = rowmap.get(lab.r0)
        if g is None:
            continue
        want = lab.c0 + dc
        st = label_status(grid.get(g, want), lab.text)
        if st in ("exact", "drift", "changed"):
            colmap[li] = want
            continue
        n = info.label_norm[li]
        cols = [c for (r, c) in idx.get(n, ()) if r == g]
        if len(cols) == 1 and info.spec_count[n] == 1:
            colmap[li] = cols[0]
            moved_cols.append((li, cols[0]))
            continue
        if len(cols) > 1:
            # repeated header text (e.g. 结果维持 under each group): the one nearest to where it should be
            best = min(cols, key=lambda c: abs(c - want))
            if abs(best - want) <= 2:
                colmap[li] = best
                moved_cols.append((li, best))
    # leaves whose header text was overwritten: keep them between neighbours found in place
    for li in info.leaf_labels:
        if li in colmap:
            continue
        lab = labels[li]
        same_row = [x for x in info.leaf_labels if labels[x].r0 == lab.r0 and x in colmap]
        left = [x for x in same_row if labels[x].c0 < lab.c0]
        right = [x for x in same_row if labels[x].c0 > lab.c0]
        if left and right:
            lx = max(left, key=lambda x: labels[x].c0)
            rx = min(right, key=lambda x: labels[x].c0)
            if colmap[lx] - labels[lx].c0 == dc and colmap[rx] - labels[rx].c0 == dc:
                colmap[li] = lab.c0 + dc
    pl = Placement(grid.name, rowmap, colmap, dc, [])
    pl.missing_rows = {r for r in info.value_rows if r not in rowmap}
    pl.missing_leaves = {li for li in info.leaf_labels if li not in colmap}

    def place_label(i: int, lab: Label) -> tuple[int, int] | None:
        g = rowmap.get(lab.r0)
        if g is None:
            return None
        return g, colmap.get(i, lab.c0 + dc)

    pl.findings = _label_findings(info, grid, place_label)
    # what moved
    offsets = {rowmap[r] - r for r in info.value_rows if r in rowmap}
    if offsets == {0} and dc == 0 and not moved_cols:
        pl.exact = True
    pl.moved_cols = moved_cols
    return pl, None


def describe_moves(info: TableInfo, pl: Placement, spec_sheet: str) -> list[Finding]:
    t = info.layout
    out: list[Finding] = []
    if pl.sheet != spec_sheet:
        out.append(messages.finding("layout.sheet_renamed", table=t.name, expected=spec_sheet, found=pl.sheet))
    mapped = sorted((s, g) for s, g in pl.rowmap.items() if s >= t.first_row)
    offsets = [g - s for s, g in mapped]
    hows = []
    if offsets and len(set(offsets)) == 1 and offsets[0] != 0:
        d = offsets[0]
        hows.append(messages.say("detail.down" if d > 0 else "detail.up", n=abs(d)))
    if pl.dc:
        hows.append(messages.say("detail.right" if pl.dc > 0 else "detail.left", n=abs(pl.dc)))
    if hows:
        out.append(messages.finding("layout.shifted", sheet=pl.sheet, table=t.name, how="，".join(hows)))
    if len(set(offsets)) > 1:
        # rows inserted inside the table: grid rows between mapped rows that no spec row maps to
        lo, hi = mapped[0][1], mapped[-1][1]
        taken = {g for _, g in mapped}
        inserted = [g for g in range(lo, hi + 1) if g not in taken]
        if inserted:
            out.append(messages.finding("layout.rows_inserted", sheet=pl.sheet, table=t.name, n=len(inserted),
                                        rows="、".join(str(g + 1) for g in inserted[:10])
                                        + ("…" if len(inserted) > 10 else "")))
        else:
            base = offsets[0]
            for s, g in mapped:
                if g - s != base and s in info.labelled_value_rows:
                    lab = next(t.labels[i] for i in info.row_label_of[s] if t.labels[i].kind == "row")
                    out.append(messages.finding("layout.rows_moved", sheet=pl.sheet, table=t.name, label=lab.text,
                                                expected=s + 1, found=g + 1))
                    break
    for li, col in pl.moved_cols:
        lab = t.labels[li]
        out.append(messages.finding("layout.column_moved", sheet=pl.sheet, table=t.name, label=lab.text,
                                    expected=a1(0, lab.c0 + pl.dc).rstrip("1"), found=a1(0, col).rstrip("1")))
    return out


def whole_ok(rules: dict, ctype: str) -> bool:
    """Whether every whole number ≥ 0 is a valid value of a type (the fast path's case)."""
    mn = rules.get("min")
    return is_integer_type(rules, ctype) and (mn is None or mn <= 0)
