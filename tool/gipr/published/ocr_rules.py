"""The rules as the checksum of an OCR'd table (see :mod:`gipr.published.ocr`).

After the tables of a scan are located, every value cell has the engine's confidence
(``Document.ocr``, by where it was printed).  :func:`settle` then decides, cell by cell, with
the format's sum rules (A, C, D, E; never the cross-year rule):

1. **Suspect** cells: a number or blank read with less than ``low`` confidence, marks the
   engine could not read (confidence 0), a blank that was not seen empty (only a ruled cell
   is looked at for marks), or a text that is no number.
2. **Forced:** a rule whose cells are all read with confidence but one suspect cell fixes that
   cell's value.  The engine's reading is kept when it is that value; otherwise the value is
   filled and said so (info), provided no other rule that can be evaluated breaks with it.
3. **Confirmed:** a suspect number that every rule it takes part in (and can be evaluated)
   holds with is kept.
4. Whatever is left is **unknown**, with the engine's reading and, where a rule names one,
   the value that rule would need: nothing is guessed.
"""

from __future__ import annotations

from decimal import Decimal

from .. import messages
from ..model import Finding
from ..rules import agree
from ..spec import Spec
from ..values import Number, Value, fmt_number

__all__ = ["LOW_CONFIDENCE", "settle"]

LOW_CONFIDENCE = 0.90


def _num(v: Value | None) -> Number | None:
    return v.number if v is not None and v.state == "number" else None


def settle(spec: Spec, values: dict[str, Value], where: dict[str, str], confidence: dict[str, float],
           low: float = LOW_CONFIDENCE) -> list[Finding]:
    """Settle the OCR'd cells of ``values`` (changed in place) with the rules; the findings."""
    # a number carries the engine's confidence; a blank is sure only where the cell was looked at
    # and holds no marks (a ruled cell); a blank found no other way may be a digit the engine lost
    conf = {cid: confidence.get(where.get(cid, ""), 1.0 if v.state == "number" else 0.0)
            for cid, v in values.items()}
    suspect = {cid for cid, v in values.items()
               if conf[cid] < low or v.state not in ("number", "blank")}
    rules = list(spec.rules_of("equal", "total"))
    out: list[Finding] = []

    def known(cid: str) -> bool:
        return cid not in suspect and _num(values.get(cid)) is not None

    def known_num(cid: str) -> Number:
        """The number of a cell that :func:`known` says is known."""
        n = _num(values[cid])
        assert n is not None
        return n

    def solve(rule, cid: str) -> Number | None:
        """The value ``cid`` must have for ``rule`` to hold, when all its other cells are known."""
        if any(c != cid and not known(c) for c in rule.cells):
            return None
        lhs = sum((known_num(c) for c in rule.lhs if c != cid), Decimal(0))
        rhs = sum((known_num(c) for c in rule.rhs if c != cid), Decimal(0))
        n = rhs - lhs if cid in rule.lhs else lhs - rhs
        ctype = spec.cells[cid].type
        if n < 0 or (ctype != "amount" and n != int(n)):
            return None
        return int(n) if ctype != "amount" else n

    def breaks(cid: str, n: Number) -> list:
        """Rules that can be evaluated with ``cid`` = n (its other cells known) and do not hold."""
        bad = []
        for r in rules:
            if cid not in r.cells or any(c != cid and not known(c) for c in r.cells):
                continue
            vals = {c: (n if c == cid else known_num(c)) for c in r.cells}
            if not agree(spec, sum((vals[c] for c in r.lhs), Decimal(0)), sum((vals[c] for c in r.rhs), Decimal(0))):
                bad.append(r)
        return bad

    changed = True
    while changed and suspect:
        changed = False
        for cid in sorted(suspect):
            for r in rules:
                if cid not in r.cells:
                    continue
                n = solve(r, cid)
                if n is None or breaks(cid, n):
                    continue
                read = values[cid]
                if (got := _num(read)) is None or not agree(spec, got, n):
                    out.append(messages.finding("published.ocr_forced", cell=cid, ref=where.get(cid),
                                                path=spec.cells[cid].label_path, read=_shown(read),
                                                conf=f"{conf[cid]:.2f}", value=fmt_number(n), rule=r.id,
                                                title=r.title))
                    values[cid] = Value("number", n, read.raw, None, None, None)
                suspect.discard(cid)
                changed = True
                break
    for cid in sorted(suspect):
        read = values[cid]
        n = _num(read)
        evaluable = [r for r in rules if cid in r.cells and all(c == cid or known(c) for c in r.cells)]
        if n is not None and evaluable and not breaks(cid, n):
            continue  # the rules confirm what the engine read
        alts = sorted({fmt_number(a) for r in evaluable if (a := solve(r, cid)) is not None})
        out.append(messages.finding("published.ocr_unsure", cell=cid, ref=where.get(cid),
                                    path=spec.cells[cid].label_path, read=_shown(read), conf=f"{conf[cid]:.2f}",
                                    alternatives="、".join(alts) if alts else messages.say("detail.ocr_no_rule")))
        # unknown, as the digit splitter leaves a cell it cannot settle: no number, and a code
        values[cid] = Value("blank", None, read.raw, None, None, "published.ocr_unsure")
    return out


def _shown(v: Value) -> str:
    if v.state == "number":
        return fmt_number(v.number)
    return v.raw_text or messages.say("detail.ocr_nothing")
