"""Every user-facing text by key, and the one way to fetch one: ``say(key, **fields)``.

The texts live in the modules beside this one, a ``TEXTS`` dict each, keyed
``area.name`` (``cli.summary``, ``report.written``; the ReadError codes ``file.*`` and ``doc.*``
as they are).  ``key`` is a :data:`TextKey`, the union of each area's ``Literal`` of keys, so
mypy rejects a key that is not in the catalogue; tests/project/test_texts.py keeps that list in step
with the texts and checks that each call's keyword fields are exactly the text's placeholders.
Finding texts are in :mod:`gipr.messages` (``finding``), with their stable codes.

This module imports nothing of gipr but the texts, so every layer may use it.
"""

from __future__ import annotations

from typing import Union, cast

from . import check, cli, collect, common, mail, reading, report, spec, template, ui
from .keys.check import CheckKey
from .keys.cli import CliKey
from .keys.collect import CollectKey
from .keys.common import CommonKey
from .keys.mail import MailKey
from .keys.reading import ReadingKey
from .keys.report import ReportKey
from .keys.spec import SpecKey
from .keys.template import TemplateKey
from .keys.ui import UiKey

# every key of the catalogue: the keys of each module of texts (catalogue/keys/<area>.py, written
# from the texts by tests/project/test_texts.py --write-keys)
TextKey = Union[CheckKey, CliKey, CollectKey, CommonKey, MailKey, ReadingKey, ReportKey, SpecKey, TemplateKey, UiKey]  # noqa: UP007 (a runtime alias of Literals)

CATALOGUE: dict[str, str] = {}
for _part in (check.TEXTS, cli.TEXTS, collect.TEXTS, common.TEXTS, mail.TEXTS, reading.TEXTS, report.TEXTS, spec.TEXTS, template.TEXTS, ui.TEXTS):
    _twice = CATALOGUE.keys() & _part.keys()
    if _twice:
        raise RuntimeError(f"text keys defined twice: {sorted(_twice)}")
    CATALOGUE.update(_part)
del _part, _twice


def say(key: TextKey, /, **fields: object) -> str:
    """The text ``key``, its ``{placeholders}`` filled in from ``fields``."""
    return CATALOGUE[key].format(**fields)


def textkey(name: str) -> TextKey:
    """``name`` as a text key, for a key made at run time (``f"audit.kind.{kind}"``); an unknown
    name is a KeyError here rather than later."""
    if name not in CATALOGUE:
        raise KeyError(name)
    return cast(TextKey, name)
