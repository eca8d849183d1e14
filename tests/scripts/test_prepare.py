"""``python -m scripts.prepare``: the folder of inputs, its request, and its refusal of bad input."""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from pathlib import Path

import botocore.session
import pytest
from botocore.validate import ParamValidator

from byoal import layout
from byoal.labels import parse_label_categories
from byoal.request import DEFAULTS, validate_request
from lambdas.prepare_human_batch import labeling_job_request
from lambdas.simulated_workforce import simulate_labels
from scripts import prepare, uci_news
from tests.conftest import SAMPLE

from .conftest import UCI_CODES, read_jsonl, write_csv
from .test_ground_truth import TagChecker

SHARED_DEV_CSV = Path("/work/shared/data/uci_news_dev.csv.gz")
PRIVATE_TEAM = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/news-team"
FILES = ["answers.manifest", "class_labels.json", "input.manifest", "instructions.template", "request.json"]


def run_prepare(output: Path, *args: str) -> int:
    # The tests' datasets are a few hundred records: CalibrationShare 0.5 lets them reach the threshold
    # test's calibration records at the default target (unless a test sets it).
    calibration = [] if "--calibration-share" in args else ["--calibration-share", "0.5"]
    return prepare.main([*args, *calibration, "--output-dir", str(output)])


def prepared(output: Path) -> dict:
    """Every generated file, parsed."""
    template = TagChecker()
    template.feed((output / "instructions.template").read_text(encoding="utf-8"))
    template.close()
    assert template.stack == []
    return {
        "input": read_jsonl(output / "input.manifest"),
        "answers": read_jsonl(output / "answers.manifest"),
        "labels": parse_label_categories((output / "class_labels.json").read_bytes(), uri="class_labels.json"),
        "request": json.loads((output / "request.json").read_text(encoding="utf-8")),
    }


def check_consistent(files: dict, *, labeled_fraction: float) -> None:
    """Aligned manifests, Ground Truth metadata, a stratified labeled share, a valid request."""
    inputs, answers, labels = files["input"], files["answers"], files["labels"]
    attribute = files["request"]["LabelAttributeName"]
    assert [record["source"] for record in inputs] == [record["source"] for record in answers]
    labeled = [record for record in inputs if attribute in record]
    assert len(labeled) == round(labeled_fraction * len(inputs))
    for record, answer in zip(inputs, answers, strict=True):
        assert set(answer) == {"source", attribute, f"{attribute}-metadata"}
        if attribute in record:
            assert record == answer
        else:
            assert record == {"source": answer["source"]}
        metadata = answer[f"{attribute}-metadata"]
        assert metadata["class-name"] == labels[answer[attribute]]
        assert (metadata["confidence"], metadata["human-annotated"]) == (1.0, "yes")
        assert metadata["type"] == "groundtruth/text-classification"
        assert metadata["job-name"].startswith("labeling-job/") and metadata["creation-date"]
    everyone = Counter(answer[attribute] for answer in answers)
    chosen = Counter(record[attribute] for record in labeled)
    for label, count in everyone.items():
        assert abs(chosen[label] - labeled_fraction * count) <= 1, (label, chosen[label], count)
    config = validate_request(files["request"])
    assert config["Workforce"] == "Simulated"
    assert config["AnswerKeyS3Uri"].endswith("/answers.manifest")


def test_bundled_sample(tmp_path, capsys):
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(SAMPLE)) == 0
    assert sorted(path.name for path in output.iterdir()) == FILES
    files = prepared(output)
    assert len(files["input"]) == 10_000
    assert files["labels"] == ["Business", "Entertainment", "Health & Medicine", "Science and Technology"]
    check_consistent(files, labeled_fraction=0.2)
    assert "10,000 records, all labeled: 2,000 go in labeled" in capsys.readouterr().out


@pytest.mark.skipif(not SHARED_DEV_CSV.exists(), reason="the shared development copy is not on this machine")
def test_shared_development_csv(tmp_path):
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(SHARED_DEV_CSV), "--sample", "3000", "--labeled-fraction", "0.1") == 0
    files = prepared(output)
    assert len(files["input"]) == 3000
    check_consistent(files, labeled_fraction=0.1)


def test_real_uci_format_as_file_and_as_zip(tmp_path, news_corpora, news_zip):
    from_file, from_zip = tmp_path / "file", tmp_path / "zip"
    assert run_prepare(from_file, "--dataset", str(news_corpora[0]), "--labeled-fraction", "0.3") == 0
    assert run_prepare(from_zip, "--dataset", str(news_zip), "--labeled-fraction", "0.3") == 0
    file_records, zip_records = prepared(from_file), prepared(from_zip)
    check_consistent(file_records, labeled_fraction=0.3)
    strip_dates = [
        [{k: v for k, v in r.items() if not k.endswith("-metadata")} for r in files["input"]]
        for files in (file_records, zip_records)
    ]
    assert strip_dates[0] == strip_dates[1]
    assert len(file_records["input"]) == len(news_corpora[1])


def test_records_round_trip_uncleaned(tmp_path, tricky_csv):
    path, rows = tricky_csv
    output = tmp_path / "inputs"
    # 40 records, 8 given labeled: a target the threshold test can show with 2 calibration records.
    assert (
        run_prepare(output, "--dataset", str(path), "--no-clean", "--target-accuracy", "0.6", "--risk-tolerance", "0.5")
        == 0
    )
    files = prepared(output)
    assert [(record["source"], UCI_CODES[record["category"]]) for record in files["answers"]] == rows
    assert len((output / "input.manifest").read_bytes().split(b"\n")) == len(rows) + 1


def test_cleaned_records_stay_one_record_each(tmp_path, tricky_csv):
    path, rows = tricky_csv
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(path), "--target-accuracy", "0.6", "--risk-tolerance", "0.5") == 0
    sources = [record["source"] for record in prepared(output)["answers"]]
    assert len(sources) == len(rows)
    assert "Café in Zürich naïve smart quotes 東京" in sources
    assert "A headline with a line break" in sources
    assert all('"' not in source and "\\" not in source and "\n" not in source for source in sources)


def test_sample_label_names_and_request_options(tmp_path):
    output = tmp_path / "inputs"
    code = run_prepare(
        output,
        "--dataset",
        str(SAMPLE),
        "--sample",
        "500",
        "--seed",
        "3",
        "--labeled-fraction",
        "0.25",
        "--label-names",
        "t=Tech",
        "b=Business",
        "e=Entertainment",
        "m=Health",
        "--bucket",
        "my-bucket",
        "--prefix",
        "/news/run-1/",
        "--job-name-prefix",
        "news",
        "--label-attribute",
        "topic",
        "--region",
        "eu-west-2",
        "--price",
        "0.024",
        "--workforce",
        "Callback",
        "--strategy",
        "entropy",
        "--target-accuracy",
        "0.9",
        "--batch-size",
        "25",
        "--max-human-labels",
        "200",
        "--max-human-share",
        "0.5",
        "--max-rounds",
        "4",
        "--annotator-error-rate",
        "0.05",
        "--hyperparameter",
        "epochs=3",
    )
    assert code == 0
    files = prepared(output)
    assert files["labels"] == ["Tech", "Business", "Entertainment", "Health"]
    request = files["request"]
    assert (
        request["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"]
        == "s3://my-bucket/news/run-1/input.manifest"
    )
    assert request["OutputConfig"]["S3OutputPath"] == "s3://my-bucket/news/run-1/output/"
    assert request["HumanTaskConfig"]["PreHumanTaskLambdaArn"] == (
        "arn:aws:lambda:eu-west-2:487402164563:function:PRE-TextMultiClass"
    )
    assert request["HumanTaskConfig"]["PublicWorkforceTaskPrice"]["AmountInUsd"] == {
        "Dollars": 0,
        "Cents": 2,
        "TenthFractionsOfACent": 4,
    }
    assert request["ActiveLearningConfig"] == {
        "InputLabelsAreRandomSample": True,
        "Workforce": "Callback",
        "QueryStrategy": "entropy",
        "TargetAccuracy": 0.9,
        "HumanBatchSize": 25,
        "MaxHumanLabels": 200,
        "MaxHumanShare": 0.5,
        "MaxRounds": 4,
        "AnnotatorErrorRate": 0.05,
        "Seed": 3,
        "HyperParameters": {"epochs": "3"},
        "AnswerKeyS3Uri": "s3://my-bucket/news/run-1/answers.manifest",
        "CalibrationShare": 0.5,  # run_prepare's
    }
    assert validate_request(request)["LabelAttributeName"] == "topic"
    assert len(files["input"]) == 500
    assert sum("topic" in record for record in files["input"]) == 125


def test_every_active_learning_key_has_an_option():
    assert set(prepare.ACTIVE_LEARNING_OPTIONS.values()) == set(DEFAULTS) - {"AnswerKeyS3Uri"}


def test_pre_labels_drawn_by_prepare_are_declared_random_and_a_users_own_are_not(tmp_path):
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(SAMPLE), "--sample", "300") == 0
    assert prepared(output)["request"]["ActiveLearningConfig"]["InputLabelsAreRandomSample"] is True
    own = tmp_path / "own.csv"
    own.write_text("text,label\n" + "".join(f"record {i},{'ab'[i % 2] if i < 10 else ''}\n" for i in range(300)))
    assert run_prepare(tmp_path / "own", "--dataset", str(own)) == 0
    def config(folder: str) -> dict:
        return json.loads((tmp_path / folder / "request.json").read_text(encoding="utf-8"))["ActiveLearningConfig"]

    assert "InputLabelsAreRandomSample" not in config("own")
    assert run_prepare(tmp_path / "told", "--dataset", str(own), "--input-labels-are-random") == 0
    assert config("told")["InputLabelsAreRandomSample"] is True


def test_simulated_workforce_labels_from_the_answer_key(tmp_path):
    """The workflow's own simulated workforce accepts the answer key for records taken from input.manifest."""
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(SAMPLE), "--sample", "300") == 0
    files = prepared(output)
    batch = [
        {"source": record["source"], "byoal-id": position}
        for position, record in enumerate(files["input"])
        if "category" not in record
    ]
    labeled = simulate_labels(
        batch,
        enumerate(files["answers"], start=1),
        answer_key_uri="answers.manifest",
        label_attribute="category",
        labels=files["labels"],
        error_rate=0.0,
        seed="0",
        job_name="job",
        labeled_at="2026-01-01T00:00:00.000000",
    )
    assert [record["category"] for record in labeled] == [files["answers"][r["byoal-id"]]["category"] for r in batch]


def sagemaker_input_shape():
    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.operation_model("CreateLabelingJob").input_shape


def pattern_violations(value, shape, path: str = "") -> list[str]:
    """String values that do not match their shape's pattern (ParamValidator checks types and lengths only)."""
    if shape.type_name == "structure":
        return [v for key, item in value.items() for v in pattern_violations(item, shape.members[key], f"{path}.{key}")]
    if shape.type_name == "list":
        return [
            v for index, item in enumerate(value) for v in pattern_violations(item, shape.member, f"{path}[{index}]")
        ]
    pattern = shape.metadata.get("pattern")
    if shape.type_name == "string" and pattern and not re.fullmatch(pattern, value):
        return [f"{path}: {value!r} does not match {pattern}"]
    return []


def assert_valid_create_labeling_job(params: dict) -> None:
    shape = sagemaker_input_shape()
    report = ParamValidator().validate(params, shape)
    assert not report.has_errors(), report.generate_report()
    assert pattern_violations(params, shape) == []


@pytest.mark.parametrize("workforce", ["public", "private"])
def test_request_is_a_valid_create_labeling_job_request(tmp_path, workforce):
    output = tmp_path / "inputs"
    extra = ["--workteam-arn", PRIVATE_TEAM] if workforce == "private" else []
    assert run_prepare(output, "--dataset", str(SAMPLE), "--sample", "200", "--workforce", "GroundTruth", *extra) == 0
    request = prepared(output)["request"]
    config = validate_request(request)
    task = request["HumanTaskConfig"]
    if workforce == "private":
        assert task["WorkteamArn"] == PRIVATE_TEAM
        assert "PublicWorkforceTaskPrice" not in task and "DataAttributes" not in request["InputConfig"]
    else:
        assert task["WorkteamArn"] == "arn:aws:sagemaker:us-east-1:394669845002:workteam/public-crowd/default"
        assert task["PublicWorkforceTaskPrice"]["AmountInUsd"] == {"Dollars": 0, "Cents": 1, "TenthFractionsOfACent": 2}
    assert (
        task["NumberOfHumanWorkersPerDataObject"],
        task["TaskTimeLimitInSeconds"],
        task["TaskAvailabilityLifetimeInSeconds"],
        task["MaxConcurrentTaskCount"],
    ) == (1, 300, 21600, 200)

    run = layout.run_id(request["LabelingJobNamePrefix"], "execution-1")
    job_name = layout.job_name(run, 12, "human")
    substituted = {
        key: value for key, value in request.items() if key not in ("LabelingJobNamePrefix", "ActiveLearningConfig")
    }
    assert_valid_create_labeling_job({**substituted, "LabelingJobName": job_name})
    root = layout.run_root(config["S3OutputPath"], run)
    assert_valid_create_labeling_job(
        labeling_job_request(
            request,
            config,
            job_name=job_name,
            input_manifest=layout.labeling_job_input(root, job_name),
            root=root,
        )
    )


def test_input_files_maps_each_uri_to_its_file(tmp_path):
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(SAMPLE), "--sample", "200") == 0
    request = prepared(output)["request"]
    assert prepare.input_files(request, output) == {
        "s3://byoal-local/inputs/input.manifest": output / "input.manifest",
        "s3://byoal-local/inputs/class_labels.json": output / "class_labels.json",
        "s3://byoal-local/inputs/instructions.template": output / "instructions.template",
        "s3://byoal-local/inputs/answers.manifest": output / "answers.manifest",
    }
    (output / "answers.manifest").unlink()
    with pytest.raises(ValueError, match="'ActiveLearningConfig.AnswerKeyS3Uri' names .* does not exist"):
        prepare.input_files(request, output)


def test_rerun_replaces_a_prepared_folder_only_when_told(tmp_path, capsys):
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(SAMPLE), "--sample", "300") == 0
    before = {path.name: path.read_bytes() for path in output.iterdir()}
    assert run_prepare(output, "--dataset", str(SAMPLE), "--sample", "200") == 2
    assert "--force" in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in output.iterdir()} == before
    assert run_prepare(output, "--dataset", str(SAMPLE), "--sample", "200", "--force") == 0
    assert len(prepared(output)["input"]) == 200
    assert sorted(path.name for path in output.iterdir()) == FILES


def test_download_fetches_verifies_and_reuses_the_archive(tmp_path, news_zip, monkeypatch):
    monkeypatch.setattr(uci_news, "DOWNLOAD_URL", news_zip.as_uri())
    archive = tmp_path / "cache" / "news+aggregator.zip"
    assert run_prepare(tmp_path / "inputs", "--download", "--dataset", str(archive)) == 0
    assert archive.read_bytes() == news_zip.read_bytes()
    news_zip.unlink()
    assert run_prepare(tmp_path / "again", "--download", "--dataset", str(archive)) == 0


def assert_refused(capsys, output: Path, code: int, *named: str) -> None:
    error = capsys.readouterr().err
    assert code == 2, error
    assert error.splitlines()[-1].startswith("error: ")
    for name in named:
        assert name in error
    assert not output.exists() or not any(output.iterdir())


def test_download_refuses_a_bad_archive(tmp_path, news_zip, monkeypatch, capsys):
    monkeypatch.setattr(uci_news, "DOWNLOAD_URL", news_zip.as_uri())
    archive = tmp_path / "cache" / "news.zip"
    output = tmp_path / "inputs"
    assert_refused(
        capsys,
        output,
        run_prepare(output, "--download", "--dataset", str(archive), "--download-sha256", "0" * 64),
        "--download",
        "SHA-256",
    )
    assert not archive.exists() and list(archive.parent.iterdir()) == []

    not_a_zip = tmp_path / "page.html"
    not_a_zip.write_text("<html>maintenance</html>")
    monkeypatch.setattr(uci_news, "DOWNLOAD_URL", not_a_zip.as_uri())
    assert_refused(capsys, output, run_prepare(output, "--download", "--dataset", str(archive)), "not a valid zip")
    assert not archive.exists()


def test_corrupt_archive_is_refused(tmp_path, news_corpora, capsys):
    corrupt = tmp_path / "corrupt.zip"
    with zipfile.ZipFile(corrupt, "w", zipfile.ZIP_STORED) as archive:
        archive.write(news_corpora[0], "newsCorpora.csv")
    data = bytearray(corrupt.read_bytes())
    start = data.index(b"Headline number")
    data[start : start + 8] = b"XXXXXXXX"
    corrupt.write_bytes(bytes(data))
    output = tmp_path / "inputs"
    assert_refused(capsys, output, run_prepare(output, "--download", "--dataset", str(corrupt)), "corrupt")


@pytest.mark.parametrize(
    "args, named",
    [
        (["--dataset", "missing.csv.gz"], ["--dataset", "missing.csv.gz"]),
        (["--dataset", str(SAMPLE), "--text-column", "HEADLINE"], ["--text-column", "'HEADLINE'"]),
        (["--dataset", str(SAMPLE), "--label-column", "LABEL"], ["--label-column", "'LABEL'"]),
        (["--dataset", str(SAMPLE), "--labeled-fraction", "0"], ["--labeled-fraction 0"]),
        (["--dataset", str(SAMPLE), "--labeled-fraction", "1"], ["--labeled-fraction 1"]),
        (["--dataset", str(SAMPLE), "--labeled-fraction", "-0.2"], ["--labeled-fraction -0.2"]),
        (["--dataset", str(SAMPLE), "--region", "eu-north-1"], ["--region eu-north-1"]),
        (["--dataset", str(SAMPLE), "--sample", "0"], ["--sample 0"]),
        (["--dataset", str(SAMPLE), "--target-accuracy", "1.5"], ["--target-accuracy 1.5", "TargetAccuracy"]),
        (["--dataset", str(SAMPLE), "--max-rounds", "-1"], ["--max-rounds -1", "MaxRounds"]),
        (["--dataset", str(SAMPLE), "--job-name-prefix", "bad_prefix"], ["--job-name-prefix", "LabelingJobNamePrefix"]),
        (["--dataset", str(SAMPLE), "--label-attribute", "source"], ["--label-attribute", "LabelAttributeName"]),
        (["--dataset", str(SAMPLE), "--bucket", "Not_A_Bucket"], ["--bucket"]),
        (["--dataset", str(SAMPLE), "--role-arn", "my-role"], ["--role-arn"]),
        (["--dataset", str(SAMPLE), "--price", "0.5"], ["--price 0.5"]),
        (["--dataset", str(SAMPLE), "--label-names", "b=Business"], ["--label-names", "'e'"]),
        ([], ["--dataset is required"]),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(tmp_path, capsys, args, named):
    output = tmp_path / "inputs"
    assert_refused(capsys, output, run_prepare(output, *args), *named)


def test_single_class_label_column_is_refused(tmp_path, capsys):
    dataset = write_csv(tmp_path / "one.csv", ["text", "label"], [["a", "x"], ["b", "x"]], compress=False)
    output = tmp_path / "inputs"
    code = run_prepare(output, "--dataset", str(dataset), "--text-column", "text", "--label-column", "label")
    assert_refused(capsys, output, code, "--label-column 'label'", "single class")


def test_output_dir_with_other_files_is_left_alone(tmp_path, capsys):
    output = tmp_path / "inputs"
    output.mkdir()
    (output / "notes.txt").write_text("mine")
    code = run_prepare(output, "--dataset", str(SAMPLE))
    assert code == 2 and "--output-dir" in capsys.readouterr().err
    assert [path.name for path in output.iterdir()] == ["notes.txt"]


def test_failure_after_reading_leaves_an_existing_folder_intact(tmp_path, capsys):
    output = tmp_path / "inputs"
    assert run_prepare(output, "--dataset", str(SAMPLE), "--sample", "200") == 0
    before = {path.name: path.read_bytes() for path in output.iterdir()}
    assert run_prepare(output, "--dataset", str(SAMPLE), "--sample", "20000", "--force") == 2
    assert "--sample 20000" in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in output.iterdir()} == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["inputs"]
