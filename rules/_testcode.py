"""Is the node being visited test code? (Used by rules whose reason does not hold in tests.)

Test code is a file named `test_*.py`, `*_test.py`, `*_tests.py`, `tests.py` or `conftest.py`, a
file under a `test`/`tests`/`t` directory (but not under a `fixtures` directory there: those are
sample inputs, like errlint's own `tests/fixtures/`), or anything inside a function named `test_*` or a class
named `Test*`/`test_*` (pytest and unittest collection rules; Celery names its test classes
`test_thing`).
"""

from __future__ import annotations

import re

import libcst as cst

from errlint.context import FileContext

_TEST_FILE_RE = re.compile(r"^(?:test_.*|.*_tests?|tests|conftest)\.pyi?$")
_TEST_DIRS = frozenset({"test", "tests", "t"})  # `t/`: the Perl convention, kept by Celery and Kombu


def is_test_path(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    if _TEST_FILE_RE.match(parts[-1]):
        return True
    dirs = parts[:-1]
    for index, part in enumerate(dirs):
        if part in _TEST_DIRS:
            return "fixtures" not in dirs[index + 1 :]
    return False


def in_test_code(context: FileContext) -> bool:
    """True when the current node is in a test file or a test function/class."""
    if is_test_path(context.path):
        return True
    for frame in context.frames:
        node = frame.node
        if isinstance(node, cst.FunctionDef) and node.name.value.startswith("test"):
            return True
        if isinstance(node, cst.ClassDef) and (node.name.value.startswith("Test") or node.name.value.startswith("test_")):
            return True
    return False
