"""The workforces, by name: who labels a human batch, and what each needs from the request.

One entry per ``ActiveLearningConfig.Workforce`` value. Validation (:mod:`byoal.request`,
:mod:`byoal.validation`), the workflow's steps (``lambdas.validate_input``,
``lambdas.prepare_human_batch``), the scripts (``scripts.prepare``, ``scripts.start``) and the docs
read what a workforce needs from here. The ActiveLearningLoop definition's ``ChooseWorkforce``
Choice state branches on the name to the entry's ``state`` (statemachines/active_learning_loop.asl.json;
tests/core/test_registries.py checks that every entry has its branch). To add a workforce: an entry
below, its labeling state in that definition, and the task it runs (a Lambda handler or a service
integration) with its local implementation in ``local_runner``.
"""

from __future__ import annotations

from dataclasses import dataclass

from byoal.records import GROUND_TRUTH_MAX_SOURCE_CHARACTERS


@dataclass(frozen=True)
class Workforce:
    """What a workforce is, needs and forbids; read by validation, the steps, the scripts and the docs."""

    name: str
    """The ``ActiveLearningConfig.Workforce`` value."""
    description: str
    """One phrase for the docs and the CLI help."""
    state: str
    """The ActiveLearningLoop state that ``ChooseWorkforce`` sends a batch to."""
    offline: str
    """How the offline runner (``local_runner``) answers that state's task."""
    required_fields: tuple[str, ...] = ()
    """Request fields (dotted paths) that must be present with this workforce."""
    requires_answer_key: bool = False
    """Whether ``ActiveLearningConfig.AnswerKeyS3Uri`` is required (the batches are answered from it)."""
    labeling_job: bool = False
    """Whether every human batch is a SageMaker CreateLabelingJob request built from the execution input, checked
    against the service's shape before the run (``lambdas.validate_input``), whose pre-annotation Lambda must be in
    the stack's region (``scripts.start``)."""
    max_source_characters: int | None = None
    """The longest ``source`` a record may have (None: no limit)."""
    waits_for_people: bool = False
    """Whether the run waits for a person to return each batch (a task token); ``scripts.prepare`` then says how."""


GROUND_TRUTH = Workforce(
    name="GroundTruth",
    description="a SageMaker Ground Truth labeling job with the request's `HumanTaskConfig`",
    state="LabelWithGroundTruth",
    offline="answered from the answer key, written where Ground Truth writes its output",
    required_fields=(
        "RoleArn",
        "HumanTaskConfig.WorkteamArn",
        "HumanTaskConfig.UiConfig.UiTemplateS3Uri",
        "HumanTaskConfig.PreHumanTaskLambdaArn",
        "HumanTaskConfig.AnnotationConsolidationConfig.AnnotationConsolidationLambdaArn",
        "HumanTaskConfig.TaskTitle",
        "HumanTaskConfig.TaskDescription",
        "HumanTaskConfig.NumberOfHumanWorkersPerDataObject",
        "HumanTaskConfig.TaskTimeLimitInSeconds",
    ),
    labeling_job=True,
    max_source_characters=GROUND_TRUTH_MAX_SOURCE_CHARACTERS,
)
CALLBACK = Workforce(
    name="Callback",
    description="the batch is written to storage and the run waits (a task token) for a labeled manifest",
    state="LabelWithCallback",
    offline="waits for the labeling page (python -m scripts.label) or python -m scripts.local_callback",
    waits_for_people=True,
)
SIMULATED = Workforce(
    name="Simulated",
    description="each batch labeled from the answer key, with `AnnotatorErrorRate` mistakes",
    state="LabelWithSimulatedWorkforce",
    offline="the same handler, in-process",
    requires_answer_key=True,
)

REGISTRY: dict[str, Workforce] = {workforce.name: workforce for workforce in (GROUND_TRUTH, CALLBACK, SIMULATED)}
"""Name -> workforce, in the order the docs and error messages list them (the default first)."""

NAMES: tuple[str, ...] = tuple(REGISTRY)


def get(name: str) -> Workforce:
    """The registered workforce called ``name``; ValueError naming the known ones otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"no workforce {name!r}; known: {list(NAMES)}") from None
