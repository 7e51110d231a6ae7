"""XH604: one handler for an infrastructure failure and a user error together."""

from __future__ import annotations

from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.analysis import Handler, dotted_name, iter_scope
from errlint.finding import Impact, Severity
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._helpers import caught_label
from errlint.rules._hints_catching import may_mix_impacts
from errlint.taxonomy import Kind, classify


# Left out on both sides: plain `OSError` is as often a local file or a closed descriptor as an
# outage, and `TypeError`/`AssertionError` are usually programming guards, not bad input.
_AMBIGUOUS = frozenset(
    {"OSError", "IOError", "EnvironmentError", "InterruptedError", "BlockingIOError", "TypeError", "AssertionError"}
)


class MixedImpactHandler(LintRule):
    """
    ## What it does
    Checks for one `except (...)` clause that catches an infrastructure failure (`OSError`,
    `ConnectionError`, `TimeoutError`, `requests.RequestException`, `sqlalchemy.exc.OperationalError`,
    …) together with a user error (`ValueError`, `KeyError`, `TypeError`, validation and decoding
    errors, …) and treats them the same way. A handler that tells them apart in its body
    (`isinstance(err, ...)`, `type(err)`) is not flagged, and neither is one that re-raises the
    caught exception (`raise`, `raise err`): each type still reaches its own handler upstream,
    this one only adds a note, cleans up or logs. Plain `OSError` (`IOError`,
    `EnvironmentError`) does not count as infrastructure here, because it is as often a missing
    local file or a closed descriptor as an outage (`except (OSError, ValueError): return
    default` around reading a config file is one failure, "no usable config"); `TypeError` and
    `AssertionError` do not count as user errors, because they are usually programming guards.
    Their subclasses that do name an outage (`ConnectionError`, `TimeoutError`, `socket.gaierror`)
    still count.

    The two lists are the shared exception taxonomy; extend them with
    `infrastructure-exceptions` and `user-error-exceptions` in `[tool.errlint]`.

    Test code is checked too.

    ## Why is this bad?
    The two kinds of failure need different answers. An outage is the operator's problem: log at
    error level, alert, retry or answer 503. Bad input is the caller's problem: answer 4xx with
    the reason, log at info, never retry. One handler gives both the same answer, so either bad
    input pages someone at night or an outage is reported to users as their mistake (and hidden
    from the on-call dashboards).

    ## Example
    ```python
    def place_order(payload):
        try:
            order = parse_order(payload)
            return payments.charge(order)
        except (ConnectionError, ValueError):
            return {"error": "could not place order"}, 400
    ```

    Use instead:
    ```python
    def place_order(payload):
        try:
            order = parse_order(payload)
            return payments.charge(order)
        except ValueError as err:
            return {"error": f"invalid order: {err}"}, 400
        except ConnectionError:
            logger.exception("payments unreachable")
            return {"error": "payments unavailable, try again later"}, 503
    ```

    ## References
    - [Google SRE book: Handling overload](https://sre.google/sre-book/handling-overload/)
    - [RFC 9110: Client error 4xx and server error 5xx status codes](https://www.rfc-editor.org/rfc/rfc9110#name-status-codes)
    """

    CODE: ClassVar[str] = "XH604"
    NAME: ClassVar[str] = "mixed-impact-handler"
    MESSAGE: ClassVar[str] = (
        "`{caught}` handles an infrastructure failure (`{infra}`) and a user error (`{user}`) the same way: "
        "split them, they need different logging, status and retries"
    )
    SEVERITY: ClassVar[Severity] = Severity.INFO
    IMPACT: ClassVar[Impact] = Impact.OBSERVABILITY
    PREVIEW: ClassVar[bool] = True
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\bexcept\b",)
    ANALYSES: ClassVar[tuple[str, ...]] = ("handler-facts",)

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            def place_order(payload):
                try:
                    return charge(parse_order(payload))
                except ValueError as err:
                    return {"error": str(err)}, 400
                except ConnectionError:
                    return {"error": "unavailable"}, 503
            """
        ),
        Valid(
            """
            def place_order(payload):
                try:
                    return charge(parse_order(payload))
                except (ConnectionError, ValueError) as err:
                    status = 503 if isinstance(err, ConnectionError) else 400
                    return {"error": "failed"}, status
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            def place_order(payload):
                try:
                    return charge(parse_order(payload))
                except (ConnectionError, ValueError):
                    return {"error": "could not place order"}, 400
            """,
            expected_message=(
                "`except (ConnectionError, ValueError):` handles an infrastructure failure (`ConnectionError`) "
                "and a user error (`ValueError`) the same way: split them, they need different logging, "
                "status and retries"
            ),
            line=4,
            column=13,
        ),
        Invalid(
            """
            import requests
            from json import JSONDecodeError

            async def rates():
                try:
                    return (await fetch()).json()
                except* (JSONDecodeError, requests.Timeout) as group:
                    def describe():
                        return isinstance(group, requests.Timeout)  # not the handler's own code
                    raise RatesUnavailable(describe()) from group
            """,
            expected_message=(
                "`except* (JSONDecodeError, requests.Timeout):` handles an infrastructure failure "
                "(`requests.Timeout`) and a user error (`JSONDecodeError`) the same way: split them, they "
                "need different logging, status and retries"
            ),
            line=7,
            column=14,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a handler for a tuple of types neither re-raises nor tells them apart."""
        return may_mix_impacts(region)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._check(node)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._check(node)

    def _check(self, handler: Handler) -> None:
        if not isinstance(handler.type, cst.Tuple):
            return
        facts = self.context.handler_facts(handler)
        config = self.context.config
        infra = user = None
        for caught in facts.types:
            if (caught.qualified or caught.name) in _AMBIGUOUS:
                continue
            kind = classify(caught.name, caught.qualified, config)
            if kind is Kind.INFRASTRUCTURE and infra is None:
                infra = caught.name
            elif kind is Kind.USER_ERROR and user is None:
                user = caught.name
        if infra is None or user is None:
            return
        if facts.name is not None and _tells_apart(handler, facts.name):
            return
        if any(_reraises_caught(r, facts.name) for r in facts.raises):
            return  # each type propagates as itself; the handler only adds to it or cleans up
        self.report(handler.type, caught=caught_label(handler), infra=infra, user=user)


def _reraises_caught(node: cst.Raise, name: Optional[str]) -> bool:
    """`raise` or `raise err` (the caught exception, under its own type)."""
    if node.exc is None:
        return True
    return name is not None and isinstance(node.exc, cst.Name) and node.exc.value == name and node.cause is None


def _tells_apart(handler: Handler, name: str) -> bool:
    """The handler's own body branches on the exception's type."""
    for node in iter_scope(handler.body):
        if not isinstance(node, cst.Call):
            continue
        func = dotted_name(node.func)
        if func in ("isinstance", "type") and node.args:
            if isinstance(node.args[0].value, cst.Name) and node.args[0].value.value == name:
                return True
    return False
