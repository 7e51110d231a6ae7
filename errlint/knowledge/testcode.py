"""What counts as test code: the ONE definition every rule and analysis uses.

Plain data and pure functions over paths and names; no libcst here (the rules' helper
`errlint.rules._helpers.in_test_code` adds the enclosing `def`/`class` names from the walk).

**Test paths** are gitignore-style patterns (`DEFAULT_TEST_PATHS`), matched against the file's
path relative to the project root (the folder of the configuration file) or, outside it, the path
as shown. A pattern ending in `/` matches a folder of that name at any depth; a pattern without
`/` matches a file name at any depth; a pattern starting with `/` is anchored at the root.
`test-paths` in `[tool.errlint]` replaces the default list.

The default list covers:

- test suites: folders `test/`, `tests/`, `testing/` (SQLAlchemy's test support package), `t/`
  (the Perl convention kept by Celery and Kombu), `unittests/`, `functional_tests/`,
  `integration_tests/`, `testutils/`, and files `test_*.py`, `*_test.py`, `*_tests.py`,
  `tests.py`, `conftest.py`;
- sample inputs: `fixtures/` folders and the rule fixtures of other linters (`.semgrep/`);
- demos: `examples/` and `demos/` folders (code written to be read, not run in production).

**Test scopes**: inside any file, a function named `test*` or a class named `Test*`/`test_*`
(pytest and unittest collection rules; Celery names its test classes `test_thing`).

**Operator scripts** (`is_operator_script`) are not test code but run once, by a person, with a
traceback in front of them: Django and Alembic migrations (anything under a `migrations/` or
`alembic/` folder, such as `migrations/versions/`), Django management commands
(`management/commands/`), development tools and maintenance scripts (`tools/`, `scripts/`) and
`setup.py` build scripts.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Iterable, Optional, Sequence

import pathspec

DEFAULT_TEST_PATHS: tuple[str, ...] = (
    # test suites
    "test/", "tests/", "testing/", "t/", "unittests/", "functional_tests/", "integration_tests/",
    "testutils/",
    "test_*.py", "test_*.pyi", "*_test.py", "*_tests.py", "tests.py", "conftest.py",
    # sample inputs for tests and for other linters
    "fixtures/", ".semgrep/",
    # demos
    "examples/", "demos/",
)  # fmt: skip

_OPERATOR_DIRS: tuple[tuple[str, ...], ...] = (
    ("migrations",),  # Django (and Flask-Migrate's migrations/versions)
    ("alembic",),  # alembic/env.py, alembic/versions/
    ("management", "commands"),  # Django management commands
    ("tools",),  # development tooling and code generators
    ("scripts",),  # maintenance scripts
)


@lru_cache(maxsize=32)
def _spec(patterns: tuple[str, ...]) -> pathspec.PathSpec[Any]:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


@lru_cache(maxsize=4096)
def _relative(path: str, root: str) -> str:
    """`path` relative to `root` when it lies inside it, else as given; `/` separators."""
    posix = path.replace("\\", "/")
    if root not in ("", "."):
        try:
            rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
        except ValueError:  # another drive on Windows
            rel = ".."
        if not rel.startswith(".."):
            posix = rel.replace("\\", "/")
    while posix.startswith("./"):
        posix = posix[2:]
    return posix.lstrip("/")


def is_test_path(path: str, patterns: Optional[Sequence[str]] = None, root: str = ".") -> bool:
    """Whether the file at `path` is test code, a sample input or a demo (see the module doc)."""
    spec = _spec(tuple(DEFAULT_TEST_PATHS if patterns is None else patterns))
    return spec.match_file(_relative(path, root))


def is_test_function_name(name: str) -> bool:
    """A function pytest or unittest would collect (`test_login`, `testLogin`, `test`)."""
    return name.startswith("test")


def is_test_class_name(name: str) -> bool:
    """A class pytest or unittest would collect (`TestLogin`, Celery's `test_login`)."""
    return name.startswith("Test") or name.startswith("test_")


def in_test_scope(scopes: Iterable[tuple[str, str]]) -> bool:
    """Whether any enclosing `("def" | "class", name)` scope is a test function or class."""
    for kind, name in scopes:
        if kind == "def" and is_test_function_name(name):
            return True
        if kind == "class" and is_test_class_name(name):
            return True
    return False


def is_operator_script(path: str, root: str = ".") -> bool:
    """A migration, management command or `setup.py`: run by an operator, who sees any traceback."""
    parts = _relative(path, root).split("/")
    if parts[-1] == "setup.py":
        return True  # a build script
    parts = parts[:-1]
    for dirs in _OPERATOR_DIRS:
        for index in range(len(parts) - len(dirs) + 1):
            if tuple(parts[index : index + len(dirs)]) == dirs:
                return True
    return False
