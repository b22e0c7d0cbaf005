"""Security headers on every response (a plain ASGI middleware: no body buffering)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = [
    # Pages carry no inline script; the one script (print button) is a static file.
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                 b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]

#: every answer that does not say how it may be kept says ``no-store``: a page, the API, a download or an
#: error. A list of the personal pages instead left out every page added without it (the home page's
#: audit log, deposit slips, payouts, wallets). The static files say their own (web/assets.py), and only
#: they: an address under /static/ that is not a file is an error page, which names who is logged in
#: and carries a CSRF token like any other (it used to be left without the header, decision 127)
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in existing]
                if b"cache-control" not in existing:
                    extra.append(NO_STORE)  # a shared kiosk's browser keeps no page (docs/security.md)
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
