"""Fuzzing the validation pass: random manifests (JSON values, encodings, line ends, sizes), requests and model
outputs. Each gives a clear refusal (an InputError naming the file and line, or the field) or a correct
result — never another exception, and never anything written under the output path when refused.
"""

from __future__ import annotations

import json
import math
import tempfile

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from byoal import hyperparameters, manifest
from byoal.errors import InputError
from byoal.labels import label_category_document
from byoal.predictions import parse_prediction
from byoal.request import DEFAULTS, validate_request
from byoal.storage import LOCAL_ROOT_ENV, LocalStorage, write_bytes
from lambdas import assign_ids, validate_input

from .conftest import BUCKET, LABELS, answer_key_for, make_request

MANIFEST = f"s3://{BUCKET}/inputs/input.manifest"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.just(10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
sources = st.one_of(
    st.text(min_size=1, max_size=40).filter(lambda text: text.strip()), st.sampled_from(["", " ", "\t"]), json_values
)
labels = st.one_of(st.integers(-1, len(LABELS)), st.sampled_from([1.0, "Business", None, True]), json_values)
records = st.fixed_dictionaries(
    {},
    optional={
        "source": sources,
        "source-ref": st.just("s3://bucket/text.txt"),
        "category": labels,
        "category-metadata": st.one_of(st.dictionaries(st.text(max_size=8), json_scalars, max_size=3), json_scalars),
        "byoal-id": st.one_of(st.integers(0, 8), json_scalars),
        "byoal-calibration": st.integers(0, 3),
        "extra": json_values,
    },
)
good_records = st.fixed_dictionaries(
    {"source": st.text(min_size=1, max_size=40).filter(lambda text: text.strip())},
    optional={"category": st.integers(0, len(LABELS) - 1), "extra": json_values},
)


def _encoded(record) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


raw_lines = st.one_of(
    records.map(_encoded),
    good_records.map(_encoded),
    good_records.map(_encoded),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=30),
    st.sampled_from(
        [
            b"",
            b"   ",
            b'{"source": "a", "source": "b"}',
            b'{"source": "x", "n": NaN}',
            b'{"source": "x", "n": -Infinity}',
            b'{"source": "\xff"}',
            b'{"source": ""}',
            b'{"source": " \\t "}',
            b'{"source-ref": "s3://b/k.txt"}',
            b'{"source": "x", "category": 1.0}',
            b'{"source": "x", "byoal-calibration": 0}',
            b"[" * 50_000,
        ]
    ),
)


@st.composite
def manifests(draw) -> bytes:
    if draw(st.booleans()):
        lines = draw(st.lists(good_records.map(_encoded), min_size=4, max_size=12))
        if draw(st.booleans()):
            lines.insert(draw(st.integers(0, len(lines))), draw(raw_lines))
    else:
        lines = draw(st.lists(raw_lines, min_size=0, max_size=12))
    ending = draw(st.sampled_from([b"\n", b"\r\n"]))
    data = ending.join(lines) + (ending if draw(st.booleans()) else b"")
    return (manifest.UTF8_BOM if draw(st.booleans()) else b"") + data


def _stored(storage: LocalStorage) -> set[str]:
    return set(storage.list(f"s3://{BUCKET}/output/"))


@FUZZ
@given(data=manifests())
@example(data=b"\xfe\xff")  # UTF-16 byte-order mark: refused for the whole file, found by this test once
def test_a_random_manifest_is_refused_naming_its_line_or_validated_whole(data):
    with tempfile.TemporaryDirectory() as root:
        storage = LocalStorage(root)
        write_bytes(storage, MANIFEST, data)
        write_bytes(storage, f"s3://{BUCKET}/inputs/answers.manifest", answer_key_for(data))
        write_bytes(
            storage, f"s3://{BUCKET}/inputs/class_labels.json", json.dumps(label_category_document(LABELS)).encode()
        )
        step_input = {"request": make_request(), "execution_name": "fuzz"}
        with _local_root(root):
            try:
                started = validate_input.handler(step_input)
            except InputError as error:
                message = str(error)
                event("refused")
                assert MANIFEST in message, message
                whole_file = (
                    "no records",
                    "can never be auto-labeled",
                    "the file is",
                )  # refusals of the file as a whole
                assert "line " in message or any(reason in message for reason in whole_file), message
                assert _stored(storage) == set()
                return
            working = assign_ids.handler({"run": started["run"]})
            event("validated")
        text = data.removeprefix(manifest.UTF8_BOM).replace(b"\r\n", b"\n")
        given_records = [_strict_json(line) for line in text.split(b"\n") if line.strip()]
        stored = storage.path(working["manifest"]).read_bytes()
        output = [_strict_json(line) for line in stored.splitlines()]
        assert started["config"]["RecordCount"] == len(given_records) == len(output)
        for given_record, stored_record in zip(given_records, output, strict=True):
            assert {key: value for key, value in stored_record.items() if key != "byoal-id"} == {
                key: value for key, value in given_record.items() if key != "byoal-id"
            }
            assert isinstance(stored_record["source"], str) and stored_record["source"].strip()
            assert not {"byoal-calibration", "byoal-position"} & set(stored_record)
            assert isinstance(stored_record.get("category", 0), int)


class _local_root:
    def __init__(self, root: str) -> None:
        self.root = root

    def __enter__(self) -> None:
        import os

        self.saved = os.environ.get(LOCAL_ROOT_ENV)
        os.environ[LOCAL_ROOT_ENV] = self.root

    def __exit__(self, *exc) -> None:
        import os

        if self.saved is None:
            os.environ.pop(LOCAL_ROOT_ENV, None)
        else:
            os.environ[LOCAL_ROOT_ENV] = self.saved


def _unique(pairs):
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), keys
    return dict(pairs)


def _not_json(name):
    raise AssertionError(f"{name} is not JSON")


def _strict_json(line: bytes):
    """The line as standard JSON (RFC 8259): no NaN or Infinity, no key twice in an object."""
    return json.loads(line, object_pairs_hook=_unique, parse_constant=_not_json)


@FUZZ
@given(
    config=st.one_of(
        json_values,
        st.dictionaries(st.sampled_from(sorted(DEFAULTS)), json_values, max_size=4),
        st.dictionaries(st.text(max_size=10), json_values, max_size=3),
    ),
    top=st.dictionaries(
        st.sampled_from(["InputConfig", "OutputConfig", "HumanTaskConfig", "LabelAttributeName"]),
        json_values,
        max_size=2,
    ),
)
def test_a_random_request_is_refused_naming_a_field_or_normalised(config, top):
    request = {**make_request(), **top, "ActiveLearningConfig": config}
    try:
        normalised = validate_request(request)
    except InputError as error:
        assert "'" in str(error), str(error)  # the message quotes the field
        return
    assert set(normalised) >= set(DEFAULTS)
    assert all(isinstance(value, str) for value in normalised["HyperParameters"].values())
    assert all(not isinstance(value, float) or math.isfinite(value) for value in normalised.values())


@FUZZ
@given(
    output=st.one_of(
        json_values,
        st.fixed_dictionaries({"probabilities": st.lists(st.floats(-0.001, 1.001) | json_scalars, max_size=5)}),
        st.fixed_dictionaries({
            "label": st.lists(st.sampled_from([f"__label__{index}" for index in range(5)]) | json_scalars, max_size=3),
            "prob": st.lists(st.floats(-0.001, 1.001) | json_scalars, max_size=3),
        }),
    )
)
def test_a_random_model_output_is_refused_naming_the_line_or_read_as_a_distribution(output):
    try:
        prediction = parse_prediction(output, num_classes=4, where="out line 3")
    except InputError as error:
        assert "out line 3" in str(error)
        return
    assert 0 <= prediction.label < 4
    assert 0 <= prediction.confidence <= 1 and 0 <= prediction.margin <= 1 and prediction.entropy >= 0



@FUZZ
@given(
    name=st.sampled_from(
        sorted(set(hyperparameters.bundled_schema()["properties"]) - set(hyperparameters.WORKFLOW_SET))
    ),
    value=st.one_of(
        json_values, st.integers(-5, 6000), st.floats(-1, 2), st.sampled_from(["3", "0.5", "1e-3", " 7 ", "ten", ""])
    ),
)
def test_the_workflow_accepts_a_hyperparameter_exactly_when_the_bundled_container_does(name, value):
    from byoal_model.hyperparameters import HyperparameterError, parse_hyperparameters

    try:
        sent = hyperparameters.encode({name: value})
        hyperparameters.check(sent, hyperparameters.bundled_schema())
        accepted = True
    except InputError:
        accepted = False
    try:
        parse_hyperparameters(sent if accepted else {name: value if isinstance(value, str) else json.dumps(value)})
        parsed = True
    except HyperparameterError:
        parsed = False
    assert accepted == parsed, (name, value)
