"""Texts shared by several stages: finding files, output files, merge and its workbook, collect,
audit (keys as they were), the lock (``lock.*``)."""

from __future__ import annotations

# Texts of finding files, output files, merge, collect and audit.
SHARED: dict[str, str] = {
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

# A time and a place; the workspace lock: what its holder writes down, how a waiting process names it.
LOCK: dict[str, str] = {
    "time.local": "{year}年{month}月{day}日 {hour:02d}:{minute:02d}",  # a time as a clerk writes it
    "place.cell": "“{sheet}”表 {cell} 格",  # where a cell is: “三 依申请公开”表 D6 格
    "lock.owner": "{purpose}（{who}，进程 {pid}，{since} 开始）",
    "lock.holder": "（正在使用的是：{holder}）",
}

# The column headings of the roll-up's and the audit's sheets, | between headings.
HEADINGS: dict[str, str] = {
    "heading.units": "序号|单位代码|单位名称|类别|汇总情况",
    "heading.status": "序号|单位代码|单位名称|类别|是否报送|汇总情况|错误数|警告数|报送时间|文件|说明",
    "heading.findings": "单位代码|单位名称|级别|位置|栏目|说明|代码",
    "heading.years": "单位代码|单位名称|单元格编号|栏目|本年|上年|变化|结果|说明",
    "heading.audit.rows": "发布单位|单位代码|类别|年度|结论|文件|发布日期|按时发布|错误合计|警告合计|与上年正文重复比例|未能读取的单元格|同一年度的其他文件",
    "heading.audit.severity_pair": "错误|警告",
    "heading.audit.findings": "发布单位|年度|级别|类别|代码|文件|位置（页、行）|栏目|说明",
    "heading.audit.files": "情况|文件|说明",
    "heading.audit.chain": "年度|结论|文件|错误|警告|与上年正文重复比例|按时发布|跨年度问题",
    "heading.audit.html_chain": "年度|结论|文件|错误|警告|与上年正文重复比例|按时发布|问题（错误和警告）",
}

# What a status is called: a submission in the ledger, a unit in a merge, a mail being sent;
# what a severity is called.
STATUSES: dict[str, str] = {
    "submission.accepted": "已接收",
    "submission.errors": "有错误",
    "submission.unreadable": "无法读取",
    "submission.unidentified": "未识别单位",
    "submission.duplicate": "重复",
    "submission.missing": "未报送",
    "merge_status.included": "已汇总",
    "merge_status.included_errors": "已汇总（含错误）",
    "merge_status.excluded_errors": "有错误，未汇总",
    "merge_status.unreadable": "无法读取，未汇总",
    "merge_status.missing": "未报送",
    "send.pending": "发送中",
    "send.sent": "已发送",
    "send.failed": "发送失败",
    "send.uncertain": "无法确认是否送达",
    "send.skipped": "跳过",
    "send.written": "已写入文件",
    "severity.error": "错误",
    "severity.warning": "警告",
    "severity.info": "提示",
}

# Moved from the modules that said them.
MOVED: dict[str, str] = {
    # gipr/merge/entries.py
    "merge.entries.strip_rollup_suffix": "(汇总)",
    # gipr/merge/writer.py
    "merge.writer.formats.font_name": "宋体",
    # gipr/fsio.py
    "fsio.safe_filename": "未命名",
    "fsio.enospc": "磁盘空间已满",
    "fsio.edquot": "磁盘配额已用完",
    "fsio.efbig": "文件大小超过了系统允许的上限（磁盘已满或受限）",
    "fsio.eacces": "没有写入权限",
    "fsio.erofs": "磁盘是只读的",
    "fsio.enametoolong": "文件名太长",
    "fsio.atomic_output.kept": "原有文件未被改动。",
    "fsio.atomic_output.kept_2": "没有生成文件。",
    "fsio.atomic_output": "无法写入 {path}：{describe_os_error}。{kept}",
}

TEXTS: dict[str, str] = {**SHARED, **LOCK, **HEADINGS, **STATUSES, **MOVED}
