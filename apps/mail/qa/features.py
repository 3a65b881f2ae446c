"""Which of caniemail's features a rendered email uses, each with where it is used.

Every element, attribute, inline style and `<style>` rule (its selectors, properties, values,
functions, units and at-rules) is mapped to caniemail's feature slugs. The mapping is ours
(caniemail's own matcher is JavaScript); the slugs and titles are caniemail's.

Conditional comments (`<!--[if mso]>`) hold Outlook for Windows' own fallback markup; they
are comments to every other client and are not looked up here (links.py checks the buttons'
Outlook fallbacks).
"""

import re
from collections import defaultdict

import tinycss2

from . import css
from .document import Document, Node


def _names(text: str) -> list[str]:
    """Names written as one space-separated string, as caniemail's titles list them."""
    return text.split()


ELEMENTS = {
    tag: f"html-{tag}"
    for tag in _names(
        "abbr acronym address audio bdi blockquote body code del dfn dialog div form hr img "
        "link marquee meter object p picture pre progress rp rt ruby select small span strike "
        "strong style svg table textarea video wbr base"
    )
}
ELEMENTS |= {f"h{n}": "html-h1-h6" for n in range(1, 7)}
ELEMENTS |= dict.fromkeys(("ul", "ol", "dl"), "html-lists")
ELEMENTS |= dict.fromkeys(("map", "area"), "html-image-maps")
ELEMENTS |= dict.fromkeys(
    _names(
        "article aside details figcaption figure footer header main mark nav section summary time"
    ),
    "html-semantics",
)
INPUTS = {t: f"html-input-{t}" for t in ("checkbox", "hidden", "radio", "reset", "submit", "text")}
ATTRIBUTES = {
    "align": "html-align",
    "background": "html-background",
    "cellpadding": "html-cellpadding",
    "cellspacing": "html-cellspacing",
    "dir": "html-dir",
    "height": "html-height",
    "hidden": "html-hidden",
    "lang": "html-lang",
    "loading": "html-loading-attribute",
    "role": "html-role",
    "srcset": "html-srcset",
    "sizes": "html-srcset",
    "target": "html-target",
    "valign": "html-valign",
    "width": "html-width",
    "required": "html-required",
    "popover": "html-popover",
    "inert": "css-inert-attribute",
    "usemap": "html-image-maps",
    "aria-describedby": "html-aria-describedby",
    "aria-hidden": "html-aria-hidden",
    "aria-label": "html-aria-label",
    "aria-labelledby": "html-aria-labelledby",
    "aria-live": "html-aria-live",
}
IMAGE_TYPES = {
    "png": "image-png",
    "jpg": "image-jpg",
    "jpeg": "image-jpg",
    "gif": "image-gif",
    "svg": "image-svg",
    "webp": "image-webp",
    "avif": "image-avif",
    "bmp": "image-bmp",
    "ico": "image-ico",
    "tif": "image-tiff",
    "tiff": "image-tiff",
    "heic": "image-heif",
    "heif": "image-heif",
    "apng": "image-apng",
}

# Properties caniemail names one by one (css-<property>).
SIMPLE_PROPERTIES = set(
    _names(
        "accent-color align-items animation aspect-ratio backdrop-filter background-blend-mode "
        "background-clip background-color background-image background-origin background-position "
        "background-repeat background-size background border-collapse border-image border-radius "
        "border-spacing border box-shadow box-sizing caption-side clear clip-path column-count "
        "cursor direction display empty-cells filter float font-kerning font-size-adjust font-size "
        "font-stretch font-weight height hyphenate-character hyphenate-limit-chars hyphens inset "
        "justify-content letter-spacing line-height list-style-image list-style-position "
        "list-style-type list-style margin mask-image max-block-size max-height max-inline-size "
        "max-width min-block-size min-height min-inline-size min-width mix-blend-mode object-fit "
        "object-position opacity orphans outline-offset outline overflow-wrap overflow padding "
        "position resize shape-margin shape-outside tab-size table-layout text-align-last "
        "text-align text-decoration-color text-decoration-line text-decoration-skip-ink "
        "text-decoration-style text-decoration-thickness text-decoration text-emphasis-position "
        "text-emphasis text-indent text-justify text-orientation text-overflow text-shadow "
        "text-transform text-underline-offset text-underline-position text-wrap transform "
        "transition user-select vertical-align visibility white-space-collapse white-space widows "
        "width word-break word-spacing word-wrap writing-mode z-index"
    )
)
# Properties caniemail groups under one feature.
GROUPED_PROPERTIES = {
    "color-scheme": "css-color-scheme",
    "font": "css-font",
    "gap": "css-gap",
    "column-gap": "css-gap",
    "row-gap": "css-gap",
    "block-size": "css-block-inline-size",
    "inline-size": "css-inline-size",
    "left": "css-left-right-top-bottom",
    "right": "css-left-right-top-bottom",
    "top": "css-left-right-top-bottom",
    "bottom": "css-left-right-top-bottom",
    "margin-inline": "css-margin-inline-block",
    "margin-block": "css-margin-inline-block",
    "padding-inline": "css-padding-inline-block",
    "padding-block": "css-padding-inline-block",
    "border-inline": "css-border-inline-block",
    "border-block": "css-border-inline-block",
    "scroll-snap-type": "css-scroll-snap",
    "scroll-snap-align": "css-scroll-snap",
    "keyframes": "css-at-keyframes",
    "animation-name": "css-animation",
    "transition-property": "css-transition",
}
PREFIXED_PROPERTIES = [  # longest first: border-radius before border
    (r"margin-inline-(start|end)", "css-margin-inline-start-end"),
    (r"margin-block-(start|end)", "css-margin-block-start-end"),
    (r"padding-inline-(start|end)", "css-padding-inline-start-end"),
    (r"padding-block-(start|end)", "css-padding-block-start-end"),
    (r"border-(start|end)-(start|end)-radius", "css-border-radius-logical"),
    (r"border-(inline|block)-(start|end)-[a-z]+", "css-border-inline-block-longhand"),
    (r"border-(inline|block)-[a-z]+", "css-border-inline-block-individual"),
    (r"border-(top|bottom)-(left|right)-radius", "css-border-radius"),
    (r"grid-template(-[a-z]+)?", "css-grid-template"),
    (r"column-(fill|rule|rule-[a-z]+|span|width)|columns", "css-column-layout-properties"),
    (r"list-style-[a-z]+", "css-list-style"),
    (r"text-decoration-[a-z-]+", "css-text-decoration"),
    (r"(border|margin|padding|outline|overflow|background)(-[a-z-]+)?", None),  # family
]
FUNCTIONS = {
    "rgb": "css-rgb",
    "rgba": "css-rgba",
    "linear-gradient": "css-linear-gradient",
    "radial-gradient": "css-radial-gradient",
    "conic-gradient": "css-conic-gradient",
    "calc": "css-unit-calc",
    "min": "css-function-min",
    "max": "css-function-max",
    "clamp": "css-function-clamp",
    "light-dark": "css-function-light-dark",
    "lch": "css-modern-color",
    "oklch": "css-modern-color",
    "lab": "css-modern-color",
    "oklab": "css-modern-color",
    "var": "css-variables",
}
UNITS = {
    unit: f"css-unit-{unit}" for unit in _names("ch cm em ex in mm pc pt px rem vh vmax vmin vw")
}
KEYWORDS = {
    "system-ui": "css-sytem-ui",
    "ui-serif": "css-sytem-ui",
    "ui-sans-serif": "css-sytem-ui",
    "ui-rounded": "css-sytem-ui",
    "ui-monospace": "css-sytem-ui",
    "initial": "css-unit-initial",
    "fit-content": "css-intrinsic-size",
    "min-content": "css-intrinsic-size",
    "max-content": "css-intrinsic-size",
}
MEDIA_FEATURES = {
    "prefers-color-scheme": "css-at-media-prefers-color-scheme",
    "prefers-reduced-motion": "css-at-media-prefers-reduced-motion",
    "orientation": "css-at-media-orientation",
    "hover": "css-at-media-hover",
    "any-hover": "css-at-media-hover",
    "-webkit-device-pixel-ratio": "css-at-media-device-pixel-ratio",
    "-webkit-min-device-pixel-ratio": "css-at-media-device-pixel-ratio",
}
AT_RULES = {
    "media": "css-at-media",
    "font-face": "css-at-font-face",
    "import": "css-at-import",
    "keyframes": "css-at-keyframes",
    "supports": "css-at-supports",
}
PSEUDO = {
    "active",
    "checked",
    "default",
    "first-child",
    "first-of-type",
    "focus-visible",
    "focus-within",
    "focus",
    "has",
    "hover",
    "lang",
    "last-child",
    "last-of-type",
    "link",
    "not",
    "nth-child",
    "nth-last-child",
    "nth-last-of-type",
    "nth-of-type",
    "only-child",
    "only-of-type",
    "target",
    "visited",
}
PSEUDO_ELEMENTS = {"after", "before", "first-letter", "first-line", "marker", "placeholder"}

MAX_EXAMPLES = 3


class Uses:
    """Feature slug -> a few examples of where the email uses it, and how many times."""

    def __init__(self):
        self.examples: dict[str, list[str]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)
        self.values: dict[str, set[str]] = defaultdict(set)  # a property's declared values

    def add(self, slug: str | None, example: str, value: str | None = None) -> None:
        if not slug:
            return
        self.counts[slug] += 1
        if value is not None:
            self.values[slug].add(value.strip().lower())
        if len(self.examples[slug]) < MAX_EXAMPLES and example not in self.examples[slug]:
            self.examples[slug].append(example)

    def __contains__(self, slug: str) -> bool:
        return slug in self.counts

    def slugs(self) -> list[str]:
        return list(self.counts)


def used_features(document: Document) -> Uses:
    """Every caniemail feature the email uses."""
    uses = Uses()
    if document.doctype.lower().startswith("doctype html"):
        uses.add("html-doctype", "<!doctype html>")
    if document.comments():
        uses.add("html-comments", "<!-- ... -->")
    for node in document.elements():
        _element(node, uses)
    present = Present(document)
    for block in document.style_blocks():
        _stylesheet(block, uses, present)
    return uses


def _element(node: Node, uses: Uses) -> None:
    tag = node.describe()
    uses.add(ELEMENTS.get(node.tag), tag)
    if node.tag == "input":
        uses.add(INPUTS.get(node.get("type", "text").lower()), tag)
    if node.tag == "button":
        kind = node.get("type", "submit").lower()
        uses.add({"submit": "html-button-submit", "reset": "html-button-reset"}.get(kind), tag)
    if node.tag == "meta" and node.get("name").lower() == "color-scheme":
        uses.add("html-meta-color-scheme", '<meta name="color-scheme">')
    for name, value in node.attrs.items():
        uses.add(ATTRIBUTES.get(name), f'{name}="{value[:40]}" on <{node.tag}>')
    href = node.get("href").strip().lower() if node.tag == "a" else ""
    if href.startswith("#") and len(href) > 1:
        uses.add("html-anchor-links", f'href="{href[:40]}"')
    elif href.startswith("mailto:"):
        uses.add("html-mailto-links", f'href="{href[:40]}"')
    if node.tag == "img":
        _image(node.get("src"), uses)
    if node.get("style"):
        _declarations(css.inline_declarations(node.get("style")), f"on <{node.tag}>", uses)


def _image(src: str, uses: Uses) -> None:
    src = src.strip().lower()
    if src.startswith("data:image/"):
        uses.add("image-base64", src[:30])
        return
    extension = src.split("?")[0].split("#")[0].rsplit(".", 1)[-1]
    uses.add(IMAGE_TYPES.get(extension), src.rsplit("/", 1)[-1][:40])


def property_feature(name: str) -> str | None:
    """The caniemail feature a CSS property belongs to, if any."""
    if name in SIMPLE_PROPERTIES:
        return f"css-{name}"
    if name in GROUPED_PROPERTIES:
        return GROUPED_PROPERTIES[name]
    if name.startswith("--"):
        return "css-variables"
    for pattern, slug in PREFIXED_PROPERTIES:
        if re.fullmatch(pattern, name):
            return slug or f"css-{name.split('-')[0]}"
    return None


def _declarations(declarations, where: str, uses: Uses) -> None:
    for d in declarations:
        example = f"{d.name}: {d.value[:40]}{' !important' if d.important else ''} {where}"
        uses.add(property_feature(d.name), example, d.value)
        if d.important:
            uses.add("css-important", example)
        _value(d, example, uses)


def _value(d: css.Declaration, example: str, uses: Uses) -> None:
    first = d.tokens[0] if d.tokens else None
    keyword = first.lower_value if first is not None and first.type == "ident" else ""
    if d.name == "display" and keyword in ("none", "flex", "grid", "inline-flex", "inline-grid"):
        uses.add(f"css-display-{keyword.removeprefix('inline-')}", example)
    if d.name == "flex-direction" and keyword.startswith("column"):
        uses.add("css-flex-direction", example)
    if d.name == "flex-wrap" and keyword.startswith("wrap"):
        uses.add("css-flex-wrap", example)
    for token in _tokens(d.tokens):
        if token.type == "function":
            uses.add(FUNCTIONS.get(token.lower_name), example)
        elif token.type == "dimension":
            uses.add(UNITS.get(token.lower_unit), example)
        elif token.type == "percentage":
            uses.add("css-unit-percent", example)
        elif token.type == "ident":
            uses.add(KEYWORDS.get(token.lower_value), example)


def _tokens(tokens):
    for token in tokens:
        yield token
        if token.type == "function":
            yield from _tokens(token.arguments)


def _stylesheet(block: str, uses: Uses, present: "Present") -> None:
    for rule in css.stylesheet(block):
        _rule(rule, uses, present)


def _rule(rule: css.Rule, uses: Uses, present: "Present") -> bool:
    """Record what a rule uses, if it can apply to this email; whether it can."""
    if rule.at:
        inner = [_rule(r, uses, present) for r in rule.rules]
        if rule.rules and not any(inner):
            return False  # every rule inside matches nothing here: the at-rule does nothing
        example = f"@{rule.at} {rule.prelude[:50]}".strip()
        uses.add(AT_RULES.get(rule.at), example)
        for name in re.findall(r"\(\s*([a-z-]+)", rule.prelude.lower()):
            uses.add(MEDIA_FEATURES.get(name), example)
        if rule.has_comments:
            uses.add("css-comments", "/* ... */ in <style>")
        return True
    if not rule.selectors or not present.may_match(rule.selectors):
        return False
    if rule.has_comments:
        uses.add("css-comments", "/* ... */ in <style>")
    _selectors(rule.selectors, uses)
    _declarations(rule.declarations, f"in <style> {rule.selectors[:40]}", uses)
    return True


class Present:
    """The element names, classes and ids an email has: a rule naming others matches nothing."""

    def __init__(self, document: Document):
        self.tags, self.classes, self.ids = {"html", "body"}, set(), set()
        for node in document.elements():
            self.tags.add(node.tag)
            self.classes.update(node.get("class").split())
            if node.get("id"):
                self.ids.add(node.get("id"))

    def may_match(self, selectors: str) -> bool:
        """Whether any selector in the list names only things the email has (a necessary
        condition for matching, which is enough to leave out rules for absent elements)."""
        return any(self._may(selector) for selector in selectors.split(","))

    def _may(self, selector: str) -> bool:
        selector = re.sub(r"\[[^\]]*\]|::?[a-z-]+(\([^)]*\))?", " ", selector.lower())
        classes = re.findall(r"\.([_a-z0-9-]+)", selector)
        ids = re.findall(r"#([_a-z0-9-]+)", selector)
        tags = re.findall(r"(?:^|[\s>+~])([a-z][a-z0-9]*)", selector)
        return (
            all(c in {k.lower() for k in self.classes} for c in classes)
            and all(i in {k.lower() for k in self.ids} for i in ids)
            and all(t in self.tags for t in tags)
        )


def _selectors(text: str, uses: Uses) -> None:
    example = f"{text[:50]} in <style>"
    if "," in text:
        uses.add("css-selector-grouping", example)
    if "&" in text:
        uses.add("css-nesting", example)
    for selector in text.split(","):
        for slug in selector_features(selector.strip()):
            uses.add(slug, example)


CHAINABLE = {
    "css-selector-type",
    "css-selector-class",
    "css-selector-id",
    "css-selector-attribute",
    "css-selector-universal",
}


def selector_features(selector: str) -> set[str]:
    """The selector features one complex selector uses (class, child combinator, :hover...)."""
    found: set[str] = set()
    tokens = tinycss2.parse_component_value_list(selector)
    simple_in_compound, previous = 0, None
    for index, token in enumerate(tokens):
        kind = _simple(token, tokens, index, previous)
        if kind == "whitespace":
            next_token = tokens[index + 1] if index + 1 < len(tokens) else None
            if previous is not None and not _combinator(previous) and not _combinator(next_token):
                found.add("css-selector-descendant")
                simple_in_compound = 0
        elif kind in (
            "css-selector-child",
            "css-selector-adjacent-sibling",
            "css-selector-general-sibling",
        ):
            found.add(kind)
            simple_in_compound = 0
        elif kind:
            found.add(kind)
            if kind in CHAINABLE:  # pseudo-classes do not make a chain (a:hover)
                simple_in_compound += 1
                if simple_in_compound > 1:
                    found.add("css-selector-chaining")
        if token.type != "whitespace":
            previous = token
    return found - {"pseudo"}


def _combinator(token) -> bool:
    return token is not None and token.type == "literal" and token.value in (">", "+", "~")


def _simple(token, tokens, index, previous) -> str | None:
    if token.type == "whitespace":
        return "whitespace"
    if token.type == "ident" and not (
        previous is not None and previous.type == "literal" and previous.value in (".", ":")
    ):
        return "css-selector-type"
    if token.type == "hash":
        return "css-selector-id"
    if token.type == "[] block":
        return "css-selector-attribute"
    if token.type != "literal":
        return _pseudo(token, previous)
    return {
        ".": "css-selector-class",
        "*": "css-selector-universal",
        ">": "css-selector-child",
        "+": "css-selector-adjacent-sibling",
        "~": "css-selector-general-sibling",
    }.get(token.value)


def _pseudo(token, previous) -> str | None:
    if previous is None or previous.type != "literal" or previous.value != ":":
        return None
    name = token.lower_name if token.type == "function" else getattr(token, "lower_value", "")
    if name in PSEUDO_ELEMENTS:
        return f"css-pseudo-element-{name}"
    if name in PSEUDO:
        return f"css-pseudo-class-{name}"
    return "pseudo"


SELECTOR_SLUGS = {
    "css-selector-type",
    "css-selector-id",
    "css-selector-attribute",
    "css-selector-class",
    "css-selector-universal",
    "css-selector-child",
    "css-selector-adjacent-sibling",
    "css-selector-general-sibling",
    "css-selector-descendant",
    "css-selector-chaining",
    "css-selector-grouping",
    "css-nesting",
}
# Every slug this module can report (a test checks each is in the vendored data).
FEATURE_SLUGS = {
    *ELEMENTS.values(),
    *INPUTS.values(),
    *ATTRIBUTES.values(),
    *IMAGE_TYPES.values(),
    *(f"css-{name}" for name in SIMPLE_PROPERTIES),
    *GROUPED_PROPERTIES.values(),
    *(slug for _pattern, slug in PREFIXED_PROPERTIES if slug),
    *(
        f"css-{family}"
        for family in ("border", "margin", "padding", "outline", "overflow", "background")
    ),
    *FUNCTIONS.values(),
    *UNITS.values(),
    *KEYWORDS.values(),
    *MEDIA_FEATURES.values(),
    *AT_RULES.values(),
    *(f"css-pseudo-class-{name}" for name in PSEUDO),
    *(f"css-pseudo-element-{name}" for name in PSEUDO_ELEMENTS),
    *SELECTOR_SLUGS,
    "html-doctype",
    "html-comments",
    "html-meta-color-scheme",
    "html-anchor-links",
    "html-mailto-links",
    "html-button-submit",
    "html-button-reset",
    "image-base64",
    "css-display-none",
    "css-display-flex",
    "css-display-grid",
    "css-flex-direction",
    "css-flex-wrap",
    "css-important",
    "css-comments",
    "css-variables",
}
