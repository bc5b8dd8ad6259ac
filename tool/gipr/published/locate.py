"""Find the three statistics tables in a published document by their official labels.

A published table is a grid of cells like a worksheet, but no two publishers lay it out
alike: the group labels (三、本年度办理结果, （三）不予公开 …) sit in merged cells of any
width, table 二 is four small tables, a table runs over two pages with its header
repeated, and flattened text has no cells at all.  So tables are found row by row: a row's
label cells are matched against the format's row labels (the workbook reader's label
normalisation and typo tolerance, :func:`gipr.read.normalize_label` / ``_similar``), and the
value cells after the last label are that row's cells in the format's column order.

Tolerated and reported (info, naming the label as printed): typos, “1、” for “1.”, a
shortened label, matched by the words that tell it from its siblings (“2.逾期不缴费” holds
缴 and 费, which only 2.申请人逾期未按收费通知要求缴纳费用… of （六）'s three has), a label
printed without its list number (“予以公开”) or cut at its spaces, 规范性文件 for
行政规范性文件, a local column label (本年处理决定数量 for 本年收费金额), （六）其他处理 printed
as one row in the 2021 format (its three cells stay unknown; the row's numbers are kept as a
group for the rules), table 四 printed as three small tables.  A row whose cells cannot be
aligned with the format's columns is an error and is not read, said once (one finding per
problem: not also “not found”).  Digits glued together go to :mod:`.digits` (bounded).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from .. import messages
from ..errors import OverBudget
from ..read import normalize_label, similar_label
from ..spec import Spec, type_rules
from ..values import Value, parse_printed
from ..vocabulary import alternation, vocabulary
from . import digits
from .grid import Document, PrintedCell, is_value
from .located import Located

__all__ = ["Located", "locate"]

_RUN = re.compile(r"^\d+$")
_BLANK = "blank"  # glued digits that a blank cell may hide (digits.blank_doubt)
_MONEY = vocabulary()["money"]
_AMOUNT_END = re.compile(r"(?<=\d)(\.\d+)?(" + alternation((_MONEY["wan_yuan"], _MONEY["yuan"])) + r")$|(?<=\d)\.\d+$")
_CN = vocabulary()["numerals"]["digits"]  # 一 … 十
_NUMBERING = re.compile(rf"^(\d+|[(（][{_CN}]+[)）]|[{_CN}]+)[,.、．]?")
_TABLES = vocabulary()["published_tables"]
_REVIEW, _SUIT = _TABLES["review_label"], _TABLES["suit_label"]  # the first labels of table 四
_T2_HEADER_SKIPPED = tuple(_TABLES["table2_header_skipped"])


@dataclass
class _Row:
    key: str  # table id + row id
    table: str
    label: str  # official leaf label
    norm: str
    cids: list[str]  # value cells in column order
    col_labels: list[str]
    order: int
    block: str | None = None  # t2 block heading
    parent: str = ""  # the group it belongs to: its siblings share it


def _rows(spec: Spec) -> tuple[list[_Row], dict[str, list[_Row]]]:
    rows: list[_Row] = []
    groups: dict[str, list[_Row]] = {}  # normalised group label → its leaf rows (t3)
    for t in spec.tables:
        by_row: dict[str, list] = {}
        for cid in t.cells:
            c = spec.cells[cid]
            by_row.setdefault(c.row_id, []).append(c)
        for rid, cells in by_row.items():
            cells.sort(key=lambda c: c.colx)
            c0 = cells[0]
            label = c0.row_path[-1] if c0.row_path else ""
            r = _Row(f"{t.id}.{rid}", t.id, label, normalize_label(label), [c.id for c in cells],
                     [c.column_path[-1] for c in cells], len(rows),
                     c0.row_path[0] if t.id == "t2" and len(c0.row_path) > 1 else None,
                     t.id + "/" + "/".join(c0.row_path[:-1]))
            rows.append(r)
            if t.id == "t3" and len(c0.row_path) >= 3:
                groups.setdefault(normalize_label(c0.row_path[-2]), []).append(r)
    return rows, groups


@lru_cache(maxsize=4096)
def _strip_no(n: str) -> tuple[str, str]:
    m = _NUMBERING.match(n)
    return (m.group(1), n[m.end():]) if m else ("", n)


def _subseq(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _match(norm: str, rows: list[_Row], after: int) -> tuple[_Row, str] | None:
    """The format row a printed label names: exact (normalised), a typo, or shortened."""
    exact = [r for r in rows if r.norm == norm]
    if exact:
        later = [r for r in exact if r.order > after]
        return (later or exact)[0], "exact"
    if len(norm) >= 4 and not _strip_no(norm)[0]:  # printed without its list number: “予以公开”
        bare = [r for r in rows if _strip_no(r.norm)[0] and _strip_no(r.norm)[1] == norm]
        if len(bare) == 1:
            return bare[0], "short"
    similar = [r for r in rows if r.norm and similar_label(norm, r.norm)]
    if similar:
        later = [r for r in similar if r.order > after]
        return (later or similar)[0], "changed"
    no, rest = _strip_no(norm)
    if no and len(rest) >= 2:
        short = [r for r in rows if r.order > after and _strip_no(r.norm)[0] == no and
                 (_subseq(rest, _strip_no(r.norm)[1]) or _distinguished(rest, r, rows))]
        if short:
            return short[0], "short"
    return None


def _distinguished(rest: str, row: _Row, rows: list[_Row]) -> bool:
    """A shortened label (its list number stripped) names ``row`` by the words that tell it
    from its siblings: its characters are (nearly) all the row's, and it holds one that no
    sibling's label has (“2.逾期不缴费”: 缴, 费 are 2.申请人逾期未按收费通知要求缴纳费用…'s
    alone; “1.逾期不补正”: 补, 正 are 1.申请人无正当理由逾期不补正…'s)."""
    own = set(_strip_no(row.norm)[1])
    if not own or sum(ch in own for ch in rest) < 0.75 * len(rest):
        return False
    others: set[str] = set()
    for r in rows:
        if r.parent == row.parent and r is not row:
            others |= set(_strip_no(r.norm)[1])
    return bool(set(rest) & (own - others))


def _join_page_breaks(doc: Document, rows: list[_Row], groups: dict) -> None:
    """A table row broken across two pages (Word lets rows break by default): the last row
    of a page's table and the first row of the next page's table are one row when only
    their joined label is an official label."""
    known = {r.norm for r in rows} | set(groups)

    def label(row: list[PrintedCell | None]) -> str:
        texts = [c.text for c in row if c is not None and c.text and not is_value(c.text)]
        return normalize_label(texts[-1]) if texts else ""

    tables = doc.tables
    for a, b in itertools.pairwise(tables):
        if not (a.rows and b.rows and a.where.startswith("第") and b.where.startswith("第")):
            continue
        last, first = a.rows[-1], b.rows[0]
        if len(last) != len(first) or label(last) in known or label(first) in known:
            continue
        merged: list[PrintedCell | None] = []
        for x, y in zip(last, first):
            if x is None or y is None:
                merged.append(x or y)
            else:
                merged.append(PrintedCell(x.text + y.text, x.where if x.text or not y.text else y.where))
        if label(merged) in known:
            a.rows[-1] = merged
            del b.rows[0]


def locate(doc: Document, spec: Spec, previous: dict | None = None) -> Located:
    """The three tables in ``doc``; ``previous`` (last year's numbers of the issuer, cell id →
    number) chooses among cuts of glued digits that the rules leave open."""
    out = Located()
    budget = digits.Budget()
    memo: dict[tuple[str, int], tuple[_Row, str] | None] = {}

    def match(norm: str, after: int) -> tuple[_Row, str] | None:  # a label printed again costs nothing
        key = (norm, after)
        if key not in memo:
            memo[key] = _match(norm, rows, after)
        return memo[key]

    rows, groups = _rows(spec)
    _join_page_breaks(doc, rows, groups)
    t4_cells = list(spec.table("t4").cells)
    t4_norms = {normalize_label(lab.text) for lab in spec.table("t4").labels}
    block_heads = {normalize_label(lab.text) for t in spec.tables for lab in t.labels if lab.kind == "corner"}
    # the header that opens table 三 (its corner): printed again where the table runs on to a new page
    t3_heads = {normalize_label(lab.text) for lab in spec.table("t3").labels if lab.kind == "corner"}
    repeated = False
    titles = [normalize_label(lab.text) for t in spec.tables for lab in t.labels if lab.kind == "title"]
    after = -1
    header: list[str] = []  # column labels printed for the current table 二 block
    in_t4 = False
    t4_parts: list[list[PrintedCell]] = []  # table 四's groups printed as separate small tables
    glued: dict[str, tuple[list[str], list[tuple[int, ...]], str, str]] = {}
    known: dict[str, int | None] = {}
    for table in doc.tables:
        for grow in table.rows:
            cells = [c for c in grow if c is not None]
            if not cells:
                continue
            last_label = -1
            for i, c in enumerate(cells):
                if not is_value(c.text):
                    last_label = i
            labels = [c for c in cells[:last_label + 1] if c.text.strip()]
            vals = cells[last_label + 1:]
            norms = [_untitled(normalize_label(c.text), titles) for c in labels]
            if norms and norms[0] in block_heads:
                header = [c.text for c in labels[1:]]
                if norms[0] in t3_heads and not repeated and any(k.startswith("t3.") for k in out.values):
                    repeated = True  # said once: a table of several pages repeats it on each
                    out.findings.append(messages.finding(
                        "published.header_repeated", table="三", found="｜".join(c.text for c in labels)[:80],
                        ref=labels[0].where, path="表三"))
                continue
            if _REVIEW in norms or (_SUIT in norms and not in_t4):
                in_t4 = True
            blank = not vals or all(v.text == "" for v in vals)
            if in_t4 and not blank and (not norms or all(n in t4_norms for n in norms)) and "t4" not in out.tables:
                if len(vals) == len(t4_cells) // 3 and len(t4_parts) < 2:
                    t4_parts.append(vals)  # printed as three small tables (复议, 直接起诉, 复议后起诉), in order
                    continue
                if t4_parts and len(vals) == len(t4_cells) // 3:
                    vals = [v for part in t4_parts for v in part] + vals
                _assign(out, spec, "t4", t4_cells, vals, labels[-1].text if labels else "", glued, known, budget)
                in_t4 = False
                continue
            if not labels:
                continue
            hit = None
            n = norms[-1]
            for n in reversed(norms):
                hit = match(n, after)
                if hit or n in groups:
                    break
            if hit is None and n not in groups and 1 < len(labels) <= 8:
                joined = normalize_label("".join(c.text for c in labels))  # one label cut at its spaces
                hit = match(joined, after)
                if hit is not None:
                    labels = [PrintedCell(" ".join(c.text for c in labels), labels[0].where)]
                    norms, n = [joined], joined
            if hit is None and n in groups and not blank:
                leaf = labels[norms.index(n)]
                _group_row(out, spec, groups[n], leaf, vals, budget)
                after = max(after, max(r.order for r in groups[n]))
                continue
            if hit is None:
                if blank:
                    header.extend(c.text for c in labels)
                continue
            leaf = labels[norms.index(n)]
            row, how = hit
            if not vals:
                continue  # the label alone (a heading, a mention in the text)
            if row.cids[0] in out.values:
                continue  # a repeated header/row on a following page: the first one counts
            after = row.order
            if how != "exact" or leaf.text.strip() != row.label:  # even “1、” for “1.”: said as printed
                code = {"changed": "published.label_typo", "short": "published.label_short"}.get(how, "published.label_drift")
                out.findings.append(messages.finding(code, severity="info", found=leaf.text, expected=row.label,
                                                     ref=leaf.where, path=f"表{spec.cells[row.cids[0]].table}"))
            if row.table == "t2":
                _check_header(out, spec, row, header)
            _assign(out, spec, row.key, row.cids, vals, leaf.text, glued, known, budget)
            if row.table == "t2":
                header = []
    _split_glued(out, spec, glued, known, previous, budget)
    for key, (table_id, finding) in out.unaligned.items():
        cid = finding.cell or next((c for r in rows if r.key == key for c in r.cids[:1]), None) \
            if key != "t4" else t4_cells[0]
        if cid is not None and cid not in out.values:
            out.findings.append(finding)
            out.tables.add(table_id)
            out.reported.update(t4_cells if key == "t4" else next((r.cids for r in rows if r.key == key), []))
    return out


def _untitled(norm: str, titles: list[str]) -> str:
    """A row label run together with the table title printed on the line above it (single-
    spaced rows without ruling lines: “二、主动公开政府信息情况规章”) → the row label."""
    for t in titles:
        if len(norm) > len(t) and norm.startswith(t):
            return norm[len(t):]
    return norm


def _check_header(out: Located, spec: Spec, row: _Row, header: list[str]) -> None:
    """Table 二: the column labels printed above this row against the format's."""
    printed = [h for h in header if normalize_label(h) not in _T2_HEADER_SKIPPED]
    if len(printed) != len(row.col_labels):
        return
    for got, want in zip(printed, row.col_labels):
        if normalize_label(got) != normalize_label(want):
            out.findings.append(messages.finding("published.column_local", found=got, expected=want,
                                                 row=row.label, path=f"表二 / {row.label}"))


def _assign(out: Located, spec: Spec, key: str, cids: list[str], vals: list[PrintedCell], label: str,
            glued: dict, known: dict, budget: digits.Budget) -> None:
    t = spec.cells[cids[0]].table
    texts = [v.text for v in vals]
    if len(vals) > len(cids) and all(x == "" for x in texts[len(cids):]):
        vals = vals[:len(cids)]
    pieces = [x[1:] if x[:1] in "-−" else x for x in texts]  # 2019's 本年增/减 may be printed “-18”
    signed = [i for i, x in enumerate(texts) if x[:1] in "-−"]
    amount = _AMOUNT_END.search(pieces[-1]) if pieces and spec.cells[cids[-1]].type == "amount" else None
    if amount is not None:  # “2832995元”, “39573802895.90元” for 采购项目数量 | 采购总金额: the amount's
        pieces[-1] = pieces[-1][:amount.start()]  # decimals and unit end the run
    if len(vals) < len(cids) and all(_RUN.match(x) for x in pieces) and sum(map(len, pieces)) >= len(cids) and \
            (not signed or not digits.row_rules(spec, cids)):
        # digits glued together (a space or a sign that is left is a cut between two cells)
        run = "".join(pieces)
        cands: list[tuple[int, ...]] | str | bool | None  # _BLANK, False: unknown (said so)
        try:
            # past the document's budget, each row still gets a small one (a row of zeros is cheap)
            cands = digits.candidates(spec, cids, run, budget if budget.left > 0 else digits.Budget(5_000, 0.05))
            if cands and len(pieces) > 1:
                kept = [c for c in cands if digits.cuts_at(c, pieces)]
                cands = kept if signed else (kept or cands)
            if cands and signed:
                cands = [digits.with_signs(c, pieces, signed) for c in cands]
            if len(pieces) == 1 and digits.blank_doubt(spec, cids, run):
                cands = _BLANK  # one digit a cell, or a blank cell somewhere: unknown, said so
        except OverBudget:
            cands = False  # past the search budget: unknown, said so
        glued[key] = (cids, cands, " ".join(texts), vals[0].where, label)  # None: too many to list
        out.tables.add(spec.cells[cids[0]].table_id)
        return
    if len(vals) != len(cids):
        out.unaligned.setdefault(key, (spec.cells[cids[0]].table_id, messages.finding(
            "published.row_unaligned", table=t, label=label, n=len(cids), found=len(vals),
            printed="｜".join(texts)[:120], ref=vals[0].where)))
        return
    out.tables.add(spec.cells[cids[0]].table_id)
    for cid, v in zip(cids, vals):
        c = spec.cells[cid]
        val = parse_printed(v.text, c.type, c.unit, type_rules(spec, c.type))
        out.values[cid] = val
        out.where[cid] = v.where
        known[cid] = val.number if val.state == "number" else None


def _group_row(out: Located, spec: Spec, leaves: list[_Row], leaf: PrintedCell, vals: list[PrintedCell],
               budget: digits.Budget) -> None:
    """A group (（六）其他处理) printed as one row: its leaf cells stay unknown; the row's
    numbers are kept per column so the rules still add them up."""
    n = len(leaves[0].cids)
    texts = [v.text for v in vals]
    if len(vals) < n and vals and all(_RUN.match(x) for x in texts) and sum(map(len, texts)) >= n:
        # its digits glued together: cut with the row rule of its leaves (the same columns)
        run = "".join(texts)
        try:
            cands = digits.candidates(spec, leaves[0].cids, run, budget)
            if cands and len(texts) > 1:
                cands = [c for c in cands if digits.cuts_at(c, texts)] or cands
        except OverBudget:
            cands = None
        if cands is not None and len(cands) == 1 and not (len(texts) == 1 and
                                                        digits.blank_doubt(spec, leaves[0].cids, run)):
            out.findings.append(messages.finding("published.digits_split", label=leaf.text, run=" ".join(texts),
                                                 split="｜".join(str(x) for x in cands[0]), ref=vals[0].where))
            vals = [PrintedCell(str(x), vals[0].where) for x in cands[0]]
        else:
            shown = "；".join("｜".join(str(x) for x in c) for c in (cands or [])[:6])
            out.findings.append(messages.finding(
                "published.digits_ambiguous", label=leaf.text, run=" ".join(texts),
                n=len(cands) if cands is not None else f"{digits.MAX_CANDIDATES}+",
                candidates=shown or messages.say("detail.no_split"), ref=vals[0].where))
            out.reported.update(c for r in leaves for c in r.cids)
            return
    if len(vals) != n:
        out.findings.append(messages.finding("published.row_unaligned", table="三", label=leaf.text, n=n,
                                             found=len(vals), printed="｜".join(v.text for v in vals)[:120],
                                             ref=vals[0].where if vals else None))
        out.reported.update(c for r in leaves for c in r.cids)
        return
    for i, v in enumerate(vals):
        c = spec.cells[leaves[0].cids[i]]
        val = parse_printed(v.text, c.type, c.unit, type_rules(spec, c.type))
        ids = [r.cids[i] for r in leaves]
        for cid in ids:
            out.values[cid] = Value("blank", None, "")
            out.where[cid] = v.where
        if val.state == "number" and val.number is not None:
            out.groups.append((ids, val.number))
    out.findings.append(messages.finding("published.group_row", found=leaf.text, n=len(leaves), ref=leaf.where,
                                         path="表三"))


def _split_glued(out: Located, spec: Spec, glued: dict, known: dict, previous: dict | None,
                 budget: digits.Budget) -> None:
    if not glued:
        return
    chosen: set[str] = set()  # rows whose cut last year's report chose
    rows = {}
    for k, v in glued.items():
        cands = v[1] if isinstance(v[1], list) else []
        if len(cands) > 1:
            kept = digits.by_previous(spec, v[0], cands, previous)
            if kept is not None and len(kept) < len(cands):
                cands = kept
                chosen.add(k)
        rows[k] = (v[0], cands)
    try:
        decided, remaining = digits.resolve(spec, known, rows, out.groups, budget)
    except OverBudget:
        decided, remaining = {}, {k: [] for k in rows}
        for k, (cids, cands) in rows.items():
            if len(cands) == 1:
                decided.update(zip(cids, cands[0]))
                remaining.pop(k)
        for k in remaining:
            glued[k] = (*glued[k][:1], False, *glued[k][2:])
    for key, (cids, cands, run, where, label) in glued.items():
        if key in remaining or not cands or cands is _BLANK:
            if cands is _BLANK:
                out.findings.append(messages.finding(
                    "published.digits_blank", key="published.digits_ambiguous", label=label, run=run,
                    split="｜".join(run), ref=where))
            elif cands is False:  # past the budget of the search: said so, never guessed
                out.findings.append(messages.finding("published.digits_budget", label=label, run=_short_run(run),
                                                     n=len(run), ref=where))
            else:
                shown = "；".join("｜".join(str(x) for x in c) for c in (remaining.get(key) or [])[:6])
                if cands is None:
                    shown = messages.say("detail.too_many_splits", n=digits.MAX_CANDIDATES)
                # a row without a rule of its own (table 二): the cuts are only listed, not “consistent”
                tpl = "published.digits_ambiguous" if digits.row_rules(spec, cids) else "published.digits_norule"
                out.findings.append(messages.finding(tpl, key="published.digits_ambiguous", label=label, run=run,
                                                     n=len(remaining.get(key) or []) if cands is not None
                                                     else f"{digits.MAX_CANDIDATES}+",
                                                     candidates=shown or messages.say("detail.no_split"), ref=where))
            for cid in cids:
                out.values[cid] = Value("blank", None, _short_run(run), None, None, "published.digits_ambiguous")
                out.where[cid] = where
            continue
        nums = [decided[c] for c in cids]
        amount = _AMOUNT_END.search(run) if spec.cells[cids[-1]].type == "amount" else None
        for cid, n in zip(cids, nums):
            out.values[cid] = Value("number", n, str(n))
            out.where[cid] = where
        if amount is not None:  # the amount as printed, with its decimals and unit (元 → 万元, said as converted)
            c = spec.cells[cids[-1]]
            out.values[cids[-1]] = parse_printed(f"{nums[-1]}{amount.group(0)}", c.type, c.unit,
                                                 type_rules(spec, c.type))
        code = "published.digits_previous" if key in chosen else "published.digits_split"
        parts = [str(x) for x in nums]
        if amount is not None:
            parts[-1] += amount.group(0)
        digits_only = run[:amount.start()] if amount is not None else run
        forced = sum(ch.isdigit() for ch in digits_only) == len(cids)  # one digit a cell: the only cut
        out.findings.append(messages.finding("published.digits_forced" if forced else code, key=code, label=label,
                                             run=run, split="｜".join(parts), ref=where))


def _short_run(run: str) -> str:
    return run if len(run) <= 40 else f"{run[:20]}…{run[-8:]}"
