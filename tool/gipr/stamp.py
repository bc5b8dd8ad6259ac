"""The identity stamp: which format, year and unit a workbook was made for, signed.

Every workbook gipr writes carries this stamp (its "identity") twice:

* a very hidden sheet ``_gipr`` (``IDENTITY_SHEET``): rows of ``key | value``, then an
  empty row, then, for roll-ups, a header row of unit keys (``code``, ``name``, …) and one
  row per unit covered;
* custom document properties ``gipr.<key>`` (they survive a LibreOffice re-save and
  tools that drop hidden sheets).

The identity is signed with HMAC-SHA256 using a key built into gipr.  **This is
tamper-evidence, not security**: the key ships with the (open) source, so anyone
determined can forge a signature.  It catches the common accidents — a template copied
from another unit, a workbook re-created by hand, an identity edited in a hex editor or
an old template of another format — and lets gipr match a returned file to its unit.
The numbers are never trusted because of a valid signature: gipr always recomputes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import json
import uuid
from typing import TYPE_CHECKING, Any

from . import __version__
from .roster import Unit
from .spec import Spec
from .text import cell_text

if TYPE_CHECKING:  # pragma: no cover
    import xlsxwriter


__all__ = [
    "IDENTITY_KEYS",
    "IDENTITY_SHEET",
    "KINDS",
    "PROPERTY_PREFIX",
    "identity_from_properties",
    "make_identity",
    "read_identity_rows",
    "sign",
    "units_digest",
    "verify",
    "write_identity",
]

IDENTITY_SHEET = "_gipr"
PROPERTY_PREFIX = "gipr."
IDENTITY_KEYS = ("format", "format_digest", "year", "unit_code", "unit_name", "template_id", "kind",
                 "created", "gipr_version", "signature")
KINDS = ("template", "rollup", "feedback")
# Built-in signing key.  Public by construction: see the module docstring.
_KEY = hashlib.sha256(b"gipr identity v1 -- tamper evidence, not security").digest()


def units_digest(units: list[dict[str, Any]]) -> str:
    """A digest of a roll-up's unit list (signed through the identity's ``units_digest``)."""
    canon = json.dumps([{str(k): "" if v is None else str(v) for k, v in u.items()} for u in units],
                       ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def make_identity(spec: Spec, year: int, unit: Unit | None, kind: str = "template",
                  units: list[dict[str, Any]] | None = None) -> dict[str, str]:
    """A fresh, signed identity.  ``unit`` is None for a blank template or a roll-up."""
    if kind not in KINDS:
        raise ValueError(f"unknown identity kind {kind!r}")
    ident = {
        "format": spec.id,
        "format_digest": spec.digest,
        "year": str(int(year)),
        "unit_code": unit.code if unit is not None else "",
        "unit_name": unit.name if unit is not None else "",
        "template_id": uuid.uuid4().hex,
        "kind": kind,
        "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "gipr_version": __version__,
    }
    if units is not None:
        ident["units_count"] = str(len(units))
        ident["units_digest"] = units_digest(units)
    ident["signature"] = sign(ident)
    return ident


def _payload(identity: dict[str, Any]) -> bytes:
    items = {str(k): "" if v is None else str(v) for k, v in identity.items() if k != "signature"}
    return json.dumps(items, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(identity: dict[str, Any]) -> str:
    """HMAC-SHA256 (hex) over every key except ``signature``."""
    return hmac.new(_KEY, _payload(identity), hashlib.sha256).hexdigest()


def verify(identity: dict[str, Any]) -> bool:
    """True if the identity carries a signature that matches its contents."""
    sig = identity.get("signature") if isinstance(identity, dict) else None
    if not isinstance(sig, str) or not sig:
        return False
    # as bytes: compare_digest refuses str with non-ASCII characters (a forged signature may have them)
    return hmac.compare_digest(sig.strip().lower().encode("utf-8", "surrogatepass"), sign(identity).encode("ascii"))


def write_identity(workbook: xlsxwriter.Workbook, identity: dict[str, str],
                   units: list[dict[str, Any]] | None = None, *, password: str | None = None) -> None:
    """Add the very hidden identity sheet and the ``gipr.*`` custom document properties."""
    ws = workbook.add_worksheet(IDENTITY_SHEET)
    ws.write_string(0, 0, "key")
    ws.write_string(0, 1, "value")
    r = 1
    for k, v in identity.items():
        ws.write_string(r, 0, str(k))
        ws.write_string(r, 1, "" if v is None else str(v))
        r += 1
    if units:
        r += 1  # empty row, then the unit list
        cols: list[str] = []
        for u in units:
            for k in u:
                if k not in cols:
                    cols.append(str(k))
        for c, k in enumerate(cols):
            ws.write_string(r, c, k)
        for u in units:
            r += 1
            for c, k in enumerate(cols):
                got = u.get(k)
                ws.write_string(r, c, "" if got is None else str(got))
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 70)
    if password is not None:
        ws.protect(password)
    ws.very_hidden()
    for k, v in identity.items():
        workbook.set_custom_property(PROPERTY_PREFIX + str(k), "" if v is None else str(v), "text")


def _text(v: Any) -> str:
    return cell_text(v).strip()


def read_identity_rows(rows: list[list[Any]]) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Parse the identity sheet's cell rows (as read by any spreadsheet reader)."""
    ident: dict[str, str] = {}
    units: list[dict[str, str]] = []
    rows = [list(r) if r is not None else [] for r in rows]
    i = 0
    if rows and [_text(v) for v in rows[0][:2]] == ["key", "value"]:
        i = 1
    while i < len(rows):
        row = rows[i]
        key = _text(row[0]) if row else ""
        if not key:
            break
        ident[key] = _text(row[1]) if len(row) > 1 else ""
        i += 1
    # skip empty rows, then an optional unit table
    while i < len(rows) and not any(_text(v) for v in rows[i]):
        i += 1
    if i < len(rows):
        header = [_text(v) for v in rows[i]]
        while header and not header[-1]:
            header.pop()
        for row in rows[i + 1:]:
            vals = [_text(v) for v in row]
            if not any(vals):
                continue
            units.append({k: (vals[c] if c < len(vals) else "") for c, k in enumerate(header) if k})
    return ident, units


def identity_from_properties(props: dict[str, Any]) -> dict[str, str]:
    """The identity held in custom document properties (names ``gipr.<key>``)."""
    return {k[len(PROPERTY_PREFIX):]: _text(v) for k, v in props.items()
            if isinstance(k, str) and k.startswith(PROPERTY_PREFIX)}
