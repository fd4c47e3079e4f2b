"""`make lab` starts a working JupyterLab server (headless, localhost, token on) without reinstalling."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _jupyter_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    for var, sub in [("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTER_CONFIG_DIR", "config"),
                     ("JUPYTER_DATA_DIR", "data"), ("IPYTHONDIR", "ipython")]:
        (tmp_path / sub).mkdir()
        env[var] = str(tmp_path / sub)
    env.pop("MAKEFLAGS", None)
    return env


def test_make_lab_serves_the_api_and_stops_by_pid(tmp_path):
    port = _free_port()
    env = _jupyter_env(tmp_path)
    log = (tmp_path / "lab.log").open("w")
    work = tmp_path / "work"
    make = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"PORT={port}", "LAB_ARGS=--no-browser", f"WORK={work}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    runtime = Path(env["JUPYTER_RUNTIME_DIR"])
    try:
        status, server_pid = None, None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and make.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=2) as r:
                    status = r.status
                    version = json.loads(r.read())["version"]
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, (tmp_path / "lab.log").read_text()
        assert version
        infos = [json.loads(p.read_text()) for p in runtime.glob("jpserver-*.json")]
        (info,) = [i for i in infos if i["port"] == port]
        server_pid = info["pid"]
        assert info["token"], "Jupyter's token must stay on"
        assert info["hostname"] in ("127.0.0.1", "localhost")
        assert Path(info["root_dir"]) == work, "the lab serves the learner's working copies, not notebooks/"
        os.kill(server_pid, signal.SIGTERM)
        make.wait(timeout=30)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
        log.close()
    text = (tmp_path / "lab.log").read_text()
    assert "pip install" not in text, "a second `make lab` must not reinstall"
    assert f"http://127.0.0.1:{port}/lab" in text
    assert "id -u" not in text and "$(" not in text, "a raw shell command was echoed to the learner"
    assert not list(Path.home().glob(".jupyter/lab/workspaces/*-" + str(port) + "*"))
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in (work / "course").glob("*.ipynb")) == notebooks
    assert sorted(p.name for p in (work / "student").glob("*.ipynb")) == notebooks


def test_make_lab_banner_shows_the_port_it_really_uses_when_the_asked_one_is_busy(tmp_path):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    asked = busy.getsockname()[1]
    env = _jupyter_env(tmp_path)
    log = tmp_path / "lab.log"
    with log.open("w") as fh:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "lab", f"PORT={asked}", "LAB_ARGS=--no-browser", f"WORK={tmp_path / 'w'}"],
            cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, info = time.monotonic() + 90, None
        while time.monotonic() < deadline and make.poll() is None and info is None:
            infos = [json.loads(p.read_text()) for p in Path(env["JUPYTER_RUNTIME_DIR"]).glob("jpserver-*.json")]
            info = infos[0] if infos else None
            time.sleep(0.5)
        assert info is not None, log.read_text()
        os.kill(info["pid"], signal.SIGTERM)
        make.wait(timeout=30)
    finally:
        busy.close()
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
    text = log.read_text()
    assert info["port"] != asked
    assert f"Port {asked} is busy: using {info['port']}." in text
    assert f"http://127.0.0.1:{info['port']}/lab" in text and f"http://127.0.0.1:{asked}/lab" not in text


def test_workspace_copies_are_created_once_and_never_overwritten(tmp_path):
    import nbformat

    from warmup_course.authoring import build_workspace

    nbs = sorted((ROOT / "notebooks").glob("*.ipynb"))[:2]
    written = build_workspace(nbs, tmp_path)
    assert len(written) == 2 * len(nbs)
    mine = tmp_path / "student" / nbs[0].name
    mine.write_text(mine.read_text(encoding="utf-8").replace('"cells": [', '"cells": [ ', 1), encoding="utf-8")
    edited = mine.read_text(encoding="utf-8")
    assert build_workspace(nbs, tmp_path) == []
    assert mine.read_text(encoding="utf-8") == edited, "a learner's working copy was overwritten"
    course = nbformat.read(tmp_path / "course" / nbs[0].name, as_version=4)
    for cell in course.cells:
        if "solution" in cell.metadata.get("tags", []):
            assert cell.metadata["jupyter"]["source_hidden"] is True
    student = nbformat.read(tmp_path / "student" / nbs[1].name, as_version=4)
    assert not any("solution" in c.metadata.get("tags", []) for c in student.cells)


def _make(*args, cwd=ROOT, **env):
    full = {k: v for k, v in os.environ.items() if k != "MAKEFLAGS"} | env
    return subprocess.run(["make", "--no-print-directory", *args], cwd=cwd, env=full, capture_output=True, text=True)


def test_a_half_created_venv_is_detected_with_what_to_do(tmp_path):
    import sys

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)  # what Debian leaves
    result = _make("install", f"VENV={venv}")
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "has no pip" in out and f"rm -rf {venv}" in out and "python3-venv" in out, out
    assert "No module named pip" not in out


def test_distclean_removes_the_venv_and_clean_keeps_it():
    dry = _make("-n", "distclean", "VENV=some-venv").stdout
    assert "rm -rf some-venv" in dry
    assert "some-venv" not in _make("-n", "clean", "VENV=some-venv").stdout


def test_torch_index_is_opt_in():
    stamp_target = ".venv-probe/.warmup-course-installed"
    default = _make("-n", "-B", stamp_target, "VENV=.venv-probe").stdout
    assert "--extra-index-url" not in default and "download.pytorch.org" not in default
    cpu = _make("-n", "-B", stamp_target, "VENV=.venv-probe", "TORCH_INDEX=https://download.pytorch.org/whl/cpu").stdout
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in cpu
    assert "download.pytorch.org" not in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert not (ROOT / ".venv-probe").exists()


def test_make_test_warns_when_the_reference_notebooks_have_local_changes(tmp_path):
    import shutil

    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", repo / "Makefile")
    (repo / "notebooks" / "00_x.ipynb").write_text("{}")
    git = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "x"]):
        subprocess.run(["git", *cmd], cwd=repo, check=True, env=os.environ | git)
    assert "WARNING" not in _make("check-reference", cwd=repo).stdout
    (repo / "notebooks" / "00_x.ipynb").write_text('{"edited": 1}')
    out = _make("check-reference", cwd=repo).stdout
    assert "WARNING: notebooks/ differs from the last commit" in out and "00_x.ipynb" in out


def test_the_course_jupyterlab_settings_turn_off_the_news_prompt():
    settings = json.loads((ROOT / "jupyter-settings" / "overrides.json").read_text(encoding="utf-8"))
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert "jupyter-settings/overrides.json" in (ROOT / "Makefile").read_text(encoding="utf-8")
