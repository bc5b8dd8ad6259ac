"""Shared pytest fixtures.

* ``soffice``: the LibreOffice executable; skips the test (with the reason) when it is
  missing.  Use with ``tests/kit/lo.py``'s ``lo_convert`` (one soffice process per call,
  private profile, recalculation on load forced).
* ``example_workspace``: the example county's workspace with its returned workbooks
  collected, built once per session; each call copies it (``example_workspace(tmp_path / "ws")``).

The tests' shared code is the package ``tests/kit`` (``from kit.lo import lo_convert``):
pyproject.toml's pytest ``pythonpath = ["tests"]`` puts tests/ on ``sys.path``.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from kit.helpers import run_cli
from kit.lo import soffice_path
from kit.paths import EXAMPLES, ROSTER

from gipr.collect.workspace import Workspace

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


@pytest.fixture(scope="session")
def example_workspace(tmp_path_factory) -> Callable[..., Path]:
    """``example_workspace(dst, county="示例县")``: a copy at ``dst`` of the example county's
    year-2025 workspace (examples/roster.csv) with all of examples/returned collected, as
    `gipr init` + `gipr collect` leave it.  Built once per county name in the session (collect
    reads 30 workbooks in worker processes); every caller gets its own copy, so tests cannot
    interfere.  The workspace holds no absolute path, so a copy is a workspace of its own."""
    built: dict[str, Path] = {}

    def copy_to(dst: Path, county: str = "示例县") -> Path:
        if county not in built:
            ws = tmp_path_factory.mktemp("example-workspace") / "ws"
            Workspace.create(ws, 2025, ROSTER, county=county).close()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                assert run_cli("collect", EXAMPLES / "returned", "-w", ws, "-q") in (0, 1)  # 2 units have errors
            built[county] = ws
        return Path(shutil.copytree(built[county], dst))

    return copy_to
