"""Every finding code and every user-facing text of the reader and the checks, in one place.

A *code* is stable: tests, the ledger, --json consumers and other systems key on it.  The
text is what a county clerk reads; it always names the cell and carries the numbers.
Rule texts (勾稽关系) are not here: they live in the format file (``Rule.message``) so a rule is
written once; this module only adds the wording around them (stale totals, cross-year).

Use :func:`finding` to make a :class:`~gipr.model.Finding` and :func:`text` for a plain message
(e.g. a ReadError).
"""

from __future__ import annotations

from typing import Any

from .model import Finding

# ---------------------------------------------------------------------------------------------
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

# ---------------------------------------------------------------------------------------------
# Parts of messages: the {detail} of a ReadError, words inside findings.
DETAILS: dict[str, str] = {
    "ocr_where": "{where}，文字识别，可信度 {conf}",
    "ocr_no_rule": "没有可以核对的勾稽关系",
    "ocr_nothing": "有字迹但未能识别",
    "pdf": "是 PDF 文件",
    "html": "是网页（HTML）文件，不是真正的 Excel 文件；请在 Excel/WPS 中“另存为”.xlsx",
    "xml2003": "是 Excel 2003 XML 表格；请在 Excel/WPS 中“另存为”.xlsx",
    "archive": "是压缩包",
    "image": "是图片",
    "rtf": "是 RTF 文档",
    "text": "是纯文本文件",
    "unknown": "无法识别的文件内容",
    "size_mismatch": "解压后大小 {actual} 与声明的 {declared} 不符",
    "crc": "CRC 校验失败",
    "empty_zip": "是空的压缩包",
    "members": "含有 {n} 个部件，超过 {limit} 个的上限",
    "declared": "部件“{member}”解压后声称有 {size}",
    "ratio": "部件“{member}”的压缩比为 {ratio}:1",
    "total": "解压后总大小超过 {limit}",
    "member": "部件“{member}”：{error}",
    "method": "部件“{member}”使用了不支持的压缩方式（{error}）",
    "bad_name": "部件名称“{member}”不合法（含有上级目录、绝对路径或盘符），文件可能被恶意构造",
    "overlap": "部件“{member}”与部件“{other}”的数据重叠，文件可能被恶意构造",
    "local_name": "部件“{member}”的文件头与目录记录不一致，文件可能被篡改",
    "bad_xml": "XML 格式错误或单元格位置无法识别",
    "panic": "表格读取组件无法处理其内部结构：{error}",
    "dimensions": "工作表的维度记录无效（起始行列大于结束行列）",
    "odt": "是文字处理文档（.odt），不是表格",
    "odf": "是 OpenDocument 文件，但不是表格",
    "xlsb": "是 Excel 二进制工作簿（.xlsb），请另存为 .xlsx",
    "docx": "是 Word 文档，不是表格",
    "ppt": "是 PowerPoint 演示文稿，不是表格",
    "zip_no_workbook": "是一个 zip 压缩包，里面没有 Excel 工作簿",
    "no_content": "缺少 content.xml",
    "ole": "OLE 结构错误：{error}",
    "doc": "是 Word 文档（.doc），不是表格",
    "ole_no_workbook": "是 OLE 复合文档，但里面没有 Excel 工作簿",
    "biff": "工作簿数据流无法读取：{error}",
    "down": "整体下移 {n} 行",
    "up": "整体上移 {n} 行",
    "right": "整体右移 {n} 列",
    "left": "整体左移 {n} 列",
    "uncomputed": "公式未计算",
    "no_formats": "没有可用的报告格式",
    "sheet": "工作表“{sheet}”",
    "row": "第 {n} 行",
    "unnamed": "（未命名文件）",
    "folder": "这是一个文件夹",
    "permission": "没有读取权限",
    "nesting": "结构嵌套过深",
    "memory": "内容过大，内存不足",
    "memory_system": "系统可用内存",
    "crashed": "读取程序异常退出：{how}",
    "crash_signal": "信号 {signal}",
    "crash_code": "退出码 {code}",
    "recomputed": "，按各项重新计算为 {value}",
    "stale_plain": "{path}：表中为 {stored}，各项之和为 {parts}",
    "na": "不适用",
    "etc": "等",
    "bad_content": "内容有误",
    "typed": "{sentence}（填写的是“{raw}”）。",
    "unfilled": "（未填写）",
    "code": "（代码 {code}）",
    "json_item": "条目不是对象",
    "json_format": "未知的报告格式“{format}”",
    "json_values": "缺少 values",
    "json_reports": "缺少 reports 列表",
    "not_number": "不是数字",
    "no_split": "没有符合勾稽关系的拆分",
    "too_many_splits": "超过 {n} 种，未一一列出",
    "blank_parts": "（空白的栏目未计入）",
    "too_many_cells": "表格单元格数量异常多，可能是恶意构造的文件",
    "audit.level_roster": "名册类别“{category}”",
    "audit.level_name": "名称“{name}”",
    "audit.date_meta": "网页标注的发布时间",
    "audit.date_text_end": "文末落款日期",
}

# ---------------------------------------------------------------------------------------------
# Findings: code -> (default severity, template).
FINDINGS: dict[str, tuple[str, str]] = {
    # -- layout (where the tables are) --
    "layout.sheet_renamed": ("warning", "表{table}不在工作表“{expected}”中，而在工作表“{found}”中找到，已按表格标签定位读取。"),
    "layout.shifted": ("warning", "工作表“{sheet}”中表{table}的位置移动了（{how}），已按表格标签定位读取。"),
    "layout.rows_inserted": ("warning", "工作表“{sheet}”中表{table}插入了 {n} 行（第 {rows} 行），这些行未读取。"),
    "layout.rows_moved": ("warning", "工作表“{sheet}”中表{table}的行“{label}”不在原位置（应在第 {expected} 行，实际在第 {found} 行），已按行标签读取。"),
    "layout.column_moved": ("warning", "工作表“{sheet}”中表{table}的列“{label}”不在原位置（应在 {expected} 列，实际在 {found} 列），已按列标签读取。"),
    "layout.table_missing": ("error", "找不到表{table}（{title}），该表的 {n} 个数据未读取。"),
    "layout.ambiguous": ("error", "表{table}（{title}）出现了不止一处（{where}），无法确定应读哪一处，该表的 {n} 个数据未读取。"),
    "layout.row_missing": ("error", "工作表“{sheet}”中找不到表{table}的行“{label}”，该行的 {n} 个数据未读取。"),
    "layout.column_missing": ("error", "工作表“{sheet}”中找不到表{table}的列“{label}”，该列的 {n} 个数据未读取。"),
    "layout.cover_missing": ("warning", "找不到封面工作表“{sheet}”，封面信息按标签在其他位置查找。"),
    "layout.sheet_skipped": ("info", "工作表“{sheet}”内容过大（延伸到第 {rows} 行），查找表格时已跳过。"),
    "published.label_drift": ("info", "{ref}：行标签印作“{found}”，按“{expected}”读取。"),
    "published.label_typo": ("info", "{ref}：行标签印作“{found}”（与规定写法不同），按“{expected}”读取。"),
    "published.label_short": ("info", "{ref}：行标签印作简写“{found}”，按“{expected}”读取。"),
    "published.column_local": ("info", "表二“{row}”的列标签印作“{found}”（地方写法），按“{expected}”读取。"),
    "published.row_unaligned": ("error", "{ref}：表{table}的行“{label}”应有 {n} 个数，印出的是 {found} 个（{printed}），无法与各列对齐，该行未读取。"),
    "published.row_missing": ("error", "文档中找不到表{table}的行“{label}”，该行的 {n} 个数据未读取。"),
    "published.header_repeated": ("info", "{ref}：表{table}跨页，表头在此重复印出（“{found}”），未当作数据读取。"),
    "published.columns_blank": ("info", "{ref}：表三“{found}”下的 {n} 列全部空白：按未填写记录（不当作 0），由校验逐格列出。"),
    "published.group_row": ("info", "{ref}：“{found}”印成了一行，没有分列 {n} 个小项；各小项记为未知，该行的数在勾稽关系中按合计使用。"),
    "published.digits_split": ("info", "{ref}：“{label}”后的数字连在一起（“{run}”），按勾稽关系唯一的拆分读作 {split}。"),
    "published.format_printed": ("info", "报告年度为 {year} 年（应使用 {expected} 格式），但表格按 {format} 格式印出，按印出的 {format} 格式读取。"),
    "published.digits_previous": ("info", "{ref}：“{label}”后的数字连在一起（“{run}”），按勾稽关系和上年报告（现行有效 = 上年现行有效 + 本年制发 − 本年废止；本年的上年结转 = 上年的结转下年）唯一的拆分读作 {split}。"),
    "published.digits_budget": ("warning", "{ref}：“{label}”后连在一起的数字太长或拆分方式太多（“{run}”，{n} 位），超出拆分的计算上限，该行记为未知。"),
    "published.digits_blank": ("warning", "{ref}：“{label}”后的数字连在一起（“{run}”），每格一位数时读作 {split}，但空白格在连在一起的文字中看不出来（也可能是某格空白、另一格是两位数），勾稽关系不能确认，该行记为未知。"),
    "published.digits_forced": ("info", "{ref}：“{label}”后的数字连在一起（“{run}”），每格一位数，只有一种拆分，读作 {split}（是否符合勾稽关系由校验说明）。"),
    "published.digits_norule": ("warning", "{ref}：“{label}”后的数字连在一起（“{run}”），可以拆成 {n} 种（{candidates}），该行没有可据以判断的勾稽关系，无法确定，该行记为未知。"),
    "published.digits_ambiguous": ("warning", "{ref}：“{label}”后的数字连在一起（“{run}”），有 {n} 种符合勾稽关系的拆分（{candidates}），无法确定，该行记为未知。"),
    "published.ocr": ("info", "这是扫描件：用文字识别（{engine}，{dpi} dpi）读取了 {pages} 页；每个数都按勾稽关系核对，识别不可靠的记为未知。"),
    "published.ocr_partial": ("warning", "扫描件页数较多：在限定的 {seconds} 秒（处理器时间）内识别了 {pages} 页（先识别有表格的页），其余 {skipped} 页未识别。"),
    "published.ocr_forced": ("info", "{ref}：扫描件此格识别为“{read}”（可信度 {conf}），按勾稽关系（{title}）应为 {value}，已按 {value} 读取。"),
    "published.ocr_unsure": ("warning", "{ref}：扫描件此格识别为“{read}”（可信度 {conf}），无法用勾稽关系确认（按勾稽关系应为：{alternatives}），记为未知。"),
    "published.text_mismatch": ("warning", "正文“{sentence}”中的 {what} {text_n} 件与表中 {table_n} 件不一致（正文可能只说了其中一部分）。"),
    "previous.in_force": ("warning", "表二“{row}”：本年现行有效件数 {now}，上年现行有效 {prev} + 本年制发 {issued} − 本年废止 {repealed} = {expected}，不一致（也可能有文件因到期等原因失效）。"),
    "published.differs": ("warning", "{path}：公开的年报为 {published}，报送的统计表为 {submitted}。"),
    "against.missing": ("warning", "“{against}”中没有找到“{unit}”报送的统计表，无法与公开的年报比对。"),
    "against.same": ("info", "公开的年报与报送的统计表（{file}）逐格一致。"),
    "published.unit_unknown": ("warning", "发布单位“{unit}”不在单位名册中，按标题中的名称记录。"),
    "published.unit_matched": ("info", "发布单位“{found}”对应名册中的“{unit}”（代码 {unit_code}）。"),
    "published.unit_from_title": ("info", "报告单位“{unit}”和年度 {year} 取自标题“{title}”。"),
    "label.changed": ("warning", "{ref} 的固定文字被改成了“{found}”，应为“{expected}”。"),
    "label.drift": ("info", "{ref} 的固定文字有细微差异（空格或标点）：“{found}”，应为“{expected}”。"),
    "format.strict": ("info", "文件是“Strict Open XML”格式，已按普通格式读取。"),
    # -- cell values --
    "cell.blank": ("error", "{path}：未填写（没有发生请填 0）。"),
    "cell.blank_total": ("warning", "{path}：合计栏是空的（未填写）{recomputed}。"),
    "cell.na": ("error", "{path}：填写了“{raw}”（不适用），本栏应填数字；没有发生请填 0。"),
    "cell.text": ("error", "{path}：填写了“{raw}”，不是数字。"),
    "cell.value": ("error", "{path}：{problem}（填写的是“{raw}”）。"),  # value.* problems (rule G)
    "value.converted": ("info", "{path}：{note}，读作 {value}。"),
    "cell.blank_as_zero": ("info", "已按“空白计为 0”处理：{n} 个未填写的单元格按 0 计算（{cells}）。"),
    "total.invalid": ("warning", "{path}：合计栏填写了“{raw}”（{problem}）{recomputed}。"),
    "total.stale": ("warning", "{text}；表中填写的合计与各项之和不一致（公式可能被覆盖），已按重新计算的 {value} 校验。"),
    # -- rules (the sentence itself comes from the format file) --
    "rule": ("error", "{text}"),  # the sentence of Rule.message, e.g. 表三 自然人：一+二=26，三（七）+四=20，不相等
    # -- cover fields --
    "field.missing": ("error", "封面“{label}”未填写。"),
    "field.year_invalid": ("error", "封面“报告年度”填写的“{raw}”不是有效的年度。"),
    # -- identity --
    "identity.missing": ("warning", "文件中没有 gipr 识别信息（隐藏工作表和文档属性都不存在），可能不是本系统下发的模板；已按表格标签读取。"),
    "identity.signature": ("error", "文件中隐藏的识别信息被改动过（签名不符），无法确认这是哪个单位的报表。请使用下发的原模板填报。"),
    "identity.format_mismatch": ("error", "本文件使用的是 {found} 格式，本次应使用 {expected} 格式。"),
    "identity.format_changed": ("warning", "生成本模板的格式文件版本与当前版本不同，请核对表格是否为最新下发的模板。"),
    "identity.year_mismatch": ("error", "报告年度为 {found}，本次收集的是 {expected} 年度。"),
    "identity.year_changed": ("warning", "封面“报告年度”填写为 {found}，模板下发时为 {expected}。"),
    "identity.unit_unknown": ("error", "填报单位“{name}”{unit_code}不在单位名册中。"),
    "identity.unit_changed": ("warning", "封面“填报单位”填写为“{found}”，名册（或下发模板）中为“{expected}”。"),
    "identity.rollup": ("info", "本文件是汇总表，涵盖 {n} 个单位。"),
    # -- cross-year (rule F) --
    "previous.missing": ("info", "未找到本单位上年的数据，跨年度校验（本年二=上年四）未进行。"),
    "previous.year": ("warning", "用于跨年度校验的上年数据是 {found} 年度的，应为 {expected} 年度。"),
    # -- the chain of years (a report against last year's report of the same issuer) --
    "chain.same_tables": ("warning", "统计表与 {year} 年度的报告完全相同（其中 {n} 个不是存量的数也一样），可能照抄了上年的表格。"),
    # -- gipr audit: documents and issuer-years --
    "audit.missing": ("error", "没有找到“{issuer}”{year} 年度的年报。"),
    "audit.late": ("warning", "{published}发布（{source}），晚于{who}的期限 {deadline} {days} 天（{basis}；按{why}）。"),
    "audit.conflict": ("warning", "“{file}”与“{other}”都是“{issuer}”{year} 年度的年报（内容不同）；按“{other}”审核，本文件只列出其问题。"),
    "audit.unassigned": ("warning", "“{file}”无法归属：标题中的发布单位为“{issuer}”，年度为 {year}。"),
    "audit.not_in_roster": ("warning", "“{file}”的发布单位“{issuer}”不在单位名册中，无法归属。"),
    "audit.other_year": ("info", "“{file}”是 {year} 年度的年报，不在本次审核的年度（{years}）内，只用作下一年度的上年数据。"),
    "chain.repeated_text": ("warning", "正文 {n} 句中按字数有 {share} 与 {year} 年度的报告相同或几乎相同（格式要求不得年年雷同）。"),
}


# ---------------------------------------------------------------------------------------------
# The words of `gipr check` / `gipr export` and of feedback workbooks.
CLI: dict[str, str] = {
    "feedback_sheet": "校验问题",
    "feedback_stem": "报表",
    "feedback_file": "{stem}_校验反馈.xlsx",
    "no_unit": "（未填写单位）",
    "feedback_title": "校验问题：{who}",
    "feedback_intro": ("原文件：{file}；错误 {errors} 条，警告 {warnings} 条。请在本工作簿中按标出的单元格修改"
                       "（批注中有说明），改完后保存并报送本文件。"),
    "feedback_heads": "序号|严重程度|位置|项目|问题说明|代码",
    "feedback_none": "没有发现问题。",
    "empty_folder": "文件夹 {folder} 中没有表格文件（.xlsx/.xls/.ods/.et）。",
    "empty_folder_check": "文件夹 {folder} 中没有表格文件（.xlsx/.xls/.ods/.et）或公开的年报（.pdf/.html/.mhtml/.docx/.doc/.wps）。",
    "bad_format": "未知的报告格式“{format}”，可用：{formats}",
    "bad_year": "--year {year} 不是有效的年度。",
    "bad_previous": "上年数据（--previous）无法使用：{error}",
    "internal": "{file}：校验时发生内部错误（{error}），这是 gipr 的缺陷，请报告维护者。",
    "summary": ("共检查 {files} 个文件：通过 {passed} 个，有错误 {with_errors} 个，无法读取 {unreadable} 个；"
                "错误 {errors} 条，警告 {warnings} 条，提示 {infos} 条。"),
    "unreadable": "✗ 无法读取",
    "meta": "{unit} · {year} 年度 · 格式 {format}",
    "rollup": " · 汇总表",
    "status_errors": "✗ 有错误（错误 {errors}，警告 {warnings}）",
    "status_warnings": "! 通过（有警告 {warnings} 条）",
    "status_ok": "✓ 通过",
    "feedback_written": "反馈工作簿：{path}",
    "feedback_failed": "反馈工作簿未能写入：",
    "export_format": "请选择一种输出格式：--json 或 --csv。",
    "export_unreadable": "无法读取：",
    "export_written": "已写入 {path}（{n} 个文件）",
    "no_year": "年度未知",
    "bad_option_value": "“{value}”不是有效的值（应为整数或文字，见 --help）。",
    "merge_reads": "沿用收集时保存的读取和校验结果 {from_ledger} 个，重新读取存档文件 {reread} 个。",
    "import_ok": "✓ 已导入 {file}  {unit} · {year} 年度 · 格式 {format}（{n} 个数）",
    "import_partial": "! 部分导入 {file}  {unit} · {year} 年度 · 格式 {format}（{n} 个数；有 {errors} 处无法读取）",
    "import_failed": "✗ 无法导入",
    "import_written": "    已写入工作簿：{path}",
    "import_summary": "共 {files} 个文件：完整导入 {ok} 个，部分导入 {partial} 个，无法导入 {failed} 个。",
    "previous_unreadable": "无法读取上年数据 {path}：{error}",
    "previous_empty": "找不到上年数据：{path}（文件夹中没有统计表或公开的年报）",
    "empty_folder_docs": "文件夹 {folder} 中没有可导入的文档（.pdf/.html/.htm/.mhtml/.docx/.doc/.wps/.txt）。",
}


# ---------------------------------------------------------------------------------------------
# Other user-facing texts (file finding, output files, merge, collect), by key: ``say(key, **kw)``.
TEXTS: dict[str, str] = {
    # gipr audit
    "audit.kind.rules": "勾稽关系", "audit.kind.narrative": "正文与表格", "audit.kind.chain": "跨年度",
    "audit.kind.late": "逾期发布", "audit.kind.missing": "缺失与归属", "audit.kind.reading": "读取",
    "audit.level.department": "部门、乡镇", "audit.level.county": "县级政府", "audit.level.city": "地市级政府",
    "audit.level.province": "省级政府", "audit.level.unknown": "不明（未判断是否逾期）",
    "audit.state.ok": "无问题", "audit.state.warnings": "有警告", "audit.state.errors": "有错误",
    "audit.state.missing": "缺少年报",
    "audit.sheet.rows": "汇总", "audit.sheet.findings": "问题清单", "audit.sheet.files": "文件",
    "audit.sheet.late_days": "逾期 {days} 天（期限 {deadline}）", "audit.sheet.on_time": "按时（期限 {deadline}）",
    "audit.file.unreadable": "无法读取", "audit.file.unassigned": "无法归属", "audit.file.other_years": "其他年度",
    "audit.file.conflicts": "同一年度重复", "audit.file.duplicates": "内容相同的副本", "audit.file.not_reports": "不是年报",
    "audit.file.ignored": "非年报文件类型",
    "audit.html.title": "政府信息公开工作年度报告审核",
    "audit.html.lead": "审核年度：{years}。读取年报 {documents} 份，发布单位 {issuers} 个，应有年报 {issuer_years} 份，"
                       "已找到 {reported} 份，缺少 {missing} 份。",
    "audit.html.card.issuers": "发布单位", "audit.html.card.reported": "份年报已找到", "audit.html.card.missing": "份缺少",
    "audit.html.card.with_errors": "份有错误", "audit.html.card.late": "份逾期发布", "audit.html.card.copied": "份正文与上年雷同",
    "audit.html.card.unreadable": "个文件无法读取", "audit.html.card.unassigned": "个文件无法归属",
    "audit.html.card.duplicates": "个重复副本", "audit.html.card.conflicts": "个同年重复", "audit.html.card.other_years": "个其他年度",
    "audit.html.charts": "问题分布", "audit.html.by_kind": "按类别的问题数（错误和警告）",
    "audit.html.by_issuer": "问题最多的 {n} 个发布单位", "audit.html.chains": "各发布单位逐年情况",
    "audit.html.files": "未纳入审核的文件", "audit.html.ignored": "另有 {n} 个文件不是年报的文件类型（清单见审核工作簿）",
    "audit.html.foot": "用时 {seconds} 秒，{workers} 个读取进程。由 gipr audit 生成。",
    "audit.cli.progress": "读取年报", "audit.cli.none": "在给出的路径中没有找到年报文件（{suffixes}）。",
    "audit.cli.summary": "发布单位 {issuers} 个，应有年报 {issuer_years} 份：已找到 {reported} 份，缺少 {missing} 份；"
                         "有错误 {with_errors} 份，逾期发布 {late} 份，正文与上年雷同 {copied} 份。",
    "audit.cli.files": "读取 {documents} 份；内容相同的副本 {duplicates} 个，不是年报 {not_reports} 个，"
                       "其他类型的文件 {ignored} 个（未读取）。",
    "audit.cli.row": "{issuer} {year} 年度：{state}（错误 {errors}，警告 {warnings}）",
    "audit.cli.finding": "  · {message}",
    "audit.cli.unreadable": "无法读取：{file}：{message}",
    "audit.cli.unassigned": "无法归属：{file}",
    "audit.cli.other_year": "其他年度：{file}（{year} 年度）",
    "audit.cli.conflict": "同一年度重复：{file}（按 {used} 审核）",
    "audit.cli.truncated": "文件过多：只看了前 {n} 个文件。",
    "audit.cli.out": "审核工作簿：{path}", "audit.cli.html": "审核摘要网页：{path}",
    # the units' report documents in a workspace (collect.documents)
    "document.state.missing": "未交", "document.state.consistent": "一致", "document.state.differs": "与报表不一致",
    "document.state.errors": "有错误", "document.state.unreadable": "无法读取",
    "document.against_ledger": "台账中本单位的报表",
    "document.internal": "读取年报时发生 gipr 内部错误（{error}），本文件未记入台账。请把这行报告给维护者。",
    "document.status_line": "年报：{state}（错误 {errors}，警告 {warnings}）{file}",
    "document.remind_head": "贵单位报送的年度报告（{file}）有以下问题：",
    "document.remind_only": "贵单位报送的统计表已通过校验；报送的年度报告文稿（{file}）{state}，请修改后重新报送。",
    "input.not_found": "找不到文件或文件夹：{path}",
    # -- attachments past the per-message limit (collect) --
    "collect.dropped_note": ("这封邮件另有 {n} 个附件超过每封邮件 {limit} 个附件的上限，未收取：{names}{more}。"
                             "请对方分成几封邮件重新发送，或把这些附件另存出来再收集"),
    "collect.dropped_more": "等（共 {n} 个）",
    "collect.dropped_line": "超过每封邮件 {limit} 个附件的上限、未收取的附件 {n} 个（{message}）：{names}{more}",
    "collect.summary_dropped": "；超过附件上限未收取 {n} 个",
    # -- identifying a returned file's unit (collect) --
    "ident.signature": "专用模板中的单位信息被改动（可能被修改或来自其他软件），未采用",
    "ident.code_unknown": "专用模板中的单位代码“{code}”不在单位名册中",
    "ident.name_candidates": "封面单位名称“{name}”可能是：{candidates}，未自动判断",
    "ident.cover_conflict": "封面单位名称“{name}”（{name_unit}）与封面单位代码“{code}”（{code_unit}）不一致",
    "ident.name_unknown": "封面单位名称“{name}”在单位名册中找不到",
    "ident.other_template": ("这是发给“{ident_unit}”的专用模板，但封面填写的是“{cover_unit}”"
                             "（可能用了别的单位的模板），未自动判断，请人工指定"),
    "ident.not_decided": "{problem}，未自动判断",
    "ident.sender_many": "发件人 {sender} 是多个单位的邮箱（{units}），未自动判断",
    "ident.sender_unknown": "发件人 {sender} 不在单位名册的邮箱中",
    "ident.sender_other": "发件人 {sender} 是“{sender_unit}”的邮箱，按文件内容归入“{unit}”",
    # -- refused options (usage.*), naming a roll-up (rollup.*), a preview (preview.*), and the
    #    reader boundary's limits (boundary.*; those errors keep the READ_ERRORS codes, e.g. file.too_large) --
    "usage.password_ascii": ("工作表保护密码中含有“{chars}”：密码只能使用英文字母、数字和英文标点（半角 ASCII 字符）。"
                             "Excel 和 WPS 按旧的 16 位算法校验保护密码，含中文或全角字符的密码可能无法解除保护，"
                             "请换一个密码。"),
    "rollup.county_from_roster": "未指定 --county，按单位名册的文件名取本级名称“{county}”",
    "rollup.same_name": ("有 {n} 个汇总表都叫“{name}”，无法区分它们各是哪个地区的汇总（生成时可能没有指定 --county），"
                         "为避免重复计算已停止汇总：\n{files}\n"
                         "请在生成每个汇总表时用 --county 写明地区（例如 gipr merge … --county 某某县），"
                         "或在各自的工作目录中用 gipr init --county 设置，重新生成后再汇总；"
                         "若它们确是同一地区的两个版本，只保留其中一个。"),
    "rollup.same_name_file": "  {file}：{n} 个单位（{units}）",
    "preview.placeholder_sender": ("还没有设置发件邮箱：本次试运行的邮件使用占位发件人 {sender}，只供预览。"
                                   "正式发送前请在 {config} 的 [mail] 小节中填写 host（发件服务器）、port、"
                                   "security、from_addr（发件人邮箱）等。"),
    "boundary.memory": ("{file}：读取时占用的内存超过 {limit} 的上限，已放弃（文件内容异常庞大，"
                        "可能是恶意构造的文件）。正常的年报统计表不到 1 MB。"),
    # -- output files (output.*) --
    "output.exists": "文件已存在：{path}。如需替换，请加 --force，或换一个文件名。",
    "output.is_dir": "{path} 是一个文件夹，不能作为输出文件。",
    # -- merge (merge.*): refused inputs, notes on what was merged, last year's data --
    "merge.out_suffix": "汇总表的文件名须以 .xlsx 结尾：{path}",
    "merge.html_suffix": "网页文件名须以 .html 结尾：{path}",
    "merge.same_output": "汇总表和网页不能是同一个文件。",
    "merge.both_sources": "请在 --workspace 和文件/文件夹之间二选一。",
    "merge.no_input": "请指定要汇总的文件或文件夹，或用 --workspace 指定工作目录。",
    "merge.no_input_here": "请指定要汇总的文件或文件夹，或用 --workspace 指定工作目录（当前目录不是 gipr 工作目录）。",
    "merge.workspace_options": "使用 --workspace 时，名册和年度取自工作目录，不能再指定 --roster / --year。",
    "merge.source_workspace": "工作目录 {path}（每个单位的当前报送）",
    "merge.no_year": "无法从文件中确定报告年度，请用 --year 指定。",
    "merge.no_files": "没有找到要汇总的报表文件（支持 {suffixes}）：{paths}",
    "merge.archive_missing": "台账记录的存档文件不存在：{path}",
    "merge.read_internal": "读取时发生内部错误（{error}）",
    "merge.check_internal": "校验时发生内部错误（{error}）",
    "merge.code_mismatch": "文件中的单位代码“{code}”与名册中“{name}”的代码“{roster_code}”不一致，按名册处理",
    "merge.not_in_roster": "单位“{unit}”不在单位名册中",
    "merge.category_rollup": "下级汇总",
    "merge.category_none": "未分类",
    "merge.same_files": "{unit}：{n} 个内容完全相同的文件，只计一次（{files}）",
    "merge.first_only": "{unit}：有 {n} 个文件，只用了第一个（{file}）",
    "merge.duplicate": ("单位“{unit}”有 {n} 个不同的文件，不能确定用哪一个，为避免重复计算已停止汇总：\n  {files}\n"
                        "请只保留其中一个文件后重试（或用 gipr collect 收集到工作目录，自动采用最新报送）。"),
    "merge.overlap_rollups": "汇总表“{file}”和“{other}”都包含单位“{unit}”，一起汇总会重复计算，已停止。请去掉其中之一。",
    "merge.overlap_unit": ("汇总表“{rollup}”已经包含单位“{unit}”，不能再同时汇总该单位的报表“{file}”，"
                           "否则会重复计算。请去掉其中之一后重试。"),
    "merge.nothing": "没有可以汇总的报表：{reason}",
    "merge.nothing_errors": "{n} 个单位有错误（可加 --include-errors 强制汇总并标注）",
    "merge.nothing_unreadable": "{n} 个文件无法读取",
    "merge.nothing_missing": "{n} 个单位未报送",
    "merge.nothing_found": "没有找到任何报表文件",
    "merge.previous_missing": "找不到上年数据：{path}（应为上年的汇总表文件或上年的工作目录）",
    "merge.previous_unreadable": "无法读取上年数据 {path}：{error}",
    "merge.previous_year": "上年数据 {source} 是 {year} 年度的，不是 {expected} 年度，请确认",
    "rollup.county_from_previous": "未指定 --county，按上年汇总表取本级名称“{county}”",
    "rollup.suffix": "（汇总）",  # a roll-up's unit name: the county and this, else rollup.unnamed
    "rollup.unnamed": "汇总",
    "merge.html_title": "{name}{year}年度政府信息公开工作年度报告",
    "merge.html_subtitle": "统计表（表二至表四）",
    "years.no_previous": "上年没有该单位的数据，不作比较",
    "years.large_change": "{label}：较上年变化较大（上年 {last}，本年 {this}），请核实",
    "years.not_merged": "上年有该单位的数据，本年未汇总",
    "rollup.units_more": "{units}等",
    # -- what `gipr merge` prints (merge.summary.*) --
    "merge.summary.note": "注意：{note}",
    "merge.summary.done": "{county}{year}年度汇总：已汇总 {n} 个{marked}",
    "merge.summary.done_marked": "（其中 {n} 个含错误，已标注）",
    "merge.summary.excluded": "有错误、未汇总的单位 {n} 个（加 --include-errors 可强制汇总并标注）：",
    "merge.summary.excluded_one": "  - {unit}：{n} 个错误，例如：{first}（{file}）",
    "merge.summary.marked": "含错误但已汇总的单位 {n} 个（汇总表中已标注）：",
    "merge.summary.marked_one": "  - {unit}：{n} 个错误（{file}）",
    "merge.summary.unreadable": "无法读取、未汇总的文件 {n} 个：",
    "merge.summary.unreadable_one": "  - {file}：{note}",
    "merge.summary.missing": "未报送的单位 {n} 个：{units}",
    "merge.summary.years": ("与上年对比（{source}）：跨年度结转不一致 {n_err} 处，变化较大 {n_info} 处，"
                            "详见“上年对比”工作表"),
    "merge.summary.years_one": "  - {name}：{message}",
    "merge.summary.years_more": "  …… 另有 {n} 处",
    "merge.summary.out": "汇总表：{path}",
    "merge.summary.html": "网页：{path}",
    "rollup.date": "{year}年{month}月{day}日",
    # -- the roll-up workbook's sheets (sheet.*: names; units.*, status.*, findings.*, years.*, info.*: texts) --
    "sheet.units": "各单位明细",
    "sheet.status": "报送情况",
    "sheet.findings": "校验结果",
    "sheet.years": "上年对比",
    "sheet.info": "汇总说明",
    "sheet.units_id_label": "单元格编号",
    "units.title": "{name}{year}年度政府信息公开工作年度报告统计表 各单位明细（每个汇总数可追溯到单位；合计行等于汇总表）",
    "units.where": "汇总表中的位置",
    "units.computed": "（合计）",
    "units.rollup_included": "已汇总（下级汇总表）",
    "units.subtotal": "小计",
    "units.category_subtotal": "{category} 小计",
    "units.total": "合计",
    "units.total_long": "合计（等于汇总表）",
    "units.note": ("说明：每行是一个已汇总的单位，数字为单位报表的填报数；“合计”类单元格由 gipr 按填报数重新计算。"
                   "红色行是有错误但仍选择汇总的单位，红色单元格是未填或无法识别为数字的内容。"),
    "status.title": "报送情况：{roster}已汇总 {included} 个，未报送 {missing} 个",
    "status.title_roster": "名册单位 {n} 个，",
    "status.unknown_unit": "（无法确定单位）",
    "status.missing": "未报送",
    "status.submitted": "已报送",
    "status.not_in_roster": "（不在名册中）",
    "status.errors": "共 {n} 个错误，例如：{first}",
    "status.ledger": "台账状态：{status}",
    "findings.title": "校验结果：已汇总单位的校验问题 {n} 条（其中错误 {n_err} 条）",
    "findings.none": "已汇总的单位没有校验问题。",
    "years.title": ("与上年对比（上年数据：{source}{year}）：跨年度结转不一致 {n_err} 处，变化较大 {n_info} 处"
                    "（可按“结果”列筛选；两年都为 0 的栏目不列出）"),
    "years.title_year": "，{year}年度",
    "years.carry_label": "表{table} / 本年“{row}”对上年“{previous}” / {columns}",
    "info.title": "{name}{year}年度政府信息公开工作年度报告统计汇总表 汇总说明",
    "info.county": "汇总单位（本级）",
    "info.unspecified": "（未指定）",
    "info.year": "报告年度",
    "info.format": "报表格式",
    "info.format_value": "{name}（{source}），格式编号 {id}",
    "info.roster": "名册单位数",
    "info.no_roster": "（未提供名册）",
    "info.included": "已汇总",
    "info.count": "{n} 个",
    "info.with_errors": "（其中含错误 {n} 个，已选择仍汇总并标注）",
    "info.excluded": "有错误未汇总",
    "info.unreadable": "无法读取",
    "info.missing": "未报送",
    "info.missing_names": "：{names}",
    "info.rollups": "下级汇总表",
    "info.sources": "数据来源",
    "info.previous": "上年数据",
    "info.not_given": "（未提供）",
    "info.generated": "生成时间",
    "print.footer": "&C第 &P 页，共 &N 页",
    "info.tool": "生成工具",
    "info.note": ("表二、表三、表四是各已汇总单位填报数的逐格合计，其中“总计”为公式，由填报数重新计算；"
                  "“各单位明细”列出每个单位的数，其合计行等于汇总表；“报送情况”列出名册中每个单位的报送和汇总情况；"
                  "“校验结果”列出已汇总单位的校验问题{years}"),
    "info.note_years": "；“上年对比”逐单位逐格对比上年。",
    "info.note_end": "。",
}

# The column headings of the roll-up's sheets.
HEADINGS: dict[str, tuple[str, ...]] = {
    "units": ("序号", "单位代码", "单位名称", "类别", "汇总情况"),
    "status": ("序号", "单位代码", "单位名称", "类别", "是否报送", "汇总情况", "错误数", "警告数", "报送时间", "文件", "说明"),
    "findings": ("单位代码", "单位名称", "级别", "位置", "栏目", "说明", "代码"),
    "years": ("单位代码", "单位名称", "单元格编号", "栏目", "本年", "上年", "变化", "结果", "说明"),
    # gipr audit's workbook: 汇总 (before and after the counts by kind), 问题清单, 文件, one chain
    "audit.rows": ("发布单位", "单位代码", "类别", "年度", "结论", "文件", "发布日期", "按时发布",
                   "错误合计", "警告合计", "与上年正文重复比例", "未能读取的单元格", "同一年度的其他文件"),
    "audit.severity_pair": ("错误", "警告"),
    "audit.findings": ("发布单位", "年度", "级别", "类别", "代码", "文件", "位置（页、行）", "栏目", "说明"),
    "audit.files": ("情况", "文件", "说明"),
    "audit.chain": ("年度", "结论", "文件", "错误", "警告", "与上年正文重复比例", "按时发布", "跨年度问题"),
    "audit.html_chain": ("年度", "结论", "文件", "错误", "警告", "与上年正文重复比例", "按时发布", "问题（错误和警告）"),
}

# What a status is called: a submission in the ledger, a unit in a merge, a mail being sent.
SUBMISSION_STATUS_ZH = {
    "accepted": "已接收",
    "errors": "有错误",
    "unreadable": "无法读取",
    "unidentified": "未识别单位",
    "duplicate": "重复",
    "missing": "未报送",
}
MERGE_STATUS_ZH = {
    "included": "已汇总",
    "included_errors": "已汇总（含错误）",
    "excluded_errors": "有错误，未汇总",
    "unreadable": "无法读取，未汇总",
    "missing": "未报送",
}
SEND_STATUS_ZH = {"pending": "发送中", "sent": "已发送", "failed": "发送失败", "uncertain": "无法确认是否送达",
                  "skipped": "跳过", "written": "已写入文件"}

# What a severity is called.
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}


def when(iso: Any) -> str:
    """A time as a clerk writes it, in local time: 2026年1月5日 14:32 (an ISO text or a datetime;
    a text that is no time is returned as it is)."""
    import datetime as _dt

    if not iso:
        return ""
    t = iso
    if isinstance(t, str):
        try:
            t = _dt.datetime.fromisoformat(t.strip().replace("Z", "+00:00"))
        except ValueError:
            return iso
    if t.tzinfo is not None:
        t = t.astimezone()
    return f"{t.year}年{t.month}月{t.day}日 {t.hour:02d}:{t.minute:02d}"


def cell_place(ref: str | None) -> str:
    """Where a cell is, in her words: “三 依申请公开”表 D6 格 (from ``三 依申请公开!D6``)."""
    if not ref:
        return ""
    sheet, sep, cell = ref.rpartition("!")
    if not sep:
        return ref
    return f"“{sheet.strip(chr(39))}”表 {cell.replace('$', '')} 格"


def say(key: str, **kw: Any) -> str:
    """A text of the catalogue (TEXTS), filled in."""
    return TEXTS[key].format(**kw)


def text(code: str, **kw: Any) -> str:
    """The message of a ReadError or a finding code, filled in."""
    tpl = READ_ERRORS.get(code)
    if tpl is None:
        tpl = FINDINGS[code][1]
    return tpl.format(**kw)


def detail(key: str, **kw: Any) -> str:
    """A part of a message (see DETAILS), filled in."""
    return DETAILS[key].format(**kw)


def finding(code: str, *, severity: str | None = None, cell: str | None = None, ref: str | None = None,
            path: str | None = None, rule: str | None = None, key: str | None = None, **kw: Any) -> Finding:
    """A Finding of ``code`` with its text filled in.

    ``key`` overrides the stored code while using the template of ``code`` (rule findings are
    stored as ``rule.A``, ``rule.F`` … with the shared "rule" template).
    """
    default_sev, tpl = FINDINGS[code]
    text_ = tpl.format(cell=cell, ref=ref, path=path, rule=rule, **kw)
    return Finding(key or code, severity or default_sev, text_, cell, ref, path, rule)


SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


# ---------------------------------------------------------------------------------------------
# The words of `gipr report` (the annual report document).
REPORT: dict[str, str] = {
    "yoy_up": "（同比增加{n}件）",
    "yoy_down": "（同比减少{n}件）",
    "yoy_same": "（与上年持平）",
    "blank_figure": "（未填写）",
    "contact": "填报人：{filler}，联系电话：{phone}",
    "contact_mark": "【请填写联系方式】",
    "fee_none": "本年度未收到政府信息公开申请，未收取信息处理费。",
    "fee_notices": ("本年度有{n}件申请因申请人逾期未按收费通知要求缴纳费用，不再处理。"
                    "【请填写：依据《政府信息公开信息处理费管理办法》收取信息处理费的情况。】"),
    "fee_mark": "【请填写：依据《政府信息公开信息处理费管理办法》收取信息处理费的情况；未收取的，写明未收取。】",
    "draft_reason": "本报告的数据未通过校验（错误 {errors} 条），仅供核对，不得公开。",
    "title_rest": "{year}年政府信息公开工作年度报告",
    "draft_review": "本报告的数据与上年不衔接（{n} 处：{items}），需核对，核对前不得公开。",
    "table_note": "注：{note}",
    "rollup_name": "{county}",
    # refusals and errors
    "template_missing": "找不到报告模板：{path}",
    "template_unreadable": "报告模板 {path} 无法打开（{detail}），请确认它是 Word 文档（.docx）。",
    "template_unknown": ("报告模板 {path} 使用了未知的占位符“{name}”（{place}）。可用的占位符见 "
                         "gipr report --placeholders。"),
    "template_syntax": "报告模板 {path} 的占位符写法有误（{place}）：{detail}",
    "template_table": ("报告模板 {path} 中的“{name}”须单独占一段，写作 {{{{p {name} }}}}（{place}）。"),
    "place_paragraph": "{part}第 {n} 段：“{text}”",
    "part_body": "正文",
    "part_header": "页眉",
    "part_footer": "页脚",
    "out_suffix": "年度报告的文件名须以 .docx 结尾：{path}",
    "source_errors": ("{file} 有 {errors} 个错误，未生成年度报告（例如：{first}）。请先按 gipr check 的提示改正；"
                      "如需先生成草稿，请加 --include-errors（文档将标注“草稿（数据有误）”）。"),
    "previous_none": "上年数据 {path} 中没有“{who}”的数据，无法写同比变化。",
    "both_sources": "请在报表文件和 --workspace 之间二选一。",
    "no_source": "请指定报表文件（单位报表或汇总表），或用 --workspace 指定工作目录。",
    "workspace_out": "使用 --workspace 时，--out 应为输出文件夹（每个单位一份年度报告，另有本级汇总的一份）：{path}",
    "unit_unknown": "工作目录中没有已汇总的单位“{unit}”。",
    "unit_with_file": "--unit 只能与 --workspace 一起使用。",
    "pdf_missing": ("未找到 LibreOffice（soffice），未生成 PDF；.docx 已生成。安装 LibreOffice 后重试，"
                    "或用 WPS/Word 打开 .docx 另存为 PDF。"),
    "pdf_failed": "LibreOffice 未能把 {docx} 转换为 PDF：{detail}。.docx 已生成。",
    "pdf_timeout": "LibreOffice 转换 PDF 超过 {seconds} 秒仍未完成，已停止；.docx 已生成。",
    "written": "年度报告：{path}",
    "written_pdf": "PDF：{path}",
    "draft_written": "注意：{who} 的数据有 {errors} 个错误，年度报告已标注“草稿（数据有误）”：{path}",
    "review_written": "注意：{who} 的数据与上年不衔接（{n} 处，如：{first}），年度报告已标注为草稿，需核对：{path}",
    "skipped_exists": "文件已存在：{path}。如需替换，请加 --force。",
    "workspace_done": "已生成 {n} 份年度报告（本级汇总 1 份，单位 {units} 份），在 {folder}",
    "county_file": "{county}{year}年政府信息公开工作年度报告.docx",
    "unit_file": "{year}年政府信息公开工作年度报告_{unit}.docx",
    "rollup_who": "汇总",
    "no_out": "请用 --out 指定输出的年度报告（.docx）。",
    "no_out_ws": "请用 --out 指定输出文件夹（或与 --unit 一起指定一个 .docx 文件）。",
    "pdf_error": "错误：{error}",
    "is_dir": "{path} 是一个文件夹，不能作为输出文件。",
    "unclosed": "占位符没有闭合",
    "left_out": "没有生成年度报告的单位 {n} 个（有错误的单位加 --include-errors 可生成草稿）：",
    "left_out_one": "  - {who}：{why}{detail}",
    "left_out_detail": "（{detail}）",
    "write_failed": "无法写入 {path}：{detail}。没有生成文件。",
    "not_folder": "{path} 不是文件夹，无法在其中写入年度报告。",
    "template_form": "报告模板 {path} 中的占位符“{name}”须写作 {form}（{place}）。",
    "unit_marked": ("汇总表 {file} 中的“{unit}”是带着错误汇总的（已标注），未生成年度报告。请先改正该单位的报表；"
                    "如需先生成草稿，请加 --include-errors。"),
}


# ---------------------------------------------------------------------------------------------
# The workspace lock: what its holder writes down, and how a waiting process names it.
LOCK: dict[str, str] = {
    "owner": "{purpose}（{who}，进程 {pid}，{since} 开始）",
    "holder": "（正在使用的是：{holder}）",
}

# ---------------------------------------------------------------------------------------------
# The local web workbench (gipr ui): refusals, results and the one line it prints.
UI: dict[str, str] = {
    "bad_host": "拒绝访问：请求的主机名不是本机的 gipr 工作台（只接受 127.0.0.1 或 localhost）。",
    "bad_token": "拒绝访问：访问令牌不正确。请双击桌面上的“gipr 年报工作台”图标重新打开工作台。",
    "no_token": ("拒绝访问：缺少访问令牌。请双击桌面上的“gipr 年报工作台”图标打开工作台"
                 "（或使用 gipr ui --print-url 显示的网址）。"),
    "bad_method": "不支持这种请求方式。",
    "cross_site": "拒绝访问：请求来自其他网站。",
    "no_csrf": "拒绝访问：请求缺少页面校验码（CSRF）。请刷新页面后重试。",
    "not_found": "找不到这个页面或文件。",
    "internal": "内部错误：{error}。这是 gipr 的缺陷，请把这行报告给维护者。已有数据未被修改。",
    "upload_none": "没有收到文件：请选择或拖入要收集的报表或邮件（.eml）。",
    "upload_too_many": "一次最多上传 {limit} 个文件，本次有 {n} 个以上。请分批上传。",
    "upload_too_large": "上传的内容太大（超过 {limit} MB）。请分批上传。",
    "upload_bad": "上传的内容无法解析（{detail}）。请重新选择文件上传。",
    "upload_truncated": "上传的内容不完整（在“{name}”处中断，没有结束标记），什么都没有收集。请重新上传。",
    "upload_source": "网页上传：{name}",
    "upload_source_short": "网页上传",
    "why_more": "（另有 {n} 处错误，见单位页面）",
    "bad_form": "请求参数不正确：{detail}",
    "unknown_unit": "单位名册中没有代码为“{code}”的单位。",
    "unknown_submission": "台账中没有报送 #{id}。",
    "unknown_document": "台账中没有编号为 {id} 的年报文稿。",
    "no_feedback": "报送 #{id} 没有可标注的问题，或文件无法读取，无法生成反馈表。",
    "unknown_run": "找不到这次汇总（{run}）。请重新汇总后再生成年度报告。",
    "confirm_mismatch": "确认的单位数（{confirm}）与将要发送的单位数（{planned}）不一致，未发送。请重新预览后再确认。",
    "started": "gipr 工作台已启动（工作目录 {root}）。在浏览器中打开上面的网址；按 Ctrl-C 停止。",
    "open_host_warning": ("警告：工作台监听在 {host} 上，同一网络中的其他电脑也能连接（仍需访问令牌）。"
                          "只在确有需要时这样做；默认只监听本机 127.0.0.1。"),
    "stopped": "gipr 工作台已停止。",
    "run_units": "汇总 {n} 个单位",
    "run_with_errors": "含有错误的单位",
    "run_no_errors": "不含有错误的单位",
    "run_previous": "与上年对比（{name}）",
}

# The workbench's start page (gipr ui without a workspace) and its way back in.
START: dict[str, str] = {
    "no_workspace": "还没有打开年度工作目录：请在“开始”页面新建或打开一个。",
    "folder_name": "{county}{year}年度政府信息公开年报",
    "bad_year": "报告年度“{year}”不是一个年份（如 2025）。",
    "no_county": "请填写本级名称（如 灵丘县），它会出现在汇总表和年度报告的标题中。",
    "bad_county": "本级名称“{county}”不能含有 \\ / : * ? \" < > | 等字符，且不超过 40 字。",
    "roster_rows": "单位名册 {name} 有 {n} 行需要修改（见下表），修改后重新选择文件。工作目录未创建。",
    "no_roster": "请选择单位名册文件（.xlsx 或 .csv，包含列：单位代码、单位名称、类别、联系人、邮箱）。",
    "bad_parent": "保存位置“{parent}”应是一个完整的文件夹路径（如 D:\\年报）。",
    "exists": "{path} 已经是一个年度工作目录，未做修改。请在下面“最近使用”中打开它。",
    "no_path": "请填写要打开的工作目录所在的文件夹。",
    "print_url": "工作台网址（含访问令牌，请勿发给他人）：",
    "already_running": "工作台已在运行，已在浏览器中打开：{url}",
    "port_busy": "端口 {port} 已被其他程序占用，无法启动工作台。请用 --port 换一个端口（如 --port 8621）。",
    "launcher_written": "已写入桌面启动图标：{path}。以后双击它即可打开工作台，无需终端。",
    "started_start": "gipr 工作台已启动（尚未打开工作目录：请在浏览器中新建或打开）。按 Ctrl-C 停止。",
}

# The workbench's 邮箱设置 page (SMTP and IMAP settings; passwords in the OS credential store).
MAILFORM: dict[str, str] = {
    "where": "邮箱设置",
    "smtp_host": "发件服务器", "smtp_port": "发件服务器端口", "smtp_security": "发件加密方式", "smtp_user": "发件登录名",
    "from_addr": "发件人邮箱", "from_name": "发件人名称", "deadline": "报送截止日期", "contact": "联系方式",
    "smtp_cafile": "发件服务器证书文件", "smtp_password": "发件邮箱密码或授权码",
    "imap_host": "收件服务器", "imap_port": "收件服务器端口", "imap_security": "收件加密方式", "imap_user": "收件登录名",
    "imap_folder": "收件文件夹", "imap_cafile": "收件服务器证书文件", "imap_password": "收件邮箱密码或授权码",
    "need": "请填写“{what}”。",
    "bad_address": "“{what}”中的“{value}”不是有效的邮箱地址。",
    "bad_choice": "“{what}”只能选 加密（SSL）、STARTTLS 或 不加密，现在是“{value}”。",
    "bad_port": "“{what}”应是 1 到 65535 之间的数字，现在是“{value}”。",
    "no_file": "“{what}”中的文件不存在：{value}",
    "need_password": "请填写“{what}”后再测试（这台电脑上还没有保存它）。",
    "no_folder": "收件邮箱中没有文件夹“{folder}”。",
    "smtp_ok": "发件服务器 {host}:{port}：连接成功，已登录。",
    "imap_ok": "收件服务器 {host}:{port}：连接成功，已登录，收件文件夹可以打开。",
    "saved": "邮箱设置已保存。",
    "saved_pw": "密码已保存在这台电脑的系统密码保管库中（不写入任何文件）。",
    "no_store_note": "这台电脑没有可用的系统密码保管库，密码没有保存：每次发送或收取时请在页面上输入。",
    "no_store": "这台电脑没有可用的系统密码保管库，无法保存密码：每次发送或收取时请在页面上输入。",
    "store_failed": "系统密码保管库没有保存密码（{error}）。每次发送或收取时请在页面上输入。",
    "not_set_mail": "还没有设置发件邮箱：请先打开“邮箱设置”页面填写发件服务器和发件人邮箱。",
    "not_set_imap": "还没有设置收件邮箱：请先打开“邮箱设置”页面填写收件服务器。",
    "need_smtp_password": "需要发件邮箱的密码：请在“发件邮箱密码或授权码”框中输入，或在“邮箱设置”页面保存。",
    "need_imap_password": "需要收件邮箱的密码：请在密码框中输入，或在“邮箱设置”页面保存。",
}
