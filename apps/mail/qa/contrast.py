"""WCAG contrast of every text run against its actual background, in each reading mode.

Each mode's document (`modes`: light, the email's own dark styles, a client's forced dark) has
the `<style>` rules that apply at 600 px inlined by css-inline (specificity and `!important` as
a browser resolves them), so every element carries its final declarations. Then, for each
visible text run: its colour is the nearest declared `color` (a link's own LinkText otherwise),
its background the nearest background colour below it (alpha blended), and the ratio is WCAG
2.x's: (L1 + 0.05) / (L2 + 0.05) with L the relative luminance. AA asks 4.5:1, or 3:1 for large
text (at least 24 px, or 18.66 px bold).
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import css_inline
from tinycss2.color3 import parse_color

from . import css
from .document import NOT_SHOWN, Node, parse
from .findings import ERROR, Finding
from .modes import MODES, document, luminance

WIDTH = 600
AA_NORMAL, AA_LARGE = 4.5, 3.0
MAX_PER_MODE = 12
_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.I | re.S)
# The user agent's own colours (Chromium's Canvas, CanvasText, LinkText) per colour scheme.
UA = {
    "light": {"canvas": (255, 255, 255), "text": (0, 0, 0), "link": (0, 0, 238)},
    "dark": {"canvas": (18, 18, 18), "text": (255, 255, 255), "link": (158, 158, 255)},
}
HEADING_EM = {"h1": 2.0, "h2": 1.5, "h3": 1.17, "h4": 1.0, "h5": 0.83, "h6": 0.67}
BOLD_TAGS = {"b", "strong", "th", *HEADING_EM}
KEYWORD_SIZES = {
    "xx-small": 9,
    "x-small": 10,
    "small": 13,
    "medium": 16,
    "large": 18,
    "x-large": 24,
    "xx-large": 32,
}


@dataclass(frozen=True)
class Run:
    """One visible text run, its colours and the ratio between them."""

    text: str
    element: str
    colour: tuple[int, int, int]
    background: tuple[int, int, int]
    ratio: float
    large: bool

    @property
    def needed(self) -> float:
        return AA_LARGE if self.large else AA_NORMAL

    @property
    def passes(self) -> bool:
        return self.ratio + 1e-9 >= self.needed


def ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2.x contrast ratio between two opaque colours, 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def hex_colour(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


# --- the computed styles a check needs ------------------------------------------------------


class Styles:
    """Each element's final declarations (after inlining), read once."""

    def __init__(self):
        self._cache: dict[int, dict[str, str]] = {}
        self.sizes: dict[int, float] = {}

    def of(self, node: Node) -> dict[str, str]:
        key = id(node)
        if key not in self._cache:
            self._cache[key] = _effective(node.get("style"))
        return self._cache[key]


@lru_cache(maxsize=4096)  # an MJML email repeats the same few inline styles many times
def _effective(style: str) -> dict[str, str]:
    """Property -> value: `!important` wins, else the last declaration (read, never changed)."""
    values: dict[str, tuple[str, bool]] = {}
    for d in css.inline_declarations(style) if style else []:
        current = values.get(d.name)
        if current is None or d.important or not current[1]:
            values[d.name] = (d.value, d.important)
    return {name: value for name, (value, _important) in values.items()}


def _rgba(value: str) -> tuple[tuple[int, int, int], float] | None:
    colour = parse_color(value.strip())
    if colour is None or isinstance(colour, str):
        return None
    rgb = tuple(round(c * 255) for c in (colour.red, colour.green, colour.blue))
    return rgb, colour.alpha


def _background(node: Node, styles: Styles) -> tuple[tuple[int, int, int], float] | str | None:
    """The element's own background colour, None when it has none, "image" when unknown."""
    declared = styles.of(node)
    if "background-color" in declared:
        return _rgba(declared["background-color"])
    if "background" in declared:
        value = declared["background"]
        for part in re.split(r"\s+(?![^(]*\))", value.strip()):
            if (found := _rgba(part)) is not None:
                return found
        if "url(" in value or "gradient(" in value:
            return "image"
    if node.get("bgcolor"):
        return _rgba(node.get("bgcolor"))
    return None


def _blend(top: tuple[tuple[int, int, int], float], below: tuple[int, int, int]):
    (r, g, b), alpha = top
    return tuple(round(c * alpha + d * (1 - alpha)) for c, d in zip((r, g, b), below, strict=True))


def background_of(node: Node, styles: Styles, canvas) -> tuple[int, int, int] | None:
    """The colour painted behind `node`'s text; None when an image paints it."""
    layers = []
    for element in [node, *node.ancestors()]:
        if element.tag.startswith("#"):
            continue
        found = _background(element, styles)
        if found == "image":
            return None
        if found is not None and found[1] > 0:
            layers.append(found)
            if found[1] >= 1:
                break
    colour = canvas
    for layer in reversed(layers):
        colour = layer[0] if layer[1] >= 1 else _blend(layer, colour)
    return colour


def colour_of(node: Node, styles: Styles, ua: dict) -> tuple[int, int, int]:
    for element in [node, *node.ancestors()]:
        if element.tag.startswith("#"):
            continue
        value = styles.of(element).get("color")
        found = _rgba(value) if value else None
        if found is not None:
            return found[0]  # translucent text is rare in email; its own colour is used
        if element.tag == "a":
            return ua["link"]
    return ua["text"]


def font_size(node: Node, styles: Styles) -> float:
    """The computed font size in px (each element's computed once, from its parent's)."""
    chain = []  # the ancestors not computed yet, nearest first (a loop: no deep recursion)
    current: Node | None = node
    while current is not None and id(current) not in styles.sizes:
        chain.append(current)
        current = current.parent
    size = styles.sizes[id(current)] if current is not None else 16.0
    for element in reversed(chain):
        if not element.tag.startswith("#"):
            size = _size(styles.of(element).get("font-size"), size, element.tag)
        styles.sizes[id(element)] = size
    return size


def _size(value: str | None, parent: float, tag: str) -> float:
    if value is None:
        return parent * HEADING_EM.get(tag, 1.0)
    value = value.strip().lower()
    if value in KEYWORD_SIZES:
        return KEYWORD_SIZES[value]
    match = re.fullmatch(r"(-?[\d.]+)(px|pt|em|rem|%)?", value)
    if match is None:
        return parent
    number, unit = float(match.group(1)), match.group(2) or "px"
    factor = {"px": 1, "pt": 4 / 3, "em": parent, "rem": 16, "%": parent / 100}[unit]
    return number * factor


def bold(node: Node, styles: Styles) -> bool:
    for element in [node, *node.ancestors()]:
        if element.tag.startswith("#"):
            continue
        weight = styles.of(element).get("font-weight")
        if weight:
            weight = weight.strip().lower()
            return weight in ("bold", "bolder") or (weight.isdigit() and int(weight) >= 700)
        if element.tag in BOLD_TAGS:
            return True
    return False


def hidden(node: Node, styles: Styles) -> bool:
    """Whether the reader cannot see `node` (hidden preview text and the like)."""
    for element in [node, *node.ancestors()]:
        if element.tag.startswith("#"):
            continue
        s = styles.of(element)
        if s.get("display", "").strip() == "none" or s.get("visibility", "").strip() == "hidden":
            return True
        if _zero(s.get("opacity")):
            return True
        clipped = s.get("overflow", "").strip() == "hidden"
        if clipped and (_zero(s.get("max-height")) or _zero(s.get("height"))):
            return True
    return font_size(node, styles) <= 0


def _zero(value: str | None) -> bool:
    return value is not None and re.fullmatch(r"0+(\.0*)?(px|%|em|rem)?", value.strip()) is not None


# --- the check --------------------------------------------------------------------------------


def inlined(html: str, *, keep_style_blocks: bool = True) -> str:
    """The document with its applicable `<style>` rules inlined, at 600 px."""
    html = html.replace("\x00", "\ufffd")  # as browsers read a NUL (css-inline stops at one)
    blocks = _STYLE_BLOCK.findall(html) if keep_style_blocks else []
    stripped = _STYLE_BLOCK.sub("", html)
    extra = css.applicable_css(blocks, width=WIDTH)
    if not extra:
        return stripped
    inliner = css_inline.CSSInliner(
        extra_css=extra,
        inline_style_tags=False,
        keep_style_tags=False,
        load_remote_stylesheets=False,
    )
    try:
        return inliner.inline(stripped)
    except css_inline.InlineError:  # CSS it cannot read is dropped, as a mail client drops it
        return stripped


def runs(html: str, *, scheme: str, keep_style_blocks: bool = True) -> list[Run]:
    """Every visible text run of a (mode) document with its colours and contrast."""
    root = parse(inlined(html, keep_style_blocks=keep_style_blocks)).root
    styles, ua = Styles(), UA[scheme]
    found, seen = [], set()
    for node in root.walk():
        if node.tag != "#text" or not node.text.strip() or node.parent is None:
            continue
        element = node.parent
        if any(a.tag in NOT_SHOWN for a in [element, *element.ancestors()]):
            continue
        if hidden(element, styles):
            continue
        background = background_of(element, styles, ua["canvas"])
        if background is None:
            continue
        colour = colour_of(element, styles, ua)
        size = font_size(element, styles)
        large = size >= 24 or (size >= 18.66 and bold(element, styles))
        text = " ".join(node.text.split())
        key = (text, colour, background)
        if key in seen:
            continue
        seen.add(key)
        found.append(
            Run(text, element.describe(), colour, background, ratio(colour, background), large)
        )
    return found


def _scheme_of(html: str, mode: str) -> str:
    if mode != "dark":
        return "light"
    declared = re.search(
        r"color-scheme\s*:\s*[^;}\"]*dark|name=[\"']color-scheme[\"'][^>]*dark", html, re.I
    )
    return "dark" if declared else "light"


@dataclass
class ContrastResult:
    findings: list[Finding]
    failing: dict[str, list[Run]]  # mode -> runs below AA
    measured: dict[str, int]  # mode -> runs measured


def check_contrast(html: str) -> ContrastResult:
    """AA contrast of every visible text run in light, own dark and forced dark."""
    findings, failing, measured = [], {}, {}
    for mode, label in MODES.items():
        mode_html = document(html, mode)
        measured_runs = runs(mode_html, scheme=_scheme_of(mode_html, mode))
        measured[mode] = len(measured_runs)
        failing[mode] = [run for run in measured_runs if not run.passes]
        for run in failing[mode][:MAX_PER_MODE]:
            findings.append(_finding(run, label))
        if len(failing[mode]) > MAX_PER_MODE:
            more = len(failing[mode]) - MAX_PER_MODE
            findings.append(Finding("contrast", ERROR, f"… and {more} more text runs", label))
    return ContrastResult(findings, failing, measured)


def _finding(run: Run, mode_label: str) -> Finding:
    text = run.text if len(run.text) <= 60 else run.text[:57] + "…"
    size = "large text" if run.large else "text"
    return Finding(
        "contrast",
        ERROR,
        f"“{text}” is {hex_colour(run.colour)} on {hex_colour(run.background)} in "
        f"{mode_label}: {run.ratio:.2f}:1, below the {run.needed:g}:1 WCAG AA asks for {size}",
        where=mode_label,
        detail=run.element,
    )


def unstyled_failures(html: str) -> list[Run]:
    """The runs below AA when a client drops every `<style>` block (light mode)."""
    return [
        run
        for run in runs(document(html, "light"), scheme="light", keep_style_blocks=False)
        if not run.passes
    ]
