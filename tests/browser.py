"""Open a report page in Debian's headless Chromium (playwright-python), measure, screenshot.

Used by the report's browser test and by ``make report-screenshot`` (the image in
``docs/report.md``)::

    python -m tests.browser REPORT.html SHOT.png
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: For each chart: its box on the page and how many data marks have a drawn area.
MEASURE_CHARTS = """() => Object.fromEntries(
  [...document.querySelectorAll('figure.chart')].map(figure => {
    const box = figure.getBoundingClientRect();
    const drawn = [...figure.querySelectorAll('[id^="mark-"]')].filter(mark => {
      const b = mark.getBBox();
      return b.width > 0 && b.height > 0;
    }).length;
    return [figure.dataset.chart, {width: box.width, height: box.height, drawn}];
  }))"""


@dataclass
class PageVisit:
    """What the browser saw: console errors, page errors, requests, and each chart."""

    problems: list[str] = field(default_factory=list)
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)


def chromium_path() -> str:
    """Return Debian's chromium, or fail with the command that installs it."""
    found = shutil.which("chromium")
    if not found:
        raise RuntimeError("Debian's chromium is not installed: run `make browser`")
    return found


def visit(
    page_file: Path, screenshot: Path, *, jpeg_quality: int | None = None, scale: float = 1.0
) -> PageVisit:
    """Open ``page_file`` headless, measure its charts and save a full-page screenshot.

    Every console error, page error and request for anything but a local file is
    recorded in ``problems``. ``scale`` shrinks the screenshot (the page's device pixel
    ratio), ``jpeg_quality`` saves it as JPEG: the image in the docs is kept small.
    """
    from playwright.sync_api import sync_playwright

    seen = PageVisit()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        try:
            page = browser.new_page(
                viewport={"width": 1100, "height": 900}, device_scale_factor=scale
            )
            page.on(
                "console",
                lambda m: seen.problems.append(f"console: {m.text}") if m.type == "error" else None,
            )
            page.on("pageerror", lambda error: seen.problems.append(f"page error: {error}"))
            page.on(
                "request",
                lambda r: None if r.url.startswith("file:") else seen.problems.append(r.url),
            )
            page.goto(page_file.absolute().as_uri(), wait_until="load")
            seen.charts = page.evaluate(MEASURE_CHARTS)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            if jpeg_quality is None:
                page.screenshot(path=str(screenshot), full_page=True)
            else:
                page.screenshot(
                    path=str(screenshot), full_page=True, type="jpeg", quality=jpeg_quality
                )
        finally:
            browser.close()
    return seen


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    small = target.suffix.lower() in {".jpg", ".jpeg"}  # for the docs: about 150 KB
    result = visit(source, target, jpeg_quality=60 if small else None, scale=0.6 if small else 1)
    print(f"{target}: {target.stat().st_size:,} bytes, charts {sorted(result.charts)}")
    sys.exit(1 if result.problems else 0)
