"""Report × rules → findings (``gipr check``).

``findings``: ``check_report`` (values, stored totals, every rule of the format through
:mod:`gipr.rules`, cover, identity), the export record and last year's data for rule F;
``feedback``: the feedback workbook (the unit's file with its problems marked);
``run``: ``run_check`` — paths and options → a ``CheckRun`` whose ``to_json()`` is what
``gipr check --json`` prints.
"""

from __future__ import annotations

from .checks import check_report
from .findings import (
                       MAX_RAW_SHOWN,
                       CheckContext,
                       export_record,
                       has_errors,
                       match_unit,
                       pick_previous,
                       recompute,
                       summarize,
)
from .run import CheckRun, export_records, run_check

__all__ = [
                       "MAX_RAW_SHOWN",
                       "CheckContext",
                       "CheckRun",
                       "check_report",
                       "export_record",
                       "export_records",
                       "has_errors",
                       "match_unit",
                       "pick_previous",
                       "recompute",
                       "run_check",
                       "summarize",
]
