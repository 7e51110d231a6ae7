"""XH403: a whole object that carries private data logged or raised."""

from __future__ import annotations

import ast
from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.finding import Impact, Severity
from errlint.logcalls import WARNING
from errlint.regions import Region, last_segment
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._hints_privacy import imports_for, may_qualify
from errlint.sensitive import (
    _IMPORTED_DUMPS, _JSON_DUMPS, _REQUEST_NAMES, _REQUEST_QUALIFIED, _RESPONSE_NAMES, _RESPONSE_PARTS,
    _SERIALIZE_FUNCTIONS, _SERIALIZE_METHODS, BUILTIN_EXCEPTIONS, DUMP, EXCEPTION, EXCEPTION_PATTERNS, PRINT,
    REQUEST_PARTS, SENTRY, SINK_PATTERNS, SPAN, WARN, PrivacyOptions, Sink, privacy,
)  # fmt: skip

# `dump_attribute` and `dump_call` by name: on a request, on a response, and what `dump_call` qualifies.
_AST_REQUEST_ATTRIBUTES = frozenset(REQUEST_PARTS) | {"session", "json", "get_json", "get_data", "body", "form"}
_AST_RESPONSE_ATTRIBUTES = _RESPONSE_PARTS | {"json"}
_AST_DUMP_CALLS = _SERIALIZE_FUNCTIONS | _JSON_DUMPS


def _ast_is_request(node: ast.expr, imports: dict[str, frozenset[str]]) -> bool:
    """`PrivacyAnalysis.is_request` on CPython's tree: named like a request, or may qualify to one."""
    return last_segment(node) in _REQUEST_NAMES or may_qualify(node, imports, _REQUEST_QUALIFIED)


_WHERE = {
    PRINT: "printed by a `{label}` call",
    WARN: "sent in a `{label}` call",
    SENTRY: "sent to Sentry in a `{label}` call",
    SPAN: "recorded on a span in a `{label}` call",
    EXCEPTION: "interpolated into the message of `{label}`",
}


class ObjectDumpInLog(LintRule):
    """
    ## What it does
    Checks for whole objects that carry private data written to a log sink (the XH401 sinks) or
    into an exception message: a request's `headers`, `body`, `data`, `json()`, `form`, `POST`,
    `GET`, `args`, `cookies`, `META`, `FILES` and its `session`; `response.text`/`.content`/
    `.json()` logged below warning level; `locals()`; `vars(x)` and `x.__dict__` of an object
    that carries personal data (a request, user, customer, order, form... or a name in the XH401
    vocabulary; `self` in a class named like one); serialized models (`.model_dump()`, `.dict()`,
    `.to_dict()`, `._asdict()`, `asdict(x)`, `model_to_dict(x)`), and `json.dumps(x)` of such an
    object (`json.dumps(user)`).

    Simple data flow is followed (`headers = dict(request.headers); log.debug("%s", headers)`).
    A name is not treated as an object when it is bound to a string (`user = getpass.getuser()`,
    `user: str`, `user = conn.login`) or is a login name next to `password`/`host`/`port`
    connection parameters.

    ## Why is this bad?
    A whole object logs every field it has today and every field added tomorrow: `Authorization`
    and `Cookie` headers, passwords in form posts, tokens in query strings, the email and address
    of a user record, the arguments of every local variable. Nobody reviewing the log line can see
    what it will print. Log the specific, non-private fields you need (`user.id`, `request.path`,
    `response.status_code`).

    ## Example
    ```python
    import logging

    log = logging.getLogger(__name__)

    def handle(request):
        log.debug("incoming request headers: %s", request.headers)
    ```

    Use instead:
    ```python
    import logging

    log = logging.getLogger(__name__)

    def handle(request):
        log.debug("incoming %s %s", request.method, request.path)
    ```

    ## Options
    - `include-tests` (default `false`; `[tool.errlint.rules.XH403]`): also check test code (files
      under `test-paths`: test suites, fixtures, `examples/` and `demos/`; test functions and
      classes anywhere), which is skipped by default because its data is synthetic. Migrations
      and management commands are never checked: they run on the console of the person who owns
      the data.
    - `[tool.errlint.pii]` does not apply: the objects are recognised by shape, not by name.

    Decisions: an object interpolated into text (`f"denied for {user!r}"`, `log.info("%s",
    request)`, `raise ValueError(f"bad {payload}")`) is `str()`/`repr()` of it: the short
    representation its class defines (`<WSGIRequest: GET '/x'>`, `alice@realm`), not a dump of
    its fields, and is not reported; the dumps are the shapes listed above. An object passed as a
    whole argument to a custom exception class (`raise RoutingRedirect(request.form)`) is a field
    of the exception, not its message, and is not reported (it is for builtin exceptions, whose
    `str()` shows their arguments). A response body is what an upstream service said: in a
    failure report (an exception message, a log at warning level or above) or on an error path
    (in an `except` handler, or a branch that checks `status_code`/`ok` or tests for an error,
    `if "error" in payload:`) it describes the failure and is not reported. Joining or sorting a
    mapping (`", ".join(vars(x))`) uses its keys, not a dump. An object reaching the sink through
    a variable bound in another branch is not followed.

    ## References
    - [OWASP Logging Cheat Sheet: data to exclude](https://cheatsheetseries.owasp.org/cheatsheets/Logging_Cheat_Sheet.html#data-to-exclude)
    - [CWE-532: Insertion of Sensitive Information into Log File](https://cwe.mitre.org/data/definitions/532.html)
    """

    CODE: ClassVar[str] = "XH403"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "object-dump-in-log"
    MESSAGE: ClassVar[str] = "Whole {what} `{expr}` {where}; log only the fields you need"
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    IMPACT: ClassVar[Impact] = Impact.DATA_EXPOSURE
    Options: ClassVar[Optional[type]] = PrivacyOptions
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (*SINK_PATTERNS, *EXCEPTION_PATTERNS)
    ANALYSES: ClassVar[tuple[str, ...]] = ("privacy",)

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            import logging

            log = logging.getLogger(__name__)

            def handle(request, user):
                log.info("%s %s by user %s", request.method, request.path, user.id)
                log.info("request id %s", request.headers.get("X-Request-Id"))
            """
        ),
        Valid(
            """
            import getpass
            import logging

            log = logging.getLogger(__name__)

            def connect(host, port, user, password):
                log.info("connecting to %s:%s as %s", host, port, user)

            def whoami():
                user = getpass.getuser()
                log.info("running as %s", user)
            """
        ),
        Valid(
            """
            import logging

            from flask import request
            from flask_login import current_user

            log = logging.getLogger(__name__)

            def deny(user, profile, payload):
                # `str()` of an object is its own short representation, not a dump of its fields.
                log.info(f"permission denied for {user!r} on {request.path}")
                log.warning("cannot refresh %s for %s (%s)", profile, current_user, request)
                raise PermissionError(f"user {user} may not send {payload}")
            """
        ),
        Valid(
            """
            import logging

            import requests

            log = logging.getLogger(__name__)

            def send(url, data):
                response = requests.post(url, json=data, timeout=5)
                payload = response.json()
                if "error" in payload:
                    log.info("gateway refused: %s", payload)  # the error body describes the failure
                    return False
                if response.text != "OK":
                    log.warning("unexpected reply %s", response.text)  # a failure report
                    raise GatewayError(f"gateway replied {response.text}")
                return True
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            import logging

            log = logging.getLogger(__name__)

            def handle(request):
                log.debug("incoming request headers: %s", request.headers)
            """,
            expected_message="Whole request headers `request.headers` logged in a `log.debug` call; log only the fields you need",
            expected_severity=Severity.WARNING,
            line=6,
            column=47,
        ),
        Invalid(
            """
            import json

            def save(profile):
                try:
                    profile.save()
                except (OSError, ValueError) as err:
                    raise RuntimeError(f"could not save {json.dumps(profile)}") from err
            """,
            expected_message="Whole serialized object `json.dumps(profile)` interpolated into the message of `RuntimeError`; log only the fields you need",
            expected_severity=Severity.WARNING,
            line=7,
            column=46,
        ),
        Invalid(
            """
            import logging

            log = logging.getLogger(__name__)

            def checkout(cart):
                try:
                    cart.pay()
                except* ConnectionError:
                    log.exception("checkout failed, state: %s", locals())
            """,
            expected_message="Whole local variables `locals()` logged in a `log.exception` call; log only the fields you need",
            expected_severity=Severity.WARNING,
            line=9,
            column=53,
        ),
        Invalid(
            """
            import httpx
            import logging

            log = logging.getLogger(__name__)

            async def fetch(client, url):
                response = await client.get(url)
                body = response.json()
                log.debug("upstream sent %s", body)
                return body
            """,
            expected_message="Whole response body `response.json()` (via `body`) logged in a `log.debug` call; log only the fields you need",
            expected_severity=Severity.WARNING,
            line=9,
            column=35,
        ),
        Invalid(
            """
            import logging

            log = logging.getLogger(__name__)

            class Customer:
                def save(self):
                    log.info("saving customer %s", vars(self))
            """,
            expected_message="Whole object attributes `vars(self)` logged in a `log.info` call; log only the fields you need",
            expected_severity=Severity.WARNING,
            line=7,
            column=40,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where one of the dumped shapes occurs (any call may be a sink under some
        configuration, and data flow stays in the scope, inside the region): a request part or
        `session` of a request (named `request`, `req`... or an import of Flask's, Quart's...),
        a response body, `__dict__`; a serializing method, `request.json()`/`get_json()`...;
        `locals()`/`vars()`; a call that may be `asdict`, `model_to_dict` or `json.dumps`; a name
        that may be Flask's or Quart's imported `session`."""
        imports = imports_for(region)
        if imports is None:
            return True  # any name may be an imported `session` or `request`
        sessions = {local for local, targets in imports.items() if not targets.isdisjoint(_IMPORTED_DUMPS)}
        for node in region.nodes():
            if isinstance(node, ast.Attribute):
                attr = node.attr
                if attr == "__dict__" or attr in _SERIALIZE_METHODS:
                    return True
                if attr in _AST_REQUEST_ATTRIBUTES and _ast_is_request(node.value, imports):
                    return True
                if attr in _AST_RESPONSE_ATTRIBUTES and last_segment(node.value) in _RESPONSE_NAMES:
                    return True
            elif isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id in ("locals", "vars"):
                    return True
                if may_qualify(func, imports, _AST_DUMP_CALLS):
                    return True
            elif isinstance(node, ast.Name) and node.id in sessions:
                return True
        return False

    def visit_Call(self, node: cst.Call) -> None:
        analysis = privacy(self.context)
        if analysis.skips(self.options):
            return
        for sink in (analysis.log_sink(node), analysis.exception_sink(node)):
            if sink is None:
                continue
            where = _WHERE.get(sink.kind, "logged in a `{label}` call").format(label=sink.label)
            for hit in analysis.hits(sink):
                if hit.kind != DUMP:
                    continue
                if hit.category == "response body" and self._reports_failure(sink):
                    continue  # what the upstream said, in the report of its failure
                if sink.kind == EXCEPTION and hit.direct and sink.label not in BUILTIN_EXCEPTIONS:
                    continue  # a custom exception stores the object as a field; it is not its message
                expr = hit.label
                if hit.via and hit.via != hit.label:
                    expr = f"{expr}` (via `{hit.via}`)"
                    message = f"Whole {hit.category} `{expr} {where}; log only the fields you need"
                else:
                    message = self.MESSAGE.format(what=hit.category, expr=expr, where=where)
                self.report(hit.node, message=message)

    def _reports_failure(self, sink: Sink) -> bool:
        """An exception message or a log at warning level or above: a failure report."""
        if sink.kind == EXCEPTION:
            return True
        log = self.context.log_call(sink.call)
        return log is not None and log.level is not None and log.level >= WARNING
