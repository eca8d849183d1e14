"""One thin AWS Lambda handler per workflow step, over the domain code in ``byoal``.

Each module exposes ``handler(event, context)``: it parses the event with its step's contract
(``byoal.step_contracts``: a missing or ill-typed key raises StepContractError naming the step and
the key), calls the domain code, and returns the result contract as a JSON object. The state-machine
definitions pass each handler exactly the part of the execution state its contract declares, and
store what it returns (checked by tests/core/test_step_contracts.py).
"""
