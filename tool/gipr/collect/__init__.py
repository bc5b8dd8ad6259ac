"""Collecting returned workbooks (``gipr init``, ``gipr collect``, ``gipr status``).

``workspace`` (one year's collection: config, roster, ledger, archive), ``ledger`` (SQLite
record of every submission and the archive of raw bytes), ``collect`` (files, folders, .eml,
mbox, Maildir → ledger), ``documents`` (a unit's annual report document beside its workbook),
``mailparse`` (hostile mail parsing), ``imap`` (fetching from a mailbox), ``status`` (the status
report and workbook).
"""

from __future__ import annotations

from .collect import Collector, CollectResult, Outcome
from .collect import collect as collect_paths
from .status import status_report, write_status_xlsx

__all__ = ["CollectResult", "Collector", "Outcome", "collect_paths", "status_report", "write_status_xlsx"]
