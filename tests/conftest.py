"""Shared pytest fixtures.

* ``soffice``: the LibreOffice executable; skips the test (with the reason) when it is
  missing.  Use with ``tests/kit/lo.py``'s ``lo_convert`` (one soffice process per call,
  private profile, recalculation on load forced).

The tests' shared code is the package ``tests/kit`` (``from kit.lo import lo_convert``):
pyproject.toml's pytest ``pythonpath = ["tests"]`` puts tests/ on ``sys.path``.
"""

from __future__ import annotations

import pytest
from kit.lo import soffice_path

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
