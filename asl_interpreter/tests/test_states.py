"""Each state type run locally: Pass, Task, Wait, Succeed, Fail, Parallel, Map, and the context object."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from asl_interpreter import ResourceRegistry, StateMachine, TaskContext, TaskFailure

END = {"End": True}


def single(state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "Only", "States": {"Only": state}}


def task(resource: str = "arn:task", **fields: Any) -> dict[str, Any]:
    return single({"Type": "Task", "Resource": resource, **END, **fields})


class TestPass:
    def test_parameters_become_the_result_when_there_is_no_result_field(self, run_asl):
        state = {"Type": "Pass", "Parameters": {"b.$": "$.a"}, "ResultPath": "$.p", **END}

        assert run_asl(single(state), {"a": 1}).output == {"a": 1, "p": {"b": 1}}

    def test_result_may_be_any_json_value(self, run_asl):
        assert run_asl(single({"Type": "Pass", "Result": [1, "two", None], **END}), {}).output == [1, "two", None]

    def test_the_result_in_the_definition_is_not_modified_by_later_states(self, run_asl):
        definition = {
            "StartAt": "Give",
            "States": {
                "Give": {"Type": "Pass", "Result": {"list": [1]}, "Next": "Extend"},
                "Extend": {"Type": "Pass", "Result": 2, "ResultPath": "$.list[0]", **END},
            },
        }
        machine = StateMachine(definition, name="m", resources=ResourceRegistry())

        assert machine.start_execution({}).output == {"list": [2]}
        assert machine.start_execution({}).output == {"list": [2]}
        assert machine.definition["States"]["Give"]["Result"] == {"list": [1]}


class TestSucceedAndFail:
    def test_succeed_ends_the_execution_with_its_input(self, run_asl):
        definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}

        result = run_asl(definition, {"a": 1})

        assert (result.status, result.output, result.error) == ("SUCCEEDED", {"a": 1}, None)

    def test_fail_reports_error_cause_and_state(self, run_asl):
        result = run_asl(single({"Type": "Fail", "Error": "ErrorA", "Cause": "Kaiju attack"}), {})

        assert (result.status, result.error, result.cause, result.failed_state, result.output) == (
            "FAILED",
            "ErrorA",
            "Kaiju attack",
            "Only",
            None,
        )

    def test_fail_without_error_or_cause(self, run_asl):
        result = run_asl(single({"Type": "Fail"}), {})

        assert (result.status, result.error, result.cause) == ("FAILED", None, None)

    def test_error_path_and_cause_path_read_the_input_or_call_an_intrinsic(self, run_asl):
        state = {"Type": "Fail", "ErrorPath": "$.error", "CausePath": "States.Format('code {}', $.code)"}

        result = run_asl(single(state), {"error": "Custom.Error", "code": 42})

        assert (result.error, result.cause) == ("Custom.Error", "code 42")

    def test_error_path_may_read_the_context_object(self, run_asl):
        result = run_asl(single({"Type": "Fail", "ErrorPath": "$$.State.Name"}), {})

        assert result.error == "Only"

    @pytest.mark.parametrize(
        "state, input",
        [
            ({"Type": "Fail", "ErrorPath": "$.missing"}, {}),
            ({"Type": "Fail", "CausePath": "$.number"}, {"number": 1}),
            ({"Type": "Fail", "CausePath": "States.Array($.missing)"}, {}),
        ],
    )
    def test_error_and_cause_paths_must_yield_strings(self, run_asl, state, input):
        assert run_asl(single(state), input).error == "States.Runtime"


class TestWait:
    def test_seconds(self, run_asl, fake_clock):
        result = run_asl(single({"Type": "Wait", "Seconds": 10, **END}), {"a": 1})

        assert (result.output, fake_clock.sleeps) == ({"a": 1}, [10])

    def test_seconds_path_reads_the_effective_input(self, run_asl, fake_clock):
        run_asl(single({"Type": "Wait", "InputPath": "$.cfg", "SecondsPath": "$.delay", **END}), {"cfg": {"delay": 3}})

        assert fake_clock.sleeps == [3]

    def test_timestamp_waits_until_that_moment(self, run_asl, fake_clock):
        run_asl(single({"Type": "Wait", "Timestamp": "2024-05-01T12:01:30+00:00", **END}), {})

        assert fake_clock.sleeps == [90.0]

    def test_timestamp_path_in_the_past_does_not_wait(self, run_asl, fake_clock):
        run_asl(single({"Type": "Wait", "TimestampPath": "$.t", **END}), {"t": "2020-01-01T00:00:00Z"})

        assert fake_clock.sleeps == [0.0]

    @pytest.mark.parametrize(
        "state, input",
        [
            ({"Type": "Wait", "SecondsPath": "$.s", **END}, {"s": -1}),
            ({"Type": "Wait", "SecondsPath": "$.s", **END}, {"s": "5"}),
            ({"Type": "Wait", "SecondsPath": "$.missing", **END}, {}),
            ({"Type": "Wait", "TimestampPath": "$.t", **END}, {"t": "tomorrow"}),
        ],
    )
    def test_invalid_indirect_values_fail_with_states_runtime(self, run_asl, fake_clock, state, input):
        assert run_asl(single(state), input).error == "States.Runtime"
        assert fake_clock.sleeps == []


class TestTask:
    def test_the_resource_receives_the_task_context(self, run_asl, fake_clock):
        seen: list[TaskContext] = []
        resources = ResourceRegistry({"arn:task": lambda parameters, context: seen.append(context) or "ok"})

        run_asl(task(TimeoutSeconds=30, HeartbeatSeconds=10), {}, resources, name="Pipe", execution_name="run-7")

        (context,) = seen
        assert context == TaskContext(
            execution_arn="arn:aws:states:us-east-1:123456789012:execution:Pipe:run-7",
            execution_name="run-7",
            state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:Pipe",
            state_name="Only",
            state_entered_time="2024-05-01T12:00:00.000Z",
            retry_count=0,
            task_token=None,
            timeout_seconds=30,
            heartbeat_seconds=10,
            deadline=fake_clock.now + timedelta(seconds=30),
        )

    def test_timeouts_can_come_from_the_input(self, run_asl):
        seen: list[TaskContext] = []
        resources = ResourceRegistry({"arn:task": lambda parameters, context: seen.append(context)})

        run_asl(task(TimeoutSecondsPath="$.t", HeartbeatSecondsPath="$.h"), {"t": 60, "h": 5}, resources)

        assert (seen[0].timeout_seconds, seen[0].heartbeat_seconds) == (60, 5)

    def test_an_invalid_timeout_path_value_fails_with_states_runtime(self, run_asl):
        assert run_asl(task(TimeoutSecondsPath="$.t"), {"t": 0}).error == "States.Runtime"

    def test_wait_for_task_token_gets_a_fresh_token_also_in_the_context_object(self, run_asl):
        received: list[tuple[Any, str | None]] = []

        def callback(parameters: Any, context: TaskContext) -> Any:
            received.append((parameters["token"], context.task_token))
            return {"approved": True}

        resources = ResourceRegistry({"arn:aws:states:::sqs:sendMessage.waitForTaskToken": callback})
        definition = task("arn:aws:states:::sqs:sendMessage.waitForTaskToken", Parameters={"token.$": "$$.Task.Token"})

        first = run_asl(definition, {}, resources)
        run_asl(definition, {}, resources)

        assert first.output == {"approved": True}
        (token_a, context_a), (token_b, _) = received
        assert token_a == context_a and len(token_a) >= 32
        assert token_a != token_b

    def test_tasks_without_wait_for_task_token_have_no_token(self, run_asl):
        result = run_asl(task(Parameters={"token.$": "$$.Task.Token"}), {})

        assert result.error == "States.Runtime"

    def test_task_failure_reports_the_given_error_and_cause(self, run_asl):
        def failing(parameters: Any, context: Any) -> Any:
            raise TaskFailure("Model.NotConverged", "loss stayed at 0.7")

        result = run_asl(task(), {}, ResourceRegistry({"arn:task": failing}))

        assert (result.error, result.cause, result.failed_state) == ("Model.NotConverged", "loss stayed at 0.7", "Only")

    def test_an_unhandled_exception_is_reported_like_a_lambda_error(self, run_asl):
        def broken(parameters: Any, context: Any) -> Any:
            raise ValueError("bad label")

        result = run_asl(task(), {}, ResourceRegistry({"arn:task": broken}))

        assert result.error == "ValueError"
        cause = json.loads(result.cause)
        assert (cause["errorType"], cause["errorMessage"]) == ("ValueError", "bad label")
        assert any("broken" in line for line in cause["stackTrace"])

    def test_a_task_running_past_its_timeout_fails_with_states_timeout(self, run_asl, fake_clock):
        def slow(parameters: Any, context: Any) -> str:
            fake_clock.advance(11)
            return "too late"

        result = run_asl(task(TimeoutSeconds=10), {}, ResourceRegistry({"arn:task": slow}))

        assert (result.error, result.output) == ("States.Timeout", None)

    def test_a_result_that_is_not_json_fails_with_states_runtime(self, run_asl):
        resources = ResourceRegistry({"arn:task": lambda parameters, context: {"when": datetime.now()}})

        assert run_asl(task(), {}, resources).error == "States.Runtime"

    def test_a_resource_without_implementation_fails_the_execution(self, run_asl):
        definition = task("arn:unknown", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}])
        definition["States"]["Caught"] = {"Type": "Succeed"}

        result = run_asl(definition, {})

        assert (result.error, result.failed_state) == ("States.Runtime", "Only")
        assert "arn:unknown" in result.cause

    def test_a_custom_resources_object_is_called_with_the_resource_string(self, run_asl):
        class Recorder:
            def __init__(self) -> None:
                self.calls: list[tuple[str, Any]] = []

            def invoke(self, resource: str, parameters: Any, context: TaskContext) -> Any:
                self.calls.append((resource, parameters))
                return len(self.calls)

        recorder = Recorder()
        definition = task("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": "f", "Payload.$": "$"})

        result = run_asl(definition, {"x": 1}, recorder)

        assert recorder.calls == [("arn:aws:states:::lambda:invoke", {"FunctionName": "f", "Payload": {"x": 1}})]
        assert result.output == 1


class TestParallel:
    def test_branches_all_get_the_input_and_results_keep_branch_order(self, run_asl):
        calls: list[Any] = []
        resources = ResourceRegistry(
            {
                "arn:add": lambda p, c: calls.append("add") or p[0] + p[1],
                "arn:sub": lambda p, c: calls.append("sub") or p[0] - p[1],
            }
        )
        definition = single(
            {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Add", "States": {"Add": {"Type": "Task", "Resource": "arn:add", **END}}},
                    {"StartAt": "Sub", "States": {"Sub": {"Type": "Task", "Resource": "arn:sub", **END}}},
                ],
                **END,
            }
        )

        assert run_asl(definition, [3, 2], resources).output == [5, 1]
        assert calls == ["add", "sub"]

    def test_a_failing_branch_fails_the_state_with_the_branch_error(self, run_asl):
        definition = single(
            {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Bad", "States": {"Bad": {"Type": "Fail", "Error": "Broken", "Cause": "c"}}},
                    {"StartAt": "Good", "States": {"Good": {"Type": "Pass", **END}}},
                ],
                **END,
            }
        )

        result = run_asl(definition, {})

        assert (result.status, result.error, result.cause, result.failed_state) == ("FAILED", "Broken", "c", "Bad")


class TestMap:
    def test_items_are_processed_in_order_with_their_own_input(self, run_asl):
        resources = ResourceRegistry({"arn:square": lambda p, c: p * p})
        definition = single(
            {
                "Type": "Map",
                "ItemsPath": "$.numbers",
                "ItemProcessor": {"StartAt": "Sq", "States": {"Sq": {"Type": "Task", "Resource": "arn:square", **END}}},
                "ResultPath": "$.squares",
                **END,
            }
        )

        assert run_asl(definition, {"numbers": [1, 2, 3]}, resources).output == {
            "numbers": [1, 2, 3],
            "squares": [1, 4, 9],
        }

    def test_map_item_context_is_available_in_the_item_selector_only(self, run_asl):
        definition = single(
            {
                "Type": "Map",
                "ItemSelector": {"index.$": "$$.Map.Item.Index"},
                "ItemProcessor": {
                    "StartAt": "Inner",
                    "States": {"Inner": {"Type": "Pass", "Parameters": {"item.$": "$$.Map.Item.Value"}, **END}},
                },
                **END,
            }
        )

        result = run_asl(definition, ["a"])

        assert (result.error, result.failed_state) == ("States.Runtime", "Inner")

    @pytest.mark.parametrize(
        "fields, input",
        [
            ({"ItemsPath": "$.items"}, {"items": {"not": "an array"}}),
            ({"ItemsPath": "$.missing"}, {}),
            ({"MaxConcurrencyPath": "$.limit"}, {"limit": -1}),
        ],
    )
    def test_invalid_items_or_concurrency_fail_with_states_runtime(self, run_asl, fields, input):
        definition = single(
            {"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, **fields, **END}
        )

        assert run_asl(definition, input).error == "States.Runtime"

    def test_a_failing_iteration_fails_the_map_with_its_error(self, run_asl):
        def check(item: Any, context: Any) -> Any:
            if item == 2:
                raise TaskFailure("Item.Invalid", "item 2")
            return item

        definition = single(
            {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "Check",
                    "States": {"Check": {"Type": "Task", "Resource": "arn:check", **END}},
                },
                **END,
            }
        )

        result = run_asl(definition, [1, 2, 3], ResourceRegistry({"arn:check": check}))

        assert (result.error, result.cause, result.failed_state) == ("Item.Invalid", "item 2", "Check")


class TestContextObject:
    def test_execution_state_and_machine_fields(self, run_asl, fake_clock):
        definition = {
            "StartAt": "Later",
            "States": {
                "Later": {"Type": "Wait", "Seconds": 5, "Next": "Read"},
                "Read": {"Type": "Pass", "Parameters": {"context.$": "$$"}, **END},
            },
        }

        context = run_asl(definition, {"in": 1}, name="Machine", execution_name="exec-1", role_arn="arn:role").output[
            "context"
        ]

        assert context == {
            "Execution": {
                "Id": "arn:aws:states:us-east-1:123456789012:execution:Machine:exec-1",
                "Input": {"in": 1},
                "Name": "exec-1",
                "RoleArn": "arn:role",
                "StartTime": "2024-05-01T12:00:00.000Z",
                "RedriveCount": 0,
            },
            "State": {"EnteredTime": "2024-05-01T12:00:05.000Z", "Name": "Read", "RetryCount": 0},
            "StateMachine": {"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:Machine", "Name": "Machine"},
        }

    def test_region_and_account_shape_the_arns(self, run_asl):
        definition = single({"Type": "Pass", "Parameters": {"id.$": "$$.Execution.Id"}, **END})

        output = run_asl(
            definition, {}, name="M", execution_name="e", region="eu-west-1", account_id="111122223333"
        ).output

        assert output == {"id": "arn:aws:states:eu-west-1:111122223333:execution:M:e"}

    def test_executions_get_unique_names_by_default(self):
        machine = StateMachine(single({"Type": "Succeed"}), name="m", resources=ResourceRegistry())

        assert machine.start_execution({}).execution_name != machine.start_execution({}).execution_name


class TestExecutionTimeout:
    def test_an_execution_running_past_timeout_seconds_times_out(self, run_asl, fake_clock):
        definition = {
            "StartAt": "Long",
            "TimeoutSeconds": 60,
            "States": {
                "Long": {"Type": "Wait", "Seconds": 3600, "Next": "Never"},
                "Never": {"Type": "Succeed"},
            },
        }

        result = run_asl(definition, {})

        assert (result.status, result.error, result.failed_state) == ("TIMED_OUT", "States.Timeout", "Long")
        assert fake_clock.sleeps == [60.0]

    def test_execution_timeout_is_not_caught_by_catchers(self, run_asl, fake_clock):
        def slow(parameters: Any, context: Any) -> str:
            fake_clock.advance(120)
            return "done"

        definition = {
            "StartAt": "Each",
            "TimeoutSeconds": 60,
            "States": {
                "Each": {
                    "Type": "Map",
                    "ItemProcessor": {
                        "StartAt": "Slow",
                        "States": {
                            "Slow": {"Type": "Task", "Resource": "arn:slow", "Next": "After"},
                            "After": {"Type": "Succeed"},
                        },
                    },
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                    **END,
                },
                "Caught": {"Type": "Succeed"},
            },
        }

        result = run_asl(definition, [1], ResourceRegistry({"arn:slow": slow}))

        assert (result.status, result.failed_state) == ("TIMED_OUT", "After")


def test_a_nested_execution_can_be_a_resource_running_another_state_machine(fake_clock):
    child = StateMachine(
        single({"Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, **END}),
        name="Child",
        resources=ResourceRegistry(),
        clock=fake_clock,
        sleep=fake_clock.sleep,
    )

    def start_child(parameters: Any, context: TaskContext) -> Any:
        run = child.start_execution(parameters["Input"], name=f"{context.execution_name}-child")
        if run.status != "SUCCEEDED":
            raise TaskFailure("States.TaskFailed", json.dumps({"Error": run.error, "Cause": run.cause}))
        return {"Output": run.output, "ExecutionArn": run.execution_arn}

    parent = StateMachine(
        task(
            "arn:aws:states:::states:startExecution.sync:2",
            Parameters={"StateMachineArn": "child", "Input": {"n.$": "$.n"}},
            ResultSelector={"doubled.$": "$.Output.doubled", "arn.$": "$.ExecutionArn"},
        ),
        name="Parent",
        resources=ResourceRegistry({"arn:aws:states:::states:startExecution.sync:2": start_child}),
        clock=fake_clock,
        sleep=fake_clock.sleep,
    )

    result = parent.start_execution({"n": 21}, name="p1")

    assert result.output == {
        "doubled": 42,
        "arn": "arn:aws:states:us-east-1:123456789012:execution:Child:p1-child",
    }


def test_start_and_stop_times_come_from_the_clock(run_asl, fake_clock):
    result = run_asl(single({"Type": "Wait", "Seconds": 7, **END}), {})

    assert result.start_time == datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert result.stop_time - result.start_time == timedelta(seconds=7)
