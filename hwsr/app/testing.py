"""Helpers to drive the web app for real: a server on a thread, Debian's headless Chromium,
and ink written onto the page's canvas as trusted pen input.

Used by ``tests/app`` and ``scripts/app_screenshot.py``; Selenium is imported only here, on
use. Nothing is downloaded: the browser and its driver are the system's (``apt-get install
chromium chromium-driver``).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator, Sequence

import numpy as np

from hwsr.strokes import to_stroke_list

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage")
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def find_chromium() -> tuple[str, str] | None:
    """``(browser, driver)`` paths of the system's Chromium and chromedriver, or None."""
    browser = next((p for p in CHROMIUM if shutil.which(p)), None)
    driver = next((p for p in CHROMEDRIVER if shutil.which(p)), None)
    return (browser, driver) if browser and driver else None


@contextlib.contextmanager
def serve_in_thread(app, host: str = "127.0.0.1") -> Iterator[str]:
    """Runs an ASGI app with uvicorn on a free port of ``host``; yields its base URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind((host, 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the app's server did not start")
            thread.join(0.05)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextlib.contextmanager
def chromium(width: int = 1280, height: int = 900, downloads: str | None = None) -> Iterator[object]:
    """A headless Chromium WebDriver with a fresh profile, closed afterwards.

    Args:
        width, height: the window size in CSS pixels.
        downloads: a folder where the page's downloads land (default: refused).

    Raises:
        FileNotFoundError: no system Chromium and chromedriver.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    paths = find_chromium()
    if paths is None:
        raise FileNotFoundError("no Chromium: apt-get install chromium chromium-driver")
    with tempfile.TemporaryDirectory(prefix="hwsr-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = paths[0]
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=Service(executable_path=paths[1]))
        behavior = {"behavior": "allow", "downloadPath": downloads} if downloads else {"behavior": "deny"}
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", behavior)
        try:
            yield driver
        finally:
            driver.quit()


def place_lines(lines: Sequence[np.ndarray], height_px: float, left: float, tops: Sequence[float]
                ) -> list[np.ndarray]:
    """Pen strokes of ``lines`` (``[eos, dx, dy]``, y up) as screen points (y down) on a page:
    scaled so a line's ink is ``height_px`` high, line ``i`` starting at ``(left, tops[i])``."""
    placed = []
    for line, top in zip(lines, tops):
        strokes = to_stroke_list(line)
        points = np.concatenate(strokes)
        scale = height_px / max(float(np.ptp(points[:, 1])), 1e-6)
        origin = np.array([points[:, 0].min(), points[:, 1].max()])
        placed += [(s - origin) * np.array([scale, -scale]) + np.array([left, top]) for s in strokes]
    return placed


def wait_until(driver, condition, timeout: float = 60.0):
    """Polls ``condition(driver)`` every 50 ms until it is truthy; returns its value."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)


def open_app(driver, url: str, timeout: float = 60.0) -> None:
    """Loads the page and waits until it has its styles and limits from the server."""
    driver.get(url)
    wait_until(driver, lambda d: d.execute_script("return document.body.dataset.ready === '1'"), timeout)


def app_stats(driver) -> dict:
    """The page's counters (``window.hwsrApp.stats``): readings, strokes read, strokes
    received and drawn, and when the first stroke was drawn and the stream ended (ms)."""
    return driver.execute_script("return {...window.hwsrApp.stats}")


def wait_written(driver, timeout: float = 60.0) -> dict:
    """Waits until a generation's stream has ended and every stroke is drawn; its stats."""
    def done(d):
        stats = app_stats(d)
        finished = stats["streamEndMs"] is not None and stats["strokesDrawn"] == stats["strokesReceived"]
        return stats if finished else None

    return wait_until(driver, done, timeout)


#: Dispatches one pen stroke's pointer events on an element (points from its top-left).
_DISPATCH_STROKE = """
const [element, points, pressure] = arguments;
const box = element.getBoundingClientRect();
const fire = (type, [x, y], p) => element.dispatchEvent(new PointerEvent(type, {
  bubbles: true, cancelable: true, composed: true, pointerId: 2, pointerType: "pen", isPrimary: true,
  clientX: box.left + x, clientY: box.top + y, pressure: p, buttons: p > 0 ? 1 : 0}));
fire("pointerdown", points[0], pressure);
for (const point of points.slice(1)) fire("pointermove", point, pressure);
fire("pointerup", points[points.length - 1], 0);
"""


def draw_on(driver, element, strokes: Sequence[np.ndarray], pressure: float = 0.6) -> None:
    """Writes ``strokes`` (``[n, 2]`` points in CSS pixels from the element's top-left) on
    ``element`` as pen pointer events (pointerdown, pointermove..., pointerup per stroke),
    dispatched in the page: the page's own handlers see them as a pen would send them, at
    fractional coordinates, without WebDriver's one-frame wait per event."""
    for stroke in strokes:
        driver.execute_script(_DISPATCH_STROKE, element, np.round(stroke, 2).tolist(), pressure)
