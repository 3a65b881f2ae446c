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
from .feature_map import (
    AT_RULES,
    ATTRIBUTES,
    CHAINABLE,
    ELEMENTS,
    FUNCTIONS,
    IMAGE_TYPES,
    INPUTS,
    KEYWORDS,
    MEDIA_FEATURES,
    PSEUDO,
    PSEUDO_ELEMENTS,
    UNITS,
    property_feature,
)

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
