"""The ways to install the course agree with each other, and CI runs exactly the README's test command."""

from __future__ import annotations

import re

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11; on 3.10 these checks are skipped

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI's
CONDA_TO_PYPI = {"pytorch": "torch"}
# what a conda environment needs besides the packages themselves
CONDA_ONLY = {"python", "pip"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _req_name(req: str) -> str:
    return _norm(re.split(r"[<>=!~;\[ ]", req.strip(), maxsplit=1)[0])


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def pyproject_packages() -> set[str]:
    project = _pyproject()["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    return {_req_name(r) for r in reqs}


def environment_packages() -> set[str]:
    """Package names in environment.yml (conda and pip entries), without the course itself."""
    names = set()
    for raw in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].rstrip()
        m = re.match(r"^\s*-\s+(.+)$", line)
        if not m or m.group(1).strip().endswith(":") or m.group(1).strip().startswith("-e"):
            continue
        name = _req_name(m.group(1))
        if name and name not in CONDA_ONLY and name != "conda-forge":
            names.add(CONDA_TO_PYPI.get(name, name))
    return names


def test_environment_yml_names_the_same_packages_as_pyproject():
    env, py = environment_packages(), pyproject_packages()
    assert env == py, f"only in environment.yml: {sorted(env - py)}; only in pyproject.toml: {sorted(py - env)}"


def test_environment_yml_uses_conda_forge_only_and_installs_the_course():
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    assert re.search(r"^name: warmup-course$", text, re.MULTILINE)
    channels = re.search(r"channels:\n((?:\s+- .+\n)+)", text).group(1)
    assert [c.strip("- \n") for c in channels.splitlines()] == ["conda-forge"]
    assert re.search(r"^\s+- -e \.$", text, re.MULTILINE), "the course itself must be installed through pip:"


def test_constraints_pin_every_dependency_and_the_course_torch():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt line is not an exact pin: {line!r}"
            pins[_norm(name)] = version
    missing = pyproject_packages() - set(pins)
    assert not missing, f"not pinned in constraints.txt: {sorted(missing)}"
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"
    assert "warmup-course" not in pins


def test_pyproject_uses_ranges_not_exact_pins():
    project = _pyproject()["project"]
    assert project["requires-python"] == ">=3.10"
    for req in project["dependencies"] + sum(project["optional-dependencies"].values(), []):
        assert "==" not in req, f"pyproject should give a compatible range, not a pin: {req}"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in readme
    commands = [ln.strip() for ln in ci.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert commands[-1] == "make test"
    assert all(c.startswith(("set ", "cd ", ".ci/")) for c in commands[:-1]), commands  # .ci/ helpers: setup only


def test_makefile_nbval_uses_the_sanitize_file_and_current_env():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--nbval-sanitize-with tests/nbval_sanitize.cfg" in makefile
    assert "--nbval-current-env" in makefile
    assert "--nbval-lax" in makefile
    assert (ROOT / "tests" / "nbval_sanitize.cfg").is_file()


def test_importing_the_package_stays_light():
    import subprocess
    import sys

    code = "import sys, warmup_course; print(sorted(m for m in ('torch','matplotlib','ipywidgets','transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", f"import warmup_course pulled in {out}"
