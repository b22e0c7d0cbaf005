"""The static files under addresses that name their content, kept a year by the browser; the old
addresses still answered, checked again each time (web/assets.py)."""

import hashlib
import os
import re
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from emitra.web import assets
from emitra.web.templating import TEMPLATE_DIR

YEAR = "public, max-age=31536000, immutable"
STYLE = (assets.STATIC_DIR / "style.css").read_bytes()


def test_every_template_links_the_static_files_through_static_url():
    """A template that writes ``/static/style.css`` itself sends the browser back for the file on
    every page (one more round trip on a slow link): each link goes through ``static_url``."""
    bare = []
    for path in sorted(Path(TEMPLATE_DIR).rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "/static/" in line:
                bare.append(f"{path.relative_to(TEMPLATE_DIR)}:{number}: {line.strip()}")
    assert bare == [], "link it as {{ static_url('style.css') }}:\n" + "\n".join(bare)
    linked = {name for path in Path(TEMPLATE_DIR).rglob("*.html")
              for name in re.findall(r"static_url\('([^']+)'\)", path.read_text(encoding="utf-8"))}
    assert {"style.css", "print.js", "certificate.css"} <= linked


def test_a_page_links_the_style_sheet_by_its_content_and_the_browser_keeps_it_a_year(web):
    page = web.get("/login")
    digest = hashlib.sha256(STYLE).hexdigest()[:10]
    assert f'href="/static/style.{digest}.css"' in page.text
    kept = web.get(f"/static/style.{digest}.css")
    assert kept.status_code == 200 and kept.content == STYLE
    assert kept.headers["cache-control"] == YEAR
    assert kept.headers["content-type"].startswith("text/css")
    for name in ("x-content-type-options", "content-security-policy"):  # the security headers as on any answer
        assert name in kept.headers


def test_the_old_address_and_a_stale_hash_are_answered_and_checked_again_each_time(web):
    """A page printed before an upgrade, or a bookmark, still gets the style sheet; it is the current
    file, so the browser must ask again (a 304 when it has not changed), never keep it a year."""
    plain = web.get("/static/style.css")
    assert plain.status_code == 200 and plain.content == STYLE
    assert plain.headers["cache-control"] == "no-cache"
    again = web.get("/static/style.css", headers={"if-none-match": plain.headers["etag"]})
    assert again.status_code == 304 and again.headers["cache-control"] == "no-cache"
    stale = web.get("/static/style.0123456789.css")
    assert stale.status_code == 200 and stale.content == STYLE and stale.headers["cache-control"] == "no-cache"
    assert web.get("/static/print.js").headers["cache-control"] == "no-cache"
    missing = web.get("/static/no-such.0123456789.css")
    assert missing.status_code == 404


def test_an_unknown_file_named_in_a_template_is_an_error_not_a_dead_link():
    with pytest.raises(LookupError, match="no-such.css"):
        assets.static_url("no-such.css")
    assert re.fullmatch(r"/static/fonts/OFL\.[0-9a-f]{10}\.txt", assets.static_url("fonts/OFL.txt"))


@pytest.fixture
def static_dir(tmp_path, monkeypatch):
    """The static files served from a folder of the test's own, hashed afresh."""
    (tmp_path / "a.css").write_text("body { color: black }")
    monkeypatch.setattr(assets, "STATIC_DIR", tmp_path)
    assets.manifest.cache_clear()
    app = Starlette(routes=[Mount("/static", assets.Assets(directory=tmp_path))])
    with TestClient(app) as client:
        yield tmp_path, client
    assets.manifest.cache_clear()


def test_a_file_changed_after_start_up_is_never_kept_under_its_old_hash(static_dir):
    """The hashes are read once; a file changed on disk afterwards (an upgrade copied over a running
    server before its restart) must not be kept a year under the old content's address."""
    folder, client = static_dir
    url = assets.static_url("a.css")
    assert client.get(url).headers["cache-control"] == YEAR
    (folder / "a.css").write_text("body { color: navy }")
    os.utime(folder / "a.css", ns=(1, 1))
    changed = client.get(url)
    assert changed.text == "body { color: navy }" and changed.headers["cache-control"] == "no-cache"
    assets.manifest.cache_clear()  # the restart
    fresh = assets.static_url("a.css")
    assert fresh != url and client.get(fresh).headers["cache-control"] == YEAR
