from __future__ import annotations

import pytest

from warmup_course import seed, seed_offset, seeds
from warmup_course.runtime import default_threads, set_threads


def test_seeds_default_and_offset(monkeypatch):
    monkeypatch.delenv("WARMUP_COURSE_SEED_OFFSET", raising=False)
    assert seed_offset() == 0
    assert seeds(3) == [0, 1, 2]
    assert seeds(2, base=10) == [10, 11]
    monkeypatch.setenv("WARMUP_COURSE_SEED_OFFSET", "1000")
    assert seed(5) == 1005
    assert seeds(3) == [1000, 1001, 1002]


@pytest.mark.parametrize("raw", ["abc", "-3", "1.5"])
def test_bad_offset_is_named(monkeypatch, raw):
    monkeypatch.setenv("WARMUP_COURSE_SEED_OFFSET", raw)
    with pytest.raises(ValueError, match="WARMUP_COURSE_SEED_OFFSET"):
        seed_offset()


@pytest.mark.parametrize("args, exc, name", [((0,), ValueError, "n"), ((2.0,), TypeError, "n"),
                                             ((True,), TypeError, "n"), ((2, -1), ValueError, "base")])
def test_bad_seed_arguments(args, exc, name):
    with pytest.raises(exc, match=name):
        seeds(*args)


def test_threads(monkeypatch):
    import torch

    monkeypatch.delenv("WARMUP_COURSE_THREADS", raising=False)
    before = torch.get_num_threads()
    try:
        assert default_threads() == 1
        assert set_threads() == 1 and torch.get_num_threads() == 1
        monkeypatch.setenv("WARMUP_COURSE_THREADS", "2")
        assert set_threads() == 2 and torch.get_num_threads() == 2
        monkeypatch.setenv("WARMUP_COURSE_THREADS", "zero")
        with pytest.raises(ValueError, match="WARMUP_COURSE_THREADS"):
            default_threads()
        with pytest.raises(ValueError, match="n"):
            set_threads(0)
        with pytest.raises(TypeError, match="n"):
            set_threads("2")
    finally:
        torch.set_num_threads(before)
