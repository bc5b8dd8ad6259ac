"""The roster (单位名册): which units report, with their code, name, category and contact.

A roster is a CSV file or a spreadsheet (.xlsx, .xls, .ods) with a header row holding the
columns 单位代码, 单位名称, 类别, 联系人, 邮箱 (in any order; a title line above the header
is allowed).  CSV files are read as UTF-8 (with or without BOM), UTF-16 (Excel's
"Unicode text") or GB18030/GBK (what Excel on Chinese Windows writes by default).

A bad roster stops with a ``GiprError`` naming the file and the line: a missing column,
an empty code or name, a duplicate code or name, a malformed e-mail address.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import GiprError, ReadError
from .files import ROSTER_SUFFIXES
from .isolate import run_limited
from .ooxml.container import MAX_READ_MEMORY_MB, MAX_READ_SECONDS
from .text import SPACES, cell_text, decode_text
from .vocabulary import alternation, vocabulary

__all__ = ["COLUMNS", "Unit", "load_roster", "normalize_code", "normalize_name"]

# canonical column -> Unit attribute (the columns in order), and each header spelling accepted -> attribute
_WORDS = vocabulary()["roster"]
COLUMNS: dict[str, str] = {c["aliases"][0]: c["attribute"] for c in _WORDS["columns"]}
_ALIASES: dict[str, str] = {a: c["attribute"] for c in _WORDS["columns"] for a in c["aliases"]}
_SPACES = SPACES
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_EMAIL_SPLIT = re.compile(r"[;,；，、\s]+")
MAX_ROWS = 100_000


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    category: str
    contact: str
    email: str  # one address, or several separated by ";"
    line: int  # line (CSV) or row (spreadsheet) in the roster file, 1-based

    @property
    def emails(self) -> list[str]:
        return [e for e in self.email.split(";") if e]

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "category": self.category, "contact": self.contact,
                "email": self.email, "line": self.line}


def normalize_code(code: str) -> str:
    """The form unit codes are compared in, everywhere (the roster's duplicates, the unit matcher,
    merge): NFKC (full-width → half-width), no white space, upper case; ``a01``, ``Ａ０１`` and
    `` A01 `` are one code."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", code or "")).upper()


def normalize_name(name: str) -> str:
    """The form used to compare unit names: NFKC, no spaces."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", name or ""))


def _clean(v: Any) -> str:
    """A cell as text: integral floats without '.0', spaces collapsed, control characters removed."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    s = _CONTROL.sub("", cell_text(v))
    s = _SPACES.sub(" ", s).strip()
    return s


def _header_key(v: Any) -> str | None:
    s = _SPACES.sub("", unicodedata.normalize("NFKC", _clean(v))).lower()
    s = s.strip("*：:")
    return _ALIASES.get(s)


def _decode_csv(raw: bytes, path: Path) -> str:
    try:
        return decode_text(raw)
    except UnicodeDecodeError:
        pass
    raise GiprError(f"单位名册 {path}：无法识别文字编码（支持 UTF-8、GBK/GB18030、UTF-16）。"
                    "请在 Excel 中另存为“CSV UTF-8”或 .xlsx 后重试。", "roster.encoding")


def _csv_rows(path: Path) -> list[tuple[int, list[Any]]]:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise GiprError(f"无法读取单位名册 {path}：{e.strerror or e}", "roster.unreadable") from None
    text = _decode_csv(raw, path)
    first = text.split("\n", 1)[0]
    delim = max(("\t", ",", ";", "，"), key=first.count) if first else ","
    if first.count(delim) == 0:
        delim = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    out = []
    line = 1
    try:
        for row in reader:
            out.append((line, row))
            line = reader.line_num + 1
            if len(out) > MAX_ROWS:
                raise GiprError(f"单位名册 {path} 超过 {MAX_ROWS} 行，不像是单位名册。", "roster.too_large")
    except csv.Error as e:
        raise GiprError(f"单位名册 {path} 第 {reader.line_num} 行：CSV 格式错误（{e}）", "roster.csv") from None
    return out


def _sheet_rows(path: Path) -> list[tuple[int, list[Any]]]:
    """The first sheet's rows, read in a reader worker (gipr.isolate: calamine never runs in
    this process) with the limits of a returned workbook."""
    try:
        rows = run_limited("gipr.read.units:first_sheet_rows", str(path), MAX_ROWS, seconds=MAX_READ_SECONDS,
                           memory_mb=MAX_READ_MEMORY_MB, what=str(path), initializer="gipr.read:warm_up")
    except ReadError as e:  # a limit of the worker, or calamine's verdict
        if e.code == "roster.empty":
            raise GiprError(f"单位名册 {path} 中没有工作表。", "roster.empty") from None
        if e.code == "roster.too_large":
            raise GiprError(f"单位名册 {path} 超过 {MAX_ROWS} 行，不像是单位名册。", "roster.too_large") from None
        raise GiprError(f"无法读取单位名册 {path}：{e}", "roster.unreadable") from None
    return [(i + 1, list(r)) for i, r in enumerate(rows)]


def load_roster(path: str | Path, *, problems: list[str] | None = None, shown: str | None = None) -> list[Unit]:
    """Read and validate a roster.  Raises ``GiprError`` naming the file and the line; with
    ``problems`` (a list) a bad row is added to it instead and the reading goes on, so that
    every bad row is reported at once.  ``shown``: the file's name as the user knows it (an
    upload is saved under a name gipr chose)."""
    path = Path(path)
    label = shown or path

    def fail(message: str, code: str) -> None:
        if problems is None:
            raise GiprError(message, code)
        problems.append(message)

    if not path.is_file():
        raise GiprError(f"找不到单位名册：{label}", "roster.missing")
    suffix = path.suffix.lower()
    if suffix in ROSTER_SUFFIXES:
        rows = _sheet_rows(path)
        what = "行"
    elif suffix in (".csv", ".txt", ".tsv", ""):
        rows = _csv_rows(path)
        what = "行"
    else:
        raise GiprError(f"单位名册 {label}：不支持的文件类型“{path.suffix}”（请用 .csv 或 .xlsx）。", "roster.type")

    # header: the first row (of the first 10 non-empty ones) naming 单位名称
    header_line = None
    colmap: dict[str, int] = {}
    seen_nonempty = 0
    for line, row in rows:
        if not any(_clean(v) for v in row):
            continue
        seen_nonempty += 1
        keys = [_header_key(v) for v in row]
        if "name" in keys:
            header_line = line
            for i, k in enumerate(keys):
                if k and k not in colmap:
                    colmap[k] = i
            break
        if seen_nonempty >= 10:
            break
    if header_line is None:
        raise GiprError(f"单位名册 {label}：找不到表头行（应包含列：{'、'.join(COLUMNS)}）。", "roster.no_header")
    missing = [c for c, attribute in COLUMNS.items() if attribute not in colmap]
    if missing:
        raise GiprError(f"单位名册 {label} 第 {header_line} {what}（表头）：缺少列“{'”“'.join(missing)}”"
                        f"（应包含列：{'、'.join(COLUMNS)}）。", "roster.missing_column")

    units: list[Unit] = []
    by_code: dict[str, int] = {}  # by normalize_code: a01 and A01 are one code to the unit matcher
    by_name: dict[str, int] = {}
    for line, row in rows:
        if line <= header_line:
            continue
        vals = {c: _clean(row[i]) if i < len(row) else "" for c, i in colmap.items()}
        if not any(vals.values()):
            continue  # blank line
        where = f"单位名册 {label} 第 {line} {what}"
        code = unicodedata.normalize("NFKC", vals["code"]).replace(" ", "")
        name = unicodedata.normalize("NFC", vals["name"])
        if not name:
            fail(f"{where}：单位名称为空。", "roster.empty_name")
            continue
        if not code:
            fail(f"{where}（{name}）：单位代码为空。", "roster.empty_code")
            continue
        if len(name) > 100:
            fail(f"{where}：单位名称过长（超过100字）。", "roster.bad_name")
            continue
        if normalize_code(code) in by_code:
            fail(f"{where}：单位代码“{code}”与第 {by_code[normalize_code(code)]} {what}重复。", "roster.duplicate_code")
            continue
        key = normalize_name(name)
        if key in by_name:
            fail(f"{where}：单位名称“{name}”与第 {by_name[key]} {what}重复。", "roster.duplicate_name")
            continue
        emails = [e for e in _EMAIL_SPLIT.split(unicodedata.normalize("NFKC", vals["email"])) if e]
        for e in emails:
            if not _EMAIL.match(e):
                fail(f"{where}（{name}）：邮箱“{e}”格式不正确。", "roster.bad_email")
                continue
        by_code[normalize_code(code)] = line
        by_name[key] = line
        units.append(Unit(code, name, vals["category"], vals["contact"], ";".join(emails), line))
    if not units:
        raise GiprError(f"单位名册 {label} 中没有任何单位（表头在第 {header_line} {what}）。", "roster.empty")
    return units


_ROSTER_WORDS = re.compile(alternation(_WORDS["file_name_words"]), re.I)
_ROSTER_YEAR = re.compile(_WORDS["file_name_year_pattern"])


def region_from_roster(path: str | Path) -> str:
    """The region a roster file is named after (``灵丘县单位名册.xlsx`` → 灵丘县), or "" when its
    name is no region (``roster.csv``): the roll-up's name when nothing better is known."""
    s = _ROSTER_YEAR.sub("", Path(path).stem)
    s = _ROSTER_WORDS.sub("", s)
    s = re.sub(r"[\s_\-—–·.,，、()（）\[\]【】]+", "", s)
    return s if re.search(r"[\u4e00-\u9fff]", s) and len(s) <= 20 else ""
