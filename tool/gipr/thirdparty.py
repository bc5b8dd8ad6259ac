"""The heavy third-party libraries: one function each, which imports the library on first
use and returns it.  Every other gipr module calls these instead of importing the library
itself (the import-linter contract "heavy libraries only through gipr.thirdparty" in
pyproject.toml); type annotations import the library under ``if TYPE_CHECKING:``.  A command
that does not use one of them never pays for it: tests/project/test_startup.py checks that
``gipr --help`` and ``gipr check x.xlsx`` load none of them in the main process, and
benchmarks/bench_startup.py measures the start-up.

"Heavy" is measured, not guessed: each cost below is what importing the library adds to an
interpreter that already holds what ``gipr --help`` loads (typer, rich, xlsxwriter, the
standard library), the best of several fresh processes on the 2-core development machine at
load average 4, with the modules it brings in::

    python benchmarks/bench_startup.py --imports

A library that costs under about 20 ms there has no adapter and is imported where it is used:
xlsxwriter (17 ms), filelock (12 ms), PIL.Image (9 ms), lxml.etree (5 ms), defusedxml (4 ms),
python_multipart (3 ms), olefile (3 ms), python_calamine and markupsafe (1 ms).  Those that
parse received bytes (calamine, olefile, defusedxml, lxml, PIL) stay imported inside the
functions of the reader modules that use them, for the process boundary and not for their
cost: a reader module is also imported by the main process for its ``PARENT_SIDE`` names, and
a parser must load only in a reader worker (tests/test_boundary.py, which counts a call of the
functions below as an import of their library).  openpyxl (about 270 ms) is not used by gipr
at all; the contract forbids it too.

Each function imports the submodules gipr uses, so that ``lib.sub.name`` is always bound.
"""

from __future__ import annotations

from types import ModuleType


def pdfplumber() -> ModuleType:
    """pdfplumber with pdfplumber.table (the table finder used on PDF and scanned pages):
    about 85 ms and 98 modules (pdfminer, PIL)."""
    import pdfplumber
    import pdfplumber.table

    return pdfplumber


def pypdfium2() -> ModuleType:
    """pypdfium2 with pypdfium2.raw (PDFium's C functions): about 40 ms and 33 modules."""
    import pypdfium2
    import pypdfium2.raw

    return pypdfium2


def docx() -> ModuleType:
    """python-docx, with the submodules gipr uses (enum.section, enum.text, oxml, oxml.ns,
    shared): about 80 ms and 100 modules (lxml)."""
    import docx
    import docx.enum.section
    import docx.enum.text
    import docx.oxml
    import docx.oxml.ns
    import docx.shared

    return docx


def docxtpl() -> ModuleType:
    """docxtpl (the annual report from its Word template): about 190 ms and 130 modules
    (python-docx, jinja2, lxml)."""
    import docxtpl

    return docxtpl


def jinja2() -> ModuleType:
    """jinja2 with jinja2.meta: about 30 ms and 21 modules."""
    import jinja2
    import jinja2.meta

    return jinja2


def starlette() -> ModuleType:
    """starlette, with the submodules the workbench uses (applications, concurrency,
    exceptions, requests, responses, routing, staticfiles): about 80 ms and 86 modules
    (anyio, asyncio)."""
    import starlette
    import starlette.applications
    import starlette.concurrency
    import starlette.exceptions
    import starlette.requests
    import starlette.responses
    import starlette.routing
    import starlette.staticfiles

    return starlette


def uvicorn() -> ModuleType:
    """uvicorn (the workbench's server): about 35 ms and 85 modules (asyncio)."""
    import uvicorn

    return uvicorn


def rapidocr_onnxruntime() -> ModuleType:
    """RapidOCR's ONNX build (the optional extra ``gipr[ocr]``; ImportError without it):
    about 440 ms and 230 modules (onnxruntime, OpenCV, numpy)."""
    import rapidocr_onnxruntime

    return rapidocr_onnxruntime


def numpy() -> ModuleType:
    """numpy (the scanned-page image steps): about 125 ms and 89 modules."""
    import numpy

    return numpy


def keyring() -> ModuleType:
    """keyring with keyring.backends.chainer and .fail (mail passwords in the operating
    system's credential store): about 23 ms and 58 modules (its backends, jaraco, D-Bus)."""
    import keyring
    import keyring.backends.chainer
    import keyring.backends.fail

    return keyring
