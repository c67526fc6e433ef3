"""In a real browser, a notebook's slider redraws its figure.

JupyterLab runs headless on a free port; Debian's Chromium (driven by Playwright) opens the
notebook, runs all cells, moves the first ipywidgets slider and checks that the matplotlib
image in the same output changed. This is what nbval cannot see: the widget JavaScript, the
comm round trip to the kernel, and the redraw.
"""

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
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
