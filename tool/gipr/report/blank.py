"""Build the default annual report template (gipr/formats/report.docx) with python-docx.

The template is an ordinary Word document: the page set-up, the fonts and every sentence are in
it, the numbers are docxtpl/Jinja placeholders with Chinese names (``{{ 新收申请 }}``), and the
three tables are inserted where ``{{p 表二 }}``, ``{{p 表三 }}``, ``{{p 表四 }}`` stand.  A county
copies it, rewords it in WPS or Word and passes it with ``gipr report --template``; the names it
may use are listed in :mod:`gipr.report.figures` (``PLACEHOLDERS``).

Rebuild the shipped template after changing this module:

    python -m gipr.report.blank tool/gipr/formats/report.docx
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .. import thirdparty
from ..catalogue.access import say
from ..fsio import atomic_output
from . import style as st

_docx = thirdparty.docx()  # python-docx (style.py loads it already: its lengths are python-docx's)
Document = _docx.Document
WD_ORIENT = _docx.enum.section.WD_ORIENT
WD_ALIGN_PARAGRAPH, WD_LINE_SPACING = _docx.enum.text.WD_ALIGN_PARAGRAPH, _docx.enum.text.WD_LINE_SPACING
OxmlElement, qn, Pt = _docx.oxml.OxmlElement, _docx.oxml.ns.qn, _docx.shared.Pt

__all__ = ["TEMPLATE_NAME", "build_template"]

TEMPLATE_NAME = "report.docx"

_MARK = re.compile(r"(【[^】]*】)")

# The document, paragraph by paragraph: (kind, text).  Kinds: title, draft, body, heading, table,
# control (a docxtpl {%p %} line).  Text in 【】 is a marked place to write (highlighted).
CONTENT: list[tuple[str, str]] = [
    ("control", say("report.blank.content")),
    ("draft", say("report.blank.content_2")),
    ("control", "{%p endif %}"),
    ("title", say("report.blank.content_3")),
    ("body", say("report.blank.content_4")),
    ("heading", say("report.blank.content_5")),
    ("body", say("report.blank.content_6")),
    ("heading", say("report.blank.content_7")),
    ("body", say("report.blank.content_8")),
    ("table", say("report.blank.content_9")),
    ("heading", say("report.blank.content_10")),
    ("body", say("report.blank.content_11")),
    ("body", say("report.blank.content_12")),
    ("table", say("report.blank.content_13")),
    ("heading", say("report.blank.content_14")),
    ("body", say("report.blank.content_15")),
    ("table", say("report.blank.content_16")),
    ("heading", say("report.blank.content_17")),
    ("body", say("report.blank.content_18")),
    ("heading", say("report.blank.content_19")),
    ("body", say("report.blank.content_20")),
    ("body", say("report.blank.content_21")),
]


_AFTER_OVERFLOW_PUNCT = ("w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
                         "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
                         "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
                         "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def _paragraph_format(p, *, indent: bool, align=None, exact: bool = True) -> None:
    pf = p.paragraph_format
    if exact:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = st.LINE_SPACING
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    if indent:
        pf.first_line_indent = st.BODY_SIZE * 2
    if align is not None:
        p.alignment = align
    ppr = p._p.get_or_add_pPr()
    hang = OxmlElement("w:overflowPunct")  # no punctuation hanging past the right margin
    hang.set(qn("w:val"), "0")
    ppr.insert_element_before(hang, *_AFTER_OVERFLOW_PUNCT)


def _add_text(p, text: str, east_asia: str, size, *, bold: bool = False, color: str | None = None) -> None:
    for part in _MARK.split(text):
        if not part:
            continue
        run = p.add_run(part)
        st.style_run(run, east_asia, size, bold=bold, color=color)
        if _MARK.fullmatch(part):
            run.font.highlight_color = 7  # WD_COLOR_INDEX.YELLOW


def _footer_page_number(section) -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run("— ")
    st.style_run(run, st.PAGE_NUMBER_FONT, st.PAGE_NUMBER_SIZE)
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE \\* MERGEFORMAT")
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    fld.append(r)
    p._p.append(fld)
    st.set_fonts(r, st.PAGE_NUMBER_FONT)
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(int(st.PAGE_NUMBER_SIZE.pt * 2)))
    r.find(qn("w:rPr")).append(sz)
    run = p.add_run(" —")
    st.style_run(run, st.PAGE_NUMBER_FONT, st.PAGE_NUMBER_SIZE)


def _font_table(doc) -> None:
    """Declare the Chinese fonts with their fall-backs (w:altName) and the GB2312 charset."""
    part = next(p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    from lxml import etree

    root = etree.fromstring(part.blob)
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    for name, (alt, panose, charset) in st.FONT_TABLE.items():
        font = etree.SubElement(root, f"{{{w}}}font")
        font.set(f"{{{w}}}name", name)
        for tag, val in (("altName", alt), ("panose1", panose), ("charset", charset), ("family", "roman"),
                         ("pitch", "variable")):
            el = etree.SubElement(font, f"{{{w}}}{tag}")
            el.set(f"{{{w}}}val", val)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _styles(doc) -> None:
    normal = doc.styles["Normal"]
    normal.font.size = st.BODY_SIZE
    st.set_fonts(normal.element, st.BODY_FONT)
    rpr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)
    normal.paragraph_format.widow_control = False
    ppr = normal.element.get_or_add_pPr()
    hang = OxmlElement("w:overflowPunct")  # no punctuation hanging past the right margin
    hang.set(qn("w:val"), "0")
    ppr.insert_element_before(hang, *_AFTER_OVERFLOW_PUNCT)


def build_document():
    """The template as a python-docx Document."""
    doc = Document()
    _styles(doc)
    _font_table(doc)
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = st.PAGE_WIDTH, st.PAGE_HEIGHT
    sec.top_margin, sec.bottom_margin = st.MARGIN_TOP, st.MARGIN_BOTTOM
    sec.left_margin, sec.right_margin = st.MARGIN_LEFT, st.MARGIN_RIGHT
    sec.footer_distance = st.MARGIN_BOTTOM - st.LINE_SPACING * 2
    _footer_page_number(sec)
    body = doc.paragraphs[0] if doc.paragraphs else None
    if body is not None and not body.text:
        body._p.getparent().remove(body._p)
    props = doc.core_properties
    props.title = say("report.blank.build_document.title")
    props.author = "gipr"
    props.comments = say("report.blank.build_document.comments")
    for kind, text in CONTENT:
        p = doc.add_paragraph()
        if kind == "title":
            _paragraph_format(p, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, exact=False)
            p.paragraph_format.space_before = Pt(0)
            p.paragraph_format.space_after = st.LINE_SPACING
            _add_text(p, text, st.TITLE_FONT, st.TITLE_SIZE)
        elif kind == "draft":
            _paragraph_format(p, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
            _add_text(p, text, st.HEADING_FONT, st.BODY_SIZE, bold=True, color="C00000")
        elif kind == "heading":
            _paragraph_format(p, indent=True)
            p.paragraph_format.keep_with_next = True
            _add_text(p, text, st.HEADING_FONT, st.BODY_SIZE)
        elif kind in ("table", "control"):
            _paragraph_format(p, indent=False, exact=False)
            _add_text(p, text, st.BODY_FONT, st.BODY_SIZE)
        else:
            _paragraph_format(p, indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
            _add_text(p, text, st.BODY_FONT, st.BODY_SIZE)
    return doc


def build_template(path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the default template to ``path`` (atomically)."""
    doc = build_document()
    path = Path(path)
    with atomic_output(path, overwrite=overwrite) as tmp:
        doc.save(str(tmp))
    return path


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    build_template(sys.argv[1] if len(sys.argv) > 1 else "tool/gipr/formats/report.docx", overwrite=True)
