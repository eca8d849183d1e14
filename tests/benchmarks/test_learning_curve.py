import csv
import gzip
from collections import Counter

import pytest

from benchmarks.active_learning.learning_curve import split_dataset
from benchmarks.active_learning.runs import BenchmarkError
from scripts import prepare
from tests.benchmarks.conftest import dataset_rows, write_dataset


def test_the_held_out_slice_is_stratified_cleaned_and_left_out_of_the_workflow_data(tmp_path):
    dataset = write_dataset(tmp_path / "data.csv.gz", dataset_rows())
    held_out = split_dataset(
        dataset, tmp_path / "workflow.csv.gz", size=20, text_column="TITLE", label_column="CATEGORY"
    )

    with gzip.open(tmp_path / "workflow.csv.gz", "rt", encoding="utf-8", newline="") as stream:
        workflow = list(csv.DictReader(stream))
    assert len(workflow) == 80 and len(held_out.texts) == 20
    assert Counter(held_out.labels.tolist()) == {0: 12, 1: 6, 2: 2}
    assert held_out.class_names == ["Business", "Entertainment", "Health & Medicine"]
    assert all(text.startswith("Headline ") and text[-1] in "bem" for text in held_out.texts)
    workflow_texts = {row["TITLE"].replace('"', "").replace(",", "").replace("!", "") for row in workflow}
    assert len(workflow_texts) == 80 and not workflow_texts & set(held_out.texts)


def test_the_workflow_part_is_a_dataset_scripts_prepare_reads(tmp_path):
    dataset = write_dataset(tmp_path / "data.csv.gz", dataset_rows())
    split_dataset(dataset, tmp_path / "workflow.csv.gz", size=20, text_column="TITLE", label_column="CATEGORY")

    # 80 records: a target the threshold test can show on few calibration records.
    options = ["--target-accuracy", "0.6", "--risk-tolerance", "0.5", "--calibration-share", "0.5"]
    assert (
        prepare.main(
            ["--dataset", str(tmp_path / "workflow.csv.gz"), "--output-dir", str(tmp_path / "inputs"), *options]
        )
        == 0
    )


def test_a_held_out_slice_as_large_as_the_dataset_is_refused(tmp_path):
    dataset = write_dataset(tmp_path / "data.csv.gz", dataset_rows())

    with pytest.raises(BenchmarkError, match="more than 100"):
        split_dataset(dataset, tmp_path / "workflow.csv.gz", size=100, text_column="TITLE", label_column="CATEGORY")
