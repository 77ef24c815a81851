"""Every HTML page the CLI writes, rendered in headless Chromium (Debian's `chromium` package) at a 1280 px wide
viewport: no console errors, no network requests, no horizontal overflow, and the key figures as the browser
shows them equal the JSON values in the units the JSON declares.

The browser is driven over the DevTools protocol through a pipe (--remote-debugging-pipe: JSON messages ended
by NUL on file descriptors 3 and 4), so no websocket library or downloaded browser is needed. Skipped, with the
reason, where no chromium is installed. Set ACCELOPT_SCREENSHOTS=DIR to keep a full-page PNG of each page.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from _pages import KEY_FIGURE_PATHS, Page, check_figure, check_shown

from accelopt.report.figures import KINDS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)")
VIEWPORT_W = 1280
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe"]
TIMEOUT_S = 60.0


class Browser:
    """A headless Chromium and one page target, spoken to with DevTools protocol messages over a pipe."""

    def __init__(self, profile_dir: Path) -> None:
        to_child_r, self._to_child_w = os.pipe()  # chromium reads commands on its fd 3
        self._from_child_r, from_child_w = os.pipe()  # and writes replies and events on its fd 4

        def fds() -> None:  # in the child: the pipe ends onto fds 3 and 4 (kept open: listed in pass_fds)
            r, w = os.dup(to_child_r), os.dup(from_child_w)  # copies above 4, in case either end is 3 or 4
            os.dup2(r, 3)
            os.dup2(w, 4)

        assert CHROMIUM is not None
        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile_dir}", "about:blank"],
                                     pass_fds=(3, 4, to_child_r, from_child_w), preexec_fn=fds,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride", {"width": VIEWPORT_W, "height": 900,
                                                         "deviceScaleFactor": 1, "mobile": False}, session=True)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child_r], [], [], left)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._from_child_r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        out: dict[str, Any] = json.loads(msg)
        return out

    def call(self, method: str, params: dict[str, Any] | None = None, session: bool = False) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_child_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                assert "error" not in reply, (method, reply["error"])
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_for(self, method: str) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read(deadline))

    def evaluate(self, expression: str) -> Any:
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True)
        return r["result"].get("value")

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_for("Page.loadEventFired")

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):  # it may close the pipe before answering
            self.call("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._to_child_w)
        os.close(self._from_child_r)


@pytest.fixture
def pages(result_pages: dict[str, Page]) -> dict[str, Page]:
    return result_pages


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


def _problems(events: list[dict[str, Any]], url: str) -> list[str]:
    out = []
    for e in events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.exceptionThrown":
            out.append(f"exception: {p['exceptionDetails'].get('text')}")
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append(f"console.{p['type']}: {p.get('args')}")
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            out.append(f"log error: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        elif m == "Network.requestWillBeSent" and p["request"]["url"] != url:
            out.append(f"network request: {p['request']['url']}")
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_page_in_chromium(pages: dict[str, Page], browser: Browser, kind: str) -> None:
    page = pages[kind]
    url = page.path.resolve().as_uri()
    browser.open(url)
    assert browser.evaluate("document.title").startswith("accelopt")
    problems = _problems(browser.events, url)
    assert not problems, problems
    width = browser.evaluate("document.scrollingElement.scrollWidth")
    assert width <= VIEWPORT_W, f"{kind}: page is {width} px wide at a {VIEWPORT_W} px viewport"
    shown = dict(browser.evaluate(
        "[...document.querySelectorAll('td.kf')].map(td => "
        "[td.previousElementSibling.childNodes[0].textContent, td.innerText])"))
    for label in KEY_FIGURE_PATHS[kind]:
        check_figure(kind, page.document, label, shown[label])
    folder = os.environ.get("ACCELOPT_SCREENSHOTS")
    if folder:
        png = browser.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                           session=True)["data"]
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{kind}.png").write_bytes(base64.b64decode(png))


def test_history_compare_page_in_chromium(browser: Browser, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """`history compare --html` (not a result kind: made here from two recorded runs, one of them with a `<script>`
    in its command line and model name): no errors or requests, no overflow, the script is text, and the A / B
    cells as the browser shows them equal the JSON."""
    from conftest import run_main_expect

    from accelopt.report import history

    explain = ("plan", "explain", "--hardware", "h100-sxm", "--devices", "64", "--tp", "8", "--json")
    run_main_expect(capsys, *explain, "--model", "llama3-8b")
    first = history.load("latest")
    hostile = "<script>window.pwned=1</script>"
    history.record(first.command, [*first.argv, hostile], {**first.result, "model": hostile})
    id_b, id_a = (r.id for r in history.list_runs(limit=2))
    path = tmp_path / "compare.html"
    doc = json.loads(run_main_expect(capsys, "history", "compare", id_a, id_b, "--json", "--html", str(path))[0])
    url = path.resolve().as_uri()
    browser.open(url)
    assert browser.evaluate("document.title").startswith("accelopt history compare")
    assert not _problems(browser.events, url)
    assert browser.evaluate("typeof window.pwned") == "undefined"
    assert browser.evaluate("document.scrollingElement.scrollWidth") <= VIEWPORT_W
    shown = browser.evaluate("[...document.querySelectorAll('tr.cf')].map(tr => "
                             "[tr.querySelector('td.a').innerText, tr.querySelector('td.b').innerText])")
    assert len(shown) == len(doc["figures"]) > 0
    for (a, b), f in zip(shown, doc["figures"], strict=True):
        check_shown(a, f["a"], f["unit"], f"A {f['figure']}")
        check_shown(b, f["b"], f["unit"], f"B {f['figure']}")
