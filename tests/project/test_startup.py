"""What gipr's main process loads at start-up: none of the heavy libraries for `gipr --help`,
`gipr version` and `gipr check x.xlsx` (issue 21).

The heavy libraries are reached only through gipr.thirdparty (an import-linter contract in
pyproject.toml holds every other module to that); this checks the outcome at run time, in a
fresh interpreter that runs the command as ``python -m gipr.cli`` does and writes
``sorted(sys.modules)`` at exit (kit.probe, as for the reader boundary).  The workbook is read
in a reader worker, so calamine does not load in the main process of `gipr check` either.
Start-up times: benchmarks/bench_startup.py.
"""

from __future__ import annotations

import inspect

import pytest
from kit.paths import EXAMPLES
from kit.probe import run_gipr

from gipr import thirdparty

WORKBOOK = EXAMPLES / "returned" / "2025年度政府信息公开统计表_县商务局.xlsx"

# every library behind an adapter of gipr.thirdparty, what they bring in (pdfminer, onnxruntime,
# OpenCV, PIL, lxml), openpyxl (not used by gipr) and the workbook parser (used in the worker)
HEAVY = ("pdfplumber", "pdfminer", "pypdfium2", "docx", "docxtpl", "jinja2", "starlette", "uvicorn",
         "rapidocr_onnxruntime", "onnxruntime", "cv2", "numpy", "keyring", "PIL", "lxml", "openpyxl",
         "python_calamine")


def loaded_by(tmp_path, *args: str):
    """Run ``gipr *args`` in a fresh interpreter (kit.probe): (the process, the modules its main
    process held at exit)."""
    p, probe = run_gipr(tmp_path, *args)
    return p, probe["modules"]


def heavy_in(modules: list[str]) -> list[str]:
    """The heavy libraries (top-level names) among ``modules``."""
    return sorted({m.split(".")[0] for m in modules} & set(HEAVY))


def test_every_adapter_is_watched():
    """A library put behind a new adapter is checked here too (the adapter is named as its module)."""
    adapters = [n for n, f in inspect.getmembers(thirdparty, inspect.isfunction) if f.__module__ == thirdparty.__name__]
    assert len(adapters) >= 10
    assert set(adapters) <= set(HEAVY)


@pytest.mark.parametrize("args", [("--help",), ("version",)])
def test_help_and_version_load_no_heavy_library(tmp_path, args):
    p, modules = loaded_by(tmp_path, *args)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    assert b"gipr" in p.stdout
    assert not heavy_in(modules), f"gipr {' '.join(args)} loaded {heavy_in(modules)}"


def test_check_loads_no_heavy_library_in_the_main_process(tmp_path):
    p, modules = loaded_by(tmp_path, "check", str(WORKBOOK))
    assert p.returncode == 0, p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
    assert "通过 1 个" in p.stdout.decode("utf-8")  # the workbook was read (in a worker) and checked
    assert "gipr.check.run" in modules
    assert not heavy_in(modules), f"gipr check loaded {heavy_in(modules)} in the main process"
