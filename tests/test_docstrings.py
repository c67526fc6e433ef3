"""Docstring examples run: students copy them, so they must work as printed."""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import spinlab

MODULES = sorted(m.name for m in pkgutil.walk_packages(spinlab.__path__, "spinlab.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run_as_printed(name):
    module = importlib.import_module(name)
    with np.printoptions(legacy="1.25"):  # scalars print as 1.0, not np.float64(1.0)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                                 extraglobs={"np": np}, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} fail (printed above)"


def test_the_package_has_runnable_examples():
    examples = 0
    for name in MODULES:
        finder = doctest.DocTestFinder()
        examples += sum(len(t.examples) for t in finder.find(importlib.import_module(name)))
    assert examples >= 15, examples
