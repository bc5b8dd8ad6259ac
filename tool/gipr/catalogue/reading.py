"""Texts of a file that cannot be read (the ReadError codes, stable: tests, the ledger and
--json consumers key on them) and the parts of messages (``detail.*``)."""

from __future__ import annotations

# Files that cannot be read at all (ReadError codes).  ``{file}`` is the file's display name.
READ_ERRORS: dict[str, str] = {
    "file.not_found": "{file}：文件不存在。",
    "file.unreadable": "{file}：无法打开文件（{detail}）。",
    "file.empty": "{file}：文件是空的（0 字节），可能上传或复制时出错，请重新保存后发送。",
    "file.too_large": "{file}：文件太大（{size}），超过 {limit} 的上限；正常的年报统计表不到 1 MB。",
    "file.truncated": "{file}：文件不完整（可能下载或复制时被截断），无法读取，请重新保存后发送。",
    "file.corrupt": "{file}：文件已损坏，无法读取（{detail}）。请用 Excel 或 WPS 打开确认后重新保存发送。",
    "file.not_spreadsheet": "{file}：不是 Excel、WPS 或 LibreOffice 表格文件（{detail}），无法读取。",
    "file.encrypted": ("{file}：工作簿设置了打开密码（文件已加密），无法读取。请在 Excel/WPS 中取消"
                       "“用密码进行加密”后重新保存发送。"),
    "file.zip_bomb": ("{file}：文件内部的压缩数据异常（{detail}），可能是恶意构造的文件（压缩炸弹），"
                      "已拒绝读取。"),
    "file.xml_entities": ("{file}：文件内部的 XML 部件“{member}”含有实体声明（DOCTYPE/ENTITY），"
                          "可能是恶意构造的文件，已拒绝读取。"),
    "file.duplicate_member": ("{file}：文件内部结构异常（部件“{member}”出现了两次），可能被篡改过，"
                              "已拒绝读取。请用 Excel 或 WPS 重新保存后发送。"),
    "file.strict_ooxml": ("{file}：文件是“Strict Open XML”格式，无法读取（{detail}）。请在 Excel 中"
                          "“另存为”普通的“Excel 工作簿(*.xlsx)”后发送。"),
    "file.sheet_too_large": ("{file}：工作表“{sheet}”的内容一直延伸到第 {rows} 行、第 {cols} 列，"
                             "超出安全读取的范围（最多 {limit} 个单元格）。请删除表格下方和右侧多余的内容后重新保存。"),
    "file.not_report": ("{file}：找不到政府信息公开年报统计表（没有表二、表三、表四的表头），"
                        "可能发错了文件。"),
    "file.previous_json": "{file}：不是 gipr export 导出的 JSON（{detail}）。",
    "file.timeout": "{file}：读取超过 {seconds} 秒仍未完成，已放弃（文件结构异常，可能是恶意构造的文件）。",
    # published documents (gipr import, gipr check on a PDF / web page / Word file)
    "doc.scanned": ("{file}：这是扫描件（PDF 共 {pages} 页，没有文字层，只有图片），需要文字识别（OCR）才能读取其中的数字，"
                    "本机没有安装文字识别组件。请运行 pip install \"gipr[ocr]\" 安装（离线使用，不需要联网），"
                    "或改用可以复制文字的 PDF（由 WPS/Word 直接导出）、政府网站上的年报网页。"),
    "doc.image": ("{file}：这是图片（扫描件或照片），需要文字识别（OCR）才能读取其中的数字，本机没有安装文字识别组件。"
                  "请运行 pip install \"gipr[ocr]\" 安装（离线使用，不需要联网），或改用可以复制文字的 PDF、年报网页。"),
    "doc.encrypted": "{file}：PDF 设置了打开密码（已加密），无法读取。请提供未加密的 PDF 或年报网页。",
    "doc.too_many_pages": "{file}：PDF 有 {pages} 页，超过 {limit} 页的上限，不像是一份年度报告，已拒绝读取。",
    "doc.corrupt": "{file}：文档已损坏或结构异常，无法读取（{detail}）。",
    "doc.no_tables": ("{file}：文档中找不到政府信息公开年报的统计表（表二、表三、表四的行标签都没有找到），"
                      "可能发错了文件，或表格是图片。"),
    "doc.unsupported": "{file}：不支持的文档类型（{detail}）。支持 PDF、网页（.html/.htm/.mhtml）、Word（.docx/.doc）、WPS（.wps）和纯文本（.txt）。",
    "doc.no_converter": ("{file}：{kind} 文件需要 LibreOffice 转换后才能读取，但本机没有安装 LibreOffice（soffice）。"
                         "请在 WPS/Word 中“另存为”.docx 或 PDF 后再导入，或安装 LibreOffice。"),
    "doc.convert_failed": "{file}：用 LibreOffice 转换 {kind} 文件失败（{detail}）。请在 WPS/Word 中“另存为”.docx 后再导入。",
    "doc.no_year": ("{file}：无法从标题判断报告年度（标题中应有“××××年”），请用 --year 指定。"),
}

# Parts of messages: the {detail} of a ReadError, words inside findings.
DETAILS: dict[str, str] = {
    "detail.ocr_where": "{where}，文字识别，可信度 {conf}",
    "detail.ocr_no_rule": "没有可以核对的勾稽关系",
    "detail.ocr_nothing": "有字迹但未能识别",
    "detail.pdf": "是 PDF 文件",
    "detail.html": "是网页（HTML）文件，不是真正的 Excel 文件；请在 Excel/WPS 中“另存为”.xlsx",
    "detail.xml2003": "是 Excel 2003 XML 表格；请在 Excel/WPS 中“另存为”.xlsx",
    "detail.archive": "是压缩包",
    "detail.image": "是图片",
    "detail.rtf": "是 RTF 文档",
    "detail.text": "是纯文本文件",
    "detail.unknown": "无法识别的文件内容",
    "detail.size_mismatch": "解压后大小 {actual} 与声明的 {declared} 不符",
    "detail.crc": "CRC 校验失败",
    "detail.empty_zip": "是空的压缩包",
    "detail.members": "含有 {n} 个部件，超过 {limit} 个的上限",
    "detail.declared": "部件“{member}”解压后声称有 {size}",
    "detail.ratio": "部件“{member}”的压缩比为 {ratio}:1",
    "detail.total": "解压后总大小超过 {limit}",
    "detail.member": "部件“{member}”：{error}",
    "detail.method": "部件“{member}”使用了不支持的压缩方式（{error}）",
    "detail.bad_name": "部件名称“{member}”不合法（含有上级目录、绝对路径或盘符），文件可能被恶意构造",
    "detail.overlap": "部件“{member}”与部件“{other}”的数据重叠，文件可能被恶意构造",
    "detail.local_name": "部件“{member}”的文件头与目录记录不一致，文件可能被篡改",
    "detail.bad_xml": "XML 格式错误或单元格位置无法识别",
    "detail.panic": "表格读取组件无法处理其内部结构：{error}",
    "detail.dimensions": "工作表的维度记录无效（起始行列大于结束行列）",
    "detail.odt": "是文字处理文档（.odt），不是表格",
    "detail.odf": "是 OpenDocument 文件，但不是表格",
    "detail.xlsb": "是 Excel 二进制工作簿（.xlsb），请另存为 .xlsx",
    "detail.docx": "是 Word 文档，不是表格",
    "detail.ppt": "是 PowerPoint 演示文稿，不是表格",
    "detail.zip_no_workbook": "是一个 zip 压缩包，里面没有 Excel 工作簿",
    "detail.no_content": "缺少 content.xml",
    "detail.ole": "OLE 结构错误：{error}",
    "detail.doc": "是 Word 文档（.doc），不是表格",
    "detail.ole_no_workbook": "是 OLE 复合文档，但里面没有 Excel 工作簿",
    "detail.biff": "工作簿数据流无法读取：{error}",
    "detail.down": "整体下移 {n} 行",
    "detail.up": "整体上移 {n} 行",
    "detail.right": "整体右移 {n} 列",
    "detail.left": "整体左移 {n} 列",
    "detail.uncomputed": "公式未计算",
    "detail.no_formats": "没有可用的报告格式",
    "detail.sheet": "工作表“{sheet}”",
    "detail.row": "第 {n} 行",
    "detail.unnamed": "（未命名文件）",
    "detail.folder": "这是一个文件夹",
    "detail.permission": "没有读取权限",
    "detail.nesting": "结构嵌套过深",
    "detail.memory": "内容过大，内存不足",
    "detail.memory_system": "系统可用内存",
    "detail.crashed": "读取程序异常退出：{how}",
    "detail.crash_signal": "信号 {signal}",
    "detail.crash_code": "退出码 {code}",
    "detail.recomputed": "，按各项重新计算为 {value}",
    "detail.stale_plain": "{path}：表中为 {stored}，各项之和为 {parts}",
    "detail.na": "不适用",
    "detail.etc": "等",
    "detail.bad_content": "内容有误",
    "detail.typed": "{sentence}（填写的是“{raw}”）。",
    "detail.unfilled": "（未填写）",
    "detail.code": "（代码 {code}）",
    "detail.json_item": "条目不是对象",
    "detail.json_format": "未知的报告格式“{format}”",
    "detail.json_values": "缺少 values",
    "detail.json_reports": "缺少 reports 列表",
    "detail.not_number": "不是数字",
    "detail.no_split": "没有符合勾稽关系的拆分",
    "detail.too_many_splits": "超过 {n} 种，未一一列出",
    "detail.blank_parts": "（空白的栏目未计入）",
    "detail.too_many_cells": "表格单元格数量异常多，可能是恶意构造的文件",
    "detail.audit.level_roster": "名册类别“{category}”",
    "detail.audit.level_name": "名称“{name}”",
    "detail.audit.date_meta": "网页标注的发布时间",
    "detail.audit.date_text_end": "文末落款日期",
}

# Moved from the modules that said them.
MOVED: dict[str, str] = {
    # gipr/read/units.py
    "read.units.first_sheet_rows": "文件已损坏、加密或不是电子表格（{name}）",
    # gipr/published/convert.py
    "published.convert.to_docx": "超过 {convert_seconds} 秒",
    # gipr/published/core.py
    "published.core.read_document.alt": "正文",
    "published.core.columns_blank.ref": "表三",
    # gipr/published/docx.py
    "published.docx.table.where0": "表格{index}",
    "published.docx.table": "{where0} 第{value}行第{value2}列",
    # gipr/published/html.py
    "published.html.grid.where0": "表格{index}",
    "published.html.grid": "{where0} 第{value}行第{value2}列",
    # gipr/published/ocr.py
    "published.ocr.where": "第{pno}页（x={x:.0f}，y={y:.0f}）",
    "published.ocr.grid_tables": "第{number}页 表格{ti}（扫描件）",
    "published.ocr.document": "第{number}页第{k}行",
    "published.ocr.document_2": "正文",
    # gipr/published/text.py
    "published.text.parse_text.lines": "第{i}行",
    "published.text.parse_text": "正文",
}

TEXTS: dict[str, str] = {**READ_ERRORS, **DETAILS, **MOVED}
