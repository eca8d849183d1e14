"""The definitions and the handlers agree: every Lambda task passes its handler's event contract, and every
state that reads a Lambda's result reads keys its result contract has.

How: both definitions are loaded through ``statemachines.load_definition`` with each function placeholder
standing for its handler module. For a Task that invokes a Lambda (a function ARN as ``Resource``, or
``lambda:invoke[.waitForTaskToken]`` with ``Parameters.Payload``) the event keys (``.$`` stripped) must be
fields of ``byoal.step_contracts.STEPS[module].event``, and its required fields must all be there. Where a
Lambda's result lands (``ResultPath``, or the keys of a ``ResultSelector`` that reads ``$.Payload.x`` or, for
the round state machine, ``$.Output.x``), every JSONPath any state reads below it must name result-contract
fields, down to where the contract says "any JSON object"; and an event key filled from such a path gets an
object with every field its own contract requires.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Iterator
from typing import Any

import pytest

from byoal import step_contracts
from byoal.step_contracts import STEPS, Contract, StepContractError
from lambdas import count_records, merge_labels, prepare_training
from statemachines import (
    ACTIVE_LEARNING,
    ACTIVE_LEARNING_LOOP,
    FUNCTIONS,
    OTHER_PLACEHOLDERS,
    STANDALONE_FUNCTIONS,
    load_definition,
)

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
SUBSTITUTIONS = {
    **{placeholder: FUNCTION_ARN + module for placeholder, module in FUNCTIONS.items()},
    **{placeholder: "aws" if placeholder == "Partition" else f"placeholder-{placeholder}"
       for placeholder in OTHER_PLACEHOLDERS},
}
_PATH = re.compile(r"^\$((?:\.[A-Za-z0-9_-]+)*)$")


def definitions() -> dict[str, dict[str, Any]]:
    return {path.name: load_definition(path, SUBSTITUTIONS) for path in (ACTIVE_LEARNING_LOOP, ACTIVE_LEARNING)}


def lambda_call(state: dict[str, Any]) -> tuple[str, dict[str, Any], type[Contract], list[str]] | None:
    """(module, event parameters, the contract of what the task returns, its path prefix) of a Lambda task."""
    if state["Type"] != "Task":
        return None
    resource, parameters = state["Resource"], state.get("Parameters", {})
    if resource.startswith(FUNCTION_ARN):
        module = resource.removeprefix(FUNCTION_ARN)
        return module, parameters, STEPS[module].result, []
    if resource.endswith(":lambda:invoke.waitForTaskToken"):
        module = parameters["FunctionName"].removeprefix(FUNCTION_ARN)
        assert STEPS[module].token_output, f"{module} is called with a task token but declares no token output"
        return module, parameters["Payload"], STEPS[module].token_output, []
    if resource.endswith(":lambda:invoke"):
        module = parameters["FunctionName"].removeprefix(FUNCTION_ARN)
        return module, parameters["Payload"], STEPS[module].result, ["Payload"]
    return None


def field_types(contract: type[Contract]) -> dict[str, Any]:
    hints = typing.get_type_hints(contract)
    return {item.name: _unwrap(hints[item.name]) for item in dataclasses.fields(contract)}


def required(contract: type[Contract]) -> set[str]:
    return {item.name for item in dataclasses.fields(contract)
            if item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING}


def _unwrap(annotation: Any) -> Any:
    options = [option for option in typing.get_args(annotation) if option is not type(None)]
    return options[0] if typing.get_origin(annotation) in (typing.Union, __import__("types").UnionType) else annotation


def is_contract(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Contract)


def resolve(contract: Any, parts: list[str], *, where: str) -> Any:
    """The type at ``parts`` below ``contract``; None below an untyped JSON value. Fails on an undeclared key."""
    for part in parts:
        if not is_contract(contract):
            return None
        fields = field_types(contract)
        assert part in fields, f"{where}: reads '{part}', which {contract.__name__} does not have ({sorted(fields)})"
        contract = fields[part]
    return contract


def path_parts(value: Any) -> list[str] | None:
    match = _PATH.match(value) if isinstance(value, str) else None
    return match.group(1).split(".")[1:] if match else None


def round_output(round_definition: dict[str, Any]) -> type[Contract]:
    """What the round state machine returns: the result of its end state, which outputs its own result."""
    (end,) = [state for state in round_definition["States"].values() if state.get("End")]
    call = lambda_call(end)
    assert call and end["ResultPath"] == end["OutputPath"], "the round's output is no longer its last step's result"
    return call[2]


class Selected(dict):
    """What a ResultSelector builds: its key -> the contract type it selects (None: untyped JSON)."""


def writers(definition: dict[str, Any], nested_output: type[Contract]) -> dict[str, list[Any]]:
    """Top-level state key -> the contract types (or Selected objects) of every Lambda result stored there."""
    written: dict[str, list[Any]] = {}
    for name, state in definition["States"].items():
        call = lambda_call(state)
        if call:
            source, prefix = call[2], call[3]
        elif state.get("Resource", "").endswith(":states:startExecution.sync:2"):
            source, prefix = nested_output, ["Output"]
        else:
            continue
        target = path_parts(state.get("ResultPath", "$"))
        if "ResultSelector" in state:
            selected = Selected()
            for key, value in state["ResultSelector"].items():
                parts = path_parts(value)
                assert key.endswith(".$") and parts and parts[: len(prefix)] == prefix, f"{name}: ResultSelector {key}"
                selected[key[:-2]] = resolve(source, parts[len(prefix):], where=f"{name} ResultSelector {key}")
            written.setdefault(target[0], []).append(selected)
        elif target == []:
            for key, annotation in field_types(source).items():
                written.setdefault(key, []).append(annotation)
        else:
            assert len(target) == 1, f"{name}: ResultPath {state['ResultPath']} is nested"
            written.setdefault(target[0], []).append(source)
    for name, state in definition["States"].items():
        if state["Type"] == "Pass" and "InputPath" in state and "ResultPath" in state:
            sources = list(types_at(written, path_parts(state["InputPath"]), where=name))
            written.setdefault(path_parts(state["ResultPath"])[0], []).extend(sources)
    return written


def types_at(written: dict[str, list[Any]], parts: list[str], *, where: str) -> Iterator[Any]:
    """The types a JSONPath reads, one per Lambda writer of its top-level key (none for other keys)."""
    if not parts:
        return
    for source in written.get(parts[0], []):
        rest = parts[1:]
        if isinstance(source, Selected):
            if not rest:
                continue
            assert rest[0] in source, f"{where}: reads '{rest[0]}', which the ResultSelector does not build"
            yield resolve(source[rest[0]], rest[1:], where=where)
        else:
            yield resolve(source, rest, where=where)


def json_paths(value: Any, key: str = "") -> Iterator[tuple[str, list[str]]]:
    """(key, path parts) of every JSONPath a state reads in a Parameters-like object."""
    if isinstance(value, dict):
        for inner, item in value.items():
            yield from json_paths(item, inner)
    elif key.endswith(".$"):
        parts = path_parts(value)
        if parts is not None:
            yield key, parts
        else:
            for reference in re.findall(r"(?<![$\w])\$((?:\.[A-Za-z0-9_-]+)+)", value):
                yield key, reference.split(".")[1:]


def state_reads(state: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    for field in ("InputPath", "TimeoutSecondsPath", "ItemsPath"):
        if isinstance(state.get(field), str) and path_parts(state[field]) is not None:
            yield field, path_parts(state[field])
    for choice in state.get("Choices", []):
        if "Variable" in choice:
            yield "Variable", path_parts(choice["Variable"])
    parameters = state.get("Parameters", {})
    yield from json_paths(parameters)


def all_definitions_and_writers() -> Iterator[tuple[str, dict[str, Any], dict[str, list[Any]]]]:
    loaded = definitions()
    output = round_output(loaded[ACTIVE_LEARNING.name])
    for name, definition in loaded.items():
        yield name, definition, writers(definition, output)


def test_every_handler_has_contracts_that_name_it():
    assert set(STEPS) == set(FUNCTIONS.values()) | set(STANDALONE_FUNCTIONS.values())
    for module, step in STEPS.items():
        assert step.event.step == module and step.result.step == module


def test_every_lambda_task_passes_exactly_what_its_handlers_event_contract_declares():
    checked = 0
    for name, definition in definitions().items():
        for state_name, state in definition["States"].items():
            call = lambda_call(state)
            if call is None:
                continue
            module, parameters, _, _ = call
            event = STEPS[module].event
            keys = {key.removesuffix(".$") for key in parameters}
            where = f"{name} {state_name} -> lambdas/{module}.py"
            unknown = keys - set(field_types(event))
            assert not unknown, f"{where}: passes keys its contract lacks: {unknown}"
            assert required(event) <= keys, f"{where}: does not pass {required(event) - keys}"
            for key, value in parameters.items():
                nested = field_types(event)[key.removesuffix(".$")]
                if isinstance(value, dict) and not key.endswith(".$") and is_contract(nested):
                    inner = {item.removesuffix(".$") for item in value}
                    assert inner <= set(field_types(nested)) and required(nested) <= inner, f"{where}: {key}"
            checked += 1
    assert checked == 15  # 11 Lambda tasks in the loop, 4 in the round


def test_every_read_of_a_lambda_result_names_a_key_of_its_result_contract():
    reads = 0
    for name, definition, written in all_definitions_and_writers():
        for state_name, state in definition["States"].items():
            for key, parts in state_reads(state):
                found = list(types_at(written, parts, where=f"{name} {state_name} {key} $.{'.'.join(parts)}"))
                reads += bool(found)
    assert reads > 40


def test_every_event_key_filled_from_a_lambda_result_gets_every_field_its_contract_requires():
    for name, definition, written in all_definitions_and_writers():
        for state_name, state in definition["States"].items():
            call = lambda_call(state)
            if call is None:
                continue
            module, parameters, _, _ = call
            fields = field_types(STEPS[module].event)
            for key, value in parameters.items():
                parts = path_parts(value) if key.endswith(".$") else None
                wanted = fields[key.removesuffix(".$")]
                if not parts or not is_contract(wanted):
                    continue
                for given in types_at(written, parts, where=f"{name} {state_name} {key}"):
                    if is_contract(given):
                        missing = required(wanted) - set(field_types(given))
                        assert not missing, f"{name} {state_name}: '{key}' from {given.__name__} lacks {missing}"


def test_the_checks_catch_a_key_the_handler_does_not_declare():
    loop = definitions()[ACTIVE_LEARNING_LOOP.name]
    written = writers(loop, round_output(definitions()[ACTIVE_LEARNING.name]))
    with pytest.raises(AssertionError, match="next_stp"):
        list(types_at(written, ["counts", "next_stp"], where="typo"))
    with pytest.raises(AssertionError, match="coutn"):
        list(types_at(written, ["last_round", "selection", "coutn"], where="typo"))


def test_a_bad_event_names_the_step_and_the_key():
    run = {"id": "news-1", "root": "s3://bucket/out/news-1/"}
    with pytest.raises(StepContractError, match="count_records: event key 'working' is missing"):
        count_records.handler({"config": {}, "run": run})
    with pytest.raises(StepContractError, match="prepare_training: event key 'round' must be int, got str '1'"):
        prepare_training.handler({"config": {}, "run": run, "working": {"manifest": "s3://b/w"}, "round": "1",
                                  "algorithm": "bundled", "training_image": "img"})
    with pytest.raises(StepContractError, match="merge_labels: event key 'human_batch' is missing"):
        merge_labels.handler({"config": {"LabelAttributeName": "c", "Labels": ["a"]}, "run": run,
                              "working": {"manifest": "s3://b/w"}, "kind": "human"})
    with pytest.raises(StepContractError, match="merge_labels: event key 'autolabels.round' is missing"):
        step_contracts.MergeLabelsEvent.from_event(
            {"config": {}, "run": run, "working": {"manifest": "s3://b/w"}, "kind": "model",
             "autolabels": {"manifest": "s3://b/a", "job_name": "j", "creation_date": "d"}}
        )


def test_a_result_leaves_out_only_the_fields_that_say_so():
    counts = step_contracts.CountRecordsResult(
        input_total=4, human_labeled=1, auto_labeled=0, unlabeled=3, calibration=0, human_labeled_by_class=[1, 0],
        rounds=[], last_model=None, next_step="round", next_round=1, batch_size=2,
    ).to_result()
    assert counts["last_model"] is None and "stop_reason" not in counts and counts["batch_size"] == 2
