"""The report in a real browser: headless Chromium driven over the DevTools protocol.

Opens ``index.html`` and one event page from ``file://`` and asserts that every
chart rendered (plotly's SVG elements with traces exist), that no console
error or uncaught exception occurred, and that no request left the machine
(every URL is ``file:``, ``data:``, ``blob:`` or ``about:``). Takes screenshots
of the sample study (``events.csv`` on the bundled ``examples/prices``) at
desktop and phone width; with ``EVENTSTUDY_SCREENSHOTS=1`` they replace the
README's ``reports/{study,event}-{desktop,phone}.png`` (otherwise they go to a
temporary folder, so running the tests changes no tracked file).

Needs Debian's ``chromium`` (``.ci/run`` installs it when absent) and the
``websockets`` package (a dependency of yfinance; listed in the test extras).
Skipped with the reason when either is missing.
"""

from __future__ import annotations

import base64
import html
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, SAMPLE_PRICES

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser")) if p), None)
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome-error:")
DESKTOP = (1280, 2000)
PHONE = (390, 1800)
SCREENSHOTS_ENV = "EVENTSTUDY_SCREENSHOTS"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed (.ci/run installs "
        "Debian's chromium when it runs as root; apt-get install chromium)",
    ),
]


class DevTools:
    """A minimal synchronous Chrome DevTools protocol client over one websocket."""

    def __init__(self, url: str) -> None:
        from websockets.sync.client import connect

        try:  # no proxy: the browser listens on 127.0.0.1
            conn = connect(url, max_size=None, open_timeout=20, proxy=None)
        except TypeError:  # websockets < 15 has no proxy support
            conn = connect(url, max_size=None, open_timeout=20)
        self.ws = conn.__enter__()
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while True:
            reply = self._recv(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._event(reply, session)

    def _recv(self, deadline: float) -> dict[str, Any]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no reply from chromium")
        return json.loads(self.ws.recv(timeout=left))

    def _event(self, msg: dict[str, Any], session: str | None) -> None:
        self.events.append(msg)
        # An alert() would block the page: dismiss it (the test fails on it later).
        if msg.get("method") == "Page.javascriptDialogOpening":
            self.ws.send(
                json.dumps(
                    {
                        "id": -1,
                        "method": "Page.handleJavaScriptDialog",
                        "params": {"accept": False},
                        "sessionId": msg.get("sessionId", session),
                    }
                )
            )

    def wait_for(self, method: str, session: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for m in self.events:
                if (
                    m.get("method") == method
                    and m.get("sessionId") == session
                    and not m.get("_seen")
                ):
                    m["_seen"] = True
                    return m
            self._event(self._recv(deadline), None)

    def close(self) -> None:
        self.ws.close()


class Browser:
    """Headless Chromium with remote debugging on a free local port, no network features."""

    def __init__(self, profile: Path) -> None:
        pytest.importorskip("websockets", reason="the browser test needs the websockets package")
        args = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--hide-scrollbars",
            "--mute-audio",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.quit()
                pytest.skip("chromium did not start (no DevToolsActivePort)")
            time.sleep(0.1)
        port, path = port_file.read_text().split()[:2]
        self.cdp = DevTools(f"ws://127.0.0.1:{port}{path}")

    def open(self, url: str, size: tuple[int, int], mobile: bool = False, js: bool = True) -> Page:
        target = self.cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self.cdp, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.send(f"{domain}.enable")
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": mobile},
        )
        if not js:
            page.send("Emulation.setScriptExecutionDisabled", {"value": True})
        page.send("Page.navigate", {"url": url})
        self.cdp.wait_for("Page.loadEventFired", session, timeout=60)
        if js:
            page.wait_charts()
        return page

    def quit(self) -> None:
        if getattr(self, "cdp", None):
            self.cdp.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Page:
    def __init__(self, cdp: DevTools, session: str) -> None:
        self.cdp, self.session = cdp, session

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.cdp.send(method, params, self.session)

    def eval(self, expr: str) -> Any:
        res = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in res:
            raise RuntimeError(f"{expr}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def charts(self) -> list[dict[str, Any]]:
        return self.eval("""Array.from(document.querySelectorAll('[data-figure]')).map(d => ({
            id: d.id, plotly: d.classList.contains('js-plotly-plot'),
            svg: d.querySelectorAll('svg.main-svg').length,
            traces: d.querySelectorAll('g.trace').length}))""")

    def wait_charts(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            charts = self.charts()
            if self.eval("document.readyState") == "complete" and all(
                c["svg"] and c["traces"] for c in charts
            ):
                return
            time.sleep(0.1)

    def mine(self) -> list[dict[str, Any]]:
        return [e for e in self.cdp.events if e.get("sessionId") == self.session]

    def errors(self) -> list[str]:
        out = []
        for e in self.mine():
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(json.dumps(p.get("exceptionDetails", {}))[:500])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(json.dumps(p.get("args", []))[:500])
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(p["entry"].get("text", "")[:500])
        return out

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.mine()
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def dialogs(self) -> list[str]:
        return [
            e["params"].get("message", "")
            for e in self.mine()
            if e.get("method") == "Page.javascriptDialogOpening"
        ]

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(base64.b64decode(data))
        os.replace(tmp, path)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.quit()


def assert_healthy(page: Page, n_charts: int | None) -> None:
    charts = page.charts()
    assert n_charts is None or len(charts) == n_charts, charts
    for c in charts:
        assert c["plotly"] and c["svg"] >= 1 and c["traces"] >= 1, f"chart did not render: {c}"
    assert page.errors() == []
    remote = [u for u in page.requests() if not u.startswith(LOCAL_SCHEMES)]
    assert remote == [], f"requests left the machine: {remote}"
    assert page.dialogs() == []


def assert_same_figures(page: Page, index: Path, event_id: str) -> None:
    """Each chart drawn on the page has the traces and titles of Python's figure."""
    import eventstudy as es
    from eventstudy.report.book import book_of
    from eventstudy.report.event_figures import ar_spec, car_spec, price_spec, scatter_spec

    res = es.EventStudy.from_csv(ROOT / "events.csv").run(prices=SAMPLE_PRICES)
    book = book_of(res)
    i = book.index(event_id)
    specs = {
        "price": price_spec(book, i),
        "car": car_spec(book, i, with_id=False),
        "ar": ar_spec(book, i, with_id=False),
        "scatter": scatter_spec(book, i),
    }
    for name, spec in specs.items():
        drawn = page.eval(f"""(function () {{ var d = document.getElementById('{name}');
            return {{title: d.layout.title.text, traces: d.data.map(function (t) {{
                return {{name: t.name, type: t.type, y: t.y}}; }})}}; }})()""")
        assert drawn["title"] == spec["layout"]["title"]["text"], name
        want = [{"name": t.get("name"), "type": t["type"], "y": t.get("y")} for t in spec["data"]]
        assert drawn["traces"] == want, name


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import eventstudy as es

    res = es.EventStudy.from_csv(ROOT / "events.csv").run(prices=SAMPLE_PRICES)
    res.meta["events_source"] = "events.csv"
    out = tmp_path_factory.mktemp("sample-report")
    return Path(res.to_html(str(out)))


def test_sample_study_renders_offline_and_screenshots(
    browser: Browser, sample_report: Path, tmp_path: Path
):
    # The README's screenshots are rewritten only when asked for:
    # EVENTSTUDY_SCREENSHOTS=1 pytest tests/test_report_browser.py
    shots = ROOT / "reports" if os.environ.get(SCREENSHOTS_ENV) else tmp_path
    for name, size, mobile in (("desktop", DESKTOP, False), ("phone", PHONE, True)):
        page = browser.open(sample_report.as_uri(), size, mobile)
        assert_healthy(page, n_charts=2)
        rows = page.eval("document.querySelectorAll('#events-table tbody tr').length")
        assert rows == 10
        if mobile:  # nothing but the tables may be wider than a phone
            assert page.eval("document.documentElement.scrollWidth") <= size[0] + 1
        page.screenshot(shots / f"study-{name}.png")
        event = sample_report.parent / "events" / "msft-openai-mou-2025.html"
        page = browser.open(event.as_uri(), size, mobile)
        assert_healthy(page, n_charts=4)
        if not mobile:  # the charts report.js assembles are the figures Python builds
            assert_same_figures(page, sample_report, "msft-openai-mou-2025")
        if mobile:
            assert page.eval("document.documentElement.scrollWidth") <= size[0] + 1
        page.screenshot(shots / f"event-{name}.png")
    for name in ("study-desktop", "study-phone", "event-desktop", "event-phone"):
        assert (shots / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_hostile_text_stays_text_in_the_browser(browser: Browser, tmp_path: Path):
    from tests.test_report import HOSTILE_DESCRIPTIONS, HTML_ID, TRAVERSAL_ID, synthetic_result

    res = synthetic_result(n_events=3, seed=3, hostile=True)
    index = Path(res.to_html(str(tmp_path / "xss")))
    page = browser.open(index.as_uri(), DESKTOP)
    assert_healthy(page, n_charts=2)
    assert page.eval("document.querySelectorAll('img').length") == 0
    text = page.eval("document.body.innerText")
    for bad in HOSTILE_DESCRIPTIONS:
        assert bad in text
    # Filtering and paging the events table works without errors.
    page.eval(
        "var q = document.querySelector('[data-controls] input[type=search]');"
        "q.value = 'etc'; q.dispatchEvent(new Event('input'));"
    )
    assert page.eval("document.querySelectorAll('#events-table tbody tr').length") == 1
    href = page.eval("document.querySelector('#events-table tbody tr a').getAttribute('href')")
    event_page = (index.parent / href).resolve()
    assert event_page.parent == (index.parent / "events").resolve()
    page = browser.open(event_page.as_uri(), DESKTOP)
    assert_healthy(page, n_charts=0)  # failed: no prices, so no charts, only the reason
    assert page.eval("document.querySelectorAll('img').length") == 0
    assert TRAVERSAL_ID in page.eval("document.querySelector('h1').textContent")
    assert "no prices" in page.eval("document.querySelector('.notice').textContent")
    for eid, n in ((HTML_ID, 4), ("Deal/A", 4)):
        href = next(
            h
            for h in (index.parent / "events").glob("*.html")
            if eid in html.unescape(h.read_text(encoding="utf-8"))
        )
        page = browser.open(href.as_uri(), DESKTOP)
        assert_healthy(page, n_charts=n)
        assert page.eval("document.querySelectorAll('img, b').length") == 0
        assert page.eval("document.querySelector('h1').textContent") == eid


def test_events_table_pages_a_thousand_rows(browser: Browser, tmp_path: Path):
    from tests.test_report import synthetic_result

    res = synthetic_result(n_events=1000, seed=5)
    from eventstudy.report import write_index

    index = write_index(res, tmp_path / "big")
    page = browser.open(index.as_uri(), DESKTOP)
    assert_healthy(page, n_charts=2)
    assert page.eval("document.querySelectorAll('#events-table tbody tr').length") == 50
    assert "of 1000" in page.eval("document.querySelector('[data-controls] .info').textContent")
    page.eval("document.querySelector('[data-controls] button.next').click()")
    first = page.eval("document.querySelector('#events-table tbody tr').getAttribute('data-key')")
    assert first == str(res.events["event_id"].iloc[50])
    # Sorting by a CAR column puts the largest CAR first on a descending click.
    page.eval(
        "document.querySelector('#events-table thead th[data-col=car_0_0] button').click();"
        "document.querySelector('#events-table thead th[data-col=car_0_0] button').click()"
    )
    top = page.eval("document.querySelector('#events-table tbody tr').getAttribute('data-key')")
    car00 = res.car[(res.car["start"] == 0) & (res.car["end"] == 0)]
    assert top == str(car00.loc[car00["car"].idxmax(), "event_id"])
    # Filtering by status and by text, as before the rows moved into compact JSON.
    page.eval(
        "var s = document.querySelector('[data-controls] select[name=status]');"
        "s.value = 'failed'; s.dispatchEvent(new Event('change'));"
    )
    keys = page.eval(
        "Array.from(document.querySelectorAll('#events-table tbody tr'))"
        ".map(r => r.getAttribute('data-key'))"
    )
    assert keys == list(res.events.loc[res.events["status"] == "failed", "event_id"])
    page.eval(
        "var s = document.querySelector('[data-controls] select[name=status]');"
        "s.value = ''; s.dispatchEvent(new Event('change'));"
        "var q = document.querySelector('[data-controls] input[type=search]');"
        "q.value = 'E0123'; q.dispatchEvent(new Event('input'));"
    )
    assert page.eval("document.querySelectorAll('#events-table tbody tr').length") == 1
    assert "(filtered from 1000)" in page.eval(
        "document.querySelector('[data-controls] .info').textContent"
    )
    assert page.errors() == []
    # Without JavaScript: the first 50 rows as HTML and a note that says so.
    plain = browser.open(index.as_uri(), DESKTOP, js=False)
    assert plain.eval("document.querySelectorAll('#events-table tbody tr').length") == 50
    assert "first 50 of 1000 events" in plain.eval("document.body.innerText")
