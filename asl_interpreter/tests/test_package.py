"""The interpreter is a package of its own: it imports the standard library and jsonpath-ng, nothing of the project."""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

import pytest

import asl_interpreter

PACKAGE = Path(asl_interpreter.__file__).parent
ALLOWED = set(sys.stdlib_module_names) | {"jsonpath_ng"}


def imported_modules(source: Path) -> set[str]:
    """The top-level names of every absolute import in ``source``."""
    found = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("source", sorted(PACKAGE.glob("*.py")), ids=lambda path: path.name)
def test_the_interpreter_imports_only_the_standard_library_and_jsonpath_ng(source: Path) -> None:
    assert imported_modules(source) <= ALLOWED, source.name


def test_every_public_function_and_class_is_documented() -> None:
    for name in asl_interpreter.__all__:
        value = getattr(asl_interpreter, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert inspect.getdoc(value), name
