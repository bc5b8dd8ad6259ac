"""Every parser of untrusted bytes runs only behind the reader boundary (issue 18).

Structural, on the import graph of gipr's source (``boundary_graph``: every import statement,
at module level and inside functions, ``importlib.import_module`` literals and the
"module:function" task names given to gipr.isolate):

1. a parser library (calamine, openpyxl, pdfplumber/pdfminer, pypdfium2, python-docx, the
   HTML, XML and e-mail parsers, mailbox, olefile …) is imported only by a reader module
   (``gipr.isolate.READER_MODULES``), except by the writers of gipr's own files listed below;
2. the main process takes from a reader module only the names it lists in ``PARENT_SIDE``
   (the limited wrappers, limits, error and data types); any other name only inside a task
   function, one handed to gipr.isolate (run_limited / ReaderPool.map / ``initializer=``), or
   called from one, in any module: that code runs in a worker.

At run time: the main process of `gipr collect` (a returned workbook, an .eml, a one-line
1 GB mbox), `gipr merge --previous` (good and hostile roll-ups), `gipr check` and a
roster .xlsx never loads a parser library, and its peak memory stays small while the
workers stay under the reader's limit.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest
from kit.boundary_graph import ALL, Import, _module_info, called_names, graph, imports_of, resolve, task_functions, uses
from kit.paths import EXAMPLES
from kit.probe import ROLLUP, far_cell_rollup, many_rows_rollup, parent_is_clean, run_gipr, under

from gipr.isolate import READER_MODULES

RETURNED = EXAMPLES / "returned"

# libraries (and standard-library modules) that parse bytes: they may run only in a worker
PARSERS = ("python_calamine", "openpyxl", "pdfplumber", "pdfminer", "pypdfium2", "docx", "docxtpl", "mailbox",
           "email.parser", "email.feedparser", "html.parser", "xml.parsers", "xml.etree", "xml.dom", "xml.sax",
           "defusedxml", "lxml", "olefile", "msoffcrypto")
# parent-side writers of gipr's own files: the library is used to write (or to render gipr's own
# template), never to read a received file
WRITERS = {
    "gipr.report": ("docx", "docxtpl", "lxml"),  # the annual report, rendered from gipr/formats/report.docx
}
# gipr's own searches whose cost grows with their input: parsers too (the digit splitter)
INTERNAL_PARSERS = ("gipr.published.digits",)
# reached in the main process today through import_document (published.locate → digits); issue 18,
# item 2 moves locate and the digit splitter into the worker (branch `reader`): then these are gone
# and this set can be emptied
PENDING: set[tuple[str, str, str]] = set()  # none: the locator and the digit splitter run in the reader worker
# modules that are the boundary itself
BOUNDARY = ("gipr.isolate",)
# the adapters of the heavy libraries: a call of one counts as an import where it is called
# (boundary_graph), so their own import statements are not held against them
ADAPTERS = ("gipr.thirdparty",)


def is_reader(mod: str) -> bool:
    return under(mod, READER_MODULES)


def worker_code(imports: list[Import]) -> set[tuple[str, str]]:
    """(module, function) pairs that run in a worker: each module's task functions, and the
    functions of other gipr modules they import and call, transitively."""
    done: set[tuple[str, str]] = set()
    todo = [(m, f) for m, p in ALL.items() for f in task_functions(p)]
    by_fn: dict[tuple[str, str], list[Import]] = {}
    top: dict[str, dict[str, str]] = {}  # module -> name -> the gipr module it was imported from (module level)
    for i in imports:
        if i.function:
            by_fn.setdefault((i.module, i.function), []).append(i)
        elif i.target in ALL:
            top.setdefault(i.module, {}).update(dict.fromkeys(i.names, i.target))
    calls = {m: called_names(p) for m, p in ALL.items()}
    while todo:
        key = todo.pop()
        if key in done:
            continue
        done.add(key)
        m, f = key
        for i in by_fn.get(key, ()):  # imported inside the function and called there
            if i.target in ALL:
                todo.extend((i.target, n) for n in i.names if n in calls[m].get(f, ()))
        for n in calls[m].get(f, ()):  # imported at module level and called there
            if n in top.get(m, {}):
                todo.append((top[m][n], n))
    return done


def parser_violations(imports: list[Import]) -> list[str]:
    bad = []
    for i in imports:
        if not under(i.target, PARSERS) or is_reader(i.module) or under(i.module, BOUNDARY + ADAPTERS):
            continue
        allowed = next((libs for pre, libs in WRITERS.items() if under(i.module, (pre,))), ())
        if under(i.target, allowed):
            continue
        bad.append(f"{i.module}:{i.line} ({i.function or 'module level'}) imports {i.target}")
    return bad


def parent_side_violations(imports: list[Import]) -> list[str]:
    workers = worker_code(imports)
    bad = []
    for i in imports:
        if not is_reader(i.target) or is_reader(i.module) or under(i.module, BOUNDARY):
            continue
        if i.function == "<task>" or (i.function and (i.module, i.function) in workers):
            continue  # a task named by string, or code that runs in a worker
        if not i.names:
            bad.append(f"{i.module}:{i.line} imports the reader module {i.target} whole")
            continue
        allowed = getattr(importlib.import_module(i.target), "PARENT_SIDE", ())
        for n in i.names:
            if n not in allowed and f"{i.target}.{n}" not in ALL:
                bad.append(f"{i.module}:{i.line} ({i.function or 'module level'}) takes {n} from {i.target}, "
                           f"which is not in its PARENT_SIDE")
    return bad


def reach_violations(starts: list[tuple[str, str]]) -> dict[tuple[str, str, str], str]:
    """(start module, name, parser reached) -> the chain of calls, for each parser a start
    reaches in this process (calls by name or ``module.function``; a function handed to
    gipr.isolate is an argument, not a call, and is not followed)."""
    out: dict[tuple[str, str, str], str] = {}
    for r, n in starts:
        start = resolve(r, n)
        if start is None:
            continue  # a constant, or a name from outside gipr
        came: dict[tuple[str, str], tuple[str, str] | None] = {start: None}
        todo = [start]
        while todo:
            node = todo.pop()
            calls, libs = uses(*node)
            hit = [node[0]] if under(node[0], INTERNAL_PARSERS) else [x for x in libs if under(x, PARSERS)]
            if hit:
                chain, x = [], node
                while x is not None:
                    chain.append(f"{x[0]}.{x[1]}")
                    x = came[x]
                out[(r, n, hit[0])] = " > ".join(reversed(chain))
                continue
            for c in calls:
                if c not in came:
                    came[c] = node
                    todo.append(c)
    return out


def parent_side_entries() -> list[tuple[str, str]]:
    return [(m, n) for m in ALL if is_reader(m) for n in getattr(importlib.import_module(m), "PARENT_SIDE", ())]


def test_parent_side_names_reach_no_parser_in_this_process():
    """What the main process may call in a reader module never runs a parser in the main
    process: every path from a PARENT_SIDE function to a parser goes through gipr.isolate."""
    found = reach_violations(parent_side_entries())
    bad = {k: v for k, v in found.items() if k not in PENDING}
    assert not bad, "a parser reached in the main process:\n" + "\n".join(f"{k}: {v}" for k, v in bad.items())


def test_the_reach_check_finds_a_parser_behind_a_parent_side_name(tmp_path, monkeypatch):
    p = tmp_path / "fake.py"
    p.write_text(textwrap.dedent("""
        from ..isolate import run_limited

        def load(path):
            run_limited(_in_worker, path, seconds=1)  # behind the boundary: fine
            return _pages(path)

        def _pages(path):
            import pdfplumber
            return pdfplumber.open(path).pages

        def _in_worker(path):
            import pypdfium2
            return pypdfium2.PdfDocument(path)
    """), encoding="utf-8")
    monkeypatch.setitem(ALL, "gipr.read.fake", p)
    try:
        found = reach_violations([("gipr.read.fake", "load")])
    finally:
        _module_info.cache_clear()
        uses.cache_clear()
    assert list(found) == [("gipr.read.fake", "load", "pdfplumber")]
    assert found[("gipr.read.fake", "load", "pdfplumber")] == "gipr.read.fake.load > gipr.read.fake._pages"


def test_parsers_are_imported_only_by_reader_modules():
    bad = parser_violations(graph())
    assert not bad, ("a parser of untrusted bytes outside the reader boundary; move it into a reader module "
                     "(gipr.isolate.READER_MODULES) and call it through gipr.isolate:\n" + "\n".join(bad))


def test_the_main_process_takes_only_parent_side_names_from_readers():
    bad = parent_side_violations(graph())
    assert not bad, ("the main process reaches into a reader: call it through gipr.isolate (a task function, "
                     "or a 'module:function' task name), or list a parse-free name in the module's PARENT_SIDE:\n"
                     + "\n".join(bad))


def test_every_task_name_resolves_to_a_reader_function():
    tasks = [i for i in graph() if i.function == "<task>"]
    assert len(tasks) >= 4  # the mail parser, the mbox scan, the Message-ID, the roster
    for i in tasks:
        assert is_reader(i.target), i
        assert callable(getattr(importlib.import_module(i.target), i.names[0])), i


def test_reader_modules_declare_what_the_main_process_may_take():
    for r in READER_MODULES:
        mod = importlib.import_module(r)
        side = getattr(mod, "PARENT_SIDE", None)
        assert side is not None, r
        for n in side:
            assert hasattr(mod, n), (r, n)


@pytest.mark.parametrize("source, what", [
    ("def read_rows(p):\n    from python_calamine import CalamineWorkbook\n    return CalamineWorkbook.from_path(p)\n",
     "imports python_calamine"),
    ("import pdfplumber\n", "imports pdfplumber"),
    ("from .. import thirdparty\n\ndef pages(p):\n    return thirdparty.pdfplumber().open(p).pages\n",
     "imports pdfplumber"),
    ("from ..thirdparty import docx\n\ndef body(f):\n    return docx().Document(f).element.body\n", "imports docx"),
    ("def f(raw):\n    import email.parser\n    return email.parser.BytesParser().parsebytes(raw)\n",
     "imports email.parser"),
])
def test_a_new_reader_in_the_main_process_is_caught(tmp_path, monkeypatch, source, what):
    """The check fails for a module that parses in the main process, at module level or in
    a function (what a new reader bypassing the boundary would look like)."""
    p = tmp_path / "newreader.py"
    p.write_text(source, encoding="utf-8")
    bad = parser_violations(imports_of("gipr.merge.newreader", p))
    assert bad and what in bad[0]


def test_taking_a_reader_function_in_the_main_process_is_caught(tmp_path, monkeypatch):
    p = tmp_path / "m.py"
    p.write_text(textwrap.dedent("""
        def load(path):
            from ..read import read_report
            return read_report(path)

        def task(path):
            from ..read import read_report
            return read_report(path)

        def limited(path):
            from ..isolate import run_limited
            return run_limited(task, path, seconds=1)
    """), encoding="utf-8")
    monkeypatch.setitem(ALL, "gipr.merge.m", p)
    bad = parent_side_violations(imports_of("gipr.merge.m", p))
    assert len(bad) == 1 and "takes read_report from gipr.read" in bad[0] and ":3 (load)" in bad[0]


# ---------------------------------------------------------------------------------------------
# at run time: what the main process loads, and its peak memory

def one_line_mbox(path: Path, size: int = 1 << 30 if os.name == "posix" else 64 << 20) -> Path:
    """An mbox of one message of ``size`` bytes on one line, written sparsely (no disk used on
    POSIX file systems; elsewhere a smaller one, still past the message limit)."""
    with open(path, "wb") as f:
        f.write(b"From unit@example.cn Mon Jan  5 09:00:00 2026\nSubject: x\n\n")
        f.truncate(size)
    return path


def test_merge_previous_hostile_rollups_are_refused_in_a_worker(tmp_path):
    far = far_cell_rollup(tmp_path / "far.xlsx")
    many = many_rows_rollup(tmp_path / "many.xlsx")
    for bad in (far, many):
        p, probe = run_gipr(tmp_path, "merge", str(RETURNED), "--previous", str(bad), "-o", str(tmp_path / "o.xlsx"))
        err = p.stderr.decode()
        assert p.returncode == 2, err
        assert "无法读取上年数据" in err and "各单位明细" in err and bad.name in err  # Chinese, names the file
        parent_is_clean(probe)
    # the genuine roll-up still gives last year's per-unit numbers (merge --previous with it: test_merge.py)
    from gipr.merge import read_unit_sheet

    rows = read_unit_sheet(ROLLUP)
    assert len(rows) > 20 and all(code and name for code, name, _v in rows)


def test_collect_mailbox_and_roster_are_parsed_in_workers(tmp_path):
    """A one-line 1 GB mbox (sparse), an .eml and a workbook in one run; the roster an .xlsx."""
    import xlsxwriter
    from kit.mailmaker import make_message

    roster = tmp_path / "roster.xlsx"
    wb = xlsxwriter.Workbook(roster)
    sh = wb.add_worksheet()
    for r, line in enumerate((EXAMPLES / "roster.csv").read_text(encoding="utf-8-sig").splitlines()):
        sh.write_row(r, 0, line.split(","))
    wb.close()
    ws = tmp_path / "ws"
    p, probe = run_gipr(tmp_path, "init", str(ws), "--year", "2025", "--roster", str(roster))
    assert p.returncode == 0, p.stderr.decode()
    parent_is_clean(probe)
    src = tmp_path / "in"
    src.mkdir()
    one_line_mbox(src / "huge.mbox")
    book = "2025年度政府信息公开统计表_县商务局.xlsx"
    shutil.copyfile(RETURNED / book, src / book)
    other = "2025年度政府信息公开统计表_县民政局.xlsx"
    (src / "mail.eml").write_bytes(make_message([(other, (RETURNED / other).read_bytes(), "rfc2231")],
                                                sender="x <x@example.cn>", date="Mon, 05 Jan 2026 09:00:00 +0800",
                                                message_id="<b1@example.cn>"))
    p, probe = run_gipr(tmp_path, "collect", "-w", str(ws), str(src), "--json")
    assert p.returncode == 2, p.stderr.decode()
    res = json.loads(p.stdout)
    skipped = [o for o in res["outcomes"] if o["result"] == "skipped"]
    assert [(o["file_name"], o["code"]) for o in skipped] == [("huge.mbox #1", "mail.too_large")]
    assert "邮件过大" in skipped[0]["reason"]
    assert sorted(o["file_name"] for o in res["outcomes"] if o["result"] == "new") == sorted([book, other])
    parent_is_clean(probe)


def test_check_and_import_read_in_a_worker(tmp_path):
    p, probe = run_gipr(tmp_path, "check", str(RETURNED / "2025年度政府信息公开统计表_县商务局.xlsx"))
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    parent_is_clean(probe)
    page = tmp_path / "年报.html"
    page.write_text("<html><body><h1>2025年政府信息公开工作年度报告</h1><table><tr><td>x</td></tr></table>"
                    "</body></html>", encoding="utf-8")
    p, probe = run_gipr(tmp_path, "import", str(page))
    assert p.returncode == 2 and "年报.html" in p.stdout.decode() + p.stderr.decode()
    parent_is_clean(probe)  # the HTML parser ran in the worker


def test_the_mbox_scan_splits_as_mailbox_does(tmp_path, monkeypatch):
    """The streamed scan (read in pieces, down to one byte) finds the same messages with the
    same bytes as the standard library's mailbox.mbox, on random mailboxes."""
    import mailbox
    import random

    from gipr.collect import mailread

    rnd = random.Random(18)
    pieces = [b"From a@b x\n", b"From ", b"\n", b"\n\n", b"x", b"Subject: y\n", b"\r\n", b"From\n", b">From z\n",
              b"abc def\n", b"F", b"rom "]
    path = tmp_path / "box.mbox"
    for chunk in (1, 3, 7, 64, 1 << 20):
        monkeypatch.setattr(mailread, "SCAN_CHUNK", chunk)
        for _ in range(80):
            data = b"".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 30)))
            path.write_bytes(data)
            box = mailbox.mbox(str(path), create=False)
            want = [(box._toc[k], box.get_bytes(k, from_=False)) for k in box.iterkeys()]
            box.close()
            got = mailread.scan_mbox(str(path))
            assert [(a, c) for a, _b, c in got] == [span for span, _raw in want], data
            assert [data[b:c] if b <= c else b"" for _a, b, c in got] == [raw for _s, raw in want], data
