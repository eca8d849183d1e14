"""Answer an offline run's Callback batch: the offline twin of ``python -m scripts.callback submit``.

    python -m scripts.local_callback --workdir W --pending s3://.../callback.json --labeled labels.jsonl

The run started by ``scripts.run_local`` (with ``--workdir W`` and Workforce ``Callback``) waits
for this; the labeled file needs each batch record's ``byoal-id`` and the label attribute.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from byoal import layout
from byoal.errors import InputError
from byoal.storage import LOCAL_ROOT_ENV, LocalStorage, StorageError
from lambdas import callback_resume
from local_runner.runner import environment
from scripts.cli import run as run_command


def main(argv: list[str] | None = None) -> int:
    """Copy the labeled file into the batch's labeling-job folder; resume the waiting run (``callback_resume``).

    Prints the resume result; exit code 0, or 2 with a message naming the cause (labels that do not fit
    the batch, a batch labeled already, an unreadable ``callback.json``).
    """
    parser = argparse.ArgumentParser(prog="python -m scripts.local_callback", description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True, help="the --workdir of the waiting scripts.run_local")
    parser.add_argument("--pending", required=True, help="the s3:// URI of the batch's callback.json")
    parser.add_argument("--labeled", type=Path, required=True, help="the labeled manifest (JSON Lines)")
    arguments = parser.parse_args(argv)

    def command() -> int:
        storage = LocalStorage(arguments.workdir / "s3")
        try:
            pending = callback_resume.read_pending(storage, arguments.pending)
        except StorageError as error:
            raise InputError(f"--pending: {error}") from None
        if storage.exists(pending.output_manifest):
            raise callback_resume.already_labeled(pending)
        root, job_name = layout.labeling_job_of(arguments.pending)
        labeled_uri = layout.offline_submission(root, job_name, arguments.labeled.name)
        storage.put_file(labeled_uri, arguments.labeled)
        settings = {
            LOCAL_ROOT_ENV: str(storage.root),
            callback_resume.LOCAL_TOKEN_DIR_ENV: str(arguments.workdir / "task-tokens"),
        }
        with environment(settings):
            result = callback_resume.handler({"pending": arguments.pending, "labeled_manifest": labeled_uri})
        print(json.dumps(result))
        return 0

    return run_command(command)


if __name__ == "__main__":
    sys.exit(main())
