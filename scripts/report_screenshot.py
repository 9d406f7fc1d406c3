#!/usr/bin/env python3
"""Screenshot of a report page in headless Chromium, as a small PNG (docs/report.png):
    .venv/bin/python scripts/report_screenshot.py out/fruits-360-sample/_report.html docs/report.png
"""
import io
import pathlib
import sys

from PIL import Image

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
from headless_chromium import Chromium  # noqa: E402


def main(page, png, width=1000, scale=0.8, colours=96):
    browser = Chromium(width=width, height=2400)
    try:
        browser.open(pathlib.Path(page).resolve().as_uri())
        height = int(browser.evaluate(
            "document.querySelector('main').getBoundingClientRect().bottom")) + 8
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        shot = Image.open(io.BytesIO(browser.screenshot())).convert("RGB")
    finally:
        browser.close()
    shot = shot.resize((int(shot.width * scale), int(shot.height * scale)), Image.LANCZOS)
    shot.quantize(colours, dither=Image.Dither.NONE).save(png, optimize=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
