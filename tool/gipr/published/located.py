"""What the locator hands back across the reader boundary: plain data, in a module of its own
so that the main process can unpickle it without importing the locator or the digit
splitter (they run in the reader worker only)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Finding
from ..values import Number, Value

__all__ = ["Located"]


@dataclass
class Located:
    values: dict[str, Value] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)  # cell id → where it was printed
    findings: list[Finding] = field(default_factory=list)
    groups: list[tuple[list[str], Number]] = field(default_factory=list)  # cells printed as one number
    tables: set[str] = field(default_factory=set)  # t2/t3/t4 found
    # rows whose numbers could not be aligned, reported only if no later row of the same
    # label is read (a label mentioned in the text before the table is not the table)
    unaligned: dict[str, tuple[str, Finding]] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)  # cells whose row has a finding already (one per problem)
