"""Fixtures for the container tests: real headlines, and one model trained per session."""

from __future__ import annotations

import csv
import gzip
import json
import os
import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.container.support import LABEL_NAMES, REPO, make_opt_ml, run_train

SAMPLE = REPO / "data" / "sample" / "uci_news_sample.csv.gz"
# Another file in the same format (gzip CSV: TITLE,CATEGORY,PUBLISHER), used only if the sample is absent.
DATA_ENV = "BYOAL_NEWS_CSV"
CATEGORIES = ["b", "e", "m", "t"]


def _data_file() -> Path | None:
    if SAMPLE.exists():
        return SAMPLE
    override = os.environ.get(DATA_ENV)
    return Path(override) if override else None


@pytest.fixture(scope="session")
def news() -> list[tuple[str, int]]:
    """(headline, class index) pairs, b=0 e=1 m=2 t=3, shuffled with a fixed seed."""
    path = _data_file()
    if path is None:
        pytest.skip(f"no headlines: {SAMPLE.relative_to(REPO)} is missing and ${DATA_ENV} is not set")
    with gzip.open(path, "rt", encoding="utf-8", newline="") as stream:
        rows = [(row["TITLE"], CATEGORIES.index(row["CATEGORY"])) for row in csv.DictReader(stream)]
    random.Random(0).shuffle(rows)
    return rows


@dataclass(frozen=True)
class TrainedModel:
    opt_ml: Path
    process: subprocess.CompletedProcess
    held_out: list[tuple[str, int]]

    @property
    def model_dir(self) -> Path:
        return self.opt_ml / "model"


@pytest.fixture(scope="session")
def trained(news, tmp_path_factory) -> TrainedModel:
    """``python -m byoal_model.train`` with the default model on 1,000 headlines (800 train, 200 validation)."""
    opt_ml = make_opt_ml(
        tmp_path_factory.mktemp("opt_ml"),
        train=news[:800],
        validation=news[800:1000],
        hyperparameters={
            "label_names": json.dumps(LABEL_NAMES),
            "num_classes": "4",
            "sagemaker_program": "ignored",
        },
    )
    return TrainedModel(opt_ml=opt_ml, process=run_train(opt_ml), held_out=news[1000:1500])


@pytest.fixture(scope="session")
def keras_trained(news, tmp_path_factory) -> TrainedModel:
    """The same with ``model=keras-scratch`` on 2,000 headlines (1,600 train, 400 validation)."""
    opt_ml = make_opt_ml(
        tmp_path_factory.mktemp("opt_ml_keras"),
        train=news[:1600],
        validation=news[1600:2000],
        hyperparameters={
            "model": "keras-scratch",
            "epochs": "6",
            "learning_rate": "0.01",
            "label_names": json.dumps(LABEL_NAMES),
            "num_classes": "4",
        },
    )
    return TrainedModel(opt_ml=opt_ml, process=run_train(opt_ml), held_out=news[2000:2500])


@pytest.fixture(scope="session")
def embedding_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("embedding_cache")


@pytest.fixture(scope="session")
def predictor(trained, embedding_cache):
    """The default model, with an embedding cache so that texts seen before are not encoded again."""
    from byoal_model.predictor import Predictor

    assert trained.process.returncode == 0, trained.process.stderr
    return Predictor.load(trained.model_dir, embedding_cache=embedding_cache)


@pytest.fixture(scope="session")
def keras_predictor(keras_trained):
    from byoal_model.predictor import Predictor

    assert keras_trained.process.returncode == 0, keras_trained.process.stderr
    return Predictor.load(keras_trained.model_dir)
