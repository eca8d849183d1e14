"""The SageMaker ``/opt/ml`` tree, rooted at ``$OPT_ML_DIR`` so it can live anywhere off AWS."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

OPT_ML_ENV = "OPT_ML_DIR"
DEFAULT_OPT_ML = "/opt/ml"


@dataclass(frozen=True)
class MlPaths:
    """The files of the SageMaker container contract under ``root`` (``/opt/ml`` in a SageMaker job)."""

    root: Path

    @classmethod
    def from_environment(cls) -> MlPaths:
        """Rooted at ``$OPT_ML_DIR`` when set, else at ``/opt/ml``."""
        return cls(Path(os.environ.get(OPT_ML_ENV, DEFAULT_OPT_ML)))

    @property
    def hyperparameters_file(self) -> Path:
        """``input/config/hyperparameters.json``: the training job's hyperparameters, every value a string."""
        return self.root / "input" / "config" / "hyperparameters.json"

    def channel_dir(self, channel: str) -> Path:
        """``input/data/<channel>/``: where SageMaker puts a training channel's files."""
        return self.root / "input" / "data" / channel

    @property
    def model_dir(self) -> Path:
        """``model/``: written by training, uploaded as ``model.tar.gz``; what serving loads."""
        return self.root / "model"

    @property
    def failure_file(self) -> Path:
        """``output/failure``: a failed job's reason, which SageMaker reports as its ``FailureReason``."""
        return self.root / "output" / "failure"
