"""Mail passwords in the operating system's credential store, through ``keyring``:
Windows Credential Manager, the macOS Keychain, the Secret Service (GNOME Keyring, KWallet)
on Linux.  Never in a file of the workspace.

Where no such store exists (a Linux server without a desktop session; keyring then picks its
``fail`` backend), nothing is stored: the password is asked each time it is needed (the
workbench's send and collect forms, or the terminal prompt), or taken from the environment
variable.  Backends that would write the password into a plain file (keyrings.alt's) are not
used either.
"""

from __future__ import annotations

from .. import messages, thirdparty
from ..errors import GiprError

SERVICE = "gipr"


def _backend():
    try:
        keyring = thirdparty.keyring()
        chainer, fail = keyring.backends.chainer, keyring.backends.fail
        kr = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(kr, fail.Keyring) or type(kr).__module__.startswith(("keyring.backends.null", "keyrings.alt")):
        return None
    if isinstance(kr, chainer.ChainerBackend) and not kr.backends:
        return None
    return kr


def available() -> bool:
    """Whether passwords can be kept in this machine's credential store."""
    return _backend() is not None


def account(kind: str, user: str, host: str) -> str:
    """The key of one mailbox's password: ``smtp:user@host`` or ``imap:user@host``."""
    return f"{kind}:{user}@{host}"


def get(kind: str, user: str, host: str) -> str | None:
    kr = _backend()
    if kr is None or not user or not host:
        return None
    try:
        return kr.get_password(SERVICE, account(kind, user, host)) or None
    except Exception:
        return None


def put(kind: str, user: str, host: str, password: str) -> None:
    kr = _backend()
    if kr is None:
        raise GiprError(messages.say("mailform.no_store"), "mail.no_store")
    try:
        kr.set_password(SERVICE, account(kind, user, host), password)
    except Exception as e:
        raise GiprError(messages.say("mailform.store_failed", error=e), "mail.store_failed") from None


def forget(kind: str, user: str, host: str) -> None:
    kr = _backend()
    if kr is None:
        return
    try:
        kr.delete_password(SERVICE, account(kind, user, host))
    except Exception:
        pass
