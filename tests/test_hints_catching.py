"""The exact hints of XH101, XH102, XH103, XH104, XH106, XH204, XH602 and XH604 (`may_report`,
`rules/_hints_catching.py`): where the rule's `PREFILTER` matches (`except`, `finally`) but it
cannot report, the function is blanked (or the file is not parsed), and the findings are the same
as without the prefilter, with the default configuration and with one that widens every rule
(broad names, boundary functions and exceptions, narrow types, logger names)."""

from __future__ import annotations

import ast
import textwrap
from typing import Optional

import pytest

from errlint.config import Config
from errlint.engine import lint_text
from errlint.prefilter import blank_irrelevant, prefilter_plan
from errlint.regions import Region
from errlint.rule import LintRule, all_rules
from errlint.rules.fail_open import FailOpenOptions
from errlint.rules.swallowed_exception import SwallowedExceptionOptions

CONFIG = Config(preview=True)
# Every vocabulary a hint must not depend on, widened.
WIDE = Config(
    preview=True,
    broad_exceptions=("KeyError", "ValueError", "AppError", "errors"),
    logger_names=("audit", "notify"),
    extend_report_functions=("app.errors.notify",),
    user_error_exceptions=("BadInput",),
    test_paths=(),
)
WIDE_OPTIONS: dict[str, object] = {
    "XH103": SwallowedExceptionOptions(narrow="all"),
    "XH204": FailOpenOptions(boundary_functions=("*",), boundary_exceptions=("KeyError", "LookupError")),
}
CODES = ("XH101", "XH102", "XH103", "XH104", "XH106", "XH204", "XH602", "XH604")


def _rule(code: str) -> type[LintRule]:
    return next(r for r in all_rules() if r.CODE == code)


def _code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _findings(text: str, rule: type[LintRule], config: Config, prefilter: bool) -> list[tuple[object, ...]]:
    options = WIDE_OPTIONS if config is WIDE else None
    result = lint_text(text, "pkg/module.py", config, [rule], options=options, prefilter=prefilter)
    assert not result.crashes
    return [(f.code, f.line, f.column, f.message, f.severity, f.fix) for f in result.findings]


# (code, source, what the prefilter does for the rule alone: "nothing" (not parsed) or the blanked
# line ranges, the lines of the findings with the default configuration)
CASES: list[tuple[str, str, object, list[int]]] = [
    (
        "XH101",
        """
        def save(session):
            try:
                session.commit()
            except:
                session.rollback()
                raise

        def test_shutdown(worker):
            try:
                worker.stop()
            except:
                worker.kill()

        def run(job):
            try:
                job()
            except:
                job.fail()
        """,
        [(2, 6), (9, 12)],
        [17],
    ),
    (
        "XH102",
        """
        def load(path, errors):
            try:
                return read(path)
            except Exception as exc:
                errors[path] = exc

        class Money:
            def __repr__(self):
                try:
                    return f"{self.amount} {self.currency}"
                except Exception:
                    return object.__repr__(self)

        def test_load():
            try:
                load("x", {})
            except Exception:
                print("failed")

        def refresh(cache):
            try:
                cache.update()
            except Exception:
                log.debug("refresh failed")
        """,
        [(2, 5), (9, 12), (15, 18)],
        [23],
    ),
    (
        "XH102",
        """
        class Sender:
            def send(self, message):
                try:
                    self.transport.send(message)
                except Exception:
                    self._on_failure()
        """,
        "nothing",
        [],
    ),
    (
        "XH103",
        """
        def first(backends):
            for backend in backends:
                try:
                    return backend.get()
                except ConnectionError:
                    continue
            raise LookupError("no backend answered")

        def safe_remove(path):
            try:
                os.remove(path)
            except Exception:
                pass

        def cleanup(path):
            try:
                os.remove(path)
            except Exception:
                pass
        """,
        [(2, 7), (10, 13)],
        [18],
    ),
    (
        "XH104",
        """
        def drain(items):
            try:
                run()
            finally:
                for item in items:
                    if item:
                        break
                    continue
                cleanup()

        def close(items):
            try:
                run()
            finally:
                for item in items:
                    try:
                        item.close()
                    finally:
                        continue
        """,
        [(2, 9)],
        [19],
    ),
    (
        "XH106",
        """
        def charge(card):
            try:
                card.charge()
            except Exception:
                log.error("charge failed")
                raise

        def refund(card):
            try:
                card.refund()
            except Exception as err:
                log.exception("refund failed")
                raise err
        """,
        [(2, 6)],
        [12],
    ),
    (
        "XH204",
        """
        def authenticate(token):
            try:
                return verify(token)
            except InvalidToken:
                pass
            return False

        def is_allowed(user, default):
            try:
                return check(user)
            except PermissionDenied:
                return default
        """,
        [(2, 6)],
        [12],
    ),
    (
        "XH602",
        """
        import time

        def fetch(client, attempts):
            for attempt in range(attempts):
                try:
                    return client.get()
                except ConnectionError:
                    time.sleep(2 ** attempt)

        def poll(client):
            while True:
                try:
                    return client.get()
                except ConnectionError:
                    time.sleep(1)
        """,
        [(4, 8)],
        [14],
    ),
    (
        "XH604",
        """
        def parse(raw):
            try:
                return decode(raw)
            except (ConnectionError, ValueError) as err:
                if isinstance(err, ValueError):
                    return None
                raise

        def fetch(url):
            try:
                return get(url)
            except (ConnectionError, ValueError):
                return None
        """,
        [(2, 7)],
        [12],
    ),
]


@pytest.mark.parametrize("code, text, blanked, lines", CASES, ids=[c[0] for c in CASES])
def test_the_hint_blanks_what_the_rule_cannot_report_in(code: str, text: str, blanked: object, lines: list[int]) -> None:
    rule = _rule(code)
    assert rule.has_exact_hint()
    source = _code(text)
    plan = prefilter_plan([rule], CONFIG)
    assert plan is not None and plan.can_match(source)  # the pattern alone would keep every function
    pre = blank_irrelevant(source, plan)
    assert pre is not None
    assert pre.nothing if blanked == "nothing" else (not pre.nothing and pre.blanked == blanked)
    findings = _findings(source, rule, CONFIG, True)
    assert [f[1] for f in findings] == lines
    assert findings == _findings(source, rule, CONFIG, False)


# Where the hint must keep the region: aliases, names the rules resolve, the configuration.
KEPT: list[tuple[str, str]] = [
    (
        "XH103",
        """
        from contextlib import suppress as quietly

        def stop(worker):
            with quietly(Exception):
                worker.stop()
        """,
    ),
    (
        "XH103",
        """
        import contextlib

        def stop(worker):
            with contextlib.suppress(BaseException):
                worker.stop()
        """,
    ),
    (
        "XH106",
        """
        from logging import exception as log_failure

        def charge(card):
            try:
                card.charge()
            except Exception:
                log_failure("charge failed")
                raise
        """,
    ),
    (
        "XH106",
        """
        import logging

        log = logging.getLogger(__name__)
        failed = log.exception

        def charge(card):
            try:
                card.charge()
            except Exception:
                failed("charge failed")
                raise
        """,
    ),
    (
        "XH106",
        """
        from loguru import logger

        def charge(card):
            try:
                card.charge()
            except Exception:
                logger.opt(exception=True).error("charge failed")
                raise
        """,
    ),
    (
        "XH101",
        """
        for job in jobs:
            try:
                job.run()
            except:
                logger.exception("job failed")
        """,
    ),
    (
        "XH102",
        """
        class Importer:
            def run(self, path):
                try:
                    return load(path)
                except KeyError as err:
                    return {"error": str(err)}

            def other(self, path):
                try:
                    return load(path)
                except AppError:
                    audit.info("failed")
        """,
    ),
    (
        "XH103",
        """
        def read(path):
            try:
                return open(path).read()
            except KeyError:
                return None
        """,
    ),
    (
        "XH204",
        """
        def load(user, fallback):
            try:
                return fetch(user)
            except KeyError:
                pass
            return fallback
        """,
    ),
    (
        "XH604",
        """
        try:
            import ujson as json
        except (ConnectionError, BadInput):
            json = None
        """,
    ),
    (
        "XH602",
        """
        while True:
            try:
                item = fetch()
                break
            except ConnectionError:
                pass
        """,
    ),
    (
        "XH104",
        """
        while running:
            try:
                step()
            finally:
                break
        """,
    ),
]


@pytest.mark.parametrize("code, text", KEPT, ids=[f"{c}-{i}" for i, (c, _) in enumerate(KEPT)])
@pytest.mark.parametrize("config", [CONFIG, WIDE], ids=["default", "wide"])
def test_the_hint_keeps_what_the_rule_reports(code: str, text: str, config: Config) -> None:
    rule = _rule(code)
    source = _code(text)
    without = _findings(source, rule, config, False)
    assert without or config is CONFIG  # with the widened configuration, each case is reported
    assert _findings(source, rule, config, True) == without


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("config", [CONFIG, WIDE], ids=["default", "wide"])
def test_every_case_reports_the_same_with_a_wide_configuration(code: str, config: Config) -> None:
    """Every case of this file, every rule of this file, both configurations."""
    rule = _rule(code)
    for _, text, *_ in [*CASES, *KEPT]:
        source = _code(text)
        assert _findings(source, rule, config, True) == _findings(source, rule, config, False), source


def _region(text: str, name: Optional[str] = None) -> Region:
    tree = ast.parse(_code(text))
    if name is None:
        return Region(tree)
    return Region(next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name), tree)


def test_handlers_in_nested_functions_and_classes_count_for_their_region() -> None:
    text = """
    def outer():
        class Inner:
            def method(self):
                try:
                    run()
                except:
                    recover()
        return Inner
    """
    assert _rule("XH101").may_report(_region(text, "outer"))
    assert not _rule("XH101").may_report(_region(text))  # the module's own code has no handler


def test_a_test_class_inside_a_region_is_test_code() -> None:
    text = """
    def make_cases():
        class TestLoad:
            def check(self):
                try:
                    run()
                except:
                    recover()
        return TestLoad
    """
    assert not _rule("XH101").may_report(_region(text, "make_cases"))


def test_raises_after_stops_at_the_function_and_skips_the_module_body() -> None:
    """`raises_after` looks up to the function's body, never at the module's own statements."""
    module = """
    try:
        import yaml
    except ImportError:
        pass
    if yaml is None:
        raise SystemExit("yaml is required")
    """
    assert _rule("XH103").may_report(_region(module))
    nested = """
    if True:
        try:
            import yaml
        except ImportError:
            pass
        raise SystemExit("yaml is required")
    """
    assert not _rule("XH103").may_report(_region(nested))
    inner = """
    def outer():
        def inner():
            try:
                run()
            except OSError:
                pass
        raise RuntimeError("never")
    """
    assert _rule("XH103").may_report(_region(inner, "outer"))  # the raise is not in `inner`
