"""A real Chromium (Debian's, at CHROMIUM_PATH) driven by Playwright against the real app,
served on a free loopback port from a thread of the test process.

The server thread uses the test's database connection, so the browser sees the rows a test
made and everything is rolled back afterwards. It handles one request at a time, which keeps
that single connection from being used by two threads at once.
"""

import os
import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# As the machine's own probe found: without these, Chromium as root or in a closed network
# refuses to start or stalls on background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass  # the app's own access log already records each request


@pytest.fixture
def live_server(wsgi_app, app_registry) -> Iterator[str]:
    server: WSGIServer = make_server("127.0.0.1", 0, wsgi_app, handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM_PATH):
        pytest.fail(f"Chromium is not at {CHROMIUM_PATH}: run `make browser` or set CHROMIUM_PATH")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
