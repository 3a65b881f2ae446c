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

import css_inline

from . import css
from .document import NOT_SHOWN, parse
from .findings import ERROR, Finding
from .modes import MODES, document, luminance
from .styles import Styles, background_of, bold, colour_of, font_size, hidden

WIDTH = 600
AA_NORMAL, AA_LARGE = 4.5, 3.0
MAX_PER_MODE = 12
_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.I | re.S)
# The user agent's own colours (Chromium's Canvas, CanvasText, LinkText) per colour scheme.
UA = {
    "light": {"canvas": (255, 255, 255), "text": (0, 0, 0), "link": (0, 0, 238)},
    "dark": {"canvas": (18, 18, 18), "text": (255, 255, 255), "link": (158, 158, 255)},
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
