"""The HTML report as a reader sees it: opened in headless Chromium, screenshotted, read back.

Debian's chromium must be installed already (.ci/run installs it; tests never install system
packages): under CI a missing browser fails the test, elsewhere it skips, saying how to install it.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from .test_cli import run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, as installed by .ci/run; the tests never install it themselves."""
    found = shutil.which("chromium")
    if found is None:
        reason = (
            "Debian's chromium is not installed: apt-get install --no-install-recommends "
            "chromium (.ci/run does it under CI)"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def headless(browser: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    done = subprocess.run([browser, *flags, *args], capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done


class Marks(HTMLParser):
    """The charts' marks (data-key, data-value) and the tables' cells, as rendered."""

    def __init__(self) -> None:
        super().__init__()
        self.chart: str | None = None
        self.marks: dict[str, list[tuple[str, str, str]]] = {}
        self.table: str | None = None
        self.cells: dict[str, list[str]] = {}
        self.in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "figure":
            self.chart = found.get("id")
            self.marks[self.chart or ""] = []
        if tag == "g" and self.chart and "data-value" in found:
            series = found.get("data-series") or "requests"
            self.marks[self.chart].append(
                (series, found["data-key"] or "", found["data-value"] or "")
            )
        if tag == "table":
            self.table = found.get("id")
            self.cells[self.table or ""] = []
        self.in_cell = tag == "td" and self.table is not None

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self.chart = None
        if tag == "td":
            self.in_cell = False

    def handle_data(self, data: str) -> None:
        if self.in_cell and self.table is not None:
            self.cells[self.table].append(data.strip())


def pixels_vary(png: bytes) -> int:
    """How many distinct byte values the image's pixels hold (1 for a blank page)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, data = 8, b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        if kind == b"IDAT":
            data += png[position + 8 : position + 8 + length]
        position += 12 + length
    return len(set(zlib.decompress(data)))


def shown(value: int | str) -> str:
    return str(value).replace("-", "\u2013").replace(">=", "\u2265")


@pytest.mark.parametrize("view", ["partners", "exact"])
def test_the_html_report_opens_in_chromium_and_shows_the_json_numbers(
    chromium: str, tmp_path_factory: pytest.TempPathFactory, view: str
):
    folder = tmp_path_factory.mktemp("html")
    store = folder / "cases.sqlite3"
    assert run("demo", store=store).returncode == 0
    # Exact: as of just after the demo, for both runs; partners': finished months only.
    options = ["--exact", "--as-of", datetime.now(UTC).isoformat()] if view == "exact" else []
    page = run("report", "--format", "html", *options, store=store)
    data = run("report", "--format", "json", *options, store=store)
    assert page.returncode == data.returncode == 0, page.stderr + data.stderr
    expected = json.loads(data.stdout)
    html = folder / "report.html"
    html.write_text(page.stdout, encoding="utf-8")

    screenshot = folder / "report.png"
    headless(chromium, f"--screenshot={screenshot}", "--window-size=1100,1600", html.as_uri())
    assert pixels_vary(screenshot.read_bytes()) > 50  # charts and text, not a blank page
    rendered = headless(chromium, "--dump-dom", html.as_uri()).stdout.decode()
    marks = Marks()
    marks.feed(rendered)

    for dim in ("neighbourhood", "domain"):
        drawn = marks.marks[f"chart-{dim}"]
        assert drawn, f"no bar in the {dim} chart"
        assert [(key, value) for _, key, value in drawn] == [
            (point[dim], shown(point["requests"])) for point in expected["charts"][dim]
        ]
    line = marks.marks["chart-month"]
    for series in ("requests", "closed"):
        assert [(k, v) for s, k, v in line if s == series] == [
            (point["month"], shown(point[series])) for point in expected["charts"]["month"]
        ]
    total = marks.cells["total"]
    numbers = dict(zip(total[::2], total[1::2], strict=True))
    assert numbers["Demandes"] == shown(expected["total"]["counts"]["requests"])
    assert numbers["Dossiers clos"] == shown(expected["total"]["counts"]["closed"])
    assert len(marks.cells["rows"]) == len(expected["rows"]) * (3 + 7)
    if view == "partners":
        assert "< 5" in marks.cells["rows"]
