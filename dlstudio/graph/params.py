"""Layer parameters: their declared type, range and help, and validation of values.

Every value that enters a graph passes `ParamSpec.validate`, so shape rules, the
compiler and the code generator only ever see clean, finite, typed values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dlstudio.graph.errors import ParamError
from dlstudio.graph.wording import plain

PARAM_KINDS = ("int", "float", "bool", "choice", "ints", "padding")
PADDING_WORDS = ("valid", "same")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a layer type.

    kinds: int, float, bool, choice (one of `choices`), ints (a tuple of whole numbers,
    e.g. a shape), padding (a whole number or "same"/"valid"). `special` is how the
    minimum reads when it means something else than its number (a pooling stride of 0
    is "same as kernel").
    """

    name: str
    kind: str
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    special: str = ""

    def validate(self, value: Any) -> Any:
        """Return the value in its canonical form, or raise ParamError saying why not."""
        checker = getattr(self, f"_check_{self.kind}")
        return checker(value)

    def describe_range(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        low = "" if self.minimum is None else f"≥ {_number(self.minimum)}"
        high = "" if self.maximum is None else f"≤ {_number(self.maximum)}"
        return " and ".join(part for part in (low, high) if part) or "any"

    def _fail(self, value: Any, expected: str) -> ParamError:
        return ParamError(f"{self.name} must be {expected}. Received: {self.name}={plain(value)}")

    def _check_range(self, value: float) -> None:
        if self.minimum is not None and value < self.minimum:
            raise self._fail(value, f"≥ {_number(self.minimum)}")
        if self.maximum is not None and value > self.maximum:
            raise self._fail(value, f"≤ {_number(self.maximum)}")

    def _check_int(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self._fail(value, "a whole number")
        try:
            number = float(value)
        except (ValueError, OverflowError):
            raise self._fail(value, "a whole number") from None
        if not math.isfinite(number) or number != int(number):
            raise self._fail(value, "a whole number")
        self._check_range(int(number))
        return int(number)

    def _check_float(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self._fail(value, "a number")
        try:
            number = float(value)
        except (ValueError, OverflowError):
            raise self._fail(value, "a number") from None
        if not math.isfinite(number):
            raise self._fail(value, "a finite number")
        self._check_range(number)
        return number

    def _check_bool(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self._fail(value, "true or false")

    def _check_choice(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise self._fail(value, "one of " + ", ".join(self.choices))
        return value

    def _check_ints(self, value: Any) -> tuple[int, ...]:
        received = value  # refusals quote what was typed, not its split pieces
        if isinstance(value, str):
            value = self._split_numbers(value)
        if not isinstance(value, list | tuple) or not value:
            raise self._fail(received, "a list of whole numbers such as 1, 28, 28")
        items = []
        for item in value:
            if isinstance(item, bool):
                raise self._fail(received, "a list of whole numbers")
            try:
                number = float(item)
            except (TypeError, ValueError, OverflowError):
                raise self._fail(received, "a list of whole numbers") from None
            if not math.isfinite(number) or number != int(number):
                raise self._fail(received, "a list of whole numbers")
            self._check_range(int(number))
            items.append(int(number))
        if len(items) > 8:
            raise self._fail(received, "at most 8 numbers long")
        return tuple(items)

    def _split_numbers(self, text: str) -> list[str]:
        """ "1, 28, 28", "1×28×28" or "1x28x28"; a stray separator ("28x28x", "x28",
        "1,,28") is refused rather than guessed around."""
        parts = [p.strip() for p in text.lower().replace("×", ",").replace("x", ",").split(",")]
        if len(parts) > 1 and not all(parts):
            raise ParamError(f"{self.name} has a separator with no number beside it: write "
                             f"whole numbers between commas or ×, such as 1, 28, 28. "
                             f"Received: {self.name}={plain(text)}")
        return [p for p in parts if p]

    def _check_padding(self, value: Any) -> int | str:
        if isinstance(value, str) and value.strip().lower() in PADDING_WORDS:
            return value.strip().lower()
        try:
            return self._check_int(value)
        except ParamError:
            raise self._fail(value, "a whole number ≥ 0, 'same' or 'valid'") from None


def _number(value: float) -> str:
    """1000000 rather than 1e+06: limits are read by learners."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def int_param(name: str, default: int, help: str, lo: int | None = None,
              hi: int | None = None, special: str = "") -> ParamSpec:
    return ParamSpec(name, "int", default, help, lo, hi, special=special)


def float_param(name: str, default: float, help: str, lo: float | None = None,
                hi: float | None = None) -> ParamSpec:
    return ParamSpec(name, "float", default, help, lo, hi)


def bool_param(name: str, default: bool, help: str) -> ParamSpec:
    return ParamSpec(name, "bool", default, help)


def choice_param(name: str, default: str, choices: tuple[str, ...], help: str) -> ParamSpec:
    return ParamSpec(name, "choice", default, help, choices=choices)
