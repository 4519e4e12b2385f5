"""Anchoring the audit chain outside the database with RFC 3161 time-stamps.

Anyone with write access to the database can rewrite the whole chain
consistently: recompute every hash after an altered entry and move the head.
An anchor defeats that. A time-stamp authority (TSA) signs a digest of the head
(its position and hash) and the time; the signed token is kept here, and copies
travel in dossiers. `verify` rebuilds the anchored message from the chain as it
is now: if the entry at the anchored position is gone (the tail was cut) or has
another hash (the chain was rewritten before the anchor), the authority's
signature no longer covers it, and nobody here can forge a new one.

Deleting anchor rows is not detectable from the database alone; the copies in
dossiers and bundles, and the authority's own log where it keeps one, are the
evidence then.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.audit.log import head
from evidence.audit.models import AuditAnchor, AuditEntry, AuditHead, AuditRead, AuditReadHead
from evidence.core.timestamps import iso_utc

# Versioned so that a token can never be taken for a stamp over something else, nor a
# stamp over the chain of reads for one over the chain of changes.
ANCHOR_CONTEXT = {
    "changes": b"evidence audit head v1\n",
    "reads": b"evidence audit reads head v1\n",
}
CHAIN_MODELS = {"changes": (AuditEntry, AuditHead), "reads": (AuditRead, AuditReadHead)}
# A time-stamp reply is a few kilobytes; anything far larger is not one.
MAX_REPLY_BYTES = 1024 * 1024
TSA_TIMEOUT_SECONDS = 30.0

Post = Callable[[str, bytes], bytes]


class AnchorError(Exception):
    """The authority could not be asked or did not grant a usable time-stamp."""


def anchored_message(seq: int, entry_hash: str, chain: str = "changes") -> bytes:
    """What a token over the entry at ``seq`` of ``chain`` with ``entry_hash`` signs (through
    its digest)."""
    return ANCHOR_CONTEXT[chain] + f"{seq}\n{entry_hash}".encode()


def post_query(url: str, query: bytes) -> bytes:
    """Send a time-stamp query; the reply body, or AnchorError saying why not.

    TSA addresses are operator settings (`--tsa`, EVIDENCE_TSA_URLS), never user
    input, so they are not subject to the outbound policy for source URLs; redirects
    are still not followed and the reply size is bounded.
    """
    try:
        with httpx.stream(
            "POST",
            url,
            content=query,
            headers={"Content-Type": "application/timestamp-query"},
            timeout=TSA_TIMEOUT_SECONDS,
            follow_redirects=False,
        ) as response:
            if response.status_code != 200:
                raise AnchorError(f"{url} answered HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_REPLY_BYTES:
                    raise AnchorError(f"{url} sent more than {MAX_REPLY_BYTES} bytes")
            return bytes(body)
    except httpx.HTTPError as error:
        raise AnchorError(f"{url} could not be reached: {error}") from error


def request_token(url: str, message: bytes, post: Post = post_query) -> bytes:
    """A granted time-stamp reply over ``message``, checked against what was asked."""
    request = (
        TimestampRequestBuilder()
        .data(message)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    reply = post(url, request.as_bytes())
    try:
        response = decode_timestamp_response(reply)
    except ValueError as error:
        raise AnchorError(f"{url} did not answer with a time-stamp reply") from error
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise AnchorError(f"{url} refused the time-stamp: {response.status_string or 'no reason'}")
    info = response.tst_info
    if info.nonce != request.nonce:
        raise AnchorError(f"{url} answered another request (nonce mismatch)")
    if info.message_imprint.message != request.message_imprint.message:
        raise AnchorError(f"{url} stamped another digest than the one asked for")
    return reply


def anchor(
    session: Session, url: str, post: Post = post_query, chain: str = "changes"
) -> AuditAnchor:
    """Time-stamp the current head of ``chain`` (changes or reads) at ``url`` and keep the
    token (flushes)."""
    seq, entry_hash = head(session, CHAIN_MODELS[chain][1])
    if seq == 0:
        raise AnchorError(f"the audit log of {chain} is empty: there is nothing to anchor yet")
    row = stamp(url, chain, seq, entry_hash, post)
    session.add(row)
    session.flush()
    return row


def stamp(url: str, chain: str, seq: int, entry_hash: str, post: Post = post_query) -> AuditAnchor:
    """An anchor of entry ``seq`` of ``chain``, time-stamped at ``url`` (not yet added to
    any session: the authority is asked outside any transaction)."""
    token = request_token(url, anchored_message(seq, entry_hash, chain), post)
    stamped_at = decode_timestamp_response(token).tst_info.gen_time
    return AuditAnchor(
        chain=chain,
        seq=seq,
        entry_hash=entry_hash,
        tsa_url=url,
        stamped_at=iso_utc(stamped_at),
        token=token,
    )


def unanchored(session: Session, heads: dict[str, tuple[int, str]]) -> dict[str, tuple[int, str]]:
    """Of ``heads`` (chain -> (seq, hash)), those not empty and not anchored yet: the chain
    moved since its last anchor there. Anchoring only these leaves two dossiers of the same
    data with the same anchor, so byte-identical."""
    moved = {}
    for chain, (seq, entry_hash) in heads.items():
        anchored = session.scalar(
            select(AuditAnchor.id).where(
                AuditAnchor.chain == chain,
                AuditAnchor.seq == seq,
                AuditAnchor.entry_hash == entry_hash,
            )
        )
        if seq and anchored is None:
            moved[chain] = (seq, entry_hash)
    return moved


def latest_anchor(session: Session, chain: str = "changes") -> AuditAnchor | None:
    stmt = select(AuditAnchor).where(AuditAnchor.chain == chain)
    return session.scalars(stmt.order_by(AuditAnchor.id.desc()).limit(1)).first()


def load_roots(path: str | Path) -> list[x509.Certificate]:
    """The trusted TSA roots of a PEM bundle (EVIDENCE_TSA_CA_FILE)."""
    return x509.load_pem_x509_certificates(Path(path).read_bytes())


def configured_roots(path: str | None) -> list[x509.Certificate] | None:
    """The roots of the EVIDENCE_TSA_CA_FILE setting; None when unset, AnchorError when the
    file cannot be read (verification must not silently skip the signatures then)."""
    if not path:
        return None
    try:
        return load_roots(path)
    except (OSError, ValueError) as error:
        raise AnchorError(
            f"EVIDENCE_TSA_CA_FILE: cannot read the certificates in {path}: {error}"
        ) from error


@dataclass
class AnchorReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _describe(row: AuditAnchor) -> str:
    entry = "audit entry" if row.chain == "changes" else "read entry"
    return f"the anchor of {entry} #{row.seq} time-stamped by {row.tsa_url} at {row.stamped_at}"


def check_token(
    token: bytes,
    seq: int,
    chain_hash: str | None,
    roots: Iterable[x509.Certificate],
    chain: str = "changes",
) -> str | None:
    """Why ``token`` does not prove that entry ``seq`` of the chain has ``chain_hash``, or None.

    ``chain_hash`` is the hash of the entry at ``seq`` in the chain as it is now (None when
    there is no such entry). With no roots, the signature is not checked, only the digest.
    """
    if chain_hash is None:
        return (
            "the chain no longer has this entry: entries were removed from the end after it"
            " was anchored (tampering)"
        )
    try:
        response = decode_timestamp_response(token)
    except ValueError:
        return "its token is not a time-stamp reply (tampering)"
    message = anchored_message(seq, chain_hash, chain)
    roots = list(roots)
    if not roots:
        digest = response.tst_info.message_imprint.message
        return None if digest == hashlib.sha256(message).digest() else _rewritten()
    verifier = VerifierBuilder(roots=roots).build()
    try:
        verifier.verify_message(response, message)
    except VerificationError as error:
        if "Mismatch between messages" in str(error):
            return _rewritten()
        return f"its signature does not verify against the trusted authorities ({error})"
    return None


def _rewritten() -> str:
    return (
        "the entry in the chain is not the one that was time-stamped: the chain was rewritten"
        " before this anchor, or the token belongs to another chain (tampering)"
    )


def verify_anchors(session: Session, roots: Iterable[x509.Certificate] | None) -> AnchorReport:
    """Check every anchor against the chain as it is now (and the roots, when given)."""
    report = AnchorReport()
    roots = list(roots or [])
    rows = session.scalars(select(AuditAnchor).order_by(AuditAnchor.seq, AuditAnchor.id)).all()
    if rows and not roots:
        report.notes.append(
            "time-stamp signatures were not checked: set EVIDENCE_TSA_CA_FILE to the"
            " authorities' root certificates (PEM)"
        )
    hashes: dict[tuple[str, int], str] = {}
    for chain, (model, _head) in CHAIN_MODELS.items():
        wanted = {row.seq for row in rows if row.chain == chain}
        found = session.execute(
            select(model.seq, model.entry_hash).where(model.seq.in_(wanted))
        ).all()
        hashes.update(((chain, seq), linked) for seq, linked in found)
    for row in rows:
        report.checked += 1
        chain_hash = hashes.get((row.chain, row.seq))
        problem = check_token(row.token, row.seq, chain_hash, roots, row.chain)
        if problem is None and chain_hash != row.entry_hash:
            problem = "its recorded hash was altered (tampering)"
        if problem:
            report.problems.append(f"{_describe(row)}: {problem}")
    return report
