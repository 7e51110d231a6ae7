"""Exact hints (`may_report`) of XH201, XH202, XH402, XH501, XH502, XH503, XH603: a function
whose source matches the rule's `PREFILTER` but where the hint says the rule cannot report is
blanked (or the file is not parsed), and the findings are those without the prefilter."""

from __future__ import annotations

import textwrap
from typing import Optional

from errlint.config import Config
from errlint.engine import lint_text
from errlint.prefilter import Prefiltered, blank_irrelevant, prefilter_plan
from errlint.rule import LintRule, all_rules

CONFIG = Config(preview=True)


def _rule(code: str) -> type[LintRule]:
    return next(r for r in all_rules() if r.CODE == code)


def _code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _blank(code: str, text: str, config: Config = CONFIG) -> Prefiltered:
    rule = _rule(code)
    plan = prefilter_plan([rule], config)
    assert plan is not None and plan.rule_hints[0].check is not None
    assert plan.can_match(text)  # the rule's patterns occur: only the hint can blank
    pre = blank_irrelevant(text, plan)
    assert pre is not None
    return pre


def _findings(code: str, text: str, config: Config = CONFIG, options: Optional[dict[str, object]] = None) -> list[tuple[str, int]]:
    rule = _rule(code)
    with_prefilter = lint_text(text, "m.py", config, [rule], options=options).findings
    without = lint_text(text, "m.py", config, [rule], options=options, prefilter=False).findings
    assert with_prefilter == without
    return [(f.code, f.line) for f in with_prefilter]


# --- XH201 ------------------------------------------------------------------------------------


def test_xh201_module_level_fix_name_ignores_blanked_functions() -> None:
    """The name `from ...` proposes at module level must not be one a function body uses, also
    when the prefilter blanked that function (it used to say `from err` here)."""
    text = _code(
        """
        def helper():
            err = compute()
            return err

        try:
            value = table[key]
        except KeyError:
            raise AttributeError(key)
        """
    )
    rule = _rule("XH201")
    findings = lint_text(text, "m.py", CONFIG, [rule]).findings
    assert findings == lint_text(text, "m.py", CONFIG, [rule], prefilter=False).findings
    assert len(findings) == 1 and "use `from exc`" in findings[0].message


def test_xh201_keeps_only_the_handler_that_raises_a_new_error_without_from() -> None:
    text = _code(
        """
        def load(path):
            try:
                return parse(path)
            except ValueError as err:
                raise ConfigError(path) from err

        def retry(job):
            try:
                job.run()
            except OSError as err:
                saved = err
                raise self._saved_error

        def fetch(url):
            try:
                return get(url)
            except OSError:
                raise FetchError(url)
        """
    )
    pre = _blank("XH201", text)
    assert pre.blanked == [(2, 5), (8, 12)]
    assert _findings("XH201", text) == [("XH201", 18)]


def test_xh201_a_file_without_a_candidate_raise_is_not_parsed() -> None:
    text = _code(
        """
        try:
            import ujson as json
        except ImportError:
            json = None

        def load(path):
            try:
                return parse(path)
            except ValueError:
                raise
        """
    )
    assert _blank("XH201", text).nothing
    assert _findings("XH201", text) == []


# --- XH202 ------------------------------------------------------------------------------------


def test_xh202_a_function_that_only_reraises_is_blanked() -> None:
    text = _code(
        """
        def save(record):
            try:
                write(record)
            except OSError:
                cleanup()
                raise

        def charge(amount):
            if amount <= 0:
                raise Exception(f"invalid amount: {amount}")
        """
    )
    pre = _blank("XH202", text)
    assert pre.blanked == [(2, 6)]
    assert _findings("XH202", text) == [("XH202", 10)]


def test_xh202_any_dotted_name_may_be_configured_as_broad() -> None:
    text = _code(
        """
        from errors import Failure as Oops

        def charge(amount):
            raise Oops("declined")
        """
    )
    config = Config(preview=True, broad_exceptions=("errors.Failure",))
    assert not _blank("XH202", text, config).blanked
    assert _findings("XH202", text, config) == [("XH202", 4)]


# --- XH402 ------------------------------------------------------------------------------------


def test_xh402_a_constant_message_is_blanked_whatever_the_vocabulary() -> None:
    text = _code(
        """
        def authenticate(username, password):
            if not check(username, password):
                raise AuthError("bad password", 401)

        def reset(user, password):
            raise AuthError(f"bad password {password} for {user.email}")
        """
    )
    pre = _blank("XH402", text)
    assert pre.blanked == [(2, 3)]
    assert _findings("XH402", text) == [("XH402", 6), ("XH402", 6)]
    # a vocabulary that makes any name sensitive keeps only what can hold a name
    names = ("username", "check", "authenticate", "bad", "password", "AuthError")
    config = Config(preview=True, sections=(("pii", (("extend-names", (("secret", names),)),)),))
    assert _blank("XH402", text, config).blanked == [(2, 3)]
    _findings("XH402", text, config)


# --- XH501 ------------------------------------------------------------------------------------


def test_xh501_keeps_only_a_builtin_raised_without_a_message() -> None:
    text = _code(
        """
        def parse(value):
            if not value:
                raise ValueError(f"empty value: {value!r}")
            raise errors.KeyError()

        def lookup(key):
            if key not in table:
                raise KeyError
            return table[key]

        def check(value):
            raise TypeError("")
        """
    )
    pre = _blank("XH501", text)
    assert pre.blanked == [(2, 4)]
    assert _findings("XH501", text) == [("XH501", 8), ("XH501", 12)]


# --- XH502 ------------------------------------------------------------------------------------


def test_xh502_keeps_only_a_handler_with_a_literal_error_log_without_fields() -> None:
    text = _code(
        """
        import logging

        log = logging.getLogger(__name__)

        def save(order):
            try:
                write(order)
            except OSError as err:
                log.warning("write failed")
                log.error("write failed", extra={"order": order.id})
                log.error(message_for(err))

        def load(order_id):
            try:
                return read(order_id)
            except OSError:
                log.error("Something went wrong")
        """
    )
    pre = _blank("XH502", text)
    assert pre.blanked == [(6, 11)]
    assert _findings("XH502", text) == [("XH502", 17)]


def test_xh502_a_plain_name_may_be_a_logging_function() -> None:
    text = _code(
        """
        from logging import error as oops

        def load(order_id):
            try:
                return read(order_id)
            except OSError:
                oops("Something went wrong")
        """
    )
    assert not _blank("XH502", text).blanked
    assert _findings("XH502", text) == [("XH502", 7)]


# --- XH503 ------------------------------------------------------------------------------------


def test_xh503_keeps_only_a_wrapper_that_copies_the_caught_message() -> None:
    text = _code(
        """
        def load(path):
            try:
                return parse(path)
            except ValueError as err:
                raise ConfigError(f"cannot parse {path}: {err}") from err

        def fetch(url):
            try:
                return get(url)
            except OSError as err:
                raise FetchError(str(err)) from err
        """
    )
    pre = _blank("XH503", text)
    assert pre.blanked == [(2, 5)]
    assert _findings("XH503", text) == [("XH503", 11)]


# --- XH603 ------------------------------------------------------------------------------------


def test_xh603_keeps_a_retry_loop_and_a_plain_name_call_only() -> None:
    text = _code(
        """
        class Client:
            @property
            def session(self):
                try:
                    return self._session
                except AttributeError:
                    raise

            def get(self, url):
                for attempt in range(3):
                    try:
                        return self.session.get(url)
                    except ValueError:
                        continue

            def close(self):
                try:
                    self.session.close()
                except OSError:
                    return
        """
    )
    pre = _blank("XH603", text)
    assert pre.blanked == [(4, 7), (17, 20)]  # no import makes `@property` an alias of `tenacity.retry`
    assert _findings("XH603", text) == [("XH603", 13)]
    aliased = "from tenacity import retry as property\n" + text  # now it is one: `session` is kept
    assert _blank("XH603", aliased).blanked == [(18, 21)]
    assert _findings("XH603", aliased) == [("XH603", 3), ("XH603", 14)]  # the bare `@retry` (no stop)


def test_xh502_a_message_with_data_other_than_the_exception_is_blanked() -> None:
    text = _code(
        """
        import logging

        log = logging.getLogger(__name__)

        def save(order):
            try:
                write(order)
            except OSError as err:
                log.error("write failed for %s: %s", order.id, err)
                log.error(f"write failed for {order.id}: {err!r}")
                log.critical("write failed for {}".format(order))

        def load(order_id):
            try:
                return read(order_id)
            except OSError as err:
                log.error(f"failed: {err}")
                log.error("failed: %s", str(err))
        """
    )
    pre = _blank("XH502", text)
    assert pre.blanked == [(6, 11)]
    assert _findings("XH502", text) == [("XH502", 17), ("XH502", 18)]
