"""The security layer of ``gipr ui``: one ASGI middleware in front of every route.

* Host check: the ``Host`` header must name this server (127.0.0.1 or localhost on its
  port, or the address given with ``--host``); anything else is refused (DNS rebinding).
* Access token: from the URL the first time (``?token=…``), which sets an HttpOnly,
  SameSite=Strict cookie and redirects to the same page without the token; afterwards
  from that cookie (or an ``Authorization: Bearer`` header, for scripts).  No token: 403.
* State changes: only POST, and only with the CSRF token in the ``X-CSRF-Token`` header
  (the pages' JavaScript sends it; it is derived from the access token).  A POST whose
  ``Origin`` or ``Sec-Fetch-Site`` says it comes from another site is refused as well.
* Every response says: no caching, no framing, no sniffing, scripts only from this server.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from .. import messages
from ..catalogue.access import say

SAFE_METHODS = ("GET", "HEAD")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
# the roll-up's HTML view (gipr's own publication page) carries its own inline <style>
CSP_REPORT_VIEW = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; base-uri 'none'"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_for(token: str) -> str:
    return hmac.new(token.encode(), b"gipr-ui-csrf", hashlib.sha256).hexdigest()


def cookie_name(port: int) -> str:
    return f"gipr_token_{port}"  # one per port: two workbenches on one PC do not log each other out


def allowed_hosts(port: int, extra: Iterable[str] = ()) -> set[str]:
    names = {"127.0.0.1", "localhost", *extra}
    return {f"{n}:{port}" for n in names} | ({f"[{n}]:{port}" for n in extra if ":" in n})


def _headers(scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in scope.get("headers") or []:
        out[k.decode("latin-1").lower()] = v.decode("latin-1")
    return out


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


class Guard:
    """ASGI middleware enforcing the rules in the module docstring."""

    def __init__(self, app, *, token: str, port: int, extra_hosts: Iterable[str] = (), cookie_days: int = 0):
        self.app = app
        self.max_age = f"; Max-Age={cookie_days * 86400}" if cookie_days > 0 else ""
        self.token = token
        self.csrf = csrf_for(token)
        self.port = port
        self.hosts = allowed_hosts(port, extra_hosts)
        self.cookie = cookie_name(port)
        self.origins = {f"http://{h}" for h in self.hosts}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        h = _headers(scope)
        method = scope["method"]
        if h.get("host", "").lower() not in self.hosts:
            return await _refuse(send, 403, messages.say("ui.bad_host"), h)
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        url_token = next((v for k, v in query if k == "token"), None)
        if url_token is not None and method in SAFE_METHODS:
            if not _same(url_token, self.token):
                return await _refuse(send, 403, messages.say("ui.bad_token"), h)
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            location = scope.get("path", "/") + (f"?{rest}" if rest else "")
            cookie = f"{self.cookie}={self.token}; HttpOnly; SameSite=Strict; Path=/{self.max_age}"
            return await _send(send, 303, b"", [(b"location", location.encode("utf-8")),
                                                (b"set-cookie", cookie.encode())])
        if not self._authenticated(h):
            return await _refuse(send, 403, messages.say("ui.no_token"), h)
        if method not in SAFE_METHODS:
            if method != "POST":
                return await _refuse(send, 405, messages.say("ui.bad_method"))
            origin = h.get("origin")
            if (origin is not None and origin not in self.origins) or h.get("sec-fetch-site") == "cross-site":
                return await _refuse(send, 403, messages.say("ui.cross_site"))
            if not _same(h.get("x-csrf-token", ""), self.csrf):
                return await _refuse(send, 403, messages.say("ui.no_csrf"))

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-security-policy"]
                have = {k.lower() for k, _ in message.get("headers", [])}
                csp = next((v for k, v in message.get("headers", []) if k.lower() == b"content-security-policy"),
                           CSP.encode())
                headers += [(b"content-security-policy", csp), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"SAMEORIGIN")]
                if b"cache-control" not in have:
                    headers.append((b"cache-control", b"no-store"))
                message = dict(message, headers=headers)
            await send(message)

        return await self.app(scope, receive, send_with_headers)

    def _authenticated(self, h: dict[str, str]) -> bool:
        auth = h.get("authorization", "")
        if auth.lower().startswith("bearer ") and _same(auth[7:].strip(), self.token):
            return True
        raw = h.get("cookie")
        if not raw:
            return False
        jar = SimpleCookie()
        try:
            jar.load(raw)
        except Exception:
            return False
        m = jar.get(self.cookie)
        return m is not None and _same(m.value, self.token)


async def _send(send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = headers + [(b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store"),
                         (b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"no-referrer")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _refuse(send, status: int, text: str, headers: dict[str, str] | None = None) -> None:
    """JSON for scripts; a small page for a browser that opened the address without the token."""
    import html
    import json

    if headers and "text/html" in headers.get("accept", ""):
        body = (say("ui.security.refuse.body", escape=html.escape(text))).encode()
        return await _send(send, status, body, [(b"content-type", b"text/html; charset=utf-8")])
    body = json.dumps({"error": {"code": f"ui.{status}", "message": text}}, ensure_ascii=False).encode("utf-8")
    await _send(send, status, body, [(b"content-type", b"application/json; charset=utf-8")])
