"""Checkers of notebook 04 accept the right answers and explain the typical wrong ones."""

from __future__ import annotations

import math
import warnings

from warmup_course.exercises import nb04

warnings.filterwarnings("ignore", message=".*lr_scheduler.step.*")


def test_diagnosis_answers_match_what_audit_reports():
    runs = nb04.mystery_runs()
    kinds = {name: set(run.audit().kinds()) for name, run in runs.items()}
    assert "skipped_steps" in kinds["loop_a"] and "time_scaled" in kinds["loop_b"] and "jumped" in kinds["loop_c"]
    right = {"loop_a": "amp", "loop_b": "total_steps", "loop_c": "resume"}
    assert nb04.check_diagnosis(right).passed
    v = nb04.check_diagnosis(right | {"loop_b": "units"})
    assert v.attempted and not v.passed and "loop_b" in v.message and "micro-batches" in v.message
    assert not nb04.check_diagnosis(right | {"loop_a": "nonsense"}).passed
    assert not nb04.check_diagnosis({"loop_a": "amp"}).passed
    assert not nb04.check_diagnosis(["amp"]).passed
    assert not nb04.check_diagnosis({"loop_a": ..., "loop_b": ..., "loop_c": ...}).attempted
    assert not nb04.check_diagnosis(...).attempted


def test_resume_order_is_executed():
    assert nb04.check_resume_order(["build optimizer", "build scheduler", "load optimizer state",
                                    "load scheduler state"]).passed
    assert nb04.check_resume_order(["build optimizer", "build scheduler", "load scheduler state",
                                    "load optimizer state"]).passed  # also right: both exist before loading
    v = nb04.check_resume_order(["build optimizer", "load optimizer state", "build scheduler",
                                 "load scheduler state"])
    assert v.attempted and not v.passed and "65342" in v.message
    assert "optimizer first" in nb04.check_resume_order(["build scheduler", "build optimizer",
                                                         "load optimizer state", "load scheduler state"]).message
    assert not nb04.check_resume_order(["build optimizer", "build scheduler"]).passed
    assert not nb04.check_resume_order("build optimizer").passed
    assert not nb04.check_resume_order([..., ..., ..., ...]).attempted


def test_num_training_steps():
    def right(n, b, a, w, e):
        return math.ceil(math.ceil(math.ceil(n / w) / b) / a) * e

    assert nb04.check_num_training_steps(right).passed
    v = nb04.check_num_training_steps(lambda n, b, a, w, e: math.ceil(math.ceil(n / b) / a) * e)
    assert not v.passed and "world size" in v.message
    v = nb04.check_num_training_steps(lambda n, b, a, w, e: math.ceil(math.ceil(n / w) / b) * e)
    assert not v.passed and "accumulation" in v.message
    v = nb04.check_num_training_steps(lambda n, b, a, w, e: (math.ceil(math.ceil(n / w) / b) // a) * e)
    assert not v.passed and "round up" in v.message

    def stub(n, b, a, w, e):
        ...

    assert not nb04.check_num_training_steps(stub).attempted


def test_quiz_is_well_formed_and_its_numbers_hold():
    assert 3 <= len(nb04.QUIZ) <= 4
    for q in nb04.QUIZ:
        assert set(q) == {"question", "choices", "answer", "why"}
        assert 0 <= q["answer"] < len(q["choices"])
    q = nb04.QUIZ[2]
    assert q["choices"][q["answer"]] == str(nb04.num_training_steps_reference(10_000, 32, 4, 2, 3))
