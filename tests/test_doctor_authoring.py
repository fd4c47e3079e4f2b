from __future__ import annotations

import io
import subprocess
import sys

import nbformat
import pytest

from warmup_course import doctor
from warmup_course.authoring import build_student, execute_notebook, hygiene_problems, student_copy


def test_doctor_passes_here_and_prints_one_line_per_check():
    proc = subprocess.run([sys.executable, "-m", "warmup_course", "doctor"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    checks = [ln for ln in lines if ln.startswith(("OK", "WARN", "FAIL"))]
    assert len(checks) == len(doctor.CHECKS)
    assert any("data/digits.npz" in ln and ln.startswith("OK") for ln in checks)
    assert any("course time" in ln for ln in lines)


def test_doctor_exits_1_on_a_failed_check(monkeypatch):
    monkeypatch.setattr(doctor, "CHECKS", [doctor.check_python, lambda: doctor.check_import("no_such_module_xyz")])
    out = io.StringIO()
    assert doctor.run(out) == 1
    assert "FAIL" in out.getvalue() and "no_such_module_xyz" in out.getvalue()


def test_doctor_reports_a_corrupt_data_file(monkeypatch, tmp_path):
    import warmup_course.data as data

    bad = tmp_path / "digits.npz"
    bad.write_bytes(b"not a zip")
    for attr in ("DIGITS_PATH", "DIGITS_FILE"):
        if hasattr(data, attr):
            monkeypatch.setattr(data, attr, bad)
    monkeypatch.setenv("WARMUP_COURSE_DATA_DIR", str(tmp_path))
    check = doctor.check_data()
    assert check.status == "FAIL" and "digits" in check.detail


def _nb(cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = cells
    return nb


def test_execute_writes_counts_in_order_and_student_copy_strips_solutions(tmp_path):
    md = nbformat.v4.new_markdown_cell
    code = nbformat.v4.new_code_cell
    sol = code("answer = 42\nprint(answer)")
    sol.metadata["tags"] = ["solution"]
    nb = _nb([md("# 09 · Test\nhook"), md("## What you will learn"), code("answer = ..."), sol,
              code("print('done')"), md("## Key takeaways")])
    path = tmp_path / "09_test.ipynb"
    nbformat.write(nb, path)
    execute_notebook(path)
    done = nbformat.read(path, as_version=4)
    assert "widgets" not in done.metadata
    assert [c.execution_count for c in done.cells if c.cell_type == "code"] == [1, 2, 3]
    assert hygiene_problems(path) == []
    (out,) = build_student([path], tmp_path / "student")
    student = nbformat.read(out, as_version=4)
    sources = [c.source for c in student.cells]
    assert "answer = 42\nprint(answer)" not in sources and "answer = ..." in sources
    assert all(c.outputs == [] and c.execution_count is None for c in student.cells if c.cell_type == "code")
    assert student_copy(done).cells[0].source.startswith("# 09")
    done.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    assert "widgets" not in student_copy(done).metadata


def test_execute_refuses_to_write_a_failing_notebook(tmp_path):
    nb = _nb([nbformat.v4.new_code_cell("raise ValueError('boom')")])
    path = tmp_path / "10_fail.ipynb"
    nbformat.write(nb, path)
    before = path.read_text()
    with pytest.raises(Exception, match="boom"):
        execute_notebook(path)
    assert path.read_text() == before
