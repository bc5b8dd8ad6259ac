"""The merge tests' counties (tests/kit/county.py): each built once per session, and copied to
each module that uses it (a module may write beside the files; another module never sees that)."""

from __future__ import annotations

import shutil

import pytest
from kit.county import copy_county, make_county, make_two_counties


@pytest.fixture(scope="session")
def built_county(tmp_path_factory) -> dict:
    return make_county(tmp_path_factory.mktemp("county-built"))


@pytest.fixture(scope="session")
def built_two_counties(tmp_path_factory):
    return make_two_counties(tmp_path_factory.mktemp("city-built"))


@pytest.fixture(scope="module")
def county(built_county, tmp_path_factory) -> dict:
    """A county of 10 roster units: 8 clean, 1 with rule A broken, 1 missing."""
    return copy_county(built_county, tmp_path_factory.mktemp("county"))


@pytest.fixture(scope="module")
def two_counties(built_two_counties, tmp_path_factory):
    """Two counties' units and their roll-ups (a city's roll-up of roll-ups)."""
    d = tmp_path_factory.mktemp("city")
    shutil.copytree(built_two_counties, d, dirs_exist_ok=True)
    return d
