"""One check for a labeled batch, whether it comes from a Callback submission or a labeling job's output."""

from __future__ import annotations

import pytest

from byoal.errors import InputError
from byoal.labeled_batch import batch_labels, labeled_records

BATCH = [{"source": "a", "byoal-id": 3}, {"source": "b", "byoal-id": 5}, {"source": "c", "byoal-id": 8}]
LABELS = ["sport", "tech"]


def check(lines, *, metadata_required):
    return batch_labels(enumerate(lines, start=1), {3, 5, 8}, uri="s3://b/out.manifest", job_name="run-r001-human",
                        label_attribute="category", num_classes=2, metadata_required=metadata_required)


@pytest.mark.parametrize("metadata_required", [False, True])
@pytest.mark.parametrize(("lines", "message"), [
    ([{"byoal-id": 4, "category": 0}], "line 1: 'byoal-id' 4 is not a record of batch run-r001-human"),
    ([{"byoal-id": 3, "category": 0, "category-metadata": {}}, {"byoal-id": 3, "category": 1}],
     "line 2: record id 3 is labeled twice"),
    ([{"byoal-id": 5, "category": 2}], "line 1: label 'category' = 2 is outside"),
    ([{"byoal-id": 5, "category": 1, "category-metadata": "human"}],
     "line 1: 'category-metadata' must be a JSON object"),
])
def test_both_paths_refuse_the_same_bad_lines_with_the_same_message(lines, message, metadata_required):
    with pytest.raises(InputError, match=message):
        check(lines, metadata_required=metadata_required)


def test_a_job_output_needs_metadata_and_a_submission_gets_it_added():
    line = {"byoal-id": 8, "category": 1}
    with pytest.raises(InputError, match="line 1: 'category-metadata' must be a JSON object"):
        check([line], metadata_required=True)
    records = labeled_records(BATCH, enumerate([line, {"byoal-id": 3}], start=1), uri="s3://b/l.manifest",
                              job_name="run-r001-human", label_attribute="category", labels=LABELS,
                              labeled_at="2026-11-29T20:00:00.000000")
    assert [record["byoal-id"] for record in records] == [8]
    assert records[0]["category"] == 1 and records[0]["category-metadata"]["class-name"] == "tech"
    assert records[0]["category-metadata"]["human-annotated"] == "yes"
