"""Screenshot of the web app for the README (docs/app.png), taken in headless Chromium.

    python scripts/app_screenshot.py [--out docs/app.png]

Starts the app with the shipped models on 127.0.0.1, writes two lines (drawn by the shipped
synthesiser) on the canvas as pen input, waits for the page's reading, writes a sentence in
a bundled style and waits for the stream to end, then saves the window.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from hwsr.app.server import create_app
from hwsr.app.service import HandwritingService
from hwsr.app.testing import (
    app_stats,
    chromium,
    draw_on,
    open_app,
    place_lines,
    serve_in_thread,
    wait_until,
    wait_written,
)

ON_THE_PAD = ["hello from a pen", "read back as you write"]
TYPED = "Type a text and watch it being written, stroke by stroke."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="docs/app.png")
    parser.add_argument("--style", type=int, default=1)
    args = parser.parse_args()

    service = HandwritingService.from_pretrained()
    lines = service.synthesizer.generate(ON_THE_PAD, bias=1.0, seed=1)
    with serve_in_thread(create_app(service)) as url, chromium(1200, 1250) as driver:
        open_app(driver, url, timeout=120)
        strokes = place_lines(lines, height_px=42, left=30, tops=[50, 170])
        draw_on(driver, driver.find_element(By.ID, "pad"), strokes)
        wait_until(driver, lambda d: app_stats(d)["strokesRead"] == len(strokes), timeout=120)
        Select(driver.find_element(By.ID, "style")).select_by_value(str(args.style))
        box = driver.find_element(By.ID, "text")
        box.clear()
        box.send_keys(TYPED)
        driver.find_element(By.ID, "write-button").click()
        wait_written(driver, timeout=300)
        driver.save_screenshot(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
