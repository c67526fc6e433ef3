"""Every exercise's self-check says right for its worked solution and not yet for typical mistakes.

The solutions live outside the package and the book, in ``solutions/chNN.py``: ``SOLUTIONS``
maps each exercise to a function returning its answer (and verifying it numerically),
``MISTAKES`` to typical wrong answers.  So no exercise is unsolvable and no check always agrees.
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from spinlab.exercises import CHAPTERS, Verdict, chapter

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _solutions(name):
    spec = importlib.util.spec_from_file_location(f"solutions_{name}", ROOT / "solutions" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SOLUTIONS = {name: _solutions(name) for name in CHAPTERS}
CASES = [(ch, name) for ch in CHAPTERS for name in chapter(ch).EXERCISES]
MISTAKE_CASES = [(ch, name, k) for ch, name in CASES for k in range(len(SOLUTIONS[ch].MISTAKES.get(name, ())))]


def _value(answer):
    return answer() if callable(answer) else answer


@pytest.mark.parametrize("chapter_name", CHAPTERS)
def test_every_exercise_has_a_solution_and_a_mistake(chapter_name):
    checks, solutions = chapter(chapter_name).EXERCISES, SOLUTIONS[chapter_name]
    assert 2 <= len(checks) <= 4
    assert set(solutions.SOLUTIONS) == set(checks)
    assert set(solutions.MISTAKES) == set(checks) and all(solutions.MISTAKES.values())


@pytest.mark.parametrize("chapter_name, exercise", CASES)
def test_check_accepts_the_solution(chapter_name, exercise):
    verdict = chapter(chapter_name).EXERCISES[exercise](SOLUTIONS[chapter_name].SOLUTIONS[exercise]())
    assert isinstance(verdict, Verdict)
    assert verdict.ok and verdict.answered, verdict


@pytest.mark.parametrize("chapter_name, exercise, k", MISTAKE_CASES)
def test_check_rejects_a_typical_mistake(chapter_name, exercise, k):
    wrong = _value(SOLUTIONS[chapter_name].MISTAKES[exercise][k])
    verdict = chapter(chapter_name).EXERCISES[exercise](wrong)
    assert not verdict.ok and verdict.answered, (wrong, verdict)
    # a hint, not the answer: a non-integer solution's digits do not appear in the message
    solution = SOLUTIONS[chapter_name].SOLUTIONS[exercise]()
    if isinstance(solution, float) and solution != round(solution):
        assert f"{abs(solution):.3f}"[:-1] not in verdict.message, verdict.message


@pytest.mark.parametrize("chapter_name, exercise", CASES)
def test_placeholder_and_junk_never_raise(chapter_name, exercise):
    check = chapter(chapter_name).EXERCISES[exercise]
    for placeholder in (..., None):
        verdict = check(placeholder)
        assert not verdict.ok and not verdict.answered and "replace" in verdict.message
        assert verdict._repr_markdown_().startswith("✏️")
    for junk in ("not a number", object(), [np.nan, 1.0], {"x": 1}, float("inf"), True):
        verdict = check(junk)
        assert not verdict.ok and verdict.answered, (junk, verdict)
        assert repr(verdict).startswith("not yet: ")


def _code(notebook):
    cells = json.loads(notebook.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_poses_every_exercise_of_its_chapter(notebook):
    name = f"ch{notebook.name[:2]}"
    code = _code(notebook)
    assert f"from spinlab.exercises import {name}" in code
    for check in chapter(name).EXERCISES.values():
        assert f"{name}.{check.__name__}(answer)" in code, check.__name__
