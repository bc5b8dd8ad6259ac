"""What the units submitted, as Reports: ``gipr check --against`` and ``gipr collect --previous``
take a workbook, a folder of workbooks or published documents, or a workspace (its ledger's
current submission of each unit, named through the roster)."""

from __future__ import annotations

from pathlib import Path

from ..errors import ReadError
from ..model import Report
from ..read import read_report_limited
from ..sources import open_reports
from .workspace import Workspace, find_workspace_dir

__all__ = ["submitted_reports"]


def submitted_reports(path: Path) -> list[Report]:
    """The reports in a workspace (each unit's current submission), or in the workbooks and
    documents of ``path`` (:func:`gipr.sources.open_reports`)."""
    if not (path.is_dir() and find_workspace_dir(path) is not None):
        return open_reports(path)
    with Workspace.open(path) as ws:
        out = []
        for code, sub in ws.ledger.current().items():
            try:
                rep = read_report_limited(sub.archive_path, name=sub.file_name)
            except ReadError:
                continue
            u = ws.unit(code)
            if u is not None and not rep.unit_name:
                rep.fields["unit_name"] = u.name
            if u is not None:
                rep.identity.setdefault("unit_name", u.name)
            out.append(rep)
        return out
