"""Retry and Catch: matching rules, attempt counting, back-off, and the Error Output."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from asl_interpreter import ResourceRegistry, TaskContext, TaskFailure
from asl_interpreter.error_handling import RetryPolicy, error_matches

END = {"End": True}


class FlakyResource:
    """Fails with the given errors in turn, then succeeds; records the retry counts it saw."""

    def __init__(self, *errors: str) -> None:
        self.errors = list(errors)
        self.retry_counts: list[int] = []

    def __call__(self, parameters: Any, context: TaskContext) -> Any:
        self.retry_counts.append(context.retry_count)
        if self.errors:
            raise TaskFailure(self.errors.pop(0), f"attempt {len(self.retry_counts)}")
        return "success"


def task_machine(**fields: Any) -> dict[str, Any]:
    """A Task state "Work"; the catch targets "Recover" and "Other" exist when a Catcher uses them."""
    targets = {catcher["Next"] for catcher in fields.get("Catch", [])}
    fallbacks = {"Recover": {"Type": "Pass", **END}, "Other": {"Type": "Pass", "Result": "other", **END}}
    return {
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Task", "Resource": "arn:flaky", **END, **fields},
            **{name: state for name, state in fallbacks.items() if name in targets},
        },
    }


@pytest.fixture
def run_flaky(run_asl) -> Callable[..., Any]:
    def run(flaky: FlakyResource, input: Any = None, **fields: Any) -> Any:
        return run_asl(task_machine(**fields), input or {}, ResourceRegistry({"arn:flaky": flaky}))

    return run


class TestMatching:
    @pytest.mark.parametrize(
        "error_equals, error, matches",
        [
            (["States.ALL"], "Anything", True),
            (["States.ALL"], None, True),
            (["A", "B"], "B", True),
            (["A"], "a", False),
            (["States.TaskFailed"], "Lambda.Unknown", True),
            (["States.TaskFailed"], "States.Permissions", True),
            (["States.TaskFailed"], "States.Timeout", False),
            (["States.TaskFailed"], "States.HeartbeatTimeout", False),
            (["States.Timeout"], "States.HeartbeatTimeout", True),
            (["States.HeartbeatTimeout"], "States.Timeout", False),
            (["States.ALL"], "States.Runtime", False),
            (["States.Runtime"], "States.Runtime", False),
            (["States.ALL"], "States.DataLimitExceeded", True),
            (["States.DataLimitExceeded"], "States.DataLimitExceeded", True),
        ],
    )
    def test_error_equals(self, error_equals, error, matches):
        assert error_matches(error_equals, error) is matches


class TestRetry:
    def test_defaults_retry_three_times_after_1_2_and_4_seconds(self, run_flaky, fake_clock):
        flaky = FlakyResource("E", "E", "E")

        result = run_flaky(flaky, Retry=[{"ErrorEquals": ["E"]}])

        assert result.output == "success"
        assert fake_clock.sleeps == [1.0, 2.0, 4.0]
        assert flaky.retry_counts == [0, 1, 2, 3]

    def test_after_max_attempts_the_error_fails_the_state(self, run_flaky, fake_clock):
        flaky = FlakyResource("E", "E", "E", "E")

        result = run_flaky(flaky, Retry=[{"ErrorEquals": ["E"], "MaxAttempts": 3}])

        assert (result.error, result.cause) == ("E", "attempt 4")
        assert len(flaky.retry_counts) == 4

    def test_max_attempts_zero_never_retries(self, run_flaky, fake_clock):
        flaky = FlakyResource("E")

        result = run_flaky(flaky, Retry=[{"ErrorEquals": ["E"], "MaxAttempts": 0}, {"ErrorEquals": ["States.ALL"]}])

        assert result.error == "E"
        assert fake_clock.sleeps == []

    def test_interval_and_backoff_rate(self, run_flaky, fake_clock):
        run_flaky(
            FlakyResource("E", "E", "E"), Retry=[{"ErrorEquals": ["E"], "IntervalSeconds": 3, "BackoffRate": 1.5}]
        )

        assert fake_clock.sleeps == [3.0, 4.5, 6.75]

    def test_max_delay_seconds_caps_the_interval(self, run_flaky, fake_clock):
        retrier = {"ErrorEquals": ["E"], "IntervalSeconds": 3, "MaxAttempts": 4, "MaxDelaySeconds": 10}

        run_flaky(FlakyResource("E", "E", "E", "E"), Retry=[retrier])

        assert fake_clock.sleeps == [3.0, 6.0, 10.0, 10.0]

    def test_full_jitter_waits_a_random_part_of_the_interval(self):
        policy = RetryPolicy([{"ErrorEquals": ["E"], "IntervalSeconds": 8, "JitterStrategy": "FULL"}], random.Random(3))
        expected = random.Random(3)

        delays = [policy.next_delay("E") for _ in range(3)]

        assert delays == [expected.uniform(0, 8), expected.uniform(0, 16), expected.uniform(0, 32)]
        assert all(0 <= delay <= limit for delay, limit in zip(delays, [8, 16, 32], strict=True))

    def test_jitter_none_is_the_plain_back_off(self):
        policy = RetryPolicy([{"ErrorEquals": ["E"], "JitterStrategy": "NONE"}], random.Random(0))

        assert [policy.next_delay("E") for _ in range(3)] == [1.0, 2.0, 4.0]

    def test_each_retrier_counts_its_own_attempts_across_the_state_visit(self, run_flaky, fake_clock):
        retry = [
            {"ErrorEquals": ["ErrorA", "ErrorB"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 2},
            {"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5},
        ]
        catch = [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}]
        flaky = FlakyResource("ErrorA", "ErrorB", "ErrorC", "ErrorB")

        result = run_flaky(flaky, Retry=retry, Catch=catch)

        assert fake_clock.sleeps == [1.0, 2.0, 5.0]
        assert result.output == {"Error": "ErrorB", "Cause": "attempt 4"}

    def test_only_the_first_matching_retrier_applies(self, run_flaky, fake_clock):
        retry = [{"ErrorEquals": ["E"], "MaxAttempts": 1}, {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}]

        result = run_flaky(FlakyResource("E", "E"), Retry=retry)

        assert (result.error, fake_clock.sleeps) == ("E", [1.0])

    def test_states_all_retries_any_error(self, run_flaky, fake_clock):
        result = run_flaky(FlakyResource("X", "Y"), Retry=[{"ErrorEquals": ["States.ALL"]}])

        assert result.output == "success"

    def test_states_task_failed_retries_task_errors_but_not_timeouts(self, run_flaky):
        assert run_flaky(FlakyResource("Custom"), Retry=[{"ErrorEquals": ["States.TaskFailed"]}]).output == "success"
        assert run_flaky(FlakyResource("States.Timeout"), Retry=[{"ErrorEquals": ["States.TaskFailed"]}]).error == (
            "States.Timeout"
        )

    def test_retry_counts_reset_when_the_state_is_entered_again(self, run_asl, fake_clock):
        flaky = FlakyResource("E", "E", "E", "E")
        definition = {
            "StartAt": "Work",
            "States": {
                "Work": {
                    "Type": "Task",
                    "Resource": "arn:flaky",
                    "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 1}],
                    "Catch": [{"ErrorEquals": ["E"], "ResultPath": "$.error", "Next": "Again"}],
                    "End": True,
                },
                "Again": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.error.Cause", "StringEquals": "attempt 2", "Next": "Work"}],
                    "Default": "Stop",
                },
                "Stop": {"Type": "Fail", "Error": "Stopped"},
            },
        }

        result = run_asl(definition, {}, ResourceRegistry({"arn:flaky": flaky}))

        assert result.error == "Stopped"
        assert flaky.retry_counts == [0, 1, 0, 1]
        assert fake_clock.sleeps == [1.0, 1.0]

    def test_retry_count_is_in_the_context_object(self, run_asl):
        flaky = FlakyResource("E")
        definition = task_machine(Parameters={"retry.$": "$$.State.RetryCount"}, Retry=[{"ErrorEquals": ["E"]}])
        seen: list[Any] = []

        def recording(parameters: Any, context: TaskContext) -> Any:
            seen.append(parameters["retry"])
            return flaky(parameters, context)

        run_asl(definition, {}, ResourceRegistry({"arn:flaky": recording}))

        assert seen == [0, 1]

    def test_a_parallel_state_retries_all_its_branches(self, run_asl, fake_clock):
        flaky = FlakyResource("E")
        calls: list[str] = []
        resources = ResourceRegistry({"arn:flaky": flaky, "arn:steady": lambda p, c: calls.append("steady") or 1})
        definition = {
            "StartAt": "Fan",
            "States": {
                "Fan": {
                    "Type": "Parallel",
                    "Branches": [
                        {"StartAt": "S", "States": {"S": {"Type": "Task", "Resource": "arn:steady", **END}}},
                        {"StartAt": "F", "States": {"F": {"Type": "Task", "Resource": "arn:flaky", **END}}},
                    ],
                    "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 2}],
                    **END,
                }
            },
        }

        result = run_asl(definition, {}, resources)

        assert result.output == [1, "success"]
        assert calls == ["steady", "steady"]
        assert fake_clock.sleeps == [2.0]


class TestCatch:
    def test_default_result_path_replaces_the_input_with_the_error_output(self, run_flaky):
        result = run_flaky(FlakyResource("E"), {"keep": 1}, Catch=[{"ErrorEquals": ["E"], "Next": "Recover"}])

        assert result.output == {"Error": "E", "Cause": "attempt 1"}

    def test_result_path_adds_the_error_output_to_the_raw_input(self, run_flaky):
        catch = [{"ErrorEquals": ["E"], "ResultPath": "$.error-info", "Next": "Recover"}]

        result = run_flaky(FlakyResource("E"), {"keep": 1}, InputPath="$.keep", Catch=catch)

        assert result.output == {"keep": 1, "error-info": {"Error": "E", "Cause": "attempt 1"}}

    def test_null_result_path_passes_the_raw_input_on(self, run_flaky):
        catch = [{"ErrorEquals": ["E"], "ResultPath": None, "Next": "Recover"}]

        assert run_flaky(FlakyResource("E"), {"keep": 1}, Catch=catch).output == {"keep": 1}

    def test_outputpath_is_not_applied_to_a_caught_error(self, run_flaky):
        catch = [{"ErrorEquals": ["E"], "ResultPath": "$.err", "Next": "Recover"}]

        result = run_flaky(FlakyResource("E"), {"keep": 1}, OutputPath="$.keep", Catch=catch)

        assert result.output == {"keep": 1, "err": {"Error": "E", "Cause": "attempt 1"}}

    def test_catchers_are_scanned_in_order(self, run_flaky):
        catch = [
            {"ErrorEquals": ["Other"], "Next": "Other"},
            {"ErrorEquals": ["E"], "ResultPath": None, "Next": "Recover"},
            {"ErrorEquals": ["States.ALL"], "Next": "Other"},
        ]

        assert run_flaky(FlakyResource("E"), {"from": "recover"}, Catch=catch).output == {"from": "recover"}

    def test_retriers_run_before_catchers(self, run_flaky, fake_clock):
        flaky = FlakyResource("E", "E")
        catch = [{"ErrorEquals": ["E"], "Next": "Recover"}]

        result = run_flaky(flaky, Retry=[{"ErrorEquals": ["E"], "MaxAttempts": 1}], Catch=catch)

        assert result.output == {"Error": "E", "Cause": "attempt 2"}
        assert fake_clock.sleeps == [1.0]

    def test_an_error_without_cause_has_an_empty_cause_in_the_error_output(self, run_asl):
        definition = {
            "StartAt": "Fan",
            "States": {
                "Fan": {
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "NoCause"}}}],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
                    **END,
                },
                "Done": {"Type": "Pass", **END},
            },
        }

        assert run_asl(definition, {}).output == {"Error": "NoCause", "Cause": ""}

    def test_a_catcher_result_path_that_cannot_apply_fails_the_execution(self, run_flaky):
        catch = [{"ErrorEquals": ["E"], "ResultPath": "$.err", "Next": "Recover"}]

        result = run_flaky(FlakyResource("E"), "a string", Catch=catch)

        assert (result.error, result.failed_state) == ("States.ResultPathMatchFailure", "Work")

    def test_an_uncaught_error_keeps_the_innermost_failing_state(self, run_asl):
        definition = {
            "StartAt": "Outer",
            "States": {
                "Outer": {
                    "Type": "Map",
                    "ItemProcessor": {
                        "StartAt": "Inner",
                        "States": {
                            "Inner": {
                                "Type": "Parallel",
                                "Branches": [{"StartAt": "Deep", "States": {"Deep": {"Type": "Fail", "Error": "X"}}}],
                                "Catch": [{"ErrorEquals": ["Y"], "Next": "Unused"}],
                                **END,
                            },
                            "Unused": {"Type": "Succeed"},
                        },
                    },
                    **END,
                }
            },
        }

        result = run_asl(definition, [1])

        assert (result.error, result.failed_state) == ("X", "Deep")
