"""Security headers on every response, set in one place after the view has run.

Pages load scripts and styles only from our own /static/ files: no inline
script, no inline style, no third-party origin, so an injected tag or
attribute cannot run. Nothing may frame a page (clickjacking), browsers may
not guess content types, no address leaks to other sites in a Referer, and
nothing behind sign-in is kept in a browser or proxy cache, where the next
person at a shared computer would find it.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

# HTML pages: our own files only (images also as data: URIs, e.g. a QR code rendered
# here); forms post only to us; nothing frames us.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# Everything else (downloads, JSON, files): never rendered as a page of our origin.
DOWNLOAD_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"
# Two years, as the HSTS preload list asks; only sent when cookies are HTTPS-only.
HSTS = "max-age=63072000; includeSubDomains"

EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def add_security_headers(response: Response, *, secure_cookies: bool) -> Response:
    """Set the policy headers on ``response``; replaces any a view set itself."""
    response.headers.update(EVERY_RESPONSE)
    is_page = response.mimetype == "text/html" and "attachment" not in response.headers.get(
        "Content-Disposition", ""
    )
    response.headers["Content-Security-Policy"] = PAGE_POLICY if is_page else DOWNLOAD_POLICY
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    if secure_cookies:
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def register_security_headers(app: Flask) -> None:
    """Every response, error pages and downloads included, leaves through this hook."""
    secure_cookies = bool(app.config.get("SESSION_COOKIE_SECURE"))

    @app.after_request
    def security_headers(response: Response) -> Response:
        return add_security_headers(response, secure_cookies=secure_cookies)
