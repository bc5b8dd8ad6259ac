"""Reports → the county roll-up (汇总表): ``gipr merge``.

The roll-up is the cell-by-cell sum of the units' input cells; its totals are recomputed
from those sums (never taken from a file) by :mod:`gipr.rules`.  Numbers are exact: counts
are ``int``, the 万元 amounts ``Decimal``.  The roll-up workbook is written by the template
writer in the official layout (live total formulas with correct cached values), so the
roll-up is itself a report of the same format: ``gipr check`` passes on it and ``gipr merge``
accepts it as an input one level up (county → city → province).

Pipeline (one module each)::

    paths / workspace ──► entries: Entry per input (read_report + check_report, in workers)
                     ──► plan: roster match, duplicates, roll-up overlap, errors in/out → MergeResult
                     ──► years: last year, rule F
                     ──► writer: the roll-up .xlsx  ──► html: the roll-up page (.html)
    status: ``gipr status`` (each unit's submission and what the roll-up takes of it).
    run: run_merge(...) does it all and returns the result; ``merge_json`` is what --json prints.
"""

from __future__ import annotations

from ..files import READABLE_SUFFIXES as INPUT_SUFFIXES
from ..files import find_input_files
from ..rules import complete, input_ids, sum_inputs, value_ids
from .entries import (
                      EXCLUDED_ERRORS,
                      INCLUDED,
                      INCLUDED_ERRORS,
                      MISSING,
                      UNREADABLE,
                      Entry,
                      entries_from_paths,
                      entry_values,
                      read_entries,
)
from .plan import MergeResult, plan_merge
from .run import merge, merge_json, run_merge
from .stored import entries_from_workspace
from .writer import write_rollup
from .years import Previous, YearChange, compare_years, load_previous_year, read_unit_sheet

__all__ = [
                      "EXCLUDED_ERRORS",
                      "INCLUDED",
                      "INCLUDED_ERRORS",
                      "INPUT_SUFFIXES",
                      "MISSING",
                      "UNREADABLE",
                      "Entry",
                      "MergeResult",
                      "Previous",
                      "YearChange",
                      "compare_years",
                      "complete",
                      "entries_from_paths",
                      "entries_from_workspace",
                      "entry_values",
                      "find_input_files",
                      "input_ids",
                      "load_previous_year",
                      "merge",
                      "merge_json",
                      "plan_merge",
                      "read_entries",
                      "read_unit_sheet",
                      "run_merge",
                      "sum_inputs",
                      "value_ids",
                      "write_rollup",
]
