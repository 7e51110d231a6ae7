"""The exact hints of the logging rules (XH301-XH307, `rules/_hints_logging.py`): a function where a
rule's pattern matches but the rule cannot report is blanked (a file where none can is not parsed),
and the findings stay those without the prefilter."""

from __future__ import annotations

import textwrap

from errlint.config import Config
from errlint.engine import lint_text
from errlint.prefilter import blank_irrelevant, prefilter_plan
from errlint.rule import LintRule, all_rules

CONFIG = Config(preview=True)


def _rule(code: str) -> type[LintRule]:
    return next(r for r in all_rules() if r.CODE == code)


def _code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _same_findings(text: str, rule: type[LintRule]) -> list[tuple[str, int]]:
    on = lint_text(text, "pkg/m.py", CONFIG, [rule]).findings
    off = lint_text(text, "pkg/m.py", CONFIG, [rule], prefilter=False).findings
    assert on == off
    return [(f.code, f.line) for f in on]


def test_xh304_reads_input_calls_in_the_file_as_read_not_as_blanked() -> None:
    """`input()` in a function the prefilter blanks still makes the module interactive (a bug: with
    the prefilter, the `print` in `load`'s handler was reported, without it not)."""
    text = _code(
        """
        import json


        def ask():
            return input("name? ")


        def load(path):
            try:
                return json.load(open(path))
            except ValueError as err:
                print("bad file", err)
                return None
        """
    )
    rule = _rule("XH304")
    pre = blank_irrelevant(text, prefilter_plan([rule], CONFIG))  # type: ignore[arg-type]
    assert pre is not None and pre.blanked == [(5, 5)]  # `ask` holds no print: blanked
    assert _same_findings(text, rule) == []


def _blanked(text: str, code: str) -> list[tuple[int, int]]:
    pre = blank_irrelevant(text, prefilter_plan([_rule(code)], CONFIG))  # type: ignore[arg-type]
    assert pre is not None and not pre.nothing
    return pre.blanked


def _nothing(text: str, code: str) -> bool:
    pre = blank_irrelevant(text, prefilter_plan([_rule(code)], CONFIG))  # type: ignore[arg-type]
    assert pre is not None
    return pre.nothing


def test_xh301_keeps_eager_messages_and_lazy_arguments_only() -> None:
    text = _code(
        """
        import logging

        log = logging.getLogger(__name__)


        def done():
            log.info("done")
            log.warning(msg)


        def charge(order_id):
            log.info(f"charging {order_id}")
        """
    )
    assert _blanked(text, "XH301") == [(7, 8)]
    assert _same_findings(text, _rule("XH301")) == [("XH301", 12)]


def test_xh301_takes_a_bare_name_for_a_logging_call_of_any_method() -> None:
    """`oops` and `note` are logging calls through module-level bindings the function's region does
    not show: a bare-name call is kept whatever its name."""
    text = _code(
        """
        import logging
        from logging import error as oops

        log = logging.getLogger(__name__)
        note = log.info


        def sync(order_id):
            log.info("syncing")
            oops("sync of %s failed" % order_id)
            note("synced " + order_id)


        def plain():
            log.info("plain")
        """
    )
    assert _blanked(text, "XH301") == [(15, 15)]
    assert _same_findings(text, _rule("XH301")) == [("XH301", 10), ("XH301", 11)]


def test_xh301_file_with_only_constant_messages_is_not_parsed() -> None:
    text = _code(
        """
        import logging

        logging.getLogger(__name__).info("ready")


        def run():
            logging.info("running")
        """
    )
    assert _nothing(text, "XH301")
    assert _same_findings(text, _rule("XH301")) == []


def test_xh302_keeps_error_logs_in_handlers_that_go_on() -> None:
    text = _code(
        """
        import logging
        import sys

        log = logging.getLogger(__name__)


        def reraised():
            try:
                run()
            except OSError as err:
                log.error("run failed: %s", err)
                raise


        def warned():
            try:
                run()
            except OSError as err:
                log.warning("run failed: %s", err)
            log.error("outside")


        def ended():
            try:
                run()
            except OSError as err:
                log.error("run failed: %s", err)
                sys.exit(1)


        def lost():
            try:
                run()
            except OSError as err:
                log.error("run failed: %s", err)
        """
    )
    assert _blanked(text, "XH302") == [(8, 12), (16, 20), (24, 28)]
    assert _same_findings(text, _rule("XH302")) == [("XH302", 35)]


def test_xh303_keeps_messages_that_are_only_the_exception() -> None:
    text = _code(
        """
        import logging

        log = logging.getLogger(__name__)


        def described(path):
            try:
                return open(path)
            except OSError as err:
                log.warning("cannot open %s: %s", path, err)
                log.debug(err)


        def bare(path):
            try:
                return open(path)
            except OSError as err:
                log.warning(f"{err}")
        """
    )
    assert _blanked(text, "XH303") == [(7, 11)]
    assert _same_findings(text, _rule("XH303")) == [("XH303", 18)]


def test_xh304_keeps_prints_in_handlers_that_go_on() -> None:
    text = _code(
        """
        import json


        def show(data):
            print(json.dumps(data))


        def setup_cache(path):
            try:
                return json.load(open(path))
            except ValueError as err:
                print("bad cache", err)


        def load(path):
            try:
                return json.load(open(path))
            except ValueError as err:
                print("bad file", err)
                return None
        """
    )
    assert _blanked(text, "XH304") == [(5, 5), (9, 12)]  # `setup_...`: start-up code
    assert _same_findings(text, _rule("XH304")) == [("XH304", 19)]


def test_xh306_keeps_only_reserved_extra_keys() -> None:
    text = _code(
        """
        import logging

        log = logging.getLogger(__name__)


        def fine(user):
            log.info("login", extra={"user": user})


        def clash(user):
            log.info("login", extra={"name": user})


        def adapter(user):
            return logging.LoggerAdapter(log, dict(module="auth"))
        """
    )
    assert _blanked(text, "XH306") == [(7, 7)]
    assert _same_findings(text, _rule("XH306")) == [("XH306", 11), ("XH306", 15)]


def test_xh307_keeps_error_logs_in_loops_that_go_on() -> None:
    text = _code(
        """
        import logging
        import time

        log = logging.getLogger(__name__)


        def stops(items):
            for item in items:
                try:
                    push(item)
                except OSError:
                    log.error("push failed")
                    break


        def paced(items):
            for item in items:
                try:
                    push(item)
                except OSError:
                    log.error("push failed")
                time.sleep(1)


        def retries(item):
            for attempt in range(3):
                try:
                    push(item)
                except OSError:
                    log.error("push failed")


        def floods(items):
            for item in items:
                try:
                    push(item)
                except OSError:
                    log.error("push failed")
        """
    )
    assert _blanked(text, "XH307") == [(8, 13), (17, 22), (26, 30)]
    assert _same_findings(text, _rule("XH307")) == [("XH307", 38)]


def test_a_lambda_or_function_in_a_handler_is_its_own_frame() -> None:
    """The handler does not cover a lambda or a function defined in it, decorators and defaults
    included (errlint's walker enters the new frame first): nothing to report there for XH303."""
    text = _code(
        """
        import logging

        log = logging.getLogger(__name__)


        def later(path):
            try:
                return open(path)
            except OSError as err:
                callback = lambda: log.error(err)

                @log_on(lambda: log.error(err))
                def report(e=log.error(err)):
                    log.error(err)
                return callback, report
        """
    )
    assert _nothing(text, "XH303")
    assert _same_findings(text, _rule("XH303")) == []
