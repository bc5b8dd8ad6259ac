"""The HTML publication of the roll-up (gipr merge --html).

* Structure: rebuilding each table's grid from the page's rowspan/colspan (the HTML table
  algorithm) puts every official label (exact text) and every value cell exactly where the
  format's TableLayout puts it; the page is self-contained.
* A real browser: headless Chromium renders the example county's page; a screenshot is
  taken; the numbers in the rendered page equal the roll-up workbook's; and the rendered
  geometry is right — every value sits under its column headers and beside its row labels.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from kit.county import cli
from kit.paths import EXAMPLES
from python_calamine import CalamineWorkbook

from gipr.merge.html import render_html
from gipr.spec import load_format


class _Tables(HTMLParser):
    """section id → list of rows → list of (tag, attrs, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[tuple[str, dict, str]]]] = {}
        self.section: str | None = None
        self.cell: list | None = None
        self.tags: list[str] = []
        self.attrs_seen: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.attrs_seen.append((tag, a))
        if tag == "section":
            self.section = a.get("id")
            self.tables[self.section] = []
        elif tag == "tr":
            self.tables[self.section].append([])
        elif tag in ("th", "td"):
            self.cell = [tag, a, ""]

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self.cell is not None:
            self.tables[self.section][-1].append((self.cell[0], self.cell[1], self.cell[2]))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[2] += data


def _grid(rows):
    """The HTML table algorithm: (row, col) → (tag, attrs, text, anchor row, anchor col)."""
    grid: dict[tuple[int, int], tuple] = {}
    anchors = []
    for r, row in enumerate(rows):
        c = 0
        for tag, attrs, text in row:
            while (r, c) in grid:
                c += 1
            rs, cs = int(attrs.get("rowspan", 1)), int(attrs.get("colspan", 1))
            anchors.append((r, c, rs, cs, tag, attrs, text))
            for dr in range(rs):
                for dc in range(cs):
                    assert (r + dr, c + dc) not in grid, "overlapping cells"
                    grid[(r + dr, c + dc)] = (tag, attrs, text, r, c)
            c += cs
    return grid, anchors


@pytest.mark.parametrize("fmt", ["2021", "2019"])
def test_layout_is_the_official_one(fmt):
    spec = load_format(fmt)
    values = {cid: i * 3 for i, cid in enumerate(spec.cells)}
    page = render_html(spec, values, title="某县<汇总>", subtitle="统计表")
    p = _Tables()
    p.feed(page)
    for t in spec.tables:
        grid, anchors = _grid(p.tables[t.id])
        height = t.last_row - t.first_row + 1
        assert set(grid) == {(r, c) for r in range(height) for c in range(t.width)}, "grid not rectangular"
        by_pos = {(r, c): (rs, cs, tag, attrs, text) for r, c, rs, cs, tag, attrs, text in anchors}
        for lab in t.labels:
            if lab.kind == "title":
                continue
            rs, cs, tag, _, text = by_pos[(lab.r0 - t.first_row, lab.c0)]
            assert (tag, text) == ("th", lab.text)
            assert (rs, cs) == (lab.r1 - lab.r0 + 1, lab.c1 - lab.c0 + 1), lab
        for cid in t.cells:
            c = spec.cells[cid]
            rs, cs, tag, attrs, text = by_pos[(c.rowx - t.first_row, c.colx)]
            assert tag == "td" and attrs["data-cell"] == cid and text == str(values[cid])
        assert sum(1 for a in anchors if a[4] == "td") == len(t.cells)
    assert "<h1>某县&lt;汇总&gt;</h1>" in page


def test_page_is_self_contained_and_prints():
    spec = load_format("2021")
    page = render_html(spec, dict.fromkeys(spec.cells, 1), title="t")
    p = _Tables()
    p.feed(page)
    assert not any(tag in ("script", "link", "img", "iframe") for tag, _ in p.attrs_seen)
    assert not any(k in ("src", "href") for _, a in p.attrs_seen for k in a)
    assert "http" not in page.replace('content="width=device-width', "")
    assert "@media print" in page and "@page" in page
    assert '<meta charset="utf-8">' in page


def test_amounts_and_blanks_are_written_as_numbers_are():
    spec = load_format("2021")
    page = render_html(spec, {"t2.fee.fee_amount": Decimal("24252.311082"), "t3.new.person": 0})
    assert 'data-cell="t2.fee.fee_amount" data-type="amount" colspan="3">24252.311082</td>' in page
    assert 'data-cell="t3.new.person" data-type="count">0</td>' in page
    assert 'data-cell="t3.new.business" data-type="count"></td>' in page  # no value: empty, not 0


# ------------------------------------------------------------------------------------
# a real browser


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        exe = shutil.which(name)
        if exe:
            return exe
    return None


needs_chromium = pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed "
                                    "(Debian: apt-get install chromium); the browser rendering test needs it")

_PROBE = """<script>
const out = [];
for (const el of document.querySelectorAll('section.gipr-table th, section.gipr-table td')) {
  const r = el.getBoundingClientRect();
  out.push([el.closest('section').id, el.tagName, el.dataset.cell || '', el.textContent,
            r.left, r.top, r.right, r.bottom]);
}
document.body.setAttribute('data-boxes', JSON.stringify(out));
</script>"""


def _run_chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    exe = _chromium()
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
           *args]
    return subprocess.run(cmd, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def example_page(tmp_path_factory):
    d = tmp_path_factory.mktemp("html")
    out, html = d / "2025年度汇总.xlsx", d / "2025年度汇总.html"
    assert cli("merge", EXAMPLES / "returned", "--roster", EXAMPLES / "roster.csv", "--year", 2025,
               "--county", "示例县", "--out", out, "--html", html) == 0
    return d, out, html


def _rollup_values(path: Path) -> dict[str, Decimal]:
    spec = load_format("2021")
    wb = CalamineWorkbook.from_path(str(path))
    sheets = {t.sheet: wb.get_sheet_by_name(t.sheet).to_python() for t in spec.tables}
    return {cid: Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
            for cid, c in spec.cells.items() for v in [sheets[c.sheet][c.rowx][c.colx]]}


@needs_chromium
def test_chromium_renders_the_page_with_the_rollups_numbers(example_page):
    d, out, html = example_page
    shot = d / "page.png"
    proc = _run_chromium(["--window-size=1280,3000", f"--screenshot={shot}", html.resolve().as_uri()],
                         d / "profile1")
    assert shot.is_file(), proc.stderr.decode(errors="replace")[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
    proc = _run_chromium(["--dump-dom", html.resolve().as_uri()], d / "profile2")
    dom = proc.stdout.decode("utf-8")
    cells = dict(re.findall(r'data-cell="([^"]+)"[^>]*>([^<]*)</td>', dom))
    expected = _rollup_values(out)
    assert set(cells) == set(expected)
    assert {k: Decimal(v) for k, v in cells.items()} == expected
    assert "示例县2025年度政府信息公开工作年度报告" in dom


@needs_chromium
def test_chromium_geometry_values_under_their_headers(example_page):
    """In the rendered page every value cell lies horizontally inside each of its column
    headers (merged header cells spanning their sub-columns) and vertically inside each of
    its row labels (三、本年度办理结果 spanning its rows)."""
    d, _, html = example_page
    spec = load_format("2021")
    probe = d / "probe.html"
    probe.write_text(html.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    proc = _run_chromium(["--window-size=1280,3000", "--dump-dom", probe.resolve().as_uri()], d / "profile3")
    dom = proc.stdout.decode("utf-8")
    m = re.search(r'data-boxes="([^"]*)"', dom)
    assert m, proc.stderr.decode(errors="replace")[-2000:]
    import html as _h

    boxes = json.loads(_h.unescape(m.group(1)))
    by_cell = {b[2]: b for b in boxes if b[1] == "TD" and b[2]}
    checked = 0
    for t in spec.tables:
        # header cells come in the DOM in row-major order of their top-left corner
        heads = [b for b in boxes if b[0] == t.id and b[1] == "TH"]
        labels = sorted((lab for lab in t.labels if lab.kind != "title"), key=lambda lab: (lab.r0, lab.c0))
        assert [b[3] for b in heads] == [lab.text for lab in labels]
        block_starts = sorted(lab.r0 for lab in t.labels if lab.kind in ("heading", "corner", "band")
                              or (lab.kind == "column" and lab.r0 == t.first_row))
        for lab, box in zip(labels, heads):
            if lab.kind not in ("column", "row", "band"):
                continue
            for cid in t.cells:
                c = spec.cells[cid]
                cell = by_cell[cid]
                if lab.kind in ("column", "band"):
                    nxt = min([r for r in block_starts if r > lab.r1] + [10**6])
                    if not (lab.c0 <= c.colx <= lab.c1 and lab.r1 < c.rowx < nxt):
                        continue
                    x = (cell[4] + cell[6]) / 2
                    assert box[4] <= x <= box[6] and box[7] <= cell[5] + 0.5, (t.id, lab.text, cid)
                else:
                    if not (lab.r0 <= c.rowx <= lab.r1):
                        continue
                    y = (cell[5] + cell[7]) / 2
                    assert box[5] <= y <= box[7] and box[6] <= cell[4] + 0.5, (t.id, lab.text, cid)
                checked += 1
    assert checked > 500
