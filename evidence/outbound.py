"""The one way this server fetches anything from the outside world (link checks, captures).

A source's URL is typed by whoever edits the source, so a fetch is an attacker's
request made from inside our network. The guard:
- only http and https, for the URL and every redirect hop (followed here, one at a time);
- every address a host name resolves to is vetted, and the connection goes to a vetted
  address (the resolution and the connection happen in one place, the network backend,
  so no second DNS lookup can answer differently); loopback, private, link-local,
  multicast, reserved and unspecified addresses are refused unless inside
  EVIDENCE_FETCH_ALLOW_NETWORKS. TLS still verifies the certificate for the host name
  and sends it as SNI, and the Host header names it;
- bodies are decoded here with a bound on each step and counted after decoding, so a
  compression bomb stops at EVIDENCE_MAX_CAPTURE_MB; they go to a temporary file;
- every socket operation is clamped to one deadline for the whole fetch, redirects
  included, so a server that drips a byte at a time is stopped too.
A refused address is refused before any connection is tried: the answer says "refused
by policy" and nothing about the port behind it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import socket
import ssl
import tempfile
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urlsplit

import httpcore
import httpx

from evidence.core.messages import Message, message

ALLOWED_SCHEMES = ("http", "https")
USER_AGENT = "evidence-link-check/1 (+accountability archive)"
DEFAULT_MAX_CAPTURE_MB = 50
DEFAULT_DEADLINE_SECONDS = 60.0
DEFAULT_MAX_REDIRECTS = 10
# Well-known hosts that answer from almost anywhere, run by different operators.
DEFAULT_NETWORK_PROBE = "www.wikipedia.org:443,www.google.com:443"
PROBE_TIMEOUT_SECONDS = 5.0
# Largest piece decoded at once: a bomb never expands in memory beyond this.
DECODE_STEP = 64 * 1024

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchFailed(Exception):
    """No usable answer. ``kind`` says why, for verdicts: policy, dns, refused, tls,
    timeout, too-large, error."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class SettingError(ValueError):
    """An EVIDENCE_* setting of the outbound guard cannot be understood."""


def web_address_problem(url: str | None) -> Message | None:
    """Why ``url`` cannot be a source's web address, or None when it can (or is empty).

    Checked when a source is saved, so ``javascript:``, ``file:`` and the like are
    never stored.
    """
    text = (url or "").strip()
    if not text:
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return message("URL is not a valid web address: %(url)r", url=text)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return message("URL must start with http:// or https:// (got %(url)r)", url=text[:80])
    if not host:
        return message("URL names no host: %(url)r", url=text[:80])
    return None


@dataclass(frozen=True)
class FetchPolicy:
    """What a fetch may reach and how much it may take."""

    allow_networks: tuple[Network, ...] = ()
    max_bytes: int = DEFAULT_MAX_CAPTURE_MB * 1024 * 1024
    deadline: float = DEFAULT_DEADLINE_SECONDS
    max_redirects: int = DEFAULT_MAX_REDIRECTS

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> FetchPolicy:
        """EVIDENCE_FETCH_ALLOW_NETWORKS, EVIDENCE_MAX_CAPTURE_MB and
        EVIDENCE_FETCH_DEADLINE_SECONDS, read at each fetch so every process (web,
        worker, CLI) applies the same policy."""
        environ = os.environ if environ is None else environ
        return cls(
            allow_networks=parse_networks(environ.get("EVIDENCE_FETCH_ALLOW_NETWORKS", "")),
            max_bytes=int(
                _positive(environ, "EVIDENCE_MAX_CAPTURE_MB", DEFAULT_MAX_CAPTURE_MB) * 1024 * 1024
            ),
            deadline=_positive(
                environ, "EVIDENCE_FETCH_DEADLINE_SECONDS", DEFAULT_DEADLINE_SECONDS
            ),
        )

    def allows(self, address: Address) -> bool:
        """Public unicast addresses, and any address inside the allowed networks."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.allow_networks):
            return True
        return address.is_global and not (
            address.is_multicast or address.is_reserved or address.is_unspecified
        )


def parse_networks(text: str) -> tuple[Network, ...]:
    networks = []
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            raise SettingError(
                f"EVIDENCE_FETCH_ALLOW_NETWORKS: {part.strip()!r} is not a network"
                " (write CIDRs such as 10.0.0.0/8, separated by commas)"
            ) from None
    return tuple(networks)


def _positive(environ: Mapping[str, str], name: str, default: float) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise SettingError(f"{name}: {text!r} is not a positive number")
    return value


# --- resolution and connection --------------------------------------------------------


def _resolve(host: str, port: int, timeout: float) -> list[Address]:
    """Every address ``host`` resolves to. getaddrinfo cannot be interrupted, so it runs in
    a helper thread that is abandoned if it outlasts ``timeout``."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    answer: Future[list[Any]] = Future()

    def lookup() -> None:
        try:
            answer.set_result(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except Exception as error:  # handed to the waiting thread
            answer.set_exception(error)

    threading.Thread(target=lookup, name=f"resolve-{host}", daemon=True).start()
    try:
        infos = answer.result(timeout=timeout)
    except TimeoutError:
        raise FetchFailed(
            "timeout", f"no DNS answer for {host} within {timeout:g} seconds"
        ) from None
    except (OSError, UnicodeError) as error:
        raise FetchFailed("dns", f"DNS failure: {host} could not be resolved ({error})") from None
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def vetted_addresses(host: str, port: int, policy: FetchPolicy, timeout: float) -> list[Address]:
    """The addresses of ``host`` this policy lets us connect to; FetchFailed if none."""
    allowed = [address for address in _resolve(host, port, timeout) if policy.allows(address)]
    if not allowed:
        raise FetchFailed("policy", f"refused by policy: {host} is not a public address")
    return allowed


class _Clock:
    """One deadline for a whole fetch; every socket operation gets what is left of it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def clamp(self, timeout: float | None) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            raise FetchFailed("timeout", f"stopped at the {self.seconds:g}-second deadline")
        return left if timeout is None else min(timeout, left)

    def expired(self) -> bool:
        return time.monotonic() >= self.ends


class _GuardedStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, clock: _Clock) -> None:
        self._inner = inner
        self._clock = clock

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._clock.clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._clock.clamp(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        try:
            inner = self._inner.start_tls(ssl_context, server_hostname, self._clock.clamp(timeout))
        except httpcore.ConnectError as error:
            raise FetchFailed("tls", f"TLS error with {server_hostname}: {error}") from None
        except httpcore.ConnectTimeout:
            raise FetchFailed("timeout", f"no TLS handshake with {server_hostname}") from None
        return _GuardedStream(inner, self._clock)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    """Resolves, vets and connects in one step, to the vetted address only."""

    def __init__(self, policy: FetchPolicy, clock: _Clock) -> None:
        self._inner = httpcore.SyncBackend()
        self._policy = policy
        self._clock = clock

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = vetted_addresses(host, port, self._policy, self._clock.clamp(timeout))
        failure: FetchFailed | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    str(address), port, self._clock.clamp(timeout), local_address, socket_options
                )
            except httpcore.ConnectTimeout:
                failure = FetchFailed("timeout", f"no connection to {host} within the time allowed")
            except httpcore.ConnectError as error:
                if isinstance(error.__cause__, ConnectionRefusedError):
                    failure = FetchFailed("refused", f"connection refused by {host}")
                else:
                    failure = FetchFailed("error", f"could not connect to {host}: {error}")
            else:
                return _GuardedStream(stream, self._clock)
        assert failure is not None  # vetted_addresses never returns an empty list
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise FetchFailed("policy", "refused by policy: not a network address")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over the guarded backend. httpx takes no network backend, so the
    connection pool it builds is replaced by one that uses ours."""

    def __init__(self, policy: FetchPolicy, clock: _Clock) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=_GuardedBackend(policy, clock),
            max_connections=4,
        )


# --- decoding -------------------------------------------------------------------------


class _BoundedDecoder:
    """Undoes one Content-Encoding (gzip or deflate) in steps of at most DECODE_STEP bytes."""

    def __init__(self, encoding: str) -> None:
        self._raw_deflate_tried = False
        if encoding in ("", "identity"):
            self._zlib = None
        elif encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
        else:
            raise FetchFailed("error", f"unsupported content encoding {encoding!r}")
        self._deflate = encoding == "deflate"

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._zlib is None:
            yield data
            return
        while data and not self._zlib.eof:
            try:
                piece = self._zlib.decompress(data, DECODE_STEP)
            except zlib.error as error:
                if self._deflate and not self._raw_deflate_tried:
                    # Some servers send raw deflate without the zlib header.
                    self._raw_deflate_tried = True
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise FetchFailed("error", f"body could not be decoded: {error}") from None
            self._raw_deflate_tried = True
            yield piece
            data = self._zlib.unconsumed_tail


ACCEPTED_ENCODINGS = "gzip, deflate"


# --- the fetch ------------------------------------------------------------------------


@dataclass
class Page:
    """An answer to a GET, its decoded body in a temporary file (positioned at 0)."""

    url: str
    final_url: str
    status_code: int
    reason_phrase: str
    headers: list[tuple[str, str]]
    redirects: list[dict[str, Any]] = field(default_factory=list)
    body: IO[bytes] | None = None
    size: int = 0
    sha256: str = ""

    @property
    def content_type(self) -> str | None:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value
        return None


@contextmanager
def fetch(url: str, *, timeout: float = 10.0, policy: FetchPolicy | None = None) -> Iterator[Page]:
    """GET ``url`` under ``policy`` (by default the environment's), following redirects
    here; the page's body is in a temporary file that is gone when the block ends.

    ``timeout`` bounds each connect and read, the policy's deadline the whole fetch.
    Raises FetchFailed; an HTTP error status is an answer, not a failure.
    """
    policy = FetchPolicy.from_environment() if policy is None else policy
    problem = web_address_problem(url)
    if problem:
        raise FetchFailed("policy", f"refused by policy: {problem}")
    clock = _Clock(policy.deadline)
    redirects: list[dict[str, Any]] = []
    with (
        httpx.Client(
            transport=_GuardedTransport(policy, clock),
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPTED_ENCODINGS},
            follow_redirects=False,
            trust_env=False,
        ) as client,
        tempfile.TemporaryFile() as body,
    ):
        try:
            request = client.build_request("GET", url)
        except httpx.InvalidURL as error:
            raise FetchFailed(
                "policy", f"refused by policy: not a valid address ({error})"
            ) from None
        for _hop in range(policy.max_redirects + 1):
            with _answer(client, request, clock) as response:
                if not response.has_redirect_location:
                    page = Page(
                        url=url,
                        final_url=str(response.url),
                        status_code=response.status_code,
                        reason_phrase=response.reason_phrase,
                        headers=list(response.headers.multi_items()),
                        redirects=redirects,
                        body=body,
                    )
                    page.size, page.sha256 = _save_body(response, body, policy, clock)
                    body.seek(0)
                    break
                redirects.append({"url": str(response.url), "status": response.status_code})
                request = response.next_request
                if request.url.scheme not in ALLOWED_SCHEMES:
                    raise FetchFailed(
                        "policy",
                        f"refused by policy: a redirect to a {request.url.scheme}: address",
                    )
        else:
            raise FetchFailed("error", f"more than {policy.max_redirects} redirects")
        yield page


@contextmanager
def _answer(client: httpx.Client, request: httpx.Request, clock: _Clock) -> Iterator[Any]:
    """Send one request; httpx's own errors become FetchFailed with the kind they mean."""
    try:
        response = client.send(request, stream=True)
    except httpx.TimeoutException:
        raise FetchFailed("timeout", _timeout_message(clock, client)) from None
    except httpx.UnsupportedProtocol:
        raise FetchFailed("policy", "refused by policy: not an http(s) address") from None
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise FetchFailed("error", f"{type(error).__name__}: {error}".rstrip(": ")) from None
    try:
        yield response
    except httpx.TimeoutException:
        raise FetchFailed("timeout", _timeout_message(clock, client)) from None
    except httpx.HTTPError as error:
        raise FetchFailed("error", f"{type(error).__name__}: {error}".rstrip(": ")) from None
    finally:
        response.close()


def _timeout_message(clock: _Clock, client: httpx.Client) -> str:
    if clock.expired():
        return f"stopped at the {clock.seconds:g}-second deadline"
    return f"no answer within {client.timeout.read:g} seconds"


def _save_body(
    response: httpx.Response, body: IO[bytes], policy: FetchPolicy, clock: _Clock
) -> tuple[int, str]:
    """Write the decoded body to ``body``; (size, SHA-256) of the decoded bytes."""
    limit_mb = f"{policy.max_bytes / (1024 * 1024):g} MB"
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise FetchFailed("too-large", f"larger than the {limit_mb} limit ({declared} bytes)")
    encoding = response.headers.get("content-encoding", "").strip().lower()
    decoder = _BoundedDecoder(encoding)
    digest = hashlib.sha256()
    size = 0
    for raw in response.iter_raw():
        for piece in decoder.decode(raw):
            size += len(piece)
            if size > policy.max_bytes:
                raise FetchFailed("too-large", f"larger than the {limit_mb} limit")
            digest.update(piece)
            body.write(piece)
        clock.clamp(None)
    return size, digest.hexdigest()


# --- is there a network at all? --------------------------------------------------------


def probe_targets(environ: Mapping[str, str] | None = None) -> list[tuple[str, int]]:
    """EVIDENCE_NETWORK_PROBE: comma-separated host:port; "off" probes nothing."""
    environ = os.environ if environ is None else environ
    text = environ.get("EVIDENCE_NETWORK_PROBE", "").strip() or DEFAULT_NETWORK_PROBE
    if text.lower() == "off":
        return []
    targets = []
    for part in text.split(","):
        host, _, port = part.strip().rpartition(":")
        if not host or not port.isdigit():
            raise SettingError(
                f"EVIDENCE_NETWORK_PROBE: {part.strip()!r} is not host:port"
                " (e.g. www.wikipedia.org:443), or write off"
            )
        targets.append((host.strip("[]"), int(port)))
    return targets


def outside_world_reachable(targets: Iterable[tuple[str, int]]) -> bool:
    """True when any target resolves and accepts a TCP connection (or there is none)."""
    targets = list(targets)
    if not targets:
        return True
    for host, port in targets:
        try:
            with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_SECONDS):
                return True
        except OSError:
            continue
    return False
