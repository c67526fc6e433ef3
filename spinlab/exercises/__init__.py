"""Self-checks for the exercises at the end of each chapter of the book.

Each chapter has a module, :mod:`~spinlab.exercises.ch01` to :mod:`~spinlab.exercises.ch12`,
with one check function per exercise.  A check takes the student's answer and returns a
:class:`Verdict`: *right*, or *not yet* with a reason that points at the mistake without
giving the answer away.  Checks compute their references themselves, quickly, with spinlab.

A check never raises.  The placeholder of an exercise cell (``answer = ...``) and ``None``
give "not answered yet"; an answer of the wrong kind says what kind is expected.

Worked solutions are kept outside the book, in the repository's ``solutions/`` folder; the
test suite runs every check against its solution (it must say right) and against typical
wrong answers (it must say not yet).

Examples
--------
>>> from spinlab.exercises import ch07
>>> ch07.check_allen_cahn(...).answered
False
>>> bool(ch07.check_allen_cahn(64.0))
False
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass

import numpy as np

__all__ = ["Verdict", "CHAPTERS", "chapter", "exercise", "Unreadable"]

#: The chapter modules, in book order.
CHAPTERS = ("ch01", "ch02", "ch03", "ch04", "ch05", "ch06", "ch07", "ch08", "ch09", "ch10", "ch11", "ch12")

_REGISTRY: dict[str, dict] = {}


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: right or not (yet), and why.

    Attributes
    ----------
    ok : bool
        The answer is right.  ``bool(verdict)`` is the same.
    message : str
        Why: a consequence of a right answer, or a hint at the mistake (never the answer).
    answered : bool
        False for the placeholder (``...`` or ``None``).
    exercise : str
        Name of the exercise.
    """

    ok: bool
    message: str
    answered: bool = True
    exercise: str = ""

    def __bool__(self) -> bool:
        return self.ok

    @property
    def status(self) -> str:
        """``"right"``, ``"not yet"`` or ``"not answered yet"``."""
        if not self.answered:
            return "not answered yet"
        return "right" if self.ok else "not yet"

    def __repr__(self) -> str:
        return f"{self.status}: {self.message}"

    def _repr_markdown_(self) -> str:
        mark = {"right": "✅", "not yet": "❌", "not answered yet": "✏️"}[self.status]
        name = f" ({self.exercise})" if self.exercise else ""
        return f"{mark} **{self.status}**{name}: {self.message}"


class Unreadable(ValueError):
    """Raised inside a check when the answer is not of the expected kind."""


def exercise(name: str, expects: str):
    """Decorator that turns ``func(answer) -> (ok, message)`` into a registered check.

    The check returns a :class:`Verdict`, answers the placeholder with "not answered
    yet", and turns any error while reading the answer into a "not yet" naming
    ``expects``, the kind of answer wanted.
    """

    def wrap(func):
        @functools.wraps(func)
        def check(answer=...):
            if answer is ... or answer is None:
                return Verdict(False, f"replace `...` with your answer ({expects}) and run the cell again.",
                               answered=False, exercise=name)
            try:
                ok, message = func(answer)
            except Exception as error:  # a check must never break a notebook
                detail = f" ({error})" if isinstance(error, Unreadable) else f" ({type(error).__name__}: {error})"
                return Verdict(False, f"expected {expects}{detail}.", exercise=name)
            return Verdict(bool(ok), message, exercise=name)

        check.exercise = name
        check.expects = expects
        _REGISTRY.setdefault(func.__module__, {})[name] = check
        return check

    return wrap


def exercises_of(module_name: str) -> dict:
    """The checks registered by a chapter module, by exercise name, in definition order."""
    return dict(_REGISTRY.get(module_name, {}))


def chapter(name: str):
    """The check module of a chapter, e.g. ``chapter("ch01")``."""
    if name not in CHAPTERS:
        raise ValueError(f"unknown chapter {name!r}; one of {CHAPTERS}")
    return importlib.import_module(f"{__name__}.{name}")


# ---------------------------------------------------------------- reading answers


def number(answer) -> float:
    """The answer as a finite float (a Python or NumPy scalar, or a size-1 array)."""
    if isinstance(answer, (bool, np.bool_, str, bytes)):
        raise Unreadable(f"got {type(answer).__name__} {answer!r}")
    value = np.asarray(answer, dtype=float)
    if value.size != 1:
        raise Unreadable(f"got an array of shape {value.shape}, not one number")
    value = float(value.ravel()[0])
    if not np.isfinite(value):
        raise Unreadable(f"got {value}")
    return value


def vector(answer, length: int) -> np.ndarray:
    """The answer as a finite float array of shape (length,)."""
    if isinstance(answer, (str, bytes)):
        raise Unreadable(f"got {type(answer).__name__} {answer!r}")
    value = np.asarray(answer, dtype=float)
    if value.shape != (length,):
        raise Unreadable(f"got shape {value.shape}, not ({length},)")
    if not np.all(np.isfinite(value)):
        raise Unreadable("got non-finite values")
    return value


def close(value: float, reference: float, rtol: float = 1e-3, atol: float = 1e-9) -> bool:
    """``|value - reference| <= atol + rtol |reference|``."""
    return abs(value - reference) <= atol + rtol * abs(reference)
