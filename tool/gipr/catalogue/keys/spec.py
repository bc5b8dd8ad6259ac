"""The keys of catalogue/spec.py as a type, so that mypy checks ``say("…")`` at each call.

Written by ``python tests/project/test_texts.py --write-keys`` from the texts; tests/project/test_texts.py
fails when this list and the texts differ."""

from __future__ import annotations

from typing import Literal

SpecKey = Literal[
    "figures.validate",
    "figures.validate_2",
    "figures.validate_3",
    "figures.validate_4",
    "spec.build",
    "spec.build.fid",
    "spec.build.sheet",
    "spec.build_2",
    "spec.build_3",
    "spec.build_4",
    "spec.build_5",
    "spec.build_6",
    "spec.build_7",
    "spec.cell_ref",
    "spec.expand_rules",
    "spec.expand_rules.value",
    "spec.expand_rules.value_2",
    "spec.expand_rules.where",
    "spec.expand_rules_2",
    "spec.expand_rules_3",
    "spec.expand_rules_4",
    "spec.expand_rules_5",
    "spec.expand_rules_6",
    "spec.format_for_year",
    "spec.label_path",
    "spec.layout_table",
    "spec.layout_table.col_leaves",
    "spec.layout_table.row_leaves",
    "spec.layout_table.value_width",
    "spec.layout_table.where",
    "spec.layout_table_2",
    "spec.layout_table_3",
    "spec.layout_table_4",
    "spec.layout_table_5",
    "spec.layout_table_6",
    "spec.leaves",
    "spec.leaves_2",
    "spec.leaves_3",
    "spec.leaves_4",
    "spec.load_format",
    "spec.load_spec_file",
    "spec.load_spec_file_2",
    "spec.load_spec_file_3",
    "spec.need",
]
