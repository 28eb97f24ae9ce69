"""The dashboard's one palette: the category colours of categories.toml and the colours of outcomes.

A category's colour comes from the rules file (results.json `category_labels[].color`, kept in the
history index by the newest run). This module owns what is not a category: the grid's passed,
flaky, skipped and not-run cells, a failure no category explains, and the muted hues a category
gets when no run gave it a colour (an older results.json, a foreign rules file). Every page, chart,
card, badge and grid cell paints from the `Palette` this builds, so a category has one colour
everywhere (issue 20).

The palette is checked for colour blindness in tests/unit/report/test_palette.py: every pair of
colours that must be told apart stays at least 12 CIEDE2000 apart in normal vision and in the
Machado et al. (2009) simulations of protanopia, deuteranopia and tritanopia. Pure values only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

OUTCOME_COLORS: Final[Mapping[str, str]] = {
    "passed": "#b5dcb4",
    "flaky": "#b5dcb4",
    "skipped": "#e8eaed",
    "none": "#ffffff",
    "failed": "#24292f",
}
"""Grid cells that are no category's: a pale green pass (a flaky pass adds an amber bar, a mark
not a hue), a light skip, an empty not-run cell (drawn with an outline) and a failure no category
explains (a setup or build error), near black. Pale passes against saturated failures differ in
lightness, which every kind of colour vision sees."""
PASS_LINE: Final = "#3d8b40"
"""The passed series in charts: the pass colour, dark enough to read as a line on white."""
FALLBACK_COLORS: Final = ("#8a6bbe", "#4f9a94", "#c27c5b", "#7f8fa6", "#a8799c", "#6f8f4e")
"""Muted hues for categories no run gave a colour, in order of first appearance (not checked for
colour blindness: give categories a `color` in categories.toml to be sure)."""

_COLOR: Final = re.compile(r"^#[0-9a-fA-F]{6}$")
"""Colours reach a `<style>` block and SVG attributes: anything but `#rrggbb` is dropped."""
_DARK_TEXT: Final = "#1f2328"
_LIGHT_TEXT: Final = "#ffffff"


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryColor:
    """How the page names and paints one category."""

    id: str
    label: str
    color: str
    text: str
    """The text colour that reads on `color` (badges, cards)."""
    code: str = ""
    """The category's letter in the index matrix (`cats`), for grid cells; "" when it has none."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Palette:
    categories: tuple[CategoryColor, ...]
    outcomes: tuple[tuple[str, str], ...] = tuple(OUTCOME_COLORS.items())
    pass_line: str = PASS_LINE

    def of(self, category: str) -> CategoryColor | None:
        return next((c for c in self.categories if c.id == category), None)

    def color(self, category: str) -> str:
        found = self.of(category)
        return found.color if found is not None else OUTCOME_COLORS["failed"]


def build_palette(
    categories: Sequence[tuple[str, str, str]],
    *,
    defaults: Mapping[str, str] | None = None,
    codes: Iterable[str] = (),
) -> Palette:
    """(id, label, colour) in index order -> the palette; a missing colour comes from `defaults`
    (the shipped categories.toml) or else the next fallback hue. `codes` are the index letters."""
    defaults = defaults or {}
    letters = list(codes)
    fallback = 0
    out = []
    for number, (cat_id, label, color) in enumerate(categories):
        chosen = next((c for c in (color, defaults.get(cat_id, "")) if _COLOR.match(c)), "")
        if not chosen:
            chosen = FALLBACK_COLORS[fallback % len(FALLBACK_COLORS)]
            fallback += 1
        out.append(
            CategoryColor(
                id=cat_id,
                label=label,
                color=chosen.lower(),
                text=text_on(chosen),
                code=letters[number] if number < len(letters) else "",
            )
        )
    return Palette(categories=tuple(out))


def relative_luminance(color: str) -> float:
    """WCAG 2 relative luminance of `#rrggbb`."""
    channels = []
    for start in (1, 3, 5):
        value = int(color[start : start + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio (1 to 21)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_on(color: str) -> str:
    """Dark or white text, whichever contrasts more with `color` (a badge must stay readable)."""
    return _DARK_TEXT if contrast(color, _DARK_TEXT) >= contrast(color, _LIGHT_TEXT) else _LIGHT_TEXT
