"""The mail texts: the default wording and the clerk's own templates (mail/send.txt, remind.txt)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..account.settings import MAIL_DIR, TEMPLATE_FILES
from ..errors import GiprError
from ..fsio import atomic_write_bytes
from ..text import decode_text

# --- text templates --------------------------------------------------------------------------

PLACEHOLDERS = {
    "单位名称": "收件单位的名称",
    "单位代码": "收件单位的代码",
    "联系人": "收件单位的联系人（名册中的）",
    "年度": "报告年度",
    "截止日期": "报送截止日期（[mail] deadline）",
    "联系方式": "本单位联系方式（[mail] contact）",
    "本级": "本级名称（如某某县）",
    "发件人": "发件人名称（[mail] from_name）",
    "附件名": "附件文件名",
}
REMIND_PLACEHOLDERS = {
    "情况": "该单位的报送情况（未报送、有错误或无法读取）",
    "问题": "校验发现的问题清单（未报送时为空）",
}
_ALIASES = {"unit": "单位名称", "code": "单位代码", "year": "年度", "deadline": "截止日期", "contact": "联系方式",
            "county": "本级", "sender": "发件人", "attachment": "附件名", "person": "联系人",
            "situation": "情况", "problems": "问题"}
_PLACEHOLDER = re.compile(r"\{([^{}\s]{1,20})\}")

DEFAULT_TEXTS = {
    "send": """\
# 这是 gipr send 发出的邮件模板，可以用记事本修改（保存为 UTF-8）。
# 以“#”开头的行是说明，不会发出。“主题：”一行是邮件主题；空一行之后是正文。
# 可用的占位符（原样写上花括号）：{单位名称} {单位代码} {联系人} {年度} {截止日期} {联系方式} {本级} {发件人} {附件名}
主题：请填报{年度}年度政府信息公开工作年度报告统计表（{单位名称}）

{单位名称}{联系人}同志：

您好！现将{本级}{年度}年度政府信息公开工作年度报告统计表发给贵单位，附件“{附件名}”是贵单位专用的填报模板。请按以下要求填报：

1. 直接在附件中填写淡黄色单元格；灰色单元格为自动合计，无需填写。不要增删行列、修改表格结构，也不要另存为其他格式。
2. 没有发生的事项填 0，不要空着。
3. 填完后查看各表下方的“校验”区域，全部显示“通过”后再报送。
4. 请于{截止日期}前将填好的表格作为附件回复本邮件。

如有疑问，请联系：{联系方式}。

{发件人}
""",
    "remind": """\
# 这是 gipr remind 发出的催报邮件模板，可以用记事本修改（保存为 UTF-8）。
# 以“#”开头的行是说明，不会发出。“主题：”一行是邮件主题；空一行之后是正文。
# 可用的占位符：{单位名称} {单位代码} {联系人} {年度} {截止日期} {联系方式} {本级} {发件人} {附件名}
#   {情况}：该单位的报送情况；{问题}：校验发现的问题清单（未报送时为空）
主题：【提醒】{年度}年度政府信息公开工作年度报告统计表（{单位名称}）

{单位名称}{联系人}同志：

您好！{情况}

{问题}

请于{截止日期}前将填好的表格作为附件回复本邮件。如有疑问，请联系：{联系方式}。

{发件人}
""",
}


@dataclass
class TextTemplate:
    kind: str
    path: Path
    subject: str
    body: str

    def render(self, values: dict[str, str]) -> tuple[str, str]:
        """(subject, body) with every placeholder replaced."""
        def sub(text: str) -> str:
            return _PLACEHOLDER.sub(lambda m: values.get(_ALIASES.get(m.group(1), m.group(1)), m.group(0)), text)

        subject = re.sub(r"\s+", " ", sub(self.subject)).strip()
        body = sub(self.body)
        body = re.sub(r"\n{3,}", "\n\n", body).strip("\n") + "\n"
        return subject, body


def _decode_text_file(raw: bytes, path: Path) -> str:
    try:
        return decode_text(raw)
    except UnicodeDecodeError:
        pass
    raise GiprError(f"邮件模板 {path} 无法识别文字编码，请用记事本另存为 UTF-8。", "mail.template")


def parse_text_template(text: str, path: Path, kind: str) -> TextTemplate:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines) and (lines[i].lstrip().startswith("#") or not lines[i].strip()):
        i += 1
    m = re.match(r"^\s*(主题|subject)\s*[:：]\s*(.*)$", lines[i] if i < len(lines) else "", re.I)
    if not m:
        raise GiprError(f"邮件模板 {path} 的第一行（说明行之后）应为“主题：……”。", "mail.template")
    subject = m.group(2).strip()
    if not subject:
        raise GiprError(f"邮件模板 {path} 的主题是空的。", "mail.template")
    body = "\n".join(lines[i + 1:]).strip("\n")
    if not body.strip():
        raise GiprError(f"邮件模板 {path} 没有正文。", "mail.template")
    allowed = set(PLACEHOLDERS) | (set(REMIND_PLACEHOLDERS) if kind == "remind" else set())
    for part in (subject, body):
        for ph in _PLACEHOLDER.findall(part):
            if _ALIASES.get(ph, ph) not in allowed:
                order = [*PLACEHOLDERS, *REMIND_PLACEHOLDERS]
                shown = " ".join(f"{{{p}}}" for p in order if p in allowed)
                raise GiprError(f"邮件模板 {path} 中有无法识别的占位符“{{{ph}}}”。可用的有：{shown}。", "mail.template")
    return TextTemplate(kind, path, subject, body)


def load_text_template(ws, kind: str) -> TextTemplate:
    """The workspace's template for ``kind`` (send|remind), written with the default text
    the first time it is needed."""
    path = Path(ws.root) / MAIL_DIR / TEMPLATE_FILES[kind]
    if not path.exists():
        atomic_write_bytes(path, DEFAULT_TEXTS[kind].encode("utf-8"))
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise GiprError(f"无法读取邮件模板 {path}：{e.strerror or e}", "mail.template") from None
    return parse_text_template(_decode_text_file(raw, path), path, kind)
