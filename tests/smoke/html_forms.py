"""The forms of an HTML page, read as a browser reads them (stdlib `html.parser` only).

A form's data is what a browser would post unchanged: hidden fields (the CSRF token among
them), text fields and text areas with their values, checked boxes and radios, each select's
selected options (its first option when none is), and no submit button nor file field.
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

UNSENT = {"submit", "button", "reset", "image", "file"}


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    def value(self, name: str) -> str | None:
        return next((value for key, value in self.fields if key == name), None)

    def data(self, changes: dict | None = None) -> list[tuple[str, str]]:
        """The fields as posted, with `changes` applied: a value (or a list of values) replaces
        the field's, None drops it (an unchecked box)."""
        changes = changes or {}
        data = [(key, value) for key, value in self.fields if key not in changes]
        for key, value in changes.items():
            values = value if isinstance(value, list | tuple) else [value]
            data += [(key, str(v)) for v in values if v is not None]
        return data


class _FormParser(HTMLParser):
    def __init__(self, page_path: str):
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[Form] = []
        self._open = False  # inside a <form>: fields outside any form are not sent
        self._textarea: tuple[str, list[str]] | None = None
        self._select: tuple[str, list[tuple[str, bool]], bool] | None = None
        self._option: list | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            action = urljoin(self.page_path, attributes.get("action") or self.page_path)
            self.forms.append(Form(action.split("#")[0], attributes.get("method", "get").lower()))
            self._open = True
        elif tag == "option":
            if self._select is not None:
                self._start_option(attributes)
        elif not self._open or not attributes.get("name") or "disabled" in attributes:
            return
        elif tag == "input":
            self._input(attributes)
        elif tag == "textarea":
            self._textarea = (attributes["name"], [])
        elif tag == "select":
            self._select = (attributes["name"], [], "multiple" in attributes)

    def _start_option(self, attributes: dict) -> None:
        self._option = [attributes.get("value"), "selected" in attributes, []]

    def _input(self, attributes: dict) -> None:
        kind = attributes.get("type", "text").lower()
        if kind in UNSENT or (kind in ("checkbox", "radio") and "checked" not in attributes):
            return
        default = "on" if kind in ("checkbox", "radio") else ""
        self.forms[-1].fields.append((attributes["name"], attributes.get("value", default)))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)
        if self._option is not None:
            self._option[2].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = False
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            text = "".join(parts)
            self.forms[-1].fields.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value, selected, text = self._option
            label = "".join(text).strip()
            self._select[1].append((value if value is not None else label, selected))
            self._option = None
        elif tag == "select" and self._select is not None:
            name, options, multiple = self._select
            chosen = [value for value, selected in options if selected]
            if not chosen and options and not multiple:
                chosen = [options[0][0]]
            self.forms[-1].fields += [(name, value) for value in chosen]
            self._select = None


def forms_in(html: str, *, page_path: str = "/") -> list[Form]:
    parser = _FormParser(page_path)
    parser.feed(html)
    parser.close()
    return parser.forms
