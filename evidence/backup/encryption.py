"""Encrypting backups with age (through pyrage), streamed both ways.

Three kinds of backup file, told apart by their first bytes:

- an age file encrypted to X25519 recipients (``age1...``): a standard age
  file, so ``age -d -i key.txt FILE | tar xz`` opens it without this program;
- a passphrase backup: pyrage encrypts with a passphrase only whole byte
  strings held in memory, so a random X25519 key encrypts the (streamed)
  archive and the passphrase encrypts that key. The file is the line
  ``evidence-backup-passphrase/1``, the length of the wrapped key on a line of
  its own, the wrapped key (an age file, scrypt), then the age-encrypted
  archive. The passphrase is as strong as in a plain age passphrase file;
- an unencrypted archive (gzip-compressed tar), written only on request.

Decryption is streamed through a pipe: pyrage pushes plaintext into it from a
thread while the archive reader pulls from the other end, so memory stays at
a few buffers whatever the size of the backup.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyrage
from pyrage import x25519

AGE_MAGIC = b"age-encryption.org/v1\n"
PASSPHRASE_MAGIC = b"evidence-backup-passphrase/1\n"
GZIP_MAGIC = b"\x1f\x8b"
MIN_PASSPHRASE_LENGTH = 12
MAX_WRAPPED_KEY_BYTES = 4096  # a wrapped X25519 key is about 250 bytes


class BackupKeyError(ValueError):
    """The keys given do not fit the backup (missing, malformed or wrong); nothing was read."""


class BackupDamaged(ValueError):
    """The backup file cannot be read back as it was written."""


@dataclass(frozen=True)
class Encryption:
    """How a new backup is encrypted: to recipients, with a passphrase, or (explicitly) not."""

    recipients: tuple[str, ...] = ()
    passphrase: str | None = None

    def __post_init__(self) -> None:
        if self.recipients and self.passphrase is not None:
            raise BackupKeyError("give either age recipients or a passphrase, not both")
        if self.passphrase is not None and len(self.passphrase) < MIN_PASSPHRASE_LENGTH:
            raise BackupKeyError(
                f"passphrase: at least {MIN_PASSPHRASE_LENGTH} characters are needed"
            )
        for recipient in self.recipients:
            parse_recipient(recipient)

    @property
    def encrypted(self) -> bool:
        return bool(self.recipients) or self.passphrase is not None


@dataclass(frozen=True)
class Keys:
    """What may open a backup: age identities (``AGE-SECRET-KEY-1...``) and/or a passphrase."""

    identities: tuple[str, ...] = ()
    passphrase: str | None = None


def parse_recipient(text: str) -> x25519.Recipient:
    try:
        return x25519.Recipient.from_str(text.strip())
    except pyrage.RecipientError:
        raise BackupKeyError(f"--recipient: not an age public key (age1...): {text!r}") from None


def read_identities(path: str | os.PathLike[str]) -> list[str]:
    """The ``AGE-SECRET-KEY-1...`` lines of an age identity file (comments skipped)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    identities = [line.strip() for line in lines if line.strip().startswith("AGE-SECRET-KEY-1")]
    if not identities:
        raise BackupKeyError(f"--identity: {path} holds no age secret key (AGE-SECRET-KEY-1...)")
    return identities


def write(plaintext: BinaryIO, out: BinaryIO, encryption: Encryption) -> None:
    """Copy ``plaintext`` (read to its end) into ``out``, encrypted as ``encryption`` says."""
    if encryption.recipients:
        recipients = [parse_recipient(text) for text in encryption.recipients]
        pyrage.encrypt_io(plaintext, out, recipients)
    elif encryption.passphrase is not None:
        archive_key = x25519.Identity.generate()
        wrapped = pyrage.passphrase.encrypt(str(archive_key).encode(), encryption.passphrase)
        out.write(PASSPHRASE_MAGIC + b"%d\n" % len(wrapped) + wrapped)
        pyrage.encrypt_io(plaintext, out, [archive_key.to_public()])
    else:
        shutil.copyfileobj(plaintext, out, 1024 * 1024)


def kind_of(path: str | os.PathLike[str]) -> str:
    """ "recipients", "passphrase" or "plain": what a backup file needs to be opened."""
    with open(path, "rb") as stream:
        start = stream.read(len(PASSPHRASE_MAGIC))
    if start.startswith(AGE_MAGIC[:-1]):
        return "recipients"
    if start == PASSPHRASE_MAGIC:
        return "passphrase"
    if start.startswith(GZIP_MAGIC):
        return "plain"
    raise BackupDamaged(f"{path}: not an evidence backup (neither age, passphrase nor tar.gz)")


class _CountingReader(io.RawIOBase):
    """Reports how many bytes of the backup file were read (for a progress bar)."""

    def __init__(self, stream: BinaryIO, progress: Callable[[int], None]) -> None:
        self._stream = stream
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = self._stream.readinto(buffer)
        self._progress(size)
        return size


@contextmanager
def open_plaintext(
    path: str | os.PathLike[str], keys: Keys, progress: Callable[[int], None] | None = None
) -> Iterator[BinaryIO]:
    """The backup's archive bytes, decrypted as they are read; ``progress`` counts file bytes.

    BackupKeyError when the keys cannot open it; BackupDamaged when the
    encrypted stream does not authenticate (also when the failure shows up only
    after the caller stopped with an error of its own, e.g. a truncated archive).
    """
    kind = kind_of(path)
    with open(path, "rb") as raw:
        stream = io.BufferedReader(_CountingReader(raw, progress)) if progress else raw
        if kind == "plain":
            yield stream
            return
        if kind == "recipients":
            if not keys.identities:
                raise BackupKeyError(
                    "this backup is encrypted to age recipients: give --identity FILE"
                )
            identities = [_parse_identity(text) for text in keys.identities]
        else:
            identities = [_unwrap_archive_key(stream, keys.passphrase)]
        with _decrypting(stream, identities) as plaintext:
            yield plaintext


def _parse_identity(text: str) -> x25519.Identity:
    try:
        return x25519.Identity.from_str(text)
    except pyrage.IdentityError:
        raise BackupKeyError("--identity: a line is not a valid age secret key") from None


def _unwrap_archive_key(stream: BinaryIO, passphrase: str | None) -> x25519.Identity:
    if passphrase is None:
        raise BackupKeyError(
            "this backup is encrypted with a passphrase: give --passphrase-file FILE"
            " or set EVIDENCE_BACKUP_PASSPHRASE"
        )
    stream.read(len(PASSPHRASE_MAGIC))
    length = stream.readline(16).strip()
    if not length.isdigit() or int(length) > MAX_WRAPPED_KEY_BYTES:
        raise BackupDamaged("the passphrase-wrapped key at the start of the backup is damaged")
    wrapped = stream.read(int(length))
    try:
        return x25519.Identity.from_str(pyrage.passphrase.decrypt(wrapped, passphrase).decode())
    except pyrage.DecryptError:
        raise BackupKeyError("wrong passphrase: it does not open this backup") from None


@contextmanager
def _decrypting(stream: BinaryIO, identities: Sequence[x25519.Identity]) -> Iterator[BinaryIO]:
    read_end, write_end = os.pipe()
    failures: list[BaseException] = []

    def decrypt() -> None:
        try:
            with open(write_end, "wb") as sink:
                pyrage.decrypt_io(stream, sink, list(identities))
        except OSError as error:
            if error.errno != errno.EPIPE:  # EPIPE: the reader stopped first, on purpose
                failures.append(error)
        except Exception as error:  # reported to the reader's thread below
            failures.append(error)

    thread = threading.Thread(target=decrypt, name="backup-decrypt", daemon=True)
    thread.start()
    try:
        # Leaving this block closes the pipe, which stops a decryption still writing to it.
        with open(read_end, "rb") as plaintext:
            yield plaintext
            # Read to the end so that age authenticates the last chunk as well.
            while plaintext.read(1024 * 1024):
                pass
    except BaseException as error:
        thread.join()
        if failures:
            raise _explain(failures[0]) from error
        raise
    thread.join()
    if failures:
        raise _explain(failures[0])


def _explain(failure: BaseException) -> Exception:
    if isinstance(failure, pyrage.DecryptError) and "No matching keys" in str(failure):
        return BackupKeyError("wrong key: none of the --identity keys opens this backup")
    return BackupDamaged(
        f"the encrypted backup does not authenticate (damaged or cut short): {failure}"
    )
