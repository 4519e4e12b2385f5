import json
import os
import subprocess
import sys
from pathlib import Path

from evidence import create_app
from evidence.cli import COMMANDS, load_command
from evidence.config import config_for_tests
from evidence.interchange.cli import DEMO_FILE
from evidence.jobs.queue import task_queue


def test_init_demo_export_round_trip_on_a_fresh_file(tmp_path: Path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    runner = create_app(config_for_tests(url, str(tmp_path / "data"))).test_cli_runner()
    assert runner.invoke(args=["init"]).exit_code == 0
    assert runner.invoke(args=["init"]).exit_code == 0
    monkeypatch.setenv("EVIDENCE_DEMO_PASSWORD", "a-long-demo-password")
    result = runner.invoke(args=["demo", "--if-empty", "--with-accounts"])
    assert result.exit_code == 0, result.output
    assert "Created demo account demo-viewer (viewer)" in result.output
    again = runner.invoke(args=["demo", "--if-empty", "--with-accounts"])
    assert "already holds data" in again.output
    out = tmp_path / "x.json"
    assert runner.invoke(args=["export", "-o", str(out)]).exit_code == 0
    exported = json.loads(out.read_text())
    assert exported == json.loads(DEMO_FILE.read_text())
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0 and verified.output.startswith("OK:")


def test_users_create_and_list(runner, monkeypatch):
    monkeypatch.setenv("EVIDENCE_PASSWORD", "correct horse battery")
    result = runner.invoke(args=["users", "create", "maria", "--role", "lawyer", "--as", "root"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["users", "list"])
    assert "maria\tlawyer\tactive" in listing.output
    assert "correct horse" not in listing.output


def test_users_create_refuses_bad_input_naming_the_field(runner, monkeypatch):
    monkeypatch.setenv("EVIDENCE_PASSWORD", "short")
    result = runner.invoke(args=["users", "create", "maria", "--role", "lawyer"])
    assert result.exit_code != 0
    assert "password: must be at least" in result.output
    result = runner.invoke(args=["users", "create", "maria", "--role", "king"])
    assert result.exit_code != 0 and "--role" in result.output


def test_export_unknown_case_fails_clearly(runner):
    result = runner.invoke(args=["export", "--case", "nope"])
    assert result.exit_code != 0
    assert 'no case with key "nope"' in result.output


def _run_evidence(tmp_path: Path, *commands: list[str]) -> list[str]:
    """Run `evidence` commands in a fresh interpreter; the heavy libraries they imported."""
    script = (
        "import sys\n"
        "from evidence.cli import main\n"
        f"for args in {list(commands)!r}:\n"
        "    main.main(args, prog_name='evidence', standalone_mode=False)\n"
        "print('loaded:', *sorted(name for name in sys.argv[1:] if name in sys.modules))\n"
    )
    env = {
        **os.environ,
        "EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite'}",
        "EVIDENCE_DATA_DIR": str(tmp_path / "data"),
        "EVIDENCE_SECRET_KEY": "a-test-secret-key-of-enough-length",
    }
    done = subprocess.run(
        [sys.executable, "-c", script, *HEAVY],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return done.stdout.rpartition("loaded:")[2].split()


HEAVY = (
    "weasyprint",
    "openpyxl",
    "gunicorn",
    "sqlalchemy",
    "evidence.models",
    "huey",
    "evidence.accounts.views",
)


def test_help_imports_no_command(tmp_path: Path) -> None:
    assert _run_evidence(tmp_path, ["--help"]) == []


def test_audit_verify_does_not_import_weasyprint(tmp_path: Path) -> None:
    loaded = _run_evidence(tmp_path, ["init"], ["audit", "verify"])
    assert "evidence.models" in loaded  # the command did its work
    assert "weasyprint" not in loaded and "openpyxl" not in loaded and "gunicorn" not in loaded
    # A command's application has no web UI (views, sign-in) and no task queue.
    assert "huey" not in loaded and "evidence.accounts.views" not in loaded


def test_a_commands_application_has_the_database_but_no_pages(tmp_path: Path) -> None:
    config = config_for_tests(f"sqlite:///{tmp_path / 'e.sqlite'}", str(tmp_path / "data"))
    app = create_app(config, web=False)
    assert "evidence.writers" in app.extensions and "babel" in app.extensions
    assert [rule.endpoint for rule in app.url_map.iter_rules()] == ["static"]
    assert "evidence.queue" not in app.extensions
    assert task_queue(app) is task_queue(app)  # built when a command first needs it


def test_the_help_table_matches_each_command() -> None:
    for name, (_where, help_line) in COMMANDS.items():
        command = load_command(name)
        assert (command.name, command.get_short_help_str(limit=10**6)) == (name, help_line)
