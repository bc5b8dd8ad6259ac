"""What real published reports needed (issue 17): no identity or 封面 findings for a document,
--year honoured; the whole report on one line read by the label sequence; shortened labels
matched by the words that tell them from their siblings; last year's report choosing among
table 二's cuts (--previous, or the year before in the same run); one finding per problem."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from kit import realdocs as rd
from kit.county import cli

ONE_LINE = rd.ROOT / "pingtan-district-2023" / "page.txt"  # 行政规范性文件77132470: 21 cuts


def _prev_2022(path):
    # last year's report of the same issuer: 现行有效 525, so 2023's 77132470 can only be
    # 77 | 132 | 470 (525 + 77 − 132 = 470)
    path.write_text("平潭综合实验区2022年度政府信息公开工作年度报告\n二、主动公开政府信息情况\n第二十条第（一）项\n"
                    "信息内容 本年制发件数 本年废止件数 现行有效件数\n规章 0 0 0\n行政规范性文件 60 10 525\n",
                    encoding="utf-8")
    return path


def _report(capsys, name):
    data = json.loads(capsys.readouterr().out)
    return next(r for r in data["reports"] if r["file"].endswith(name))


NORMATIVE = ("t2.normative.issued", "t2.normative.repealed", "t2.normative.in_force")


def test_last_years_report_chooses_among_table_two_cuts(tmp_path, capsys):
    this = tmp_path / "2023.txt"
    shutil.copyfile(ONE_LINE, this)
    cli("import", this, "--json")
    alone = _report(capsys, "2023.txt")
    assert [alone["values"][c] for c in NORMATIVE] == [None, None, None]  # never guessed
    assert any(f["code"] == "published.digits_ambiguous" and "77132470" in f["message"] for f in alone["findings"])

    (tmp_path / "prev").mkdir()
    prev = _prev_2022(tmp_path / "prev" / "2022.txt")
    cli("import", this, "--previous", prev, "--json")
    given = _report(capsys, "2023.txt")
    assert [given["values"][c] for c in NORMATIVE] == [77, 132, 470]
    said = [f for f in given["findings"] if f["code"] == "published.digits_previous"]
    assert len(said) == 1 and "上年" in said[0]["message"] and "77｜132｜470" in said[0]["message"]

    shutil.copyfile(prev, tmp_path / "2022.txt")  # the year before, in the same run
    cli("import", tmp_path / "2022.txt", this, "--json")
    same_run = _report(capsys, "2023.txt")
    assert [same_run["values"][c] for c in NORMATIVE] == [77, 132, 470]

    rc = cli("check", this, "--previous", prev, "--json")
    entry = json.loads(capsys.readouterr().out)["files"][0]
    assert rc == 0 and entry["errors"] == 0
    assert not any(f["code"] == "published.digits_ambiguous" for f in entry["findings"])


def test_a_published_document_has_no_identity_or_cover_findings_and_year_is_honoured(tmp_path, capsys):
    doc = tmp_path / "年报.txt"
    text = ONE_LINE.read_text(encoding="utf-8")
    # no issuer and no year in the title: --year gives the year
    doc.write_text(text.replace("平潭综合实验区2023年度政府信息公开工作年度报告", "政府信息公开工作年度报告"),
                   encoding="utf-8")
    cli("check", doc, "--year", "2023", "--json")
    entry = json.loads(capsys.readouterr().out)["files"][0]
    codes = {f["code"] for f in entry["findings"]}
    assert entry["year"] == 2023 and entry["format"] == "2021"
    assert not any(c.startswith(("identity.", "field.")) for c in codes), codes
    assert entry["errors"] == 0


def test_shortened_labels_by_the_words_that_tell_them_apart(tmp_path, capsys):
    lines = tmp_path / "lines.txt"
    lines.write_text("某某县人民政府2023年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n（六）其他处理\n"
                     "1.逾期不补正 1 0 0 0 0 0 1\n2.逾期不缴费 2 0 0 0 0 0 2\n3.其他 0 0 0 0 0 0 0\n", encoding="utf-8")
    one = tmp_path / "one.txt"
    one.write_text("某某县人民政府2023年政府信息公开工作年度报告三、收到和处理政府信息公开申请情况（六）其他处理"
                   "1.逾期不补正10000012.逾期不缴费20000023.其他0000000（七）总计", encoding="utf-8")
    cli("import", lines, one, "--json")
    data = json.loads(capsys.readouterr().out)
    for r in data["reports"]:
        v = r["values"]
        assert (v["t3.other1.total"], v["t3.other2.total"], v["t3.other3.total"]) == (1, 2, 0), r["file"]
        assert v["t3.other2.person"] == 2 and v["t3.other1.person"] == 1
        short = [f["message"] for f in r["findings"] if f["code"] == "published.label_short"]
        assert any("2.逾期不缴费" in m and "缴纳费用" in m for m in short), short


def test_one_finding_per_row_and_the_list_number_is_no_number(tmp_path, capsys):
    doc = tmp_path / "年报.txt"
    # a row printed with two numbers for seven cells; the next label's "2." glued to its digits
    doc.write_text("某某县人民政府2023年政府信息公开工作年度报告三、收到和处理政府信息公开申请情况"
                   "（三）不予公开1.属于国家秘密5 62.其他法律行政法规禁止公开0000000", encoding="utf-8")
    cli("import", doc, "--json")
    r = json.loads(capsys.readouterr().out)["reports"][0]
    about = [f for f in r["findings"] if "属于国家秘密" in f["message"] and f["code"] != "published.unit_from_title"]
    assert len(about) == 1 and about[0]["code"] == "published.row_unaligned", about
    assert "5｜6" in about[0]["message"]  # the "2." of the next label is not read as a third number
    assert r["values"]["t3.deny2.total"] == 0 and r["values"]["t3.deny1.total"] is None


def test_check_uses_the_year_before_read_in_the_same_run(tmp_path, capsys):
    shutil.copyfile(ONE_LINE, tmp_path / "b-2023.txt")
    _prev_2022(tmp_path / "a-2022.txt")
    cli("check", tmp_path / "a-2022.txt", tmp_path / "b-2023.txt", "--json")
    files = {Path(e["file"]).name: e for e in json.loads(capsys.readouterr().out)["files"]}
    this = files["b-2023.txt"]
    assert not any(f["code"] == "published.digits_ambiguous" for f in this["findings"])
    assert any(f["code"] == "published.digits_previous" for f in this["findings"])


def test_the_list_number_of_a_label_cut_over_two_lines_is_no_number(tmp_path, capsys):
    doc = tmp_path / "年报.txt"  # a PDF's text: the label's “1.” on a line of its own under （三）
    doc.write_text("某某县人民政府2023年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n（三）不予公开\n1.\n"
                   "属于国家秘密 0 0 0 0 0 0 0\n2.其他法律行政法规禁止公开 1 0 0 0 0 0 1\n", encoding="utf-8")
    cli("import", doc, "--json")
    r = json.loads(capsys.readouterr().out)["reports"][0]
    assert not [f for f in r["findings"] if f["code"] in ("published.row_unaligned", "published.group_row")]
    assert r["values"]["t3.deny1.total"] == 0 and r["values"]["t3.deny2.total"] == 1


def test_a_web_page_whose_tables_were_flattened_into_one_paragraph(tmp_path, capsys):
    body = ONE_LINE.read_text(encoding="utf-8").split("==================== 正文 ====================", 1)[1]
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><html><head><meta charset='utf-8'><title>平潭综合实验区2023年度政府信息公开工作年度报告"
                    f"</title></head><body><h1>平潭综合实验区2023年度政府信息公开工作年度报告</h1><p>{body}</p></body></html>",
                    encoding="utf-8")
    cli("import", page, "--json")
    r = json.loads(capsys.readouterr().out)["reports"][0]
    assert r["values"]["t3.new.total"] == 81 and r["values"]["t3.open.person"] == 22
    assert r["values"]["t4.cases.direct_total"] == 5


def test_glued_numbers_with_a_sign_or_a_unit_are_cut_and_keep_them(tmp_path, capsys):
    doc = tmp_path / "年报.txt"  # the 2019 format's 本年增/减 signed, an amount with decimals and its unit
    doc.write_text("某某县人民政府2019年政府信息公开工作年度报告 二、主动公开政府信息情况第二十条第（八）项信息内容上一年项目数量"
                   "本年增/减行政事业性收费3-1第二十条第（九）项信息内容采购项目数量采购总金额政府集中采购00.5元"
                   "三、收到和处理政府信息公开申请情况", encoding="utf-8")
    cli("import", doc, "--json")
    r = json.loads(capsys.readouterr().out)["reports"][0]
    v = r["values"]
    assert (v["t2.fee.prev_items"], v["t2.fee.delta"]) == (3, -1)
    assert (v["t2.procurement.items"], v["t2.procurement.amount"]) == (0, 0.00005)  # 0.5 元 in 万元
    said = [f["message"] for f in r["findings"] if f["code"] in ("published.digits_split", "value.converted")]
    assert any("每格一位数" in m for m in said) and any("0.5元" in m for m in said), said


def test_one_digit_a_cell_is_not_taken_where_a_blank_cell_may_hide(tmp_path, capsys):
    doc = tmp_path / "年报.txt"  # 行政许可 “215”: 2 | 1 | 5, or 2 | (blank) | 15 as the real page had it
    doc.write_text("某某县人民政府2019年政府信息公开工作年度报告 二、主动公开政府信息情况第二十条第（五）项信息内容上一年项目数量"
                   "本年增/减处理决定数量行政许可215其他对外管理服务事项000第二十条第（六）项", encoding="utf-8")
    cli("import", doc, "--json")
    r = json.loads(capsys.readouterr().out)["reports"][0]
    v = r["values"]
    assert [v[f"t2.license.{c}"] for c in ("prev_items", "delta", "decisions")] == [None, None, None]
    assert [v[f"t2.other_service.{c}"] for c in ("prev_items", "delta", "decisions")] == [0, 0, 0]  # zeros: certain
    assert any(f["code"] == "published.digits_ambiguous" and "空白格" in f["message"] for f in r["findings"])
