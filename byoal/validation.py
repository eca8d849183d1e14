"""The one validation pass over a run's inputs, shared by the workflow's first step and ``scripts.prepare``.

Every check reads and raises; none writes. Each refusal is an InputError that names the file and
line or the request field, the value, and what is expected. What is refused and what is tolerated
is tabled in docs/execution-input.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from byoal import feasibility, workforces
from byoal import records as rec
from byoal.errors import InputError
from byoal.working import assign_ids


@dataclass(frozen=True)
class ManifestSummary:
    """What :func:`check_manifest` found in an input manifest."""

    records: int
    labeled: int
    """Records that arrive with a label (they count as human labels)."""


def checked_records(
    numbered_records: Iterable[tuple[int, dict[str, Any]]], *, uri: str, config: dict[str, Any], labels: list[str]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) as given, each checked against the record contract (:func:`byoal.records.check_record`)."""
    longest = workforces.get(config["Workforce"]).max_source_characters
    for number, record in numbered_records:
        rec.check_record(
            record,
            label_attribute=config["LabelAttributeName"],
            num_classes=len(labels),
            where=f"{uri} line {number}",
            label_names=labels,
            max_source_characters=longest,
        )
        yield number, record


def check_manifest(
    numbered_records: Iterable[tuple[int, dict[str, Any]]], *, uri: str, config: dict[str, Any], labels: list[str]
) -> ManifestSummary:
    """Check every record of an input manifest, their ids, and that the dataset is large enough to auto-label."""
    records = labeled = 0
    attribute = config["LabelAttributeName"]
    for record in assign_ids(checked_records(numbered_records, uri=uri, config=config, labels=labels), uri=uri):
        records += 1
        labeled += rec.is_labeled(record, attribute)
    if records == 0:
        raise InputError(f"{uri}: the input manifest holds no records")
    feasibility.check_dataset_size(config, records=records, input_labeled=labeled, where=uri)
    return ManifestSummary(records=records, labeled=labeled)
