"""`evidence backup` and `evidence restore`: nothing lost, across engines; nothing written when
the archive, the key or the target is wrong.

These tests need real, separate databases (a restore migrates and commits), not
the rollback-per-test fixture: a SQLite file each, or a fresh PostgreSQL schema
each inside the test database, dropped afterwards.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from pyrage import x25519
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from evidence import create_app
from evidence.audit.log import head, set_actor
from evidence.backup import encryption
from evidence.backup.services import (
    backed_up_tables,
    open_snapshot,
    restore_backup,
    target_problems,
    verify_backup,
)
from evidence.config import config_for_tests
from evidence.db import make_engine
from evidence.dossiers.models import DossierJob
from evidence.dossiers.services import queue_job
from evidence.jobs.queue import job_context
from evidence.jobs.runner import run
from evidence.links.services import capture, check_links
from evidence.models import Case, Incident, Person
from evidence.places.services import update_place
from evidence.search.folded_names import names_containing
from evidence.store import Store
from tests.conftest import PG_URL, require_pg
from tests.factories import make_place, make_source
from tests.links.site import allowing_local_fetches, serve_site
from tests.webclient import sign_in, without_csrf

PASSWORD = "an old password of the team"
PASSPHRASE = "correct horse battery staple"


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """The URL of a database holding nothing (not even a schema), removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'{uuid.uuid4().hex}.sqlite'}"
        return
    require_pg()
    schema = f"backup_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield (
            make_url(PG_URL)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def app_for(url: str, data_dir: Path) -> Flask:
    return without_csrf(create_app(config_for_tests(url, str(data_dir))))


def cli(app: Flask, *args: str, env: dict[str, str] | None = None, expect: int = 0) -> Result:
    result = app.test_cli_runner().invoke(args=list(args), env=env)
    assert result.exit_code == expect, result.output
    return result


@dataclass
class Source:
    """A database with everything a team keeps, and what must come back from its backup."""

    app: Flask
    export: str
    audit: str
    audit_head: tuple[int, str]
    rows: dict[str, int]
    files: dict[str, bytes]  # path under the data directory -> bytes


def build_source(url: str, data_dir: Path, work: Path) -> Source:
    app = app_for(url, data_dir)
    cli(app, "init")
    cli(app, "demo", "--with-accounts", "--as", "builder", env={"EVIDENCE_DEMO_PASSWORD": PASSWORD})
    sessions = app.extensions["evidence.sessions"]
    with sessions() as session:
        incident_key = session.scalars(select(Incident.key).order_by(Incident.id)).first()
    photo = work / "photo.txt"
    photo.write_bytes("Фота: Жодзіна, 2001\n".encode())
    cli(app, "exhibits", "add", str(photo), "--incident", incident_key, "--as", "builder")
    with serve_site() as site, allowing_local_fetches(site), sessions() as session:
        set_actor(session, "auditor")
        page = make_source(session, key="web-page", url=site.url("/ok"))
        check_links(session, [page], timeout=2)
        capture(session, page, Store(data_dir), by="auditor")
        # A place inside one entered after it: its parent has the higher id.
        # Its name holds line separators that JSON leaves unescaped (U+2028, U+0085).
        town = make_place(session, key="town-entered-first", name="Town\u2028Горад\x85")
        region = make_place(session, key="region-entered-later")
        update_place(session, town, town.version, parent=region.key)
        set_actor(session, "lawyer")
        job_id = queue_job(session, session.scalars(select(Case)).first(), "internal", "lawyer").id
        session.commit()
    run(job_context(app), "dossier", job_id)
    with sessions() as session:
        assert session.get(DossierJob, job_id).state == "done"
    # An export is a sensitive read, written to the audit log: taken before the counts.
    export, audit = cli(app, "export").stdout, cli(app, "audit", "verify").stdout
    with sessions() as session:
        audit_head = head(session)
        rows = {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in backed_up_tables()
        }
    files = {
        path.relative_to(data_dir).as_posix(): path.read_bytes()
        for path in data_dir.rglob("*")
        if path.is_file()
    }
    return Source(app, export, audit, audit_head, rows, files)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Source]]:
    """Builds the source database of an engine once for the module."""
    built: dict[str, Source] = {}
    with ExitStack() as cleanup:

        def source(kind: str) -> Source:
            if kind not in built:
                work = tmp_path_factory.mktemp(f"source-{kind}")
                url = cleanup.enter_context(fresh_database(kind, work))
                built[kind] = build_source(url, work / "data", work)
                cleanup.callback(built[kind].app.extensions["evidence.engine"].dispose)
            return built[kind]

        yield source


@dataclass
class Backup:
    archive: Path
    restore_args: list[str]
    env: dict[str, str]


def back_up(source: Source, folder: Path, encryption: str) -> Backup:
    """An archive of ``source``: to an age key, with a passphrase, or unencrypted."""
    archive = folder / f"backup-{encryption}.bak"
    if encryption == "recipient":
        identity = x25519.Identity.generate()
        key_file = folder / "team-key.txt"
        key_file.write_text(f"# created: by the test\n{identity}\n")
        cli(source.app, "backup", "-o", str(archive), "--recipient", str(identity.to_public()))
        return Backup(archive, ["--identity", str(key_file)], {})
    if encryption == "passphrase":
        passphrase_file = folder / "passphrase.txt"
        passphrase_file.write_text(PASSPHRASE + "\n")
        cli(source.app, "backup", "-o", str(archive), "--passphrase-file", str(passphrase_file))
        return Backup(archive, [], {"EVIDENCE_BACKUP_PASSPHRASE": PASSPHRASE})
    cli(source.app, "backup", "-o", str(archive), "--no-encrypt")
    return Backup(archive, [], {})


@contextmanager
def target(kind: str, folder: Path) -> Iterator[Flask]:
    """An application over an empty database and an empty data directory."""
    with fresh_database(kind, folder) as url:
        app = app_for(url, folder / "restored-data")
        try:
            yield app
        finally:
            app.extensions["evidence.engine"].dispose()


def data_files(app: Flask) -> dict[str, bytes]:
    data_dir = Path(app.config["DATA_DIR"])
    return {
        path.relative_to(data_dir).as_posix(): path.read_bytes()
        for path in data_dir.rglob("*")
        if path.is_file()
    }


def count_rows(app: Flask) -> dict[str, int]:
    with app.extensions["evidence.sessions"]() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in backed_up_tables()
        }


PG = pytest.mark.pg


@pytest.mark.parametrize(
    ("source_kind", "target_kind", "encryption"),
    [
        ("sqlite", "sqlite", "recipient"),
        pytest.param("sqlite", "postgresql", "passphrase", marks=PG),
        pytest.param("postgresql", "sqlite", "plain", marks=PG),
    ],
)
def test_a_restore_brings_back_everything(sources, tmp_path, source_kind, target_kind, encryption):
    source = sources(source_kind)
    backup = back_up(source, tmp_path, encryption)
    with target(target_kind, tmp_path) as app:
        restored = cli(app, "restore", str(backup.archive), *backup.restore_args, env=backup.env)
        assert "Restored" in restored.stdout

        assert cli(app, "audit", "verify").stdout == source.audit
        with app.extensions["evidence.sessions"]() as session:
            assert head(session) == source.audit_head
            # Names are found folded again: SQLite's index of them is rebuilt.
            person = session.scalars(select(Person).order_by(Person.id).limit(1)).one()
            found = select(Person.id).where(names_containing(session, Person, person.name.upper()))
            assert person.id in session.scalars(found).all()
        assert count_rows(app) == source.rows
        assert cli(app, "export").stdout == source.export  # (logged as a read, after the counts)
        assert cli(app, "exhibits", "verify").stdout.startswith("OK: 2 stored file(s)")
        # The exhibit, the capture and the rendered dossier, byte for byte.
        assert data_files(app) == source.files
        assert any(name.startswith("dossiers/") for name in source.files)

        sign_in(app.test_client(), "demo-admin", PASSWORD)
        # New rows get new ids: PostgreSQL's sequences were moved past the restored ones.
        newcomer = {"EVIDENCE_PASSWORD": PASSWORD}
        cli(app, "users", "create", "newcomer", "--role", "viewer", env=newcomer)
        assert count_rows(app)["users"] == source.rows["users"] + 1


def plain_members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {member.name: tar.extractfile(member).read() for member in tar}


def write_plain(members: dict[str, bytes], archive: Path) -> Path:
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive


def refused(app: Flask, archive: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """The restore's message; asserts that no row and no file was written."""
    result = cli(app, "restore", str(archive), *args, env=env, expect=1)
    assert target_problems(app.extensions["evidence.engine"]) == []
    assert data_files(app) == {}  # not even a staged file
    return result.stderr


def test_an_altered_member_is_named_and_nothing_is_written(sources, tmp_path):
    members = plain_members(back_up(sources("sqlite"), tmp_path, "plain").archive)
    users = "tables/users/000001.jsonl"
    members[users] = members[users].replace(b'"admin"', b'"adman"', 1)
    with target("sqlite", tmp_path) as app:
        message = refused(app, write_plain(members, tmp_path / "altered.tar.gz"))
    assert f"{users}: its SHA-256 does not match the manifest (altered)" in message


def test_a_removed_member_is_named_and_nothing_is_written(sources, tmp_path):
    members = plain_members(back_up(sources("sqlite"), tmp_path, "plain").archive)
    exhibit = next(name for name in members if name.startswith("files/objects/"))
    del members[exhibit]
    with target("sqlite", tmp_path) as app:
        message = refused(app, write_plain(members, tmp_path / "cut.tar.gz"))
    assert f"{exhibit}: listed in the manifest but missing from the archive" in message


def test_an_altered_encrypted_archive_is_refused(sources, tmp_path):
    backup = back_up(sources("sqlite"), tmp_path, "recipient")
    data = bytearray(backup.archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    backup.archive.write_bytes(bytes(data))
    with target("sqlite", tmp_path) as app:
        message = refused(app, backup.archive, *backup.restore_args)
    assert "does not authenticate" in message


def test_a_row_the_database_refuses_rolls_everything_back(sources, tmp_path):
    """An archive consistent with its (rewritten) manifest whose last table repeats a row:
    the rows and files written before it are gone again."""
    members = plain_members(back_up(sources("sqlite"), tmp_path, "plain").archive)
    last = [name for name in members if name.startswith("tables/")][-1]
    members[last] += members[last].splitlines(keepends=True)[0]
    manifest = json.loads(members["manifest.json"])
    manifest["members"][last] = {
        "sha256": hashlib.sha256(members[last]).hexdigest(),
        "size": len(members[last]),
    }
    members["manifest.json"] = json.dumps(manifest).encode()
    with target("sqlite", tmp_path) as app:
        message = refused(app, write_plain(members, tmp_path / "repeated.tar.gz"))
    assert "the database refused a row of the backup" in message


@pytest.mark.parametrize("target_kind", ["sqlite", pytest.param("postgresql", marks=PG)])
def test_a_database_holding_anything_is_not_restored_into(sources, tmp_path, target_kind):
    backup = back_up(sources("sqlite"), tmp_path, "plain")
    with target(target_kind, tmp_path) as app:
        cli(app, "init")
        cli(app, "users", "create", "admin", "--role", "admin", env={"EVIDENCE_PASSWORD": PASSWORD})
        result = cli(app, "restore", str(backup.archive), expect=1)
        assert "the target database is not empty (rows in " in result.stderr
        assert "users: 1" in result.stderr
        assert cli(app, "users", "list").stdout == "admin\tadmin\tactive\tno-2fa\n"
        assert data_files(app) == {}


def test_the_wrong_key_or_passphrase_is_refused_clearly(sources, tmp_path):
    source = sources("sqlite")
    to_key = back_up(source, tmp_path, "recipient")
    with_passphrase = back_up(source, tmp_path, "passphrase")
    other_key = tmp_path / "other-key.txt"
    other_key.write_text(f"{x25519.Identity.generate()}\n")
    wrong = {"EVIDENCE_BACKUP_PASSPHRASE": "not the passphrase at all"}
    with target("sqlite", tmp_path) as app:
        assert "wrong key: none of the --identity keys opens this backup" in refused(
            app, to_key.archive, "--identity", str(other_key)
        )
        assert "encrypted to age recipients: give --identity FILE" in refused(app, to_key.archive)
        assert "wrong passphrase" in refused(app, with_passphrase.archive, env=wrong)
        no_passphrase = {"EVIDENCE_BACKUP_PASSPHRASE": ""}
        assert "encrypted with a passphrase" in refused(
            app, with_passphrase.archive, env=no_passphrase
        )


def test_a_backup_is_encrypted_unless_asked_not_to_be(sources, tmp_path):
    source = sources("sqlite")
    archive = tmp_path / "backup.bak"

    def backup(*args: str, env: dict[str, str] | None = None) -> str:
        return cli(source.app, "backup", "-o", str(archive), *args, env=env, expect=1).stderr

    no_key = backup(env={"EVIDENCE_BACKUP_PASSPHRASE": ""})
    assert "no key given" in no_key and "--no-encrypt" in no_key
    short = tmp_path / "short.txt"
    short.write_text("letmein\n")
    assert "passphrase: at least 12 characters" in backup("--passphrase-file", str(short))
    assert "not an age public key" in backup("--recipient", "age1nope")
    key = str(x25519.Identity.generate().to_public())
    assert "cannot be combined" in backup("--no-encrypt", "--recipient", key)
    passphrase_file = tmp_path / "passphrase.txt"
    passphrase_file.write_text(PASSPHRASE)
    both = backup("--recipient", key, "--passphrase-file", str(passphrase_file))
    assert "either age recipients or a passphrase, not both" in both
    passphrase_file.unlink()
    assert list(tmp_path.iterdir()) == [short]  # no archive, not even a partial one
    with target("sqlite", tmp_path) as empty:
        never_set_up = cli(empty, "backup", "-o", str(archive), "--no-encrypt", expect=1)
    assert "the database cannot be read" in never_set_up.stderr and not archive.exists()

    encrypted = back_up(source, tmp_path, "recipient").archive
    content = encrypted.read_bytes()
    assert content.startswith(b"age-encryption.org/v1\n")
    assert b"demo-admin" not in content and b"tables/" not in content
    archive = encrypted
    assert "already exists" in backup("--no-encrypt")
    assert encrypted.read_bytes() == content


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=PG)])
def test_a_backup_is_one_moment_while_others_keep_writing(tmp_path, kind):
    with target(kind, tmp_path) as app:
        password = {"EVIDENCE_PASSWORD": PASSWORD}
        cli(app, "init")
        cli(app, "users", "create", "before", "--role", "admin", env=password)
        with open_snapshot(app.extensions["evidence.engine"], tmp_path / "data") as snapshot:
            cli(app, "users", "create", "during", "--role", "viewer", env=password)
            archive = tmp_path / "snapshot.tar.gz"
            archive.write_bytes(b"".join(snapshot.chunks(lambda _rows: None)))
        users = plain_members(archive)["tables/users/000001.jsonl"].decode()
        assert '"before"' in users and '"during"' not in users
        assert snapshot.summary.rows["users"] == 1
        assert cli(app, "users", "list").stdout.splitlines() == [
            "before\tadmin\tactive\tno-2fa",
            "during\tviewer\tactive\tno-2fa",
        ]


def test_an_archive_swapped_between_check_and_restore_is_caught(sources, tmp_path):
    """The restore reads the file twice; a member changed after the check rolls back."""
    genuine = back_up(sources("sqlite"), tmp_path, "plain").archive
    members = plain_members(genuine)
    last = [name for name in members if name.startswith("tables/")][-1]
    members[last] = members[last].replace(b"1", b"2", 1)
    swapped = write_plain(members, tmp_path / "swapped.tar.gz")
    with target("sqlite", tmp_path) as app:
        verified = verify_backup(lambda: encryption.open_plaintext(genuine, encryption.Keys()))
        with pytest.raises(encryption.BackupDamaged, match=f"{last}: changed since it was checked"):
            restore_backup(
                app.extensions["evidence.engine"],
                app.config["DATA_DIR"],
                lambda: encryption.open_plaintext(swapped, encryption.Keys()),
                verified,
            )
        assert target_problems(app.extensions["evidence.engine"]) == []
        assert data_files(app) == {}
