"""The words of `gipr check`, `gipr export`, `gipr import` and of feedback workbooks (``cli.*``)."""

from __future__ import annotations

# The words of `gipr check` / `gipr export` and of feedback workbooks.
TEXTS: dict[str, str] = {
    "cli.feedback_sheet": "校验问题",
    "cli.feedback_stem": "报表",
    "cli.feedback_file": "{stem}_校验反馈.xlsx",
    "cli.no_unit": "（未填写单位）",
    "cli.feedback_title": "校验问题：{who}",
    "cli.feedback_intro": ("原文件：{file}；错误 {errors} 条，警告 {warnings} 条。请在本工作簿中按标出的单元格修改"
                       "（批注中有说明），改完后保存并报送本文件。"),
    "cli.feedback_heads": "序号|严重程度|位置|项目|问题说明|代码",
    "cli.feedback_none": "没有发现问题。",
    "cli.empty_folder": "文件夹 {folder} 中没有表格文件（.xlsx/.xls/.ods/.et）。",
    "cli.empty_folder_check": "文件夹 {folder} 中没有表格文件（.xlsx/.xls/.ods/.et）或公开的年报（.pdf/.html/.mhtml/.docx/.doc/.wps）。",
    "cli.bad_format": "未知的报告格式“{format}”，可用：{formats}",
    "cli.bad_year": "--year {year} 不是有效的年度。",
    "cli.bad_previous": "上年数据（--previous）无法使用：{error}",
    "cli.internal": "{file}：校验时发生内部错误（{error}），这是 gipr 的缺陷，请报告维护者。",
    "cli.summary": ("共检查 {files} 个文件：通过 {passed} 个，有错误 {with_errors} 个，无法读取 {unreadable} 个；"
                "错误 {errors} 条，警告 {warnings} 条，提示 {infos} 条。"),
    "cli.unreadable": "✗ 无法读取",
    "cli.meta": "{unit} · {year} 年度 · 格式 {format}",
    "cli.rollup": " · 汇总表",
    "cli.status_errors": "✗ 有错误（错误 {errors}，警告 {warnings}）",
    "cli.status_warnings": "! 通过（有警告 {warnings} 条）",
    "cli.status_ok": "✓ 通过",
    "cli.feedback_written": "反馈工作簿：{path}",
    "cli.feedback_failed": "反馈工作簿未能写入：",
    "cli.export_format": "请选择一种输出格式：--json 或 --csv。",
    "cli.export_unreadable": "无法读取：",
    "cli.export_written": "已写入 {path}（{n} 个文件）",
    "cli.no_year": "年度未知",
    "cli.bad_option_value": "“{value}”不是有效的值（应为整数或文字，见 --help）。",
    "cli.merge_reads": "沿用收集时保存的读取和校验结果 {from_ledger} 个，重新读取存档文件 {reread} 个。",
    "cli.import_ok": "✓ 已导入 {file}  {unit} · {year} 年度 · 格式 {format}（{n} 个数）",
    "cli.import_partial": "! 部分导入 {file}  {unit} · {year} 年度 · 格式 {format}（{n} 个数；有 {errors} 处无法读取）",
    "cli.import_failed": "✗ 无法导入",
    "cli.import_written": "    已写入工作簿：{path}",
    "cli.import_summary": "共 {files} 个文件：完整导入 {ok} 个，部分导入 {partial} 个，无法导入 {failed} 个。",
    "cli.previous_unreadable": "无法读取上年数据 {path}：{error}",
    "cli.previous_empty": "找不到上年数据：{path}（文件夹中没有统计表或公开的年报）",
    "cli.empty_folder_docs": "文件夹 {folder} 中没有可导入的文档（.pdf/.html/.htm/.mhtml/.docx/.doc/.wps/.txt）。",
    # gipr/check/feedback.py
    "check.feedback.font": "宋体",
    # gipr/check/checks.py
    "check.checks.checks": "blank / 不适用 / text / type of each cell; stored totals",
    "check.checks.checks_2": "rule F: 上年结转 = last year's 结转下年度",
    "check.checks.checks_3": "table 二 现行有效 continues last year's",
    # gipr/check/similar.py
    "check.similar.meta": "^\\s*(?:标题|发布时间|发布日期|成文日期|发文日期|文号|发布机构|来源|栏目|索引号|原文链接|本地目录|页面链接)\\s*[:：]?|://|\\.tsv\\b",
}
