"""Spec → protected .xlsx template (xlsxwriter).

Everything in the workbook comes from the ``Spec``: the labels and merges of the official
tables (``TableLayout.labels``), where each value cell sits (``Cell.rowx/colx``), which
cells are totals and what they sum (``Cell.parts``), the data validation by type
(``Spec.types``), and the live checks under each table (``Spec.rules``).  Nothing here
names a row, a column or a rule of a particular format.

Workbook layout:

* the cover sheet (``Spec.cover_sheet``): title, the cover fields at their spec positions
  (unit name, code and year pre-filled and locked in a personalised template; the filler's
  name, phone and date to fill), short instructions, and a summary of the live checks;
* one sheet per table, in the official layout, A4 landscape, 1 page wide, header rows
  repeated; input cells coloured and unlocked; totals are live ``SUM`` formulas written
  with their cached value (what Excel would compute, so a file read before any
  recalculation is right); below the table a live check area: one status per rule
  instance (通过 / 不通过 / 未填完), a count of unfilled input cells, and conditional
  formatting that turns the cells of a failing rule red while the unit types;
* the very hidden identity sheet and custom properties (see ``gipr.stamp``).

Protection (of each sheet, and of the workbook's structure so sheets cannot be added,
deleted, moved or renamed) is a convenience that keeps units from breaking the layout by accident, not
a security boundary (the default password is ``DEFAULT_PASSWORD``); gipr never trusts a
returned workbook and recomputes everything from the input cells.

``TemplateFactory`` renders many personalised templates fast: it builds the workbook once
per (format, year) with placeholder strings and then, per unit, rewrites only the zip
members that differ (shared strings, document properties).

Modules: ``formulas`` (values, totals, rule status, formulas, rule G), ``layout`` (check block,
heights, formats), ``writer`` (one workbook), ``batch`` (one per unit, fast).
"""

from __future__ import annotations

from .batch import TemplateFactory, TemplateResult, plan_filenames, write_templates
from .formulas import STATUS_FAIL, STATUS_INCOMPLETE, STATUS_PASS, compute_totals, rule_status, total_formula
from .layout import WORKBOOK_OPTIONS, CheckLayout, check_layout
from .writer import DEFAULT_PASSWORD, build_workbook, check_password, template_filename, write_template

__all__ = [
           "DEFAULT_PASSWORD",
           "STATUS_FAIL",
           "STATUS_INCOMPLETE",
           "STATUS_PASS",
           "WORKBOOK_OPTIONS",
           "CheckLayout",
           "TemplateFactory",
           "TemplateResult",
           "build_workbook",
           "check_layout",
           "check_password",
           "compute_totals",
           "plan_filenames",
           "rule_status",
           "template_filename",
           "total_formula",
           "write_template",
           "write_templates",
]
