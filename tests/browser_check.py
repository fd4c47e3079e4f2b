"""Drive the course's JupyterLab (and its static site) in headless Chromium: the helpers of tests/test_browser.py.

What a learner would see is checked in the page itself:

- every committed figure displays (``img`` loaded, ``naturalWidth > 0``);
- no formula renders as a MathJax error (``mjx-merror``) or stays as raw ``$...$`` text;
- no "Error displaying widget";
- no SEVERE message in the browser console;
- explorers (cells whose outputs hold ipywidgets controls after running) redraw their figure when each slider,
  dropdown or checkbox is moved.

The JupyterLab server runs on 127.0.0.1, on a free port, with a token, against a temporary copy of the
notebooks and temporary Jupyter config/data/runtime/settings dirs, and is stopped by its PID. Selenium is given
the chromedriver path, so it never downloads one.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_JUPYTER = Path(sys.prefix) / "share" / "jupyter"
ENABLE_HINT = "headless Chromium not found: `apt-get install chromium chromium-driver` (Debian/Ubuntu) enables the browser test"

# Console messages that are not the course's doing: JupyterLab probing optional endpoints and the like.
BENIGN_CONSOLE = (
    "favicon.ico",
    "/api/kernelspecs",  # kernelspec logos absent
    "/lab/api/news",  # the news fetch (disabled, but an early probe may 404 / be aborted)
    "/api/contents/.ipynb_checkpoints",
    "/lab/api/workspaces",
    "/api/events/subscribe",
    # Chromium's note when the test navigates away from a notebook page; the test's doing, not the course's
    "Blocked attempt to show a 'beforeunload' confirmation panel",
)


def browser_paths() -> tuple[str, str] | None:
    """(chromium, chromedriver) executables, or None when either is missing."""
    chrome = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
    if not chrome or not driver:
        return None
    return chrome, driver


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """A JupyterLab server started by :func:`start_lab`; ``stop()`` ends it by PID."""

    proc: subprocess.Popen
    port: int
    token: str
    root: Path
    log: Path

    def url(self, path: str = "lab") -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path}{sep}token={self.token}"

    def api(self, path: str, method: str = "GET", body: dict | None = None):
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            data = r.read()
        return json.loads(data) if data else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: the server and the kernels it started
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start_lab(root: Path, tmp: Path, *, timeout: float = 60.0) -> Lab:
    """Start the course's JupyterLab (the venv's jupyter, the venv's share/jupyter on JUPYTER_PATH) on ``root``."""
    env = dict(os.environ)
    for var, sub in [("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTER_CONFIG_DIR", "config"),
                     ("JUPYTER_DATA_DIR", "data"), ("IPYTHONDIR", "ipython"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces")]:
        (tmp / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(tmp / sub)
    # Test-only user setting: render every cell (no windowing), so that off-screen figures and math are in the DOM.
    tracker = tmp / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True, exist_ok=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in [str(VENV_JUPYTER), env.get("JUPYTER_PATH", "")] if p)
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
    env.pop("MAKEFLAGS", None)
    port, token = free_port(), secrets.token_hex(16)
    log = tmp / "lab.log"
    jupyter = Path(sys.executable).with_name("jupyter")
    cmd = [str(jupyter), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True", "--ServerApp.open_browser=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    lab = Lab(proc, port, token, root, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited ({proc.returncode}):\n{log.read_text()}")
        try:
            lab.api("api/status")
            return lab
        except OSError:
            time.sleep(0.3)
    lab.stop()
    raise RuntimeError(f"jupyter lab did not answer within {timeout:.0f} s:\n{log.read_text()}")


def start_browser(driver_path: str, chrome_path: str, *, width: int = 1400, height: int = 1000):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome_path
    for arg in ("--headless=new", f"--window-size={width},{height}", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--disable-extensions", "--mute-audio"):
        opts.add_argument(arg)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        opts.add_argument("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=driver_path)  # an explicit path: Selenium Manager never downloads a driver
    return webdriver.Chrome(service=service, options=opts)


# ------------------------------------------------------------------------------------------------ page checks

PAGE_PROBLEMS_JS = r"""
const root = arguments[0] ? document.querySelector(arguments[0]) : document;
const problems = [];
const imgs = Array.from(root.querySelectorAll('img'));
let figures = 0;
for (const img of imgs) {
  if (img.closest('.jp-Toolbar, .jp-SideBar, .lm-MenuBar, .jp-LauncherCard, .cm-editor') || img.classList.contains('cm-widgetBuffer')) continue;
  figures += 1;
  if (!img.complete || img.naturalWidth === 0) problems.push('figure does not display: ' + (img.getAttribute('src') || '').slice(0, 60));
}
for (const e of root.querySelectorAll('mjx-merror, .mjx-merror, .MathJax_Error, merror, .merror')) {
  problems.push('math error: ' + (e.getAttribute('data-mjx-error') || e.getAttribute('title') || e.textContent).slice(0, 120));
}
// MathJax 2's noErrors extension shows the TeX source in a red box instead of an merror
for (const e of root.querySelectorAll('.MathJax_CHTML, .MathJax')) {
  if (/color:\s*(red|rgb\(255, 0, 0\))/i.test(e.getAttribute('style') || '') || e.querySelector('[style*="color: red"]'))
    problems.push('math error: ' + e.textContent.slice(0, 120));
}
// an explorer saved without a static view: the reader sees the widget's repr
for (const e of root.querySelectorAll('.jp-OutputArea-output, .output_area pre, .jp-RenderedText')) {
  const t = e.textContent.trim();
  if (/^[A-Za-z_]\w*\(children=\(/.test(t)) problems.push('explorer shows as text: ' + t.slice(0, 60));
}
const text = root.body ? root.body.innerText : root.innerText;
if (/Error displaying widget/.test(text)) problems.push('Error displaying widget');
for (const e of root.querySelectorAll('.jp-RenderedMarkdown, .jp-RenderedHTMLCommon, .jp-MarkdownOutput, .text_cell_render, .jp-MarkdownCell .jp-InputArea-output')) {
  // math MathJax did not typeset stays as $...$ text (outside code)
  const clone = e.cloneNode(true);
  clone.querySelectorAll('code, pre, mjx-container, script').forEach(x => x.remove());
  const m = clone.textContent.match(/\$\$[^$]+\$\$|(^|[^\\$])\$[^$\s][^$]*\$/);
  if (m && !/\$\d/.test(m[0])) problems.push('math left as text: ' + m[0].trim().slice(0, 80));
}
return {problems: problems, figures: figures, math: root.querySelectorAll('mjx-container, .MathJax_CHTML').length};
"""


def page_problems(driver, selector: str | None = None) -> dict:
    return driver.execute_script(PAGE_PROBLEMS_JS, selector)


def console_errors(driver) -> list[str]:
    """SEVERE browser-console messages since the last call, less the known benign ones."""
    try:
        entries = driver.get_log("browser")
    except Exception:  # noqa: BLE001 - a driver without logs
        return []
    return [e["message"] for e in entries
            if e.get("level") == "SEVERE" and not any(b in e["message"] for b in BENIGN_CONSOLE)]


def wait_for(driver, js: str, timeout: float, *args, interval: float = 0.2):
    """Poll ``js`` (a function body returning a value) until it is truthy; return it (or the last value)."""
    from selenium.common.exceptions import TimeoutException

    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        try:
            value = driver.execute_script(js, *args)
        except TimeoutException:
            # The page did not answer within the driver's script timeout: a tab still rendering a long notebook
            # while the machine is busy (the explorer runs execute notebooks alongside). Not ready yet: poll again.
            value = None
        if value:
            return value
        time.sleep(interval)
    return value


NOTEBOOK_READY_JS = r"""
const app = window.jupyterapp; if (!app) return false;
const w = app.shell.currentWidget;
if (!w || !w.content || !w.context || !w.context.isReady) return false;
if (w.context.path !== arguments[0]) return false;
const nb = w.content;
// every markdown cell rendered, MathJax done (no pending typesetting), every output image attached
const pending = document.querySelectorAll('.jp-MarkdownCell:not(.jp-mod-rendered)').length;
return pending === 0 && nb.widgets.length > 0;
"""

# Wait until the images are loaded and the MathJax output is stable.
STABLE_JS = r"""
const imgs = Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) img, body > img'));
return imgs.every(i => i.complete);
"""


@dataclass
class NotebookReport:
    path: str
    problems: list[str] = field(default_factory=list)
    figures: int = 0
    math: int = 0
    explorers: int = 0
    controls_moved: int = 0
    seconds: float = 0.0


def open_notebook(driver, lab: Lab, rel: str, *, timeout: float = 240.0, workspace: str | None = None) -> None:
    # 240 s: on 2 busy cores (the explorer runs execute notebooks alongside) a long notebook took over 60 s to render
    # several browsers on one server: each in its own JupyterLab workspace
    driver.get(lab.url(f"lab/workspaces/{workspace}/tree/{rel}?reset" if workspace else f"lab/tree/{rel}?reset"))
    if not wait_for(driver, NOTEBOOK_READY_JS, timeout, rel):
        raise TimeoutError(f"{rel} did not open in JupyterLab within {timeout:.0f} s")
    wait_for(driver, STABLE_JS, 15)
    # MathJax typesets asynchronously: wait until the count of typeset formulas stops changing.
    last, same = -1, 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and same < 3:
        n = driver.execute_script("return document.querySelectorAll('mjx-container, mjx-merror').length")
        same = same + 1 if n == last else 0
        last = n
        time.sleep(0.25)


def check_static(driver, lab: Lab, rel: str, shots: Path | None) -> NotebookReport:
    """Open ``rel`` (committed outputs, nothing run) and list what a reader would see broken."""
    start = time.monotonic()
    report = NotebookReport(rel)
    console_errors(driver)  # drop what earlier pages logged
    open_notebook(driver, lab, rel)
    found = page_problems(driver, ".jp-NotebookPanel:not(.lm-mod-hidden)")
    report.problems += found["problems"]
    report.figures, report.math = found["figures"], found["math"]
    report.problems += [f"console: {m[:200]}" for m in console_errors(driver)]
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(shots / f"lab_{Path(rel).stem}.png"))
        # where an explorer stands, what a reader sees before running anything
        if driver.execute_script(SCROLL_TO_SAVED_WIDGET_JS):
            time.sleep(0.5)
            driver.save_screenshot(str(shots / f"lab_{Path(rel).stem}_explorer_not_run.png"))
    report.seconds = time.monotonic() - start
    return report


SCROLL_TO_SAVED_WIDGET_JS = r"""
const nb = window.jupyterapp.shell.currentWidget.content;
for (const cell of nb.widgets) {
  if (cell.model.type !== 'code') continue;
  const outs = cell.model.outputs;
  for (let j = 0; j < outs.length; j++) {
    if ('application/vnd.jupyter.widget-view+json' in outs.get(j).data) {
      cell.outputArea.node.scrollIntoView({block: 'start'});
      return true;
    }
  }
}
return false;
"""


# ------------------------------------------------------------------------------------------------ explorers

RUN_THROUGH_JS = r"""
// Select the last cell whose source builds widgets (or the last cell tagged nbval-ignore-output), run everything
// above it and it. Returns the index run through, or -1 when the notebook has no explorer.
const app = window.jupyterapp; const panel = app.shell.currentWidget; const nb = panel.content;
let last = -1;
nb.widgets.forEach((cell, i) => {
  if (cell.model.type !== 'code') return;
  const tags = cell.model.getMetadata('tags') || [];
  const src = cell.model.sharedModel.getSource();
  const builds = /(interact|explorer|Explorer|Slider|Dropdown)\w*\s*\(/.test(src);
  if (tags.includes('nbval-ignore-output') && builds) last = i;
});
if (last < 0) return -1;
nb.activeCellIndex = last;
nb.deselectAll();
app.commands.execute('notebook:run-all-above').then(() => app.commands.execute('notebook:run-cell'));
return last;
"""

KERNEL_DONE_JS = r"""
const panel = window.jupyterapp.shell.currentWidget; const nb = panel.content;
const upto = arguments[0];
const k = panel.sessionContext.session && panel.sessionContext.session.kernel;
if (!k) return false;
for (let i = 0; i <= upto; i++) {
  const c = nb.widgets[i];
  if (c.model.type !== 'code' || !c.model.sharedModel.getSource().trim()) continue;
  if (c.model.executionCount === null || c.model.executionCount === undefined) return false;
  if (c.promptNode && /\*/.test(c.promptNode.textContent)) return false;
}
if (k.status !== 'idle') return false;
const errs = Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
  .map(e => e.textContent).filter(t => /Traceback|Error/.test(t));
return {ok: true, errors: errs.slice(0, 3)};
"""

CONTROLS_JS = r"""
// The explorers on the page: for each output area holding widget controls, its controls and figures.
const out = [];
document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell .jp-OutputArea').forEach((area, a) => {
  const controls = Array.from(area.querySelectorAll('.widget-slider, .widget-dropdown, .widget-checkbox, .widget-toggle-buttons'))
    .filter(c => !c.classList.contains('mod-disabled') && !c.querySelector(':disabled') && !c.querySelector('[disabled]'));
  if (!controls.length) return;
  area.setAttribute('data-explorer', String(a));
  controls.forEach((c, i) => c.setAttribute('data-control', a + '-' + i));
  out.push({area: String(a), controls: controls.map((c, i) => ({id: a + '-' + i,
    kind: c.classList.contains('widget-dropdown') ? 'dropdown' : c.classList.contains('widget-checkbox') ? 'checkbox'
          : c.classList.contains('widget-toggle-buttons') ? 'toggle' : 'slider',
    label: (c.querySelector('.widget-label') || {}).textContent || ''}))});
});
return out;
"""

FIGURE_STATE_JS = r"""
const area = document.querySelector('[data-explorer="' + arguments[0] + '"]');
if (!area) return null;
const imgs = Array.from(area.querySelectorAll('img')).map(i => (i.getAttribute('src') || '').length + ':' + (i.getAttribute('src') || '').slice(-80));
const text = Array.from(area.querySelectorAll('.widget-output .jp-OutputArea-output')).map(e => e.textContent).join('|');
return {imgs: imgs, text: text, loaded: Array.from(area.querySelectorAll('img')).every(i => i.complete && i.naturalWidth > 0)};
"""

DISABLED_JS = r"""
const c = document.querySelector('[data-control="' + arguments[0] + '"]');
return !c || c.classList.contains('mod-disabled') || !!c.querySelector(':disabled, [disabled]');
"""

LABEL_CUT_JS = r"""
// a control's description label that is cut (ellipsis): its text is wider than the box that shows it
const c = document.querySelector('[data-control="' + arguments[0] + '"]');
const l = c && c.querySelector('.widget-label');
return l && l.textContent.trim() && l.scrollWidth > l.clientWidth + 1 ? l.textContent : null;
"""


def move_control(driver, control: dict) -> str:
    """Move one control the way a user would; returns what was done."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    el = driver.find_element(By.CSS_SELECTOR, f'[data-control="{control["id"]}"]')
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    if control["kind"] == "dropdown":
        sel = Select(el.find_element(By.TAG_NAME, "select"))
        n = len(sel.options)
        current = int(sel.first_selected_option.get_attribute("index") or 0)
        sel.select_by_index((current + 1) % n if n > 1 else 0)
        return f"dropdown {control['label']!r} -> option {(current + 1) % max(n, 1)}"
    if control["kind"] == "checkbox":
        el.find_element(By.CSS_SELECTOR, "input").click()
        return f"checkbox {control['label']!r} toggled"
    if control["kind"] == "toggle":
        buttons = el.find_elements(By.CSS_SELECTOR, "button:not(.mod-active)")
        buttons[0].click()
        return f"toggle {control['label']!r}"
    handle = el.find_element(By.CSS_SELECTOR, ".noUi-handle, .slider-handle, .ui-slider-handle")
    track = el.find_element(By.CSS_SELECTOR, ".noUi-target, .slider, .ui-slider")
    width = track.size["width"]
    # drag a quarter of the track, towards the side with more room
    frac = driver.execute_script(
        "const t = arguments[0].getBoundingClientRect(), h = arguments[1].getBoundingClientRect();"
        "return (h.left + h.width / 2 - t.left) / t.width;", track, handle)
    dx = int(width * 0.25) * (1 if frac < 0.5 else -1)
    ActionChains(driver).click_and_hold(handle).move_by_offset(dx // 2, 0).move_by_offset(dx - dx // 2, 0).release().perform()
    return f"slider {control['label']!r} dragged {dx:+d} px of {width}"


def leave_notebook(driver) -> None:
    """Stop the page's kernel and mark the notebook clean, so that leaving it asks nothing (no beforeunload)."""
    try:
        driver.execute_script("const p = window.jupyterapp.shell.currentWidget; if (!p || !p.context) return;"
                              " p.context.model.dirty = false; return p.sessionContext.shutdown();")
    except Exception:  # noqa: BLE001 - the page may already be gone
        pass


def check_explorers(driver, lab: Lab, rel: str, shots: Path | None, *, run_timeout: float = 600.0,
                    redraw_timeout: float = 20.0, workspace: str | None = None) -> NotebookReport:
    """Run ``rel`` in the browser through its last explorer, move every control, check each redraws a figure."""
    start = time.monotonic()
    report = NotebookReport(rel)
    console_errors(driver)
    current = driver.execute_script("const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                                    " return w && w.context ? w.context.path : null;")
    if current != rel:  # check_static may have opened it already: one page load per notebook
        open_notebook(driver, lab, rel, workspace=workspace)
    wait_for(driver, "const p = window.jupyterapp.shell.currentWidget; const k = p.sessionContext.session"
                     " && p.sessionContext.session.kernel; return k && k.status === 'idle';", 60)
    upto = driver.execute_script(RUN_THROUGH_JS)
    if upto < 0:
        report.seconds = time.monotonic() - start
        return report
    done = wait_for(driver, KERNEL_DONE_JS, run_timeout, upto, interval=0.5)
    if not done:
        report.problems.append(f"running through cell {upto} did not finish within {run_timeout:.0f} s")
        leave_notebook(driver)
        return report
    report.problems += [f"error while running: {e[:200]}" for e in done.get("errors", [])]
    explorers = wait_for(driver, "return (" + "function(){" + CONTROLS_JS + "})()", 15)
    explorers = explorers or []
    report.explorers = len(explorers)
    if not explorers:
        report.problems.append("no explorer controls appeared after running the notebook")
    for ex in explorers:
        for control in ex["controls"]:
            if driver.execute_script(DISABLED_JS, control["id"]):
                continue  # disabled by an earlier move (e.g. W when the shape has no warmup length)
            cut = driver.execute_script(LABEL_CUT_JS, control["id"])
            if cut:
                report.problems.append(f"label cut: {cut!r}")
            before = wait_for(driver, "const s = (function(){" + FIGURE_STATE_JS + "}).apply(null, arguments);"
                                      " return s && s.imgs.length && s.loaded ? s : null;", 60, ex["area"])
            if not before:
                report.problems.append(f"explorer {ex['area']}: no figure before moving {control['label']!r}")
                continue
            what = move_control(driver, control)
            after = wait_for(
                driver,
                "const s = (function(){" + FIGURE_STATE_JS + "}).apply(null, arguments);"
                " return s && s.loaded && s.imgs.length && JSON.stringify(s.imgs) !== arguments[1] ? s : null;",
                redraw_timeout, ex["area"], json.dumps(before["imgs"]))
            report.controls_moved += 1
            if not after:
                now = driver.execute_script(FIGURE_STATE_JS, ex["area"]) or {}
                report.problems.append(f"figure did not redraw after {what}" + (f" (shows: {now.get('text', '')[:120]!r})"
                                                                                  if now.get("text") else ""))
    found = page_problems(driver, ".jp-NotebookPanel:not(.lm-mod-hidden)")
    report.problems += found["problems"]
    report.problems += [f"console: {m[:200]}" for m in console_errors(driver)]
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(shots / f"lab_{Path(rel).stem}_explorer_moved.png"))
    leave_notebook(driver)
    report.seconds = time.monotonic() - start
    return report


# ------------------------------------------------------------------------------------------------ static site

def check_site_page(driver, url: str, shots: Path | None, name: str) -> NotebookReport:
    """Open one page of the static site (file:// URL) and list broken figures, math and links."""
    report = NotebookReport(name)
    console_errors(driver)
    driver.get(url)
    wait_for(driver, "return document.readyState === 'complete'", 20)
    # MathJax (v2 or v3) finishes typesetting: wait until the number of typeset formulas stops changing
    last, same = -1, 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and same < 3:
        n = driver.execute_script("return document.querySelectorAll('mjx-container, .MathJax_CHTML, .MathJax,"
                                  " mjx-merror').length + (window.MathJax && MathJax.Hub && MathJax.Hub.queue"
                                  " && MathJax.Hub.queue.pending ? 1000 : 0)")
        same = same + 1 if n == last else 0
        last = n
        time.sleep(0.25)
    found = page_problems(driver)
    report.problems += found["problems"]
    report.figures, report.math = found["figures"], found["math"]
    broken = driver.execute_script(r"""
      const bad = [];
      for (const a of document.querySelectorAll('a[href]')) {
        const h = a.getAttribute('href');
        if (/^(https?:|mailto:|#)/.test(h)) continue;
        if (/\.ipynb(#|$)/.test(h)) { bad.push(h + ' (links to .ipynb)'); continue; }
      }
      return bad;""")
    report.problems += [f"broken link: {b}" for b in broken]
    report.problems += [f"console: {m[:200]}" for m in console_errors(driver)]
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(shots / f"site_{name}.png"))
    return report
