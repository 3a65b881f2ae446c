"""Our map from HTML and CSS to caniemail's feature slugs (caniemail's own matcher is
JavaScript): elements, attributes, properties (one by one, grouped, or by family), values,
functions, units, keywords, media features, at-rules and selectors."""

import re


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


CHAINABLE = {
    "css-selector-type",
    "css-selector-class",
    "css-selector-id",
    "css-selector-attribute",
    "css-selector-universal",
}


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
