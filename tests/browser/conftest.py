"""Browser tests: the real app served over HTTP from a thread, driven by Debian's Chromium through
Playwright for Python (no browser download: ``executable_path`` is the system's Chromium).

``make browser`` installs Chromium (and poppler's ``pdftotext``, used to read the PDF) when missing.
Screenshots go to ``test-artifacts/screenshots/`` (git-ignored).
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("REPERES_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium (make browser installs it)")


@pytest.fixture(scope="session")
def live_server(app):
    """The session's app on a real HTTP server (127.0.0.1, free port), in a thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (installs Debian's chromium)", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: `pip install playwright` (never `playwright install`)",
                    pytrace=False)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class Problems(list):
    """Console errors, page errors and CSP violations seen by a page."""

    def watch(self, page):
        page.on("console", lambda m: self.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.append(f"page error: {e}"))
        return page


@pytest.fixture
def new_page(browser, live_server):
    """Open pages in fresh contexts (own localStorage); every console error is a test failure."""
    contexts, problems = [], Problems()

    def open_page(path: str = "/", *, axe: bool = False, **context_options):
        options = {"viewport": {"width": 1280, "height": 900}, "locale": "fr-FR", "timezone_id": "Europe/Paris",
                   "base_url": live_server, **context_options}
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        if axe:  # injected through the DevTools protocol: not subject to the page's CSP
            context.add_init_script(path=str(AXE))
        contexts.append(context)
        page = problems.watch(context.new_page())
        page.goto(path)
        return page

    open_page.problems = problems
    yield open_page
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="session")
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(page, name: str):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    return shoot


def pdf_text(data: bytes) -> str:
    """The text of a PDF, by poppler's pdftotext (installed by `make browser`)."""
    import subprocess
    import tempfile

    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.fail("pdftotext is missing: run `make browser` (installs poppler-utils)", pytrace=False)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        return subprocess.run([exe, "-layout", f.name, "-"], check=True, capture_output=True, text=True).stdout
