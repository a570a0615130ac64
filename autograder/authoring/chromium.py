"""Headless Chromium, driven through Playwright, for handouts and the browser test.

The workbook never downloads a browser: it uses the system's Chromium (Debian's ``chromium``
package), so nothing is fetched at run time and offline machines work.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

INSTALL_HINT = (
    "Install Chromium first: on Debian or Ubuntu run `sudo apt-get install chromium "
    "chromium-driver`, or point WORKBOOK_CHROMIUM at a Chromium or Chrome executable."
)

# A closed network makes Chromium's background services retry forever and slows every start;
# these switches keep it to the pages we open.
QUIET_FLAGS = (
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


class ChromiumMissing(RuntimeError):
    pass


def chromium_path() -> Path:
    """The Chromium executable to drive, or ``ChromiumMissing`` saying how to install one."""
    configured = os.environ.get("WORKBOOK_CHROMIUM")
    candidates = [configured] if configured else ["chromium", "chromium-browser", "google-chrome"]
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return Path(found)
    raise ChromiumMissing(f"No Chromium found (looked for {', '.join(candidates)}). {INSTALL_HINT}")


@contextmanager
def headless_chromium() -> Iterator[Browser]:
    """A headless Chromium with a fresh profile, closed on exit."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    flags = list(QUIET_FLAGS)
    if hasattr(os, "getuid") and os.getuid() == 0:
        # Chromium's sandbox cannot start as root (containers, CI); without root it stays on.
        flags.append("--no-sandbox")
    # Playwright gives every launch a fresh, temporary profile of its own.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=flags
        )
        try:
            yield browser
        finally:
            browser.close()
