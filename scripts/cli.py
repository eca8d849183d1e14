"""What every command shares: one way to report a failure (a message naming the cause, exit code 2)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from byoal.errors import InputError
from byoal.storage import StorageError

USAGE_ERROR = 2


def run(command: Callable[[], int]) -> int:
    """Run a command body; print any expected failure as ``error: ...`` on stderr and return 2."""
    try:
        return command()
    except (InputError, StorageError) as error:
        message = str(error)
    except ClientError as error:
        details = error.response.get("Error", {})
        message = f"AWS {error.operation_name} failed: {details.get('Code', 'Error')}: {details.get('Message', error)}"
    except BotoCoreError as error:
        message = f"AWS: {error}"
    print(f"error: {message}", file=sys.stderr)
    return USAGE_ERROR
