"""``run_merge``: paths or a workspace → the roll-up workbook (and HTML), the JSON result."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..collect.workspace import Workspace, find_workspace_dir
from ..errors import GiprError, ReadError
from ..files import find_input_files
from ..messages import say
from ..read import read_report_limited
from ..roster import Unit, load_roster, region_from_roster
from ..spec import format_for_year, load_format
from ..values import to_json_number
from .entries import EXCLUDED_ERRORS, INCLUDED_ERRORS, MISSING, UNREADABLE, entries_from_paths, rollup_name
from .html import write_html
from .plan import MergeResult, plan_merge
from .review import record
from .stored import entries_from_workspace
from .writer import atomic_output_path, build_rollup_file
from .years import change_counts, compare_years, load_previous_year

# ---------------------------------------------------------------------------------
# the whole job


def check_outputs(out: Path, html: Path | None, force: bool) -> None:
    """Refuse early (before any reading) to overwrite without --force, or a wrong suffix."""
    if out.suffix.lower() != ".xlsx":
        raise GiprError(say("merge.out_suffix", path=out), "merge.out_suffix")
    if html is not None and html.suffix.lower() not in (".html", ".htm"):
        raise GiprError(say("merge.html_suffix", path=html), "merge.html_suffix")
    if html is not None and html.resolve() == out.resolve():
        raise GiprError(say("merge.same_output"), "merge.same_output")
    for p in (out, html):
        if p is not None and p.exists() and not force:
            raise GiprError(say("output.exists", path=p), "output.exists")
        if p is not None and p.exists() and p.is_dir():
            raise GiprError(say("output.is_dir", path=p), "output.is_dir")


def merge(*, out: str | Path, paths: Sequence[str | Path] = (), workspace: str | Path | None = None,
          roster: str | Path | None = None, year: int | None = None, county: str | None = None,
          previous: str | Path | None = None, include_errors: bool = False, html: str | Path | None = None,
          force: bool = False, jobs: int | None = None, now: _dt.datetime | None = None,
          cover: Mapping[str, str] | None = None, recheck: bool = False,
          previous_label: str | None = None) -> MergeResult:
    """``gipr merge``: read, check, plan, sum, write the roll-up (and the HTML page).

    ``now`` fixes the generation time written into the roll-up (reproducible files);
    ``cover``: cover fields of the roll-up itself (``filler``, ``phone``), written as text;
    ``recheck``: a workspace merge reads every file again instead of using stored results;
    ``previous_label``: how last year's file is named to the user (the web workbench keeps a
    copy of an upload under a name of its own). A workspace merge with ``previous`` records
    the carry-over breaks in the ledger (merge.review: the units 需核对)."""

    out = Path(out)
    html_p = Path(html) if html is not None else None
    check_outputs(out, html_p, force)
    if workspace is not None and paths:
        raise GiprError(say("merge.both_sources"), "merge.both_sources")
    if workspace is None and not paths:
        workspace = find_workspace_dir(Path.cwd())  # run inside a workspace: merge it
        if workspace is None:
            raise GiprError(say("merge.no_input_here"), "merge.no_input")
    counts = {"from_ledger": 0, "reread": 0}
    if workspace is not None:
        if roster is not None or year is not None:
            raise GiprError(say("merge.workspace_options"), "merge.workspace_options")
        ws = Workspace.open(workspace)
        try:
            spec = load_format(ws.format)
            year = ws.year
            county = county if county is not None else ws.county
            units: list[Unit] | None = ws.roster
            entries = entries_from_workspace(ws, spec=spec, jobs=jobs, recheck=recheck, counts=counts)
        finally:
            ws.close()
        sources = [say("merge.source_workspace", path=Path(workspace).resolve().name)]
    else:
        if not paths:
            raise GiprError(say("merge.no_input"), "merge.no_input")

        units = load_roster(roster) if roster is not None else None
        if year is None:
            year = _guess_year(paths, [out] + ([html_p] if html_p else []))
        try:
            spec = load_format(format_for_year(int(year)))
        except Exception as e:
            raise GiprError(str(e), "merge.year") from None
        entries = entries_from_paths(paths, spec=spec, year=int(year), roster=units,
                                     exclude=[out] + ([html_p] if html_p else []), jobs=jobs)
        sources = [str(p) for p in paths]
        counts["reread"] = len(entries)
    prev = load_previous_year(previous, jobs=jobs) if previous is not None else None
    if prev is not None and previous_label:
        prev.source = previous_label
    notes: list[str] = []
    if not county and prev is not None and prev.county_name:
        county = prev.county_name
        notes.append(say("rollup.county_from_previous", county=county))
    if not county and roster is not None:
        county = region_from_roster(roster)
        if county:
            notes.append(say("rollup.county_from_roster", county=county))
    result = plan_merge(spec, int(year), county or "", entries, units, include_errors=include_errors,
                        sources=sources)
    result.notes[:0] = notes
    result.from_ledger, result.reread = counts["from_ledger"], counts["reread"]
    result.cover = {k: str(v) for k, v in (cover or {}).items() if v}
    if now is not None:
        result.generated = now.astimezone().replace(microsecond=0).isoformat()
    if prev is not None:
        if prev.year is not None and prev.year != int(year) - 1:
            result.notes.append(say("merge.previous_year", source=prev.source, year=prev.year, expected=int(year) - 1))
        result.previous = prev
        result.changes = compare_years(spec, result, prev)
        if workspace is not None:
            with Workspace.open(workspace) as ws:
                record(ws, result, prev.source)
    with atomic_output_path(out, force) as tmp:
        build_rollup_file(tmp, result)
        if html_p is not None:
            write_html(html_p, spec, result.values, overwrite=force,
                       title=say("merge.html_title", name=result.county or rollup_name(""), year=result.year),
                       subtitle=say("merge.html_subtitle"))
    return result


def _guess_year(paths: Sequence[str | Path], exclude: Sequence[Path]) -> int:
    """The report year of the first readable input (when --year is not given)."""

    skip = {p.resolve() for p in exclude}
    for f in find_input_files(paths)[:20]:
        if f.resolve() in skip:
            continue
        try:
            rep = read_report_limited(f)
        except ReadError:
            continue
        if rep.year:
            return rep.year
    raise GiprError(say("merge.no_year"), "merge.no_year")


run_merge = merge  # the name other front ends use


def merge_json(result: MergeResult, *, out: str | Path, html: str | Path | None = None) -> dict[str, Any]:
    """What ``gipr merge --json`` prints for a finished merge (the same dict for any front end)."""

    f_err = [c for c in result.changes if c.severity == "error"]
    counts = change_counts(result.changes)
    return {
        "out": str(out), "html": str(html) if html else None, "year": result.year, "county": result.county,
        "format": result.spec.id,
        "included": [{"code": e.code, "name": e.name, "file": e.file, "errors": e.errors,
                      "marked": e.status == INCLUDED_ERRORS} for e in result.included],
        "excluded": [{"code": e.code, "name": e.name, "file": e.file, "errors": e.errors,
                      "reason": e.first_error} for e in result.of_status(EXCLUDED_ERRORS)],
        "unreadable": [{"code": e.code, "file": e.file, "reason": e.note} for e in result.of_status(UNREADABLE)],
        "missing": [{"code": e.code, "name": e.name} for e in result.of_status(MISSING)],
        "values": {k: to_json_number(v) for k, v in result.values.items()},
        "previous": {"source": result.previous.source,
                     "rule_f": [{"code": c.code, "name": c.name, "cell": c.cell, "message": c.message}
                                for c in f_err],
                     "large_changes": counts["large"], "not_merged": counts["not_merged"]}
        if result.previous else None,
        "notes": result.notes,
        "from_ledger": result.from_ledger,
        "reread": result.reread,
    }
