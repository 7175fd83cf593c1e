"""The two dependency lists (pyproject.toml for pip, environment.yml for conda) agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_names() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        names |= {_name(r) for r in extra}
    return names


def _conda_names() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names: set[str] = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            names |= {_name(r) for r in dep["pip"] if not r.startswith("-")}
        else:
            names.add(_name(dep))
    return names - {"python", "pip"}


def test_environment_yml_lists_every_pyproject_dependency():
    assert _pyproject_names() - _conda_names() == set()


def test_environment_yml_adds_nothing_pyproject_lacks():
    assert _conda_names() - _pyproject_names() == set()


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^```(?:sh|bash|console)?\n(.*?)```", readme, flags=re.S | re.M)
    first_block = [line.strip() for line in commands[0].splitlines() if line.strip()]
    test_command = first_block[1]
    ci = (ROOT / ".ci" / "run").read_text()
    ci_commands = [line.strip() for line in ci.splitlines()
                   if line.strip() and not line.strip().startswith("#")]
    assert test_command in ci_commands


def test_console_script_points_at_cli_main():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["audit"] == "audit.cli:main"
