"""The words of `gipr report` (the annual report document, ``report.*``)."""

from __future__ import annotations

# The words of `gipr report` (the annual report document).
TEXTS: dict[str, str] = {
    "report.yoy_up": "（同比增加{n}件）",
    "report.yoy_down": "（同比减少{n}件）",
    "report.yoy_same": "（与上年持平）",
    "report.blank_figure": "（未填写）",
    "report.contact": "填报人：{filler}，联系电话：{phone}",
    "report.contact_mark": "【请填写联系方式】",
    "report.fee_none": "本年度未收到政府信息公开申请，未收取信息处理费。",
    "report.fee_notices": ("本年度有{n}件申请因申请人逾期未按收费通知要求缴纳费用，不再处理。"
                    "【请填写：依据《政府信息公开信息处理费管理办法》收取信息处理费的情况。】"),
    "report.fee_mark": "【请填写：依据《政府信息公开信息处理费管理办法》收取信息处理费的情况；未收取的，写明未收取。】",
    "report.draft_reason": "本报告的数据未通过校验（错误 {errors} 条），仅供核对，不得公开。",
    "report.title_rest": "{year}年政府信息公开工作年度报告",
    "report.draft_review": "本报告的数据与上年不衔接（{n} 处：{items}），需核对，核对前不得公开。",
    "report.table_note": "注：{note}",
    "report.rollup_name": "{county}",
    # refusals and errors
    "report.template_missing": "找不到报告模板：{path}",
    "report.template_unreadable": "报告模板 {path} 无法打开（{detail}），请确认它是 Word 文档（.docx）。",
    "report.template_unknown": ("报告模板 {path} 使用了未知的占位符“{name}”（{place}）。可用的占位符见 "
                         "gipr report --placeholders。"),
    "report.template_syntax": "报告模板 {path} 的占位符写法有误（{place}）：{detail}",
    "report.template_table": ("报告模板 {path} 中的“{name}”须单独占一段，写作 {{{{p {name} }}}}（{place}）。"),
    "report.place_paragraph": "{part}第 {n} 段：“{text}”",
    "report.part_body": "正文",
    "report.part_header": "页眉",
    "report.part_footer": "页脚",
    "report.out_suffix": "年度报告的文件名须以 .docx 结尾：{path}",
    "report.source_errors": ("{file} 有 {errors} 个错误，未生成年度报告（例如：{first}）。请先按 gipr check 的提示改正；"
                      "如需先生成草稿，请加 --include-errors（文档将标注“草稿（数据有误）”）。"),
    "report.previous_none": "上年数据 {path} 中没有“{who}”的数据，无法写同比变化。",
    "report.both_sources": "请在报表文件和 --workspace 之间二选一。",
    "report.no_source": "请指定报表文件（单位报表或汇总表），或用 --workspace 指定工作目录。",
    "report.workspace_out": "使用 --workspace 时，--out 应为输出文件夹（每个单位一份年度报告，另有本级汇总的一份）：{path}",
    "report.unit_unknown": "工作目录中没有已汇总的单位“{unit}”。",
    "report.unit_with_file": "--unit 只能与 --workspace 一起使用。",
    "report.pdf_missing": ("未找到 LibreOffice（soffice），未生成 PDF；.docx 已生成。安装 LibreOffice 后重试，"
                    "或用 WPS/Word 打开 .docx 另存为 PDF。"),
    "report.pdf_failed": "LibreOffice 未能把 {docx} 转换为 PDF：{detail}。.docx 已生成。",
    "report.pdf_timeout": "LibreOffice 转换 PDF 超过 {seconds} 秒仍未完成，已停止；.docx 已生成。",
    "report.written": "年度报告：{path}",
    "report.written_pdf": "PDF：{path}",
    "report.draft_written": "注意：{who} 的数据有 {errors} 个错误，年度报告已标注“草稿（数据有误）”：{path}",
    "report.review_written": "注意：{who} 的数据与上年不衔接（{n} 处，如：{first}），年度报告已标注为草稿，需核对：{path}",
    "report.skipped_exists": "文件已存在：{path}。如需替换，请加 --force。",
    "report.workspace_done": "已生成 {n} 份年度报告（本级汇总 1 份，单位 {units} 份），在 {folder}",
    "report.county_file": "{county}{year}年政府信息公开工作年度报告.docx",
    "report.unit_file": "{year}年政府信息公开工作年度报告_{unit}.docx",
    "report.rollup_who": "汇总",
    "report.no_out": "请用 --out 指定输出的年度报告（.docx）。",
    "report.no_out_ws": "请用 --out 指定输出文件夹（或与 --unit 一起指定一个 .docx 文件）。",
    "report.pdf_error": "错误：{error}",
    "report.is_dir": "{path} 是一个文件夹，不能作为输出文件。",
    "report.unclosed": "占位符没有闭合",
    "report.left_out": "没有生成年度报告的单位 {n} 个（有错误的单位加 --include-errors 可生成草稿）：",
    "report.left_out_one": "  - {who}：{why}{detail}",
    "report.left_out_detail": "（{detail}）",
    "report.write_failed": "无法写入 {path}：{detail}。没有生成文件。",
    "report.not_folder": "{path} 不是文件夹，无法在其中写入年度报告。",
    "report.template_form": "报告模板 {path} 中的占位符“{name}”须写作 {form}（{place}）。",
    "report.unit_marked": ("汇总表 {file} 中的“{unit}”是带着错误汇总的（已标注），未生成年度报告。请先改正该单位的报表；"
                    "如需先生成草稿，请加 --include-errors。"),
}
