"""The palette holds for colour-blind readers: a simulator, applied to every colour the grid shows.

Method (docs/dashboard.md, "Colours"): each colour is converted to linear RGB, passed through the
Machado, Oliveira and Fernandes (2009) matrices for protanopia, deuteranopia and tritanopia at
severity 1.0 (the strongest), converted to CIELAB and compared pairwise with CIEDE2000. Every pair a
reader must tell apart (two categories; a category and a passed, skipped or uncategorised cell)
must stay at least MIN_DELTA_E apart in normal vision and in each simulation. 12 is well above the
just-noticeable difference (about 2) and what the shipped palette reaches with some margin.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Final

import pytest

from pytest_streamstress.report.palette import OUTCOME_COLORS, build_palette, contrast, text_on
from pytest_streamstress.triage import categorize

MIN_DELTA_E: Final = 12.0
MACHADO: Final = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}
VISIONS: Final = ("normal", *MACHADO)
CATEGORIES_FILE: Final = Path(__file__).parents[3] / "config" / "categories.toml"


def linear(color: str) -> tuple[float, float, float]:
    values = []
    for start in (1, 3, 5):
        c = int(color[start : start + 2], 16) / 255
        values.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return values[0], values[1], values[2]


def simulate(color: str, vision: str) -> tuple[float, float, float]:
    rgb = linear(color)
    if vision == "normal":
        return rgb
    m = MACHADO[vision]
    out = [min(1.0, max(0.0, sum(m[i][j] * rgb[j] for j in range(3)))) for i in range(3)]
    return out[0], out[1], out[2]


def lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = rgb
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e2000(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    """CIEDE2000 (Sharma, Wu and Dalal 2005, equations 1-17)."""
    l1, a1, b1 = first
    l2, a2, b2 = second
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360
    h2p = math.degrees(math.atan2(b2, a2p)) % 360
    dlp, dcp = l2 - l1, c2p - c1p
    if c1p * c2p == 0:
        dhp = 0.0
    elif abs(h2p - h1p) <= 180:
        dhp = h2p - h1p
    else:
        dhp = h2p - h1p - 360 if h2p - h1p > 180 else h2p - h1p + 360
    dh = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dhp / 2))
    lbp, cbp = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hbp = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hbp = (h1p + h2p) / 2
    else:
        hbp = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(hbp - 30))
        + 0.24 * math.cos(math.radians(2 * hbp))
        + 0.32 * math.cos(math.radians(3 * hbp + 6))
        - 0.20 * math.cos(math.radians(4 * hbp - 63))
    )
    rt = (
        -math.sin(math.radians(60 * math.exp(-(((hbp - 275) / 25) ** 2))))
        * 2
        * math.sqrt(cbp**7 / (cbp**7 + 25**7))
    )
    sl = 1 + 0.015 * (lbp - 50) ** 2 / math.sqrt(20 + (lbp - 50) ** 2)
    sc = 1 + 0.045 * cbp
    sh = 1 + 0.015 * cbp * t
    return math.sqrt((dlp / sl) ** 2 + (dcp / sc) ** 2 + (dh / sh) ** 2 + rt * (dcp / sc) * (dh / sh))


def shipped_colors() -> dict[str, str]:
    rules = categorize.load_rules(CATEGORIES_FILE)
    return {cat_id: color for cat_id, color in rules.colors}


def pairs_to_tell_apart() -> list[tuple[str, str, str, str]]:
    """(name, colour, name, colour) for every pair the grid and the charts put side by side."""
    named = {f"category {k}": v for k, v in shipped_colors().items()}
    named |= {f"{k} cell": OUTCOME_COLORS[k] for k in ("passed", "skipped", "failed")}
    return [(a, named[a], b, named[b]) for a, b in itertools.combinations(sorted(named), 2)]


def test_the_delta_e_formula_matches_the_published_test_data() -> None:
    """Two pairs from Sharma, Wu and Dalal's table of CIEDE2000 test data."""
    assert delta_e2000((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)
    assert delta_e2000((50.0, 2.5, 0.0), (73.0, 25.0, -18.0)) == pytest.approx(27.1492, abs=1e-4)


def test_every_shipped_category_has_a_colour() -> None:
    colors = shipped_colors()
    assert colors and all(colors.values()), colors


@pytest.mark.parametrize("vision", VISIONS)
def test_categories_and_outcome_cells_stay_apart_for_every_kind_of_colour_vision(vision: str) -> None:
    too_close = []
    for first, color_a, second, color_b in pairs_to_tell_apart():
        distance = delta_e2000(lab(simulate(color_a, vision)), lab(simulate(color_b, vision)))
        if distance < MIN_DELTA_E:
            too_close.append(f"{first} {color_a} / {second} {color_b}: {distance:.1f}")
    assert too_close == [], f"{vision}: closer than {MIN_DELTA_E} CIEDE2000"


def test_upstream_regression_is_the_red_and_the_run_verdicts_are_grey() -> None:
    colors = shipped_colors()
    red, green, blue = (int(colors["upstream-regression"][i : i + 2], 16) for i in (1, 3, 5))
    assert red > 2 * max(green, blue)
    for grey in ("harness", "unattributed"):
        r, g, b = (int(colors[grey][i : i + 2], 16) for i in (1, 3, 5))
        assert max(r, g, b) - min(r, g, b) <= 24, grey


def test_badge_text_reads_on_every_category_colour() -> None:
    palette = build_palette([(k, k, v) for k, v in shipped_colors().items()])
    for category in palette.categories:
        assert contrast(category.color, category.text) >= 4.5, category


def test_text_on_a_light_colour_is_dark_and_on_a_dark_one_white() -> None:
    assert text_on("#f2c94c") == "#1f2328"
    assert text_on("#c62828") == "#ffffff"


def test_a_category_without_colour_takes_the_shipped_one_else_a_fallback_hue() -> None:
    palette = build_palette(
        [("upstream-regression", "Upstream Regression", ""), ("mine", "Mine", ""), ("x", "X", "#123456")],
        defaults={"upstream-regression": "#c62828"},
    )
    assert palette.categories[0].color == "#c62828"
    assert palette.categories[1].color.startswith("#") and palette.categories[1].color != "#c62828"
    assert palette.categories[2].color == "#123456"
