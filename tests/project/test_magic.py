"""One sniffer of a file's first bytes (gipr.magic): the container vetting, the table of
published media and the mail side of collect agree on what a file is, and no module keeps a
copy of the signatures (there were three sniffers: an empty zip was a zip to the workbook
reader and plain text to the media table; any file starting with "PK" was a workbook to
collect and not a zip to the reader)."""

from __future__ import annotations

import ast
import io
import zipfile
from pathlib import Path

import pytest

import gipr
from gipr import media
from gipr.collect.mailparse import classify_attachment, sniff_file
from gipr.ooxml.container import sniff as container_sniff

PACKAGE = Path(gipr.__file__).parent
SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"\xd0\xcf\x11\xe0", b"%PDF", b"%pdf")


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    return buf.getvalue()


SAMPLES = {
    "xlsx": _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
    "empty zip": _zip({}),
    "ole": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
    "pdf after junk": b"\r\n\x00junk\n%PDF-1.4\n1 0 obj\n",
    "PK but not a zip": b"PK is how this note starts, not a zip\n",
    "text": "一段文字\n".encode(),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_the_readers_agree_on_what_a_file_is(name, tmp_path):
    data = SAMPLES[name]
    kind = container_sniff(data)
    medium = media.sniff(data, "").kind
    assert (medium == "docx") == (kind == "zip"), (medium, kind)
    assert (medium == "ole") == (kind == "ole"), (medium, kind)
    assert (medium == "pdf") == (kind == "pdf"), (medium, kind)
    f = tmp_path / "无扩展名"
    f.write_bytes(data)
    assert (sniff_file(f) == "workbook") == (kind in ("zip", "ole")), (sniff_file(f), kind)
    unnamed = classify_attachment(None, "application/octet-stream", data)[0]
    assert (unnamed == "workbook") == (kind == "ole" or (kind == "zip" and b"xl/workbook" in data)), (unnamed, kind)


def test_the_signatures_live_in_gipr_magic_only():
    copies = []
    for p in sorted(PACKAGE.rglob("*.py")):
        if p == PACKAGE / "magic.py":
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, bytes) and (
                    node.value == b"PK" or any(s in node.value for s in SIGNATURES)):
                copies.append(f"{p.relative_to(PACKAGE)}:{node.lineno}: {node.value[:12]!r}")
    assert not copies, "magic bytes outside gipr.magic (use gipr.magic.sniff):\n" + "\n".join(copies)
