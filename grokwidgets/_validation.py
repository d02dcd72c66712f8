"""One way to check arguments: declarative constraints and one error class.

After scikit-learn's ``utils/_param_validation.py``. A public function declares
what each argument may be, once, next to the function::

    @validate_params({"n": Integer(2), "sampler": Options(SAMPLERS)})
    def f(n, sampler="sgld"): ...

and the decorator checks (and normalizes: numpy ints become ``int``, reals become
``float``) the arguments before the body runs. A class whose ``__init__`` or
``__post_init__`` checks its fields calls :func:`check_params` with its table and
sets ``__parameter_constraints__`` itself. Checks that relate two arguments, or
depend on another argument's value, stay in the body.

Every failure is an :class:`InvalidParameterError`, both a ValueError and a
TypeError (so callers that catch either keep working), whose message names the
argument and shows the value: ``"lr must be > 0, got 0.0"``.

:func:`constraints_of` returns a callable's table; the robustness tests read it
to drive every declared argument with values each constraint must reject
(:meth:`Constraint.invalid_values`).

The decorator's cost is about a microsecond per checked call (measured in
``benchmarks/validation_cost.py``); nothing here runs per step of a training or
sampling loop.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "AnyOf",
    "Boolean",
    "Constraint",
    "HasMethods",
    "InstanceOf",
    "Integer",
    "InvalidParameterError",
    "IsCallable",
    "Options",
    "Range",
    "Real",
    "as_array",
    "as_float_array",
    "check_params",
    "constraints_of",
    "describe",
    "readonly",
    "validate_params",
]

F = TypeVar("F", bound=Callable[..., Any])


class InvalidParameterError(ValueError, TypeError):
    """An argument of the wrong type or out of range; the message names it and its value."""


def _fmt(bound: float) -> str:
    if isinstance(bound, numbers.Integral):
        return f"{int(bound):_}"
    return f"{bound:g}"


class Constraint:
    """What one argument may be. ``check(name, value)`` returns the normalized value."""

    def check(self, name: str, value: object) -> Any:
        raise NotImplementedError

    def fail(self, name: str, what: str, value: object) -> InvalidParameterError:
        return InvalidParameterError(f"{name} must be {what}, got {value!r}")

    def invalid_values(self) -> list[object]:
        """Values this constraint must reject (for tests)."""
        return [object()]


def _is_int(value: object) -> bool:
    return not isinstance(value, bool | np.bool_) and isinstance(value, numbers.Integral)


class Integer(Constraint):
    """An int (numpy ints too, not bools) in ``[low, high]`` (either bound optional).

    ``joint=True`` words a range failure as ``"an int in [low, high]"``; otherwise
    the message names the side that failed (``"an int >= 1"``).
    """

    def __init__(self, low: int | None = None, high: int | None = None, *, joint: bool = False):
        self.low, self.high, self.joint = low, high, joint

    def check(self, name: str, value: object) -> int:
        if type(value) is int:  # the common case, without the ABC check
            v = value
        elif _is_int(value):
            v = int(value)  # type: ignore[call-overload]
        else:
            raise self.fail(name, "an int", value)
        low, high = self.low, self.high
        if (low is not None and v < low) or (high is not None and v > high):
            if self.joint and low is not None and high is not None:
                raise self.fail(name, f"an int in [{_fmt(low)}, {_fmt(high)}]", value)
            if low is not None and v < low:
                raise self.fail(name, f"an int >= {_fmt(low)}", value)
            raise self.fail(name, f"an int <= {_fmt(high)}", value)  # type: ignore[arg-type]
        return v

    def invalid_values(self) -> list[object]:
        out: list[object] = [1.5, "1", True, None]
        if self.low is not None:
            out.append(self.low - 1)
        if self.high is not None:
            out.append(self.high + 1)
        return out


class Real(Constraint):
    """A finite real number (not a bool) within optional bounds, returned as a float.

    Bounds are keywords: ``gt``, ``ge`` (lower, open or closed) and ``lt``, ``le``
    (upper). With both a lower and an upper bound and ``joint=True`` (the default)
    a range failure reads ``"in (0, 1]"``; with ``joint=False`` it names the side.
    """

    def __init__(
        self,
        *,
        gt: float | None = None,
        ge: float | None = None,
        lt: float | None = None,
        le: float | None = None,
        joint: bool = True,
    ):
        self.gt, self.ge, self.lt, self.le, self.joint = gt, ge, lt, le, joint

    def check(self, name: str, value: object) -> float:
        if type(value) is float:  # the common case, without the ABC check
            v = value
        elif isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            raise self.fail(name, "a real number", value)
        else:
            try:
                v = float(value)
            except OverflowError:  # an int beyond the float range
                raise self.fail(name, "finite", value) from None
        if not math.isfinite(v):
            raise self.fail(name, "finite", value)
        low_bad = (self.gt is not None and v <= self.gt) or (self.ge is not None and v < self.ge)
        high_bad = (self.lt is not None and v >= self.lt) or (self.le is not None and v > self.le)
        if low_bad or high_bad:
            lower = self.gt if self.gt is not None else self.ge
            upper = self.lt if self.lt is not None else self.le
            if self.joint and lower is not None and upper is not None:
                left = "(" if self.gt is not None else "["
                right = ")" if self.lt is not None else "]"
                raise self.fail(name, f"in {left}{_fmt(lower)}, {_fmt(upper)}{right}", value)
            if low_bad:
                op = ">" if self.gt is not None else ">="
                raise self.fail(name, f"{op} {_fmt(lower)}", value)  # type: ignore[arg-type]
            op = "<" if self.lt is not None else "<="
            raise self.fail(name, f"{op} {_fmt(upper)}", value)  # type: ignore[arg-type]
        return v

    def invalid_values(self) -> list[object]:
        out: list[object] = [math.nan, math.inf, "1", True, None, 10**400]
        for bound, step in ((self.gt, 0), (self.ge, -1), (self.lt, 0), (self.le, 1)):
            if bound is not None:
                out.append(float(bound) + step * max(1.0, abs(bound)))
        return out


class Options(Constraint):
    """One of a fixed set of values (compared with ``==``, hashable or not)."""

    def __init__(self, options: Iterable[object]):
        self.options = tuple(options)

    def check(self, name: str, value: object) -> Any:
        try:
            hit = any(isinstance(value, type(o)) and value == o for o in self.options)
        except (TypeError, ValueError):  # an array compared with a string, say
            hit = False
        if not hit:
            shown = ", ".join(repr(o) for o in self.options)
            raise self.fail(name, f"one of {shown}", value)
        return value

    def invalid_values(self) -> list[object]:
        return [None, "not an option", 1.5, []]


class Boolean(Constraint):
    """True or False (numpy bools too), returned as a bool."""

    def check(self, name: str, value: object) -> bool:
        if not isinstance(value, bool | np.bool_):
            raise self.fail(name, "a bool", value)
        return bool(value)

    def invalid_values(self) -> list[object]:
        return [1, "yes", None]


class InstanceOf(Constraint):
    """An instance of ``types``; ``what`` is how the message calls them."""

    def __init__(self, types: type | tuple[type, ...], what: str):
        self.types, self.what = types, what

    def check(self, name: str, value: object) -> Any:
        if not isinstance(value, self.types):
            raise self.fail(name, self.what, value)
        return value

    def invalid_values(self) -> list[object]:
        return [None, 0, "x"]


class HasMethods(Constraint):
    """Any object with the named methods (duck typing: user-written classes pass)."""

    def __init__(self, methods: tuple[str, ...], what: str):
        self.methods, self.what = methods, what

    def check(self, name: str, value: object) -> Any:
        if not all(callable(getattr(value, m, None)) for m in self.methods):
            raise self.fail(name, self.what, value)
        return value

    def invalid_values(self) -> list[object]:
        return [None, 0, "x"]


class Range(Constraint):
    """A pair ``(low, high)`` of finite reals with ``low < high``, returned as floats.

    For a plotting window (``xlim``): one message, showing the whole pair, whichever
    part is wrong.
    """

    _WHAT = "a pair (low, high) of finite reals with low < high"
    _REAL = Real()

    def check(self, name: str, value: object) -> tuple[float, float]:
        pair: tuple[object, ...] = ()
        if isinstance(value, Iterable):
            with contextlib.suppress(TypeError):  # a 0-d array is "iterable" but is not
                pair = tuple(value)
        if len(pair) != 2:
            raise self.fail(name, self._WHAT, value)
        try:
            low, high = (self._REAL.check(name, v) for v in pair)
        except InvalidParameterError:  # one message, showing the whole pair
            raise self.fail(name, self._WHAT, value) from None
        if not low < high:
            raise self.fail(name, self._WHAT, value)
        return low, high

    def invalid_values(self) -> list[object]:
        return [None, 1.0, (1.0,), (1.0, 2.0, 3.0), (1.0, 0.0), (0.0, math.nan), ("a", "b")]


class IsCallable(Constraint):
    """A callable; with ``none=True`` also None."""

    def __init__(self, *, none: bool = False):
        self.none = none

    def check(self, name: str, value: object) -> Any:
        if not (callable(value) or (self.none and value is None)):
            raise self.fail(name, "callable or None" if self.none else "callable", value)
        return value

    def invalid_values(self) -> list[object]:
        return ["stop", 1] if self.none else ["stop", 1, None]


class AnyOf(Constraint):
    """None (with ``none=True``) or a value some constraint accepts (the first that does).

    With no ``what``, the message is the first constraint's; otherwise ``what``.
    """

    def __init__(self, *constraints: Constraint, none: bool = False, what: str | None = None):
        self.constraints, self.none, self.what = constraints, none, what

    def check(self, name: str, value: object) -> Any:
        if value is None and self.none:
            return None
        first: InvalidParameterError | None = None
        for c in self.constraints:
            try:
                return c.check(name, value)
            except InvalidParameterError as exc:
                first = first or exc
        if self.what is not None:
            raise self.fail(name, self.what, value)
        assert first is not None
        raise first

    def invalid_values(self) -> list[object]:
        out = []
        for v in self.constraints[0].invalid_values():
            if v is None and self.none:
                continue
            if not any(_accepts(c, v) for c in self.constraints):
                out.append(v)
        return out


def _accepts(c: Constraint, value: object) -> bool:
    try:
        c.check("x", value)
    except InvalidParameterError:
        return False
    return True


# --------------------------------------------------------------------------- declaring


def check_params(constraints: Mapping[str, Constraint], values: Mapping[str, object]) -> dict:
    """Check ``values`` against ``constraints`` (names missing from either pass through)."""
    out = dict(values)
    for name, c in constraints.items():
        if name in out:
            out[name] = c.check(name, out[name])
    return out


def validate_params(constraints: Mapping[str, Constraint]) -> Callable[[F], F]:
    """Decorate a function so its arguments are checked against ``constraints`` first.

    Each name must be a parameter of the function; its default (if any) must pass
    its constraint, which is checked once, here, so that calls that leave the
    argument out are not checked again. The table is kept as
    ``__parameter_constraints__`` (see :func:`constraints_of`).
    """

    def decorate(fn: F) -> F:
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())
        plan = []  # (name, position or None, constraint)
        for name, c in constraints.items():
            if name not in sig.parameters:
                raise TypeError(f"{fn.__qualname__} has no parameter {name!r}")
            p = sig.parameters[name]
            if p.default is not p.empty:
                c.check(name, p.default)
            pos = params.index(p)
            positional = p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            plan.append((name, pos if positional else None, c))

        @functools.wraps(fn)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if plan:
                args_list = None
                for name, pos, c in plan:
                    if name in kwargs:
                        kwargs[name] = c.check(name, kwargs[name])
                    elif pos is not None and pos < len(args):
                        if args_list is None:
                            args_list = list(args)
                        args_list[pos] = c.check(name, args_list[pos])
                if args_list is not None:
                    args = tuple(args_list)
            return fn(*args, **kwargs)

        checked.__parameter_constraints__ = dict(constraints)  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def constraints_of(obj: object) -> dict[str, Constraint]:
    """The constraint table a callable (or class) declared, or ``{}``."""
    fn = getattr(obj, "__func__", obj)  # a bound method
    return dict(getattr(fn, "__parameter_constraints__", {}))


# --------------------------------------------------------------------------- arrays


def readonly(x: np.ndarray) -> np.ndarray:
    """Mark ``x`` read-only and return it."""
    x.flags.writeable = False
    return x


def describe(x: object) -> str:
    """What a bad array argument was, for an error message (short)."""
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}, dtype {x.dtype}"
    text = repr(x)
    return text if len(text) <= 80 else text[:77] + "..."


def as_array(name: str, x: object) -> np.ndarray:
    """``np.asarray(x)``, or an error naming ``name`` for ragged nested lists."""
    try:
        return np.asarray(x)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be an array, got {x!r}") from None


def as_float_array(name: str, x: object, what: str) -> np.ndarray:
    """``x`` as a float64 array, or an error ``"{name} must be {what}, got ..."``.

    Strings, bytes and None are refused (numpy would read ``"1"`` as a number), and
    so is anything numpy cannot turn into floats (ragged lists, ``object()``).
    """
    if isinstance(x, str | bytes) or x is None:
        raise InvalidParameterError(f"{name} must be {what}, got {x!r}")
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidParameterError(f"{name} must be {what}, got {x!r}") from exc
