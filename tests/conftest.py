"""Shared test setup: the repository on sys.path, and the bundled sample's rows."""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample" / "uci_news_sample.csv.gz"
UCI_CLASSES = ["b", "e", "m", "t"]
UCI_LABELS = ["Business", "Entertainment", "Health & Medicine", "Science and Technology"]

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def prepared_sample(folder: Path, *, records: int, seed: int, options: tuple[str, ...] = ()) -> Path:
    """``scripts.prepare`` into ``folder``: ``records`` headlines of the bundled sample, 40 % pre-labeled at random."""
    from scripts import prepare

    arguments = ["--dataset", str(SAMPLE), "--output-dir", str(folder), "--sample", str(records), "--seed", str(seed),
                 "--labeled-fraction", "0.4", *options]  # fmt: skip
    assert prepare.main(arguments) == 0
    return folder


def sample_rows(limit: int | None = None) -> list[tuple[str, int]]:
    """(headline, class index) pairs from the bundled 10,000-headline sample, in file order."""
    with gzip.open(SAMPLE, "rt", encoding="utf-8", newline="") as stream:
        rows = [(row["TITLE"], UCI_CLASSES.index(row["CATEGORY"])) for row in csv.DictReader(stream)]
    return rows[:limit] if limit else rows


@pytest.fixture(scope="session")
def headlines() -> list[tuple[str, int]]:
    return sample_rows()
