"""The one definition of test code (`errlint.knowledge.testcode`) and the `test-paths` key."""

from __future__ import annotations

import pytest

from errlint.config import Config, parse_table
from errlint.errors import ConfigError
from errlint.knowledge.testcode import (
    DEFAULT_TEST_PATHS,
    in_test_scope,
    is_operator_script,
    is_test_path,
)
from errlint.rule import all_rules

from conftest import lint_snippet


@pytest.mark.parametrize(
    "path",
    [
        "tests/test_rules.py",
        "project/tests/app.py",
        "t/unit/worker/test_request.py",
        "lib/sqlalchemy/testing/fixtures.py",
        "app/testing/manager.py",
        "src/pretix/testutils/settings.py",
        "pkg/api_test.py",
        "pkg/api_tests.py",
        "pkg/tests.py",
        "conftest.py",
        "sub/conftest.py",
        "test_login.py",
        "tests/fixtures/sample.py",
        "app/fixtures/loader.py",
        ".semgrep/rules/bare_except.py",
        "examples/tutorial/flaskr/db.py",
        "flask-3.1.3/examples/celery/src/task_app/tasks.py",
        "demos/app.py",
        "C:\\work\\proj\\tests\\app.py",
        "./tests/app.py",
    ],
)
def test_test_paths(path: str) -> None:
    assert is_test_path(path)


@pytest.mark.parametrize(
    "path",
    [
        "app/contest.py",
        "app/latest.py",
        "app/testimonials/views.py",
        "app/attestation.py",
        "django/db/models/query.py",
        "app/example.py",
        "src/shop/tests_helper_module/x.py",
    ],
)
def test_not_test_paths(path: str) -> None:
    assert not is_test_path(path)


def test_patterns_replace_the_default_and_anchor_at_the_root() -> None:
    assert not is_test_path("examples/shop/api.py", ("tests/",))
    assert is_test_path("qa/checks.py", ("/qa/",))
    assert not is_test_path("app/qa/checks.py", ("/qa/",))
    assert is_test_path("app/integration/check_api.py", ("integration/", "check_*.py"))


def test_paths_are_relative_to_the_root(tmp_path: pytest.TempPathFactory) -> None:
    root = str(tmp_path)
    # The project itself lives under a folder named `tests`: only paths inside it count.
    project = f"{root}/tests/project"
    assert not is_test_path(f"{project}/app/views.py", DEFAULT_TEST_PATHS, project)
    assert is_test_path(f"{project}/app/tests/test_views.py", DEFAULT_TEST_PATHS, project)


def test_scopes() -> None:
    assert in_test_scope([("class", "TestLogin"), ("def", "helper")])
    assert in_test_scope([("class", "test_login")])
    assert in_test_scope([("def", "test_login")])
    assert not in_test_scope([("class", "Login"), ("def", "latest")])
    assert not in_test_scope([])


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("superset/migrations/versions/2016-04-25_08-54_c3a8f8611885_materializing_permission.py", True),
        ("src/pretix/base/migrations/0001_initial.py", True),
        ("alembic/versions/1a2b_add_users.py", True),
        ("django/contrib/auth/management/commands/createsuperuser.py", True),
        ("app/management/helpers.py", False),
        ("app/versions.py", False),
        ("app/commands/run.py", False),
        ("tools/generate_stubs.py", True),
        ("superset/scripts/benchmark_migration.py", True),
        ("setup.py", True),
        ("app/tooling.py", False),
    ],
)
def test_operator_scripts(path: str, expected: bool) -> None:
    assert is_operator_script(path) is expected


def _parse(table: dict[str, object]) -> Config:
    rules = all_rules()
    return parse_table(
        table,
        "pyproject.toml",
        ".",
        known_codes=[r.CODE for r in rules],
        rule_options={r.CODE: r.parse_options for r in rules if r.Options is not None},
        names_to_codes={r.NAME: r.CODE for r in rules},
    )


def test_config_key() -> None:
    assert Config().test_paths == DEFAULT_TEST_PATHS
    config = _parse({"test-paths": ["qa/", "check_*.py"]})
    assert config.test_paths == ("qa/", "check_*.py")
    assert config.is_test_path("app/qa/x.py")
    assert not config.is_test_path("tests/test_x.py")
    with pytest.raises(ConfigError, match="expected a list of strings"):
        _parse({"test-paths": "tests/"})


def test_rules_follow_test_paths() -> None:
    code = "def f():\n    raise Exception('boom')\n"
    xh202 = [r for r in all_rules() if r.CODE == "XH202"]
    assert [f.line for f in lint_snippet(code, xh202, path="app/views.py").findings] == [2]
    assert lint_snippet(code, xh202, path="app/tests/helpers.py").findings == []
    config = Config(preview=True, test_paths=("qa/",))
    assert lint_snippet(code, xh202, path="qa/helpers.py", config=config).findings == []
    assert [f.line for f in lint_snippet(code, xh202, path="tests/helpers.py", config=config).findings] == [2]


def test_documented_default_is_the_default() -> None:
    import re
    import sys
    from pathlib import Path

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    text = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(test-paths = \[.*?\])\n```", text, re.S)
    assert block is not None
    assert tuple(tomllib.loads(block.group(1))["test-paths"]) == DEFAULT_TEST_PATHS
