"""Outgoing e-mail: each unit's template (``gipr send``) and reminders (``gipr remind``).

Settings live in the workspace config (``gipr.toml``), section ``[mail]``::

    host, port, security (ssl | starttls | none), user, login, from_addr, from_name,
    reply_to, deadline, contact, cafile, tls_verify, timeout, pause, remind_interval_hours, helo

and optionally ``[template]`` password / protect for the attached templates.

The password is never written to a file: it comes from ``$GIPR_SMTP_PASSWORD`` (or
``$GIPR_MAIL_PASSWORD``), the OS credential store (account/keystore.py, through keyring) or an
interactive prompt (the account's settings and keystore: :mod:`gipr.account`).

Subject and body come from editable Chinese text templates in the workspace
(``mail/send.txt``, ``mail/remind.txt``, written with defaults on first use).

No message is sent twice: every send is a row in the ledger table ``mail_sends``,
written as ``pending`` (with its Message-ID) *before* the SMTP transaction and set to
``sent``/``failed``/``uncertain`` after it.  A unit with a ``sent`` row is skipped by the
next run; a row left ``pending`` by a killed run, or a failure after the message's final
dot went out (the server may have accepted it), becomes ``uncertain`` and is never resent
automatically: the clerk checks and uses ``--resend``.  A failure before the final dot is
``failed`` and is retried by the next run.

Modules: ``texts`` (wording), ``mime`` (messages),
``transport`` (SMTP, dry run), ``send`` (ledger records, jobs, composing, the send loop).
"""

from __future__ import annotations

from ..account.settings import (
                   MAIL_DIR,
                   PREVIEW_FROM,
                   XLSX_TYPE,
                   MailSettings,
                   ensure_mail_section,
                   mail_settings,
                   smtp_password,
)
from .mime import attachment_part, build_message, encode_rfc2047_words
from .send import (
                   Composer,
                   MailJob,
                   MailOutcome,
                   MailRun,
                   SendRecord,
                   ensure_mail_tables,
                   mail_units,
                   plan_remind,
                   plan_send,
                   resolve_units,
                   run_jobs,
                   send_history,
                   template_options,
)
from .texts import TextTemplate, load_text_template
from .transport import Delivery, DryRunTransport, SmtpTransport

__all__ = [
                   "MAIL_DIR",
                   "PREVIEW_FROM",
                   "XLSX_TYPE",
                   "Composer",
                   "Delivery",
                   "DryRunTransport",
                   "MailJob",
                   "MailOutcome",
                   "MailRun",
                   "MailSettings",
                   "SendRecord",
                   "SmtpTransport",
                   "TextTemplate",
                   "attachment_part",
                   "build_message",
                   "encode_rfc2047_words",
                   "ensure_mail_section",
                   "ensure_mail_tables",
                   "load_text_template",
                   "mail_settings",
                   "mail_units",
                   "plan_remind",
                   "plan_send",
                   "resolve_units",
                   "run_jobs",
                   "send_history",
                   "smtp_password",
                   "template_options",
]
