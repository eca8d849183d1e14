"""What each workflow step takes and returns: one frozen dataclass per step's event and result.

The state-machine definitions (``statemachines/*.asl.json``) pass each Lambda handler (``lambdas/``) a
JSON object built by the Task state's ``Parameters``, and store what it returns at the state's
``ResultPath``, where later states read it. These classes are that interface, written once:

- ``<Step>Event.from_event(event)`` checks the event and gives it typed; a key the step needs that
  is missing, or has the wrong JSON type, raises :class:`StepContractError` naming the step and the
  key's path (``merge_labels: event key 'human_batch.round' ...``). Keys a contract does not declare
  are ignored here; ``tests/core/test_step_contracts.py`` checks that every definition passes
  exactly declared keys and reads only declared result keys.
- ``<Step>Result(...).to_result()`` gives the JSON object the state machine stores.

``config`` is always the normalized ``ActiveLearningConfig`` that the validate-input step returns
(byoal.request.validate_request, plus ``Labels``, ``RecordCount`` and the resolved ``HumanBatchSize``
and ``PrecomputeEmbeddings``); it is passed through as a dict. Every URI is an ``s3://`` URI named by
:mod:`byoal.layout`; counts are numbers of records; round numbers count from 0 (the seed batch).
:data:`STEPS` maps each handler module to its contracts.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, TypeVar, Union

_C = TypeVar("_C", bound="Contract")
_V = TypeVar("_V")

OMIT_IF_NONE = {"omit_if_none": True}
"""Field metadata: a result field that is left out of the result (not stored as null) when it is None."""


class StepContractError(ValueError):
    """A step's event lacks a key the step needs, or has it with the wrong type: a definition or caller bug."""


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", str(annotation))


def _check(value: Any, annotation: Any, *, step: str, key: str) -> Any:
    """``value`` as the annotated type (a nested contract parsed); StepContractError if it is not one."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = typing.get_args(annotation)
        if value is None and type(None) in options:
            return None
        inner = [option for option in options if option is not type(None)]
        if len(inner) == 1:
            return _check(value, inner[0], step=step, key=key)
        raise TypeError(f"{step}: unsupported annotation {annotation} for '{key}'")
    if annotation is Any:
        return value
    if isinstance(annotation, type) and issubclass(annotation, Contract):
        return annotation._parse(value, step=step, prefix=f"{key}.")
    expected = origin or annotation
    if expected is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, expected)
    if not ok:
        raise StepContractError(
            f"{step}: event key '{key}' must be {_type_name(expected)}, got {type(value).__name__} {str(value)[:60]!r}"
        )
    return value


class Contract:
    """Base of the step contracts: parse a JSON object into the dataclass, and back."""

    step: ClassVar[str] = ""
    """The handler module (``lambdas/<step>.py``) an event or result belongs to; named in every error."""

    @classmethod
    def _parse(cls: type[_C], data: Any, *, step: str, prefix: str = "") -> _C:
        where = prefix.rstrip(".") or "event"
        if not isinstance(data, dict):
            raise StepContractError(f"{step}: '{where}' must be a JSON object, got {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        values = {}
        for item in dataclasses.fields(cls):  # type: ignore[arg-type]
            key = prefix + item.name
            if item.name in data:
                values[item.name] = _check(data[item.name], hints[item.name], step=step, key=key)
            elif item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
                raise StepContractError(f"{step}: event key '{key}' is missing")
        return cls(**values)

    @classmethod
    def from_event(cls: type[_C], event: Any) -> _C:
        """The checked, typed event; StepContractError naming the step and key if it does not fit."""
        return cls._parse(event, step=cls.step or cls.__name__)

    def to_result(self) -> dict[str, Any]:
        """The JSON object the state machine stores (nested contracts as objects)."""
        result: dict[str, Any] = {}
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            if value is None and item.metadata.get("omit_if_none"):
                continue
            result[item.name] = value.to_result() if isinstance(value, Contract) else value
        return result


def require(value: _V, *, step: str, key: str) -> _V:
    """``value`` unless it is None (an optional event key this step needs); else StepContractError."""
    if value is None:
        raise StepContractError(f"{step}: event key '{key}' is missing")
    return value


Config = dict[str, Any]


# Shared parts of events and results.


@dataclass(frozen=True)
class Run(Contract):
    """The run (validate-input's ``run``): ``id`` (names its jobs), ``root`` (its folder URI, ending in ``/``),
    ``input_manifest`` (the validated copy of the input) and ``final_manifest`` (where the result goes)."""

    id: str
    root: str
    input_manifest: str | None = None
    final_manifest: str | None = None


@dataclass(frozen=True)
class Working(Contract):
    """The current working manifest (every input record once, labels so far), as each step that rewrites it returns."""

    manifest: str


@dataclass(frozen=True)
class Model(Contract):
    """Which model the state machine trains: ``algorithm`` (``bundled`` or ``blazingtext``) and training ``image``."""

    algorithm: str | None = None
    image: str | None = None


@dataclass(frozen=True)
class Selection(Contract):
    """Record ids chosen for humans: ``manifest`` (``{"byoal-id"}`` lines, ``byoal-calibration`` on calibration
    draws), ``count`` records, chosen in ``round``."""

    manifest: str
    count: int
    round: int


@dataclass(frozen=True)
class LabelingJobRequest(Contract):
    """A SageMaker CreateLabelingJob request (Ground Truth only), as the state LabelWithGroundTruth sends it."""

    LabelingJobName: str
    LabelAttributeName: str
    InputConfig: dict[str, Any]
    OutputConfig: dict[str, Any]
    RoleArn: str
    LabelCategoryConfigS3Uri: str
    HumanTaskConfig: dict[str, Any]


@dataclass(frozen=True)
class HumanBatch(Contract):
    """A batch for human labelers: ``job_name``, the ``round`` that chose it, ``count`` records in
    ``input_manifest`` (``{"source", "byoal-id"}`` lines); ``calibration`` of them are calibration draws, listed
    in ``calibration_manifest``; the labels go to ``output_manifest``; ``labeling_job_request`` with Ground Truth."""

    job_name: str
    round: int
    count: int
    input_manifest: str
    output_manifest: str | None = None
    calibration: int = 0
    calibration_manifest: str | None = None
    labeling_job_request: LabelingJobRequest | None = field(default=None, metadata=OMIT_IF_NONE)


@dataclass(frozen=True)
class HumanLabels(Contract):
    """A workforce's answer: the labeled batch's ``output_manifest`` (what Ground Truth's output, the simulated
    workforce and a Callback submission all give)."""

    output_manifest: str


@dataclass(frozen=True)
class AutoLabels(Contract):
    """A round's model labels: ``manifest`` (id, working-manifest position, class, confidence per line), ``count``,
    ``round``, and the Ground Truth metadata they get when merged (``job_name``, ``creation_date``, ISO 8601)."""

    manifest: str
    round: int
    job_name: str
    creation_date: str
    count: int = 0


# One event and one result per step, in the order the loop runs them.


@dataclass(frozen=True)
class ValidateInputEvent(Contract):
    """``request``: the execution input (CreateLabelingJob-shaped, plus ``ActiveLearningConfig``; see
    docs/execution-input.md); ``execution_name``/``execution_id`` of the loop execution; ``model`` the definition's."""

    step = "validate_input"
    request: Any  # checked by byoal.request.validate_request, whose errors name the field
    execution_name: str
    execution_id: str | None = None
    model: Model = Model()


@dataclass(frozen=True)
class ValidateInputResult(Contract):
    """The execution's state from here on: the ``request`` as given, its normalized ``config``, and the ``run``."""

    step = "validate_input"
    request: dict[str, Any]
    config: Config
    run: Run


@dataclass(frozen=True)
class AssignIdsEvent(Contract):
    """``run`` (its ``root`` and ``input_manifest``)."""

    step = "assign_ids"
    run: Run


@dataclass(frozen=True)
class AssignIdsResult(Working):
    """The first working manifest, the input with a ``byoal-id`` on every line."""

    step = "assign_ids"


@dataclass(frozen=True)
class PrepareEmbeddingInputEvent(Contract):
    """``attempt``: the loop's redrive count (0 on the first run), which keeps SageMaker names unique."""

    step = "prepare_embedding_input"
    config: Config
    run: Run
    working: Working
    attempt: int = 0


@dataclass(frozen=True)
class PrepareEmbeddingInputResult(Contract):
    """Names and prefixes of the embed transform (``encoder_path``: the ``encoder_path`` hyperparameter, ""
    for the bundled encoder); ``records`` written to its input."""

    step = "prepare_embedding_input"
    model_name: str
    job_name: str
    input_prefix: str
    output_prefix: str
    encoder_path: str
    records: int


@dataclass(frozen=True)
class CountRecordsEvent(Contract):
    """The working manifest to count, and the run whose round statistics say what was done so far."""

    step = "count_records"
    config: Config
    run: Run
    working: Working


@dataclass(frozen=True)
class CountRecordsResult(Contract):
    """Record counts (byoal.counts.Counts), the ``rounds`` so far (their statistics), the ``last_model``
    trained (``{"name", "artifacts"}`` or None), and what the loop does next (byoal.counts.next_step):
    ``next_step`` ``seed``/``round`` with ``next_round`` and ``batch_size`` (human labels), or ``export``
    with ``stop_reason``."""

    step = "count_records"
    input_total: int
    human_labeled: int
    auto_labeled: int
    unlabeled: int
    calibration: int
    human_labeled_by_class: list[int]
    rounds: list[dict[str, Any]]
    last_model: dict[str, Any] | None
    next_step: str
    next_round: int | None = field(default=None, metadata=OMIT_IF_NONE)
    batch_size: int | None = field(default=None, metadata=OMIT_IF_NONE)
    stop_reason: str | None = field(default=None, metadata=OMIT_IF_NONE)


@dataclass(frozen=True)
class SeedCounts(Contract):
    """What the seed batch needs of the counts: ``unlabeled`` records, ``batch_size`` to choose."""

    unlabeled: int
    batch_size: int


@dataclass(frozen=True)
class SelectSeedBatchEvent(Contract):
    """The working manifest and the counts (``unlabeled``, ``batch_size``) that call for a seed batch."""

    step = "select_seed_batch"
    config: Config
    run: Run
    working: Working
    counts: SeedCounts


@dataclass(frozen=True)
class SelectSeedBatchResult(Selection):
    """The seed batch (round 0); ``calibration`` of its records are round 1's calibration draws."""

    step = "select_seed_batch"
    calibration: int


@dataclass(frozen=True)
class PrepareHumanBatchEvent(Contract):
    """The ``selection`` to turn into a batch; ``request`` for Ground Truth's ``HumanTaskConfig`` and role."""

    step = "prepare_human_batch"
    request: dict[str, Any]
    config: Config
    run: Run
    working: Working
    selection: Selection


@dataclass(frozen=True)
class PrepareHumanBatchResult(HumanBatch):
    """The batch every workforce labels."""

    step = "prepare_human_batch"


@dataclass(frozen=True)
class SimulatedWorkforceEvent(Contract):
    """The batch to label from ``config``'s ``AnswerKeyS3Uri``; ``labeled_at``: ISO 8601 time for the metadata.
    ``run`` is passed to every workforce alike; this one does not read it."""

    step = "simulated_workforce"
    config: Config
    human_batch: HumanBatch
    labeled_at: str
    run: Run | None = None


@dataclass(frozen=True)
class SimulatedWorkforceResult(HumanLabels):
    """The labeled batch."""

    step = "simulated_workforce"


@dataclass(frozen=True)
class CallbackBatchEvent(Contract):
    """The batch to publish, with the ``task_token`` its state waits on (``.waitForTaskToken``)."""

    step = "callback_batch"
    task_token: str
    config: Config
    run: Run
    human_batch: HumanBatch


@dataclass(frozen=True)
class CallbackBatchResult(Contract):
    """The ``pending`` file's URI and the batch's ``records``; ``labeled_before`` when its labels were stored
    before (a redrive) and were handed over at once. The state's result is the task output instead:
    :class:`HumanLabels`, sent with the token."""

    step = "callback_batch"
    pending: str
    records: int
    labeled_before: bool | None = field(default=None, metadata=OMIT_IF_NONE)


@dataclass(frozen=True)
class CallbackPending(Contract):
    """The pending file of a Callback batch (``layout.callback_pending``), stored beside the batch."""

    step = "callback_resume"
    task_token: str
    job_name: str
    input_manifest: str
    output_manifest: str
    label_attribute: str
    labels: list[str]


@dataclass(frozen=True)
class CallbackResumeEvent(Contract):
    """``pending``: a pending file's URI; ``labeled_manifest``: the labeled batch (``byoal-id`` and label per line)."""

    step = "callback_resume"
    pending: str
    labeled_manifest: str


@dataclass(frozen=True)
class CallbackResumeResult(Contract):
    """``labeled`` of the batch's ``of`` records got a label in job ``job_name``."""

    step = "callback_resume"
    job_name: str
    labeled: int
    of: int


@dataclass(frozen=True)
class MergeLabelsEvent(Contract):
    """``kind`` ``human`` (with ``human_batch`` and ``human_labels``) or ``model`` (with ``autolabels``)."""

    step = "merge_labels"
    config: Config
    run: Run
    working: Working
    kind: str
    human_batch: HumanBatch | None = None
    human_labels: HumanLabels | None = None
    autolabels: AutoLabels | None = None


@dataclass(frozen=True)
class MergeLabelsResult(Working):
    """The new working manifest; ``merged`` labels taken, ``kept_human`` model labels refused (a human one stays)."""

    step = "merge_labels"
    merged: int
    kept_human: int


@dataclass(frozen=True)
class ExportManifestEvent(Contract):
    """The working manifest to export to ``run.final_manifest``."""

    step = "export_manifest"
    config: Config
    run: Run
    working: Working


@dataclass(frozen=True)
class ExportManifestResult(Contract):
    """The ``final_manifest`` URI and its ``counts`` (byoal.counts.Counts as a dict)."""

    step = "export_manifest"
    final_manifest: str
    counts: dict[str, Any]


@dataclass(frozen=True)
class RoundEvent(Contract):
    """What every round step gets: the working manifest and the ``round`` number (1 or more)."""

    config: Config
    run: Run
    working: Working
    round: int


@dataclass(frozen=True)
class HoldOutCalibrationEvent(RoundEvent):
    """Round 1 may hold out input labels as calibration records."""

    step = "hold_out_calibration"


@dataclass(frozen=True)
class HoldOutCalibrationResult(Working):
    """The round's working manifest; ``held_out_input_labels`` input labels became calibration records."""

    step = "hold_out_calibration"
    held_out_input_labels: int


@dataclass(frozen=True)
class PrepareTrainingEvent(RoundEvent):
    """``algorithm`` (``bundled`` or ``blazingtext``) and ``training_image`` from the definition; ``attempt``
    the loop's redrive count."""

    step = "prepare_training"
    algorithm: str
    training_image: str
    attempt: int = 0


@dataclass(frozen=True)
class PrepareTrainingResult(Contract):
    """The training job's name and CreateTrainingJob settings; ``train_records``/``validation_records`` written."""

    step = "prepare_training"
    job_name: str
    AlgorithmSpecification: dict[str, Any]
    HyperParameters: dict[str, str]
    InputDataConfig: list[dict[str, Any]]
    OutputDataConfig: dict[str, Any]
    train_records: int
    validation_records: int


@dataclass(frozen=True)
class PrepareTransformInputEvent(RoundEvent):
    """``algorithm`` from the definition; ``attempt`` the loop's redrive count."""

    step = "prepare_transform_input"
    algorithm: str
    attempt: int = 0


@dataclass(frozen=True)
class PrepareTransformInputResult(Contract):
    """The transform job's name, input and output prefixes, and the ``records`` it must predict."""

    step = "prepare_transform_input"
    job_name: str
    input_prefix: str
    output_prefix: str
    records: int


@dataclass(frozen=True)
class Transform(Contract):
    """What the round step needs of the transform: its ``output_prefix`` and how many ``records`` it predicted."""

    output_prefix: str
    records: int


@dataclass(frozen=True)
class ActiveLearningEvent(RoundEvent):
    """The round's predictions (``transform``), ``batch_size`` human labels to spend, the ``model`` trained
    (``{"name", "artifacts"}``, recorded in the statistics) and ``started_at`` (the round's start, ISO 8601)."""

    step = "active_learning"
    batch_size: int
    transform: Transform
    started_at: str
    model: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActiveLearningResult(Contract):
    """The round's output (the round state machine's output): the ``working`` manifest it read, its
    ``autolabels`` and ``selection`` for humans, and its ``stats`` (byoal.round_decision)."""

    step = "active_learning"
    round: int
    working: Working
    autolabels: AutoLabels
    selection: Selection
    stats: dict[str, Any]


class Step(NamedTuple):
    """A handler's contracts; ``token_output`` is what a ``.waitForTaskToken`` state stores instead of ``result``."""

    event: type[Contract]
    result: type[Contract]
    token_output: type[Contract] | None = None


STEPS: dict[str, Step] = {
    "validate_input": Step(ValidateInputEvent, ValidateInputResult),
    "assign_ids": Step(AssignIdsEvent, AssignIdsResult),
    "prepare_embedding_input": Step(PrepareEmbeddingInputEvent, PrepareEmbeddingInputResult),
    "count_records": Step(CountRecordsEvent, CountRecordsResult),
    "select_seed_batch": Step(SelectSeedBatchEvent, SelectSeedBatchResult),
    "prepare_human_batch": Step(PrepareHumanBatchEvent, PrepareHumanBatchResult),
    "simulated_workforce": Step(SimulatedWorkforceEvent, SimulatedWorkforceResult),
    "callback_batch": Step(CallbackBatchEvent, CallbackBatchResult, token_output=HumanLabels),
    "callback_resume": Step(CallbackResumeEvent, CallbackResumeResult),
    "merge_labels": Step(MergeLabelsEvent, MergeLabelsResult),
    "export_manifest": Step(ExportManifestEvent, ExportManifestResult),
    "hold_out_calibration": Step(HoldOutCalibrationEvent, HoldOutCalibrationResult),
    "prepare_training": Step(PrepareTrainingEvent, PrepareTrainingResult),
    "prepare_transform_input": Step(PrepareTransformInputEvent, PrepareTransformInputResult),
    "active_learning": Step(ActiveLearningEvent, ActiveLearningResult),
}
"""Handler module in ``lambdas/`` -> its contracts."""
