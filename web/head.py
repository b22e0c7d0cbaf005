"""HEAD is answered as GET would be, without the body (RFC 9110, 9.3.2): one plain ASGI middleware.

Starlette lets every GET route take HEAD too, and hands it to the handler as it came; a page that
does ``if request.method == "GET": ... else: <read the posted form>`` then treated a HEAD as a
posted form and failed with a server error. Here a HEAD goes on into the application as a GET, so
no guard or handler ever sees one, and every body message of the answer is emptied; the status and
the headers, ``Content-Length`` included, are the GET's. The server's own scope keeps the method
HEAD (the scope passed on is a copy), so uvicorn still knows not to send a body either; the
application's own log names such a request GET, the server's access log HEAD.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: the messages that carry a body (a file sent by path, or zero-copy, where the server offers it)
_BODY = ("http.response.body", "http.response.pathsend", "http.response.zerocopysend")


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] in _BODY:
                if message.get("more_body", False):
                    return  # a streamed answer: only its end is passed on, empty
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
