"""The HTML report renders in headless Chromium: the screenshot shows the charts in their colours.

Chromium comes from the distribution (`make browser` installs it); this test downloads nothing, and the
page itself fetches nothing (its Content-Security-Policy allows no source at all).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from hpo_guardrail.reporting.charts import EVALUATED_COLOUR, FLAGGED_COLOUR, RULE_COLOUR, STOPPED_COLOUR
from hpo_guardrail.reporting.figures import compute_figures
from hpo_guardrail.reporting.render import render_html
from tests.audit_builders import FIXTURE_PERIOD, fixture_records

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
WIDTH, HEIGHT = 1366, 900
# Well below what the fixture's bars cover (thousands of pixels each), well above a legend swatch.
MIN_PIXELS_PER_COLOUR = 1500


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    channels: int
    pixels: bytes  # rows of width x channels bytes, unfiltered

    def colour_histogram(self) -> Counter[tuple[int, int, int]]:
        """How many pixels have each RGB colour (alpha ignored)."""
        step, data = self.channels, self.pixels
        chunks = Counter(data[offset : offset + 3] for offset in range(0, len(data), step))
        return Counter({(c[0], c[1], c[2]): n for c, n in chunks.items()})


def read_png(path: Path) -> Image:
    """A minimal PNG reader: 8-bit RGB or RGBA, not interlaced (what Chromium's screenshots are)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, header, compressed = 8, b"", b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            compressed += body
        elif kind == b"IEND":
            break
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, (depth, colour_type, interlace)
    channels = 4 if colour_type == 6 else 3
    return Image(width, height, channels, _unfilter(zlib.decompress(compressed), width * channels, height, channels))


def _unfilter(raw: bytes, stride: int, height: int, bpp: int) -> bytes:
    out = bytearray()
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            up_left = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                line[i] = (line[i] + _paeth(left, up, up_left)) & 0xFF
        out += line
        previous = line
    return bytes(out)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _rgb(colour: str) -> tuple[int, int, int]:
    value = int(colour.removeprefix("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


def count_near(image: Image, colours: list[str], tolerance: int = 6) -> dict[str, int]:
    """Pixels within `tolerance` of each colour, per channel (anti-aliased edges are near, not equal)."""
    histogram = image.colour_histogram()
    counts = {}
    for colour in colours:
        target = _rgb(colour)
        counts[colour] = sum(
            n for rgb, n in histogram.items() if all(abs(p - t) <= tolerance for p, t in zip(rgb, target, strict=True))
        )
    return counts


@pytest.fixture(scope="module")
def chromium() -> Path:
    found = CHROMIUM if CHROMIUM.exists() else None
    found = found or next((Path(p) for n in ("chromium", "chromium-browser") if (p := shutil.which(n))), None)
    if found is None:
        pytest.fail("headless Chromium is not installed; run `make browser` (make test does)")
    return found


def screenshot(chromium: Path, page: Path, png: Path, profile: Path) -> None:
    command = [
        str(chromium),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        # Paint the SVG fills in exactly the colours the page names (no display profile conversion).
        "--force-color-profile=srgb",
        # Wait until the page is idle before the screenshot (virtual time: costs no wall-clock time).
        "--virtual-time-budget=2000",
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        f"--window-size={WIDTH},{HEIGHT}",
        page.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and png.exists(), result.stderr[-2000:]


def test_the_html_report_shows_its_charts_in_a_browser(chromium, tmp_path):
    figures = compute_figures(fixture_records(), FIXTURE_PERIOD, "2026-11-23T07:00:00Z")
    page = tmp_path / "report.html"
    page.write_text(render_html(figures), encoding="utf-8")
    png = tmp_path / "report.png"

    screenshot(chromium, page, png, tmp_path / "chromium-profile")

    image = read_png(png)
    assert (image.width, image.height) == (WIDTH, HEIGHT)
    colours = [EVALUATED_COLOUR, FLAGGED_COLOUR, STOPPED_COLOUR, RULE_COLOUR]
    counts = count_near(image, colours)
    assert all(n >= MIN_PIXELS_PER_COLOUR for n in counts.values()), counts


def test_the_pixel_check_fails_on_a_blank_page(chromium, tmp_path):
    page = tmp_path / "blank.html"
    page.write_text("<!doctype html><title>blank</title>", encoding="utf-8")
    png = tmp_path / "blank.png"

    screenshot(chromium, page, png, tmp_path / "chromium-profile")

    counts = count_near(read_png(png), [EVALUATED_COLOUR, RULE_COLOUR])
    assert counts == {EVALUATED_COLOUR: 0, RULE_COLOUR: 0}
