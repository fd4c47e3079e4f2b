"""benchmarks/seed_robustness.py: offsets parse, and a claim that holds only for some seeds is reported."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("seed_robustness", ROOT / "benchmarks" / "seed_robustness.py")
seed_robustness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seed_robustness)


def test_parse_offsets() -> None:
    assert seed_robustness.parse_offsets("1-3,10,1000") == [1, 2, 3, 10, 1000]
    assert seed_robustness.parse_offsets("7") == [7]
    with pytest.raises(ValueError):
        seed_robustness.parse_offsets("-1")
    with pytest.raises(ValueError):
        seed_robustness.parse_offsets("a-b")


def test_a_seed_dependent_claim_fails_at_the_offsets_where_it_does_not_hold(tmp_path, monkeypatch) -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from warmup_course import seeds"),
        nbformat.v4.new_code_cell('assert seeds(3)[0] % 2 == 0, "only even seeds"'),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "99_claim.ipynb"
    nbformat.write(nb, path)
    for name in ("WARMUP_COURSE_SEED_OFFSET", "OMP_NUM_THREADS", "PYTHONHASHSEED"):  # run_one sets them; restore after
        monkeypatch.setenv(name, "0" if name != "OMP_NUM_THREADS" else "1")
    assert seed_robustness.run_one(str(path), 2) == (str(path), 2, None)
    _, _, failure = seed_robustness.run_one(str(path), 3)
    assert failure is not None and "cell 1" in failure and "only even seeds" in failure
