"""CSS as the checks read it: declarations, rules, at-rules and media queries (tinycss2)."""

import re
from dataclasses import dataclass, field
from functools import lru_cache

import tinycss2


@dataclass(frozen=True)
class Declaration:
    name: str  # lower case; custom properties keep their `--`
    value: str  # as written, without `!important`
    important: bool
    tokens: tuple = ()  # tinycss2 component values of the value


@dataclass
class Rule:
    """A style rule (`selectors` set) or an at-rule (`at` set, its rules inside)."""

    selectors: str = ""
    declarations: list[Declaration] = field(default_factory=list)
    at: str = ""
    prelude: str = ""
    rules: list["Rule"] = field(default_factory=list)
    has_comments: bool = False


def _declarations(nodes) -> list[Declaration]:
    found = []
    for node in nodes:
        if node.type == "declaration":
            tokens = tuple(t for t in node.value if t.type not in ("whitespace", "comment"))
            found.append(
                Declaration(
                    node.lower_name if not node.name.startswith("--") else node.name,
                    tinycss2.serialize(node.value).strip(),
                    node.important,
                    tokens,
                )
            )
    return found


@lru_cache(maxsize=4096)
def inline_declarations(style: str) -> tuple[Declaration, ...]:
    """The declarations of a `style` attribute (cached: emails repeat their inline styles)."""
    return tuple(_declarations(tinycss2.parse_blocks_contents(style, skip_whitespace=True)))


@lru_cache(maxsize=64)
def stylesheet(css: str) -> tuple[Rule, ...]:
    """A `<style>` block's rules, at-rules holding their own rules (cached; never changed)."""
    return tuple(_rules(tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=False)))


def _rules(nodes) -> list[Rule]:
    rules, comment = [], False
    for node in nodes:
        if node.type == "comment":
            comment = True
        elif node.type == "qualified-rule":
            content = tinycss2.parse_blocks_contents(node.content, skip_whitespace=True)
            rules.append(
                Rule(
                    selectors=tinycss2.serialize(node.prelude).strip(),
                    declarations=_declarations(content),
                    has_comments=comment or any(n.type == "comment" for n in content),
                )
            )
            comment = False
        elif node.type == "at-rule":
            inner = []
            if node.content is not None and node.lower_at_keyword in ("media", "supports"):
                inner = _rules(
                    tinycss2.parse_rule_list(
                        node.content, skip_whitespace=True, skip_comments=False
                    )
                )
            elif node.content is not None:
                content = tinycss2.parse_blocks_contents(node.content, skip_whitespace=True)
                inner = [Rule(declarations=_declarations(content))]
            rules.append(
                Rule(
                    at=node.lower_at_keyword,
                    prelude=tinycss2.serialize(node.prelude).strip(),
                    rules=inner,
                    has_comments=comment,
                )
            )
            comment = False
    return rules


def walk(rules: list[Rule]):
    """Every rule and at-rule, nested ones included."""
    for rule in rules:
        yield rule
        yield from walk(rule.rules)


# --- media queries --------------------------------------------------------------------------

_FEATURE = re.compile(r"\(\s*([a-z-]+)\s*(?::\s*([^)]*?))?\s*\)", re.I)


def media_applies(prelude: str, *, width: int, scheme: str = "light") -> bool:
    """Whether a media query list holds on a screen `width` px wide in colour `scheme`.

    Enough of Media Queries 4 for email: media types, `not`/`only`, `and`, min/max-width in
    px and prefers-color-scheme; a feature it does not know does not match (as clients that
    do not know it drop the rule).
    """
    return any(_query(query.strip().lower(), width, scheme) for query in prelude.split(","))


def _query(query: str, width: int, scheme: str) -> bool:
    negate = query.startswith("not ")
    query = query.removeprefix("not ").removeprefix("only ").strip()
    media_type = query.split("(", 1)[0].replace("and", " ").strip()
    result = media_type in ("", "screen", "all")
    for name, value in _FEATURE.findall(query):
        result = result and _feature(name, (value or "").strip(), width, scheme)
    return not result if negate else result


def _feature(name: str, value: str, width: int, scheme: str) -> bool:
    if name in ("min-width", "max-width"):
        match = re.fullmatch(r"(-?[\d.]+)(px)?", value)
        if match is None:
            return False
        limit = float(match.group(1))
        return width >= limit if name == "min-width" else width <= limit
    if name == "prefers-color-scheme":
        return value == scheme
    return False


def applicable_css(css_blocks: list[str], *, width: int, scheme: str = "light") -> str:
    """The style rules that apply at `width` in `scheme`, media blocks flattened, in order."""
    out = []
    for block in css_blocks:
        out += _flatten(stylesheet(block), width, scheme)
    return "\n".join(out)


def _flatten(rules: list[Rule], width: int, scheme: str) -> list[str]:
    out = []
    for rule in rules:
        if rule.at == "media" and media_applies(rule.prelude, width=width, scheme=scheme):
            out += _flatten(rule.rules, width, scheme)
        elif not rule.at and rule.selectors:
            body = "; ".join(
                f"{d.name}: {d.value}{' !important' if d.important else ''}"
                for d in rule.declarations
            )
            out.append(f"{rule.selectors} {{ {body} }}")
    return out
