"""Atomic output: complete files only, no silent overwrite, ordinary permissions."""

from __future__ import annotations

import os

import pytest

from gipr.errors import GiprError
from gipr.fsio import atomic_output, atomic_write_bytes, safe_filename


def test_written_file_has_the_mode_of_an_ordinary_new_file(tmp_path):
    out = tmp_path / "汇总.xlsx"
    atomic_write_bytes(out, b"data")
    plain = tmp_path / "plain"
    plain.write_bytes(b"x")
    assert out.read_bytes() == b"data"
    if os.name == "posix":
        assert (out.stat().st_mode & 0o777) == (plain.stat().st_mode & 0o777)


def test_existing_file_is_replaced_only_on_request(tmp_path):
    out = tmp_path / "a.xlsx"
    out.write_bytes(b"old")
    with pytest.raises(GiprError) as e:
        atomic_write_bytes(out, b"new")
    assert e.value.code == "output.exists"
    assert out.read_bytes() == b"old"
    atomic_write_bytes(out, b"new", overwrite=True)
    assert out.read_bytes() == b"new"


def test_an_error_mid_write_leaves_the_old_file_and_no_temp(tmp_path):
    out = tmp_path / "a.xlsx"
    out.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(out, overwrite=True) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx"]


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd", "passwd"),
    ("CON.xlsx", "_CON.xlsx"),
    ("a:b?.xlsx", "a_b_.xlsx"),
    ("", "未命名"),
])
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected
