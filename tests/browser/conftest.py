"""Pages in a real browser: Debian's chromium (``/usr/bin/chromium``, which ``./dev`` installs)
driven by Playwright, against the application served by uvicorn on a free local port.

Each pytest worker serves its own SQLite records database, with the two-county city of
``tests/web`` (an account of each role, parcels with shapes, a run with findings), once for
the session; each test gets a fresh browser context (no cookies) and fails on any error the
page writes to the console or throws. Without chromium the tests fail: they are never skipped.
"""

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    StorageState,
    expect,
    sync_playwright,
)
from sqlalchemy import Engine

from mujun.records.database import open_engine, upgrade
from mujun.web.app import create_app
from tests.web.conftest import PASSWORD, build_city, keep_run

CHROMIUM = Path("/usr/bin/chromium")
WAIT_MS = 15_000
"""How long an expectation waits for the page before it fails (not a timing assertion)."""


@dataclass(frozen=True)
class Site:
    url: str
    engine: Engine
    run: int


@contextmanager
def serving(engine: Engine) -> Iterator[str]:
    """The application on ``engine``, on a free port of 127.0.0.1 in a thread of this worker:
    its URL, while it serves."""
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(engine), log_level="warning", lifespan="on", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the application did not start serving", pytrace=False)
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    listening.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The application on the city of ``tests/web``, for the session."""
    engine = open_engine(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'records.db'}")
    upgrade(engine)
    run = keep_run(build_city(engine))
    with serving(engine) as url:
        yield Site(url=url, engine=engine, run=run)
    engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless (Playwright's own browsers are never downloaded)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"the browser tests need Debian's chromium at {CHROMIUM}: run ./dev test, which "
            "installs it, or apt-get install chromium fonts-noto-cjk",
            pytrace=False,
        )
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--lang=zh-CN"],
            # Chinese as the browser's language (chromium-l10n), so that a date field reads
            # 2024/07/02 as on an official's computer; the codeset stays UTF-8 for file names.
            env={**os.environ, "LANGUAGE": "zh_CN", "LANG": "C.UTF-8"},
            headless=True,
        )
        yield launched
        launched.close()


@dataclass
class BrowserErrors:
    """What a page wrote to the console as an error, or threw; a test names those it expects
    (a refused page's 403 is logged by the browser as a failed load)."""

    seen: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)

    def expect(self, pattern: str) -> None:
        self.expected.append(re.compile(pattern))

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.seen.append(f"console: {message.text} ({where})")

    def on_page_error(self, error: Error) -> None:
        self.seen.append(f"page error: {error.message}\n{error.stack or ''}")

    def unexpected(self) -> list[str]:
        return [e for e in self.seen if not any(p.search(e) for p in self.expected)]


def watched(page: Page, errors: BrowserErrors) -> Page:
    """``page``, its console errors and uncaught exceptions noted in ``errors``."""
    page.on("console", errors.on_console)
    page.on("pageerror", errors.on_page_error)
    return page


@pytest.fixture
def browser_errors() -> BrowserErrors:
    return BrowserErrors()


Motion = Literal["reduce", "no-preference"]
"""What the reader's system asks of moving content (prefers-reduced-motion)."""


class Browse(Protocol):
    def __call__(self, username: str | None = None, *, motion: Motion = ...) -> Page: ...


@pytest.fixture(scope="session")
def signed_in_states(browser: Browser, site: Site) -> Callable[[str], StorageState]:
    """Each account's browser state (its session cookie), signed in once through the API for
    the whole session: the password hash is slow on purpose, and the sign-in form has tests
    of its own."""
    kept: dict[str, StorageState] = {}

    def state(username: str) -> StorageState:
        if username not in kept:
            context = browser.new_context(base_url=site.url)
            signed = context.request.post(
                "/api/session", data={"username": username, "password": PASSWORD}
            )
            assert signed.ok, signed.text()
            kept[username] = context.storage_state()
            context.close()
        return kept[username]

    return state


@pytest.fixture
def browse(
    browser: Browser,
    site: Site,
    browser_errors: BrowserErrors,
    signed_in_states: Callable[[str], StorageState],
) -> Iterator[Browse]:
    """Open a page in a new browser context (Chinese, no cookies, or signed in as one of the
    accounts of ``tests.web.conftest.ACCOUNTS``); the test fails on any console error or
    uncaught exception of its pages."""
    contexts: list[BrowserContext] = []

    def open_page(username: str | None = None, *, motion: Motion = "no-preference") -> Page:
        context = browser.new_context(
            base_url=site.url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            reduced_motion=motion,
            storage_state=None if username is None else signed_in_states(username),
        )
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return watched(context.new_page(), browser_errors)

    yield open_page
    for context in contexts:
        context.close()
    unexpected = browser_errors.unexpected()
    assert not unexpected, "the browser reported errors:\n" + "\n".join(unexpected)


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in form, as a person would, and wait for the page it leads to
    (the parcels, or the sign-in page again with the reason)."""
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
