"""The web layer: a Starlette app with server-rendered pages (English and Hindi) and a JSON API."""
