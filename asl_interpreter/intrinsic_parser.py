"""Parser for intrinsic function invocations such as `States.Format('{} x', $.a)`.

Arguments are quoted strings (with the escapes \\' \\{ \\} \\\\), numbers,
true/false/null, Paths (on the input, or on the context object with `$$`)
and nested invocations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NoReturn

from .paths import compile_path

MAX_NESTING = 10

_FUNCTION_NAME = re.compile(r"[A-Za-z0-9._]+")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")
_KEYWORDS = {"true": True, "false": False, "null": None}
_ESCAPABLE = "'{}\\"


class IntrinsicSyntaxError(ValueError):
    """The text is not a well-formed intrinsic function invocation."""


@dataclass(frozen=True)
class Literal:
    """A constant argument. For strings, `placeholders` are the offsets of unescaped `{}`."""

    value: Any
    placeholders: tuple[int, ...] = ()


@dataclass(frozen=True)
class PathArgument:
    """A JSONPath argument of an intrinsic function (``$.a`` or ``$$.Execution.Id``), resolved at run time."""

    path: str


@dataclass(frozen=True)
class Invocation:
    """A parsed intrinsic function call: its name (``States.Format``) and its arguments, nested calls included."""

    name: str
    arguments: tuple[Argument, ...]


Argument = Literal | PathArgument | Invocation


@lru_cache(maxsize=1024)
def parse_intrinsic(text: str) -> Invocation:
    """Parse a whole field value as one invocation; raises IntrinsicSyntaxError."""
    parser = _Parser(text)
    invocation = parser.invocation(depth=1)
    parser.skip_whitespace()
    if not parser.at_end():
        parser.fail("unexpected text after the closing parenthesis")
    return invocation


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def fail(self, problem: str) -> NoReturn:
        raise IntrinsicSyntaxError(f"Invalid intrinsic function '{self.text}' at position {self.position}: {problem}")

    def at_end(self) -> bool:
        return self.position >= len(self.text)

    def peek(self) -> str:
        return self.text[self.position] if not self.at_end() else ""

    def skip_whitespace(self) -> None:
        while self.peek().isspace():
            self.position += 1

    def expect(self, char: str) -> None:
        self.skip_whitespace()
        if self.peek() != char:
            self.fail(f"expected '{char}'")
        self.position += 1

    def invocation(self, depth: int) -> Invocation:
        if depth > MAX_NESTING:
            self.fail(f"intrinsic functions can be nested at most {MAX_NESTING} deep")
        self.skip_whitespace()
        match = _FUNCTION_NAME.match(self.text, self.position)
        if match is None:
            self.fail("expected a function name")
        self.position = match.end()
        self.expect("(")
        arguments: list[Argument] = []
        self.skip_whitespace()
        if self.peek() == ")":
            self.position += 1
            return Invocation(match.group(), ())
        while True:
            arguments.append(self.argument(depth))
            self.skip_whitespace()
            if self.peek() == ",":
                self.position += 1
            elif self.peek() == ")":
                self.position += 1
                return Invocation(match.group(), tuple(arguments))
            else:
                self.fail("expected ',' or ')'")

    def argument(self, depth: int) -> Argument:
        self.skip_whitespace()
        char = self.peek()
        if char == "'":
            return self.string()
        if char == "$":
            return self.path()
        if char == "-" or char.isdigit():
            return self.number()
        match = _FUNCTION_NAME.match(self.text, self.position)
        if match is None:
            self.fail("expected an argument")
        if match.group() in _KEYWORDS:
            self.position = match.end()
            return Literal(_KEYWORDS[match.group()])
        return self.invocation(depth + 1)

    def string(self) -> Literal:
        self.position += 1
        chars: list[str] = []
        placeholders: list[int] = []
        while True:
            char = self.peek()
            if char == "":
                self.fail("unterminated string")
            if char == "'":
                self.position += 1
                return Literal("".join(chars), tuple(placeholders))
            if char == "\\":
                escaped = self.text[self.position + 1 : self.position + 2]
                if escaped == "" or escaped not in _ESCAPABLE:
                    self.fail("open escape: a backslash must precede one of ' { } \\")
                chars.append(escaped)
                self.position += 2
            elif self.text.startswith("{}", self.position):
                placeholders.append(len(chars))
                chars.extend("{}")
                self.position += 2
            elif char in "{}":
                self.fail(f"reserved character '{char}' must be escaped")
            else:
                chars.append(char)
                self.position += 1

    def number(self) -> Literal:
        match = _NUMBER.match(self.text, self.position)
        if match is None:
            self.fail("malformed number")
        self.position = match.end()
        is_integer = match.group(1) is None and match.group(2) is None
        return Literal(int(match.group()) if is_integer else float(match.group()))

    def path(self) -> PathArgument:
        start = self.position
        bracket_depth = 0
        quote = ""
        while not self.at_end():
            char = self.peek()
            if quote:
                if char == quote:
                    quote = ""
            elif char in "'\"" and bracket_depth > 0:
                quote = char
            elif char == "[":
                bracket_depth += 1
            elif char == "]":
                bracket_depth -= 1
            elif char in ",)" and bracket_depth == 0:
                break
            self.position += 1
        path = self.text[start : self.position].rstrip()
        try:
            compile_path(path[1:] if path.startswith("$$") else path)
        except ValueError as exc:
            self.fail(str(exc))
        return PathArgument(path)
