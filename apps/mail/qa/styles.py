"""What a browser computes for an element, as far as the checks need it: its final declarations
(after css-inline put the applicable rules inline), colours with alpha, the background painted
behind it, its font size and weight, and whether it is hidden."""

import re
from functools import lru_cache

from tinycss2.color3 import parse_color

from . import css
from .document import Node

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
