"""Matching errors against Retriers and Catchers, and the retry back-off."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from .errors import (
    HEARTBEAT_TIMEOUT,
    RUNTIME,
    STATES_ALL,
    TASK_FAILED,
    TIMEOUT,
)

DEFAULT_INTERVAL_SECONDS = 1
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_BACKOFF_RATE = 2.0

# Neither Retry nor Catch (not even States.ALL) handle States.Runtime. The documentation says the same of
# States.DataLimitExceeded, but executions recorded on AWS (LocalStack's test_states_errors snapshots) show a
# task result over the limit caught by a Catcher on States.ALL as well as on its own name; what AWS does wins.
# A state *output* over the limit is terminal (StatesError.terminal), as recorded there too.
_TERMINAL_ERRORS = frozenset({RUNTIME})
_TIMEOUT_ERRORS = frozenset({TIMEOUT, HEARTBEAT_TIMEOUT})


def error_matches(error_equals: Sequence[str], error: str | None) -> bool:
    """Whether an ErrorEquals list handles `error`.

    States.ALL matches everything; States.TaskFailed matches every error except
    a timeout; States.Timeout also covers the more specific heartbeat timeout.
    """
    if error in _TERMINAL_ERRORS:
        return False
    for name in error_equals:
        if name in (STATES_ALL, error):
            return True
        if name == TASK_FAILED and error not in _TIMEOUT_ERRORS:
            return True
        if name == TIMEOUT and error == HEARTBEAT_TIMEOUT:
            return True
    return False


def find_catcher(catchers: Sequence[dict[str, Any]], error: str | None) -> dict[str, Any] | None:
    """The first Catcher whose ErrorEquals matches, in array order."""
    return next((catcher for catcher in catchers if error_matches(catcher["ErrorEquals"], error)), None)


class RetryPolicy:
    """The Retry field of one state visit; counts attempts per Retrier across the visit."""

    def __init__(self, retriers: Sequence[dict[str, Any]], rng: random.Random) -> None:
        self._retriers = retriers
        self._retries_made = [0] * len(retriers)
        self._rng = rng

    def next_delay(self, error: str | None) -> float | None:
        """Seconds to wait before retrying after `error`, or None if it is not to be retried.

        Only the first Retrier that matches is considered: once its MaxAttempts
        are used up the error goes on to the Catchers.
        """
        for index, retrier in enumerate(self._retriers):
            if not error_matches(retrier["ErrorEquals"], error):
                continue
            retries_made = self._retries_made[index]
            if retries_made >= retrier.get("MaxAttempts", DEFAULT_MAX_ATTEMPTS):
                return None
            self._retries_made[index] += 1
            delay = retrier.get("IntervalSeconds", DEFAULT_INTERVAL_SECONDS) * (
                retrier.get("BackoffRate", DEFAULT_BACKOFF_RATE) ** retries_made
            )
            if "MaxDelaySeconds" in retrier:
                delay = min(delay, retrier["MaxDelaySeconds"])
            if retrier.get("JitterStrategy") == "FULL":
                delay = self._rng.uniform(0, delay)
            return float(delay)
        return None
