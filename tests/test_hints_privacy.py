"""The exact prefilter hints of XH401, XH403, XH404, XH504, XH601 and XH605 (`may_report`): per
rule, a function the rule's patterns keep and its hint blanks (or a file it leaves unparsed), with
the same findings as without the prefilter; configurations and import aliases that widen what a
rule reports keep what they must."""

from __future__ import annotations

import ast
import textwrap
from typing import Optional

import pytest

import errlint.rules._hints_privacy as hints
from errlint.config import Config
from errlint.engine import lint_text
from errlint.prefilter import Prefiltered, blank_irrelevant, prefilter_plan
from errlint.regions import Region
from errlint.rule import LintRule, all_rules

CONFIG = Config(preview=True)


def _rule(code: str) -> type[LintRule]:
    return next(r for r in all_rules() if r.CODE == code)


def _code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _blank(code: str, text: str, config: Config = CONFIG) -> Prefiltered:
    rule = _rule(code)
    plan = prefilter_plan([rule], config)
    assert plan is not None and plan.can_match(text)  # the rule's patterns match: only the hint decides
    pre = blank_irrelevant(text, plan)
    assert pre is not None
    return pre


def _same(code: str, text: str, config: Config = CONFIG, path: str = "app/m.py") -> list[tuple[str, int]]:
    rule = _rule(code)
    found = lint_text(text, path, config, [rule]).findings
    assert found == lint_text(text, path, config, [rule], prefilter=False).findings
    return [(f.code, f.line) for f in found]


# --- XH401 -------------------------------------------------------------------------------------


XH401_TEXT = _code(
    """
    import logging

    log = logging.getLogger(__name__)

    def start():
        log.info("starting the worker")
        print("ready", 3, None)

    def login(user, password):
        log.info("login for %s with %s", user, password)
    """
)


def test_xh401_blanks_a_function_whose_calls_pass_only_plain_literals() -> None:
    pre = _blank("XH401", XH401_TEXT)
    assert not pre.nothing and pre.blanked == [(6, 7)]  # `start`; `login` is kept
    assert _same("XH401", XH401_TEXT) == [("XH401", 10)]


def test_xh401_file_with_only_plain_literals_is_not_parsed() -> None:
    text = _code(
        """
        import logging

        log = logging.getLogger(__name__)
        log.info("loaded %s with %d workers", ("a", "b"), 3)

        def start():
            log.info("starting the worker")
        """
    )
    assert _blank("XH401", text).nothing
    assert _same("XH401", text) == []


@pytest.mark.parametrize(
    "call",
    [
        'log.info("signup %s", "jane.roe@contoso-mail.net")',  # a value in a literal
        'log.info("signup " "jane.roe@" "contoso-mail.net")',  # implicit concatenation: libcst's parts
        'log.info("card", card_number=b"4111")',  # bytes next to a sensitive keyword
        'log.info("sent", extra={"ssn": ...})',
        'log.info("x", *rest)',
    ],
)
def test_xh401_keeps_a_literal_that_may_be_reported(call: str) -> None:
    text = f"import logging\nlog = logging.getLogger(__name__)\n\ndef f(rest):\n    {call}\n"
    pre = _blank("XH401", text)
    assert not pre.nothing and pre.blanked == []
    _same("XH401", text)


def test_xh401_hint_holds_under_configured_sinks_and_names() -> None:
    """`report-functions` makes any call a sink and `extend-names` any name sensitive: the hint
    reads neither, so the function stays."""
    text = _code(
        """
        import logging

        log = logging.getLogger(__name__)

        def notify_ops(widget_code):
            log.debug("notifying")
            page_oncall(widget_code)
        """
    )
    config = Config(
        preview=True,
        extend_report_functions=("page_oncall",),
        sections=(("pii", (("extend-names", (("secret", ("widget_code",)),)),)),),
    )
    pre = _blank("XH401", text, config)
    assert not pre.nothing and pre.blanked == []
    assert _same("XH401", text, config) == [("XH401", 7)]
    assert _same("XH401", text) == []  # not without that configuration


# --- XH403 -------------------------------------------------------------------------------------


XH403_TEXT = _code(
    """
    import logging

    log = logging.getLogger(__name__)

    def handle(request, user):
        log.info("user %s from %s", user, request.path)
        raise ValueError(f"bad request {request.method}")

    def debug(request):
        log.debug("headers: %s", request.headers)
    """
)


def test_xh403_blanks_a_function_without_a_dumped_shape() -> None:
    pre = _blank("XH403", XH403_TEXT)
    assert not pre.nothing and pre.blanked == [(6, 7)]
    assert _same("XH403", XH403_TEXT) == [("XH403", 10)]


def test_xh403_follows_an_imported_session_alias() -> None:
    text = _code(
        """
        import logging
        from flask import session as flask_session

        log = logging.getLogger(__name__)

        def show():
            log.debug("session: %s", flask_session)

        def other(user):
            log.info("user %s", user)
        """
    )
    pre = _blank("XH403", text)
    assert not pre.nothing and pre.blanked == [(10, 10)]
    assert _same("XH403", text) == [("XH403", 7)]


# --- XH404 -------------------------------------------------------------------------------------


XH404_TEXT = _code(
    """
    from flask import jsonify as respond

    def fetch(url):
        try:
            return load(url)
        except ValueError:
            return respond(error="bad input"), 400

    def rates(url):
        try:
            return load(url)
        except Exception as exc:
            return respond(error=str(exc)), 500

    def quiet(url):
        try:
            return load(url)
        except Exception as exc:
            log(exc)
    """
)


def test_xh404_needs_exception_text_and_a_response_in_the_region() -> None:
    pre = _blank("XH404", XH404_TEXT)
    # `fetch` has no exception text, `quiet` no response: both blanked; `rates` answers through an
    # alias of `jsonify`, resolved through the module's imports.
    assert not pre.nothing and pre.blanked == [(4, 7), (16, 19)]
    assert _same("XH404", XH404_TEXT) == [("XH404", 13)]


def test_xh404_file_without_a_response_is_not_parsed() -> None:
    text = _code(
        """
        import traceback

        def run(job):
            try:
                job()
            except Exception:
                traceback.print_exc()
        """
    )
    assert _blank("XH404", text).nothing
    assert _same("XH404", text) == []


# --- XH504 -------------------------------------------------------------------------------------


def test_xh504_needs_a_handler_and_a_span_source() -> None:
    text = _code(
        """
        from opentelemetry import trace

        tracer = trace.get_tracer(__name__)

        def tag(key, value):
            trace.get_current_span().set_attribute(key, value)

        def charge(order):
            with tracer.start_as_current_span("charge"):
                try:
                    gateway.charge(order)
                except ConnectionError:
                    log.warning("charge failed")
        """
    )
    pre = _blank("XH504", text)
    assert not pre.nothing and pre.blanked == [(6, 6)]
    assert _same("XH504", text) == [("XH504", 12)]


# --- XH601 -------------------------------------------------------------------------------------


XH601_TEXT = _code(
    """
    import requests
    from requests import get as fetch

    class Client:
        def __init__(self):
            self._session = requests.Session()

        def rates(self, url):
            return self._session.get(url).json()

        def close(self, db_session):
            db_session.commit()

    def latest(url):
        return fetch(url).json()
    """
)


def test_xh601_blanks_a_session_function_without_a_network_call() -> None:
    pre = _blank("XH601", XH601_TEXT)
    # `close` mentions a session but calls none of its request methods; `__init__` binds the
    # session `rates` reads, and `latest` calls an alias of `requests.get`: both kept.
    assert not pre.nothing and pre.blanked == [(12, 12)]
    assert _same("XH601", XH601_TEXT) == [("XH601", 9), ("XH601", 15)]


# --- XH605 -------------------------------------------------------------------------------------


def test_xh605_needs_a_discarded_task_call() -> None:
    text = _code(
        """
        import asyncio
        from asyncio import ensure_future as spawn

        async def observed():
            task = asyncio.create_task(work())
            await task

        def discarded():
            spawn(work())
        """
    )
    pre = _blank("XH605", text)
    assert not pre.nothing and pre.blanked == [(5, 6)]
    assert _same("XH605", text) == [("XH605", 9)]


# --- the module's imports ----------------------------------------------------------------------


def test_imports_are_read_from_the_file_a_region_is_in() -> None:
    """Whatever the prefilter asked before (it stops at the first hint that holds), a function's
    region knows its file's imports: they come from `region.module`, once per file."""
    tree = ast.parse(XH601_TEXT)
    other = ast.parse(XH601_TEXT)
    function = next(s for s in tree.body if isinstance(s, ast.FunctionDef))
    method = next(s for s in tree.body if isinstance(s, ast.ClassDef)).body[0]
    imports: Optional[hints.Imports] = hints.imports_for(Region(function, tree))
    assert imports is not None and imports["fetch"] == {"requests.get"} and imports["requests"] == {"requests"}
    assert hints.imports_for(Region(tree)) is imports
    assert hints.imports_for(Region(method, tree)) is imports  # type: ignore[arg-type]
    again = hints.imports_for(Region(function, other))  # another file: its own imports
    assert again == imports and again is not imports
    assert hints.imports_for(Region(function, ast.parse("pass"))) == {}


def test_unknown_imports_make_any_bare_name_a_candidate() -> None:
    call = ast.parse("fetch(url)").body[0].value  # type: ignore[attr-defined]
    wanted = frozenset({"requests.get"})
    assert hints.may_qualify(call.func, None, wanted)
    assert not hints.may_qualify(call.func, {}, wanted)
    assert hints.may_qualify(call.func, {"fetch": frozenset({"requests.get"})}, wanted)
    attribute = ast.parse("r.get(url)").body[0].value.func  # type: ignore[attr-defined]
    assert hints.may_qualify(attribute, None, wanted)  # the last segment matches
    assert hints.may_qualify(attribute, {"r": frozenset({"requests"})}, wanted)
    assert not hints.may_qualify(attribute, {}, wanted)


def test_xh403_request_parts_need_a_request() -> None:
    text = _code(
        """
        import logging
        from flask import request as rq

        log = logging.getLogger(__name__)

        def parse(message):
            log.info("fields: %s", message.headers)

        def incoming():
            log.debug("headers: %s", rq.headers)
        """
    )
    pre = _blank("XH403", text)
    assert not pre.nothing and pre.blanked == [(7, 7)]  # `message.headers` is no request's
    assert _same("XH403", text) == [("XH403", 10)]
