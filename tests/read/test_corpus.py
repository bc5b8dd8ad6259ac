"""The bad-input corpus (tests/kit/corpus.py) through the real command line.

One `gipr check` run over every workbook case (JSON, then the terminal report), and one
`gipr collect` run over every case (workbooks and e-mails) into a workspace that already
holds other units' returns.  For each case: the expected code or findings, its exit status,
a Chinese message naming the file, never a traceback; for collect: the submission recorded
with the expected status, the raw bytes in the archive under their SHA-256, and the
ledger otherwise unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from kit.corpus import BEFORE_UNITS, CASES, GROUPS, YEAR, counts, make_before, make_corpus, manifest
from kit.helpers import ledger_rows
from kit.paths import CORPUS

CJK = re.compile(r"[\u4e00-\u9fff]")
ENV = dict(os.environ, PYTHONIOENCODING="utf-8", COLUMNS="200")
WORKBOOK_CASES = [c.name for c in CASES if c.kind == "workbook"]
EMAIL_CASES = [c.name for c in CASES if c.kind == "email"]


def gipr(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gipr.cli", *args], capture_output=True, env=ENV, timeout=timeout)


def no_traceback(p: subprocess.CompletedProcess) -> None:
    assert b"Traceback" not in p.stderr and b"Traceback" not in p.stdout, p.stderr.decode(errors="replace")[-3000:]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    m = make_corpus(d / "cases")
    (d / "roster.csv").write_text(m["roster"], encoding="utf-8")
    return d, m, {c["name"]: c for c in m["cases"]}


def case_of(corpus, name: str) -> dict:
    _d, _m, by = corpus
    if name not in by:
        pytest.skip(f"{name}: made with LibreOffice, which is not installed")
    return by[name]


# ---------------------------------------------------------------------------------------------
# the corpus itself


def test_corpus_covers_every_group_with_at_least_fifty_cases(corpus):
    _d, m, _by = corpus
    n = counts(m)
    assert sum(n.values()) >= 50
    for g in GROUPS:
        assert n[g] >= 5, (g, n)
    names = [c["name"] for c in m["cases"]]
    assert len(names) == len(set(names))
    for c in m["cases"]:
        assert c["group"] in GROUPS and c["what"]
        if c["kind"] == "workbook":
            assert c["check"] is not None and c["collect"] is not None
            for e in (c["check"], c["collect"]):
                assert e["exit"] in (0, 1, 2)
                assert (e["exit"] == 2) == (e["code"] is not None), c["name"]
        else:
            assert c["rows"] is not None


def test_committed_manifest_is_the_generators(corpus):
    """tests/corpus/manifest.json (the reviewable list of cases and expected outcomes) is
    what the generator says; regenerate it with `python tests/kit/corpus.py --manifest`."""
    committed = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(manifest(), ensure_ascii=False))


def test_every_file_was_generated(corpus):
    d, m, _by = corpus
    for c in m["cases"]:
        assert (d / "cases" / c["name"]).is_file(), c["name"]


# ---------------------------------------------------------------------------------------------
# gipr check: one run over every workbook case


@pytest.fixture(scope="module")
def checked(corpus):
    d, m, _by = corpus
    files = [str(d / "cases" / c["name"]) for c in m["cases"] if c["kind"] == "workbook"]
    args = ["check", *files, "--year", str(YEAR), "--roster", str(d / "roster.csv")]
    pj = gipr(*args, "--json")
    pt = gipr(*args)
    return pj, pt, {Path(f["file"]).name: f for f in json.loads(pj.stdout)["files"]}


def test_check_exit_status_and_no_traceback(corpus, checked):
    _d, m, _by = corpus
    pj, pt, by = checked
    for p in (pj, pt):
        no_traceback(p)
    want = max(c["check"]["exit"] for c in m["cases"] if c["kind"] == "workbook")
    assert want == 2
    assert pj.returncode == want and pt.returncode == want
    assert set(by) == {c["name"] for c in m["cases"] if c["kind"] == "workbook"}


@pytest.mark.parametrize("name", WORKBOOK_CASES)
def test_check_case(corpus, checked, name):
    c = case_of(corpus, name)
    exp = c["check"]
    _pj, pt, by = checked
    f = by[name]
    text = pt.stdout.decode()
    assert name in text  # the terminal report names every file
    if exp["exit"] == 2:
        assert f["readable"] is False
        assert f["error"]["code"] == exp["code"], f["error"]
        msg = f["error"]["message"]
        assert name in msg and CJK.search(msg), msg
        # the terminal report: the file, then its message
        i = text.index(name)
        assert msg[:20] in text[i:], name
        return
    assert f["readable"] is True, f.get("error")
    found = {x["code"] for x in f["findings"]}
    assert set(exp["findings"]) <= found, (exp["findings"], found)
    errors = [x for x in f["findings"] if x["severity"] == "error"]
    assert bool(errors) == (exp["exit"] == 1), [x["message"] for x in errors]
    for x in f["findings"]:
        assert CJK.search(x["message"]), x
        if c["max_message"]:
            assert len(x["message"]) <= c["max_message"], (x["code"], len(x["message"]))


@pytest.mark.parametrize("name", [c.name for c in CASES if c.kind == "workbook" and (c.same_values or c.fields
                                                                                     or c.max_message)])
def test_read_in_process(corpus, name):
    """What the reader took from the file: the same numbers as the base workbook (a
    dimension, a hidden row, LibreOffice … change nothing), the cover fields."""
    from gipr.read import read_report

    d, m, _by = corpus
    c = case_of(corpus, name)
    r = read_report(d / "cases" / name)
    if c["same_values"]:
        got = {cid: str(v.number) for cid, v in r.values.items() if r.spec.cells[cid].input}
        assert got == m["base_values"]
    for k, v in c["fields"].items():
        assert r.fields[k] == v, (k, r.fields)


# ---------------------------------------------------------------------------------------------
# gipr collect: one run over every case into a workspace that already holds other returns


def current(ws: Path) -> dict[str, int]:
    from gipr.collect.workspace import Workspace

    with Workspace.open(ws) as w:
        return {code: s.id for code, s in w.ledger.current().items()}


@pytest.fixture(scope="module")
def collected(corpus, tmp_path_factory):
    d, _m, _by = corpus
    ws = tmp_path_factory.mktemp("ws") / "2025年报"
    p = gipr("init", str(ws), "--year", str(YEAR), "--roster", str(d / "roster.csv"), "--county", "示例县")
    assert p.returncode == 0, p.stderr.decode()
    make_before(d / "before")
    p = gipr("collect", str(d / "before"), "-w", str(ws))
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    before = ledger_rows(ws)
    before_current = current(ws)
    assert set(before_current) == set(BEFORE_UNITS)
    run = gipr("collect", str(d / "cases"), "-w", str(ws))
    after = ledger_rows(ws)
    again = gipr("collect", str(d / "cases"), "-w", str(ws))
    verify = gipr("status", "--verify", "-w", str(ws))
    return {"ws": ws, "before": before, "before_current": before_current, "run": run, "after": after, "again": again,
            "again_rows": ledger_rows(ws), "verify": verify, "after_current": current(ws)}


def rows_of(corpus, collected, name: str) -> list[dict]:
    d, _m, _by = corpus
    path = str((d / "cases" / name).resolve())
    return [r for r in collected["after"] if r["source_path"] == path]


def archived(ws: Path, digest: str) -> bool:
    p = ws / "archive" / digest[:2] / f"{digest}.bin"
    return p.is_file() and sha(p.read_bytes()) == digest


def test_collect_exit_status_no_traceback_and_idempotent(corpus, collected):
    _d, m, _by = corpus
    run, again = collected["run"], collected["again"]
    no_traceback(run)
    no_traceback(again)
    exits = [c["collect"]["exit"] for c in m["cases"] if c["kind"] == "workbook"]
    exits += [2 if r["status"] == "unreadable" else 1 if r["status"] in ("errors", "unidentified") else 0
              for c in m["cases"] if c["kind"] == "email" for r in c["rows"]]
    assert max(exits) == 2 and run.returncode == 2
    out = run.stdout.decode()
    assert "收集完成" in out
    # collecting the same files again records nothing new
    assert collected["again_rows"] == collected["after"]
    assert "新收 0 份" in again.stdout.decode()


def test_collect_leaves_what_was_collected_before_untouched(corpus, collected):
    before, after = collected["before"], collected["after"]
    assert after[: len(before)] == before  # every earlier row unchanged, in place
    for code in BEFORE_UNITS:
        assert collected["after_current"][code] == collected["before_current"][code]
    assert not any(r["unit_code"] in BEFORE_UNITS for r in after[len(before):])
    # nothing but the corpus was recorded, and every corpus case is accounted for
    _d, m, _by = corpus
    n_expected = sum(1 for c in m["cases"] if c["kind"] == "workbook") + sum(
        len(c["rows"]) for c in m["cases"] if c["kind"] == "email")
    assert len(after) - len(before) == n_expected


def test_ledger_and_archive_verify(collected):
    v = collected["verify"]
    no_traceback(v)
    assert v.returncode == 0, v.stdout.decode() + v.stderr.decode()
    assert "台账完整性检查：正常" in v.stdout.decode().replace("\n", "")
    con = sqlite3.connect(collected["ws"] / "ledger.sqlite")
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        con.close()
    for p in (collected["ws"] / "archive").rglob("*.bin"):
        assert sha(p.read_bytes()) == p.stem


@pytest.mark.parametrize("name", WORKBOOK_CASES)
def test_collect_workbook_case(corpus, collected, name):
    d, _m, _by = corpus
    c = case_of(corpus, name)
    exp = c["collect"]
    rows = rows_of(corpus, collected, name)
    assert len(rows) == 1, rows
    r = rows[0]
    data = (d / "cases" / name).read_bytes()
    assert r["sha256"] == sha(data)
    assert archived(collected["ws"], r["sha256"]) == exp["archived"]
    assert r["status"] == exp["status"], (r["status"], r["reason_code"], r["reason"])
    findings = json.loads(r["findings"])
    if exp["code"]:
        assert r["reason_code"] == exp["code"], (r["reason_code"], r["reason"])
        assert CJK.search(r["reason"] or "")
    assert set(exp["findings"]) <= {f["code"] for f in findings}
    assert (r["errors"] > 0) == (exp["status"] == "errors" or exp["code"] is not None or
                                 any(f["severity"] == "error" for f in findings))
    out = collected["run"].stdout.decode()
    line = next((ln for ln in out.splitlines() if f"#{r['id']} " in ln), None)
    assert line is not None and r["file_name"] in line, out[-2000:]  # the file named, with its status
    if r["status"] in ("unreadable", "unidentified"):
        i = out.index(line)
        assert "原因：" in out[i:i + 4000]


@pytest.mark.parametrize("name", EMAIL_CASES)
def test_collect_email_case(corpus, collected, name):
    d, _m, _by = corpus
    c = case_of(corpus, name)
    raw = (d / "cases" / name).read_bytes()
    ws = collected["ws"]
    assert archived(ws, sha(raw))  # the message itself is evidence: archived before parsing
    rows = rows_of(corpus, collected, name)
    assert len(rows) == len(c["rows"]), [(r["file_name"], r["status"], r["reason_code"]) for r in rows]
    out = collected["run"].stdout.decode()
    for r, want in zip(rows, c["rows"]):
        assert r["status"] == want["status"], (r["status"], r["reason_code"], r["reason"])
        if want["code"]:
            assert r["reason_code"] == want["code"], (r["reason_code"], r["reason"])
        assert set(want["findings"]) <= {f["code"] for f in json.loads(r["findings"])}
        name_ = r["file_name"]
        if want["file_name"] is not None:
            assert name_ == want["file_name"]
        if want["name_prefix"] is not None:
            assert name_.startswith(want["name_prefix"]) and name_.endswith(want["name_suffix"])
            assert len(name_) <= want["max_name"]
        assert "/" not in name_ and "\\" not in name_ and not any(ord(ch) < 32 for ch in name_)
        assert archived(ws, r["sha256"])
        if r["message_sha256"]:
            assert archived(ws, r["message_sha256"])
        line = next((ln for ln in out.splitlines() if f"#{r['id']} " in ln), None)
        assert line is not None and name_ in line
        if want.get("note"):  # attachments past the per-message limit: named in the ledger's note and the run
            assert want["note"] in (r["reason"] or ""), r["reason"]
            assert "未收取的附件" in out
    if not c["rows"]:
        assert "没有表格附件的邮件" in out
