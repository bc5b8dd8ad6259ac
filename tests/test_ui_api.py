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

from gipr.cli import main
from gipr.read import read_report
from gipr.collect.workspace import Workspace
from uiserver import REPO, RETURNED, SOME, Server, make_workspace, returned

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


def upload(c: httpx.Client, paths: list[Path], names: list[str] | None = None, **kw) -> httpx.Response:
    names = names or [p.name for p in paths]
    files = [("files", (n, p.read_bytes(), "application/octet-stream")) for p, n in zip(paths, names)]
    return c.post("/api/collect", files=files, **kw)


def _outcomes(d: dict) -> list[tuple]:
    return [(o["file_name"], o["result"], o["status"], o["unit"], o["errors"], o["code"]) for o in d["outcomes"]]


def test_upload_equals_cli_collect_and_status_equals_cli(tmp_path, capsys):
    from mailmaker import make_message

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
            before = {p for p in tmp_path.rglob("*")}
            d = upload(c, files, names=["../../../evil.xlsx"]).json()
            assert d["counts"]["new"] == 1 and d["outcomes"][0]["file_name"] == "evil.xlsx"
            new = {p for p in tmp_path.rglob("*")} - before
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
            assert f"正在使用的是：gipr collect（" in err["message"] and f"进程 {holder.pid}" in err["message"]
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
    p = subprocess.Popen([sys.executable, "-m", "gipr.cli", "ui", "-w", str(ws), "--no-browser"],
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


def test_stale_upload_folders_are_removed_at_start(tmp_path):
    ws = make_workspace(tmp_path)
    base = ws / "ui" / "uploads"
    old, new = base / "20250101-000000-abcdef", base / "20990101-000000-abcdef"
    for d in (old, new):
        d.mkdir(parents=True)
        (d / "0001.xlsx").write_bytes(b"x")
    os.utime(old, (time.time() - 3 * 86400, time.time() - 3 * 86400))
    with Server(ws):
        assert not old.exists() and new.exists()


def test_not_a_workspace(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["ui", "-w", str(tmp_path), "--no-browser"])
    assert e.value.code == 2 and "不是 gipr 工作目录" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_send_only_after_confirming_the_count(tmp_path):
    """模板与发送: the preview is `gipr send --dry-run`; a send goes out only when the confirmed
    number of units equals what the preview showed, to a real SMTP server."""
    from mailservers import SmtpServer

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
        # a page that does not exist, a unit that does not exist: a Chinese page, no traceback
        for url in ("/nowhere", "/unit/nosuch", "/download/feedback/999", "/merge?run=../../x"):
            r = c.get(url)
            assert r.status_code in (200, 400, 404) and "Traceback" not in r.text, url
        assert "单位名册中没有" in c.get("/unit/nosuch").text


@pytest.mark.skipif(sys.platform != "linux", reason="binds 127.0.0.2 (the whole 127/8 is loopback on Linux)")
def test_other_address_needs_the_flag_and_warns(tmp_path):
    ws = make_workspace(tmp_path)
    p = subprocess.Popen([sys.executable, "-m", "gipr.cli", "ui", "-w", str(ws), "--no-browser", "--host", "127.0.0.2"],
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
        out, err = p.communicate(timeout=30)
    assert "警告" in err and "127.0.0.2" in err and "Traceback" not in err
