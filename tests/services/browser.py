"""Headless Chromium for the report tests: found, or installed from Debian's ``chromium`` package.

Two ways to look at a page:
- :func:`dump_dom`: ``--dump-dom``, the DOM after the page's own scripts ran (what a reader sees);
- :class:`DevTools`: the DevTools protocol over ``--remote-debugging-pipe`` (no websocket library,
  no open port), to click, type, read back, and to record every console message, uncaught
  exception and JavaScript dialog, so a test can prove that no injected script ran.

Every launch uses a fresh ``--user-data-dir`` and no network services of Chromium's own.
Outside CI a machine without Chromium (and without root or apt-get to install it) skips the browser
tests; with ``CI`` set they fail instead, so a green CI always means the browser really ran.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
    "--disable-dev-shm-usage",
)


class BrowserUnavailable(RuntimeError):
    """No Chromium here and no way to install it."""


def _which() -> str | None:
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def find_chromium(install: bool = True) -> str:
    """The Chromium binary; installs Debian's ``chromium`` with apt-get (as root) when missing."""
    found = _which()
    if found or not install:
        if found:
            return found
        raise BrowserUnavailable("chromium is not installed")
    from tests.services.apt import AptUnavailable
    from tests.services.apt import install as apt_install

    try:
        apt_install(["chromium"], purpose="Chromium")
    except AptUnavailable as exc:
        raise BrowserUnavailable(str(exc)) from None
    found = _which()
    if not found:
        raise BrowserUnavailable("chromium was installed but no binary was found")
    return found


def require_chromium() -> str:
    """For tests: the binary, or a skip outside CI, or a loud failure in CI."""
    import pytest

    try:
        return find_chromium()
    except BrowserUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {exc}")
        pytest.skip(str(exc))
        raise  # unreachable: skip raises


def dump_dom(page: Path, timeout: float = 90, chromium: str | None = None) -> str:
    """The serialised DOM after the page's scripts ran."""
    binary = chromium or require_chromium()
    with tempfile.TemporaryDirectory(prefix="enforcer-chromium-") as profile:
        done = subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    if done.returncode != 0:
        raise AssertionError(f"chromium failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


class DevTools:
    """One headless Chromium driven over the DevTools protocol on a pipe (fds 3 and 4)."""

    def __init__(self, chromium: str | None = None, timeout: float = 30) -> None:
        self.binary = chromium or require_chromium()
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._next = 0
        self._buf = b""
        self._profile = tempfile.TemporaryDirectory(prefix="enforcer-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire() -> None:  # in the child: Chromium reads commands on 3 and answers on 4
            r, w = os.dup(to_browser_r), os.dup(from_browser_w)  # never dup2 a fd onto itself
            os.dup2(r, 3, inheritable=True)
            os.dup2(w, 4, inheritable=True)

        self.proc = subprocess.Popen(
            [
                self.binary,
                *FLAGS,
                f"--user-data-dir={self._profile.name}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,
            close_fds=False,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.session: str | None = None

    # -- protocol ----------------------------------------------------------------------
    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: bool = True
    ) -> dict[str, Any]:
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(left, 0))
            if not ready:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise ConnectionError("chromium closed the DevTools pipe")
            self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\0")
        return json.loads(raw)

    def wait_for(self, method: str) -> dict[str, Any]:
        for e in self.events:
            if e.get("method") == method:
                return e
        while True:
            e = self._read()
            self.events.append(e)
            if e.get("method") == method:
                return e

    # -- conveniences ------------------------------------------------------------------
    def open(self, page: Path) -> None:
        """Open ``page`` in a new tab and wait until it has loaded (its scripts have run)."""
        self.events.clear()  # events describe the page now open, not an earlier one
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send(
            "Target.attachToTarget", {"targetId": target, "flatten": True}, session=False
        )["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send("Page.navigate", {"url": page.as_uri()})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def events_named(self, method: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("method") == method]

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self.send("Browser.close", session=False)
                except (TimeoutError, ConnectionError, OSError):
                    pass
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            for fd in (self._to_browser, self._from_browser):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._profile.cleanup()

    def __enter__(self) -> DevTools:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
