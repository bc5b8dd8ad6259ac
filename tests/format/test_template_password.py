"""--password: a sheet-protection password is refused unless it is printable ASCII, because
XlsxWriter writes only the legacy 16-bit hash of each character's code point while the
specification hashes the password's 8-bit code-page bytes (a Chinese password could then not
unlock the sheet in Excel or WPS).  For the passwords gipr accepts, the hash in the written
workbook equals the specification's algorithm, implemented here from its description."""

from __future__ import annotations

import re
import zipfile

import pytest
from kit.helpers import run_cli as cli
from kit.workbooks import spec_hash

from gipr.errors import GiprError
from gipr.spec import load_format
from gipr.template import DEFAULT_PASSWORD, TemplateFactory, write_template


def _hashes(path) -> set[str]:
    with zipfile.ZipFile(path) as zf:
        xml = "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))
    return set(re.findall(r'<sheetProtection password="([0-9A-F]{4})"', xml))


def test_the_algorithm_matches_published_values():
    # the verifier of "password" in ECMA-376 Part 1's sheetProtection example: 83AF
    assert spec_hash("password") == "83AF"


@pytest.mark.parametrize("password", [DEFAULT_PASSWORD, "abc", "Xian-2025!", "~ !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}",
                                      "123456789012345"])
def test_an_ascii_password_is_hashed_as_the_specification_says(tmp_path, password):
    p = write_template(tmp_path / "t.xlsx", load_format("2021"), year=2025, password=password)
    assert _hashes(p) == {spec_hash(password)}


@pytest.mark.parametrize("password", ["县政务公开办2025", "ｇｉｐｒ", "pässword", "tab\there", "口令"])
def test_a_non_ascii_password_is_refused_by_the_cli(tmp_path, capsys, password):
    out = tmp_path / "t.xlsx"
    assert cli("template", "--year", "2025", "--password", password, "--out", out) == 2
    err = capsys.readouterr().err
    assert "工作表保护密码" in err and "ASCII" in err and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []
    # a roster batch is refused before anything is written too
    roster = tmp_path / "roster.csv"
    roster.write_text("单位代码,单位名称\n001,县财政局\n", encoding="utf-8")
    assert cli("template", "--year", "2025", "--roster", roster, "--password", password, "--out",
               tmp_path / "batch") == 2
    assert not (tmp_path / "batch").exists()


def test_the_core_refuses_it_too(tmp_path):
    spec = load_format("2021")
    with pytest.raises(GiprError, match="口") as ei:
        write_template(tmp_path / "t.xlsx", spec, year=2025, password="口令")
    assert ei.value.code == "usage.password"
    with pytest.raises(GiprError):
        TemplateFactory(spec, 2025, password="口令")
    assert not (tmp_path / "t.xlsx").exists()
    # without protection there is no password to refuse
    write_template(tmp_path / "u.xlsx", spec, year=2025, protect=False, password="口令")
    assert _hashes(tmp_path / "u.xlsx") == set()
