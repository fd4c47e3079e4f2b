"""Repository-wide pytest hooks: report how much nbval checked, so a run that checks nothing is visible, and where
the browser test left its screenshots."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parent / "build" / "screenshots"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    cells: Counter[str] = Counter()
    browser = False
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if outcome != "skipped" and "test_browser.py" in nodeid:
                browser = True
            if getattr(report, "when", "call") != "call" or "::Cell " not in nodeid:
                continue
            cells[nodeid.split("::", 1)[0]] += 1
    if cells:
        mode = "lax (cells run, outputs not compared)" if config.getoption("nbval_lax", False) else "strict"
        terminalreporter.write_line(
            f"nbval {mode}: checked {sum(cells.values())} cells in {len(cells)} notebooks"
        )
    if browser and SCREENSHOTS.is_dir():
        shots = len(list(SCREENSHOTS.glob("*.png")))
        terminalreporter.write_line(f"browser test: {shots} screenshots in build/screenshots/ (JupyterLab and the site)")
