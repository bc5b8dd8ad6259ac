"""Fast batch rendering: one personalised template per roster unit (``write_templates``).

``TemplateFactory`` builds the workbook once per (format, year) with placeholder strings
and then, per unit, rewrites only the zip members that differ (shared strings, document
properties).  Every file is written atomically with the ordinary file mode (``fsio``)."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from ..catalogue.access import say
from ..errors import GiprError
from ..fsio import atomic_write_bytes, fsync_dir, safe_filename
from ..magic import ZIP_END_MAGIC, ZIP_MAGIC
from ..roster import Unit
from ..spec import Spec, available_formats, load_format, load_spec_file
from ..stamp import make_identity
from ..text import xml_escape
from .layout import WORKBOOK_OPTIONS
from .writer import DEFAULT_PASSWORD, build_workbook, template_filename

# ---------------------------------------------------------------------------------
# fast batch rendering


_TOKENS = {
    "unit_name": "GIPRTOKxUNITxNAMExQ7",
    "unit_code": "GIPRTOKxUNITxCODExQ7",
    "template_id": "GIPRTOKxTEMPLATExIDxQ7",
    "created": "GIPRTOKxCREATEDxQ7",
    "signature": "GIPRTOKxSIGNATURExQ7",
}


@dataclass
class _Member:
    info: zipfile.ZipInfo
    data: bytes  # uncompressed
    compressed: bytes
    crc: int
    tokens: bool


class TemplateFactory:
    """Render personalised templates of one (format, year) quickly.

    The workbook is built once with xlsxwriter using placeholder tokens for the unit name,
    code and the identity values; ``render(unit)`` substitutes the real (XML-escaped)
    values in the few zip members that hold them and copies all other members
    pre-compressed.  The result is the same workbook ``build_workbook`` writes for that
    unit and identity.
    """

    def __init__(self, spec: Spec, year: int, *, protect: bool = True, password: str = DEFAULT_PASSWORD):
        self.spec = spec
        self.year = int(year)
        self.protect = protect
        self.password = password
        placeholder = Unit(_TOKENS["unit_code"], _TOKENS["unit_name"], "", "", "", 0)
        ident = make_identity(spec, self.year, placeholder)
        for k, tok in _TOKENS.items():
            ident[k] = tok
        self._ident_keys = list(ident)
        buf = io.BytesIO()
        wb = xlsxwriter.Workbook(buf, {**WORKBOOK_OPTIONS, "in_memory": True})
        build_workbook(wb, spec, year=self.year, unit=placeholder, identity=ident, protect=protect,
                       password=password)
        wb.close()
        self._members: list[_Member] = []
        toks = [t.encode() for t in _TOKENS.values()]
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
            for info in zf.infolist():
                data = zf.read(info)
                has = any(t in data for t in toks)
                comp = b"" if has else _deflate(data)
                self._members.append(_Member(info, data, comp, zlib.crc32(data), has))
        self._pattern = re.compile("|".join(re.escape(t) for t in _TOKENS.values()).encode())

    def render(self, unit: Unit, identity: dict[str, str] | None = None) -> bytes:
        """The .xlsx bytes for ``unit`` (a fresh signed identity unless one is given)."""
        if identity is None:
            identity = make_identity(self.spec, self.year, unit)
        if list(identity) != self._ident_keys:
            raise ValueError("identity keys differ from the factory's")
        repl = {_TOKENS[k].encode(): xml_escape(str(identity.get(k, ""))).encode("utf-8")
                for k in _TOKENS}
        repl[_TOKENS["unit_name"].encode()] = xml_escape(unit.name).encode("utf-8")
        repl[_TOKENS["unit_code"].encode()] = xml_escape(unit.code).encode("utf-8")
        out = io.BytesIO()
        central = []
        for m in self._members:
            if m.tokens:
                data = self._pattern.sub(lambda mo: repl[mo.group(0)], m.data)
                comp, crc = _deflate(data), zlib.crc32(data)
            else:
                data, comp, crc = m.data, m.compressed, m.crc
            central.append(_write_local(out, m.info, comp, crc, len(data)))
        _write_central(out, central)
        return out.getvalue()


def _deflate(data: bytes) -> bytes:
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    return co.compress(data) + co.flush()


def _write_local(out: io.BytesIO, info: zipfile.ZipInfo, comp: bytes, crc: int, size: int) -> bytes:
    import struct

    name = info.filename.encode("utf-8")
    flags = 0x800 if any(ord(ch) > 127 for ch in info.filename) else 0
    dt = info.date_time
    dosdate = (dt[0] - 1980) << 9 | dt[1] << 5 | dt[2]
    dostime = dt[3] << 11 | dt[4] << 5 | (dt[5] // 2)
    offset = out.tell()
    out.write(struct.pack("<4sHHHHHIIIHH", ZIP_MAGIC, 20, flags, 8, dostime, dosdate, crc, len(comp), size,
                          len(name), 0))
    out.write(name)
    out.write(comp)
    return struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, flags, 8, dostime, dosdate, crc, len(comp),
                       size, len(name), 0, 0, 0, 0, 0, offset) + name


def _write_central(out: io.BytesIO, central: list[bytes]) -> None:
    import struct

    start = out.tell()
    for c in central:
        out.write(c)
    size = out.tell() - start
    out.write(struct.pack("<4sHHHHIIH", ZIP_END_MAGIC, 0, 0, len(central), len(central), size, start, 0))


@dataclass
class TemplateResult:
    unit: Unit
    path: Path
    status: str  # "written" | "skipped" (exists, kept)


def plan_filenames(year: int, units: Sequence[Unit]) -> list[str]:
    """One distinct Windows-safe file name per unit (case-insensitive); the unit code is
    added where two names would collide."""
    names = [template_filename(year, u) for u in units]
    seen: dict[str, int] = {}
    for n in names:
        seen[n.casefold()] = seen.get(n.casefold(), 0) + 1
    out = []
    used: set[str] = set()
    for u, n in zip(units, names):
        if seen[n.casefold()] > 1:
            n = safe_filename(say("template.batch.plan_filenames.n", year=int(year), name=u.name, code=u.code))
        k = n.casefold()
        i = 2
        base = n[:-5]
        while k in used:
            n = f"{base}_{i}.xlsx"
            k = n.casefold()
            i += 1
        used.add(k)
        out.append(n)
    return out


def _render_chunk(args: tuple) -> list[tuple[int, str]]:
    spec_id, spec_path, year, protect, password, jobs, overwrite = args

    spec = load_format(spec_id) if spec_path is None else load_spec_file(spec_path)
    factory = _factory_cache(spec, year, protect, password)
    done = []
    for i, unit, path in jobs:
        _write_file(path, factory.render(unit), overwrite)
        done.append((i, str(path)))
    return done


def _write_file(path: Path, data: bytes, overwrite: bool) -> None:
    """Atomic write for batches: the directory is fsynced once per batch by the caller
    instead of once per file.  The same ordinary file mode as a single template."""
    atomic_write_bytes(path, data, overwrite=overwrite, sync_dir=False)


_FACTORIES: dict[tuple, TemplateFactory] = {}


def _factory_cache(spec: Spec, year: int, protect: bool, password: str) -> TemplateFactory:
    key = (spec.id, spec.digest, year, protect, password)
    f = _FACTORIES.get(key)
    if f is None:
        _FACTORIES.clear()
        f = _FACTORIES[key] = TemplateFactory(spec, year, protect=protect, password=password)
    return f


def write_templates(spec: Spec, year: int, units: Sequence[Unit], outdir: str | Path, *,
                    overwrite: bool = False, skip_existing: bool = False, protect: bool = True,
                    password: str = DEFAULT_PASSWORD, workers: int | None = None,
                    progress: Callable[[int], None] | None = None) -> list[TemplateResult]:
    """Write one personalised template per unit into ``outdir``.

    Existing files are never replaced silently: with ``overwrite`` they are replaced,
    with ``skip_existing`` they are kept (status "skipped"); otherwise nothing is written
    and ``GiprError`` lists them.  ``progress(n)`` is called as files are done.
    """
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise GiprError(say("template.batch.write_templates", outdir=outdir), "output.not_dir")
    outdir.mkdir(parents=True, exist_ok=True)
    names = plan_filenames(year, units)
    results: list[TemplateResult | None] = [None] * len(units)
    jobs = []
    existing = []
    for i, (u, n) in enumerate(zip(units, names)):
        p = outdir / n
        if p.exists() and not overwrite:
            existing.append(p)
            if skip_existing:
                results[i] = TemplateResult(u, p, "skipped")
                continue
        jobs.append((i, u, p))
    if existing and not (overwrite or skip_existing):
        shown = "、".join(p.name for p in existing[:3]) + (say("template.batch.write_templates.shown") if len(existing) > 3 else "")
        raise GiprError(say("template.batch.write_templates_2", outdir=outdir, n_existing=len(existing),
                            shown=shown), "output.exists")
    if progress and len(jobs) < len(units):
        progress(len(units) - len(jobs))
    if not jobs:
        return [r for r in results if r is not None]
    if workers is None:
        workers = 1  # rendering takes < 1 ms; fsync dominates, and I/O threads overlap it
    spec_path = None if _is_builtin(spec) else spec.path
    chunk = 25
    batches = [(spec.id, spec_path, int(year), protect, password, jobs[k:k + chunk], overwrite)
               for k in range(0, len(jobs), chunk)]
    if workers <= 1:
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        factory = _factory_cache(spec, int(year), protect, password)
        pending: deque = deque()

        def finish(block: bool) -> None:
            while pending and (block or pending[0][0].done()):
                fut, i, unit, path = pending.popleft()
                fut.result()  # re-raises a write error
                results[i] = TemplateResult(unit, path, "written")
                if progress:
                    progress(1)

        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="gipr-write") as ex:
            try:
                for i, unit, path in jobs:
                    pending.append((ex.submit(_write_file, path, factory.render(unit), overwrite), i, unit, path))
                    if len(pending) > 32:
                        finish(False)
                        if len(pending) > 64:
                            pending[0][0].result()
                finish(True)
            except BaseException:
                for fut, *_ in pending:
                    fut.cancel()
                raise
    else:
        import multiprocessing as mp

        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        with ctx.Pool(workers) as pool:
            for done in pool.imap_unordered(_render_chunk, batches):
                for i, written in done:
                    results[i] = TemplateResult(units[i], Path(written), "written")
                if progress:
                    progress(len(done))
    fsync_dir(outdir)
    return [r for r in results if r is not None]


def _is_builtin(spec: Spec) -> bool:
    return spec.id in available_formats() and load_format(spec.id).digest == spec.digest
