"""Write the annual report document (.docx) from a report template and the checked values.

The template (gipr/formats/report.docx, or a county's reworded copy) holds the page set-up, the
sentences and docxtpl/Jinja placeholders; :data:`gipr.report.figures.PLACEHOLDERS` is the whole
vocabulary.  Before rendering, every placeholder of the template is read paragraph by paragraph
and an unknown one is refused with its name and place.  The tables 二、三、四 are built here with
python-docx in the official layout (:func:`gipr.merge.layout.table_regions`: the same merged
regions and labels as the workbook template and the HTML page) and put where ``{{p 表二 }}`` …
stand.  Every number of the sentences and of the tables comes from the same ``values``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import messages, thirdparty
from ..catalogue.access import say, textkey
from ..errors import GiprError
from ..fsio import atomic_output
from ..merge.layout import Region, header_rows, table_regions
from ..spec import Spec, TableLayout, formats_dir
from ..text import xml_escape
from ..values import Number, fmt_number
from . import style as st
from .blank import TEMPLATE_NAME
from .figures import PLACEHOLDERS, RICH_PLACEHOLDERS, TABLE_PLACEHOLDERS, figure_context, figure_value

__all__ = ["TABLE_KEYS", "ReportData", "check_template", "default_template", "render_report", "write_report"]

TABLE_KEYS = {"t2": say("report.document.t2"), "t3": say("report.document.t3"), "t4": say("report.document.t4")}
_TAG = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.S)
_PREFIX = re.compile(r"^-?\s*(p|r|tr|tc|sp)\s+")
_MARK = re.compile(r"(【[^】]*】)")
_MAX_TEMPLATE = 20 * 1024 * 1024
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@dataclass
class ReportData:
    """What one document says: whose, which year, the values (every value cell), last year's."""

    spec: Spec
    values: Mapping[str, Number | None]
    name: str  # 单位名称 (a unit) or the county's name (a roll-up)
    year: int
    filler: str = ""
    phone: str = ""
    errors: int = 0  # >0: the document is a draft (草稿（数据有误）)
    previous: tuple[Spec, Mapping[str, Number | None]] | None = None
    kind: str = "unit"  # "unit" | "rollup"
    extra: dict[str, str] = field(default_factory=dict)
    review: list[str] = field(default_factory=list)  # carry-over breaks against last year (需核对): a draft too
    county: str = ""  # a unit of a county's workspace: its title and text name the county too

    @property
    def full_name(self) -> str:
        """The name the document is published under: a unit's with its county (县卫生健康局 of
        灵丘县 → 灵丘县卫生健康局; 东河镇人民政府 → 灵丘县东河镇人民政府)."""
        name, county = self.name, self.county
        if self.kind != "unit" or not county or name.startswith(county):
            return name
        if county[-1] in say("report.document.full_name") and name.startswith(county[-1]):
            return county + name[1:]
        return county + name

    @property
    def draft(self) -> bool:
        return self.errors > 0 or bool(self.review)


def default_template() -> Path:
    return formats_dir() / TEMPLATE_NAME


# ---------------------------------------------------------------------------------
# the template's placeholders


def _paragraph_texts(xml: bytes) -> list[str]:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(xml, parser)
    out = []
    for p in root.iter(f"{{{W}}}p"):
        out.append("".join(t.text or "" for t in p.iter(f"{{{W}}}t")))
    return out


def _template_parts(path: Path) -> list[tuple[str, bytes]]:
    """(part kind, xml) of the body, headers and footers; refuses what is not a .docx."""
    if not path.is_file():
        raise GiprError(messages.say("report.template_missing", path=path), "report.template_missing")
    try:
        if path.stat().st_size > _MAX_TEMPLATE:
            raise ValueError(say("report.document.template_parts"))
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if "word/document.xml" not in names:
                raise ValueError(say("report.document.template_parts_2"))
            parts = []
            for n in names:
                if n == "word/document.xml":
                    kind = "part_body"
                elif re.fullmatch(r"word/header\d*\.xml", n):
                    kind = "part_header"
                elif re.fullmatch(r"word/footer\d*\.xml", n):
                    kind = "part_footer"
                else:
                    continue
                info = zf.getinfo(n)
                if info.file_size > _MAX_TEMPLATE:
                    raise ValueError(say("report.document.template_parts_3", n=n))
                data = zf.read(n)
                if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
                    raise ValueError(say("report.document.template_parts_4", n=n))
                parts.append((kind, data))
        parts.sort(key=lambda kp: ("part_body", "part_header", "part_footer").index(kp[0]))
        return parts
    except GiprError:
        raise
    except Exception as e:
        raise GiprError(messages.say("report.template_unreadable", path=path, detail=str(e)[:160]),
                        "report.template_unreadable") from None


def _names_in(expr: str, is_block: bool) -> list[str]:
    """The variable names a tag uses (a syntax error raises jinja2's TemplateSyntaxError)."""
    jinja2 = thirdparty.jinja2()
    meta = jinja2.meta
    env = jinja2.Environment()
    expr = _PREFIX.sub("", expr.strip())
    if not is_block:
        return sorted(meta.find_undeclared_variables(env.parse("{{ " + expr + " }}")))
    word, _, rest = expr.partition(" ")
    if word in ("if", "elif"):
        src = "{% if " + rest + " %}{% endif %}"
    elif word == "for":
        src = "{% for " + rest + " %}{% endfor %}"
    elif word in ("else", "endif", "endfor") or not word:
        return []
    else:
        src = "{% " + expr + " %}"
    return sorted(meta.find_undeclared_variables(env.parse(src)))


_CHECKED: set[tuple[str, int, int]] = set()


def check_template(path: str | Path) -> None:
    """Refuse a template that uses a name gipr does not fill in, names the table placeholders in
    any other way than ``{{p 表二 }}``, or has a malformed tag: the message names the place."""
    jinja2 = thirdparty.jinja2()
    path = Path(path)
    try:
        st_ = path.stat()
        key = (str(path.resolve()), st_.st_mtime_ns, st_.st_size)
    except OSError:
        key = None
    if key is not None and key in _CHECKED:
        return  # the same file, unchanged: checked already in this run
    for kind, xml in _template_parts(path):
        try:
            texts = _paragraph_texts(xml)
        except Exception as e:
            raise GiprError(messages.say("report.template_unreadable", path=path, detail=str(e)[:160]),
                            "report.template_unreadable") from None
        for n, text in enumerate(texts, 1):
            for m in _TAG.finditer(text):
                place = messages.say("report.place_paragraph", part=messages.say(textkey("report." + kind)), n=n,
                                                                  text=_excerpt(text))
                expr, is_block = (m.group(1), False) if m.group(1) is not None else (m.group(2), True)
                try:
                    names = _names_in(expr, is_block)
                except jinja2.TemplateSyntaxError as e:
                    raise GiprError(messages.say("report.template_syntax", path=path, place=place, detail=e.message),
                                    "report.template_syntax") from None
                for name in names:
                    if name not in PLACEHOLDERS:
                        raise GiprError(messages.say("report.template_unknown", path=path, name=name, place=place),
                                        "report.template_unknown")
                    pm = _PREFIX.match(expr.strip())
                    prefix = pm.group(1) if pm else ""
                    if name in TABLE_PLACEHOLDERS and not (
                            not is_block and prefix == "p" and text.strip() == m.group(0).strip()):
                        raise GiprError(messages.say("report.template_table", path=path, name=name, place=place),
                                        "report.template_table")
                    if is_block or name in TABLE_PLACEHOLDERS:
                        continue
                    want = "r" if name in RICH_PLACEHOLDERS else ""
                    if prefix != want:  # {{r x }} needs rich text, a plain {{ x }} plain text
                        form = "{{r " + name + " }}" if want else "{{ " + name + " }}"
                        raise GiprError(messages.say("report.template_form", path=path, name=name, form=form,
                                                                                place=place), "report.template_form")
            # an opening brace pair without its closing one
            rest = _TAG.sub("", text)
            if "{{" in rest or "{%" in rest:
                place = messages.say("report.place_paragraph", part=messages.say(textkey("report." + kind)), n=n, text=_excerpt(text))
                raise GiprError(messages.say("report.template_syntax", path=path, place=place, detail=messages.say("report.unclosed")),
                                "report.template_syntax")
    if key is not None:
        _CHECKED.add(key)


def _excerpt(text: str, n: int = 40) -> str:
    text = text.strip()
    return text if len(text) <= n else text[:n] + "……"


# ---------------------------------------------------------------------------------
# the tables


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Text that XML 1.0 can carry (a unit name may hold control characters)."""
    return _NOT_XML.sub("", str(text))


def escape(text: str) -> str:
    return xml_escape(clean_text(text))


_GROUP_NO = re.compile(say("report.document.group_no"))
NARROW_LABEL = 1200  # twips: a label column this narrow breaks a group's label after its number


def column_widths(t: TableLayout) -> list[int]:
    """Column widths (twips) that fill the text width: narrow value columns, the row labels the rest."""
    total = int(st.TEXT_WIDTH.twips)
    nval = t.width - t.label_cols
    if t.label_cols == 0:
        widths = [total // t.width] * t.width
    else:
        vw = min(int(total * 0.245), int(total * 0.51) // max(nval, 1)) if nval > 3 else int(total * 0.245)
        label_total = total - vw * nval
        if t.label_cols == 1:
            labels = [label_total]
        elif t.label_cols == 3:
            # 表三: the part (三、本年度办理结果), the group ((三) / 不予公开, broken after its number:
            # 4 characters wide) and the item, wide enough for 2.其他法律行政法规禁止公开 on one line
            labels = [int(label_total * 0.225), int(label_total * 0.185)]
            labels.append(label_total - sum(labels))
        else:
            first = int(label_total * 0.45) // (t.label_cols - 1)
            labels = [first] * (t.label_cols - 1) + [label_total - first * (t.label_cols - 1)]
        widths = labels + [vw] * nval
    widths[-1] += total - sum(widths)
    return widths


_CJK_WORDS = re.compile(r"^[\u4e00-\u9fff]+$")
CELL_MARGINS = 2 * int(st.Cm(0.05).twips)  # twips: a cell's left and right margins (style.table_properties_xml)


def header_lines(text: str, width_twips: int, size_pt: float) -> list[str]:
    """The lines of a column header in a cell ``width_twips`` wide: one if it fits, else whole
    two-character words per line, as many as fit (表三's 商业/企业, 社会/公益/组织 in its
    three-character value columns, instead of Word's and LibreOffice's 商业企/业 and 社会公/益组/织).

    The value headers of the official tables (申请人 categories, 复议/诉讼 results) are
    compounds of two-character words; a header that is not all Chinese characters or has an odd
    length is left to the application's own wrapping."""
    per_line = int((width_twips - CELL_MARGINS) // (size_pt * 20))  # a CJK character is 1 em wide
    if len(text) <= per_line or len(text) % 2 or not _CJK_WORDS.match(text):
        return [text]
    words = [text[i:i + 2] for i in range(0, len(text), 2)]
    n = max(1, per_line // 2)
    return ["".join(words[i:i + n]) for i in range(0, len(words), n)]


def _lines_xml(lines: list[str]) -> str:
    return '</w:t><w:br/><w:t xml:space="preserve">'.join(escape(x) for x in lines)


def table_xml(spec: Spec, t: TableLayout, values: Mapping[str, Number | None]) -> str:
    """Table ``t`` with ``values`` as a w:tbl: the merged regions of :func:`table_regions`
    (gridSpan across, vMerge down), header rows repeated on each page, blank printed as blank."""
    widths = column_widths(t)
    size = st.TABLE_SIZE.pt if t.width <= 5 else st.TABLE_SIZE_SMALL.pt
    nrows = t.last_row - t.first_row + 1
    anchor: dict[tuple[int, int], Region] = {}
    below: dict[tuple[int, int], Region] = {}  # (row, col) of a vertically merged region's lower cells
    for reg in table_regions(spec, t):
        anchor[(reg.row, reg.col)] = reg
        for r in range(reg.row + 1, reg.row + reg.rowspan):
            below[(r, reg.col)] = reg
    nhead = header_rows(spec, t)
    rows = []
    for r in range(nrows):
        cells = []
        c = 0
        while c < t.width:
            g = anchor.get((r, c))
            if g is not None:
                w = sum(widths[c:c + g.colspan])
                if g.kind == "value":
                    text, align, bold = fmt_number(values.get(g.payload)), "center", False
                else:
                    left = g.kind in ("row", "heading") or (g.kind == "corner" and g.colspan > 1)
                    text, align, bold = g.payload, "left" if left else "center", g.kind == "heading"
                xml_text = escape(text)
                if g.kind != "value" and g.colspan == 1 and c < t.label_cols and (no := _GROUP_NO.match(text)) \
                        and w < NARROW_LABEL:  # （三）不予公开 in a narrow column: break after the number
                    n = no.end()
                    xml_text = _lines_xml([text[:n], text[n:]])
                elif g.kind == "column" and c >= t.label_cols:  # a value column's header: break between words
                    xml_text = _lines_xml(header_lines(text, w, size))
                cells.append(st.cell_xml(xml_text, w, colspan=g.colspan, align=align, size_pt=size, bold=bold,
                                         vmerge="restart" if g.rowspan > 1 else None, keep_next=r < nrows - 1))
                c += g.colspan
                continue
            g = below.get((r, c))
            if g is not None:
                cells.append(st.cell_xml("", sum(widths[c:c + g.colspan]), colspan=g.colspan, vmerge="continue",
                                         size_pt=size, keep_next=r < nrows - 1))
                c += g.colspan
                continue
            covered = next((a for (ar, ac), a in anchor.items() if ar == r and ac < c < ac + a.colspan), None)
            if covered is None:  # an empty position (should not happen with a sane format)
                cells.append(st.cell_xml("", widths[c], size_pt=size, keep_next=r < nrows - 1))
            c += 1
        rows.append(f"<w:tr>{st.row_properties_xml(r < nhead)}{''.join(cells)}</w:tr>")
    return f"<w:tbl>{st.table_properties_xml(widths)}{''.join(rows)}</w:tbl>"


def _note_xml(text: str) -> str:
    half = int(st.TABLE_SIZE.pt * 2)
    return ('<w:p><w:pPr><w:spacing w:before="120" w:after="0" w:line="240" w:lineRule="auto"/>'
            f'<w:ind w:firstLine="0" w:firstLineChars="0"/><w:jc w:val="left"/><w:rPr><w:sz w:val="{half}"/></w:rPr></w:pPr>'
            f'<w:r>{st.run_properties_xml(st.TABLE_FONT, st.TABLE_SIZE.pt)}'
            f'<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>')


def _tables_xml(spec: Spec, values: Mapping[str, Number | None]) -> dict[str, str]:
    """Each table (and its note) as body-level WordprocessingML, keyed by placeholder name."""
    out: dict[str, str] = {}
    for t in spec.tables:
        xml = table_xml(spec, t, values)
        if t.note:
            xml += _note_xml(messages.say("report.table_note", note=t.note))
        out[TABLE_KEYS.get(t.id, t.id)] = xml
    return out


# ---------------------------------------------------------------------------------
# the context and the document


def _marked(text: str):
    """Text whose 【…】 parts are highlighted as places to write."""
    rt = thirdparty.docxtpl().RichText()
    for part in _MARK.split(text):
        if part:
            rt.add(part, highlight=st.MARK_COLOR if _MARK.fullmatch(part) else None)
    return rt


def fee_sentence(spec: Spec, values: Mapping[str, Number | None]) -> str:
    """The 信息处理费 sentence where the data allows one, else a marked place to write."""
    received = figure_value(spec, say("report.document.fee_sentence.received"), values)
    carried = figure_value(spec, say("report.document.fee_sentence.carried"), values)
    if received == 0 and carried == 0:
        return messages.say("report.fee_none")
    unpaid = values.get("t3.other2.total") if "t3.other2.total" in spec.cells else None
    if unpaid:
        return messages.say("report.fee_notices", n=fmt_number(unpaid))
    return messages.say("report.fee_mark")


TITLE_LINE = 18  # characters of the title's size (二号) on one line of the body's width


def _title(name: str, year: int):
    """The title, broken after the unit's name when it does not fit on one line (no lone
    “报告” on a second line)."""
    RichText = thirdparty.docxtpl().RichText
    rest = messages.say("report.title_rest", year=year)
    wide = sum(1 if ord(ch) > 0x2E7F else 0.55 for ch in name + rest)
    rpr = st.run_properties_xml(st.TITLE_FONT, st.TITLE_SIZE.pt)
    rt = RichText()
    rt.xml = (f'<w:r>{rpr}<w:t xml:space="preserve">{escape(name)}</w:t></w:r>'
              + (f"<w:r>{rpr}<w:br/></w:r>" if wide > TITLE_LINE else "")
              + f'<w:r>{rpr}<w:t xml:space="preserve">{escape(rest)}</w:t></w:r>')
    return rt


def report_context(data: ReportData) -> dict:
    from markupsafe import Markup

    spec = data.spec
    ctx: dict = dict(figure_context(spec, data.values, data.previous))
    ctx.update({
        say("report.document.report_context"): clean_text(data.full_name),
        say("report.document.report_context_2"): _title(clean_text(data.full_name), data.year),
        say("report.document.report_context_3"): str(data.year),
        say("report.document.report_context_4"): spec.id,
        say("report.document.report_context_5"): _marked(messages.say("report.contact", filler=clean_text(data.filler) or say("report.document.report_context.filler"),
                                                              phone=clean_text(data.phone) or say("report.document.report_context.filler"))
                            if (data.filler or data.phone) else messages.say("report.contact_mark")),
        say("report.document.report_context_6"): _marked(fee_sentence(spec, data.values)),
        say("report.document.report_context_7"): data.draft,
        say("report.document.report_context_8"): "".join(
            ([messages.say("report.draft_reason", errors=data.errors)] if data.errors else [])
            + ([messages.say("report.draft_review", n=len(data.review), items="；".join(data.review[:5]))] if data.review else [])),
    })
    for t in spec.tables:
        key = TABLE_KEYS.get(t.id, t.id)
        ctx[key + say("report.document.report_context_2")] = t.title
    for key, xml in _tables_xml(spec, data.values).items():
        ctx[key] = Markup(xml)
    ctx.update(data.extra)
    return ctx


def _valid_ooxml(doc) -> None:
    """What Word and WPS would offer to repair, made right: docxtpl's shading of the places to
    write lacks the required ``w:val`` (ECMA-376: CT_Shd), and a ``stylesWithEffects`` part
    (Word 2010's copy of the styles) that no longer matches styles.xml is dropped (it is
    optional; Word rebuilds it)."""
    qn = thirdparty.docx().oxml.ns.qn
    for shd in doc.element.body.iter(qn("w:shd")):
        if shd.get(qn("w:val")) is None:
            shd.set(qn("w:val"), "clear")
            if shd.get(qn("w:color")) is None:
                shd.set(qn("w:color"), "auto")
    for rid, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            del doc.part.rels[rid]


def render_report(data: ReportData, template: str | Path | None = None):
    """The rendered docxtpl document (call ``.save(path)``)."""
    jinja2, DocxTemplate = thirdparty.jinja2(), thirdparty.docxtpl().DocxTemplate
    path = Path(template) if template is not None else default_template()
    check_template(path)
    context = report_context(data)
    try:
        tpl = DocxTemplate(str(path))
        tpl.init_docx()
    except Exception as e:
        raise GiprError(messages.say("report.template_unreadable", path=path, detail=f"{type(e).__name__}: {e}"[:160]),
                        "report.template_unreadable") from None
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
    try:
        tpl.render(context, jinja_env=env, autoescape=True)
    except jinja2.TemplateError as e:  # what the paragraph scan could not see (tags across paragraphs)
        raise GiprError(messages.say("report.template_syntax", path=path, place=messages.say("report.part_body"),
                                                                  detail=getattr(e, "message", None) or str(e)),
                        "report.template_syntax") from None
    except etree_error() as e:  # a template whose tags break the document's XML when expanded
        raise GiprError(messages.say("report.template_unreadable", path=path, detail=f"{type(e).__name__}: {e}"[:160]),
                        "report.template_unreadable") from None
    _valid_ooxml(tpl.docx)
    props = tpl.docx.core_properties
    props.title = clean_text(say("report.document.render_report.title", full_name=data.full_name, year=data.year))
    return tpl


def etree_error():
    from lxml import etree

    return etree.XMLSyntaxError


def write_report(path: str | Path, data: ReportData, *, template: str | Path | None = None,
                 overwrite: bool = False) -> Path:
    """Render and write the document atomically; an existing file is replaced only with ``overwrite``."""
    path = Path(path)
    if path.suffix.lower() != ".docx":
        raise GiprError(messages.say("report.out_suffix", path=path), "report.out_suffix")
    tpl = render_report(data, template)
    buf = io.BytesIO()
    tpl.save(buf)
    with atomic_output(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(buf.getvalue())
    return path
