"""The one definition of each folder the tests read from: the repository, its examples, and
the test data kept beside the tests (fixtures, real reports, the corpus)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
README = REPO / "README.md"
PACKAGE = REPO / "tool" / "gipr"
EXAMPLES = REPO / "examples"
ROSTER = EXAMPLES / "roster.csv"
FIXTURES = TESTS / "fixtures"
REALDOCS = TESTS / "realdocs"
CORPUS = TESTS / "corpus"
