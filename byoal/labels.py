"""The label-category file: ``{"document-version": "2018-11-28", "labels": [{"label": ...}, ...]}``.

A UTF-8 byte-order mark is tolerated. Refused: fewer than two categories (nothing to choose
between), a name that is not a non-empty string, and two names a labeler could not tell apart
(equal once surrounding spaces and letter case are ignored).
"""

from __future__ import annotations

import json
from typing import Any

from byoal.errors import InputError
from byoal.storage import Storage, StorageError, read_bytes

DOCUMENT_VERSION = "2018-11-28"


def label_category_document(names: list[str]) -> dict[str, Any]:
    """The label-category file for ``names``, class index = position in the list."""
    return {"document-version": DOCUMENT_VERSION, "labels": [{"label": name} for name in names]}


MIN_CATEGORIES = 2


def parse_label_categories(data: bytes | str, *, uri: str) -> list[str]:
    """Class names in class-index order; InputError naming the file, the bad part, its value and what is expected."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        document = json.loads(text.removeprefix("\ufeff"))
    except UnicodeDecodeError as error:
        raise InputError(f"label-category file {uri}: not UTF-8 text ({error})") from None
    except (json.JSONDecodeError, RecursionError) as error:
        raise InputError(f"label-category file {uri}: not valid JSON ({error})") from None
    labels = document.get("labels") if isinstance(document, dict) else None
    if not isinstance(labels, list) or not labels:
        raise InputError(
            f"label-category file {uri}: 'labels' must be a non-empty list of {{\"label\": \"<name>\"}}, "
            f"got {str(labels)[:60]}"
        )
    names = []
    for index, entry in enumerate(labels):
        name = entry.get("label") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise InputError(
                f"label-category file {uri}: labels[{index}] needs a non-empty string 'label', got {str(entry)[:60]}"
            )
        names.append(name)
    if len(names) < MIN_CATEGORIES:
        raise InputError(
            f"label-category file {uri}: {len(names)} category ({names[0]!r}); a classification needs at least "
            f"{MIN_CATEGORIES} to choose between"
        )
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        key = name.strip().casefold()
        if key in seen:
            raise InputError(
                f"label-category file {uri}: labels[{index}] {name!r} repeats labels[{seen[key]}] "
                f"{names[seen[key]]!r}; every category needs a name a labeler can tell apart"
            )
        seen[key] = index
    return names


def load_label_categories(storage: Storage, uri: str) -> list[str]:
    """Class names of the label-category file at ``uri``; InputError naming LabelCategoryConfigS3Uri if unreadable."""
    try:
        data = read_bytes(storage, uri)
    except StorageError as error:
        raise InputError(f"LabelCategoryConfigS3Uri: {error}") from None
    return parse_label_categories(data, uri=uri)
