"""The three ways a reader sees an email: light, the email's own dark styles, a client's
forced dark.

The studio's preview panes show these documents, and the contrast check measures them, so the
colours a QA reviewer sees are the colours that are checked. Colour parsing and WCAG's relative
luminance live here too (`contrast` builds its ratio on them).
"""

import colorsys
import re

_HEAD = re.compile(r"<head[^>]*>", re.I)

MODES = {"light": "light", "dark": "own dark", "forced": "forced dark"}


# --- the email's own dark styles --------------------------------------------------------------

_PREFERS = re.compile(r"\(\s*prefers-color-scheme\s*:\s*(dark|light)\s*\)", re.I)
_SUPPORTS_DARK = re.compile(r"<meta[^>]+name=[\"']color-scheme[\"'][^>]*dark", re.I)


def _scheme(html: str, scheme: str) -> str:
    """The colour-scheme media features rewritten to match `scheme` whatever the browser's."""
    always, never = "(min-width: 0px)", "(max-width: -1px)"
    return _PREFERS.sub(lambda m: always if m.group(1).lower() == scheme else never, html)


def light(html: str) -> str:
    """The email as a light-mode client shows it, even inside a console in dark mode."""
    return _scheme(html, "light")


def own_dark(html: str) -> str:
    """The email as a dark-mode client shows it: its `prefers-color-scheme: dark` rules apply.

    The media features are rewritten to always/never match, so the preview does not depend on
    the browser passing the iframe's colour scheme through (Chromium does not for srcdoc).
    """
    html = _scheme(html, "dark")
    if _SUPPORTS_DARK.search(html):  # the client's canvas and form controls turn dark too
        html = _inject_style(html, ":root { color-scheme: dark; }")
    return html


def _inject_style(html: str, css: str) -> str:
    match = _HEAD.search(html)
    at = match.end() if match else 0
    return html[:at] + f"<style>{css}</style>" + html[at:]


# --- forced dark: the recolouring Gmail and Outlook apps apply to light designs ---------------

_STYLE_BLOCK = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.I | re.S)
_STYLE_ATTR = re.compile(r"(\sstyle\s*=\s*)(\"[^\"]*\"|'[^']*')", re.I)
_BGCOLOR_ATTR = re.compile(r"(\sbgcolor\s*=\s*)(\"[^\"]*\"|'[^']*')", re.I)
_DECLARATION = re.compile(
    r"(?<![\w-])(background-color|background|border(?:-[a-z]+)*|outline(?:-color)?|color)"
    r"(\s*:\s*)([^;{}\"']+)",
    re.I,
)
_COLOUR = re.compile(
    r"#[0-9a-f]{8}\b|#[0-9a-f]{6}\b|#[0-9a-f]{3}\b|rgba?\([^)]*\)|\b(?:white|black)\b", re.I
)
_NAMED = {"white": (255, 255, 255), "black": (0, 0, 0)}
# Relative luminance above which a background counts as light, below which text counts as dark.
LIGHT_BACKGROUND, DARK_TEXT = 0.35, 0.25
# The canvas and text the apps force, and the light link colour they give links without one.
FORCED_BASE = (
    "html, body { background-color: #121212 !important; color: #e3e3e3 !important; } "
    "a { color: #8ab4f8; }"
)


def forced_dark(html: str) -> str:
    """Approximate a client's inversion: light backgrounds darkened, dark text lightened.

    Scripts cannot run in the sandboxed preview, so the recolouring is done here, on the
    colours written in styles and `bgcolor` attributes; chroma is reduced as the apps do.
    These clients ignore the email's own dark styles, so they never apply here.
    """
    html = light(html)
    html = _STYLE_BLOCK.sub(lambda m: m.group(1) + recolour_css(m.group(2)) + m.group(3), html)
    html = _STYLE_ATTR.sub(lambda m: m.group(1) + recolour_css(m.group(2)), html)
    html = _BGCOLOR_ATTR.sub(
        lambda m: m.group(1) + _COLOUR.sub(lambda c: _recolour(c.group(0), "bg"), m.group(2)),
        html,
    )
    return _inject_style(html, FORCED_BASE)


def recolour_css(css: str) -> str:
    def declaration(match: re.Match) -> str:
        role = "fg" if match.group(1).lower() == "color" else "bg"
        value = _COLOUR.sub(lambda c: _recolour(c.group(0), role), match.group(3))
        return match.group(1) + match.group(2) + value

    return _DECLARATION.sub(declaration, css)


def _recolour(token: str, role: str) -> str:
    parsed = parse_colour(token)
    if parsed is None:
        return token
    (r, g, b), alpha = parsed
    hue, light, sat = colorsys.rgb_to_hls(r / 255, g / 255, b / 255)
    brightness = luminance((r, g, b))
    if role == "bg" and brightness > LIGHT_BACKGROUND:
        light, sat = min(0.3, 0.07 + (1 - light)), sat * 0.5  # inverted, lifted off black
    elif role == "fg" and brightness < DARK_TEXT:
        light, sat = 0.93 - light * 0.3, sat * 0.6
    else:  # saturated mid tones (buttons, brand colours) stay, a little muted
        sat *= 0.8
    r, g, b = (round(c * 255) for c in colorsys.hls_to_rgb(hue, light, sat))
    if alpha < 1:
        return f"rgba({r}, {g}, {b}, {alpha:g})"
    return f"#{r:02x}{g:02x}{b:02x}"


def parse_colour(token: str) -> tuple[tuple[int, int, int], float] | None:
    """`#abc`, `#aabbcc`, `#aabbccdd`, `rgb()`/`rgba()` or white/black as (rgb, alpha)."""
    token = token.strip().lower()
    if token in _NAMED:
        return _NAMED[token], 1.0
    if token.startswith("#"):
        digits = token[1:]
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        alpha = int(digits[6:8], 16) / 255 if len(digits) == 8 else 1.0
        return tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4)), round(alpha, 2)
    parts = re.findall(r"[\d.]+%?", token)
    if len(parts) < 3 or any(p.endswith("%") for p in parts[:3]):
        return None
    rgb = tuple(min(255, int(float(p))) for p in parts[:3])
    alpha = (
        float(parts[3].rstrip("%")) / (100 if parts[3].endswith("%") else 1)
        if len(parts) > 3
        else 1.0
    )
    return rgb, alpha


def luminance(rgb: tuple[int, int, int]) -> float:
    """Relative luminance (WCAG), 0 for black to 1 for white."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def document(html: str, mode: str) -> str:
    """The email as a reader sees it in `mode` ("light", "dark" or "forced")."""
    return {"light": light, "dark": own_dark, "forced": forced_dark}[mode](html)
