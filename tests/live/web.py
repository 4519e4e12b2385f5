"""Driving a served `evidence` over real HTTP: free ports, waiting for it, signing in."""

from __future__ import annotations

import re
import socket

import httpx

from tests.live.workers import wait_for

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(base_url: str, timeout: float = 90) -> None:
    def answers() -> bool:
        try:
            return httpx.get(f"{base_url}/sign-in", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(answers, timeout, f"{base_url} to answer")


def csrf_token(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    page.raise_for_status()
    found = CSRF.search(page.text)
    assert found, f"no CSRF token on {path}"
    return found.group(1) or found.group(2)


def signed_in(base_url: str, name: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=60)
    token = csrf_token(client, "/sign-in")
    response = client.post(
        "/sign-in", data={"csrf_token": token, "name": name, "password": password}
    )
    assert response.status_code == 302, f"sign-in as {name}: HTTP {response.status_code}"
    return client
