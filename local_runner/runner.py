"""Run the deployed workflow's own state-machine definitions on one machine, with no AWS account.

The two definition files are loaded exactly as CDK deploys them, with local values for their
placeholders, and every task resource is mapped to a local implementation:

=======================================================  =============================================
resource                                                 local implementation
=======================================================  =============================================
a Lambda function ARN                                    the same handler, called in-process
``lambda:invoke.waitForTaskToken``                       the handler, then wait for the token's answer
``sagemaker:createTrainingJob.sync``                     the container's ``train`` in a subprocess
``sagemaker:createModel``                                a record of the model's artifacts
``sagemaker:createTransformJob.sync``                    the container's predictor, in-process, or its
                                                         ``serve`` as a local server (``model_runtime``)
``sagemaker:createLabelingJob.sync``                     the Simulated workforce (answer key)
``states:startExecution.sync:2``                         a nested local execution
s3:// URIs                                               ``<workdir>/s3/<bucket>/<key>``
=======================================================  =============================================

A work directory holds one execution of ActiveLearningLoop. Its history (``history.jsonl``) is
written, and fsynced, one event at a time, so an execution that stopped — killed, or failed at a
state — can be continued with :meth:`LocalWorkflow.redrive`, following the rules of Step Functions'
``RedriveExecution`` (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html):

* the execution keeps its ARN, name and input; it "continues the failed execution from the
  unsuccessful step and uses the same input", and the states that succeeded are not run again —
  their outputs, as recorded, carry on (a human batch answered before the stop is not sent again);
* a state cut off by a killed process has no exit event, and "a parent workflow redrives
  unsuccessful states if there's no <stateType>Exited event corresponding to the <stateType>Entered
  event" (redrive-map-run.html): it runs again with the input it had;
* ``$$.Execution.RedriveCount`` counts the redrives; ``TimeoutSeconds`` starts again;
* a ``startExecution.sync`` task that runs again starts a new child execution (a Standard
  execution name cannot be reused: StartExecution answers ``ExecutionAlreadyExists`` for a closed
  one), so the definitions name each round with the redrive count; the child runs from its start.

The same definitions redrive on AWS with ``python -m scripts.start --redrive`` (docs/deploy.md).
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from asl_interpreter import (
    ExecutionResult,
    JsonLinesHistory,
    RedrivePoint,
    ResourceRegistry,
    StateMachine,
    TaskContext,
    TaskFailure,
    read_events,
    redrive_point,
)
from byoal.storage import LOCAL_ROOT_ENV, LocalStorage
from lambdas.callback_resume import LOCAL_TOKEN_DIR_ENV
from local_runner.model_runtime import ModelRuntime
from local_runner.sagemaker import LocalSageMaker
from local_runner.service_requests import LAMBDA_INVOKE, OPERATIONS, RequestValidator
from local_runner.workforces import LocalGroundTruth, TaskTokenInbox
from statemachines import ACTIVE_LEARNING, ACTIVE_LEARNING_LOOP, FUNCTIONS, load_definition

ACCOUNT = "000000000000"
REGION = "us-east-1"
"""A real Region's name, so every ARN the runner makes fits the services' own patterns (see service_requests)."""
LOOP_NAME = "ActiveLearningLoop"
ROUND_NAME = "ActiveLearning"
PARTITION = "aws"
ROUND_ARN = f"arn:{PARTITION}:states:{REGION}:{ACCOUNT}:stateMachine:{ROUND_NAME}"
INTEGRATION = f"arn:{PARTITION}:states:::"
SAGEMAKER = INTEGRATION + "sagemaker:"


def loop_execution_arn(name: str) -> str:
    """The ARN of the offline loop execution named ``name`` (in :data:`REGION`, account :data:`ACCOUNT`)."""
    return f"arn:{PARTITION}:states:{REGION}:{ACCOUNT}:execution:{LOOP_NAME}:{name}"


def function_arn(module: str) -> str:
    """The ARN the offline runner gives the Lambda of ``lambdas/<module>.py``: ``byoal-<module, - for _>``."""
    return f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:byoal-{module.replace('_', '-')}"


SUBSTITUTIONS: dict[str, str] = {
    **{placeholder: function_arn(module) for placeholder, module in FUNCTIONS.items()},
    "ActiveLearningStateMachineArn": ROUND_ARN,
    "SageMakerRoleArn": f"arn:{PARTITION}:iam::{ACCOUNT}:role/byoal-local-sagemaker",
    "TrainingImage": "byoal-local/bundled-model:latest",
    "InferenceImage": "byoal-local/bundled-model:latest",
    "ModelAlgorithm": "bundled",
    # The deployed defaults (stacks/config.py), so the requests are ones SageMaker accepts; offline they run here.
    "TrainingInstanceType": "ml.m5.xlarge",
    "TransformInstanceType": "ml.m5.large",
    "Partition": PARTITION,
}
"""The placeholder values the offline runner gives the definitions (CDK gives real ARNs)."""


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the block; afterwards restore the old values (or remove the new names)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class LocalWorkflow:
    """The ActiveLearningLoop state machine and everything it calls, running in this process."""

    def __init__(
        self,
        workdir: Path,
        *,
        answer_key_uri: str | None = None,
        annotator_error_rate: float = 0.0,
        seed: int = 0,
        log: Callable[[str], None] = print,
        sleep: Callable[[float], None] = time.sleep,
        on_task: Callable[[str, Any, TaskContext], None] | None = None,
        model_runtime: ModelRuntime | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.storage = LocalStorage(self.workdir / "s3")
        self.history_path = self.workdir / "history.jsonl"
        self.scratch = self.workdir / "tmp"
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.log = log
        self.sleep = sleep
        self.on_task = on_task
        self._history: Callable[[dict[str, Any]], None] | None = None
        self.requests = RequestValidator()
        self.sagemaker = LocalSageMaker(
            self.storage, self.workdir, scratch=self.scratch, log=log, runtime=model_runtime
        )
        images = {"TrainingImage": self.sagemaker.runtime.image, "InferenceImage": self.sagemaker.runtime.image}
        self.ground_truth = LocalGroundTruth(
            self.storage, answer_key_uri=answer_key_uri, error_rate=annotator_error_rate, seed=seed
        )
        self.inbox = TaskTokenInbox(self.workdir / "task-tokens", log=log)
        self.loop_definition = load_definition(ACTIVE_LEARNING_LOOP, {**SUBSTITUTIONS, **images})
        self.round_definition = load_definition(ACTIVE_LEARNING, {**SUBSTITUTIONS, **images})
        handlers: dict[str, Callable[[Any, TaskContext], Any]] = {
            function_arn(module): self._lambda(module) for module in FUNCTIONS.values()
        }
        handlers.update({
            INTEGRATION + "lambda:invoke.waitForTaskToken": self._lambda_wait_for_task_token,
            SAGEMAKER + "createTrainingJob.sync": self.sagemaker.create_training_job,
            SAGEMAKER + "createModel": self.sagemaker.create_model,
            SAGEMAKER + "createTransformJob.sync": self.sagemaker.create_transform_job,
            SAGEMAKER + "createLabelingJob.sync": self.ground_truth.create_labeling_job,
            INTEGRATION + "states:startExecution.sync:2": self._start_nested_execution,
        })
        self.resources = ResourceRegistry(
            {resource: self._observed(resource, handler) for resource, handler in handlers.items()}
        )

    def _observed(self, resource: str, handler: Callable[[Any, TaskContext], Any]) -> Callable[[Any, TaskContext], Any]:
        """The handler, after its request passed botocore's model of the operation (see service_requests)."""
        service, operation = (
            OPERATIONS[resource.removeprefix(INTEGRATION)] if resource.startswith(INTEGRATION) else LAMBDA_INVOKE
        )

        def run(parameters: Any, context: TaskContext) -> Any:
            if self.on_task is not None:
                self.on_task(resource, parameters, context)
            request = (
                parameters if resource.startswith(INTEGRATION) else {"FunctionName": resource, "Payload": parameters}
            )
            self.requests.validate(service, operation, request, state_name=context.state_name)
            return handler(parameters, context)

        return run

    def _lambda(self, module: str) -> Callable[[Any, TaskContext], Any]:
        handler = importlib.import_module(f"lambdas.{module}").handler

        def invoke(payload: Any, context: TaskContext) -> Any:
            # A Lambda's event and result cross the wire as JSON; so do they here.
            return json.loads(json.dumps(handler(json.loads(json.dumps(payload)), None)))

        return invoke

    def _lambda_wait_for_task_token(self, parameters: dict[str, Any], context: TaskContext) -> Any:
        module = next(m for m in FUNCTIONS.values() if function_arn(m) == parameters["FunctionName"])
        result = self._lambda(module)(parameters["Payload"], context)
        return self.inbox.wait(context.task_token, context, pending=result["pending"])

    def _machine(self, definition: dict[str, Any], name: str, history) -> StateMachine:
        return StateMachine(
            definition,
            name=name,
            resources=self.resources,
            sleep=self.sleep,
            history=history,
            region=REGION,
            account_id=ACCOUNT,
        )

    def _start_nested_execution(self, parameters: dict[str, Any], context: TaskContext) -> dict[str, Any]:
        if parameters["StateMachineArn"] != ROUND_ARN:
            raise TaskFailure("StepFunctions.StateMachineDoesNotExistException", parameters["StateMachineArn"])
        machine = self._machine(self.round_definition, ROUND_NAME, self._history)
        result = machine.start_execution(parameters["Input"], name=parameters.get("Name"))
        description = {
            "ExecutionArn": result.execution_arn,
            "StateMachineArn": ROUND_ARN,
            "Name": result.execution_name,
            "Status": result.status,
        }
        if result.status != "SUCCEEDED":
            raise TaskFailure(
                "States.TaskFailed", json.dumps({**description, "Error": result.error, "Cause": result.cause})
            )
        return {**description, "Output": result.output}

    def stopped_execution(self) -> RedrivePoint | None:
        """Where this work directory's execution would continue, or None if it holds none.

        Raises NotRedrivable if its execution succeeded.
        """
        events = read_events(self.history_path)
        started = next(
            (
                e
                for e in events
                if e["event"] == "ExecutionStarted" and e["state_machine_arn"].endswith(f":{LOOP_NAME}")
            ),
            None,
        )
        if started is None:
            return None
        return redrive_point(events, started["execution_arn"])

    def run(
        self, request: dict[str, Any], *, name: str, history: Callable[[dict[str, Any]], None] | None = None
    ) -> ExecutionResult:
        """Start ActiveLearningLoop with the execution input and run it to its end."""
        return self._execute(lambda machine: machine.start_execution(request, name=name), history)

    def redrive(
        self, point: RedrivePoint, *, history: Callable[[dict[str, Any]], None] | None = None
    ) -> ExecutionResult:
        """Continue the stopped execution from ``point`` (see :meth:`stopped_execution`) to its end."""
        return self._execute(lambda machine: machine.redrive_execution(point), history)

    def _execute(
        self, start: Callable[[StateMachine], ExecutionResult], history: Callable[[dict[str, Any]], None] | None
    ) -> ExecutionResult:
        writer = JsonLinesHistory(self.history_path)

        def record(event: dict[str, Any]) -> None:
            writer(event)
            if history is not None:
                history(event)

        self._history = record
        try:
            with environment({LOCAL_ROOT_ENV: str(self.storage.root), LOCAL_TOKEN_DIR_ENV: str(self.inbox.directory)}):
                result = start(self._machine(self.loop_definition, LOOP_NAME, record))
            self.log(f"service requests that passed botocore's validation: {self.requests.summary()}")
            return result
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)
