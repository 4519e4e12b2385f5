"""A plain `pip install .` (no extras) must give an `evidence` that runs every command.

Every third-party module that the application imports must therefore come
from a runtime dependency declared in pyproject.toml, or from what those
require in turn; a module found only through the test extra (pypdf once was)
would be missing on a real install.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent


def _imported_top_level_modules(package: Path) -> dict[str, str]:
    """Top-level module -> one file importing it, for every import in the package."""
    found: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def _runtime_closure(requirements: list[str]) -> set[str]:
    """The declared runtime distributions and everything they require, installed here."""
    closure: set[str] = set()
    pending = [(Requirement(text), "") for text in requirements]
    while pending:
        requirement, extra = pending.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        if name in closure:
            continue
        closure.add(name)
        wanted = set(requirement.extras) | {""}
        for text in metadata.requires(requirement.name) or []:
            child = Requirement(text)
            for child_extra in wanted:
                if not child.marker or child.marker.evaluate({"extra": child_extra}):
                    pending.append((child, child_extra))
                    break
    return closure


def test_every_imported_library_is_a_runtime_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _runtime_closure(project["dependencies"])
    providers = metadata.packages_distributions()
    missing = []
    for module, where in sorted(_imported_top_level_modules(ROOT / "evidence").items()):
        if module in sys.stdlib_module_names or module == "evidence":
            continue
        distributions = {canonicalize_name(d) for d in providers.get(module, [])}
        if not distributions & runtime:
            missing.append(f"{module} (imported by {where}; from {sorted(distributions)})")
    assert missing == [], "not installed by a plain `pip install .`: " + ", ".join(missing)


def test_the_check_sees_a_library_only_the_tests_install():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _runtime_closure(project["dependencies"])
    assert "pypdf" in runtime and "playwright" not in runtime
    assert "werkzeug" in runtime  # through flask


@pytest.mark.skipif(
    os.environ.get("EVIDENCE_TEST_PLAIN_INSTALL") != "1",
    reason="set EVIDENCE_TEST_PLAIN_INSTALL=1 (needs the package index, takes minutes)",
)
def test_a_plain_install_starts_every_command(tmp_path: Path):
    """`pip install .` into a fresh venv, no extras: the app builds, every command answers,
    and the installed package alone migrates, loads the demo, serves a page with its
    stylesheet and renders a dossier (templates, static files, dossier templates and
    migrations travel inside the package).

    Listing the commands builds the whole application (every blueprint, service
    and library it imports), so a library missing from the runtime dependencies
    fails here.
    """
    venv = tmp_path / "venv"
    # The venv gets no pip (nor the setuptools that came with it, which could hide a
    # missing dependency): this process's pip installs into it. Bytecode is left to the
    # commands below, which compile what they import; pip compiled every installed module.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--quiet", "--no-compile", str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    evidence = str(venv / "bin" / "evidence")
    env = {
        **os.environ,
        "EVIDENCE_INSTANCE_DIR": str(tmp_path / "instance"),
        "EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'plain.sqlite'}",
    }

    def run(*arguments: str) -> str:
        done = subprocess.run([evidence, *arguments], env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"evidence {' '.join(arguments)}: {done.stderr}"
        return done.stdout

    listing = run("--help")
    commands = [line.split()[0] for line in listing.split("Commands:")[1].splitlines() if line]
    assert {"serve", "worker", "dossier", "import"} <= set(commands)
    run("init")  # a command that works, through the console script as a user starts it
    outside = tmp_path / "elsewhere"  # not the checkout: only the installed files count
    outside.mkdir()
    pdf = outside / "dossier.pdf"
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", THE_REST_IN_ONE_INTERPRETER, str(pdf), *commands],
        env=env, cwd=outside, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for command in commands:
        assert f"Usage: evidence {command}" in done.stdout, f"evidence {command} --help"
    assert pdf.read_bytes().startswith(b"%PDF")
    contents = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Метадалогія" in contents  # the message catalogs travel inside the package too
    assert done.stdout.split()[-3:] == ["200", "200", "be"]


# Every command's help, then the demo's round trip to a dossier and a served page, in one
# interpreter: a process per command imported the whole application again for each
# (~2 s of CPU apiece, minutes on a busy machine). A failing command raises or returns
# its status, either of which ends this script with an error.
THE_REST_IN_ONE_INTERPRETER = """
import json
import sys
from pathlib import Path

from evidence import create_app
from evidence.cli import main

def run(*arguments):
    status = main.main(list(arguments), prog_name="evidence", standalone_mode=False)
    assert status in (None, 0), f"evidence {' '.join(arguments)}: exit status {status}"

pdf, commands = sys.argv[1], sys.argv[2:]
for command in commands:
    run(command, "--help")
run("demo", "--as", "plain-install")
run("audit", "verify")
export = Path(pdf).with_name("export.json")
run("export", "-o", str(export))
case = json.loads(export.read_text())["cases"][0]["key"]
run("dossier", case, "--audience", "public", "-o", pdf, "--workers", "1", "--lang", "be")

# The sign-in page and its stylesheet, served by the installed package.
client = create_app().test_client()
print(client.get("/sign-in").status_code, client.get("/static/css/app.css").status_code)
page = client.get("/sign-in", headers={"Accept-Language": "be"}).get_data(as_text=True)
print("be" if '<html lang="be">' in page and "Увайсці" in page else "no Belarusian")
"""
