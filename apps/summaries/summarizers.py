"""Summarizer engines behind one interface; `settings.SUMMARIZER` names the one in use.

The default, `LocalExtractiveSummarizer`, is a stand-in for a model provider: it needs no
network and no model download, and is deterministic (the same text and mode give the same
summary). It picks the text's most representative sentences by word frequency. A deployment
plugs in a hosted model by writing a class with the same `summarize` method and naming it in
the SUMMARIZER environment variable.
"""

import re
from collections import Counter
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n{2,}|\n(?=\s*[-*•]\s)")
WORD = re.compile(r"[^\W\d_]{3,}")
_STOPWORDS = (
    "the and for are but not you all any can had her was one our out has him his how its may "
    "new now old see two who did get let put say she too use that with have this will your from "
    "they know want been good much some time very when come here just like long make many more "
    "only over such take than them well were what which their there these would about could "
    "other into also then after where while being does each those under between"
)
STOPWORDS = frozenset(_STOPWORDS.split())


class Summarizer(Protocol):
    name: str

    def summarize(self, *, text: str, mode: str) -> str: ...


class LocalExtractiveSummarizer:
    """Stand-in for a model: extracts the most representative sentences, shaped by mode."""

    name = "local-extractive (stand-in for a model provider)"
    SHAPES = {"brief": 2, "detailed": 8, "bullet_points": 5, "executive": 4}

    def summarize(self, *, text: str, mode: str) -> str:
        sentences = split_sentences(text)
        if not sentences:
            return ""
        picked = top_sentences(sentences, self.SHAPES[mode])
        if mode == "bullet_points":
            return "\n".join(f"• {s}" for s in picked)
        if mode == "executive":
            lines = [f"Bottom line: {picked[0]}"]
            if len(picked) > 1:
                lines += ["Key points:", *(f"- {s}" for s in picked[1:])]
            return "\n".join(lines)
        return " ".join(picked)


def split_sentences(text: str) -> list[str]:
    parts = (" ".join(p.split()) for p in SENTENCE_END.split(text))
    return [p.lstrip("-*• ").strip() for p in parts if p.strip("-*• ")]


def top_sentences(sentences: list[str], count: int) -> list[str]:
    """The `count` highest-scoring sentences, in their original order (ties: the earlier)."""
    words = [[w for w in WORD.findall(s.lower()) if w not in STOPWORDS] for s in sentences]
    frequency = Counter(w for sentence in words for w in sentence)
    scores = [
        (sum(frequency[w] for w in ws) / (len(ws) ** 0.5) if ws else 0.0) - i * 1e-9
        for i, ws in enumerate(words)
    ]
    best = sorted(range(len(sentences)), key=lambda i: scores[i], reverse=True)[:count]
    return [sentences[i] for i in sorted(best)]


@lru_cache(maxsize=4)
def _engine(path: str) -> Summarizer:
    return import_string(path)()


def summarizer() -> Summarizer:
    """The engine `settings.SUMMARIZER` names (one instance per process)."""
    return _engine(settings.SUMMARIZER)
