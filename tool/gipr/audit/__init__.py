"""``gipr audit``: a region's published annual reports reviewed in one run.

:func:`run_audit` (``run``) reads every report document under the given paths in parallel
(``docs.audit_one`` in reader workers), folds the issuers' names (``issuers``), checks each
report with the list of checks (:mod:`gipr.check.checks`), each issuer's chain of years, and
each publication date against its deadline (:mod:`gipr.figures`); ``report`` gives its JSON,
``workbook`` the audit workbook, ``html`` the printable summary.
"""

from __future__ import annotations

from .run import Audit, IssuerYear, run_audit

__all__ = ["Audit", "IssuerYear", "run_audit"]
