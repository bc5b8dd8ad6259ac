"""Every finding code and its text, and the catalogue's accessor for the stages that make findings.

A *code* is stable: tests, the ledger, --json consumers and other systems key on it.  The
text is what a county clerk reads; it always names the cell and carries the numbers.
Rule texts (勾稽关系) are not here: they live in the format file (``Rule.message``) so a rule is
written once; this module only adds the wording around them (stale totals, cross-year).

Use :func:`finding` to make a :class:`~gipr.model.Finding`; every other text comes from the
catalogue (:mod:`gipr.catalogue`) through :func:`say`, which this module passes on.
"""

from __future__ import annotations

from typing import Any

from .catalogue.access import say
from .catalogue.reading import READ_ERRORS
from .model import Finding

__all__ = ["FINDINGS", "MERGE_STATUS_ZH", "READ_ERRORS", "SEND_STATUS_ZH", "SEVERITY_ORDER", "SEVERITY_ZH",
           "SUBMISSION_STATUS_ZH", "cell_place", "finding", "say", "when"]

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

# What a status is called (a submission in the ledger, a unit in a merge, a mail being sent) and
# what a severity is called, by the status's or severity's code.
SUBMISSION_STATUS_ZH = {
    "accepted": say("submission.accepted"),
    "errors": say("submission.errors"),
    "unreadable": say("submission.unreadable"),
    "unidentified": say("submission.unidentified"),
    "duplicate": say("submission.duplicate"),
    "missing": say("submission.missing"),
}
MERGE_STATUS_ZH = {
    "included": say("merge_status.included"),
    "included_errors": say("merge_status.included_errors"),
    "excluded_errors": say("merge_status.excluded_errors"),
    "unreadable": say("merge_status.unreadable"),
    "missing": say("merge_status.missing"),
}
SEND_STATUS_ZH = {
    "pending": say("send.pending"),
    "sent": say("send.sent"),
    "failed": say("send.failed"),
    "uncertain": say("send.uncertain"),
    "skipped": say("send.skipped"),
    "written": say("send.written"),
}
SEVERITY_ZH = {"error": say("severity.error"), "warning": say("severity.warning"), "info": say("severity.info")}


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
    return say("time.local", year=t.year, month=t.month, day=t.day, hour=t.hour, minute=t.minute)


def cell_place(ref: str | None) -> str:
    """Where a cell is, in her words: “三 依申请公开”表 D6 格 (from ``三 依申请公开!D6``)."""
    if not ref:
        return ""
    sheet, sep, cell = ref.rpartition("!")
    if not sep:
        return ref
    return say("place.cell", sheet=sheet.strip(chr(39)), cell=cell.replace("$", ""))


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


