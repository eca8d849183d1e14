"""The label-category file: ``{"document-version": "2018-11-28", "labels": [{"label": ...}, ...]}``."""

from __future__ import annotations

import json
from typing import Any

from byoal.errors import InputError
from byoal.storage import Storage, StorageError, read_bytes

DOCUMENT_VERSION = "2018-11-28"


def label_category_document(names: list[str]) -> dict[str, Any]:
    return {"document-version": DOCUMENT_VERSION, "labels": [{"label": name} for name in names]}


def parse_label_categories(data: bytes | str, *, uri: str) -> list[str]:
    """Class names in class-index order; InputError naming the file and the bad part."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"label-category file {uri}: not valid JSON ({error})") from None
    labels = document.get("labels") if isinstance(document, dict) else None
    if not isinstance(labels, list) or not labels:
        raise InputError(f"label-category file {uri}: 'labels' must be a non-empty list")
    names = []
    for index, entry in enumerate(labels):
        name = entry.get("label") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"label-category file {uri}: labels[{index}] needs a non-empty string 'label'")
        names.append(name)
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InputError(f"label-category file {uri}: duplicate labels {duplicates}")
    return names


def load_label_categories(storage: Storage, uri: str) -> list[str]:
    try:
        data = read_bytes(storage, uri)
    except StorageError as error:
        raise InputError(f"LabelCategoryConfigS3Uri: {error}") from None
    return parse_label_categories(data, uri=uri)
