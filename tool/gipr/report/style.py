"""Government page style of the annual report document: fonts, sizes, margins, borders.

The usual style of a Chinese official document (公文): A4; title in 方正小标宋简体 二号 (22 pt);
body in 仿宋_GB2312 三号 (16 pt); headings of the first level in 黑体 三号; margins top 3.7 cm,
bottom 3.5 cm, left 2.8 cm, right 2.6 cm; page numbers in the footer.  Fonts are named as
Chinese offices have them and set as East-Asian fonts (``w:eastAsia``), which is what WPS and
Word use for Chinese text; the font table gives each a fall-back (``w:altName``: 宋体, 仿宋)
and LibreOffice on Linux substitutes the installed CJK fonts (Noto CJK).
"""

from __future__ import annotations

from .. import thirdparty
from ..catalogue.access import say

# the lengths below are python-docx's: importing this module (the .docx writers only) loads it
_docx = thirdparty.docx()
OxmlElement, qn = _docx.oxml.OxmlElement, _docx.oxml.ns.qn
Cm, Pt = _docx.shared.Cm, _docx.shared.Pt

PAGE_WIDTH = Cm(21.0)
PAGE_HEIGHT = Cm(29.7)
MARGIN_TOP = Cm(3.7)
MARGIN_BOTTOM = Cm(3.5)
MARGIN_LEFT = Cm(2.8)
MARGIN_RIGHT = Cm(2.6)
TEXT_WIDTH = Cm(21.0 - 2.8 - 2.6)  # 15.6 cm: page width less the side margins

TITLE_FONT = say("report.style.title_font")
BODY_FONT = say("report.style.body_font")
HEADING_FONT = say("report.style.heading_font")
LATIN_FONT = "Times New Roman"
PAGE_NUMBER_FONT = say("report.style.page_number_font")
TABLE_FONT = say("report.style.page_number_font")
TITLE_SIZE = Pt(22)  # 二号
BODY_SIZE = Pt(16)  # 三号
PAGE_NUMBER_SIZE = Pt(14)  # 四号
TABLE_SIZE = Pt(10.5)  # 五号: narrow tables
TABLE_SIZE_SMALL = Pt(9)  # 小五: the wide tables 三 and 四
LINE_SPACING = Pt(28)  # exact line pitch of the body text
MARK_COLOR = "FFFF00"  # shading of the places people write (docxtpl RichText takes a hex colour)

# font name -> (fall-back name, panose, charset); written into the font table
FONT_TABLE = {
    TITLE_FONT: (say("report.style.page_number_font"), "02000000000000000000", "86"),
    BODY_FONT: (say("report.style"), "02010609030101010101", "86"),
    say("report.style"): ("FangSong", "02010609060101010101", "86"),
    HEADING_FONT: ("SimHei", "02010609060101010101", "86"),
    say("report.style.page_number_font"): ("SimSun", "02010600030101010101", "86"),
}


def set_fonts(rpr_owner, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Set the run fonts of a run, a style or a paragraph mark (anything with ``get_or_add_rPr``)."""
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:hint"), "eastAsia")


def style_run(run, east_asia: str, size, *, bold: bool = False, color: str | None = None) -> None:
    run.font.size = size
    run.font.bold = bold
    set_fonts(run._r, east_asia)
    if color:
        RGBColor = _docx.shared.RGBColor
        run.font.color.rgb = RGBColor.from_string(color)


def table_properties_xml(widths_twips: list[int]) -> str:
    """w:tblPr and w:tblGrid of a bordered, centred table with a fixed layout (schema order)."""
    borders = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                      for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    margin = int(Cm(0.05).twips)
    return (f'<w:tblPr><w:tblW w:w="{sum(widths_twips)}" w:type="dxa"/><w:jc w:val="center"/>'
            f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
            f'<w:tblCellMar><w:left w:w="{margin}" w:type="dxa"/><w:right w:w="{margin}" w:type="dxa"/></w:tblCellMar>'
            f'<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0"'
            f' w:noHBand="0" w:noVBand="0"/></w:tblPr>'
            '<w:tblGrid>' + "".join(f'<w:gridCol w:w="{w}"/>' for w in widths_twips) + '</w:tblGrid>')


def row_properties_xml(header: bool) -> str:
    """Rows never split across pages; header rows repeat at the top of each page (w:tblHeader)."""
    return "<w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if header else "") + "</w:trPr>"


def run_properties_xml(east_asia: str, size_pt: float, *, bold: bool = False) -> str:
    half = round(size_pt * 2)
    return (f'<w:rPr><w:rFonts w:ascii="{LATIN_FONT}" w:hAnsi="{LATIN_FONT}" w:eastAsia="{east_asia}"'
            f' w:cs="{LATIN_FONT}" w:hint="eastAsia"/>' + ("<w:b/><w:bCs/>" if bold else "")
            + f'<w:sz w:val="{half}"/><w:szCs w:val="{half}"/></w:rPr>')


def cell_xml(text_xml: str, width_twips: int, *, colspan: int = 1, vmerge: str | None = None, align: str = "center",
             size_pt: float = 9, bold: bool = False, east_asia: str = TABLE_FONT, keep_next: bool = False) -> str:
    """One w:tc: ``text_xml`` is already escaped; ``vmerge`` is "restart", "continue" or None;
    ``keep_next``: the row stays on the page of the next one (every row but a table's last:
    the table is kept together, as Word does with “与下段同页”)."""
    span = f'<w:gridSpan w:val="{colspan}"/>' if colspan > 1 else ""
    vm = '<w:vMerge w:val="restart"/>' if vmerge == "restart" else "<w:vMerge/>" if vmerge == "continue" else ""
    half = round(size_pt * 2)
    run = (f"<w:r>{run_properties_xml(east_asia, size_pt, bold=bold)}"
           f'<w:t xml:space="preserve">{text_xml}</w:t></w:r>') if text_xml else ""
    return (f'<w:tc><w:tcPr><w:tcW w:w="{width_twips}" w:type="dxa"/>{span}{vm}<w:vAlign w:val="center"/></w:tcPr>'
            f'<w:p><w:pPr>{"<w:keepNext/>" if keep_next else ""}'
            f'<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>'
            f'<w:ind w:firstLine="0" w:firstLineChars="0"/><w:jc w:val="{align}"/>'
            f'<w:rPr><w:sz w:val="{half}"/><w:szCs w:val="{half}"/></w:rPr></w:pPr>{run}</w:p></w:tc>')
