"""``python -m scripts.prepare`` on real data: CSV, JSON Lines and plain text, labeled, partly labeled or not."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from byoal.labels import parse_label_categories
from byoal.request import validate_request

from .conftest import read_jsonl, write_csv

CLASSES = ["food", "sports", "tech"]
RECORDS = 120


def texts(count: int = RECORDS) -> list[str]:
    return [f'Record {number}: "{CLASSES[number % 3]}" news, with a comma' for number in range(count)]


def run_prepare(output: Path, *args: str) -> int:
    from scripts import prepare

    # The tests' datasets are about a hundred records: CalibrationShare 0.9 lets them reach the threshold
    # test's calibration records at the default target (unless a test sets it).
    calibration = [] if "--calibration-share" in args else ["--calibration-share", "0.9"]
    return prepare.main([*args, *calibration, "--output-dir", str(output)])


def folder(output: Path) -> dict:
    names = sorted(path.name for path in output.iterdir())
    return {
        "names": names,
        "input": read_jsonl(output / "input.manifest"),
        "labels": parse_label_categories((output / "class_labels.json").read_bytes(), uri="class_labels.json"),
        "request": json.loads((output / "request.json").read_text(encoding="utf-8")),
        "config": validate_request(json.loads((output / "request.json").read_text(encoding="utf-8"))),
    }


def check_callback_inputs(files: dict, *, attribute: str, labeled: dict[int, str], prefix: str) -> None:
    """Inputs for people to label: every given label kept by name, no answer key, the Callback workforce."""
    assert files["names"] == ["class_labels.json", "input.manifest", "instructions.template", "request.json"]
    config = files["config"]
    assert (config["Workforce"], config["AnswerKeyS3Uri"]) == ("Callback", None)
    assert "AnswerKeyS3Uri" not in files["request"]["ActiveLearningConfig"]
    assert (config["LabelAttributeName"], config["LabelingJobNamePrefix"]) == (attribute, prefix)
    assert len(files["input"]) == RECORDS
    for position, record in enumerate(files["input"]):
        if position in labeled:
            assert files["labels"][record[attribute]] == labeled[position]
            metadata = record[f"{attribute}-metadata"]
            assert (metadata["class-name"], metadata["human-annotated"]) == (labeled[position], "yes")
        else:
            assert attribute not in record and f"{attribute}-metadata" not in record


def test_csv_with_mostly_empty_labels_goes_to_people(tmp_path, capsys):
    labeled = {position: CLASSES[position % 3] for position in range(0, RECORDS, 10)}
    rows = [[text, labeled.get(position, "")] for position, text in enumerate(texts())]
    dataset = write_csv(
        tmp_path / "Support_Tickets 2024.csv",
        ["id", "Text", "Label"],
        [[str(i), *row] for i, row in enumerate(rows)],
        compress=False,
    )
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(dataset)) == 0
    files = folder(output)
    check_callback_inputs(files, attribute="label", labeled=labeled, prefix="support-tickets-2024")
    assert files["labels"] == CLASSES
    assert files["input"][1]["source"] == texts()[1], "text people label is not cleaned unless asked"
    out = capsys.readouterr().out
    assert "120 records, 12 labeled, 108 unlabeled" in out and "python -m scripts.label" in out


def test_csv_without_a_label_column_takes_the_classes_from_labels(tmp_path, capsys):
    dataset = write_csv(
        tmp_path / "reviews.csv.gz", ["review", "stars_unused"], [[text, "x"] for text in texts()], compress=True
    )
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(dataset), "--label-column", "stars_unused") == 2
    assert "single class" in capsys.readouterr().err
    assert (
        run_prepare(output, "--dataset", str(dataset), "--label-column", "stars_unused", "--labels", "bad", "good") == 2
    )
    assert "not among ['bad', 'good']: {'x': 120}" in capsys.readouterr().err
    assert not output.exists()
    plain = write_csv(tmp_path / "reviews.csv", ["review"], [[text] for text in texts()], compress=False)
    assert run_prepare(output, "--dataset", str(plain), "--labels", "bad", "good") == 0
    files = folder(output)
    check_callback_inputs(files, attribute="label", labeled={}, prefix="reviews")
    assert files["labels"] == ["bad", "good"]


def test_fully_labeled_csv_keeps_the_simulated_path_with_names_from_the_data(tmp_path):
    rows = [[text, CLASSES[position % 3]] for position, text in enumerate(texts())]
    dataset = write_csv(tmp_path / "topics.csv", ["sentence", "topic"], rows, compress=False)
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(dataset), "--labeled-fraction", "0.5") == 0
    files = folder(output)
    assert "answers.manifest" in files["names"]
    config = files["config"]
    assert (config["Workforce"], config["LabelAttributeName"], config["LabelingJobNamePrefix"]) == (
        "Simulated",
        "topic",
        "topics",
    )
    assert sum("topic" in record for record in files["input"]) == RECORDS // 2
    answers = read_jsonl(output / "answers.manifest")
    assert [files["labels"][answer["topic"]] for answer in answers] == [row[1] for row in rows]


def ground_truth_line(text: str, label: str | None, attribute: str = "sentiment") -> dict:
    record = {"source": text, "ticket": {"id": text[:9]}}
    if label is not None:
        record[attribute] = CLASSES.index(label)
        record[f"{attribute}-metadata"] = {
            "class-name": label,
            "confidence": 0.9,
            "human-annotated": "yes",
            "type": "groundtruth/text-classification",
            "job-name": "labeling-job/old",
            "creation-date": "2020-01-01T00:00:00",
        }
    return record


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def test_a_ground_truth_output_manifest_keeps_its_labels_by_class_name_and_its_other_fields(tmp_path):
    labeled = {position: CLASSES[(position // 7) % 3] for position in range(0, RECORDS, 7)}
    records = [ground_truth_line(text, labeled.get(position)) for position, text in enumerate(texts())]
    dataset = write_jsonl(tmp_path / "output.manifest", records)
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(dataset)) == 0
    files = folder(output)
    check_callback_inputs(files, attribute="sentiment", labeled=labeled, prefix="output")
    assert files["input"][5]["source"] == texts()[5], "JSON Lines text is never cleaned unless asked"
    assert [record["ticket"] for record in files["input"]] == [record["ticket"] for record in records]


def test_a_fully_labeled_json_lines_file_with_names_is_an_answer_key(tmp_path):
    records = [{"text": text, "topic": CLASSES[position % 3]} for position, text in enumerate(texts())]
    dataset = write_jsonl(tmp_path / "named.jsonl", records)
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(dataset), "--text-column", "text", "--label-column", "topic") == 0
    files = folder(output)
    assert files["config"]["Workforce"] == "Simulated" and files["labels"] == CLASSES
    assert files["config"]["LabelAttributeName"] == "topic"
    answers = read_jsonl(output / "answers.manifest")
    assert [answer["topic-metadata"]["class-name"] for answer in answers] == [record["topic"] for record in records]


def test_a_ground_truth_input_manifest_needs_the_class_names(tmp_path, capsys):
    dataset = write_jsonl(tmp_path / "batch.jsonl", [{"source": text} for text in texts()])
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(dataset)) == 2
    assert "--labels" in capsys.readouterr().err and not output.exists()
    assert run_prepare(output, "--dataset", str(dataset), "--labels", *CLASSES) == 0
    check_callback_inputs(folder(output), attribute="label", labeled={}, prefix="batch")


def test_a_label_index_without_a_class_name_is_named_by_line(tmp_path, capsys):
    records = [{"source": text} for text in texts()]
    records[4] = {"source": "x", "sentiment": 1, "sentiment-metadata": {"confidence": 1}}
    dataset = write_jsonl(tmp_path / "bad.jsonl", records)
    assert run_prepare(tmp_path / "inputs", "--dataset", str(dataset)) == 2
    assert "bad.jsonl line 5: label 'sentiment' is 1" in capsys.readouterr().err


def test_plain_text_is_one_record_per_line(tmp_path, capsys):
    lines = [*texts(RECORDS - 1), "<img src=x onerror=alert(1)>"]
    dataset = tmp_path / "notes.txt"
    dataset.write_text("\n".join(lines[:60]) + "\n\n   \n" + "\r\n".join(lines[60:]) + "\n", encoding="utf-8")
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(dataset)) == 2
    assert "--labels" in capsys.readouterr().err
    assert run_prepare(output, "--dataset", str(dataset), "--labels", *CLASSES) == 0
    files = folder(output)
    check_callback_inputs(files, attribute="label", labeled={}, prefix="notes")
    assert [record["source"] for record in files["input"]] == lines


def test_people_data_refuses_options_that_need_an_answer_key(tmp_path, capsys):
    dataset = tmp_path / "notes.txt"
    dataset.write_text("\n".join(texts()) + "\n", encoding="utf-8")
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(dataset), "--labels", *CLASSES, "--workforce", "Simulated") == 2
    assert "--workforce Simulated" in capsys.readouterr().err
    assert run_prepare(output, "--dataset", str(dataset), "--labels", *CLASSES, "--labeled-fraction", "0.3") == 2
    assert "--labeled-fraction 0.3: only for fully labeled data" in capsys.readouterr().err
    assert not output.exists()
    assert run_prepare(output, "--dataset", str(dataset), "--labels", *CLASSES, "--workforce", "GroundTruth") == 0
    assert folder(output)["config"]["Workforce"] == "GroundTruth"


def test_a_dataset_too_small_to_ever_run_is_refused_with_the_smallest_size(tmp_path, capsys):
    dataset = tmp_path / "few.txt"
    dataset.write_text("\n".join(texts(10)) + "\n", encoding="utf-8")
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(dataset), "--labels", *CLASSES, "--calibration-share", "0.2") == 2
    error = capsys.readouterr().err
    assert "10 records can never be auto-labeled" in error and "a run needs at least 421 records" in error
    assert not output.exists()
    assert run_prepare(output, "--dataset", str(dataset), "--labels", *CLASSES, "--seed-share", "0") == 2
    assert "with SeedShare 0 they must come with the input: label 2 records or more" in capsys.readouterr().err
    assert not output.exists()
    # With a target the threshold test can show on 2 calibration records, 10 records can be auto-labeled.
    options = ("--seed-share", "0.3", "--target-accuracy", "0.6", "--risk-tolerance", "0.5")
    assert run_prepare(output, "--dataset", str(dataset), "--labels", *CLASSES, *options) == 0
    config = folder(output)["config"]
    assert (config["SeedShare"], config["TargetAccuracy"], config["RiskTolerance"]) == (0.3, 0.6, 0.5)
    assert len(folder(output)["input"]) == 10


def test_files_get_the_usual_permissions(tmp_path):
    dataset = tmp_path / "notes.txt"
    dataset.write_text("\n".join(texts()) + "\n", encoding="utf-8")
    output = tmp_path / "inputs"
    previous = os.umask(0o022)
    try:
        assert run_prepare(output, "--dataset", str(dataset), "--labels", *CLASSES) == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(output.stat().st_mode) == 0o755
    assert {stat.S_IMODE(path.stat().st_mode) for path in output.iterdir()} == {0o644}


@pytest.mark.parametrize("name", ["data.jsonl", "data.manifest", "data.jsonl.gz"])
def test_json_lines_are_recognised_by_name(tmp_path, name):
    from scripts import datasets

    assert datasets.detect_format(tmp_path / name) == "jsonl"
    assert datasets.detect_format(tmp_path / "a.txt") == "text"


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"source": "caf\\ud800"}', r"line 3: a string holds the lone surrogate escape \\ud800"),
        ("[" * 100_000, r"line 3: not valid JSON \(nested too deeply\)"),
        ('{"source": "a", "score": NaN}', r"line 3: not valid JSON \(NaN is not a JSON value"),
    ],
    ids=["lone surrogate", "deep nesting", "NaN"],
)
def test_a_json_lines_line_that_is_not_json_is_named_with_no_traceback(tmp_path, capsys, line, message):
    records = "".join(json.dumps({"source": text}) + "\n" for text in texts())
    lines = records.splitlines(keepends=True)
    dataset = tmp_path / "bad.jsonl"
    dataset.write_text("".join([*lines[:2], line + "\n", *lines[2:]]), encoding="utf-8")
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(dataset), "--label-column", "label", "--labels", *CLASSES) == 2
    error = capsys.readouterr().err
    assert re.search(re.escape(str(dataset)) + " " + message, error), error
    assert "Traceback" not in error and not output.exists()


@pytest.mark.parametrize("name", ["notes.txt", "notes.jsonl"])
def test_a_byte_order_mark_is_not_part_of_the_first_record(tmp_path, name):
    dataset = tmp_path / name
    body = (
        "\n".join(texts()) if name.endswith(".txt") else "\n".join(json.dumps({"source": text}) for text in texts())
    )
    dataset.write_bytes(b"\xef\xbb\xbf" + (body + "\n").encode("utf-8"))
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(dataset), "--labels", *CLASSES) == 0
    assert [record["source"] for record in folder(output)["input"]] == texts()


def test_a_json_lines_label_field_is_found_by_name_like_a_csv_column(tmp_path):
    labeled = {position: CLASSES[position % 3] for position in range(0, RECORDS, 4)}
    records = [
        {"text_id": position, "source": text, **({"category": labeled[position]} if position in labeled else {})}
        for position, text in enumerate(texts())
    ]
    dataset = write_jsonl(tmp_path / "news.jsonl", records)
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(dataset)) == 0
    files = folder(output)
    check_callback_inputs(files, attribute="category", labeled=labeled, prefix="news")
    assert files["labels"] == CLASSES
    assert [record["text_id"] for record in files["input"]] == list(range(RECORDS))


def test_labels_given_by_name_keep_the_labels_a_json_lines_file_holds(tmp_path, capsys):
    labeled = {position: CLASSES[position % 3] for position in range(0, RECORDS, 4)}
    records = [
        {"source": text, **({"category": labeled[position]} if position in labeled else {})}
        for position, text in enumerate(texts())
    ]
    dataset = write_jsonl(tmp_path / "news.jsonl", records)
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(dataset), "--labels", "sports", "tech") == 2
    assert "not among ['sports', 'tech']: {'food': 10}" in capsys.readouterr().err
    assert not output.exists()
    order = ["tech", "sports", "food"]
    assert run_prepare(output, "--dataset", str(dataset), "--labels", *order) == 0
    files = folder(output)
    check_callback_inputs(files, attribute="category", labeled=labeled, prefix="news")
    assert files["labels"] == order


def test_integer_labels_are_classes_in_numeric_order(tmp_path):
    rows = [[text, str(position % 12 + 1)] for position, text in enumerate(texts())]
    dataset = write_csv(tmp_path / "codes.csv", ["text", "label"], rows, compress=False)
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(dataset)) == 0
    assert folder(output)["labels"] == [str(number) for number in range(1, 13)]


def test_a_semicolon_separated_csv_is_named_as_such(tmp_path, capsys):
    dataset = tmp_path / "export.csv"
    dataset.write_text("text;label\n" + "".join(f"{text.replace(',', '')};{CLASSES[0]}\n" for text in texts()))
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(dataset)) == 2
    error = capsys.readouterr().err
    assert "header row 'text;label' is a single column holding ';'" in error and "';'-separated" in error
    assert "no record has a label" not in error and not output.exists()


def test_a_file_named_gz_that_is_not_gzip_is_named_as_such(tmp_path, capsys):
    dataset = write_csv(tmp_path / "data.csv.gz", ["text", "label"], [[text, "x"] for text in texts()], compress=False)
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(dataset)) == 2
    error = capsys.readouterr().err
    assert "data.csv.gz: named .gz but not gzip-compressed" in error and not output.exists()
