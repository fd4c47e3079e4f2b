"""Repository-wide pytest hooks: report how much nbval checked, so a run that checks nothing is visible."""

from __future__ import annotations

from collections import Counter


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    cells: Counter[str] = Counter()
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") != "call" or "::Cell " not in report.nodeid:
                continue
            cells[report.nodeid.split("::", 1)[0]] += 1
    if cells:
        mode = "lax (cells run, outputs not compared)" if config.getoption("nbval_lax", False) else "strict"
        terminalreporter.write_line(
            f"nbval {mode}: checked {sum(cells.values())} cells in {len(cells)} notebooks"
        )
