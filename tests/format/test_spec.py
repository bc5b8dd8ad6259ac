"""The `gipr spec --json` contract, and malformed format files being refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import openpyxl
import pytest

from gipr.cli import main
from gipr.errors import SpecError
from gipr.spec import load_format, load_spec_file
from gipr.template import write_template

FORMATS = ("2021", "2019")
CELL_KEYS = {"id", "table", "row", "row_path", "column", "column_path", "type", "input", "sheet", "ref"}


def spec_json(capsys, fmt: str) -> dict:
    main(["spec", "--format", fmt, "--json"])
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_spec_json_contract(capsys, fmt):
    data = spec_json(capsys, fmt)
    assert {"format", "cells", "rules"} <= set(data)
    assert data["format"] == fmt
    ids = [c["id"] for c in data["cells"]]
    assert len(ids) == len(set(ids))
    for c in data["cells"]:
        assert set(c) >= CELL_KEYS, c["id"]
        assert c["table"] in ("二", "三", "四")
        assert c["type"] in ("count", "amount", "delta")
        assert isinstance(c["input"], bool)
        assert c["row_path"][-1] == c["row"] and c["column_path"][-1] == c["column"]
    by_id = {c["id"]: c for c in data["cells"]}
    # table 三: 25 value rows (2021) / 23 (2019), 7 columns
    t3 = [c for c in data["cells"] if c["table"] == "三"]
    assert len(t3) == (25 if fmt == "2021" else 23) * 7
    assert len(data["cells"]) == {"2021": 200, "2019": 198}[fmt]
    deny = by_id["t3.deny1.person"]
    assert deny["row"] == "1.属于国家秘密"
    assert deny["row_path"] == ["三、本年度办理结果", "（三）不予公开", "1.属于国家秘密"]
    assert deny["column"] == "自然人" and deny["column_path"] == ["自然人"]
    assert by_id["t3.new.business"]["column_path"] == ["法人或其他组织", "商业企业"]
    after = by_id["t4.cases.after_upheld"]
    assert after["column_path"] == ["行政诉讼", "复议后起诉", "结果维持"] and after["column"] == "结果维持"
    assert by_id["t3.total.person"]["row"] == "（七）总计"
    # input flags: totals are not inputs
    for cid in ("t3.total.person", "t3.new.total", "t3.total.total", "t4.cases.review_total",
                "t4.cases.direct_total", "t4.cases.after_total"):
        assert by_id[cid]["input"] is False, cid
    for cid in ("t3.new.person", "t3.deny1.other", "t3.next.legal", "t4.cases.review_upheld"):
        assert by_id[cid]["input"] is True, cid
    assert sum(not c["input"] for c in data["cells"]) == {"2021": 34, "2019": 32}[fmt]
    if fmt == "2021":
        assert by_id["t2.normative.issued"]["row"] == "行政规范性文件"
        assert by_id["t2.normative.issued"]["column"] == "本年制发件数"
        assert by_id["t2.fee.fee_amount"]["type"] == "amount"
    else:
        assert by_id["t2.normative.made"]["row"] == "规范性文件"
        assert by_id["t2.license.delta"]["type"] == "delta"
        assert by_id["t2.license.delta"]["column"] == "本年增/减"
    # rules: id, Chinese description, cells that exist
    assert data["rules"]
    fams = set()
    for r in data["rules"]:
        assert r["id"] and r["description"] and any("\u4e00" <= ch <= "\u9fff" for ch in r["description"])
        assert r["cells"] and all(x in by_id for x in r["cells"]), r["id"]
        fams.add(r["id"].split(".")[0])
    assert {"A", "C", "D", "E", "F", "G"} <= fams
    a = {r["id"]: r for r in data["rules"] if r["id"].startswith("A.")}
    assert len(a) == 7
    assert set(a["A.person"]["cells"]) == {"t3.new.person", "t3.carry.person", "t3.total.person", "t3.next.person"}


def _header_texts(ws) -> dict[tuple[int, int], str]:
    """Every text of the sheet, spread over its merged range: (row, col) 1-based → text."""
    out: dict[tuple[int, int], str] = {}
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and not c.value.startswith("="):
                out[(c.row, c.column)] = c.value
    for mr in ws.merged_cells.ranges:
        v = ws.cell(mr.min_row, mr.min_col).value
        if isinstance(v, str) and not v.startswith("="):
            for r in range(mr.min_row, mr.max_row + 1):
                for col in range(mr.min_col, mr.max_col + 1):
                    out[(r, col)] = v
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_sheet_and_ref_point_at_the_labelled_cell(capsys, tmp_path, fmt):
    """Each cell's sheet/ref is where the generated template has that cell: its row label
    is the nearest label to its left, its column label the nearest header label above."""
    data = spec_json(capsys, fmt)
    path = write_template(tmp_path / "t.xlsx", load_format(fmt), year=2025 if fmt == "2021" else 2020)
    wb = openpyxl.load_workbook(path)
    texts = {name: _header_texts(wb[name]) for name in wb.sheetnames}
    for c in data["cells"]:
        ws = wb[c["sheet"]]
        cell = ws[c["ref"]]
        t = texts[c["sheet"]]
        # totals hold a SUM formula, inputs are empty
        if c["input"]:
            assert cell.value is None, c["id"]
        else:
            assert str(cell.value).startswith("=SUM("), c["id"]
        # column label: the nearest text above in the same column
        above = [t[(r, cell.column)] for r in range(cell.row - 1, 0, -1) if (r, cell.column) in t]
        assert above and above[0] == c["column"], (c["id"], above[:2])
        # row label: the nearest text to the left in the same row (tables with row labels)
        left = [t[(cell.row, col)] for col in range(cell.column - 1, 0, -1) if (cell.row, col) in t]
        if c["table"] != "四":
            assert left and left[0] == c["row"], (c["id"], left[:2])


# --------------------------------------------------------------------------------
# malformed format files


def _src(fmt: str = "2021") -> dict:
    return json.loads(Path(load_format(fmt).path).read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict, name: str = "bad.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return p


def _t(data: dict, tid: str) -> dict:
    return next(t for t in data["tables"] if t["id"] == tid)


def _find(nodes: list, ident: str) -> dict:
    for n in nodes:
        if n.get("id") == ident:
            return n
        if "children" in n:
            try:
                return _find(n["children"], ident)
            except KeyError:
                pass
    raise KeyError(ident)


def test_unmodified_copy_loads(tmp_path):
    for fmt in FORMATS:
        spec = load_spec_file(_write(tmp_path, _src(fmt), f"{fmt}.json"))
        assert len(spec.cells) == len(load_format(fmt).cells)


def _mutations():
    def dup_row(d):
        rows = _t(d, "t3")["blocks"][0]["rows"]
        _find(rows, "deny2")["id"] = "deny1"

    def dup_col(d):
        cols = _t(d, "t4")["blocks"][0]["columns"]
        _find(cols, "review_corrected")["id"] = "review_upheld"

    def unknown_cell(d):
        rule = next(r for r in d["rules"] if r["id"] == "E.review")
        rule["parts"][1] = "cases.no_such_column"

    def unknown_row(d):
        rule = next(r for r in d["rules"] if r["id"] == "A")
        rule["lhs"][0] = "no_such_row"

    def bad_type(d):
        cols = _t(d, "t2")["blocks"][0]["columns"]
        cols[0]["type"] = "money"

    def bad_kind(d):
        d["rules"][0]["kind"] = "approximately"

    def cycle(d):
        d["rules"].append({"id": "X", "kind": "total", "table": "t4", "target": "cases.review_upheld",
                           "parts": ["cases.review_total"], "title": "x", "description": "x", "message": "x"})

    def dup_rule(d):
        d["rules"].append(copy.deepcopy(d["rules"][0]))

    def not_json(d):
        return "{ this is not json"

    return {"duplicate row id": (dup_row, "重复"), "duplicate column id": (dup_col, "重复"),
            "rule names unknown cell": (unknown_cell, "no_such_column"),
            "rule names unknown row": (unknown_row, "no_such_row"), "bad type": (bad_type, "money"),
            "bad rule kind": (bad_kind, "approximately"), "cycle": (cycle, "循环"),
            "duplicate rule": (dup_rule, "重复"), "not json": (not_json, "无法读取")}


@pytest.mark.parametrize("what", list(_mutations()))
def test_malformed_format_file_is_refused(tmp_path, what):
    mutate, needle = _mutations()[what]
    data = _src()
    res = mutate(data)
    p = tmp_path / "broken-format.json"
    if isinstance(res, str):
        p.write_text(res, encoding="utf-8")
    else:
        _write(tmp_path, data, p.name)
    with pytest.raises(SpecError) as e:
        load_spec_file(p)
    msg = str(e.value)
    assert str(p) in msg, msg
    assert needle in msg, msg
