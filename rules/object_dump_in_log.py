"""XH403: a whole object that carries private data logged or raised."""

from __future__ import annotations

from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.finding import Impact, Severity
from errlint.rule import Invalid, LintRule, Valid
from errlint.sensitive import (
    BUILTIN_EXCEPTIONS, DUMP, EXCEPTION, EXCEPTION_PATTERNS, PRINT, SENTRY, SINK_PATTERNS, SPAN, WARN, PrivacyOptions,
    privacy,
)  # fmt: skip

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
    into an exception message: the `request` object and its `headers`, `body`, `data`, `json()`,
    `form`, `POST`, `GET`, `args`, `cookies`, `META`, `FILES`; `response.text`/`.content`/`.json()`;
    `user`, `current_user`, `customer`, `account`, `profile`, `patient`, `payload` objects,
    `request.user` and `request.session`; `locals()`; `vars(x)` and `x.__dict__` of an object
    that carries personal data (a request, user, customer, order, form... or a name in the XH401
    vocabulary; `self` in a class named like one); and serialized models (`.model_dump()`,
    `.dict()`, `.to_dict()`, `._asdict()`, `asdict(x)`, `model_to_dict(x)`).

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
    - `include-tests` (default `false`; `[tool.errlint.rules.XH403]`): also check test modules
      (`tests/`, `test_*.py`, `*_test.py`, `conftest.py`), which are skipped by default because
      their data is synthetic.
    - `[tool.errlint.pii]` does not apply: the objects are recognised by shape, not by name.

    Decisions: a bare `request` (or `self.request`) is an object dump only in modules that import a
    web framework (elsewhere it is often a task or RPC context); an object passed as a whole
    argument to a custom exception class (`raise RoutingRedirect(request)`) is a field of the
    exception, not its message, and is not reported (it is for builtin exceptions, whose
    `str()` shows their arguments). A response body on an error path (in an `except` handler, or
    a branch that checks `status_code`/`ok`) describes the error and is not reported. Joining or
    sorting a mapping (`", ".join(vars(x))`) uses its keys, not a dump. An object reaching the
    sink through a variable bound in another branch is not followed.

    ## References
    - [OWASP Logging Cheat Sheet: data to exclude](https://cheatsheetseries.owasp.org/cheatsheets/Logging_Cheat_Sheet.html#data-to-exclude)
    - [CWE-532: Insertion of Sensitive Information into Log File](https://cwe.mitre.org/data/definitions/532.html)
    """

    CODE: ClassVar[str] = "XH403"
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
            def save(profile):
                try:
                    profile.save()
                except (OSError, ValueError) as err:
                    raise RuntimeError(f"could not save {profile}") from err
            """,
            expected_message="Whole profile object `profile` interpolated into the message of `RuntimeError`; log only the fields you need",
            expected_severity=Severity.WARNING,
            line=5,
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
                log.warning("upstream said %s", body)
            """,
            expected_message="Whole response body `response.json()` (via `body`) logged in a `log.warning` call; log only the fields you need",
            expected_severity=Severity.WARNING,
            line=9,
            column=37,
        ),
    ]

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
                if sink.kind == EXCEPTION and hit.direct and sink.label not in BUILTIN_EXCEPTIONS:
                    continue  # a custom exception stores the object as a field; it is not its message
                expr = hit.label
                if hit.via and hit.via != hit.label:
                    expr = f"{expr}` (via `{hit.via}`)"
                    message = f"Whole {hit.category} `{expr} {where}; log only the fields you need"
                else:
                    message = self.MESSAGE.format(what=hit.category, expr=expr, where=where)
                self.report(hit.node, message=message)
