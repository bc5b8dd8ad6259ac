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
    ("control", "{%p if 草稿 %}"),
    ("draft", "草稿（数据有误）：{{ 草稿说明 }}"),
    ("control", "{%p endif %}"),
    ("title", "{{r 标题 }}"),
    ("body", "本报告由{{ 单位名称 }}依照《中华人民共和国政府信息公开条例》（以下简称《条例》）第五十条和"
             "《中华人民共和国政府信息公开工作年度报告格式》编制，包括总体情况、主动公开政府信息情况、"
             "收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、"
             "其他需要报告的事项六个部分。报告中的数据统计期限为{{ 年度 }}年1月1日至{{ 年度 }}年12月31日。"
             "对本报告有疑问的，请与{{ 单位名称 }}联系（{{r 联系方式 }}）。"),
    ("heading", "一、总体情况"),
    ("body", "【请在此填写：本年度政府信息公开工作的总体情况，包括主动公开、依申请公开、政府信息管理、"
             "政府信息公开平台建设、监督保障等方面，原则上不超过一千字。】"),
    ("heading", "{{ 表二标题 }}"),
    ("body", "本年度制发规章{{ 制发规章 }}件{{ 制发规章同比 }}、规范性文件{{ 制发规范性文件 }}件"
             "{{ 制发规范性文件同比 }}；作出行政许可决定{{ 行政许可 }}件{{ 行政许可同比 }}、"
             "行政处罚决定{{ 行政处罚 }}件{{ 行政处罚同比 }}、行政强制决定{{ 行政强制 }}件{{ 行政强制同比 }}。"
             "具体情况如下表："),
    ("table", "{{p 表二 }}"),
    ("heading", "{{ 表三标题 }}"),
    ("body", "本年度新收政府信息公开申请{{ 新收申请 }}件{{ 新收申请同比 }}，其中自然人提出{{ 自然人申请 }}件"
             "{{ 自然人申请同比 }}、法人或其他组织提出{{ 法人或其他组织申请 }}件{{ 法人或其他组织申请同比 }}；"
             "上年结转政府信息公开申请{{ 上年结转 }}件{{ 上年结转同比 }}。"),
    ("body", "本年度办理结果：予以公开{{ 予以公开 }}件{{ 予以公开同比 }}，部分公开{{ 部分公开 }}件"
             "{{ 部分公开同比 }}，不予公开{{ 不予公开 }}件{{ 不予公开同比 }}，无法提供{{ 无法提供 }}件"
             "{{ 无法提供同比 }}，不予处理{{ 不予处理 }}件{{ 不予处理同比 }}，其他处理{{ 其他处理 }}件{{ 其他处理同比 }}，"
             "共计{{ 办理总计 }}件{{ 办理总计同比 }}；"
             "结转下年度继续办理{{ 结转下年 }}件{{ 结转下年同比 }}。具体情况如下表："),
    ("table", "{{p 表三 }}"),
    ("heading", "{{ 表四标题 }}"),
    ("body", "本年度因政府信息公开工作被申请行政复议{{ 行政复议 }}件{{ 行政复议同比 }}，其中结果维持"
             "{{ 复议维持 }}件{{ 复议维持同比 }}、结果纠正{{ 复议纠正 }}件{{ 复议纠正同比 }}、其他结果{{ 复议其他 }}件"
             "{{ 复议其他同比 }}、尚未审结{{ 复议未审结 }}件{{ 复议未审结同比 }}；被提起行政诉讼{{ 行政诉讼 }}件"
             "{{ 行政诉讼同比 }}（未经复议直接起诉{{ 直接起诉 }}件{{ 直接起诉同比 }}、复议后起诉{{ 复议后起诉 }}件"
             "{{ 复议后起诉同比 }}），其中结果维持{{ 诉讼维持 }}件{{ 诉讼维持同比 }}、结果纠正{{ 诉讼纠正 }}件"
             "{{ 诉讼纠正同比 }}、其他结果{{ 诉讼其他 }}件{{ 诉讼其他同比 }}、尚未审结{{ 诉讼未审结 }}件"
             "{{ 诉讼未审结同比 }}。具体情况如下表："),
    ("table", "{{p 表四 }}"),
    ("heading", "五、存在的主要问题及改进情况"),
    ("body", "【请在此填写：本年度政府信息公开工作存在的主要问题，以及有针对性的改进措施和成效。】"),
    ("heading", "六、其他需要报告的事项"),
    ("body", "{{r 信息处理费 }}"),
    ("body", "【请在此填写：其他需要报告的事项；没有的，写“无”。】"),
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
    props.title = "政府信息公开工作年度报告"
    props.author = "gipr"
    props.comments = "gipr 年度报告模板：双花括号中是占位符（可用的名称见 gipr report --placeholders），【】中是需要人工填写的位置。"
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
