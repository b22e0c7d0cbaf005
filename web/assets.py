"""The static files (style sheets, the print button's script), each under an address that names its
content, so a browser keeps it a year and never asks again (docs/operations.md, decision 127).

``static_url("style.css")`` is ``/static/style.<hash>.css``, the hash the first 10 hex digits of the
file's SHA-256, computed once at start-up (:func:`manifest`). That address is answered with
``Cache-Control: public, max-age=31536000, immutable``: a changed file has another address, which the
pages link after the restart that deploys it. Every other address of a static file (the plain
``/static/style.css`` of an old page or a bookmark, a hash that is not the file's, a file changed on
disk since start-up) is answered with the current file and ``no-cache``: the browser keeps it and asks
again each time (a 304 when it has not changed).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from emitra.web.security import static_file

STATIC_DIR = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
#: ``/favicon.ico`` has no hash in its address (browsers ask for that name by themselves, and pages do
#: not link it): kept 30 days, not a year, so that a changed icon reaches them within a month
FAVICON_CACHE = "public, max-age=2592000"
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{10})(?P<ext>\.[^./]+)$")


@dataclass(frozen=True)
class Asset:
    hash: str
    mtime_ns: int
    size: int


@functools.cache
def manifest() -> dict[str, Asset]:
    """Every file under ``web/static`` (``fonts/OFL.txt`` as such) with its hash and the modification
    time and size it had when hashed; read once per process (``create_app`` calls it at start-up)."""
    assets = {}
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            stat = path.stat()
            assets[path.relative_to(STATIC_DIR).as_posix()] = Asset(
                hashlib.sha256(path.read_bytes()).hexdigest()[:10], stat.st_mtime_ns, stat.st_size)
    return assets


def static_url(name: str) -> str:
    """The address of the static file ``name`` (``"style.css"``) that names its content; a name that is
    not a file under ``web/static`` is an error (a template's typo fails its page in the tests)."""
    asset = manifest().get(name)
    if asset is None:
        raise LookupError(f"static_url({name!r}): no such file in {STATIC_DIR}")
    stem, dot, ext = name.rpartition(".")
    return f"/static/{stem}.{asset.hash}.{ext}" if dot and "/" not in ext else f"/static/{name}.{asset.hash}"


def _unhashed(path: str) -> tuple[str, str]:
    """(the file's name, the hash the address gave or "") of a path under /static/."""
    path = path.replace(os.sep, "/")
    match = _HASHED.match(path)
    if match and match["stem"] + match["ext"] in manifest():
        return match["stem"] + match["ext"], match["hash"]
    match = re.match(r"^(?P<name>.+)\.(?P<hash>[0-9a-f]{10})$", path)  # a file without an extension
    if match and match["name"] in manifest():
        return match["name"], match["hash"]
    return path, ""


class Assets(StaticFiles):
    """StaticFiles answering the hashed addresses of :func:`static_url` as kept for a year, any other
    as to be checked again."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        return await super().get_response(_unhashed(path)[0], scope)

    def file_response(self, full_path, stat_result: os.stat_result, scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        name, asked = _unhashed(self.get_path(scope))
        asset = manifest().get(name)
        fresh = bool(asked) and asset is not None and asked == asset.hash and (
            stat_result.st_mtime_ns, stat_result.st_size) == (asset.mtime_ns, asset.size)
        response.headers["cache-control"] = IMMUTABLE if fresh else REVALIDATE
        return response


@static_file
async def favicon(request: Request) -> Response:
    """``/favicon.ico``: browsers ask for it on every site, for a PDF or a JSON answer too, whatever a
    page links. It was a 404 page, logged, with the visitor's session read to render it, on every
    first visit of a kiosk's slow link; it is the site's icon (``web/static/favicon.ico``, under 2
    KB), with no login and nothing read but the file."""
    return FileResponse(STATIC_DIR / "favicon.ico", media_type="image/x-icon", headers={"cache-control": FAVICON_CACHE})
