"""Receiving uploaded files: the multipart body is parsed as it streams in (python-multipart)
and each file of the wanted field is written straight into a fresh temporary folder inside
the workspace, under a name gipr chooses (core.server_name); the client's file name is kept
only as text, the name to record.  Bounded: the body's size, the number of files and fields,
the size of each text field.  A body that ends before its closing boundary (a truncated upload)
is refused whole: its folder is removed and nothing is collected."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

from .. import messages
from ..errors import UploadRefused
from . import core

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

MAX_FIELD_BYTES = 64 * 1024


def _text(b: bytes) -> str:
    return b.decode("utf-8", "replace")


class _Receiver:
    def __init__(self, folder: Path, field: str, max_files: int, max_fields: int):
        self.folder, self.field, self.max_files, self.max_fields = folder, field, max_files, max_fields
        self.uploads: list[core.Upload] = []
        self.fields: dict[str, str] = {}
        self.n_files = self.n_fields = 0
        self._hf = bytearray()
        self._hv = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._out: BinaryIO | None = None
        self._name: str | None = None
        self._value: bytearray | None = None

    def callbacks(self) -> MultipartCallbacks:
        return {"on_part_begin": self.on_part_begin, "on_header_field": self.on_header_field,
                "on_header_value": self.on_header_value, "on_header_end": self.on_header_end,
                "on_headers_finished": self.on_headers_finished, "on_part_data": self.on_part_data,
                "on_part_end": self.on_part_end}

    def on_part_begin(self) -> None:
        self._headers, self._out, self._name, self._value = {}, None, None, None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._hf += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._hv += data[start:end]

    def on_header_end(self) -> None:
        self._headers[bytes(self._hf).lower()] = bytes(self._hv)
        self._hf.clear()
        self._hv.clear()

    def on_headers_finished(self) -> None:
        _, opts = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = _text(opts.get(b"name", b""))
        if b"filename" in opts:
            self.n_files += 1
            if self.n_files > self.max_files:
                raise UploadRefused(413, "ui.upload_too_many", messages.say("ui.upload_too_many", 
                    limit=self.max_files, n=self.max_files + 1))
            if name != self.field:
                return  # a file in another field: not wanted, not kept
            client_name = _text(opts[b"filename"])
            dest = self.folder / core.server_name(len(self.uploads) + 1, client_name)
            self._out = open(dest, "xb")  # noqa: SIM115 - written by the next callbacks, closed in on_part_end
            self.uploads.append(core.Upload(dest, client_name))
        else:
            self.n_fields += 1
            if self.n_fields > self.max_fields:
                raise UploadRefused(400, "ui.upload_bad", messages.say("ui.upload_bad", detail="too many fields"))
            self._name, self._value = name, bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._out is not None:
            self._out.write(data[start:end])
        elif self._value is not None:
            self._value += data[start:end]
            if len(self._value) > MAX_FIELD_BYTES:
                raise UploadRefused(400, "ui.upload_bad", messages.say("ui.upload_bad", detail="field too large"))

    def on_part_end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        elif self._value is not None and self._name is not None:
            self.fields[self._name] = _text(bytes(self._value))
            self._value = None

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


async def receive(headers, stream: AsyncIterator[bytes], folder: Path, *, field: str, max_files: int,
                  max_fields: int, max_bytes: int) -> tuple[list[core.Upload], dict[str, str]]:
    """Parse the multipart body from ``stream`` into ``folder``; on any refusal the folder
    is removed and UploadRefused says why."""
    too_large = UploadRefused(413, "ui.upload_too_large",
                              messages.say("ui.upload_too_large", limit=max_bytes // 1048576))
    ctype = headers.get("content-type", "")
    _, params = parse_options_header(ctype)
    if not ctype.startswith("multipart/form-data") or b"boundary" not in params:
        raise UploadRefused(400, "ui.upload_bad", messages.say("ui.upload_bad", detail=ctype or "no content type"))
    try:
        if int(headers.get("content-length") or 0) > max_bytes:
            raise too_large
    except ValueError:
        pass
    rec = _Receiver(folder, field, max_files, max_fields)
    parser = MultipartParser(params[b"boundary"], rec.callbacks())
    n = 0
    try:
        async for chunk in stream:
            n += len(chunk)
            if n > max_bytes:
                raise too_large
            parser.write(chunk)
        parser.finalize()
        if parser.state != MultipartState.END:  # the body stopped before its closing boundary
            if not rec.uploads:
                raise UploadRefused(400, "ui.upload_bad", messages.say("ui.upload_bad", detail="incomplete body"))
            raise UploadRefused(400, "ui.upload_truncated", messages.say("ui.upload_truncated", 
                name=rec.uploads[-1].name))
    except FormParserError as e:
        rec.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise UploadRefused(400, "ui.upload_bad", messages.say("ui.upload_bad", detail=e)) from None
    except BaseException:
        rec.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    rec.close()
    return rec.uploads, rec.fields
