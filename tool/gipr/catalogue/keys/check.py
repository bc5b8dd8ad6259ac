"""The keys of catalogue/check.py as a type, so that mypy checks ``say("…")`` at each call.

Written by ``python tests/project/test_texts.py --write-keys`` from the texts; tests/project/test_texts.py
fails when this list and the texts differ."""

from __future__ import annotations

from typing import Literal

CheckKey = Literal[
    "check.checks.checks",
    "check.checks.checks_2",
    "check.checks.checks_3",
    "check.feedback.font",
    "check.similar.meta",
    "cli.bad_format",
    "cli.bad_option_value",
    "cli.bad_previous",
    "cli.bad_year",
    "cli.empty_folder",
    "cli.empty_folder_check",
    "cli.empty_folder_docs",
    "cli.export_format",
    "cli.export_unreadable",
    "cli.export_written",
    "cli.feedback_failed",
    "cli.feedback_file",
    "cli.feedback_heads",
    "cli.feedback_intro",
    "cli.feedback_none",
    "cli.feedback_sheet",
    "cli.feedback_stem",
    "cli.feedback_title",
    "cli.feedback_written",
    "cli.import_failed",
    "cli.import_ok",
    "cli.import_partial",
    "cli.import_summary",
    "cli.import_written",
    "cli.internal",
    "cli.merge_reads",
    "cli.meta",
    "cli.no_unit",
    "cli.no_year",
    "cli.previous_empty",
    "cli.previous_unreadable",
    "cli.rollup",
    "cli.status_errors",
    "cli.status_ok",
    "cli.status_warnings",
    "cli.summary",
    "cli.unreadable",
]
