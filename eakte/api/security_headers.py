"""The browser-facing security headers of every response, API and web client alike.

One place: a view may set a stricter header of its own (the document preview sets
its own Content-Security-Policy), everything else gets these defaults.

- The pages load scripts, styles and images from this origin only; the templates
  have no inline script, style or event handler (tests/api/test_security_headers.py
  checks), so no `'unsafe-inline'`. Nobody frames a page (`frame-ancestors 'none'`);
  only the document content that the Dokument page shows in its own <iframe> allows
  `'self'` (eakte.web.documents.CONTENT_POLICY), and X-Frame-Options follows it.
- API answers are data, never a document to render: `default-src 'none'`.
- HSTS only on requests that arrived over HTTPS (`request.is_secure`, which
  honours X-Forwarded-Proto when EAKTE_PROXY_COUNT trusts a proxy): a plain-HTTP
  test box must not pin itself to HTTPS.
"""

from __future__ import annotations

from flask import Flask, Response, request

PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HSTS = "max-age=31536000"  # one year; no includeSubDomains: other town hosts may still be HTTP
# Features the web client never uses, switched off for it and anything it frames.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
JSON_TYPES = ("application/json", "application/problem+json")
DEFAULTS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    # Pages and API answers hold personal data: no shared or disk caches. Downloads
    # set their own.
    "Cache-Control": "no-store",
}


def register(app: Flask) -> None:
    app.after_request(stamp)


def stamp(response: Response) -> Response:
    headers = response.headers
    if request.endpoint and request.endpoint.endswith("static"):
        # Our own CSS and script hold no personal data: cached, revalidated by ETag.
        headers.setdefault("Cache-Control", "no-cache")
    for name, value in DEFAULTS.items():
        headers.setdefault(name, value)
    api = request.path.startswith("/api/")
    headers.setdefault("Content-Security-Policy", API_POLICY if api else PAGE_POLICY)
    if api and response.mimetype in JSON_TYPES:
        # A browser sent straight to an API URL saves the JSON rather than rendering it
        # (ASVS 14.4.2); downloads name their own file.
        headers.setdefault("Content-Disposition", 'attachment; filename="api.json"')
    framable = "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    headers.setdefault("X-Frame-Options", "SAMEORIGIN" if framable else "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
