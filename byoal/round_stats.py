"""Per-round statistics, stored as small JSON files in each round's folder and read back as one history."""

from __future__ import annotations

import json
from typing import Any

from byoal import layout
from byoal.storage import Storage, read_bytes, write_bytes

ACTIVE_LEARNING = "active-learning.json"
HUMAN_LABELS = "human-labels.json"


def write_stats(storage: Storage, root: str, round_number: int, name: str, stats: dict[str, Any]) -> None:
    body = json.dumps({"round": round_number, **stats}, sort_keys=True, indent=1).encode("utf-8")
    write_bytes(storage, layout.round_file(root, round_number, name), body)


def read_history(storage: Storage, root: str) -> list[dict[str, Any]]:
    """One entry per round, in round order, combining what the round's steps recorded."""
    history: dict[int, dict[str, Any]] = {}
    for uri in storage.list(layout.rounds_prefix(root)):
        if uri.endswith("/" + ACTIVE_LEARNING) or uri.endswith("/" + HUMAN_LABELS):
            stats = json.loads(read_bytes(storage, uri))
            history.setdefault(stats["round"], {}).update(stats)
    return [history[number] for number in sorted(history)]
