"""``train``: fit the headline classifier on the ``train`` and ``validation`` channels.

Reads ``input/config/hyperparameters.json`` and ``input/data/{train,validation}/``, writes
``model/model.keras`` and ``model/metadata.json``, and prints metric lines such as
``validation:accuracy=0.912000`` once per epoch and once for the final (best) weights. On any
error the reason goes to ``output/failure``, the exit code is 1 and nothing is left in ``model/``.
"""

from __future__ import annotations

import sys
import traceback

from byoal_model import artifacts
from byoal_model.channels import Channel, ChannelError, read_channel
from byoal_model.hyperparameters import (
    HyperparameterError,
    Hyperparameters,
    parse_hyperparameters,
    read_hyperparameters_file,
)
from byoal_model.paths import MlPaths

CHANNELS = ("train", "validation")


class TrainingDataError(ValueError):
    """The channels are well-formed but cannot train a classifier."""


EXPECTED_ERRORS = (HyperparameterError, ChannelError, TrainingDataError)


def class_names(hyperparameters: Hyperparameters, channels: dict[str, Channel]) -> list[str]:
    """``label_names``; else the indexes below ``num_classes``; else those up to the largest label seen."""
    if hyperparameters.label_names is not None:
        return list(hyperparameters.label_names)
    num_classes = hyperparameters.num_classes or 1 + max(max(channel.labels) for channel in channels.values())
    return [str(index) for index in range(num_classes)]


def check_classes(train: Channel, classes: list[str]) -> None:
    present = sorted(set(train.labels))
    if len(present) < 2:
        raise TrainingDataError(
            f"channel 'train' holds only class {present[0]} ({classes[present[0]]!r}) in its "
            f"{len(train.labels)} records; training needs at least two classes"
        )


def train(paths: MlPaths) -> None:
    hyperparameters, unknown = parse_hyperparameters(read_hyperparameters_file(paths.hyperparameters_file))
    for name in unknown:
        print(f"warning: ignoring unknown hyperparameter '{name}'", flush=True)
    channels = {
        name: read_channel(
            paths.channel_dir(name),
            name,
            label_attribute=hyperparameters.label_attribute_name,
            num_classes=hyperparameters.num_classes,
        )
        for name in CHANNELS
    }
    classes = class_names(hyperparameters, channels)
    check_classes(channels["train"], classes)
    records = {name: len(channel.labels) for name, channel in channels.items()}
    print(f"training on {records['train']} records, validating on {records['validation']}, {len(classes)} classes")

    # Imported once the inputs are known to be good, so that bad ones fail without TensorFlow's start-up time.
    from byoal_model.fitting import fit, metric_line

    trained = fit(hyperparameters, len(classes), channels["train"], channels["validation"])
    print(metric_line("final", trained.metrics), flush=True)
    with artifacts.staged_files(paths.model_dir) as staging:
        trained.model.save(staging / artifacts.MODEL_FILE)
        artifacts.write_metadata(
            staging,
            {
                "classes": classes,
                "num_classes": len(classes),
                "label_attribute_name": hyperparameters.label_attribute_name,
                "metrics": trained.metrics,
                "epochs_run": trained.epochs_run,
                "best_epoch": trained.best_epoch,
                "records": records,
                "hyperparameters": hyperparameters.to_json(),
            },
        )


def failure_reason(error: Exception) -> str:
    if isinstance(error, EXPECTED_ERRORS):
        return str(error)
    return f"unexpected error: {type(error).__name__}: {error}\n\n{traceback.format_exc()}"


def main() -> int:
    """Train; on failure write ``output/failure`` and return 1."""
    paths = MlPaths.from_environment()
    try:
        train(paths)
    except Exception as error:
        reason = failure_reason(error)
        paths.failure_file.parent.mkdir(parents=True, exist_ok=True)
        paths.failure_file.write_text(reason + "\n", encoding="utf-8")
        print(f"training failed: {reason}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
