"""The course in a real browser: JupyterLab and the static site in headless Chromium (Selenium).

For every notebook: it opens, every committed figure displays, no formula renders as a MathJax error, no
"Error displaying widget", no explorer shows as text, no browser-console error. In the notebooks with explorers
the notebook runs in the browser through its last explorer; each slider, dropdown and checkbox is moved and the
figure must change. The static site (``make site``) is built and opened too: figures, math, links.

The planted notebooks in ``tests/fixtures/`` prove that each check fails on the problem it is for.

JupyterLab runs against a temporary copy of ``notebooks/`` (autosave cannot touch the reference) with temporary
Jupyter dirs, on 127.0.0.1, a free port and a token; it is stopped by its PID. Screenshots: ``build/screenshots/``.
Needs Chromium and its driver (Debian: ``apt-get install chromium chromium-driver``); without them the module is
skipped with one line that says so.
"""

from __future__ import annotations

import json
import queue
import re
import shutil
from pathlib import Path

import pytest

import browser_check as B

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHOTS = ROOT / "build" / "screenshots"
LOCAL_MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")

PATHS = B.browser_paths()
if PATHS is None:
    pytest.skip(B.ENABLE_HINT, allow_module_level=True)


def has_explorer(path: Path) -> bool:
    """A code cell tagged nbval-ignore-output that builds widgets (an explorer), found from the file alone."""
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        src = "".join(cell.get("source", ""))
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") == "code" and "nbval-ignore-output" in tags and re.search(
                r"(interact|explorer|Explorer|explore|Slider|Dropdown)\w*\s*\(", src):
            return True
    return False


EXPLORER_NOTEBOOKS = [p for p in NOTEBOOKS if has_explorer(p)]
#: Browsers running explorer notebooks side by side (each kernel is single-threaded: one per core).
EXPLORER_BROWSERS = 2


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """(driver, lab): JupyterLab on a temporary copy of notebooks/ (+ the planted notebooks), and Chromium."""
    tmp = tmp_path_factory.mktemp("browser")
    root = tmp / "course"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(FIXTURES, root / "planted")
    # the explorer runs work on their own copies (own paths, own kernels), in parallel with the reading checks
    shutil.copytree(ROOT / "notebooks", root / "run", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    chrome, driver_path = PATHS
    lab = B.start_lab(root, tmp / "jupyter")
    driver = None
    try:
        driver = B.start_browser(driver_path, chrome)
        yield driver, lab
    finally:
        if driver is not None:
            driver.quit()
        lab.stop()
    # Autosave and "Run All" wrote into the copy; the reference notebooks/ were never served.
    assert lab.root == root and (ROOT / "notebooks").resolve() not in root.resolve().parents


def _fail(report: B.NotebookReport) -> str:
    return f"{report.path}: " + "; ".join(report.problems)


# ------------------------------------------------------------------------------------------ the real course

def test_lab_ships_the_course_settings(session):
    """First launch does not ask about Jupyter news: the course's overrides.json sets fetchNews = "false"."""
    _, lab = session
    plugin = lab.api("lab/api/settings/@jupyterlab/apputils-extension:notification")
    assert plugin["schema"]["properties"]["fetchNews"]["default"] == "false", (
        "the course's JupyterLab settings overrides are not installed (make install copies "
        "jupyter-settings/overrides.json into the venv's share/jupyter/lab/settings)")


@pytest.fixture(scope="module")
def explorer_runs(session):
    """{notebook: Future[NotebookReport]}: every explorer notebook run in the browser, EXPLORER_BROWSERS at a time
    (each its own Chromium, its own JupyterLab workspace, its own kernel), started at once in the background."""
    from concurrent.futures import ThreadPoolExecutor

    _, lab = session
    chrome, driver_path = PATHS
    n = max(1, min(EXPLORER_BROWSERS, len(EXPLORER_NOTEBOOKS)))
    free: queue.Queue = queue.Queue()
    drivers = []
    pool = ThreadPoolExecutor(max_workers=n)
    try:
        for i in range(n):
            drivers.append(B.start_browser(driver_path, chrome))
            free.put((f"explore{i}", drivers[-1]))

        def run(path: Path) -> B.NotebookReport:
            workspace, driver = free.get()
            try:
                return B.check_explorers(driver, lab, f"run/{path.name}", SHOTS, workspace=workspace)
            finally:
                free.put((workspace, driver))

        yield {p: pool.submit(run, p) for p in EXPLORER_NOTEBOOKS}
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for d in drivers:
            d.quit()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_in_the_browser(session, explorer_runs, path):
    """Read as committed (nothing run); if it has explorers, its run (in the background, on a copy) moved every
    control and each redrew the figure."""
    driver, lab = session
    report = B.check_static(driver, lab, path.name, SHOTS)
    problems = list(report.problems)
    if "Would you like to get notified" in driver.find_element("tag name", "body").text:
        problems.append("JupyterLab asks about Jupyter news")
    B.leave_notebook(driver)
    if path in explorer_runs:
        run = explorer_runs[path].result(timeout=1800)
        problems += run.problems
        if not (run.explorers >= 1 and run.controls_moved >= 1):
            problems.append(f"explorers found: {run.explorers}, controls moved: {run.controls_moved}")
    assert problems == [], f"{path.name}: " + "; ".join(problems)


# ------------------------------------------------------------------------------------------ the static site

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from warmup_course.authoring import build_site

    out = tmp_path_factory.mktemp("site")
    mathjax = f"{LOCAL_MATHJAX.as_uri()}?config=TeX-AMS_CHTML" if LOCAL_MATHJAX.exists() else None
    build_site(NOTEBOOKS, out / "course", mathjax_url=mathjax)
    build_site(sorted(FIXTURES.glob("planted_broken_*.ipynb")), out / "planted", mathjax_url=mathjax)
    return out, mathjax is not None


def test_site_pages_show_figures_math_and_links(session, site):
    driver, _ = session
    out, local_math = site
    pages = sorted((out / "course").glob("*.html"))
    assert {p.stem for p in pages} == {p.stem for p in NOTEBOOKS} | {"index"}
    problems = []
    for page in pages:
        report = B.check_site_page(driver, page.as_uri(), SHOTS, page.stem)
        problems += [f"{page.name}: {p}" for p in report.problems]
        if local_math and page.stem != "index":
            assert report.math > 0, f"{page.name}: no formula was typeset (MathJax did not run)"
        for href in re.findall(r'href="([^"#:]+)(?:#[^"]*)?"', page.read_text(encoding="utf-8")):
            if not (page.parent / href).exists():
                problems.append(f"{page.name}: link to {href} has no page")
    assert problems == []
    index = (out / "course" / "index.html").read_text(encoding="utf-8")
    for nb in NOTEBOOKS:
        assert f'href="{nb.stem}.html"' in index, f"the site index does not link {nb.stem}"


# ------------------------------------------------------------------------------------------ planted problems

def test_planted_broken_formula_is_flagged(session):
    driver, lab = session
    report = B.check_static(driver, lab, "planted/planted_broken_formula.ipynb", None)
    errors = [p for p in report.problems if p.startswith("math")]
    assert len(errors) >= 2, report.problems  # the backspace and the unclosed brace, one error each


def test_planted_broken_figure_is_flagged(session):
    driver, lab = session
    report = B.check_static(driver, lab, "planted/planted_broken_figure.ipynb", None)
    assert any(p.startswith("figure does not display") for p in report.problems), report.problems


def test_planted_widget_saved_as_text_is_flagged(session):
    driver, lab = session
    report = B.check_static(driver, lab, "planted/planted_widget_as_text.ipynb", None)
    assert any(p.startswith("explorer shows as text") for p in report.problems), report.problems


def test_planted_explorer_that_does_not_redraw_is_flagged(session):
    driver, lab = session
    report = B.check_explorers(driver, lab, "planted/planted_frozen_explorer.ipynb", None, redraw_timeout=6)
    assert report.controls_moved == 1, report
    assert any("did not redraw" in p for p in report.problems), report.problems


def test_planted_problems_are_flagged_on_the_site_too(session, site):
    driver, _ = session
    out, local_math = site
    figure = B.check_site_page(driver, (out / "planted" / "planted_broken_figure.html").as_uri(), None, "f")
    assert any(p.startswith("figure does not display") for p in figure.problems), figure.problems
    if local_math:
        formula = B.check_site_page(driver, (out / "planted" / "planted_broken_formula.html").as_uri(), None, "m")
        assert any(p.startswith("math") for p in formula.problems), formula.problems


def test_skip_line_says_how_to_enable():
    assert "apt-get install chromium chromium-driver" in B.ENABLE_HINT and "\n" not in B.ENABLE_HINT
