"""Shared pytest fixtures.

* ``soffice``: the LibreOffice executable; skips the test (with the reason) when it is
  missing.  Use with ``tests/lo.py``'s ``lo_convert`` (one soffice process per call,
  private profile, recalculation on load forced).
* ``tests/`` is put on ``sys.path`` so tests can ``import helpers`` and ``import lo``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

from lo import soffice_path  # noqa: E402

SOFFICE_REASON = ("LibreOffice (soffice) is not installed or not on PATH; install libreoffice-calc "
                  "(Debian: apt-get install libreoffice-calc-nogui) to run the real-client tests")


@pytest.fixture(scope="session")
def soffice() -> str:
    exe = soffice_path()
    if exe is None:
        pytest.skip(SOFFICE_REASON)
    return exe


@pytest.fixture(autouse=True)
def _private_config_home(tmp_path_factory, monkeypatch):
    """gipr keeps a user's workbench token and recent workspaces in the user's config folder:
    every test gets its own (GIPR_CONFIG_HOME; subprocesses inherit it), never the real one."""
    monkeypatch.setenv("GIPR_CONFIG_HOME", str(tmp_path_factory.mktemp("config-home")))
