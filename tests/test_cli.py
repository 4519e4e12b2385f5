import json
from pathlib import Path

from evidence import create_app
from evidence.cli import DEMO_FILE
from evidence.config import config_for_tests


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
