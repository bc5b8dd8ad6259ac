"""The merge tests' counties (tests/kit/county.py), built once per module that uses them."""

from __future__ import annotations

import pytest
from kit.county import make_county, make_two_counties


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """A county of 10 roster units: 8 clean, 1 with rule A broken, 1 missing."""
    return make_county(tmp_path_factory.mktemp("county"))


@pytest.fixture(scope="module")
def two_counties(tmp_path_factory):
    """Two counties' units and their roll-ups (a city's roll-up of roll-ups)."""
    return make_two_counties(tmp_path_factory.mktemp("city"))
