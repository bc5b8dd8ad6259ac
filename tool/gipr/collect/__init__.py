"""Collecting returned workbooks (``gipr init``, ``gipr collect``, ``gipr status``).

``workspace`` (one year's collection: config, roster, ledger, archive), ``ledger`` (SQLite
record of every submission and the archive of raw bytes), ``collect`` (files, folders, .eml,
mbox, Maildir → ledger), ``documents`` (a unit's annual report document beside its workbook),
``mailparse`` (hostile mail parsing), ``imap`` (fetching from a mailbox), ``submitted`` (a
workspace's submissions as Reports).  The status report (``gipr status``) is :mod:`gipr.merge.status`.
"""

from __future__ import annotations

from .collect import Collector, CollectResult, Outcome
from .collect import collect as collect_paths

__all__ = ["CollectResult", "Collector", "Outcome", "collect_paths"]
