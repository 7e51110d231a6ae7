"""Catching and raising rules (XH102-XH106, XH201-XH204): docs examples, fixes, interplay, corpus lines."""

from __future__ import annotations

import textwrap

import pytest

from errlint.docs import code_blocks, section
from errlint.finding import FixSafety, Severity
from errlint.fixes import apply_fixes
from errlint.rule import LintRule, rule_by_code

from conftest import lint_snippet

CODES = ("XH102", "XH103", "XH104", "XH105", "XH106", "XH201", "XH202", "XH203", "XH204")


def _rule(code: str) -> type[LintRule]:
    rule = rule_by_code(code)
    assert rule is not None
    return rule


def _codes(code: str, rules: tuple[str, ...] = CODES) -> list[tuple[str, int]]:
    result = lint_snippet(textwrap.dedent(code), [_rule(c) for c in rules])
    assert not result.crashes, result.crashes[0].traceback
    return [(f.code, f.line) for f in result.findings]


def _fix(code: str, rule: str, *, safety: FixSafety = FixSafety.SAFE) -> str:
    source = textwrap.dedent(code)
    result = lint_snippet(source, [_rule(rule)])
    fixes = [f.fix for f in result.findings if f.fix is not None and f.fix.safety is safety]
    assert fixes, f"no {safety.value} fix: {result.findings}"
    return apply_fixes(source, fixes)[0]


@pytest.mark.parametrize("code", CODES)
def test_cases_are_valid_python(code: str) -> None:
    rule = _rule(code)
    for case in [*rule.VALID, *rule.INVALID]:
        compile(case.code, f"<{code}>", "exec", flags=0x400)  # PyCF_ONLY_AST: no `return` checks
        replacement = getattr(case, "expected_replacement", None)
        if replacement is not None:
            compile(replacement, f"<{code} fixed>", "exec", flags=0x400)


@pytest.mark.parametrize("code", CODES)
def test_docs_examples(code: str) -> None:
    rule = _rule(code)
    example = code_blocks(section(rule, "Example"))
    assert len(example) == 2, "## Example needs the bad block and the `Use instead:` block"
    bad, good = example
    assert [f.code for f in lint_snippet(bad, [rule]).findings] == [code]
    assert [f.code for f in lint_snippet(good, [rule]).findings] == []


# --- interplay -------------------------------------------------------------------------------


def test_broad_discard_reported_once_as_xh103() -> None:
    code = """
    try:
        run()
    except Exception:
        pass
    try:
        run()
    except BaseException:
        return None
    try:
        run()
    except BaseException:  # the reason is given: not reported by either rule
        return None
    """
    assert _codes(code, ("XH102", "XH103")) == [("XH103", 4), ("XH103", 8)]


def test_swallow_severity_by_breadth() -> None:
    code = """
    try:
        run()
    except OSError:
        pass
    except Exception:
        pass
    """
    result = lint_snippet(textwrap.dedent(code), [_rule("XH103")])
    assert [f.severity for f in result.findings] == [Severity.WARNING, Severity.ERROR]


def test_useless_handler_with_raise_by_name_is_xh105_only() -> None:
    code = """
    try:
        run()
    except OSError as err:
        raise err
    """
    assert _codes(code, ("XH105", "XH203", "XH201")) == [("XH105", 4)]


def test_directive_comments_do_not_explain_a_discard() -> None:
    code = """
    try:
        run()
    except OSError:  # pragma: no cover
        pass
    try:
        run()
    except OSError:  # noqa: XH999
        pass
    try:
        run()
    except OSError:  # pragma: no cover - the socket is gone already
        pass
    """
    assert _codes(code, ("XH103",)) == [("XH103", 4), ("XH103", 8)]


# --- fixes -----------------------------------------------------------------------------------


def test_useless_reraise_fix_keeps_two_space_indentation() -> None:
    fixed = _fix(
        """
        def f():
          if ready:
            try:
              value = compute(
                1,
              )
              if value:
                use(value)
            except ValueError:
              raise
          return value
        """,
        "XH105",
    )
    assert fixed == textwrap.dedent(
        """
        def f():
          if ready:
            value = compute(
              1,
            )
            if value:
              use(value)
          return value
        """
    )


def test_useless_reraise_fix_keeps_body_and_trailing_comments() -> None:
    fixed = _fix(
        """
        try:
            a()
            # b()
        # not yet
        except OSError:  # why not
            # really
            raise  # trailing
        c()
        """,
        "XH105",
    )
    assert fixed == textwrap.dedent(
        """
        a()
        # b()
        # not yet
        # why not
        # really  # trailing
        c()
        """
    )


def test_useless_reraise_no_fix_with_multiline_string_else_or_other_handlers() -> None:
    code = '''
    try:
        x = """a
    b"""
    except ValueError:
        raise
    try:
        run()
    except ValueError:
        raise
    except KeyError:
        recover()
    else:
        done()
    '''
    result = lint_snippet(textwrap.dedent(code), [_rule("XH105")])
    assert [(f.line, f.fix) for f in result.findings] == [(5, None), (9, None)]


def test_raise_without_cause_fix_after_semicolon_and_suite() -> None:
    fixed = _fix(
        """
        try:
            run()
        except OSError as err:
            raise Failed("x"); cleanup()
        try:
            run()
        except OSError as err: raise Failed("y")  # why
        """,
        "XH201",
    )
    assert fixed == textwrap.dedent(
        """
        try:
            run()
        except OSError as err:
            raise Failed("x") from err; cleanup()
        try:
            run()
        except OSError as err: raise Failed("y") from err  # why
        """
    )


def test_raise_without_cause_picks_an_unused_name() -> None:
    fixed = _fix(
        """
        def f(err, exc):
            try:
                run(err, exc)
            except OSError:
                raise Failed()
        """,
        "XH201",
        safety=FixSafety.UNSAFE,
    )
    assert "except OSError as error:" in fixed
    assert "raise Failed() from error" in fixed


def test_raise_without_cause_skips_reraise_of_outer_name_and_with_traceback() -> None:
    code = """
    try:
        run()
    except OSError as err:
        raise err.with_traceback(None)
    """
    assert _codes(code, ("XH201",)) == []


def test_reraise_by_name_skips_finally_inside_handler() -> None:
    code = """
    try:
        run()
    except OSError as err:
        try:
            cleanup()
        finally:
            raise err
    """
    assert _codes(code, ("XH203",)) == []


# --- finally --------------------------------------------------------------------------------


def test_finally_reports_each_exit_once_in_nested_finally_blocks() -> None:
    code = """
    for item in items:
        try:
            run()
        finally:
            for other in others:
                try:
                    step()
                finally:
                    break
            continue
    """
    assert _codes(code, ("XH104",)) == [("XH104", 10), ("XH104", 11)]


# --- false-positive patterns found on the corpus (docs/precision.md), one test each -------------

CORPUS_FALSE_POSITIVES = {
    # XH102: Flask hands the error to its own handler; Celery beat to a failure hook.
    "XH102-passes-on": (
        "XH102",
        """
        def full_dispatch_request(self):
            try:
                rv = self.dispatch_request()
            except Exception as e:
                rv = self.handle_user_exception(e)
            return self.finalize_request(rv)
        """,
    ),
    "XH102-error-hook": (
        "XH102",
        """
        for entry in self.schedule.values():
            try:
                is_due, delay = entry.is_due()
            except Exception:
                is_due, delay = self._is_due_failed(entry)
        """,
    ),
    "XH102-safe-reraise": (
        "XH102",
        """
        try:
            self.dbapi_connection = pool._invoke_creator(self)
        except BaseException as e:
            with util.safe_reraise():
                pool.logger.debug("Error on connect(): %s", e)
        """,
    ),
    "XH102-celery-logger-alias": (
        "XH102",
        """
        try:
            self.node.handle_message(body, message)
        except Exception as exc:
            error("Control command error: %r", exc, exc_info=True)
            self.reset()
        """,
    ),
    "XH102-test-code": (
        "XH102",
        """
        def test_replaced_task_nesting(self):
            try:
                assertion_result = request.replaced_task_nesting <= 2
            except Exception:
                assertion_result = False
        """,
    ),
    "XH102-raise-to-catch": (
        "XH102",
        """
        try:
            raise KeyError("foo")
        except Exception:
            job.on_success((1, ExceptionInfo(), 0.001))
        """,
    ),
    # XH103: EAFP lookups, predicates, polls, test teardown.
    "XH103-eafp-lookup": (
        "XH103",
        """
        def getopt(self, *alt):
            for opt in alt:
                try:
                    return self.options[opt]
                except KeyError:
                    pass
            raise KeyError(alt[0])
        """,
    ),
    "XH103-predicate": (
        "XH103",
        """
        def is_ipv4_address(string_ip):
            try:
                socket.inet_aton(string_ip)
            except OSError:
                return False
            return True
        """,
    ),
    "XH103-poll": (
        "XH103",
        """
        while not self._stopped.is_set():
            try:
                self.result_consumer.drain_events(timeout=1)
            except socket.timeout:
                pass
        """,
    ),
    # XH201: control-flow exceptions and exceptions caught earlier.
    "XH201-pytest-skip": (
        "XH201",
        """
        try:
            manager.app.backend.ensure_chords_allowed()
        except NotImplementedError as e:
            raise pytest.skip(e.args[0])
        """,
    ),
    "XH201-stop-iteration": (
        "XH201",
        """
        def __next__(self):
            try:
                self.state.event(self.next_event())
            except IndexError:
                raise StopIteration()
        """,
    ),
    "XH201-saved-exception": (
        "XH201",
        """
        try:
            obj = GEOSGeometry(obj)
        except (GEOSException, GDALException):
            raise blocked_err
        """,
    ),
    # XH202: tests simulate failures.
    "XH202-test": (
        "XH202",
        """
        def test_log_view_exception(app, client):
            @app.route("/")
            def index():
                raise Exception("test")
        """,
    ),
    # XH105: a variable may hold a tuple with a supertype.
    "XH105-variable-supertype": (
        "XH105",
        """
        try:
            yield
        except socket.timeout:
            raise
        except self._connection_errors:
            self._reconnect()
        """,
    ),
    # XH204: OS-level "access denied", lookup misses, fail-closed further down.
    "XH204-psutil": (
        "XH204",
        """
        try:
            proc.kill()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
        """,
    ),
    "XH204-lookup-miss": (
        "XH204",
        """
        def authenticate(self, request, remote_user):
            user = None
            try:
                user = UserModel._default_manager.get_by_natural_key(username)
            except UserModel.DoesNotExist:
                pass
            return user if self.user_can_authenticate(user) else None
        """,
    ),
    "XH204-fail-closed-later": (
        "XH204",
        """
        def _decode(self, data):
            try:
                return self.signer.unsign_object(data, serializer=MessageSerializer)
            except (signing.BadSignature, binascii.Error, json.JSONDecodeError):
                pass
            self.used = True
            return None
        """,
    ),
}


@pytest.mark.parametrize("case", sorted(CORPUS_FALSE_POSITIVES))
def test_corpus_false_positive_patterns(case: str) -> None:
    code, snippet = CORPUS_FALSE_POSITIVES[case]
    assert _codes(snippet, (code,)) == []


def test_a_multi_line_except_type_is_quoted_on_one_line() -> None:
    """A message is one line (concise, flake8 and GitHub output are line-oriented): the caught
    types of a handler written over several lines, with a comment, are quoted on one line."""
    code = textwrap.dedent(
        """
        def load():
            try:
                run()
            except (
                KeyError,  # legacy callers
                ValueError,
            ):
                raise
        """
    )
    (finding,) = [f for f in lint_snippet(code, [rule_by_code("XH105")]).findings if f.code == "XH105"]
    assert finding.message == "Useless `except (KeyError, ValueError):`: the handler only re-raises the exception"


def test_xh201_quotes_a_multi_line_handler_on_one_line() -> None:
    code = textwrap.dedent(
        """
        def pay(card):
            try:
                card.charge()
            except (ConnectionError,
                    TimeoutError) as err:
                raise PaymentError("card declined")
        """
    )
    (finding,) = [f for f in lint_snippet(code, [rule_by_code("XH201")]).findings if f.code == "XH201"]
    assert finding.message.startswith("`raise` inside `except (ConnectionError, TimeoutError) as err:` without `from`")
