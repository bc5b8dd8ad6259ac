"""The real published reports of tests/realdocs/ (see its README): for every document and
every medium file in it, ``gipr import`` then the checks of ``gipr check`` in one run; every
transcribed cell is read exactly or is unknown with a finding that says why, none is wrong,
and the error and warning findings are exactly the document's golden list (a false error or
a lost warning fails).  The scoring is tests/kit/realdocs.py (also used by
benchmarks/bench_corpus.py)."""

from __future__ import annotations

import pytest
from kit import realdocs as rd

DOCS = rd.documents()


def test_corpus_is_there():
    assert len(DOCS) >= 60  # issue 17: at least 60 real reports
    for d in DOCS:
        exp = rd.load(d)
        assert exp["sources"] and all((d / s["file"]).is_file() for s in exp["sources"]), d.name
        assert set(exp.get("findings", {})) == {s["file"] for s in exp["sources"]}, f"{d.name}: golden findings per medium"


@pytest.fixture(scope="module")
def results():
    return {(r.doc, r.medium): r for r in rd.run_corpus(DOCS)}


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_cell_right_or_honestly_unknown(results, doc):
    for medium in rd.media(doc):
        r = results[(doc.name, medium)]
        assert r.error is None, f"{medium}: {r.error}"
        assert r.wrong == [], f"{medium}: wrong cells {r.wrong}"
        assert r.unexplained == [], f"{medium}: unknown without a finding saying why {r.unexplained}"
        assert r.false_findings == [] and r.missing_findings == [], \
            f"{medium}: false {r.false_findings}, missing {r.missing_findings}"
