"""The limits gipr enforces on what it receives, as the README documents them.

The values are taken from the code constants (gipr.read, gipr.collect, gipr.collect.mailparse,
gipr.check), never typed here; the words say where each limit is enforced and what the
user sees.  ``tests/project/test_limits.py`` checks that README.md holds exactly these tables
and hits every limit.  After changing a limit:

    python tests/kit/limits_doc.py --write-readme  # or without the option: print the tables
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Limit:
    what: str  # Chinese: what is limited
    value: str  # Chinese: the limit, from the constants
    where: str  # Chinese: which commands enforce it, and how
    sees: str  # Chinese: what the user sees (the code in the JSON / ledger)
    constants: tuple[str, ...]  # module.NAME of the constants (for the developer table)
    process: str = "reader"  # which process enforces it: "reader" (a gipr.isolate worker) or "main"


PROCESS_ZH = {"reader": "读取进程（gipr.isolate 的工作进程，超时或超出内存即被主进程终止）",
              "main": "主进程（只看大小和个数，不解析内容）", "any": "处理已读出数据的进程（不涉及文件内容的解析）"}
PROCESS_EN = {"reader": "reader worker (gipr.isolate)", "main": "main process", "any": "where the plain data is shown"}


def _mb(n: int) -> str:
    return f"{n // (1024 * 1024)} MB"


def limits() -> list[Limit]:
    from gipr import check as checks
    from gipr import read
    from gipr.collect import collect, mailparse
    from gipr.published import core as pub_core
    from gipr.published import digits, ocr
    from gipr.ui import app as ui_app

    return [
        Limit("单个文件大小", _mb(read.MAX_FILE_BYTES),
              "gipr check / merge 读取前按文件大小检查；gipr collect 不收集、不存档",
              "“文件太大（…），超过 … 的上限”（file.too_large）；collect 列为“未收集：文件过大”",
              ("ooxml.container.MAX_FILE_BYTES",), process="main"),
        Limit("解压后单个部件大小", _mb(read.MAX_MEMBER_BYTES),
              "读取 .xlsx/.xlsm/.ods 时，解压前按声明的大小检查，解压时不超过声明的大小",
              "“压缩数据异常（部件…解压后声称有…）…压缩炸弹，已拒绝读取”（file.zip_bomb）",
              ("ooxml.container.MAX_MEMBER_BYTES",)),
        Limit("解压后总大小", _mb(read.MAX_TOTAL_BYTES), "同上，所有部件合计",
              "“解压后总大小超过 …”（file.zip_bomb）", ("ooxml.container.MAX_TOTAL_BYTES",)),
        Limit("压缩比", f"{read.MAX_RATIO}:1（解压后大于 {_mb(read.RATIO_FLOOR)} 的部件）", "同上",
              "“部件…的压缩比为 …:1”（file.zip_bomb）", ("ooxml.container.MAX_RATIO", "ooxml.container.RATIO_FLOOR")),
        Limit("压缩包内的部件数", f"{read.MAX_MEMBERS} 个", "同上",
              "“含有 … 个部件，超过 … 个的上限”（file.zip_bomb）", ("ooxml.container.MAX_MEMBERS",)),
        Limit("工作表的范围", f"{read.MAX_SHEET_CELLS:,} 个单元格，且不超过 {read.MAX_SHEET_ROWS:,} 行",
              "读取前估算有内容的单元格所占的行列（不展开表格）；表格所在的工作表超出时拒绝读取，其他工作表跳过；"
              ".xls 的所有工作表合计也不能超出",
              "“工作表…的内容一直延伸到第 … 行…超出安全读取的范围”（file.sheet_too_large）",
              ("ooxml.container.MAX_SHEET_CELLS", "ooxml.container.MAX_SHEET_ROWS")),
        Limit("读取一个文件的时间", f"{read.MAX_READ_SECONDS} 秒", "gipr check / merge / collect，每个文件（collect：读取加校验）；"
              "上年汇总表（merge / report --previous、网页工作台汇总页）连同其“各单位明细”、.xlsx 单位名册同样"
              "（在单独的读取进程中读取，超时即终止该进程；Windows 上、任何线程中同样有效）",
              "“读取超过 … 秒仍未完成，已放弃”（file.timeout）；其他文件照常处理；collect 记为“无法读取”，"
              "原因“读取和校验超过 … 秒”，原始文件已存档",
              ("ooxml.container.MAX_READ_SECONDS",)),
        Limit("读取一个文件的内存", f"{read.MAX_READ_MEMORY_MB} MB", "同上，读取进程的地址空间（Linux/macOS；"
              "Windows 上只有时间限制）；读取进程异常退出时文件记为已损坏（file.corrupt）",
              "“读取时占用的内存超过 … 的上限，已放弃”（file.too_large）；其他文件照常处理",
              ("ooxml.container.MAX_READ_MEMORY_MB",)),
        Limit("一封邮件的大小", _mb(mailparse.MAX_MESSAGE_BYTES), "gipr collect：.eml、mbox、Maildir、IMAP",
              "“未收集：邮件过大（…，上限 …）”（mail.too_large）", ("collect.mailparse.MAX_MESSAGE_BYTES",), process="main"),
        Limit("解析一封邮件的时间", f"{mailparse.PARSE_SECONDS} 秒", "gipr collect，每封邮件",
              "记为“无法读取”：“解析邮件超过 … 秒，已放弃”（mail.timeout）；邮件原文已存档",
              ("collect.mailparse.PARSE_SECONDS",)),
        Limit("在 mbox 邮箱中查找邮件的时间", f"{mailparse.MBOX_SCAN_SECONDS} 秒",
              "gipr collect，每个 mbox 文件（分块读取，从不整行读入内存：1 GB 的单行邮件也只占一块内存）",
              "“无法作为 mbox 邮箱读取：解析邮件超过 … 秒，已放弃”（mail.timeout）；其他文件照常处理",
              ("collect.mailparse.MBOX_SCAN_SECONDS",)),
        Limit("一封邮件查看的 MIME 部分", f"{mailparse.MAX_PARTS} 个", "gipr collect", "其余部分不再查看",
              ("collect.mailparse.MAX_PARTS",)),
        Limit("一封邮件收取的附件", f"{mailparse.MAX_ATTACHMENTS} 个", "gipr collect",
              f"其余附件不收取，逐个列出（收集结果的 dropped，最多列 {mailparse.MAX_DROPPED_NAMED} 个；台账中该邮件每份报送的"
              f"说明列出前 {mailparse.MAX_DROPPED_NOTED} 个和总数）；退出状态 2",
              ("collect.mailparse.MAX_ATTACHMENTS", "collect.mailparse.MAX_DROPPED_NAMED",
               "collect.mailparse.MAX_DROPPED_NOTED")),
        Limit("作为 .eml 附件转发的邮件的嵌套层数", f"{mailparse.MAX_NESTING} 层", "gipr collect",
              "更深处的邮件不再拆开（直接嵌套的邮件受部分数和解析时间限制）",
              ("collect.mailparse.MAX_NESTING",)),
        Limit("附件名显示长度", f"{mailparse.MAX_NAME_CHARS} 个字符", "gipr collect（文件名只用于显示，从不用作路径）",
              "截短，保留扩展名", ("collect.mailparse.MAX_NAME_CHARS",), process="reader"),
        Limit("一次收集的文件夹中的文件数", f"{collect.MAX_WALK_FILES:,} 个", "gipr collect 遍历文件夹",
              "“文件夹中的文件超过 … 个，其余的未收集”（source.too_many_files）", ("collect.collect.MAX_WALK_FILES",), process="main"),
        Limit("网页工作台一次上传的文件数", f"{ui_app.MAX_UPLOAD_FILES} 个", "gipr ui 的收集页面（/api/collect）",
              "拒绝本次上传（413）：“一次最多上传 … 个文件”（ui.upload_too_many）；什么都没有收集",
              ("ui.app.MAX_UPLOAD_FILES",), process="main"),
        Limit("网页工作台一次上传的总大小", _mb(ui_app.MAX_UPLOAD_BYTES), "同上，边接收边计数",
              "拒绝本次上传（413）：“上传的内容太大”（ui.upload_too_large）；每个文件另受“单个文件大小”的限制",
              ("ui.app.MAX_UPLOAD_BYTES",), process="main"),
        Limit("消息中引用的单元格内容", f"{checks.MAX_RAW_SHOWN} 个字符", "gipr check / collect 的校验说明",
              "超出部分以“…”省略", ("check.findings.MAX_RAW_SHOWN",), process="any"),
        Limit("读取一份公开年报的时间和内存", f"{pub_core.PARSE_SECONDS} 秒，{pub_core.PARSE_MEMORY_MB} MB",
              "gipr import / check / export / ui：解析文档、按标签定位各表、拆分连在一起的数字，都在单独的读取进程中"
              "（超时或超内存即终止该进程），主进程只收到读出的数",
              "“读取超过 … 秒仍未完成，已放弃”（file.timeout）或内存超限（file.too_large）；其他文件照常处理",
              ("published.core.PARSE_SECONDS", "published.core.PARSE_MEMORY_MB"), process="reader"),
        Limit("读取一份扫描件（文字识别）的时间和内存", f"{pub_core.OCR_SECONDS} 秒，{pub_core.OCR_MEMORY_MB} MB",
              "gipr import / check（需安装 gipr[ocr]）：识别模型比文字解析需要更多内存和时间，"
              f"另起一个读取进程；其中先识别有表格的页，处理器时间最多 {ocr.DEFAULT.seconds:g} 秒",
              "超出处理器时间时其余页不再识别（published.ocr_partial，警告）；超时或超内存同上",
              ("published.core.OCR_SECONDS", "published.core.OCR_MEMORY_MB"), process="reader"),
        Limit("拆分连在一起的数字", f"一串最多 {digits.MAX_RUN} 位；每份文档最多 {digits.MAX_STEPS:,} 步、"
              f"{digits.MAX_SECONDS:g} 秒", "gipr import / check，在读取进程中",
              "该行记为未知：“…连在一起的数字太长或拆分方式太多…超出拆分的计算上限，该行记为未知”（published.digits_budget）",
              ("published.digits.MAX_RUN", "published.digits.MAX_STEPS", "published.digits.MAX_SECONDS"),
              process="reader"),
    ]


def table_zh() -> str:
    rows = ["| 限制 | 上限 | 在哪里检查 | 由哪个进程执行 | 超出时看到什么 |", "|---|---|---|---|---|"]
    rows += [f"| {x.what} | {x.value} | {x.where} | {PROCESS_ZH[x.process]} | {x.sees} |" for x in limits()]
    return "\n".join(rows)


def table_en() -> str:
    import importlib

    rows = ["| constant | value | enforced in |", "|---|---|---|"]
    for x in limits():
        for c in x.constants:
            mod, name = c.rsplit(".", 1)
            v = getattr(importlib.import_module(f"gipr.{mod}"), name)
            shown = f"{v:,}" if isinstance(v, int) else f"{v}"
            rows.append(f"| `gipr.{c}` | {shown} | {PROCESS_EN[x.process]} |")
    return "\n".join(rows)


def update_readme(path: Path) -> bool:
    """Replace the two tables in README.md with the generated ones; True if it changed."""
    import re

    text = path.read_text(encoding="utf-8")
    new = text
    for head, table in (("| 限制 |", table_zh()), ("| constant |", table_en())):
        new = re.sub(r"^" + re.escape(head) + r".*\n(?:\|.*\n)*", lambda _m, table=table: table + "\n", new, count=1, flags=re.M)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: tests/, where kit is
    from kit.paths import README

    if sys.argv[1:] == ["--write-readme"]:
        changed = update_readme(README)
        print("README.md updated" if changed else "README.md already up to date")
    else:
        print(table_zh())
        print()
        print(table_en())
