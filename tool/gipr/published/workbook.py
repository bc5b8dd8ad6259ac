"""An imported report as a normal gipr workbook of its year and format (``gipr import --out``):
the template writer with the imported numbers in the input cells (totals are the template's
live formulas), the issuer as the unit, so ``gipr check``, ``gipr merge`` and ``--previous``
read it like any returned workbook."""

from __future__ import annotations

from pathlib import Path

from ..roster import Unit
from ..template import template_filename, write_template
from ..values import Number

__all__ = ["input_numbers", "write_workbook"]
PARENT_SIDE = tuple(__all__)  # writes gipr's own workbook from a plain Report


def input_numbers(report) -> dict[str, Number | None]:
    """The input cells that hold a number (blank, unknown and unreadable cells stay blank)."""
    return {c.id: report.values[c.id].number for c in report.spec.inputs
            if c.id in report.values and report.values[c.id].state == "number"}


def write_workbook(report, outdir: str | Path, *, overwrite: bool = False) -> Path:
    year = report.year
    unit = Unit(code=report.unit_code, name=report.unit_name, category="", contact="", email="", line=0) \
        if report.unit_name else None
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / template_filename(year, unit)
    return write_template(path, report.spec, year=year, unit=unit, overwrite=overwrite,
                          values=input_numbers(report))
