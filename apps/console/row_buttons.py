"""unfold's small button in a list row, for actions offered only on the rows where they work
(unfold's own row actions are the same on every row)."""

from functools import lru_cache

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

# unfold's own row actions open a dialog this way (the page's modal, filled over htmx).
DIALOG_ATTRS = mark_safe(
    'hx-get="__url__" hx-target="#modal-content" hx-select="#dialog" '
    'x-on:htmx:after-on-load="openModal = true"'
)


@lru_cache(maxsize=16)
def row_button(label: str, *, css_class: str, icon: str = "replay", dialog: bool = False) -> str:
    """The button's markup as a format string with a `{url}` slot, rendered once per label: a
    list page shows it on 50 rows. With `dialog`, it opens the URL in the page's modal."""
    html = render_to_string(
        "unfold/components/button.html",
        {
            "href": "__url__",
            "size": "xs",
            "variant": "default",
            "icon": icon,
            "children": label,
            "class": css_class,
            **({"extra_attrs": DIALOG_ATTRS} if dialog else {}),
        },
    )
    return html.replace("{", "{{").replace("}", "}}").replace("__url__", "{url}")
