"""The server's access log keeps no personal data from page addresses: the values of a query string
(a counter's search for a citizen's mobile or Aadhaar number, ``/counter?q=9414098765``) are left
out of each access line, their names kept (``/counter?q=***``). Installed on uvicorn's access logger
by :func:`emitra.web.app.create_app`, however uvicorn was started (``emitra serve`` or directly)."""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
_VALUE = re.compile(r"=[^&;]*")


def without_values(path: str) -> str:
    """``path`` with each query value replaced by "***": ``/counter?q=9414098765&x`` is ``/counter?q=***&x``."""
    base, mark, query = path.partition("?")
    return f"{base}{mark}{_VALUE.sub('=***', query)}" if mark else path


class NoQueryValues(logging.Filter):
    """Uvicorn logs ``'%s - "%s %s HTTP/%s" %d'`` with the path and its query string third."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], without_values(args[2]), *args[3:])
        return True


def install() -> None:
    """Add the filter to uvicorn's access logger, once."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, NoQueryValues) for f in logger.filters):
        logger.addFilter(NoQueryValues())
