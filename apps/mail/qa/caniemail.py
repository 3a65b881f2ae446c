"""caniemail's support data (vendored in `data/`), read for the clients our recipients use.

The file is the `caniemail` npm package's `data/caniemail.json` as published (see
`data/SOURCE.json` for its version, date and checksum; `manage.py caniemail_refresh FILE`
replaces it). Each feature lists, per client family and platform, a support value per tested
version: `y` supported, `a` partial, `n` not supported, `u` unknown, each optionally followed by
note numbers (`a #1 #3`). We read the latest tested version: what a recipient runs today.
"""

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
DATA_FILE = DATA_DIR / "caniemail.json"

SUPPORTED, PARTIAL, UNSUPPORTED, UNKNOWN = "supported", "partial", "unsupported", "unknown"
_SUPPORT = {"y": SUPPORTED, "a": PARTIAL, "n": UNSUPPORTED, "u": UNKNOWN}


@dataclass(frozen=True)
class Client:
    family: str  # caniemail's family key
    platform: str  # caniemail's platform key
    name: str  # as the studio says it

    @property
    def family_name(self) -> str:
        return self.name.split(" (")[0]


# The clients the product's brief names: Gmail (web and app), Outlook (web and desktop), Apple
# Mail (macOS and iOS), and Yahoo.
CLIENTS = [
    Client("gmail", "desktop-webmail", "Gmail (web)"),
    Client("gmail", "ios", "Gmail (iOS)"),
    Client("gmail", "android", "Gmail (Android)"),
    Client("outlook", "windows", "Outlook (Windows)"),
    Client("outlook", "macos", "Outlook (macOS)"),
    Client("outlook", "outlook-com", "Outlook (web)"),
    Client("outlook", "ios", "Outlook (iOS)"),
    Client("apple-mail", "macos", "Apple Mail (macOS)"),
    Client("apple-mail", "ios", "Apple Mail (iOS)"),
    Client("yahoo", "desktop-webmail", "Yahoo (web)"),
    Client("yahoo", "ios", "Yahoo (iOS)"),
    Client("yahoo", "android", "Yahoo (Android)"),
]


@dataclass(frozen=True)
class Support:
    level: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Feature:
    slug: str
    title: str
    url: str
    support: dict  # Client -> Support


def check_data(data) -> list:
    """The features of caniemail data, or ValueError saying what is wrong with its shape."""
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError("not caniemail data: expected an object with a 'data' list")
    for item in data["data"]:
        if not isinstance(item, dict) or not {"slug", "title", "stats"} <= item.keys():
            raise ValueError("not caniemail data: a feature lacks its slug, title or stats")
        if not isinstance(item["stats"], dict):
            raise ValueError(f"not caniemail data: {item['slug']!r} has no stats object")
    return data["data"]


@lru_cache(maxsize=1)
def features() -> dict[str, Feature]:
    """Every feature by slug, with the support of each of our clients (read once)."""
    data = json.loads(DATA_FILE.read_text())
    found = {}
    for item in check_data(data):
        support = {client: _support(item, client) for client in CLIENTS}
        found[item["slug"]] = Feature(
            item["slug"],
            item["title"],
            item.get("url") or "",
            {c: s for c, s in support.items() if s is not None},
        )
    return found


def _support(item: dict, client: Client) -> Support | None:
    versions = item["stats"].get(client.family, {}).get(client.platform)
    if not isinstance(versions, dict) or not versions:
        return None
    value = str(list(versions.values())[-1]).split()  # the latest tested version
    notes = item.get("notes_by_num") or {}
    texts = tuple(
        plain(notes[ref[1:]]) for ref in value[1:] if ref.startswith("#") and ref[1:] in notes
    )
    return Support(_SUPPORT.get(value[0][:1], UNKNOWN), texts)


_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def plain(note: str) -> str:
    """A caniemail note (Markdown) as plain text."""
    return _MD_LINK.sub(r"\1", note).replace("`", "").strip()


@lru_cache(maxsize=1)
def source() -> dict:
    """Where the vendored data came from (data/SOURCE.json)."""
    return json.loads((DATA_DIR / "SOURCE.json").read_text())
