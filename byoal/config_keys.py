"""The ``ActiveLearningConfig`` keys, one entry each: default, type, range or choices, CLI flag, help.

Everything about a key is read from here: :func:`byoal.request.validate_active_learning_config`
checks each value with :meth:`ConfigKey.check`; ``scripts.prepare`` and ``scripts.run_local`` add
the options of the keys they expose (:func:`add_options`) and read them back (:func:`option_values`);
the table in docs/execution-input.md is :func:`markdown_table` (``python -m scripts.config_table``
writes it; a test checks the two agree). To add a key: an entry in :data:`KEYS`, and the code that
uses its value.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from byoal import embeddings, hyperparameters, query_strategies, workforces
from byoal.errors import InputError

PREPARE = "scripts.prepare"
RUN_LOCAL = "scripts.run_local"
BOTH = frozenset({PREPARE, RUN_LOCAL})

# The loop's state keeps one entry per round (counts.rounds) and Step Functions holds every state to 256 KiB.
# Measured (tests/local_runner/test_ground_truth_offline.py): ~21 KB of state and ~1.5 KB per round with a
# 1,024-character S3OutputPath (SageMaker's maximum), so about 160 rounds fit; 100 leaves room.
MAX_ROUNDS = 100

S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]/")
"""An ``s3://bucket/`` prefix with a valid bucket name: what every S3 URI field of the request must start with."""


def _key_value(text: str) -> tuple[str, str]:
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def _precompute_setting(text: str) -> str | bool:
    """``auto``, ``true`` or ``false`` as the ActiveLearningConfig value (``"auto"``, true, false)."""
    values: dict[str, str | bool] = {"auto": "auto", "true": True, "false": False}
    if text not in values:
        raise argparse.ArgumentTypeError(f"expected auto, true or false, got {text!r}")
    return values[text]


@dataclass(frozen=True)
class ConfigKey:
    """One ``ActiveLearningConfig`` key.

    ``kind`` is ``number``, ``integer``, ``boolean``, ``choice``, ``s3_uri`` or ``custom``. Numbers and
    integers lie in [``low``, ``high``] (``low_open``: (``low``, ``high``]); a key whose default is null
    admits null.
    ``choices`` lists a ``choice`` key's values; ``custom`` keys are checked (and normalised) by
    ``checker``, which raises InputError naming the key. ``flag`` is the command-line option of the
    ``scripts`` that expose the key, parsed with ``parse`` (argparse's ``type``) or by ``kind``;
    ``repeated`` flags are given once per (name, value) pair and collected into an object.
    """

    name: str
    default: Any
    kind: str
    meaning: str
    """The docs table's text (Markdown)."""
    help: str = ""
    """The command-line help (plain text); the key and its default are added."""
    low: float = 0
    high: float = math.inf
    low_open: bool = False
    choices: tuple[Any, ...] = ()
    choice_descriptions: dict[str, str] = field(default_factory=dict)
    checker: Callable[[Any], Any] | None = None
    allowed: str = ""
    """The docs' "allowed values" text of a ``custom`` key."""
    flag: str | None = None
    scripts: frozenset[str] = frozenset()
    parse: Callable[[str], Any] | None = None
    metavar: str | None = None
    repeated: bool = False

    @property
    def field_name(self) -> str:
        """The request field, ``ActiveLearningConfig.<name>``, as error messages name it."""
        return f"ActiveLearningConfig.{self.name}"

    @property
    def dest(self) -> str:
        """The argparse destination of ``flag`` (``--max-rounds`` -> ``max_rounds``)."""
        if self.flag is None:
            raise ValueError(f"{self.name} has no command-line flag")
        return self.flag.removeprefix("--").replace("-", "_")

    def check(self, value: Any) -> Any:
        """``value`` as the run uses it (only ``custom`` keys normalise); InputError naming the key and the range."""
        if self.kind == "custom":
            assert self.checker is not None
            return self.checker(value)
        if value is None and self.default is None:
            return value
        if self.kind == "choice":
            if value not in self.choices:
                raise InputError(f"'{self.field_name}' must be one of {list(self.choices)}, got {value!r}")
        elif self.kind == "boolean":
            if not isinstance(value, bool):
                raise InputError(f"'{self.field_name}' must be true or false, got {value!r}")
        elif self.kind == "s3_uri":
            if not isinstance(value, str) or not S3_URI.match(value):
                raise InputError(f"'{self.field_name}' must be an s3://bucket/key URI, got {value!r}")
        else:
            self._check_number(value)
        return value

    def _check_number(self, value: Any) -> None:
        integer = self.kind == "integer"
        kind_ok = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not kind_ok or (isinstance(value, float) and not math.isfinite(value)):
            raise InputError(f"'{self.field_name}' must be {'an integer' if integer else 'a number'}, got {value!r}")
        too_low = value <= self.low if self.low_open else value < self.low
        if too_low or value > self.high:
            raise InputError(f"'{self.field_name}' must be in {self._interval()}, got {value!r}")

    def _interval(self) -> str:
        return f"{'(' if self.low_open else '['}{self.low}, {self.high}]"

    def allowed_values(self) -> str:
        """What the key accepts, in Markdown, for the docs table."""
        null = "`null` or " if self.default is None else ""
        if self.kind == "choice":
            return ", ".join(f"`{choice}`" for choice in self.choices)
        if self.kind == "boolean":
            return "`true` or `false`"
        if self.kind == "s3_uri":
            return f"{null}an `s3://bucket/key` URI"
        if self.kind == "custom":
            return self.allowed
        what = "an integer" if self.kind == "integer" else "a number"
        if self.high == math.inf:
            return f"{null}{what} ≥ {self.low}"
        return f"{null}{what} in {self._interval()}"

    def default_text(self) -> str:
        """The default as the docs table shows it: a choice bare (``margin``), anything else as JSON."""
        return str(self.default) if self.kind == "choice" else json.dumps(self.default)

    def markdown_meaning(self) -> str:
        """The meaning, followed by each choice's description for a ``choice`` key."""
        if not self.choice_descriptions:
            return self.meaning
        listed = "; ".join(f"`{name}`: {text}" for name, text in self.choice_descriptions.items())
        return f"{self.meaning} — {listed}"

    def add_option(self, parser: argparse._ActionsContainer, *, help: str | None = None) -> None:
        """Add ``flag`` to ``parser`` (default None: unset, so the request's default applies)."""
        text = help if help is not None else f"{self.help} ({self.name}; default {self.default_text()})"
        text = text.replace("%", "%%")
        if self.kind == "boolean":
            parser.add_argument(self.flag, action=argparse.BooleanOptionalAction, default=None, help=text)
            return
        options: dict[str, Any] = {"help": text}
        if self.kind == "choice":
            options["choices"] = self.choices
        else:
            options["type"] = self.parse or {"number": float, "integer": int}.get(self.kind, str)
        if self.metavar:
            options["metavar"] = self.metavar
        if self.repeated:
            options["action"] = "append"
        parser.add_argument(self.flag, **options)

    def option_value(self, args: argparse.Namespace) -> Any:
        """The value the command line gave for this key (None: not given); repeated pairs as an object."""
        value = getattr(args, self.dest)
        return dict(value) if self.repeated and value is not None else value


KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(
        "QueryStrategy", "margin", "choice",
        meaning="how the next human batch is chosen (byoal/query_strategies/)",
        help="query strategy for the human batches",
        choices=query_strategies.NAMES,
        choice_descriptions={name: strategy.description for name, strategy in query_strategies.REGISTRY.items()},
        flag="--strategy", scripts=BOTH,
    ),
    ConfigKey(
        "TargetAccuracy", 0.95, "number", low=0, high=1, low_open=True,
        meaning="the accuracy each round's auto-labels must reach, with probability at least 1 − `RiskTolerance`",
        help="accuracy the auto-labels must reach",
        flag="--target-accuracy", scripts=BOTH,
    ),
    ConfigKey(
        "RiskTolerance", 0.1, "number", low=0, high=0.5, low_open=True,
        meaning="δ, the chance a round's auto-labels may fall below `TargetAccuracy` (the threshold test's level)",
        help="the chance a round's auto-labels may fall below the target",
        flag="--risk-tolerance", scripts=frozenset({PREPARE}),
    ),
    ConfigKey(
        "CalibrationShare", 0.2, "number", low=0, high=0.9, low_open=True,
        meaning="share of every human batch (the seed batch and each round's) drawn uniformly at random from the "
        "pool as calibration records; they are human labels like the others (budgets, savings, final manifest) but "
        "no model trains on them",
        help="share of every human batch drawn at random as calibration records",
        flag="--calibration-share", scripts=frozenset({PREPARE}),
    ),
    ConfigKey(
        "WarmUpRounds", 2, "integer", low=0, high=MAX_ROUNDS,
        meaning="the first rounds only send a human batch (the query strategy's picks) and auto-label nothing, so "
        "the model the threshold is tested on has learned from those picks and the calibration records of all the "
        "batches serve one test; a round after which no round would test (budget spent, `MaxRounds`, or a batch "
        "that would take every record left) tests regardless (2 labeled the most on the bundled sample and "
        "Banking77, docs/benchmarks.md)",
        help="rounds at the start that only send a human batch and auto-label nothing",
        flag="--warm-up-rounds", scripts=BOTH,
    ),
    ConfigKey(
        "InputLabelsAreRandomSample", False, "boolean",
        meaning="whether the input (pre-)labels were drawn at random from the data. Only then does round 1 hold out "
        "`ValidationShare` of them as calibration records; otherwise they are training data only, because a skewed "
        "set of pre-labels would give a skewed threshold. `scripts.prepare` draws its pre-labels at random and sets "
        "it `true`",
        help="whether the input labels were drawn at random, so they may calibrate round 1",
        flag="--input-labels-are-random", scripts=frozenset({PREPARE}),
    ),
    ConfigKey(
        "HumanBatchSize", None, "integer", low=1,
        meaning="records per human batch; `null` means `HumanBatchShare` of the records",
        help="human labels per batch (null: HumanBatchShare of the records)",
        flag="--batch-size", scripts=BOTH,
    ),
    ConfigKey(
        "HumanBatchShare", 0.05, "number", low=0, high=1, low_open=True,
        meaning="the batch size as a share of the records, when `HumanBatchSize` is `null`",
        help="the batch size as a share of the records",
        flag="--batch-share", scripts=frozenset({PREPARE}),
    ),
    ConfigKey(
        "SeedShare", 0.1, "number", low=0, high=1,
        meaning="share of the records labeled by humans (a random batch) before the first round; input labels count",
        help="share labeled by humans before the first round",
        flag="--seed-share", scripts=BOTH,
    ),
    ConfigKey(
        "ValidationShare", 0.3, "number", low=0, high=0.9, low_open=True,
        meaning="with `InputLabelsAreRandomSample`: the share of the input labels held out in round 1 as "
        "calibration records (0.3 labeled the most in round 1 of the bundled sample and Banking77, "
        "docs/benchmarks.md)",
        help="share of random input labels held out in round 1 as calibration records",
        flag="--validation-share", scripts=frozenset({PREPARE}),
    ),
    ConfigKey(
        "MinValidationRecords", None, "integer", low=1,
        meaning="optional floor: a round auto-labels only with at least this many calibration records at or above "
        "its threshold (the test itself needs at least ⌈ln δ / ln target⌉, 45 at the defaults, and a quarter of "
        "the round's calibration records)",
        help="a round auto-labels only with at least this many calibration records at or above its threshold",
        flag="--min-validation-records", scripts=frozenset({PREPARE}),
    ),
    ConfigKey(
        "MaxHumanLabels", None, "integer", low=1,
        meaning="budget: at most this many human labels in all (input labels included)",
        help="budget: at most this many human labels in all",
        flag="--max-human-labels", scripts=BOTH,
    ),
    ConfigKey(
        "MaxHumanShare", 1.0, "number", low=0, high=1,
        meaning="budget: at most this share of the records labeled by humans",
        help="budget: at most this share of the records labeled by humans",
        flag="--max-human-share", scripts=BOTH,
    ),
    ConfigKey(
        "MaxRounds", 10, "integer", low=0, high=MAX_ROUNDS,
        meaning=f"budget: at most this many learning rounds (at most {MAX_ROUNDS}, so the loop's state stays within "
        "Step Functions' 256 KiB)",
        help="budget: at most this many rounds",
        flag="--max-rounds", scripts=BOTH,
    ),
    ConfigKey(
        "Workforce", "GroundTruth", "choice",
        meaning="who labels the human batches (byoal/workforces.py; `scripts.prepare` writes `Simulated` for fully "
        "labeled data, else `Callback`)",
        help="who labels the human batches",
        choices=workforces.NAMES,
        choice_descriptions={name: workforce.description for name, workforce in workforces.REGISTRY.items()},
        flag="--workforce", scripts=frozenset({PREPARE}),
    ),
    ConfigKey(
        "AnswerKeyS3Uri", None, "s3_uri",
        meaning="the fully labeled copy of the data (required with `Simulated`; also used offline for `GroundTruth` "
        "and for measuring)",
    ),
    ConfigKey(
        "AnnotatorErrorRate", 0.0, "number", low=0, high=1,
        meaning="`Simulated` only: the chance a simulated annotator picks a wrong class",
        help="simulated annotators' error rate",
        flag="--annotator-error-rate", scripts=BOTH,
    ),
    ConfigKey(
        "Seed", 0, "integer", low=0, high=2**31 - 1,
        meaning="seed of every random choice (seed batch, calibration draws, early-stopping slice, `random` "
        "strategy, simulated errors)",
        help="random seed of the workflow's choices",
        flag="--seed", scripts=BOTH,
    ),
    ConfigKey(
        "HyperParameters", {}, "custom", checker=hyperparameters.encode,
        allowed="an object of name → value",
        meaning="training hyperparameters, beside those the workflow passes (label attribute, class names, seed); a "
        "string is sent as it is, any other JSON value as its JSON text (`3` → `\"3\"`, `[\"A\", \"B\"]` → "
        "`'[\"A\", \"B\"]'`); checked against the model's schema, see below",
        help="a model hyperparameter (repeatable)",
        flag="--hyperparameter", scripts=frozenset({PREPARE}), parse=_key_value, metavar="NAME=VALUE", repeated=True,
    ),
    ConfigKey(
        "CallbackTimeoutSeconds", 7 * 24 * 3600, "integer", low=60, high=365 * 24 * 3600,
        meaning="`Callback` only: how long a batch may wait for its labels, in seconds",
        help="Callback only: how long a batch may wait for its labels, in seconds",
        flag="--callback-timeout", scripts=frozenset({PREPARE}),
    ),
    ConfigKey(
        "FixedMarginThreshold", None, "number", low=0, high=1,
        meaning="for comparisons only: the AWS sample's uncalibrated rule (auto-label when the top-two margin "
        "exceeds it) instead of the threshold test",
        help="the AWS sample's rule (auto-label above this top-two margin) instead of calibration",
        flag="--fixed-margin-threshold", scripts=BOTH,
    ),
    ConfigKey(
        "PrecomputeEmbeddings", "auto", "custom", checker=embeddings.check_setting,
        allowed="`\"auto\"`, `true` or `false`",
        meaning="embed every record once, before the first round, with the model image in its `embed` serving mode "
        "(one transform job), and give every round's training channels and transform input their record's "
        "`byoal-embedding` from it, so no round runs the sentence encoder. `\"auto\"` is `true` for the bundled "
        "container's `minilm-tfidf` model (the default) and `false` for its `keras-scratch`, for BlazingText and "
        "for an image of your own; `true` opts your own image in (it must serve `BYOAL_SERVE_MODE=embed` and read "
        "`byoal-embedding` as the bundled one does, "
        "[container/README.md](../container/README.md#each-record-is-encoded-once-per-run)); `true` with "
        "BlazingText or `keras-scratch` is refused, as nothing would read the vectors. `ValidateInput` resolves it "
        "to `true` or `false` in the run's configuration",
        help="embed every record once before the first round",
        flag="--precompute-embeddings", scripts=frozenset({PREPARE}), parse=_precompute_setting,
        metavar="{auto,true,false}",
    ),
)
"""Every key, in the order the docs table lists them and validation checks them."""

REGISTRY: dict[str, ConfigKey] = {key.name: key for key in KEYS}
DEFAULTS: dict[str, Any] = {key.name: key.default for key in KEYS}
"""Key -> default (what a request without ``ActiveLearningConfig`` runs with)."""


def for_script(script: str) -> list[ConfigKey]:
    """The keys whose flag ``script`` (:data:`PREPARE`, :data:`RUN_LOCAL`) offers, in table order."""
    return [key for key in KEYS if script in key.scripts]


def add_options(
    parser: argparse._ActionsContainer,
    script: str,
    *,
    help: dict[str, str] | None = None,
    skip: Iterable[str] = (),
) -> None:
    """Add the flags of ``script``'s keys to ``parser``; ``help`` replaces a key's help, ``skip`` names keys whose
    flag the script defines itself (with another default)."""
    for key in for_script(script):
        if key.name not in set(skip):
            key.add_option(parser, help=(help or {}).get(key.name))


def option_values(args: argparse.Namespace, script: str) -> dict[str, Any]:
    """Key -> value of every flag of ``script`` given on the command line (unset flags left out)."""
    values = {key.name: key.option_value(args) for key in for_script(script)}
    return {name: value for name, value in values.items() if value is not None}


def markdown_table() -> str:
    """The docs' ``ActiveLearningConfig`` table (docs/execution-input.md), one row per key, ending in a newline."""
    lines = ["| key | default | allowed | option | meaning |", "|---|---|---|---|---|"]
    for key in KEYS:
        scripts = ", ".join(f"`{script}`" for script in sorted(key.scripts))
        option = f"`{key.flag}` ({scripts})" if key.flag else ""
        lines.append(
            f"| `{key.name}` | `{key.default_text()}` | {key.allowed_values()} | {option} | {key.markdown_meaning()} |"
        )
    return "\n".join(lines) + "\n"
