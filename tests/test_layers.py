"""Layout rules that import-linter's contracts (pyproject.toml) cannot express."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import evidence

PACKAGE = Path(evidence.__file__).parent
# Services flush and leave the commit to their caller: a view at the end of its request,
# a CLI command, a background job (evidence/jobs owns the commits of background work).
SERVICE_MODULES = sorted([*PACKAGE.glob("*/services.py"), *PACKAGE.glob("records/*.py")])


def commits_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]


def test_no_service_commits() -> None:
    assert len(SERVICE_MODULES) > 15
    assert [place for path in SERVICE_MODULES for place in commits_in(path)] == []


def test_the_scan_finds_a_commit() -> None:
    module = PACKAGE / "jobs" / "runner.py"
    assert commits_in(module), "the job runner commits; the scan must see it"


FLASK = {"flask", "flask_wtf", "flask_login", "wtforms"}


def test_flask_stays_out_of_models_and_services_even_through_another_module() -> None:
    """import-linter checks only direct imports where a contract allows indirect ones:
    a service could then reach Flask through any helper that imports it."""
    pyproject = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = pyproject["tool"]["importlinter"]["contracts"]
    guarding = {
        source: contract
        for contract in contracts
        if set(contract.get("forbidden_modules", ())) >= FLASK
        for source in contract["source_modules"]
    }
    for layer in ("evidence.core", "evidence.models", "evidence.*.models", "evidence.*.services"):
        assert layer in guarding, f"no contract keeps Flask out of {layer}"
        assert not guarding[layer].get("allow_indirect_imports", False), layer
