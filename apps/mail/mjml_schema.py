"""The MJML 4 elements we accept: allowed attributes and parents of each.

mjml-python (MRML) renders unknown elements and attributes silently, so this table is what
catches a typo like `<mj-buton>` or `colour="..."` before a template goes live.
"""

PADDING = {"padding", "padding-top", "padding-right", "padding-bottom", "padding-left"}
BORDER = {"border", "border-top", "border-right", "border-bottom", "border-left", "border-radius"}
FONT = {
    "color",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "line-height",
    "letter-spacing",
    "text-decoration",
    "text-transform",
}
LINK = {"href", "rel", "target", "title", "name"}
BODY_GLOBAL = {"css-class", "mj-class"}

SECTION_ATTRS = (
    BORDER
    | PADDING
    | {
        "background-color",
        "background-position",
        "background-position-x",
        "background-position-y",
        "background-repeat",
        "background-size",
        "background-url",
        "direction",
        "full-width",
        "text-align",
    }
)

CONTENT = {
    "mj-accordion",
    "mj-button",
    "mj-carousel",
    "mj-divider",
    "mj-image",
    "mj-navbar",
    "mj-raw",
    "mj-social",
    "mj-spacer",
    "mj-table",
    "mj-text",
}

# element -> (allowed attributes, allowed parents)
ELEMENTS: dict[str, tuple[set[str], set[str]]] = {
    "mjml": ({"lang", "dir", "owa"}, set()),
    "mj-head": (set(), {"mjml"}),
    "mj-body": ({"width", "background-color", "css-class"}, {"mjml"}),
    # head
    "mj-attributes": (set(), {"mj-head"}),
    "mj-all": ({"*"}, {"mj-attributes"}),
    "mj-class": ({"*"}, {"mj-attributes"}),
    "mj-breakpoint": ({"width"}, {"mj-head"}),
    "mj-font": ({"name", "href"}, {"mj-head"}),
    "mj-html-attributes": (set(), {"mj-head"}),
    "mj-selector": ({"path"}, {"mj-html-attributes"}),
    "mj-html-attribute": ({"name"}, {"mj-selector"}),
    "mj-preview": (set(), {"mj-head"}),
    "mj-style": ({"inline"}, {"mj-head"}),
    "mj-title": (set(), {"mj-head"}),
    # structure
    "mj-wrapper": (SECTION_ATTRS | BODY_GLOBAL | {"gap"}, {"mj-body"}),
    "mj-section": (SECTION_ATTRS | BODY_GLOBAL, {"mj-body", "mj-wrapper"}),
    "mj-group": (
        {"width", "vertical-align", "background-color", "direction"} | BODY_GLOBAL,
        {"mj-section"},
    ),
    "mj-column": (
        BORDER
        | PADDING
        | BODY_GLOBAL
        | {
            "background-color",
            "inner-background-color",
            "inner-border",
            "inner-border-top",
            "inner-border-right",
            "inner-border-bottom",
            "inner-border-left",
            "inner-border-radius",
            "vertical-align",
            "width",
            "direction",
        },
        {"mj-section", "mj-group"},
    ),
    "mj-hero": (
        PADDING
        | BODY_GLOBAL
        | {
            "mode",
            "height",
            "background-url",
            "background-width",
            "background-height",
            "background-position",
            "background-color",
            "border-radius",
            "container-background-color",
            "inner-background-color",
            "inner-padding",
            "inner-padding-top",
            "inner-padding-right",
            "inner-padding-bottom",
            "inner-padding-left",
            "vertical-align",
            "width",
        },
        {"mj-body", "mj-wrapper"},
    ),
    # content
    "mj-text": (
        FONT | PADDING | BODY_GLOBAL | {"align", "container-background-color", "height"},
        {"mj-column", "mj-hero"},
    ),
    "mj-button": (
        FONT
        | PADDING
        | BORDER
        | LINK
        | BODY_GLOBAL
        | {
            "align",
            "background-color",
            "container-background-color",
            "height",
            "inner-padding",
            "text-align",
            "vertical-align",
            "width",
        },
        {"mj-column", "mj-hero"},
    ),
    "mj-image": (
        BORDER
        | PADDING
        | LINK
        | BODY_GLOBAL
        | {
            "align",
            "alt",
            "container-background-color",
            "fluid-on-mobile",
            "height",
            "sizes",
            "src",
            "srcset",
            "usemap",
            "width",
            "max-height",
            "font-size",
        },
        {"mj-column", "mj-hero"},
    ),
    "mj-divider": (
        PADDING
        | BODY_GLOBAL
        | {
            "align",
            "border-color",
            "border-style",
            "border-width",
            "container-background-color",
            "width",
        },
        {"mj-column", "mj-hero"},
    ),
    "mj-spacer": (
        PADDING | BODY_GLOBAL | {"container-background-color", "height"},
        {"mj-column", "mj-hero"},
    ),
    "mj-table": (
        PADDING
        | BODY_GLOBAL
        | {
            "align",
            "border",
            "cellpadding",
            "cellspacing",
            "color",
            "container-background-color",
            "font-family",
            "font-size",
            "line-height",
            "role",
            "table-layout",
            "width",
        },
        {"mj-column", "mj-hero"},
    ),
    "mj-raw": (
        {"position"},
        {"mj-head", "mj-body", "mj-wrapper", "mj-section", "mj-group", "mj-column", "mj-hero"},
    ),
    "mj-social": (
        FONT
        | PADDING
        | BODY_GLOBAL
        | {
            "align",
            "border-radius",
            "container-background-color",
            "icon-height",
            "icon-size",
            "icon-padding",
            "inner-padding",
            "mode",
            "text-padding",
            "table-layout",
        },
        {"mj-column", "mj-hero"},
    ),
    "mj-social-element": (
        FONT
        | PADDING
        | LINK
        | BODY_GLOBAL
        | {
            "align",
            "alt",
            "background-color",
            "border-radius",
            "icon-height",
            "icon-size",
            "icon-padding",
            "icon-position",
            "text-padding",
            "sizes",
            "src",
            "srcset",
            "vertical-align",
        },
        {"mj-social"},
    ),
    "mj-navbar": (
        BODY_GLOBAL
        | {
            "align",
            "base-url",
            "hamburger",
            "ico-align",
            "ico-close",
            "ico-color",
            "ico-font-family",
            "ico-font-size",
            "ico-line-height",
            "ico-open",
            "ico-padding",
            "ico-padding-top",
            "ico-padding-right",
            "ico-padding-bottom",
            "ico-padding-left",
            "ico-text-decoration",
            "ico-text-transform",
        },
        {"mj-column", "mj-hero"},
    ),
    "mj-navbar-link": (FONT | PADDING | LINK | BODY_GLOBAL, {"mj-navbar"}),
    "mj-accordion": (
        BORDER
        | PADDING
        | BODY_GLOBAL
        | {
            "container-background-color",
            "font-family",
            "icon-align",
            "icon-height",
            "icon-position",
            "icon-unwrapped-alt",
            "icon-unwrapped-url",
            "icon-width",
            "icon-wrapped-alt",
            "icon-wrapped-url",
        },
        {"mj-column", "mj-hero"},
    ),
    "mj-accordion-element": (
        BODY_GLOBAL
        | {
            "background-color",
            "border",
            "font-family",
            "icon-align",
            "icon-height",
            "icon-position",
            "icon-unwrapped-alt",
            "icon-unwrapped-url",
            "icon-width",
            "icon-wrapped-alt",
            "icon-wrapped-url",
        },
        {"mj-accordion"},
    ),
    "mj-accordion-title": (
        FONT | PADDING | BODY_GLOBAL | {"background-color"},
        {"mj-accordion-element"},
    ),
    "mj-accordion-text": (
        FONT | PADDING | BODY_GLOBAL | {"background-color"},
        {"mj-accordion-element"},
    ),
    "mj-carousel": (
        BODY_GLOBAL
        | {
            "align",
            "border-radius",
            "container-background-color",
            "icon-width",
            "left-icon",
            "right-icon",
            "thumbnails",
            "tb-border",
            "tb-border-radius",
            "tb-hover-border-color",
            "tb-selected-border-color",
            "tb-width",
        },
        {"mj-column", "mj-hero"},
    ),
    "mj-carousel-image": (
        LINK
        | BODY_GLOBAL
        | {"alt", "src", "thumbnails-src", "border-radius", "tb-border", "tb-border-radius"},
        {"mj-carousel"},
    ),
    # ours: where a template's body goes inside the layout
    "mj-content": (set(), {"mj-body", "mj-wrapper"}),
}

# Elements whose content is HTML (or CSS/text) passed through as is, not more MJML.
ENDING = {
    "mj-text",
    "mj-button",
    "mj-table",
    "mj-raw",
    "mj-style",
    "mj-title",
    "mj-preview",
    "mj-navbar-link",
    "mj-social-element",
    "mj-accordion-title",
    "mj-accordion-text",
}

# Inside <mj-attributes>, a tag named after a body element sets that element's defaults.
ATTRIBUTE_DEFAULT_TARGETS = {
    name for name, (_, parents) in ELEMENTS.items() if parents and "mj-head" not in parents
} - {"mj-content", "mj-all", "mj-class", "mj-selector", "mj-html-attribute"}

CONTENT_ELEMENTS = CONTENT
