"""A structural check of Amazon States Language definitions (no well-kept validator installs from PyPI).

It checks what a deploy would reject or a run would trip over: a known ``Type`` per state, the
required fields of each type, exactly one of ``Next``/``End`` where a transition is needed, every
transition (``Next``, ``Default``, ``Choices``, ``Catch``) naming a state that exists, and every
state reachable from ``StartAt`` -- recursively for Parallel branches and Map iterators.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

STATE_TYPES = {"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}
TERMINAL = {"Succeed", "Fail"}
REQUIRED = {"Task": {"Resource"}, "Choice": {"Choices"}, "Parallel": {"Branches"}}


def transitions(state: dict[str, Any]) -> Iterator[str]:
    if "Next" in state:
        yield state["Next"]
    if "Default" in state:
        yield state["Default"]
    for choice in state.get("Choices", []):
        yield choice["Next"]
    for catcher in state.get("Catch", []):
        yield catcher["Next"]


def problems(machine: dict[str, Any], where: str = "") -> list[str]:
    found: list[str] = []
    states: dict[str, dict[str, Any]] = machine.get("States", {})
    if not states:
        return [f"{where}: no States"]
    if machine.get("StartAt") not in states:
        found.append(f"{where}: StartAt {machine.get('StartAt')!r} is not a state")
    for name, state in states.items():
        at = f"{where}/{name}"
        kind = state.get("Type")
        if kind not in STATE_TYPES:
            found.append(f"{at}: unknown Type {kind!r}")
            continue
        found += [f"{at}: {kind} needs {field}" for field in REQUIRED.get(kind, ()) if field not in state]
        if kind not in TERMINAL | {"Choice"} and ("Next" in state) == bool(state.get("End")):
            found.append(f"{at}: needs exactly one of Next and End")
        if kind in TERMINAL | {"Choice"} and ("Next" in state or "End" in state):
            found.append(f"{at}: a {kind} state takes no Next or End")
        found += [
            f"{at}: transition to missing state {target!r}" for target in transitions(state) if target not in states
        ]
        for index, branch in enumerate(state.get("Branches", [])):
            found += problems(branch, f"{at}/Branches[{index}]")
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                found += problems(state[key], f"{at}/{key}")
    reachable, pending = set(), [machine.get("StartAt")]
    while pending:
        name = pending.pop()
        if name in reachable or name not in states:
            continue
        reachable.add(name)
        pending.extend(transitions(states[name]))
    found += [f"{where}/{name}: unreachable from StartAt" for name in states if name not in reachable]
    return found
