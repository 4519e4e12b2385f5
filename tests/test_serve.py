"""Behind an HTTPS reverse proxy: EVIDENCE_PROXY_FIX=1 trusts its forwarded headers, only then."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence import create_app
from evidence.config import config_for_tests

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


@pytest.mark.parametrize("proxy_fix", [True, False])
def test_forwarded_https_marks_cookies_secure_only_with_proxy_fix(
    database_url: str, tmp_path: Path, proxy_fix: bool
):
    config = config_for_tests(database_url, str(tmp_path / "data"))
    config.PROXY_FIX = proxy_fix
    app = create_app(config)
    seen = {}

    @app.before_request
    def remember() -> None:
        from flask import request

        seen.update(scheme=request.scheme, address=request.remote_addr)

    response = app.test_client().get("/sign-in", headers=FORWARDED)
    cookie = response.headers["Set-Cookie"]
    app.extensions["evidence.engine"].dispose()

    if proxy_fix:
        assert "Secure" in cookie and seen == {"scheme": "https", "address": "203.0.113.9"}
    else:
        assert "Secure" not in cookie and seen["scheme"] == "http"
