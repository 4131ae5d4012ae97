"""The app's colours, read from the theme, and strips whose every segment carries a style.

Semantic colours (ok, warn, bad, dim, ghost, axis, hint, …) are component classes styled in
app.tcss from the theme's variables, so a theme change (ctrl+p → theme) reaches every plot. The
per-layer colours are Tableau-10, each moved just far enough from the theme's background to
be legible on it, light or dark; so is every semantic colour that carries information (the
theme's own colours are kept where they already are).

Every Segment a widget hands Textual must carry a Style: Textual's monochrome filter (on when
NO_COLOR is set) reads `style.color` of every segment and fails on None. `Themed.strips` is the
one way the app's line-drawing widgets turn lines into strips, and it styles every segment.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.strip import Strip
from textual.widget import Widget

# Tableau-10: distinct from each other, and in 256 colours; `legible` adjusts them per theme.
LAYER_COLOURS = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#b07aa1",
    "#edc948",
    "#76b7b2",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
INK_CONTRAST = 3.0  # WCAG contrast every colour that carries information keeps with its background
STEP = 0.04  # Lab lightness moved per try while making a colour legible


def luminance(colour: Color) -> float:
    """WCAG relative luminance of an sRGB colour: 0 for black, 1 for white."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    r, g, b = colour.normalized
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast(a: Color, b: Color) -> float:
    """WCAG contrast ratio of two colours, 1 (same) to 21 (black on white)."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def legible(colour: Color, background: Color, ratio: float = INK_CONTRAST) -> Color:
    """`colour`, darkened on a light background (lightened on a dark one) until it has `ratio`
    contrast with `background`, keeping its hue."""
    move = colour.darken if luminance(background) > 0.18 else colour.lighten
    amount = 0.0
    adjusted = colour
    while contrast(adjusted, background) < ratio and amount < 1.0:
        amount += STEP
        adjusted = move(amount)
    return adjusted


@dataclass(frozen=True)
class Palette:
    """Rich styles for one widget on the current theme (component class `plot--<field>`)."""

    ok: Style  # healthy values, a finished run
    warn: Style  # past a threshold, a stopped or paused run
    bad: Style  # far past it, dead neurons, a diverged run
    dim: Style  # labels, headers, waiting messages
    ghost: Style  # the previous run, faint but legible: the A/B reference after b, g or r
    track: Style  # the empty part of a bar
    axis: Style  # chart axes and their labels
    hint: Style  # health hints (⚠)
    message: Style  # key feedback and the replay cursor in the status line
    bar: Style  # the status line's progress bar
    ref: Style  # reference lines (update:data −3)
    map_on: Style  # saturation map: |t| > 0.99
    map_off: Style  # saturation map: not
    current: Style  # the page bar's current panel
    other: Style  # the page bar's other panels
    layers: tuple[Style, ...]  # series colours: one per tanh layer (or parameter), in order
    base: Style  # the widget's own style (its text colour on its background), under every segment

    def layer(self, position: int) -> Style:
        """The colour of the tanh layer (or parameter) at `position`, shared by every panel."""
        return self.layers[position % len(self.layers)]


SEMANTIC = tuple(f.name for f in fields(Palette) if f.name not in ("layers", "base"))
# Colours that are decoration, kept as the theme has them; every other one is made `legible`.
DECORATION = frozenset({"track", "map_on", "map_off", "current"})


def component(name: str) -> str:
    """The component class of a palette field: `map_on` → `plot--map-on`."""
    return "plot--" + name.replace("_", "-")


def _on(base: Style, segment: Segment) -> Segment:
    """`segment` over `base`: it keeps its own colours; what it leaves unset (or all, with no
    style) comes from `base`."""
    style = segment.style
    if style is not None and style.bgcolor is not None:
        return segment  # complete already (palette styles carry their background)
    return Segment(segment.text, base + style)


def _ink(style: Style, colour: Color, background: Color) -> Style:
    """`style` in `colour` made legible on `background`, over that background."""
    return style + Style.from_color(legible(colour, background).rich_color, background.rich_color)


class Colours(Widget):
    """The theme's semantic colours: component classes styled in app.tcss, read by every
    `Themed` widget of its screen. It draws nothing.

    One holder for the screen, not component classes on every widget: Textual restyles a
    widget's component classes with it, and a layout change restyles every widget.
    """

    COMPONENT_CLASSES = {component(name) for name in SEMANTIC}
    DEFAULT_CSS = "Colours { display: none; }"

    def __init__(self) -> None:
        super().__init__()
        self._palettes: dict[tuple[Color, Style], Palette] = {}

    def notify_style_update(self) -> None:
        """The theme (or the stylesheet) changed: palettes are made again."""
        super().notify_style_update()
        self._palettes.clear()

    def palette_on(self, background: Color, base: Style) -> Palette:
        """The palette over `background` for a widget whose own style is `base`."""
        key = (background, base)
        if key not in self._palettes:
            self._palettes[key] = Palette(
                **{name: self._style_on(name, background) for name in SEMANTIC},
                layers=tuple(_ink(Style(), Color.parse(colour), background) for colour in LAYER_COLOURS),
                base=base,
            )
        return self._palettes[key]

    def _style_on(self, name: str, background: Color) -> Style:
        """Palette field `name` over `background`: its colour blended onto it (and made legible
        unless it is decoration), its text style, its own background if it has one."""
        styles = self.get_component_styles(component(name))
        background = background + styles.background
        # "auto" (as $text-muted is): the contrasting text colour of this background, at its alpha
        colour = background + (background.get_contrast_text(styles.color.a) if styles.auto_color else styles.color)
        if name not in DECORATION:
            colour = legible(colour, background)
        return Style.from_color(colour.rich_color, background.rich_color) + styles.text_style


class Themed(Widget):
    """A widget that draws with the theme's palette and hands Textual fully styled strips."""

    _palette: Palette | None = None
    _colours: Colours | None = None  # the screen's, found once

    def notify_style_update(self) -> None:
        """Styles changed (a theme, a class): read the palette again at the next draw."""
        super().notify_style_update()
        self._palette = None

    @property
    def palette(self) -> Palette:
        """The widget's colours on the current theme, over its background."""
        if self._palette is None:
            if self._colours is None:
                self._colours = self.screen.query_one(Colours)
            self._palette = self._colours.palette_on(self.background_colors[1], self.rich_style)
        return self._palette

    def strips(self, lines: list[list[Segment]], width: int) -> list[Strip]:
        """Lines as strips of exactly `width` cells, every segment styled (the widget's style
        under the segment's own)."""
        base = self.palette.base
        return [Strip([_on(base, segment) for segment in line]).adjust_cell_length(width, base) for line in lines]

    def blank(self, width: int) -> Strip:
        """An empty line in the widget's style."""
        return Strip.blank(width, self.palette.base)
