"""The SageMaker ``/opt/ml`` tree, rooted at ``$OPT_ML_DIR`` so it can live anywhere off AWS."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

OPT_ML_ENV = "OPT_ML_DIR"
DEFAULT_OPT_ML = "/opt/ml"


@dataclass(frozen=True)
class MlPaths:
    root: Path

    @classmethod
    def from_environment(cls) -> MlPaths:
        return cls(Path(os.environ.get(OPT_ML_ENV, DEFAULT_OPT_ML)))

    @property
    def hyperparameters_file(self) -> Path:
        return self.root / "input" / "config" / "hyperparameters.json"

    def channel_dir(self, channel: str) -> Path:
        return self.root / "input" / "data" / channel

    @property
    def model_dir(self) -> Path:
        return self.root / "model"

    @property
    def failure_file(self) -> Path:
        return self.root / "output" / "failure"
