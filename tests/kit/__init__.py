"""What the tests share: importable as ``kit`` because pyproject.toml's pytest ``pythonpath``
puts tests/ on sys.path (gipr.isolate's spawned workers inherit it; the benchmarks put it there).

paths           the repository's folders and the test data folders, each defined once
helpers         filling workbooks (openpyxl), random and consistent values, run_cli
workbooks       the reader/check kit: a unit, its template, filled copies, zip surgery
corpus          the bad-input corpus (also a script: python tests/kit/corpus.py OUTDIR)
county          a test county of real workbooks and the independent reading of a roll-up
mailmaker       real e-mail messages, mbox and maildir
mailservers     aiosmtpd and dovecot on free local ports, a workspace's [mail] settings
lo              LibreOffice conversions (one soffice process per call, private profile)
published_media real published tables rendered as Word, PDF, web pages, flat text
scanmaker       scanned reports made from published tables
realdocs        scoring of the real published reports in tests/realdocs
uiserver        a real gipr ui server in a thread, example workspaces, uploads
browser         headless Chromium through selenium
clerkwords      what a clerk must never read, and what a page shows
isolate_targets functions run inside gipr.isolate's worker processes
boundary_graph  the import graph behind the reader boundary
probe           gipr run in a subprocess, watched: modules loaded, peak memory
limits_doc      the README's tables of limits (python tests/kit/limits_doc.py --write-readme)
"""
