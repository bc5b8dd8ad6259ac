"""The mail texts: the default wording and the clerk's own templates (mail/send.txt, remind.txt)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..account.settings import MAIL_DIR, TEMPLATE_FILES
from ..catalogue.access import say
from ..collect.workspace import Workspace
from ..errors import GiprError
from ..fsio import atomic_write_bytes
from ..text import decode_text

# --- text templates --------------------------------------------------------------------------

PLACEHOLDERS = {
    say("mail.texts"): say("mail.texts_2"),
    say("mail.send.values_2"): say("mail.texts_4"),
    say("mail.send.values_3"): say("mail.texts_6"),
    say("mail.texts_7"): say("mail.texts_8"),
    say("mail.send.values_5"): say("mail.texts_10"),
    say("mail.texts_11"): say("mail.texts_12"),
    say("mail.send.values_8"): say("mail.texts_14"),
    say("mail.send.values_9"): say("mail.texts_16"),
    say("mail.send.values_10"): say("mail.texts_18"),
}
REMIND_PLACEHOLDERS = {
    say("mail.send.compose"): say("mail.texts_20"),
    say("mail.send.compose_2"): say("mail.texts_22"),
}
_ALIASES = {"unit": say("mail.texts"), "code": say("mail.send.values_2"), "year": say("mail.texts_7"), "deadline": say("mail.send.values_5"), "contact": say("mail.texts_11"),
            "county": say("mail.send.values_8"), "sender": say("mail.send.values_9"), "attachment": say("mail.send.values_10"), "person": say("mail.send.values_3"),
            "situation": say("mail.send.compose"), "problems": say("mail.send.compose_2")}
_PLACEHOLDER = re.compile(r"\{([^{}\s]{1,20})\}")

DEFAULT_TEXTS = {
    "send": say("mail.texts.send"),
    "remind": say("mail.texts.remind"),
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
    raise GiprError(say("mail.texts.decode_text_file", path=path), "mail.template")


def parse_text_template(text: str, path: Path, kind: str) -> TextTemplate:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines) and (lines[i].lstrip().startswith("#") or not lines[i].strip()):
        i += 1
    m = re.match(say("mail.texts.parse_text_template.m"), lines[i] if i < len(lines) else "", re.I)
    if not m:
        raise GiprError(say("mail.texts.parse_text_template", path=path), "mail.template")
    subject = m.group(2).strip()
    if not subject:
        raise GiprError(say("mail.texts.parse_text_template_2", path=path), "mail.template")
    body = "\n".join(lines[i + 1:]).strip("\n")
    if not body.strip():
        raise GiprError(say("mail.texts.parse_text_template_3", path=path), "mail.template")
    allowed = set(PLACEHOLDERS) | (set(REMIND_PLACEHOLDERS) if kind == "remind" else set())
    for part in (subject, body):
        for ph in _PLACEHOLDER.findall(part):
            if _ALIASES.get(ph, ph) not in allowed:
                order = [*PLACEHOLDERS, *REMIND_PLACEHOLDERS]
                shown = " ".join(f"{{{p}}}" for p in order if p in allowed)
                raise GiprError(say("mail.texts.parse_text_template_4", path=path, ph=ph, shown=shown), "mail.template")
    return TextTemplate(kind, path, subject, body)


def load_text_template(ws: Workspace, kind: str) -> TextTemplate:
    """The workspace's template for ``kind`` (send|remind), written with the default text
    the first time it is needed."""
    path = Path(ws.root) / MAIL_DIR / TEMPLATE_FILES[kind]
    if not path.exists():
        atomic_write_bytes(path, DEFAULT_TEXTS[kind].encode("utf-8"))
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise GiprError(say("mail.texts.load_text_template", path=path, value=e.strerror or e), "mail.template") from None
    return parse_text_template(_decode_text_file(raw, path), path, kind)
