"""gipr ui's JSON API against a real server (uvicorn on a free port): the same answers as the
CLI (status, collect, merge), and the security rules, each with a request that is refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from kit.paths import REPO
from kit.uiserver import RETURNED, SOME, Server, make_workspace, returned, upload

from gipr.cli import main
from gipr.collect.workspace import Workspace
from gipr.read import read_report
from gipr.ui.core import PURPOSE

UNITS = 31  # examples/roster.csv
ROW_FIELDS = ("sha256", "size", "unit_code", "status", "check_status", "identified_by", "errors", "warnings",
              "file_name", "reason_code", "reason", "format", "report_year", "report_kind", "findings_json",
              "duplicate_of")


def cli_json(capsys, *argv) -> dict:
    capsys.readouterr()
    try:
        main(list(argv))
    except SystemExit as e:
        assert e.code in (0, 1, None), capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def rows(root: Path) -> list[tuple]:
    with Workspace.open(root) as ws:
        return [tuple(getattr(s, f) for f in ROW_FIELDS) for s in ws.ledger.submissions()]


def archive(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root / "archive").as_posix(): p.read_bytes()
            for p in sorted((root / "archive").rglob("*")) if p.is_file()}


def _outcomes(d: dict) -> list[tuple]:
    return [(o["file_name"], o["result"], o["status"], o["unit"], o["errors"], o["code"]) for o in d["outcomes"]]


def test_upload_equals_cli_collect_and_status_equals_cli(tmp_path, capsys):
    from kit.mailmaker import make_message

    files = returned(tmp_path)
    book = "2025年度政府信息公开统计表_南坪镇人民政府.xlsx"  # 104, sent as a saved e-mail
    eml = tmp_path / "returned" / "南坪镇回复.eml"
    eml.write_bytes(make_message([(book, (RETURNED / book).read_bytes(), "rfc2231")],
                                 sender="南坪镇 <npz@example.cn>", message_id="<npz-1@example.cn>"))
    files.append(eml)
    ws_cli = make_workspace(tmp_path, "cli")
    ws_ui = make_workspace(tmp_path, "ui")
    by_cli = cli_json(capsys, "collect", *map(str, files), "-w", str(ws_cli), "--json")
    with Server(ws_ui) as srv, srv.client() as c:
        r = upload(c, files)
        assert r.status_code == 200, r.text
        by_ui = r.json()
        assert by_ui["counts"] == by_cli["counts"] and by_ui["counts"]["new"] == len(files)
        assert _outcomes(by_ui) == _outcomes(by_cli)
        assert {o["status"] for o in by_ui["outcomes"]} == {"accepted", "errors"}
        assert by_ui["outcomes"][-1]["file_name"] == book and by_ui["outcomes"][-1]["unit"] == "104"
        assert rows(ws_ui) == rows(ws_cli)  # the same ledger rows (all but where the bytes came from)
        assert archive(ws_ui) == archive(ws_cli)  # the same archive
        # the client's name is recorded as the file name; the temporary upload folder is gone
        with Workspace.open(ws_ui) as ws:
            subs = ws.ledger.submissions()
            assert all(s.source.startswith("网页上传：") for s in subs if s.source_kind == "file")
            assert [s.source_kind for s in subs].count("email") == 1
        assert not any((ws_ui / "ui" / "uploads").iterdir())
        # status: exactly what `gipr status --json` prints
        assert c.get("/api/status").json() == cli_json(capsys, "status", "-w", str(ws_ui), "--json")
        # the status workbook (gipr status --out)
        x = c.get("/download/status.xlsx")
        assert x.status_code == 200 and x.content[:2] == b"PK"
        import io

        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(x.content))["报送情况"]
        assert sheet.cell(2, 1).value == "001" and sheet.max_row >= UNITS + 1
        # uploading the same bytes again records nothing new
        again = upload(c, files[:2]).json()
        assert again["counts"]["new"] == 0 and again["counts"]["duplicate"] == 2
        assert len(rows(ws_ui)) == len(files)


def test_merge_download_equals_cli_merge(tmp_path, capsys):
    ws = make_workspace(tmp_path)
    files = returned(tmp_path)
    cli_json(capsys, "collect", *map(str, files), "-w", str(ws), "--json")
    out = tmp_path / "cli汇总.xlsx"
    by_cli = cli_json(capsys, "merge", "-w", str(ws), "--out", str(out), "--include-errors", "--json")
    with Server(ws) as srv, srv.client() as c:
        r = c.post("/api/merge", data={"include_errors": "1"})
        assert r.status_code == 200, r.text
        by_ui = r.json()
        for k in ("out", "html", "download", "download_html", "page"):
            by_ui.pop(k)
        by_cli.pop("out"), by_cli.pop("html")
        assert by_ui == by_cli
        assert len(by_ui["included"]) == len(files) and len(by_ui["missing"]) == UNITS - len(files)
        dl = c.get(r.json()["download"])
        assert dl.status_code == 200 and dl.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        assert "attachment" in dl.headers["content-disposition"]
        got = tmp_path / "ui汇总.xlsx"
        got.write_bytes(dl.content)
        ui_values = {k: v.number for k, v in read_report(got).values.items()}
        cli_values = {k: v.number for k, v in read_report(out).values.items()}
        assert ui_values == cli_values and any(ui_values.values())
        # the page shows the result and the HTML view of tables 二–四
        page = c.get(r.json()["page"])
        assert page.status_code == 200 and "下载汇总表" in page.text
        view = c.get(r.json()["download_html"].replace("/download/merge/", "/view/merge/").rsplit("/", 1)[0])
        assert view.status_code == 200 and "gipr-report" in view.text


def test_pin_from_the_ui_shows_in_cli_status(tmp_path, capsys):
    ws = make_workspace(tmp_path)
    files = returned(tmp_path, SOME[1:2])
    with Server(ws) as srv, srv.client() as c:
        sub = upload(c, files).json()["outcomes"][0]["submission"]
        r = c.post("/api/pin", json={"unit": "012", "submission": sub, "note": "电话确认<b>以此为准</b>"})
        assert r.status_code == 200, r.text
        st = cli_json(capsys, "status", "-w", str(ws), "--json")
        line = next(u for u in st["units"] if u["code"] == "012")
        assert line["pinned"] and line["override"]["note"] == "电话确认<b>以此为准</b>"
        assert c.get("/api/status").json() == st
        page = c.get("/unit/012").text
        assert "电话确认&lt;b&gt;以此为准&lt;/b&gt;" in page
        # the findings shown are the ledger's (gipr check's) texts, and the feedback workbook downloads
        with Workspace.open(ws) as w:
            msgs = [f["message"] for f in w.ledger.submission(sub).findings if f["severity"] == "error"]
        assert msgs and all(json.dumps(m, ensure_ascii=False)[1:-1].replace("\\", "") in page.replace("&#34;", '"')
                            or m[:20].replace("<", "&lt;") in page for m in msgs)
        fb = c.get(f"/download/feedback/{sub}")
        assert fb.status_code == 200 and fb.content[:2] == b"PK"
        assert c.post("/api/pin", json={"unit": "012", "submission": 999}).status_code == 400


def test_refusals(tmp_path, monkeypatch):
    ws = make_workspace(tmp_path)
    files = returned(tmp_path, SOME[:1])
    with Server(ws) as srv:
        # no token, a wrong token
        with srv.client(login=False) as anon:
            assert anon.get("/api/status").status_code == 403
            page = anon.get("/", headers={"Accept": "text/html"})
            assert page.status_code == 403 and "缺少访问令牌" in page.text and "<h1>" in page.text
            assert anon.get("/?token=wrong").status_code == 403
            assert anon.get("/api/status", headers={"Authorization": "Bearer nope"}).status_code == 403
            assert anon.get("/api/status", headers={"Authorization": f"Bearer {srv.token}"}).status_code == 200
        with srv.client() as c:
            assert c.get("/api/status").status_code == 200
            # wrong Host (DNS rebinding), even with the cookie
            r = c.get("/api/status", headers={"Host": f"evil.example:{srv.port}"})
            assert r.status_code == 403 and "主机名" in r.json()["error"]["message"]
            assert c.get("/api/status", headers={"Host": "127.0.0.1:1"}).status_code == 403
            assert c.get("/api/status", headers={"Host": f"localhost:{srv.port}"}).status_code == 200
            # cross-site POST: no CSRF token; a foreign Origin; a GET cannot change anything
            csrf = c.headers.pop("X-CSRF-Token")
            r = upload(c, files)
            assert r.status_code == 403 and "CSRF" in r.json()["error"]["message"]
            assert c.post("/api/merge", data={}).status_code == 403
            c.headers["X-CSRF-Token"] = csrf
            assert upload(c, files, headers={"Origin": "http://evil.example"}).status_code == 403
            assert upload(c, files, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
            assert c.get("/api/collect").status_code == 405
            assert c.put("/api/collect").status_code == 405
            assert rows(ws) == []
            # too many files in one request
            monkeypatch.setattr("gipr.ui.app.MAX_UPLOAD_FILES", 3)
            r = upload(c, files * 4, names=[f"{i}.xlsx" for i in range(4)])
            assert r.status_code == 413 and "最多上传 3 个" in r.json()["error"]["message"]
            # an oversized request body, and a file over collect's own size limit
            monkeypatch.setattr("gipr.ui.app.MAX_UPLOAD_BYTES", 20_000)
            r = upload(c, [files[0]], names=["big.xlsx"])
            assert r.status_code == 413 and r.json()["error"]["code"] == "ui.upload_too_large"
            monkeypatch.setattr("gipr.ui.app.MAX_UPLOAD_BYTES", 10_000_000)
            monkeypatch.setattr("gipr.collect.collect.MAX_FILE_BYTES", 1000)
            d = upload(c, [files[0]], names=["big.xlsx"]).json()
            assert d["counts"]["skipped"] == 1 and d["outcomes"][0]["code"] == "file.too_large"
            assert d["outcomes"][0]["file_name"] == "big.xlsx"
            assert rows(ws) == [] and not any((ws / "ui" / "uploads").iterdir())
            monkeypatch.undo()
            # a body that is not valid multipart
            r = c.post("/api/collect", content=b"--x\r\nnonsense", headers={"Content-Type": "multipart/form-data; boundary=x"})
            assert r.status_code == 400 and r.json()["error"]["code"] in ("ui.upload_bad", "ui.upload_none")
            assert c.post("/api/collect", json={"files": "x"}).status_code == 400
            assert not any((ws / "ui" / "uploads").iterdir())
            # a client name with ../ is only a name: nothing is written outside the upload folder
            before = set(tmp_path.rglob("*"))
            d = upload(c, files, names=["../../../evil.xlsx"]).json()
            assert d["counts"]["new"] == 1 and d["outcomes"][0]["file_name"] == "evil.xlsx"
            new = set(tmp_path.rglob("*")) - before
            assert all(ws in p.parents for p in new), new
            assert not (tmp_path / "evil.xlsx").exists() and not (ws.parent / "evil.xlsx").exists()
            # a name the client sends for a download route is never a path
            assert c.get("/download/merge/..%2F..%2Fgipr.toml/xlsx").status_code == 404
            assert c.get("/download/templates/../../gipr.toml").status_code == 404


def test_lock_shared_with_cli(tmp_path, monkeypatch):
    """While another gipr process holds the workspace, an upload waits and then says so."""
    ws = make_workspace(tmp_path)
    files = returned(tmp_path, SOME[:1])
    monkeypatch.setenv("GIPR_LOCK_WAIT", "0.5")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from gipr.collect.workspace import Workspace\n"
        "w = Workspace.open(sys.argv[1])\n"
        "with w.lock(purpose='gipr collect'):\n    print('held', flush=True); time.sleep(30)\n"), str(ws)],
        stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(REPO / "tool")))
    try:
        assert holder.stdout.readline().strip() == "held"
        with Server(ws) as srv, srv.client() as c:
            r = upload(c, files)
            assert r.status_code == 409, r.text
            err = r.json()["error"]
            assert err["code"] == "workspace.locked" and "另一个 gipr" in err["message"]
            assert "正在使用的是：gipr collect（" in err["message"] and f"进程 {holder.pid}" in err["message"]
            holder.kill()
            holder.wait()
            r = upload(c, files)
            assert r.status_code == 200, r.text
            assert r.json()["counts"]["new"] == 1
    finally:
        holder.kill()
        holder.wait()


def test_cli_prints_one_line_and_serves(tmp_path):
    ws = make_workspace(tmp_path)
    p = subprocess.Popen([sys.executable, "-m", "gipr.cli", "ui", "-w", str(ws), "--no-browser", "--port", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, PYTHONPATH=str(REPO / "tool")))
    try:
        line = p.stdout.readline().strip()
        assert line.startswith("http://127.0.0.1:") and "/?token=" in line
        with httpx.Client(timeout=30, follow_redirects=True) as c:
            r = c.get(line)  # follows the redirect with the cookie set
            assert r.status_code == 200 and "报送情况" in r.text
            assert c.get(line.split("?")[0] + "api/status").json()["totals"]["units"] == UNITS
    finally:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    assert out.strip() == ""  # exactly one line on stdout: the address
    assert "Traceback" not in err


def test_leftover_upload_folders_are_removed_at_start_whatever_their_age(tmp_path):
    """A server killed mid-request leaves its upload folder: the next start removes it, old or
    new (none is in use then); a folder that is not an upload's is left alone."""
    ws = make_workspace(tmp_path)
    base = ws / "ui" / "uploads"
    old, new, other = base / "20250101-000000-abcdef", base / "20990101-000000-abcdef", base / "keep"
    for d in (old, new, other):
        d.mkdir(parents=True)
        (d / "0001.xlsx").write_bytes(b"x")
    os.utime(old, (time.time() - 3 * 86400, time.time() - 3 * 86400))
    with Server(ws):
        assert not old.exists() and not new.exists() and other.exists()


def test_not_a_workspace(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["ui", "-w", str(tmp_path), "--no-browser"])
    assert e.value.code == 2 and "不是 gipr 工作目录" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_send_only_after_confirming_the_count(tmp_path):
    """模板与发送: the preview is `gipr send --dry-run`; a send goes out only when the confirmed
    number of units equals what the preview showed, to a real SMTP server."""
    from kit.mailservers import SmtpServer

    ws = make_workspace(tmp_path)
    user, password = "gkb@county.example.cn", "s3cret-授权码"
    smtp = SmtpServer(tmp_path, users={user: password})
    try:
        with open(ws / "gipr.toml", "a", encoding="utf-8") as f:
            f.write(f'\n[mail]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\nuser = "{user}"\n'
                    f'from_addr = "{user}"\nfrom_name = "灵丘县政务公开办"\npause = 0\n')
        with Server(ws) as srv, srv.client() as c:
            prev = c.post("/api/mail/preview", json={"kind": "send"})
            assert prev.status_code == 200, prev.text
            n = prev.json()["counts"]["written"]
            assert n == UNITS and smtp.messages == []
            assert all(o["subject"] and o["recipients"] for o in prev.json()["outcomes"])
            r = c.post("/api/mail/send", json={"kind": "send", "confirm": n - 1, "password": password})
            assert r.status_code == 400 and r.json()["error"]["code"] == "ui.confirm_mismatch"
            assert smtp.messages == []
            r = c.post("/api/mail/send", json={"kind": "send", "confirm": n, "password": password})
            assert r.status_code == 200, r.text
            assert r.json()["counts"]["sent"] == n and len(smtp.messages) == n
            # sent once: the next preview has nobody left to send to
            assert c.post("/api/mail/preview", json={"kind": "send"}).json()["counts"]["written"] == 0
    finally:
        smtp.stop()


def test_merge_with_last_years_rollup_and_error_pages(tmp_path, capsys):
    ws = make_workspace(tmp_path)
    files = returned(tmp_path)
    prev = REPO / "examples" / "2024年度汇总.xlsx"
    cli_json(capsys, "collect", *map(str, files), "-w", str(ws), "--json")
    by_cli = cli_json(capsys, "merge", "-w", str(ws), "--out", str(tmp_path / "o.xlsx"), "--previous", str(prev),
                      "--json")
    with Server(ws) as srv, srv.client() as c:
        r = c.post("/api/merge", files=[("previous", ("../上年.xlsx", prev.read_bytes(), "application/octet-stream"))])
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["previous"] and d["previous"]["large_changes"] == by_cli["previous"]["large_changes"]
        assert d["previous"]["rule_f"] == by_cli["previous"]["rule_f"]
        assert d["values"] == by_cli["values"] and d["excluded"] == by_cli["excluded"]
        assert not any((ws / "ui" / "uploads").iterdir())
        page = c.get(d["page"]).text  # the chart: this year against last year
        assert 'id="figures"' in page and "2024 年" in page and "2025 年" in page
        # its bars are the report's figures (gipr.report.figures), of this roll-up and of last year's
        from gipr.read import read_report
        last = read_report(prev)
        for name, cid in (("新收申请", "t3.new.total"), ("结转下年", "t3.next.total")):
            assert f"{name} 2025 年：{d['values'][cid]}<" in page, name
            assert f"{name} 2024 年：{last.number(cid)}<" in page, name
        # a page that does not exist, a unit that does not exist: a Chinese page, no traceback
        for url in ("/nowhere", "/unit/nosuch", "/download/feedback/999", "/merge?run=../../x"):
            r = c.get(url)
            assert r.status_code in (200, 400, 404) and "Traceback" not in r.text, url
        assert "单位名册中没有" in c.get("/unit/nosuch").text


@pytest.mark.skipif(sys.platform != "linux", reason="binds 127.0.0.2 (the whole 127/8 is loopback on Linux)")
def test_other_address_needs_the_flag_and_warns(tmp_path):
    ws = make_workspace(tmp_path)
    p = subprocess.Popen([sys.executable, "-m", "gipr.cli", "ui", "-w", str(ws), "--no-browser", "--port", "0", "--host", "127.0.0.2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, PYTHONPATH=str(REPO / "tool")))
    try:
        line = p.stdout.readline().strip()
        assert line.startswith("http://127.0.0.2:") and "/?token=" in line
        port = line.split(":")[2].split("/")[0]
        with httpx.Client(timeout=30, follow_redirects=True) as c:
            assert c.get(line).status_code == 200
            assert c.get(f"http://127.0.0.2:{port}/api/status", headers={"Host": f"evil.example:{port}"}
                         ).status_code == 403
    finally:
        p.send_signal(signal.SIGINT)
        _out, err = p.communicate(timeout=30)
    assert "警告" in err and "127.0.0.2" in err and "Traceback" not in err


def _docx_tables(data: bytes | Path) -> list[list[list[str]]]:
    import io

    import docx

    d = docx.Document(io.BytesIO(data) if isinstance(data, bytes) else str(data))
    return [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]


def test_report_document_equals_cli_report(tmp_path, capsys):
    """After a merge (with its choices: the units with errors and last year's roll-up), the 汇总
    page's annual report is what `gipr report --workspace` writes: the same JSON, and the
    downloaded county document has the same tables; the units' documents come as one zip."""
    import io
    import zipfile

    ws = make_workspace(tmp_path)
    files = returned(tmp_path)
    prev = REPO / "examples" / "2024年度汇总.xlsx"
    cli_json(capsys, "collect", *map(str, files), "-w", str(ws), "--json")
    folder = tmp_path / "cli报告"
    by_cli = cli_json(capsys, "report", "-w", str(ws), "--out", str(folder), "--include-errors",
                      "--previous", str(prev), "--json")
    with Server(ws) as srv, srv.client() as c:
        m = c.post("/api/merge", data={"include_errors": "1"},
                   files=[("previous", ("上年.xlsx", prev.read_bytes(), "application/octet-stream"))])
        assert m.status_code == 200, m.text
        page = c.get(m.json()["page"]).text
        assert 'id="run-report"' in page and "与上年对比" in page
        run = m.json()["page"].split("run=")[1]
        r = c.post("/api/report", json={"run": run})
        assert r.status_code == 200, r.text
        by_ui = r.json()
        for k in ("download", "download_units"):
            assert by_ui.pop(k).startswith("/download/report/")
        strip = lambda d: [dict(x, docx=Path(x["docx"]).name) for x in d["documents"]]  # noqa: E731
        assert strip(by_ui) == strip(by_cli) and by_ui["pdf_error"] is None
        assert len(by_cli["documents"]) == 1 + len(files) and any(x["draft"] for x in by_cli["documents"])
        county = c.get(r.json()["download"])
        assert county.status_code == 200 and "wordprocessingml" in county.headers["content-type"]
        assert "filename*=UTF-8''" in county.headers["content-disposition"]
        cli_county = folder / Path(by_cli["documents"][0]["docx"]).name
        tables = _docx_tables(county.content)
        assert tables == _docx_tables(cli_county) and len(tables) >= 3
        units = c.get(r.json()["download_units"])
        assert units.status_code == 200 and units.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(units.content)) as z:
            names = sorted(z.namelist())
            assert names == sorted(Path(x["docx"]).name for x in by_cli["documents"][1:])
            for n in names:
                assert _docx_tables(z.read(n)) == _docx_tables(folder / n), n
        # without a merge run: the form's include_errors, no last year; an unknown run is refused
        plain = c.post("/api/report", json={})
        assert plain.status_code == 200 and len(plain.json()["documents"]) == 1 + len(files) - 2
        bad = c.post("/api/report", json={"run": "../../gipr"})
        assert bad.status_code == 404 and bad.json()["error"]["code"] == "ui.unknown_run"
        for url in ("/download/report/../../gipr.toml/county", f"{r.json()['download'][:-6]}/x"):
            assert c.get(url).status_code == 404


def test_cli_collect_waits_for_the_ui_and_names_it(tmp_path, monkeypatch):
    """The lock in the other direction: while the workbench is collecting an upload (it holds
    the workspace lock, taken by ui/core.py's own code path, and is kept inside the collect by
    the test until the CLI has given up), a CLI `gipr collect` waits GIPR_LOCK_WAIT seconds,
    then says that gipr ui holds the workspace and changes nothing.  Once the upload is done the
    same CLI collect goes through."""
    from gipr.collect.collect import Collector

    ws = make_workspace(tmp_path)
    files = returned(tmp_path, SOME[:2])
    inside, release = threading.Event(), threading.Event()
    original = Collector.collect_upload

    def held_collect(self, path, name):
        inside.set()  # the UI's collect has the lock now (core.collect_uploads took it)
        assert release.wait(120), "the test never released the upload"
        return original(self, path, name)

    monkeypatch.setattr(Collector, "collect_upload", held_collect)
    env = dict(os.environ, PYTHONPATH=str(REPO / "tool"), GIPR_LOCK_WAIT="0.5")
    cli = [sys.executable, "-m", "gipr.cli", "collect", str(files[1]), "-w", str(ws), "--json"]
    with Server(ws) as srv, srv.client() as c:
        answer: dict = {}
        t = threading.Thread(target=lambda: answer.update(r=upload(c, files[:1])))
        t.start()
        try:
            assert inside.wait(60), "the upload never reached the collect"
            p = subprocess.run(cli, capture_output=True, text=True, env=env, timeout=120)
            assert p.returncode != 0 and "Traceback" not in p.stderr, p.stderr
            assert "另一个 gipr 进程正在使用工作目录" in p.stderr and "已等待 0.5 秒" in p.stderr
            assert f"正在使用的是：{PURPOSE}（" in p.stderr and f"进程 {os.getpid()}" in p.stderr, p.stderr
            assert rows(ws) == []  # nothing was written by either while the UI held the lock
        finally:
            release.set()
            t.join(120)
        assert answer["r"].status_code == 200 and answer["r"].json()["counts"]["new"] == 1
        p = subprocess.run(cli, capture_output=True, text=True, env=env, timeout=120)
        assert p.returncode in (0, 1), p.stderr
        assert json.loads(p.stdout)["counts"]["new"] == 1
        assert c.get("/api/status").json()["totals"]["missing"] == UNITS - 2


def test_hostile_category_is_text_in_pages_and_chart(tmp_path):
    """A roster 类别 (and unit name) with markup shows as text in the home page, in the server-side
    SVG chart (which must stay well-formed XML: the page script parses it) and in the unit page;
    the static assets, like every other path, need the token."""
    import xml.etree.ElementTree as ET

    cat = "<script>alert(1)</script>&类"
    name = "<svg onload=alert(2)>局"
    roster = tmp_path / "r.csv"
    roster.write_text("单位代码,单位名称,类别,联系人,邮箱\n"
                      f'801,"{name}","{cat}",张三,a@example.cn\n802,县档案局,,李四,b@example.cn\n', encoding="utf-8")
    Workspace.create(tmp_path / "ws", 2025, roster, county="灵丘县").close()
    with Server(tmp_path / "ws") as srv:
        with srv.client(login=False) as anon:
            assert anon.get("/static/app.js").status_code == 403
            assert anon.get("/chart/status.svg").status_code == 403
        with srv.client() as c:
            assert c.get("/static/app.js").status_code == 200
            svg = c.get("/chart/status.svg")
            assert svg.status_code == 200 and "<script" not in svg.text and "<svg onload" not in svg.text
            root = ET.fromstring(svg.text)  # well-formed: the markup is escaped text
            texts = ["".join(t.itertext()) for t in root.iter() if t.tag.endswith("text")]
            assert cat in texts and "（未分类）" in texts
            for url in ("/", "/unit/801"):
                page = c.get(url).text
                assert "<script>alert" not in page and "<svg onload" not in page, url
                assert "&lt;svg onload=alert(2)&gt;局" in page or "\\u003csvg" in page, url
            assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;类" in c.get("/").text


def test_hostile_file_name_is_text_on_the_unit_page(tmp_path):
    """The client's file name is recorded as text (never a path) and shown escaped."""
    ws = make_workspace(tmp_path)
    files = returned(tmp_path, SOME[:1])  # 东河镇 (102)
    evil = "<img src=x onerror=alert(3)>.xlsx"
    with Server(ws) as srv, srv.client() as c:
        d = upload(c, files, names=[evil]).json()
        assert d["outcomes"][0]["file_name"] == evil and d["outcomes"][0]["unit"] == "102"
        page = c.get("/unit/102").text
        assert "<img src=x" not in page and "&lt;img src=x onerror=alert(3)&gt;.xlsx" in page
        line = next(u for u in c.get("/api/status").json()["units"] if u["code"] == "102")
        assert line["file_name"] == evil and line["status"] == "accepted"


def test_templates_zip_equals_cli_templates(tmp_path, capsys):
    """模板: the zip holds what `gipr template --roster` writes for the workspace's roster: the same
    files, each read back as the same unit's blank form."""
    import io
    import zipfile

    ws = make_workspace(tmp_path)
    folder = tmp_path / "cli模板"
    with Workspace.open(ws) as w:
        roster_path = w.roster_path
    capsys.readouterr()
    main(["template", "--year", "2025", "--roster", str(roster_path), "--out", str(folder)])
    cli_files = sorted(p.name for p in folder.iterdir() if p.suffix == ".xlsx")
    assert len(cli_files) == UNITS
    with Server(ws) as srv, srv.client() as c:
        r = c.post("/api/templates", json={})
        assert r.status_code == 200, r.text
        z = c.get(r.json()["download"])
        assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
        assert "filename*=UTF-8''" in z.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(z.content)) as zf:
        assert sorted(zf.namelist()) == cli_files
        for name in cli_files[:3] + cli_files[-1:]:
            got = tmp_path / f"ui-{name}"
            got.write_bytes(zf.read(name))
            a, b = read_report(got), read_report(folder / name)
            assert (a.unit_code, a.unit_name, a.year) == (b.unit_code, b.unit_name, b.year) and a.unit_code
            assert {k: v.raw for k, v in a.values.items()} == {k: v.raw for k, v in b.values.items()}
