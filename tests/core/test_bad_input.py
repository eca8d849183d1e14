"""Bad input, by kind (issue 15): each kind a user really produces is tolerated or refused at the start.

A refusal is an InputError naming the file and line or the request field, the value and what is
expected, with nothing written under the output path; a tolerated input gives the output a
well-formed input would.
"""

from __future__ import annotations

import copy
import json
import math
import re

import pytest

from byoal import feasibility, hyperparameters, manifest
from byoal.errors import InputError
from byoal.labels import label_category_document
from byoal.predictions import parse_prediction
from byoal.request import parse_request, validate_request
from byoal.storage import LOCAL_ROOT_ENV, LocalStorage, write_bytes
from lambdas import assign_ids, merge_labels, prepare_human_batch, prepare_training, validate_input

from .conftest import BUCKET, LABELS, answer_key_for, make_request, snapshot

MANIFEST = f"s3://{BUCKET}/inputs/input.manifest"
LABEL_FILE = f"s3://{BUCKET}/inputs/class_labels.json"
BUNDLED = {"algorithm": "bundled", "image": hyperparameters.LOCAL_BUNDLED_IMAGE}
RECORDS = [{"source": f"headline {number}"} for number in range(6)]


@pytest.fixture
def storage(tmp_path, monkeypatch):
    monkeypatch.setenv(LOCAL_ROOT_ENV, str(tmp_path / "s3"))
    return LocalStorage(tmp_path / "s3")


def put(storage, manifest_bytes: bytes, *, labels: bytes | None = None, **config) -> dict:
    write_bytes(storage, MANIFEST, manifest_bytes)
    write_bytes(storage, f"s3://{BUCKET}/inputs/answers.manifest", answer_key_for(manifest_bytes))
    write_bytes(storage, LABEL_FILE, labels or json.dumps(label_category_document(LABELS)).encode())
    return make_request(**config)


def lines(records: list[dict]) -> bytes:
    return b"".join(manifest.dumps(record) for record in records)


def validate(request: dict, model: dict | None = None) -> dict:
    return validate_input.handler({"request": request, "execution_name": "exec-1", "model": model or BUNDLED})


def refused(storage, request: dict, message: str, model: dict | None = None) -> str:
    with pytest.raises(InputError, match=message) as caught:
        validate(request, model)
    assert not [uri for uri in snapshot(storage) if uri.startswith(f"s3://{BUCKET}/output/")]
    return str(caught.value)


def unique_keys(pairs):
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate JSON keys {keys}"
    return dict(pairs)


def strictly_parsed(data: bytes) -> list[dict]:
    return [json.loads(line, object_pairs_hook=unique_keys) for line in data.splitlines() if line.strip()]


# Kind 1: a UTF-8 byte-order mark and CRLF line ends, as spreadsheet and Windows tools write them.


def test_a_manifest_with_a_byte_order_mark_and_crlf_line_ends_is_read_as_without(storage):
    data = manifest.UTF8_BOM + lines(RECORDS).replace(b"\n", b"\r\n")
    started = validate(put(storage, data))
    working = assign_ids.handler({"run": started["run"]})
    assert started["config"]["RecordCount"] == len(RECORDS)
    stored = storage.path(working["manifest"]).read_bytes()
    assert b"\r" not in stored and not stored.startswith(manifest.UTF8_BOM)
    assert [{"source": r["source"]} for r in strictly_parsed(stored)] == RECORDS


def test_a_byte_order_mark_alone_on_the_first_read_is_still_dropped():
    class Trickle:
        """A stream that answers every read with one byte, as a network stream may."""

        def __init__(self, data: bytes) -> None:
            self.data = data

        def read(self, size: int) -> bytes:
            byte, self.data = self.data[:1], self.data[1:]
            return byte

    assert list(manifest.iter_lines(Trickle(manifest.UTF8_BOM + b'{"a":1}\r\n{"b":2}'))) == [b'{"a":1}', b'{"b":2}']


def test_a_label_file_and_a_request_file_with_a_byte_order_mark_are_read(storage):
    labels = b"\xef\xbb\xbf" + json.dumps(label_category_document(LABELS)).encode()
    assert validate(put(storage, lines(RECORDS), labels=labels))["config"]["Labels"] == LABELS
    request = make_request()
    assert parse_request(b"\xef\xbb\xbf" + json.dumps(request).encode(), where="request.json") == request


# Kind 2: a model's probabilities a hair outside [0, 1].


def test_blazingtext_probabilities_a_hair_above_one_are_clipped():
    prediction = parse_prediction(
        {"label": ["__label__2", "__label__0"], "prob": [1.0000100135803223, 1e-05]}, num_classes=4, where="out line 1"
    )
    assert prediction.label == 2 and prediction.confidence == pytest.approx(1 / 1.00001)
    assert 0 <= prediction.margin <= 1


def test_a_full_distribution_is_renormalised_and_clipped():
    prediction = parse_prediction({"probabilities": [-0.00002, 0.6003, 0.4]}, num_classes=3, where="out line 1")
    assert prediction.confidence == pytest.approx(0.6003 / 1.0003)
    assert prediction.margin == pytest.approx(0.2003 / 1.0003)


@pytest.mark.parametrize(
    "output, message",
    [
        ({"probabilities": [1.01, 0.0, 0.0]}, r"out line 7: 'probabilities'\[0\] is 1.01, not a probability"),
        ({"probabilities": [0.5, 0.5, 0.5]}, "out line 7: 'probabilities' sums to 1.5; expected 1"),
        ({"probabilities": [float("nan"), 0.5, 0.5]}, "out line 7: 'probabilities'.0. is nan"),
        (
            {"label": ["__label__1", "__label__1"], "prob": [0.5, 0.4]},
            "out line 7: BlazingText label '__label__1' appears twice",
        ),
    ],
)
def test_probabilities_beyond_the_tolerance_are_refused_naming_the_line(output, message):
    with pytest.raises(InputError, match=message):
        parse_prediction(output, num_classes=3, where="out line 7")


# Kind 3: a record with `<label>-metadata` but no label (a chained Ground Truth job's failed object).

FAILED_OBJECT = {
    "source": "headline failed",
    "category-metadata": {"failure-reason": "ClientError: timed out", "job-name": "labeling-job/prior"},
}


def test_a_model_label_replaces_metadata_left_without_a_label(storage):
    started = validate(put(storage, lines([FAILED_OBJECT, *RECORDS])))
    state = {**started, "working": assign_ids.handler({"run": started["run"]})}
    autolabels = f"s3://{BUCKET}/auto.manifest"
    manifest.write_records(
        storage, autolabels, [{"byoal-id": 0, "byoal-position": 0, "category": 1, "confidence": 0.97}]
    )
    merged = merge_labels.handler(
        {
            **state,
            "kind": "model",
            "autolabels": {
                "manifest": autolabels,
                "job_name": "news-r001-auto",
                "creation_date": "2026-11-27T10:00:00.000000",
                "round": 1,
            },
        }
    )
    first = strictly_parsed(storage.path(merged["manifest"]).read_bytes())[0]
    assert first["category"] == 1 and first["category-metadata"]["human-annotated"] == "no"
    assert "failure-reason" not in first["category-metadata"]


def test_a_human_label_replaces_metadata_left_without_a_label(storage):
    started = validate(put(storage, lines([*RECORDS, FAILED_OBJECT])))
    state = {**started, "working": assign_ids.handler({"run": started["run"]})}
    selection = f"s3://{BUCKET}/sel.manifest"
    manifest.write_records(storage, selection, [{"byoal-id": 6}])
    batch = prepare_human_batch.handler({**state, "selection": {"manifest": selection, "count": 1, "round": 0}})
    output = f"s3://{BUCKET}/out.manifest"
    metadata = {
        "class-name": "Business",
        "confidence": 1.0,
        "human-annotated": "yes",
        "type": "groundtruth/text-classification",
        "job-name": "labeling-job/x",
        "creation-date": "2026-11-27T10:00:00.000000",
    }
    manifest.write_records(
        storage, output, [{"source": "headline failed", "byoal-id": 6, "category": 0, "category-metadata": metadata}]
    )
    merged = merge_labels.handler(
        {**state, "kind": "human", "human_batch": batch, "human_labels": {"output_manifest": output}}
    )
    last = strictly_parsed(storage.path(merged["manifest"]).read_bytes())[-1]
    assert last["category"] == 0 and last["category-metadata"] == metadata


# Kind 4: a label-category file that cannot make a classification.


@pytest.mark.parametrize(
    "names, message",
    [
        (["Business"], r"class_labels.json: 1 category \('Business'\); a classification needs at least 2"),
        (["Business", "Sports", " business "], r"labels\[2\] ' business ' repeats labels\[0\] 'Business'"),
        (["Business", "  "], r"labels\[1\] needs a non-empty string 'label'"),
    ],
)
def test_a_label_file_with_fewer_than_two_distinct_categories_is_refused(storage, names, message):
    request = put(storage, lines(RECORDS), labels=json.dumps(label_category_document(names)).encode())
    refused(storage, request, message)


# Kind 5: records with nothing to label.


@pytest.mark.parametrize("source", ["", "   ", "\t\n"])
def test_an_empty_or_blank_source_is_refused_naming_the_line(storage, source):
    request = put(storage, lines([*RECORDS[:2], {"source": source}, *RECORDS[2:]]))
    refused(storage, request, re.escape(f"input.manifest line 3: 'source' is {source!r}: there is nothing to label"))


# Kind 6: object-valued request fields of another JSON type.


@pytest.mark.parametrize(
    "spoil, message",
    [
        (
            lambda r: r.update(ActiveLearningConfig=["Workforce", "Simulated"]),
            "'ActiveLearningConfig' must be a JSON object, got a list",
        ),
        (
            lambda r: r.update(ActiveLearningConfig="margin"),
            "'ActiveLearningConfig' must be a JSON object, got a string",
        ),
        (
            lambda r: r["ActiveLearningConfig"].update(HyperParameters=[["epochs", 3]]),
            "'ActiveLearningConfig.HyperParameters' must be a JSON object",
        ),
        (lambda r: r.update(InputConfig=[MANIFEST]), "'InputConfig' must be a JSON object, got a list"),
        (lambda r: r.update(HumanTaskConfig="public"), "'HumanTaskConfig' must be a JSON object, got a string"),
        (lambda r: r.update(OutputConfig=None), "'OutputConfig' must be a JSON object .*got null"),
    ],
)
def test_an_object_field_of_another_type_is_refused_naming_it(storage, spoil, message):
    request = put(storage, lines(RECORDS))
    spoil(request)
    refused(storage, request, message)


def test_a_request_file_with_a_list_for_active_learning_config_is_refused_before_options_fill_it(tmp_path):
    from scripts import run_local

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "request.json").write_text(json.dumps({**make_request(), "ActiveLearningConfig": []}))
    arguments = run_local.parse_arguments(
        ["--inputs", str(inputs), "--workdir", str(tmp_path / "w"), "--max-rounds", "2"]
    )
    with pytest.raises(InputError, match="'ActiveLearningConfig' must be a JSON object, got a list"):
        run_local.build_request(arguments)


def test_a_non_finite_number_in_the_config_is_refused():
    with pytest.raises(InputError, match="'ActiveLearningConfig.TargetAccuracy' must be a number, got nan"):
        validate_request(make_request(TargetAccuracy=math.nan))


def test_labeling_job_name_instead_of_the_prefix_is_named():
    request = make_request()
    request["LabelingJobName"] = request.pop("LabelingJobNamePrefix")
    with pytest.raises(InputError, match="has 'LabelingJobName'; .* 'LabelingJobNamePrefix'"):
        validate_request(request)


def test_a_misspelled_config_key_gets_a_suggestion():
    with pytest.raises(InputError, match="unknown keys \\['TargetAcuracy'\\] \\(did you mean 'TargetAccuracy'\\?\\)"):
        validate_request(make_request(TargetAcuracy=0.9))


# Kind 7: a dataset too small to ever calibrate with the configured sizes.


def test_the_fewest_calibration_records_a_fixed_sequence_test_can_pass_with():
    assert feasibility.min_calibration_records(0.95, 0.05) == 59  # 0.95^59 = 0.0485 <= 0.05 < 0.95^58
    assert feasibility.min_calibration_records(0.9, 0.1) == 22
    assert 0.95**59 <= 0.05 < 0.95**58
    with pytest.raises(ValueError):
        feasibility.min_calibration_records(1.0, 0.05)


def test_a_dataset_too_small_to_ever_calibrate_is_refused_saying_the_least_size_needed(storage):
    records = [{"source": f"headline {number}"} for number in range(24)]
    message = refused(
        storage, put(storage, lines(records), MinValidationRecords=50), "24 records can never be auto-labeled"
    )
    smallest = int(message.split("with these settings a run needs at least ")[1].split()[0])
    config = validate_request(make_request(MinValidationRecords=50))
    assert feasibility.can_calibrate(config, smallest) and not feasibility.can_calibrate(config, smallest - 1)
    bigger = [{"source": f"headline {number}"} for number in range(smallest)]
    assert validate(put(storage, lines(bigger), MinValidationRecords=50))["config"]["RecordCount"] == smallest


def test_the_smallest_dataset_counts_the_risk_tolerance_test_when_configured():
    config = validate_request(make_request(TargetAccuracy=0.95, RiskTolerance=0.1))
    assert feasibility.calibration_records_needed(config) == 45
    assert feasibility.calibration_records_needed({**config, "RiskTolerance": 0.05}) == 59
    assert feasibility.smallest_dataset({**config, "RiskTolerance": 0.05}) > feasibility.smallest_dataset(config)


def test_a_budget_that_never_allows_enough_human_labels_says_so(storage):
    records = [{"source": f"headline {number}"} for number in range(500)]
    refused(
        storage,
        put(storage, lines(records), MinValidationRecords=50, MaxHumanLabels=40),
        "no dataset can with this budget",
    )


def test_a_dataset_whose_first_round_gets_fewer_than_two_human_labels_is_refused(storage):
    records = [{"source": f"headline {number}"} for number in range(6)]
    message = refused(storage, put(storage, lines(records), SeedShare=0.1), "6 records can never be auto-labeled")
    assert "a run needs at least 11 records" in message  # ceil(0.1 * 11) = 2 seed labels: one to train, one to validate
    refused(
        storage, put(storage, lines(records), SeedShare=0.1, FixedMarginThreshold=0.5),
        "SeedShare 0.1 give round 1 1 human labels; it trains on one and validates on another, so no model can ever",
    )
    labeled = [{**record, "category": number % 2} for number, record in enumerate(records[:2])] + records[2:]
    assert validate(put(storage, lines(labeled), SeedShare=0.1, FixedMarginThreshold=0.5))["config"]["RecordCount"] == 6
    bigger = [{"source": f"headline {number}"} for number in range(11)]
    assert validate(put(storage, lines(bigger), SeedShare=0.1))["config"]["RecordCount"] == 11


def test_a_two_row_dataset_fails_in_prepare(tmp_path, capsys):
    from scripts import prepare

    dataset = tmp_path / "two.csv"
    dataset.write_text("TITLE,CATEGORY\nStocks rally,b\nNew film opens,e\n", encoding="utf-8")
    output = tmp_path / "out"
    assert prepare.main(["--dataset", str(dataset), "--output-dir", str(output)]) == 2
    assert "2 records can never be auto-labeled" in capsys.readouterr().err
    assert not output.exists()


# Kind 8: hyperparameters checked against what the model declares.


@pytest.mark.parametrize(
    "values, message",
    [
        ({"epoch": 3}, r"unknown name 'epoch' \(did you mean 'epochs'\?\); the model accepts \['batch_size', "),
        (
            {"dropout": 1.5},
            r"'ActiveLearningConfig.HyperParameters.dropout' is '1.5'; expected a number in \[0.0, 1.0\)",
        ),
        ({"epochs": "ten"}, r"HyperParameters.epochs' is 'ten'; expected an integer >= 1"),
        ({"learning_rate": 0}, r"learning_rate' is '0'; expected a number > 0"),
        ({"num_classes": 5}, "'ActiveLearningConfig.HyperParameters.num_classes' is set by the workflow"),
    ],
)
def test_a_bad_hyperparameter_is_refused_at_the_start_naming_it(storage, values, message):
    refused(storage, put(storage, lines(RECORDS), HyperParameters=values), message)


def test_a_model_of_your_own_publishes_no_schema_and_its_hyperparameters_pass(storage):
    own = {"algorithm": "bundled", "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-model:3"}
    started = validate(put(storage, lines(RECORDS), HyperParameters={"layers": 4, "epoch": 2}), own)
    assert started["config"]["HyperParameters"] == {"layers": "4", "epoch": "2"}
    cdk_built = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/cdk-hnb659fds-container-assets-123456789012-eu-west-1:abc"
    assert hyperparameters.published_schema("bundled", cdk_built) == hyperparameters.bundled_schema()
    assert hyperparameters.published_schema("blazingtext", cdk_built) is None


def test_hyperparameter_values_reach_sagemaker_as_json_text(storage):
    values = {"names": ["A", "B"], "fine_tune": False, "limit": None, "rate": 0.5, "mode": "fast"}
    started = validate(
        put(storage, lines(RECORDS), HyperParameters=values), {"algorithm": "bundled", "image": "x/own:1"}
    )
    settings = prepare_training.training_settings(started["config"], algorithm="bundled", training_image="x/own:1")
    sent = settings["HyperParameters"]
    assert {name: sent[name] for name in values} == {
        "names": '["A", "B"]',
        "fine_tune": "false",
        "limit": "null",
        "rate": "0.5",
        "mode": "fast",
    }
    assert all(isinstance(value, str) for value in sent.values())


def test_the_published_schema_is_the_one_the_bundled_container_declares():
    from byoal_model.hyperparameters import hyperparameter_schema, parse_hyperparameters

    assert hyperparameters.bundled_schema() == hyperparameter_schema(), (
        "regenerate: PYTHONPATH=container python -m byoal_model.hyperparameters --module "
        "> byoal/bundled_hyperparameters.py"
    )
    accepted = {"epochs": "3", "dropout": "0", "learning_rate": "1e-3", "vocab_size": 3, "max_len": "7"}
    hyperparameters.check(hyperparameters.encode(accepted), hyperparameters.bundled_schema())
    parse_hyperparameters(accepted)


def test_prepare_refuses_a_bad_hyperparameter_before_writing(tmp_path, capsys):
    from scripts import prepare
    from tests.conftest import SAMPLE

    output = tmp_path / "out"
    arguments = [
        "--dataset", str(SAMPLE), "--sample", "200", "--output-dir", str(output), "--hyperparameter", "dropuot=0.2",
    ]
    assert prepare.main(arguments) == 2
    assert "did you mean 'dropout'" in capsys.readouterr().err
    assert not output.exists()


# Kinds found in the Ground Truth manifest docs and in real exports.


@pytest.mark.parametrize(
    "line, message",
    [
        (b'{"source-ref": "s3://bucket/texts/1.txt"}', "line 2: the record has 'source-ref'.*put the text in 'source'"),
        (b'{"source": "a", "score": NaN}', r"line 2: not valid JSON \(NaN is not a JSON value"),
        (b'{"source": "a", "score": -Infinity}', r"line 2: not valid JSON \(-Infinity is not a JSON value"),
        (b'{"source": "a", "source": "b"}', r"line 2: not valid JSON \(the key 'source' appears twice"),
        (b'{"source": "caf\xe9"}', r"line 2: not UTF-8 text \(byte 0xe9 at byte 16\)"),
        (
            b'{"source": "a", "category": "Business"}',
            r"line 2: label 'category' must be an integer class index .*'Business' is 0",
        ),
        (b'{"source": "a", "category": 1.0}', r"line 2: label 'category' must be .* got 1.0; write 1, not 1.0"),
        (b'{"source": "a", "byoal-calibration": 1}', "line 2: field 'byoal-calibration' is the workflow's own"),
        (b'{"source": "a", "byoal-position": 3}', "line 2: field 'byoal-position' is the workflow's own"),
        (b'{"source": 17}', "line 2: 'source' must be a string .*got int 17"),
        (b'{"source": null}', "line 2: 'source' is null"),
        (b'"just a headline"', "line 2: expected a JSON object, got str"),
        (b"[" * 100_000, r"line 2: not valid JSON"),
        (b'{"source": "caf\\ud800"}', r"line 2: a string holds the lone surrogate escape \\ud800 \(after \"caf\"\)"),
        (b'{"source": "a", "note\\udc00": 1}', r"line 2: a string holds the lone surrogate escape \\udc00"),
    ],
    ids=[
        "source-ref",
        "NaN",
        "Infinity",
        "duplicate key",
        "latin-1",
        "class name",
        "float label",
        "calibration flag",
        "position",
        "number source",
        "null source",
        "bare string",
        "deep nesting",
        "lone surrogate",
        "lone surrogate in a key",
    ],
)
def test_a_manifest_line_the_contract_does_not_allow_is_refused_naming_it(storage, line, message):
    data = manifest.dumps(RECORDS[0]) + line + b"\n" + lines(RECORDS[1:])
    refused(storage, put(storage, data), message)


@pytest.mark.parametrize(
    "data, message",
    [
        (__import__("gzip").compress(b'{"source": "a"}\n'), "input.manifest: the file is gzip-compressed"),
        ('{"source": "a"}\n'.encode("utf-16"), "input.manifest: the file is UTF-16 text"),
    ],
    ids=["gzip", "utf-16"],
)
def test_a_manifest_in_another_encoding_is_named_as_such(storage, data, message):
    refused(storage, put(storage, data), message)


def test_a_source_longer_than_ground_truth_accepts_is_refused_only_for_ground_truth(storage):
    records = [*RECORDS, {"source": "x" * 20_001}]
    refused(
        storage,
        put(storage, lines(records), Workforce="GroundTruth", AnswerKeyS3Uri=None) | _human_task(),
        "line 7: 'source' holds 20001 characters",
    )
    assert validate(put(storage, lines(records)))["config"]["RecordCount"] == 7


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"NumberOfHumanWorkersPerDataObject": "3"},
            "HumanTaskConfig.NumberOfHumanWorkersPerDataObject, value: 3, type: <class 'str'>",
        ),
        ({"TaskTimeLimitInSeconds": 5}, "HumanTaskConfig.TaskTimeLimitInSeconds, value: 5, valid min value: 30"),
        ({"TaskTitle": ""}, "HumanTaskConfig.TaskTitle, value: 0, valid min length: 1"),
    ],
)
def test_a_human_task_config_ground_truth_would_refuse_is_refused_at_the_start(storage, change, message):
    request = put(storage, lines(RECORDS), Workforce="GroundTruth", AnswerKeyS3Uri=None) | _human_task()
    request["HumanTaskConfig"].update(change)
    refused(storage, request, re.escape("(CreateLabelingJob) would be refused: ") + ".*" + re.escape(message))


def _human_task() -> dict:
    request = copy.deepcopy(make_request())
    request["HumanTaskConfig"] = {
        "WorkteamArn": "arn:aws:sagemaker:us-east-1:394669845002:workteam/public-crowd/default",
        "UiConfig": {"UiTemplateS3Uri": f"s3://{BUCKET}/inputs/instructions.template"},
        "PreHumanTaskLambdaArn": "arn:aws:lambda:us-east-1:432418664414:function:PRE-TextMultiClass",
        "AnnotationConsolidationConfig": {
            "AnnotationConsolidationLambdaArn": "arn:aws:lambda:us-east-1:432418664414:function:ACS-TextMultiClass"
        },
        "TaskTitle": "News",
        "TaskDescription": "Classify",
        "NumberOfHumanWorkersPerDataObject": 1,
        "TaskTimeLimitInSeconds": 300,
    }
    return {"HumanTaskConfig": request["HumanTaskConfig"]}


def test_the_state_machine_tells_validate_input_which_model_trains():
    from local_runner.runner import SUBSTITUTIONS
    from statemachines import ACTIVE_LEARNING_LOOP, load_definition

    parameters = load_definition(ACTIVE_LEARNING_LOOP, SUBSTITUTIONS)["States"]["ValidateInput"]["Parameters"]
    assert parameters["model"] == {"algorithm": "bundled", "image": SUBSTITUTIONS["TrainingImage"]}
    assert hyperparameters.published_schema(**parameters["model"]) == hyperparameters.bundled_schema()


def test_the_readme_callback_walkthrough_settings_are_refused_counting_calibration_records_only(storage):
    # prepare --seed-share 0.4 --batch-size 30 --max-rounds 2 on 300 lines: 120 + 30 human labels, but only
    # CalibrationShare 0.2 of each batch calibrates: 24 + 6 = 30, fewer than the 45 the test needs at 0.95 / 0.1.
    settings = dict(
        TargetAccuracy=0.95, RiskTolerance=0.1, SeedShare=0.4, HumanBatchSize=30, MaxRounds=2, CalibrationShare=0.2
    )
    config = validate_request(make_request(**settings))
    assert feasibility.human_labels_reachable(config, 300, 0) == 150
    assert feasibility.calibration_records_reachable(config, 300, 0) == 30
    records = [{"source": f"ticket {number}"} for number in range(300)]
    message = refused(storage, put(storage, lines(records), **settings), "300 records can never be auto-labeled")
    assert "at most 30 calibration records of 150 human labels (CalibrationShare 0.2" in message
    share = float(message.split("raise CalibrationShare to ")[1].split(",")[0])
    assert (
        validate(put(storage, lines(records), **{**settings, "CalibrationShare": share}))["config"]["RecordCount"]
        == 300
    )


def test_a_600_record_run_with_enough_human_labels_but_too_few_calibration_records_is_refused(storage):
    settings = dict(TargetAccuracy=0.95, RiskTolerance=0.1, SeedShare=0.05, HumanBatchSize=20, MaxRounds=5)
    config = validate_request(make_request(**settings, CalibrationShare=0.2))
    assert feasibility.human_labels_reachable(config, 600, 0) == 110  # well above 45 + 2: the old count let it pass
    assert feasibility.calibration_records_reachable(config, 600, 0) == 6 + 4 * 4
    records = [{"source": f"headline {number}"} for number in range(600)]
    message = refused(storage, put(storage, lines(records), CalibrationShare=0.2, **settings), "600 records can never")
    assert "with these settings a run needs at least" in message and "or lower TargetAccuracy" in message
    # Random input labels calibrate too: ValidationShare (0.3) of them (no seed batch: 200 labels exceed SeedShare).
    labeled = [{**record, "category": number % 3} for number, record in enumerate(records[:200])] + records[200:]
    assert (
        feasibility.calibration_records_reachable({**config, "InputLabelsAreRandomSample": True}, 600, 200)
        == 60 + 4 * 4
    )
    assert validate(put(
        storage, lines(labeled), CalibrationShare=0.2, InputLabelsAreRandomSample=True, ValidationShare=0.3, **settings,
    ))["config"]["RecordCount"] == 600
