"""The running system, shared by the end-to-end tests (it takes ~15 s to start)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.e2e.stack import Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    running = Stack(tmp_path_factory.mktemp("e2e")).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def sandbox_stack(tmp_path_factory):
    """The embedded default, as `make run` starts it: sandbox transport, simulator on."""
    running = Stack(tmp_path_factory.mktemp("sandbox"), sandbox=True).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def db(stack):
    # A plain engine: the desk's own takes SQLite's write lock on BEGIN, and this
    # long-lived reader must not hold it while the system works.
    engine = sa.create_engine(stack.database_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()
