"""The instructors' guide: quizzes well-formed with keys the checker accepts, the timing plan equal to the notebooks,
every notebook's guide page linked, the generated answer key current."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

from warmup_course import exercises
from warmup_course.__main__ import main, quiz_markdown
from warmup_course.course import course_map
from warmup_course.exercises.core import check_quiz_answer, load_quiz, quiz_problems, render_quiz

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "instructors" / "README.md"
MODULES = sorted(m.name for m in pkgutil.iter_modules(exercises.__path__) if re.fullmatch(r"nb\d\d", m.name))
QUIZ_MODULES = [m for m in MODULES if hasattr(importlib.import_module(f"warmup_course.exercises.{m}"), "QUIZ")]
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _quiz(name):
    return importlib.import_module(f"warmup_course.exercises.{name}").QUIZ


@pytest.mark.parametrize("name", QUIZ_MODULES)
def test_every_quiz_is_well_formed_and_its_key_is_accepted(name):
    quiz = _quiz(name)
    assert quiz_problems(quiz) == []
    for i, q in enumerate(quiz):
        right = q["answer"]
        for form in (right, LETTERS[right], LETTERS[right].upper(), q["choices"][right]):
            verdict = check_quiz_answer(name, i, form)
            assert verdict.passed, (name, i, form, str(verdict))
            assert q["why"] in str(verdict)
        for j in range(len(q["choices"])):
            if j != right:
                verdict = check_quiz_answer(name, i, j)
                assert verdict.attempted and not verdict.passed, (name, i, j)
                assert q["why"] not in str(verdict), "a wrong answer must not be told the key"


def test_there_is_at_least_one_quiz():
    assert QUIZ_MODULES, "no warmup_course/exercises/nbNN.py defines a QUIZ"


GOOD = [{"question": "Q?", "choices": ["x", "y", "z"], "answer": 1, "why": "because y."}]


@pytest.mark.parametrize("mutate, expect", [
    (lambda q: q[0].update(answer=3), "not an index"),
    (lambda q: q[0].update(answer=True), "must be a int"),
    (lambda q: q[0].update(choices=["x"], answer=0), "at least 2"),
    (lambda q: q[0].update(choices=["x", "X "], answer=0), "same"),
    (lambda q: q[0].update(why=" "), "why"),
    (lambda q: q[0].pop("why"), "keys"),
    (lambda q: q[0].update(extra=1), "keys"),
    (lambda q: q[0].update(choices=["x", ""]), "non-empty"),
    (lambda q: q.append("not a dict"), "not a dict"),
    (lambda q: q.clear(), "non-empty list"),
])
def test_the_validator_rejects_ill_formed_quizzes(mutate, expect):
    import copy

    quiz = copy.deepcopy(GOOD)
    assert quiz_problems(quiz) == []
    mutate(quiz)
    assert any(expect in p for p in quiz_problems(quiz)), quiz_problems(quiz)


def test_check_quiz_answer_forms_and_bad_inputs(monkeypatch):
    import types

    fake = types.ModuleType("warmup_course.exercises.nb97")
    fake.QUIZ = GOOD
    monkeypatch.setitem(__import__("sys").modules, "warmup_course.exercises.nb97", fake)
    assert check_quiz_answer(97, 0, "b").passed and check_quiz_answer("nb97", 0, " Y ").passed
    assert check_quiz_answer("97", 0, 1).passed
    assert not check_quiz_answer(97, 0, "a").passed
    assert "not one of the choices" in str(check_quiz_answer(97, 0, "q"))
    assert "not one of the choices" in str(check_quiz_answer(97, 0, 7))
    assert not check_quiz_answer(97, 0, ...).attempted
    with pytest.raises(ValueError, match="index"):
        check_quiz_answer(97, 5, "a")
    with pytest.raises(TypeError, match="index"):
        check_quiz_answer(97, "0", "a")
    with pytest.raises(TypeError, match="nb"):
        check_quiz_answer(None, 0, "a")
    with pytest.raises(ValueError, match="nb"):
        check_quiz_answer(98, 0, "a")  # no such module
    fake.QUIZ = [{"question": "Q?", "choices": ["x"], "answer": 0, "why": "w"}]
    with pytest.raises(ValueError, match="ill-formed"):
        check_quiz_answer(97, 0, "a")


def test_render_quiz_shows_the_key_only_when_asked():
    plain, key = render_quiz(GOOD), render_quiz(GOOD, key=True)
    assert "(b) y" in plain and "because y." not in plain and "Answer" not in plain
    assert "**Answer: (b)** — because y." in key


def test_the_committed_answer_key_is_current():
    page = ROOT / "docs" / "instructors" / "quizzes.md"
    assert page.is_file(), "docs/instructors/quizzes.md missing: run `make quiz`"
    assert page.read_text(encoding="utf-8") == quiz_markdown(key=True), "stale answer key: run `make quiz`"
    for name in QUIZ_MODULES:
        assert f"### {name[2:]}" in page.read_text(encoding="utf-8")


def test_quiz_command_line(capsys):
    assert main(["quiz"]) == 0
    out = capsys.readouterr().out
    assert "Answer" not in out and "# Quizzes" in out
    assert main(["quiz", "--key"]) == 0
    assert "**Answer:" in capsys.readouterr().out
    assert main(["quiz", "99"]) == 2
    assert "nb99" in capsys.readouterr().err


def test_readme_links_the_instructors_guide():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/instructors/README.md" in readme


def _timing_rows() -> dict[str, list[str]]:
    table = GUIDE.read_text(encoding="utf-8").split("<!-- timing:start -->")[1].split("<!-- timing:end -->")[0]
    rows = {}
    for line in table.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells
    return rows


def test_timing_plan_matches_the_notebooks_and_links_every_guide_page():
    rows = _timing_rows()
    for lesson in course_map(ROOT / "notebooks"):
        assert lesson.number in rows, f"docs/instructors/README.md has no timing row for {lesson.file}"
        number, title, minutes, link = rows[lesson.number]
        assert title == lesson.title, f"timing plan title for {lesson.file}: {title!r}"
        assert minutes == str(lesson.minutes), f"timing plan minutes for {lesson.file}: {minutes} != {lesson.minutes}"
        page = Path(lesson.file).stem + ".md"
        assert f"]({page})" in link, f"the timing plan does not link {page}"
        assert (GUIDE.parent / page).is_file(), f"docs/instructors/{page} (discussion points, mistakes) is missing"
    for number, (_, _, minutes, link) in rows.items():
        target = re.search(r"\]\(([^)]+)\)", link).group(1)
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.md", target), target
        if minutes == "—":
            assert not list((ROOT / "notebooks").glob(f"{number}_*.ipynb")), f"row {number} needs its minutes"
