"""XH103: a handler (or `contextlib.suppress`) that discards the failure."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.analysis import Handler
from errlint.finding import Impact, Severity
from errlint.handlers import BROAD_EXCEPTIONS, CaughtType
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._helpers import (
    body_only_raises,
    caught_label,
    deliberate_fallback_scope,
    handler_comments,
    handler_header_end,
    in_operator_script,
    in_test_code,
    only_cleanup_calls,
    raises_after,
    silenced_elsewhere,
)
from errlint.rules._hints_catching import may_swallow
from errlint.taxonomy import Kind, classify


@dataclass(frozen=True)
class SwallowedExceptionOptions:
    """Which specific (narrow) exception types are reported when discarded without a comment."""

    narrow: str = "failures"

    CHOICES = {"narrow": ("failures", "all", "none")}


class SwallowedException(LintRule):
    """
    ## What it does
    Checks for handlers that discard the failure: the body is only `pass`, `...`, `continue`,
    `break` or `return` (of nothing, `None` or a constant), and it neither logs, re-raises,
    reports nor uses the caught exception. Also checks for `contextlib.suppress(Exception)` and
    `contextlib.suppress(BaseException)`.

    A handler for a specific *failure* type (`except ConnectionError: pass`) is reported with
    severity `warning`, a broad one (`except Exception: pass`) with severity `error`: it discards
    bugs along with the failure it was written for. Neither is reported when a comment inside the
    handler explains why discarding is right (`pass  # already deleted`); tool directives such as
    `# noqa` or `# pragma: no cover` explain nothing, except one that silences the same check of
    another linter (`# noqa: S110`, `# noqa: BLE001`, `# pylint: disable=broad-exception-caught`). A fallback to a variable
    (`except KeyError: return default`) or an optional import (`except ImportError: yaml = None`)
    is not a discard.

    Failure types are those of an operation that did not happen: the `OSError` family (files,
    sockets, processes, timeouts) and the infrastructure types of the shared taxonomy (network
    clients, databases, caches, queues; extend them with `infrastructure-exceptions`). On real
    code (see `docs/precision.md`) a discarded *lookup* or *conversion* outcome (`KeyError`,
    `AttributeError`, `IndexError`, `StopIteration`, `ValueError`, `TypeError`, `ImportError`,
    `DoesNotExist`, and the OS answers `FileNotFoundError`, `FileExistsError`,
    `NotADirectoryError`, `IsADirectoryError`, `ProcessLookupError`) is almost always the intended
    answer of an EAFP idiom (`try: os.makedirs(p) except FileExistsError: pass`), so those are not
    reported by default; set `narrow = "all"` to report every discarded type, or `"none"` to
    report broad handlers only.

    Measured idioms that are not reported either:

    - for specific types: a `return True`/`return False` (the answer of a yes/no check, `try:
      inet_aton(ip) except OSError: return False`); a timeout that a loop passes over (a poll that
      found nothing); best-effort cleanup, a `try` whose body only removes, closes or releases
      something (`os.remove`, `shutil.rmtree`, `.close()`, `os.chown`, `os.kill`, ...);
    - a `raise` later in the same function (`for b in backends: try: return b.get() except
      Missing: continue` then `raise Missing`): the failure is reported there;
    - functions designed never to raise: `__repr__`/`__str__`/`__del__`, template filters and tags
      (`@register.filter`, `@register.simple_tag`: Django documents that they fail silently),
      and functions named as fallbacks (`safe_*`, `*_safe`, `try_*`, `maybe_*`, `*_quietly`);
    - test code (`test-paths`, `test_*` functions, `Test*` classes) and operator scripts
      (migrations, management commands, `setup.py`).

    One problem, one finding: a broad handler that discards is reported here only, not again as
    `broad-except` (XH102); a bare `except:` that discards is reported as `bare-except` (XH101)
    only, not here (its fix, `except Exception:`, leaves a handler this rule then reports).

    ## Why is this bad?
    A swallowed exception leaves no trace: the operation silently did not happen, and the first
    symptom shows up somewhere else, later, without a traceback. When ignoring a failure is the
    right thing to do, say why, so the next reader (and this rule) can tell a decision from an
    accident; when a broad catch ignores everything, even a typo is ignored.

    ## Example
    ```python
    def remove_lock(path):
        try:
            os.remove(path)
        except Exception:
            pass
    ```

    Use instead:
    ```python
    def remove_lock(path):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass  # another worker already released the lock
    ```

    ## Options
    - `narrow` (`"failures"`, `"all"` or `"none"`; default `"failures"`): which specific exception
      types are reported when a handler discards them without an explanatory comment.

    ## References
    - [The Zen of Python: "Errors should never pass silently"](https://peps.python.org/pep-0020/)
    - [CodeQL: py/empty-except](https://codeql.github.com/codeql-query-help/python/py-empty-except/)
    - [ruff S110 try-except-pass](https://docs.astral.sh/ruff/rules/try-except-pass/)
    """

    CODE: ClassVar[str] = "XH103"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "swallowed-exception"
    MESSAGE: ClassVar[str] = "Exception swallowed: `{label}` only {action}; {advice}"
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    IMPACT: ClassVar[Impact] = Impact.SILENT_FAILURE
    # Only functions whose source matches may hold a finding (errlint.prefilter).
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\bexcept\b", r"\bsuppress\b")
    ANALYSES: ClassVar[tuple[str, ...]] = ("handler-facts", "module-facts")
    Options: ClassVar[Optional[type]] = SwallowedExceptionOptions

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            def remove_lock(path):
                try:
                    os.remove(path)
                except FileNotFoundError:
                    pass  # another worker already released the lock
            """
        ),
        Valid(
            """
            def setting(name, default):
                try:
                    return SETTINGS[name]
                except KeyError:
                    return default
            """
        ),
        Valid(
            """
            try:
                import yaml
            except ImportError:
                yaml = None
            """
        ),
        Valid(
            """
            for path in paths:
                try:
                    handle(path)
                except OSError as err:
                    failures.append(err)
                    continue
            """
        ),
        Valid(
            """
            import contextlib

            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            """
        ),
        # EAFP lookups and optional imports are expected outcomes, not failures.
        Valid(
            """
            def cached(key):
                try:
                    return CACHE[key]
                except KeyError:
                    pass
                try:
                    import ujson as json
                except ImportError:
                    pass
                return compute(key)
            """
        ),
        Valid(
            """
            try:
                os.remove(path)
            except OSError:
                pass
            """,
            options={"narrow": "none"},
        ),
        Valid(
            """
            def is_ipv4(address):
                try:
                    socket.inet_aton(address)
                except OSError:
                    return False
                return True

            def poll(conn):
                while conn.open:
                    try:
                        conn.drain_events(timeout=1)
                    except socket.timeout:
                        continue
            """
        ),
        Valid(
            """
            def test_teardown(worker):
                try:
                    worker.stop()
                except Exception:
                    pass
            """
        ),
        # Measured idioms: a documented fail-silently design, a later raise, best-effort cleanup.
        Valid(
            """
            @register.filter
            def floatformat(text, arg=-1):
                try:
                    return format_number(text, arg)
                except Exception:
                    return ""

            def get_backend(backends, key):
                for backend in backends:
                    try:
                        return backend.fetch(key)
                    except ConnectionError:
                        continue
                raise BackendUnavailable(key)

            def cleanup(path, sock):
                try:
                    os.remove(path)
                except OSError:
                    pass
                try:
                    sock.close()
                except OSError:
                    pass
                try:
                    os.makedirs(path)
                except FileExistsError:
                    pass

            class Job:
                def __repr__(self):
                    try:
                        return f"<Job {self.describe()}>"
                    except Exception:
                        return "<Job>"
            """
        ),
        Valid(
            """
            try:
                load_plugins()
            except Exception:
                pass  # the CLI must still start when a plugin is broken
            """
        ),
        # A bare `except:` that discards is bare-except's (XH101) finding, not this rule's.
        Valid(
            """
            try:
                os.remove(path)
            except:
                pass
            """
        ),
        # The nested function's body is not the handler's: the handler calls it.
        Valid(
            """
            try:
                run()
            except ValueError:
                def explain():
                    pass
                explain()
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            def remove_lock(path):
                try:
                    os.remove(path)
                except Exception:
                    pass
            """,
            expected_message=(
                "Exception swallowed: `except Exception:` only passes; a broad handler discards"
                " every error, bugs included"
            ),
            expected_severity=Severity.ERROR,
            line=4,
            column=5,
        ),
        Invalid(
            """
            for path in paths:
                try:
                    handle(path)
                except OSError:
                    continue
            """,
            expected_message=(
                "Exception swallowed: `except OSError:` only continues the loop; log it, handle it,"
                " or say in a comment why it is safe to ignore"
            ),
            expected_severity=Severity.WARNING,
            line=4,
            column=5,
        ),
        Invalid(
            """
            from contextlib import suppress

            with suppress(Exception):
                os.remove(path)
            """,
            expected_message="Exception swallowed: `suppress(Exception)` discards every error raised in the block",
            expected_severity=Severity.ERROR,
            line=3,
            column=6,
        ),
        Invalid(
            """
            def ping(host):
                try:
                    return probe(host)
                except BaseException:
                    return False
            """,
            expected_message=(
                "Exception swallowed: `except BaseException:` only returns `False`; a broad handler discards"
                " every error, bugs included"
            ),
            expected_severity=Severity.ERROR,
        ),
        Invalid(
            """
            async def close_all(conns):
                for conn in conns:
                    try:
                        await conn.send(GOODBYE)
                    except ConnectionError:
                        pass
                try:
                    await flush()
                except* (ValueError, Exception):
                    ...
            """,
            expected_message=(
                "Exception swallowed: `except ConnectionError:` only passes; log it, handle it,"
                " or say in a comment why it is safe to ignore"
            ),
            expected_count=2,
        ),
        Invalid(
            """
            try:
                run()
            except (KeyError, IndexError) as err:
                return None
            """,
            expected_message=(
                "Exception swallowed: `except (KeyError, IndexError):` only returns `None`; log it,"
                " handle it, or say in a comment why it is safe to ignore"
            ),
            options={"narrow": "all"},
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a typed handler may only discard, or a `with` may be `suppress(...)`."""
        return may_swallow(region)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._check(node)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._check(node)

    def _check(self, handler: Handler) -> None:
        facts = self.context.handler_facts(handler)
        if not facts.discards or facts.bare:
            return  # a bare `except:` is bare-except's (XH101) finding
        broad = facts.catches_broad
        if facts.has_comment or silenced_elsewhere(self.CODE, handler_comments(handler)):
            return  # the comment says why discarding is right, or silences S110/BLE001 already
        statement = self.context.parent
        if not broad:
            narrow = (self.options or SwallowedExceptionOptions()).narrow
            if narrow == "none":
                return
            if narrow == "failures" and not any(self._is_failure(t) for t in facts.types):
                return
            if _answers_predicate(handler.body) or self._polls(facts.types, handler.body):
                return
            if only_cleanup_calls(statement):
                return  # best-effort cleanup: `try: os.remove(p) except OSError: pass`
        if body_only_raises(statement):
            return  # `try: raise X` catches exactly what it raised
        if in_test_code(self.context) or in_operator_script(self.context):
            return
        if deliberate_fallback_scope(self.context):
            return  # `__repr__`, template filters, `safe_*` functions must not raise
        if statement is not None and raises_after(self.context, statement):
            return  # the failure is reported by a later `raise` (try the next backend, then raise)
        if broad:
            advice = "a broad handler discards every error, bugs included"
        else:
            advice = "log it, handle it, or say in a comment why it is safe to ignore"
        self.report(
            handler,
            end=handler_header_end(handler),
            severity=Severity.ERROR if broad else Severity.WARNING,
            label=caught_label(handler),
            action=_action(handler.body),
            advice=advice,
        )

    def visit_WithItem(self, node: cst.WithItem) -> None:
        call = node.item
        if not isinstance(call, cst.Call) or self.context.qualify(call.func) != "contextlib.suppress":
            return
        broad_names = BROAD_EXCEPTIONS | frozenset(self.context.config.broad_exceptions)
        for arg in call.args:
            name = self.context.qualify(arg.value)
            if name in broad_names:
                self.report(
                    call,
                    message=(
                        f"Exception swallowed: `suppress({name.rsplit('.', 1)[-1]})` discards every error"
                        " raised in the block"
                    ),
                    severity=Severity.ERROR,
                )
                return


    def _polls(self, types: Sequence[CaughtType], body: cst.BaseSuite) -> bool:
        """A timeout that a loop passes over or continues after: nothing arrived in time."""
        if _action(body) not in ("passes", "continues the loop"):
            return False
        if not types or not all((t.qualified or t.name) in _TIMEOUTS for t in types):
            return False
        for node in reversed(self.context.ancestors):
            if isinstance(node, (cst.For, cst.While)):
                return True
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                return False
        return False

    def _is_failure(self, caught: CaughtType) -> bool:
        """An exception type meaning "the operation did not happen" (I/O, network, database)."""
        name = caught.qualified or caught.name
        if not name:
            return False
        value = getattr(builtins, name, None) if "." not in name else None
        if isinstance(value, type) and issubclass(value, _LOOKUP_OS_ERRORS):
            return False  # an answer, not a failure: the file or process is (not) there
        if isinstance(value, type) and issubclass(value, OSError):
            return True
        return classify(caught.name, caught.qualified, self.context.config) is Kind.INFRASTRUCTURE


# OSError subclasses that answer a question about the world rather than report a failure.
_LOOKUP_OS_ERRORS = (FileNotFoundError, FileExistsError, NotADirectoryError, IsADirectoryError, ProcessLookupError)

_TIMEOUTS = frozenset(
    {
        "TimeoutError", "socket.timeout", "asyncio.TimeoutError", "concurrent.futures.TimeoutError",
        "queue.Empty", "asyncio.QueueEmpty", "multiprocessing.TimeoutError",
    }
)  # fmt: skip


def _answers_predicate(body: cst.BaseSuite) -> bool:
    """`return True`/`return False`: the exception is the answer of a yes/no check."""
    action = _action(body)
    return action in ("returns `True`", "returns `False`")


def _action(body: cst.BaseSuite) -> str:
    """What a discarding handler body does, for the message ("passes", "returns `None`", ...)."""
    smalls: list[cst.BaseSmallStatement] = []
    if isinstance(body, cst.SimpleStatementSuite):
        smalls.extend(body.body)
    elif isinstance(body, cst.IndentedBlock):
        for stmt in body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                smalls.extend(stmt.body)
    for small in smalls:
        if isinstance(small, cst.Continue):
            return "continues the loop"
        if isinstance(small, cst.Break):
            return "breaks out of the loop"
        if isinstance(small, cst.Return):
            if small.value is None:
                return "returns"
            code = cst.Module(body=()).code_for_node(small.value)
            return f"returns `{code}`" if len(code) <= 30 else "returns a constant"
    return "passes"
