#!/usr/bin/env python3
"""The byoal CDK app: ``cdk synth`` / ``cdk deploy`` (or plain ``python app.py``), configured by context.

See docs/deploy.md for the context keys. Synthesis is offline and needs no Docker: the model
image is only staged here and built by ``cdk deploy``.
"""

from __future__ import annotations

import os
from pathlib import Path

from aws_cdk import App

from stacks.application import add_stacks, project_context

OUTDIR = Path(__file__).resolve().parent / "cdk.out"


def main() -> None:
    """Synthesize the stacks for the context into ``$CDK_OUTDIR`` (default ``cdk.out/`` beside this file).

    Raises :class:`stacks.config.ConfigError` for a bad context value, before anything is written.
    """
    app = App(outdir=os.environ.get("CDK_OUTDIR") or str(OUTDIR), context=project_context())
    add_stacks(app)
    app.synth()


if __name__ == "__main__":
    main()
