"""Real-browser tests: the built book works offline, and a notebook's slider redraws its figure.

Debian's Chromium, driven by Playwright, does what nbval cannot:

- ``test_book_pages_render_offline`` serves the built book (``_build/html``, made by
  ``make book``) on localhost and opens every page with every other host blocked, checking
  that each page loads with no console error, no failed request, all math typeset by the
  vendored MathJax and no broken image.
- ``test_slider_redraws_figure`` runs JupyterLab headless on a free port, opens a notebook,
  runs all cells, moves the first ipywidgets slider and checks that the matplotlib image in the
  same output changed: the widget JavaScript, the comm round trip to the kernel, and the redraw.
"""

import contextlib
import functools
import http.server
import json
import os
import posixpath
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/01_exchange_fields.ipynb"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google's hosts, which this
# machine's closed network refuses; the user data dir is a fresh temporary one per test.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SERVER_START_TIMEOUT = 60  # s
KERNEL_START_TIMEOUT = 30  # s
CELL_RUN_TIMEOUT = 45_000  # ms: all cells up to the slider, in fast mode
REDRAW_TIMEOUT = 20_000  # ms

# Any ipywidgets slider (IntSlider, FloatSlider, SelectionSlider, ...) and any inline PNG.
SLIDER = ".widget-slider"
SLIDER_HANDLE = ".noUi-handle"
PNG = "img[src^='data:image/png']"
KERNEL_IDLE = """() => {
    const kernel = window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel;
    return kernel?.connectionStatus === 'connected' && kernel?.status === 'idle';
}"""


def _skip_or_fail(reason):
    """CI sets SPINLAB_REQUIRE_BROWSER=1 so that a missing browser is a failure, not a skip."""
    if os.environ.get("SPINLAB_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " (and SPINLAB_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server over the repo; yields (base_url, token); always shut down."""
    port, token = _free_port(), secrets.token_hex(16)
    # Private settings/config dirs: the user's own settings (themes, open tabs, autosave)
    # must not change what the browser sees. Autosave off so the run never writes outputs
    # into the repository's notebook.
    settings = tmp_path / "lab-settings"
    (settings / "@jupyterlab" / "docmanager-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings").write_text(
        json.dumps({"autosave": False})
    )
    env = dict(
        os.environ,
        SPINLAB_FAST="1",
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
    )
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
        f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={ROOT}",
        # Opening a notebook writes a checkpoint copy; keep it out of the repository.
        f"--FileCheckpoints.checkpoint_dir={tmp_path / 'checkpoints'}",
        # Lets the test call JupyterLab commands (run all cells) through window.jupyterapp.
        "--LabApp.expose_app_in_browser=True",
    ]
    log_path = tmp_path / "jupyter-lab.log"
    notebook_before = (ROOT / NOTEBOOK).read_bytes()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not start:\n{log_path.read_text()}")
                time.sleep(0.25)
        yield base, token
    finally:
        # The kernel is a child of the server: signal the whole process group.
        with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever outlived SIGTERM
        proc.wait()
        assert (ROOT / NOTEBOOK).read_bytes() == notebook_before, "the browser run modified the notebook"


@pytest.fixture
def sync_playwright():
    """Checked before `lab`, so that a skip does not start a server first."""
    if not Path(CHROMIUM).exists():
        _skip_or_fail(f"{CHROMIUM} not found (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    return sync_playwright


def test_slider_redraws_figure(sync_playwright, lab, tmp_path):
    base, token = lab
    console = []
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000},
        )
        page = browser.new_page()
        try:
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=30_000)
            page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget",
                                   timeout=30_000)
            dialog = page.locator(".jp-Dialog")

            # Run-all before the kernel is up skips every cell, so wait for an idle kernel,
            # answering the kernel-selection dialog (unknown kernelspec) with its default.
            deadline = time.monotonic() + KERNEL_START_TIMEOUT
            while not page.evaluate(KERNEL_IDLE):
                if dialog.is_visible():
                    dialog.locator(".jp-mod-accept").click()
                if time.monotonic() > deadline:
                    raise TimeoutError("the notebook's kernel did not become idle")
                page.wait_for_timeout(200)
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

            output = (page.locator(".jp-OutputArea-output")
                      .filter(has=page.locator(SLIDER)).filter(has=page.locator(PNG)).first)
            output.wait_for(timeout=CELL_RUN_TIMEOUT)
            # A handle, not the locator: while the figure is redrawn the output has no PNG.
            area = output.element_handle()
            before = output.locator(PNG).first.get_attribute("src")

            output.locator(SLIDER_HANDLE).first.focus()
            for _ in range(3):
                page.keyboard.press("ArrowRight")

            changed = page.wait_for_function(
                "([area, png, old]) => { const img = area.querySelector(png);"
                " const src = img && img.getAttribute('src'); return src !== old && src; }",
                arg=[area, PNG, before], timeout=REDRAW_TIMEOUT,
            )
            after = changed.json_value()
        except Exception:
            with contextlib.suppress(Exception):
                page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            print("browser console:", *console[-40:], sep="\n")
            print("jupyter lab log:", (tmp_path / "jupyter-lab.log").read_text()[-4000:], sep="\n")
            raise
        finally:
            browser.close()
    assert after and after != before


# --- The built book, offline ------------------------------------------------------------------

# `make book` builds it here; SPINLAB_BOOK_HTML names another build (jupyter-book --path-output).
BOOK_HTML = Path(os.environ.get("SPINLAB_BOOK_HTML", ROOT / "_build" / "html"))
PAGE_TIMEOUT = 30_000  # ms: load, widgets and math of one page
# Widgets render after the page's load event: wait until each saved view has its subarea.
WIDGETS_RENDERED = """() => [...document.querySelectorAll(
        'script[type="application/vnd.jupyter.widget-view+json"]')]
    .every(s => s.parentElement.querySelector('.widget-subarea > *'))"""
# MathJax 3 resolves startup.promise when the page is typeset; the widget labels queued through
# book/_static/widgets/setup.js are chained on it.
MATH_TYPESET = """async () => {
    const mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) await mj.startup.promise;
    return true;
}"""
# Everything a reader should see rendered, as data for the assertions below.
PAGE_REPORT = """async () => {
    const images = [...document.images];
    for (const img of images) if (img.loading === 'lazy') img.loading = 'eager';
    await Promise.all(images.map(img => img.decode().catch(() => null)));
    // Raw TeX left in text a reader sees; code and MathJax's own output are not prose.
    const skip = 'pre, code, script, style, textarea, mjx-container, .highlight';
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const rawTex = [];
    for (let node; (node = walker.nextNode());) {
        const text = node.textContent;
        if (/\\\\\\(|\\\\\\[|\\$\\$/.test(text) && !node.parentElement.closest(skip))
            rawTex.push(text.trim().slice(0, 80));
    }
    const math = [...document.querySelectorAll('.math')];
    return {
        rawTex,
        untypeset: math.filter(m => !m.querySelector('mjx-container'))
                       .map(m => m.textContent.trim().slice(0, 80)),
        // TeX errors, and undefined macros (MathJax shows their names in red).
        texErrors: [...document.querySelectorAll(
                        'mjx-merror, mjx-assistive-mml mtext[mathcolor="red"]')]
                       .map(e => (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 80)),
        brokenImages: images.filter(img => !(img.complete && img.naturalWidth > 0))
                            .map(img => (img.getAttribute('src') || '').slice(0, 80)),
    };
}"""


def _book_pages():
    """Every HTML page of the built book, as paths relative to _build/html."""
    skip = {"_static", "_sources", "_images", "reports"}
    return sorted(
        path.relative_to(BOOK_HTML).as_posix() for path in BOOK_HTML.rglob("*.html")
        if not skip & set(path.relative_to(BOOK_HTML).parts[:-1])
    )


def _redirect(rel):
    """The page that `rel` forwards to by a meta refresh (jupyter-book's index.html), or None."""
    html = (BOOK_HTML / rel).read_text(errors="replace")
    refresh = r"""<meta\s+http-equiv=["']refresh["']\s+content=["'][^"']*url=([^"']+)["']"""
    match = re.search(refresh, html, re.IGNORECASE)
    return posixpath.normpath(posixpath.join(posixpath.dirname(rel), match[1])) if match else None


def _toc_pages():
    """The pages _toc.yml asks for (root and chapters), as HTML paths."""
    import yaml  # PyYAML comes with jupyter-book and JupyterLab

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    stack = [toc]
    while stack:
        entry = stack.pop()
        for key in ("parts", "chapters", "sections"):
            for child in entry.get(key, []):
                if "file" in child:
                    files.append(child["file"])
                stack.append(child)
    return sorted(f + ".html" for f in files)


@pytest.fixture(scope="module")
def book_server():
    """The built book on a local HTTP server (stdlib); yields its base URL."""
    if not (BOOK_HTML / "index.html").is_file():
        pytest.fail(f"{BOOK_HTML} has no built book: run `make book` first (CI builds it before "
                    "`make test`)")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(BOOK_HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _check_page(context, base, rel, shot):
    """Open page `rel` of the book at `base`; return its problems as lines (none: it is fine)."""
    problems = []
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"uncaught exception: {e}"))
    # Requests to other hosts fail too, blocked: the test reports those as needing the network.
    page.on("requestfailed", lambda r: r.url.startswith(base) and
            problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    try:
        page.goto(base + rel, wait_until="load", timeout=PAGE_TIMEOUT)
        page.wait_for_function(WIDGETS_RENDERED, timeout=PAGE_TIMEOUT)
        page.evaluate(MATH_TYPESET)
        report = page.evaluate(PAGE_REPORT)
        # Late console errors (e.g. a widget label typeset after the page) arrive by now.
        page.wait_for_timeout(200)
    except Exception as exc:  # a page that does not finish loading is a problem, not a crash
        problems.append(f"did not finish rendering: {str(exc).splitlines()[0]}")
        report = {}
    for text in report.get("rawTex", []):
        problems.append(f"unrendered math: {text!r}")
    for text in report.get("untypeset", []):
        problems.append(f"math element without MathJax output: {text!r}")
    for text in report.get("texErrors", []):
        problems.append(f"MathJax error: {text!r}")
    for src in report.get("brokenImages", []):
        problems.append(f"broken image: {src}")
    found = list(problems)  # what closing the page cancels is not a problem of the page
    if found:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(shot), full_page=True)
    page.close()
    return found


def test_book_pages_render_offline(sync_playwright, book_server, tmp_path):
    """Every page of the built book renders completely with no network."""
    pages = _book_pages()
    missing = sorted(set(_toc_pages()) - set(pages))
    assert not missing, f"pages of _toc.yml missing from {BOOK_HTML}: {missing}"

    external, failures = [], {}

    def only_localhost(route):
        if route.request.url.startswith(book_server):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort("blockedbyclient")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for rel in pages:
                target = _redirect(rel)
                if target is not None:  # nothing to render: the target is checked as a page
                    if target not in pages:
                        failures[rel] = [f"redirects to {target}, which is not in the book"]
                    continue
                # A fresh context per page: every page is a first visit (no stored state).
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                context.route("**/*", only_localhost)
                before = len(external)
                problems = _check_page(context, book_server, rel,
                                       tmp_path / (rel.replace("/", "_") + ".png"))
                problems += [f"needs the network: {u}" for u in external[before:]]
                context.close()
                if problems:
                    failures[rel] = problems
        finally:
            browser.close()

    def listing(lines, most=12):
        lines = list(dict.fromkeys(lines))  # each distinct problem once, in order
        more = [f"... and {len(lines) - most} more"] if len(lines) > most else []
        return "\n".join(f"    {line}" for line in lines[:most] + more)

    report = "\n".join(f"{rel}:\n{listing(lines)}" for rel, lines in failures.items())
    assert not failures, (f"{len(failures)} of {len(pages)} pages do not render cleanly offline "
                          f"(screenshots in {tmp_path}):\n{report}")
