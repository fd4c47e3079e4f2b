"""Every committed notebook is a trustworthy one: named, structured, executed in order, clean outputs.

The checks live in ``warmup_course.authoring.hygiene_problems``; the second half of this file proves they
fail on the notebooks they must reject (a hygiene test that cannot fail checks nothing).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from warmup_course.authoring import hygiene_problems

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_hygiene(path):
    assert hygiene_problems(path) == []


def test_notebook_numbers_are_unique():
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert len(numbers) == len(set(numbers)), f"duplicate notebook numbers: {numbers}"


def test_readme_course_map_lists_exactly_the_notebooks():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Course map", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"notebooks/(\d\d_[a-z0-9_]+\.ipynb)", section)
    assert sorted(set(listed)) == [p.name for p in NOTEBOOKS]
    assert len(listed) == len(set(listed)), "a notebook is listed twice in the course map"


# --- the checks reject what they must --------------------------------------------------------------------

def _good_nb() -> dict:
    return {
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# 07 · A title\nA hook."},
            {"cell_type": "markdown", "metadata": {}, "source": "## What you will learn\n- x"},
            {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": "1 + 1",
             "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                          "data": {"text/plain": "2"}}]},
            {"cell_type": "code", "metadata": {}, "execution_count": 2, "source": "print('hi')",
             "outputs": [{"output_type": "stream", "name": "stdout", "text": "hi\n"}]},
            {"cell_type": "markdown", "metadata": {}, "source": "## Key takeaways\n- y"},
        ],
    }


NAME = Path("07_a_title.ipynb")


def test_a_good_notebook_passes():
    assert hygiene_problems(NAME, _good_nb()) == []


def _mutated(fn) -> list[str]:
    nb = copy.deepcopy(_good_nb())
    fn(nb)
    return hygiene_problems(NAME, nb)


def test_stripped_execution_counts_fail():
    def strip(nb):
        for c in nb["cells"]:
            if c["cell_type"] == "code":
                c["execution_count"] = None
                c["outputs"] = []
    assert any("never executed" in p for p in _mutated(strip))


def test_out_of_order_counts_fail():
    def swap(nb):
        nb["cells"][2]["execution_count"], nb["cells"][3]["execution_count"] = 2, 1
    assert any("1..n" in p for p in _mutated(swap))


def test_error_output_fails():
    def err(nb):
        nb["cells"][3]["outputs"] = [{"output_type": "error", "ename": "ValueError", "evalue": "x", "traceback": []}]
    assert any("error output" in p for p in _mutated(err))


def test_machine_path_fails():
    def path(nb):
        nb["cells"][3]["outputs"][0]["text"] = "saved to /home/alice/run.png\n"
    assert any("machine path" in p for p in _mutated(path))


def test_wrong_kernel_and_heading_and_sections_fail():
    def bad(nb):
        nb["metadata"]["kernelspec"]["name"] = "conda-env-x"
        nb["cells"][0]["source"] = "# A title"
        nb["cells"][4]["source"] = "## Summary"
    problems = _mutated(bad)
    assert any("kernelspec" in p for p in problems)
    assert any("heading" in p for p in problems)
    assert any("Key takeaways" in p for p in problems)


def test_bad_name_and_mismatched_number_fail():
    assert any("NN_slug" in p for p in hygiene_problems(Path("7-intro.ipynb"), _good_nb()))
    assert any("number" in p for p in hygiene_problems(Path("08_a_title.ipynb"), _good_nb()))


def test_untagged_widget_output_fails():
    def widget(nb):
        nb["cells"][3]["outputs"] = [{"output_type": "display_data", "metadata": {}, "data": {
            "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2, "version_minor": 0},
            "image/png": "iVBORw0KGgo=", "text/plain": "VBox()"}}]
    assert any("widget" in p for p in _mutated(widget))

    def tagged(nb):
        widget(nb)
        nb["cells"][3]["metadata"]["tags"] = ["nbval-ignore-output"]
    assert _mutated(tagged) == []


def test_committed_notebooks_are_valid_nbformat():
    import nbformat

    for path in NOTEBOOKS:
        nbformat.validate(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4))
        json.loads(path.read_text(encoding="utf-8"))


def test_readme_course_map_agrees_with_the_notebooks_titles_and_minutes():
    from warmup_course.course import course_map

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Course map", 1)[1].split("\n## ", 1)[0]
    for lesson in course_map(ROOT / "notebooks"):
        (row,) = [ln for ln in section.splitlines() if f"notebooks/{lesson.file}" in ln]
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[0] == lesson.number
        assert cells[1].startswith(f"[{lesson.title}]"), f"README title for {lesson.file}: {cells[1]!r}"
        assert lesson.minutes is not None, f"{lesson.file} states no '**Time:** N min'"
        assert cells[-1] == str(lesson.minutes), f"README minutes for {lesson.file}: {cells[-1]} != {lesson.minutes}"


def test_start_here_shows_the_current_course_map():
    """00 displays the course map it computes from the notebooks; re-execute 00 whenever a title, section or time
    changes (nbval would fail on it too, but only after a minute of notebook runs)."""
    from warmup_course.course import course_map_markdown

    cells = json.loads((ROOT / "notebooks" / "00_start_here.ipynb").read_text(encoding="utf-8"))["cells"]
    shown = [
        "".join(out["data"]["text/markdown"])
        for cell in cells if cell["cell_type"] == "code" and "course_map_markdown()" in "".join(cell["source"])
        for out in cell.get("outputs", []) if "text/markdown" in out.get("data", {})
    ]
    assert shown, "00_start_here.ipynb has no executed course-map cell"
    assert shown == [course_map_markdown(ROOT / "notebooks")], (
        "00_start_here.ipynb shows a stale course map: run `make execute NB=notebooks/00_start_here.ipynb`")


# --- metadata that must not be committed, solutions out of sight, control characters, math, explorers ---------

def test_per_cell_execution_timestamps_and_view_state_fail():
    def noise(nb):
        nb["cells"][2]["metadata"]["execution"] = {"iopub.execute_input": "2026-11-24T17:20:27.473958Z"}
        nb["cells"][3]["metadata"].update(collapsed=False, scrolled=True)
    problems = _mutated(noise)
    assert any("cell 2" in p and "execution" in p for p in problems), problems
    assert any("cell 3" in p and "collapsed" in p and "scrolled" in p for p in problems), problems


def test_saved_widget_state_and_other_notebook_metadata_fail():
    def state(nb):
        nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
        nb["metadata"]["toc-autonumbering"] = True
    problems = _mutated(state)
    assert any("widgets" in p and "toc-autonumbering" in p for p in problems), problems


def test_a_solution_cell_must_be_collapsed():
    def solution(nb):
        nb["cells"][3]["metadata"]["tags"] = ["solution"]
    assert any("not collapsed" in p for p in _mutated(solution))

    def collapsed(nb):
        solution(nb)
        nb["cells"][3]["metadata"]["jupyter"] = {"source_hidden": True}
    assert _mutated(collapsed) == []


def test_control_characters_in_sources_fail():
    def backspace(nb):
        nb["cells"][1]["source"] = "## What you will learn\n- Adam's $\beta_2$"  # a non-raw "\beta": a backspace
    assert any("control character" in p and "\\x08" in p for p in _mutated(backspace))

    def in_code(nb):
        nb["cells"][3]["source"] = "print('a\x1bb')"
    assert any("cell 3" in p and "control character" in p for p in _mutated(in_code))


@pytest.mark.parametrize("formula, expect", [
    (r"$x^{2$", "unbalanced braces"),
    (r"$$\left( x$$", "\\left"),
    (r"$\begin{aligned} a \end{array}$", "\\begin"),
    (r"one $ alone", "unpaired"),
])
def test_math_that_will_not_render_fails(formula, expect):
    def bad(nb):
        nb["cells"][1]["source"] = "## What you will learn\n" + formula
    assert any(expect in p for p in _mutated(bad)), _mutated(bad)


def test_math_that_renders_and_dollars_in_code_pass():
    def fine(nb):
        nb["cells"][1]["source"] = ("## What you will learn\n$\\eta_t = \\eta \\min(1, t/W)$, $$\\left(\\frac{1}{2}\\right)$$,"
                                    " `cost = $5`, \\$ and \\{ braces \\}")
    assert _mutated(fine) == []


def test_an_explorer_without_a_static_view_fails():
    view = {"model_id": "abc", "version_major": 2, "version_minor": 0}

    def text_only(nb):
        nb["cells"][3]["metadata"]["tags"] = ["nbval-ignore-output"]
        nb["cells"][3]["outputs"] = [{"output_type": "display_data", "metadata": {}, "data": {
            "application/vnd.jupyter.widget-view+json": view, "text/plain": "interactive(children=(…"}}]
    assert any("shows as text" in p for p in _mutated(text_only))

    def with_png(nb):
        text_only(nb)
        nb["cells"][3]["outputs"][0]["data"]["image/png"] = "iVBORw0KGgo="
    assert _mutated(with_png) == []


def test_execute_and_student_copy_clean_what_hygiene_rejects():
    """The tools fix what the checks reject: cleaning a noisy notebook leaves no metadata problem."""
    import nbformat

    from warmup_course.authoring import clean_metadata

    nb = nbformat.from_dict(_good_nb())
    nb.metadata["widgets"] = {"x": 1}
    nb.cells[2].metadata.update(execution={"a": 1}, collapsed=True, tags=["solution"])
    nb.cells[3].metadata["jupyter"] = {"outputs_hidden": True}
    clean_metadata(nb)
    assert hygiene_problems(NAME, nb) == []
    assert nb.cells[2].metadata == {"tags": ["solution"], "jupyter": {"source_hidden": True}}
    assert "jupyter" not in nb.cells[3].metadata and "widgets" not in nb.metadata
