"""False-positive classes and misses of XH1/XH2/XH5/XH6 found on real code (issue: precision).

Each class is a negative case here (or in the rule's embedded VALID cases), each miss a positive.
"""

from __future__ import annotations

import textwrap
from typing import Optional

from errlint.config import Config
from errlint.rule import LintRule, rule_by_code

from conftest import lint_snippet


def _rule(code: str) -> type[LintRule]:
    rule = rule_by_code(code)
    assert rule is not None
    return rule


def _findings(code: str, rules: tuple[str, ...], path: str = "app/module.py", config: Optional[Config] = None):  # type: ignore[no-untyped-def]
    result = lint_snippet(textwrap.dedent(code), [_rule(c) for c in rules], path=path, config=config)
    assert not result.crashes, result.crashes[0].traceback
    return result.findings


def _codes(code: str, rules: tuple[str, ...], path: str = "app/module.py") -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in _findings(code, rules, path)]


# --- XH101 bare-except ---------------------------------------------------------------------------


def test_bare_except_one_problem_one_finding() -> None:
    code = """
    try:
        a()
    except:
        pass
    try:
        b()
    except:
        raise
    try:
        c()
    except:
        log.error("c failed")
    """
    # discard -> XH101 only (not XH103); `except: raise` -> XH105 only (not XH101).
    assert _codes(code, ("XH101", "XH103", "XH105")) == [("XH101", 4), ("XH105", 8), ("XH101", 12)]


def test_bare_except_skipped_in_test_paths() -> None:
    code = """
    try:
        worker.stop()
    except:
        worker.kill()
    """
    assert _codes(code, ("XH101",), path="app/worker.py") == [("XH101", 4)]
    assert _codes(code, ("XH101",), path="tests/helpers.py") == []
    assert _codes(code, ("XH101",), path="examples/demo.py") == []


def test_bare_except_fix_never_after_a_broad_handler() -> None:
    code = """
    try:
        serve()
    except Exception:
        log.exception("failed")
    except:
        stop()
    try:
        serve()
    except BaseException:
        log.exception("failed")
    except:  # dead: nothing left to catch
        stop()
    """
    findings = _findings(code, ("XH101",))
    assert [(f.line, f.fix) for f in findings] == [(6, None)]
    assert findings[0].message == (
        "Bare `except:` after a broad handler catches only `KeyboardInterrupt`, `SystemExit` and"
        " `GeneratorExit`, and does not re-raise them; name them (`except BaseException:`) or re-raise"
    )


# --- XH201 raise-without-cause -------------------------------------------------------------------


def test_raise_without_cause_only_for_errors_that_show_a_traceback() -> None:
    code = """
    from app.errors import ValidationError
    from werkzeug.exceptions import NotFound
    from rest_framework.exceptions import PermissionDenied
    from django.core.management.base import CommandError

    def load(name):
        try:
            return registry[name]
        except KeyError:
            raise ValidationError(name)
        except LookupError:
            raise NotFound()
        except TypeError:
            raise PermissionDenied()
        except OSError:
            raise CommandError("cannot read")
    """
    # Only the application's own ValidationError: it is not rendered by a framework.
    findings = _findings(code, ("XH201",))
    assert [f.line for f in findings] == [11]
    assert findings[0].message == (
        "`raise` inside `except KeyError:` without `from`: the traceback will say it happened"
        ' "during handling of the above exception", as if this handler failed;'
        " use `from err` (or `from None` to hide it)"
    )


def test_raise_without_cause_skips_test_code() -> None:
    code = """
    try:
        client.get("/")
    except KeyError:
        raise AssertionError("lookup failed")
    """
    assert _codes(code, ("XH201",), path="app/api.py") == [("XH201", 5)]
    assert _codes(code, ("XH201",), path="tests/api_checks.py") == []


# --- XH202 generic-exception-raised --------------------------------------------------------------


def test_generic_exception_not_reported_in_operator_scripts() -> None:
    code = """
    def upgrade():
        if not op.get_bind().dialect.name == "postgresql":
            raise Exception("this migration needs PostgreSQL")
    """
    assert _codes(code, ("XH202",), path="app/models/schema.py") == [("XH202", 4)]
    for path in (
        "superset/migrations/versions/2016-04-25_08-54_c3a8f8611885.py",
        "src/pretix/base/migrations/0001_initial.py",
        "alembic/versions/1a2b_add_users.py",
        "src/pretix/base/management/commands/rebuild.py",
    ):
        assert _codes(code, ("XH202",), path=path) == [], path


# --- XH102 broad-except --------------------------------------------------------------------------


def test_broad_except_warning_with_traceback_is_handled_without_it_is_not() -> None:
    code = """
    try:
        refresh()
    except Exception:
        log.warning("refresh failed; serving stale data", exc_info=True)
    try:
        refresh()
    except Exception:
        log.info("refresh failed; serving stale data", exc_info=True)
    try:
        refresh()
    except Exception as err:
        log.warning("refresh failed: %s", err)
    """
    findings = _findings(code, ("XH102",))
    assert [(f.line, f.message) for f in findings] == [
        (8, "Broad `except Exception:` is not handled: logged only at info level"),
        (12, "Broad `except Exception:` is not handled: logged only at warning level, without the traceback"),
    ]


def test_broad_except_skips_must_not_raise_functions_and_operator_scripts() -> None:
    code = """
    def safe_title(obj):
        try:
            return obj.title()
        except Exception:
            return obj.name
    """
    assert _codes(code, ("XH102",)) == []
    code = """
    def upgrade():
        try:
            op.drop_index("ix_old")
        except Exception:
            return skipped
    """
    assert _codes(code, ("XH102",), path="app/module.py") == [("XH102", 5)]
    assert _codes(code, ("XH102",), path="app/migrations/versions/0042_drop.py") == []


# --- XH601 call-without-timeout ------------------------------------------------------------------


def test_timeout_test_code_skipped_by_default() -> None:
    code = """
    import requests

    def fetch(url):
        return requests.get(url)
    """
    assert _codes(code, ("XH601",), path="app/client.py") == [("XH601", 5)]
    for path in ("tests/test_client.py", "t/integration/conftest.py", "examples/eventlet/webcrawler.py"):
        assert _codes(code, ("XH601",), path=path) == [], path
    result = lint_snippet(
        textwrap.dedent(code), [_rule("XH601")], path="tests/test_client.py", options={"XH601": {"include_tests": True}}
    )
    assert [f.line for f in result.findings] == [5]


def test_timeout_typed_session_parameters_and_attributes() -> None:
    code = """
    from requests import Session

    class Client:
        http: Session

        def push(self, data):
            return self.http.post("https://example.com", data=data)

    def sync(s: "requests.Session", other: Session, cache: dict):
        s.get("https://example.com")
        other.put("https://example.com", timeout=3)
        cache.get("key")
    """
    assert _codes(code, ("XH601",)) == [("XH601", 11)]


# --- the same check silenced in another linter ---------------------------------------------------


def test_findings_silenced_for_the_equivalent_check_of_another_linter() -> None:
    code = """
    import requests

    def f(url):
        try:
            a()
        except:  # noqa: E722
            log.error("a failed")
        try:
            b()
        except Exception:  # pylint: disable=broad-exception-caught
            log.error("b failed")
        try:
            d()
        except KeyError:
            raise LookupFailed("d")  # noqa: B904
        raise Exception(  # pylint: disable=broad-exception-raised
            "no luck"
        )
        requests.get(url)  # nosec B113

    def g():
        try:
            c()
        except Exception:  # noqa: S110
            pass
    """
    assert _codes(code, ("XH101", "XH102", "XH103", "XH201", "XH202", "XH601")) == []
    # Another linter's unrelated code silences nothing.
    other = code.replace("E722", "E501").replace("broad-exception-caught", "line-too-long").replace("S110", "S101")
    other = other.replace("B904", "B950").replace("broad-exception-raised", "too-many-locals").replace("B113", "B101")
    assert _codes(other, ("XH101", "XH102", "XH103", "XH201", "XH202", "XH601")) == [
        ("XH101", 7),
        ("XH102", 11),
        ("XH201", 16),
        ("XH202", 17),
        ("XH601", 20),
        ("XH103", 25),
    ]


def test_broad_except_best_effort_cleanup_that_is_logged() -> None:
    code = """
    def shutdown(self):
        try:
            self.connection.close()
        except Exception:
            log.debug("closing the connection failed", exc_info=True)
        try:
            self.flush_metrics()
        except Exception:
            log.debug("flushing failed", exc_info=True)
    """
    assert _codes(code, ("XH102",)) == [("XH102", 9)]


# --- XH105 useless-reraise -----------------------------------------------------------------------


def test_useless_reraise_not_reported_in_test_files() -> None:
    code = """
    def load_data(directory):
        try:
            with open(directory) as f:
                return f.read()
        except OSError as e:
            raise
    """
    assert _codes(code, ("XH105",), path="app/store.py") == [("XH105", 6)]
    assert _codes(code, ("XH105",), path="tests/ldap3mock.py") == []
