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
    make = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"PORT={port}", "LAB_ARGS=--no-browser"],
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
    assert not list(Path.home().glob(".jupyter/lab/workspaces/*-" + str(port) + "*"))
