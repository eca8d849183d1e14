"""Headline cleaning, shared by training and serving so both see the same tokens."""

from __future__ import annotations

import re

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Apostrophes join their word ("Apple's" -> "apples"); any other punctuation separates words.
_APOSTROPHES = re.compile(r"['\u2018\u2019`]")
_PUNCTUATION = re.compile(r"[^\w\s]|_")


def clean_text(text: str) -> str:
    """Lower-case, strip punctuation and drop scikit-learn's English stop words."""
    words = _PUNCTUATION.sub(" ", _APOSTROPHES.sub("", text.lower())).split()
    return " ".join(word for word in words if word not in ENGLISH_STOP_WORDS)


def clean_texts(texts: list[str]) -> list[str]:
    """:func:`clean_text` of each text, in order."""
    return [clean_text(text) for text in texts]
