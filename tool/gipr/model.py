"""The shared data types: a Report (one workbook's values by cell id) and a Finding."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .spec import Spec
from .values import Number, Value


@dataclass
class Finding:
    code: str  # stable, e.g. "rule.A", "cell.blank", "file.encrypted"
    severity: str  # "error" | "warning" | "info"
    message: str  # one Chinese sentence with the numbers
    cell: str | None = None  # cell id
    ref: str | None = None  # sheet!A1
    path: str | None = None  # official label path
    rule: str | None = None  # rule instance id

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "cell": self.cell,
            "ref": self.ref,
            "path": self.path,
            "rule": self.rule,
            "message": self.message,
        }


@dataclass
class Report:
    """One statistics table read against a format: a unit's returned workbook, a roll-up, or a
    published annual report read back (gipr.published).

    ``values`` holds every value cell of the spec, inputs and totals, as parsed from the
    file (a total holds the *stored* value; checks recompute it).  ``fields`` holds the
    cover fields as text.
    """

    spec: Spec
    file: str  # path or display name
    values: dict[str, Value] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    identity: dict[str, str] = field(default_factory=dict)  # from the hidden sheet / properties
    findings: list[Finding] = field(default_factory=list)  # found while reading
    kind: str = "unit"  # "unit" | "rollup"
    units: list[dict[str, Any]] = field(default_factory=list)  # for a roll-up: who it covers
    sha256: str | None = None
    # where each value / cover field was actually read ("sheet!A1"), by cell id or field id;
    # differs from Cell.address when the reader found a moved table by its labels
    locations: dict[str, str] = field(default_factory=dict)
    # "workbook" or "published" (a report read from a published document: its printed totals
    # are checked as printed, and its text is compared with its tables)
    source: str = "workbook"
    text: str = ""  # a published document's text
    # cells printed as one number (（六）其他处理 as one row): (cell ids, the printed number)
    groups: list[tuple[list[str], Number]] = field(default_factory=list)

    @property
    def unit_name(self) -> str:
        return self.fields.get("unit_name", "") or self.identity.get("unit_name", "")

    @property
    def unit_code(self) -> str:
        return self.identity.get("unit_code", "") or self.fields.get("unit_code", "")

    @property
    def year(self) -> int | None:
        for src in (self.fields.get("year"), self.identity.get("year")):
            if src:
                digits = "".join(ch for ch in str(src) if ch.isdigit())
                if len(digits) >= 4:
                    return int(digits[:4])
        return None

    def number(self, cid: str) -> Number | None:
        v = self.values.get(cid)
        return v.number if v is not None and v.state == "number" else None
