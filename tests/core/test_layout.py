import inspect
import re
from pathlib import Path

import pytest

from byoal import layout

DOC = Path(__file__).parents[2] / "docs" / "storage-layout.md"


def test_a_job_names_round_reads_back_for_its_step_only():
    name = layout.job_name("news-1a2b3c4d", 12, "auto")
    assert layout.job_round(name, "auto") == 12
    assert layout.job_round(layout.job_name("news-1a2b3c4d", 1, "human"), "auto") is None
    assert layout.job_round("news-auto", "auto") is None


def test_the_storage_layout_doc_lists_exactly_the_objects_layout_names():
    samples = {"root": "s3://bucket/out/run/", "round_number": 7, "job_name": "<job-name>", "channel": "<channel>",
               "file_name": "<file-name>"}
    named = {}
    for function in layout.OBJECTS:
        uri = function(*(samples[parameter] for parameter in inspect.signature(function).parameters))
        named[uri.removeprefix(samples["root"]).replace("007", "<NNN>")] = function.__name__
    rows = re.findall(r"^\| `([^`]+)` \| `([a-z_]+)` \|", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert dict(rows) == named and len(rows) == len(named) == len(set(layout.OBJECTS))


def test_every_path_is_under_the_run_folder_and_distinct_per_round_and_job():
    root = layout.run_root("s3://bucket/out/", "news-1a2b3c4d")
    assert root == "s3://bucket/out/news-1a2b3c4d/"
    assert layout.selection(root, 0) != layout.selection(root, 1)
    assert layout.labeling_job_of(layout.callback_pending(root, "j-r001-human")) == (root, "j-r001-human")
    with pytest.raises(ValueError, match="not an object in a labeling job's folder"):
        layout.labeling_job_of(layout.selection(root, 1))
    for function in layout.OBJECTS:
        arguments = {"root": root, "round_number": 3, "job_name": "j", "channel": "train", "file_name": "f.jsonl"}
        uri = function(*(arguments[parameter] for parameter in inspect.signature(function).parameters))
        assert uri.startswith(root) and "//" not in uri.removeprefix("s3://"), function.__name__
