"""warmup_course.authoring's course tools: the static site, the working copies, the free port, execute's metadata."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import nbformat
import pytest

from warmup_course.authoring import build_site, clean_metadata, execute_notebook, free_port, hygiene_problems, main

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_site_has_a_page_per_notebook_links_rewritten_and_an_index(tmp_path):
    nbs = NOTEBOOKS
    written = build_site(nbs, tmp_path)
    assert sorted(p.name for p in written) == sorted([f"{p.stem}.html" for p in nbs] + ["index.html"])
    for page in written:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r'href="(?!https?:)[^"]*\.ipynb', html), f"{page.name} links a .ipynb"
        assert "require.min.js" not in html and "require.js" not in html
        assert "MathJax" in html
        for href in re.findall(r'href="([^"#:]+\.html)', html):
            assert (tmp_path / href).exists(), f"{page.name} links {href}, which has no page"
        assert 'class="course-nav"' in html and 'href="index.html"' in html
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    for p in nbs:
        assert f'href="{p.stem}.html"' in index
    first = (tmp_path / f"{nbs[0].stem}.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in first, "the committed figures are in the page"
    assert f'href="{nbs[1].stem}.html"' in first, "previous/next navigation"


def test_site_mathjax_url_and_command_line(tmp_path, capsys):
    assert main(["site", "--out", str(tmp_path), "--mathjax-url", "file:///x/MathJax.js?config=TeX-AMS_CHTML",
                 str(NOTEBOOKS[0])]) == 0
    assert "file:///x/MathJax.js" in (tmp_path / f"{NOTEBOOKS[0].stem}.html").read_text(encoding="utf-8")
    assert "index.html" in capsys.readouterr().out


def test_free_port_skips_a_busy_port(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        port = free_port(busy)
        assert port is not None and port != busy and busy < port < busy + 50
        assert main(["free-port", str(busy)]) == 0
        assert int(capsys.readouterr().out) != busy
    for bad in (0, 70000, True, "8888"):
        with pytest.raises(ValueError, match="start"):
            free_port(bad)


def test_execute_collapses_solutions_and_strips_noise(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["widgets"] = {"state": {}}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 09 · T\n## What you will learn\n- x\n## Key takeaways\n- y"),
        nbformat.v4.new_code_cell("answer = 1", metadata={"tags": ["solution"], "collapsed": True,
                                                          "execution": {"iopub.status.idle": "2026-01-01"}}),
        nbformat.v4.new_code_cell("print(answer)", metadata={"scrolled": True}),
    ]
    path = tmp_path / "09_t.ipynb"
    nbformat.write(nb, path)
    execute_notebook(path)
    done = nbformat.read(path, as_version=4)
    assert done.cells[1].metadata == {"tags": ["solution"], "jupyter": {"source_hidden": True}}
    assert done.cells[2].metadata == {}
    assert set(done.metadata) <= {"kernelspec", "language_info"}
    assert hygiene_problems(path) == []


def test_clean_metadata_keeps_what_belongs():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x", metadata={"tags": ["nbval-ignore-output"], "editable": False,
                                                         "jupyter": {"source_hidden": True, "outputs_hidden": True}})]
    clean_metadata(nb)
    assert nb.cells[0].metadata == {"tags": ["nbval-ignore-output"], "editable": False,
                                    "jupyter": {"source_hidden": True}}
