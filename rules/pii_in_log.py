"""XH401: a sensitive name or value (PII, secret) reaches a log, print, warning, Sentry or span."""

from __future__ import annotations

import ast
from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.finding import Impact, Severity
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._hints_privacy import imports_for
from errlint.sensitive import (
    ACCOUNT_ID, BIND, BUILTIN_NAMES, DUMP, EXCEPTION, NAME, PRINT, SENTRY, SINK_PATTERNS, SPAN, WARN, Hit,
    PrivacyOptions, Sink, privacy,
)  # fmt: skip

VERBS = {PRINT: "printed by", WARN: "sent in", SENTRY: "sent to Sentry in", SPAN: "recorded on a span in", BIND: "bound to a logger in"}


def describe(hit: Hit) -> str:
    """`password` (secret), `email` (contact, via `msg`), an email address (contact)."""
    via = f", via `{hit.via}`" if hit.via and hit.via != hit.label else ""
    subject = f"`{hit.label}`" if hit.kind == NAME else hit.label[:1].upper() + hit.label[1:]
    return f"{subject} ({hit.category}{via})"


def reportable(hits: Sequence[Hit]) -> list[Hit]:
    """Names and values; account ids only next to another category in the same sink."""
    data = [h for h in hits if h.kind != DUMP]
    if not any(h.category != ACCOUNT_ID for h in data):
        return []
    return data


def companion(hit: Hit, hits: Sequence[Hit]) -> str:
    """For an account id: the other private datum it is logged with (`email`)."""
    for other in hits:
        if other.category != ACCOUNT_ID:
            return f"`{other.label}`" if other.kind == NAME else other.label
    return ""


# Literals one of which a string holding a private value (`errlint.knowledge.values.find_values`)
# contains: an email, credentials in a URL, a JWT, a PEM key and the key shapes' prefixes.
_VALUE_MARKERS = ("@", "://", "eyJ", "PRIVATE KEY", "AKIA", "ASIA", "ABIA", "ACCA", "A3T", "ghp_", "gho_", "ghu_",
                  "ghs_", "ghr_", "github_pat_", "xox", "k_live_", "AIza", "sk-")  # fmt: skip


_TYPE_PARAMS = tuple(getattr(ast, n) for n in ("TypeVar", "ParamSpec", "TypeVarTuple") if hasattr(ast, n))


def _may_carry(arg: ast.expr, keyed: bool = False) -> bool:
    """An argument that may carry a sensitive name or value (`keyed`: the value of a keyword or
    dict key, which any vocabulary may name: only what `value_hidden` hides is safe there).

    A string literal needs a value marker or 9 digits (cards, SSNs, IBANs); an implicit
    concatenation is one literal here and several for libcst, but what every part needs is in
    the whole. A tuple, list or set is its elements; a dict is its values, each keyed.
    """
    if isinstance(arg, ast.Constant):
        value = arg.value
        if isinstance(value, str):
            return any(marker in value for marker in _VALUE_MARKERS) or sum(ch.isdigit() for ch in value) >= 9
        if isinstance(value, (bytes, type(...))):
            return keyed  # nothing to scan, but not hidden next to a sensitive key
        return False  # numbers, None/True/False
    if keyed:
        return True
    if isinstance(arg, (ast.Tuple, ast.List, ast.Set)):
        return any(_may_carry(e) for e in arg.elts)
    if isinstance(arg, ast.Dict):
        return any(k is None or _may_carry(v, keyed=True) for k, v in zip(arg.keys, arg.values))
    return True


class PiiInLog(LintRule):
    """
    ## What it does
    Checks for sensitive names and values — secrets, government ids, financial, health, contact,
    identity and network data — written to a log sink: a logging call (the message, `%` and
    f-string parts, `extra=` keys and values), structlog/loguru keyword fields and `.bind()`,
    `print`, `warnings.warn`, Sentry's `set_user`/`set_context`/`set_extra`/`set_tag`/
    `capture_message`, and OpenTelemetry span data: `span.set_attribute(s)`/`add_event` and the
    `attributes=` of `tracer.start_as_current_span`/`start_span`. String literals that look like
    private data (emails, card numbers passing the Luhn check, JWTs, cloud and API key shapes, PEM
    private keys, credentials in URLs) are reported too.

    Names are matched on whole tokens of the last name segment, dict keys and keyword names
    (`user.email`, `extra={"ssn": v}`, `log.bind(api_key=k)`), ending at the name's head:
    `password` and `db_password` are secrets, but `password_hash`, `is_password_set`,
    `token_count`, `max_tokens`, `author` and `email_domain` are not. Simple data flow inside the
    function is followed (`msg = f"reset for {email}"; log.info(msg)`), and a value passed through
    a redaction, hashing or length call (`mask(email)`, `hashlib.sha256(...)`, `len(token)`, a short
    slice `token[:6]`) is safe. Account ids (`user_id`, `username`) are only reported in a call
    that also logs another category: on their own they are what logs should carry.

    The severity follows the category: secrets, government ids, financial and health data are
    errors; contact, identity and network data are warnings; account ids are info.

    ## Why is this bad?
    Logs are copied to aggregators, tickets, laptops and third parties, kept for months and read
    by people who must not see passwords, card numbers or health data. A password or session token
    in a log is a credential leak; an email or IP address in a log makes the log itself personal
    data under GDPR/CCPA, with deletion and access obligations. Log an identifier of the subject
    (a user id, a request id), never the private value.

    ## Example
    ```python
    import logging

    log = logging.getLogger(__name__)

    def login(username, password):
        log.info("login attempt for %s with %s", username, password)
    ```

    Use instead:
    ```python
    import logging

    log = logging.getLogger(__name__)

    def login(username, password):
        log.info("login attempt for %s", username)
    ```

    ## Options
    Configured under `[tool.errlint.pii]` (shared by XH401–XH403):
    - `extend-names = {category = ["name", ...]}` adds names to a category (`secret`,
      `government-id`, `financial`, `health`, `contact`, `identity`, `network`, `account-id`);
      names are tokenized like identifiers, so `member_no` also matches `memberNo`.
    - `allow-names = ["name", "glob*"]` never reports the exact names listed (as token sequences:
      `next_token` also allows `nextToken`) or names matching a glob on their snake_case form.
    - `severity = {category = "error" | "warning" | "info"}` overrides a category's severity.
    - `include-tests` (default `false`; `[tool.errlint.rules.XH401]`): also check test code (files
      under `test-paths`: test suites, fixtures, `examples/` and `demos/`; test functions and
      classes anywhere), which is skipped by default because its data is synthetic. Migrations
      and management commands are never checked: they run on the console of the person who owns
      the data.

    Decisions: bare `address`, `location`, `signature`, `salt`, `certificate`, `session`, `key` and
    `user_agent` are not in the default vocabulary (in real code they are mostly sockets, file
    locations, `inspect.Signature`s, Django signing salts, public certificates, database sessions
    and dict keys); add them with `extend-names` if they are private in your code. A bare `token` in
    a lexer/parser/template/SQL/ORM module, or one whose attributes are read (`token.type`) or that
    is a loop variable, is a parser token; a `..._token` is a credential only after a word like
    `access`, `refresh`, `auth`, `api`, `csrf`, `session`, `reset` (`next_token`, `page_token`,
    `parent_token` and `prompt_tokens` are not). `session_id` and `session_key` are web-session
    secrets only in modules that import a web framework, and `fullname` is a qualified (module,
    table) name. A value tested empty or of the wrong type in an enclosing `if not token:` / `if not
    isinstance(token, str):` is not reported, nor is `"{path}".format(**locals())` beyond the fields
    the template names. A value compared with string constants in an enclosing `if hotp != "HOTP":`
    / `if mode not in ("a", "b"):` is a setting, not private data; nor is one in the `else:` branch
    of an `isinstance` check (`raise ValueError(f"expected a string, got {urls!r}")`). A name that
    starts with `path`/`file`/`dir` (`path_to_private_key`) names where a secret is kept, not the
    secret; `x.full_name` is a person's name only on a person-like object (`user.full_name`, not
    `datasource.full_name`); a module constant whose value is its own name (`DATABASES_KEY =
    "databases"`) is a key, not data. Network addresses are not reported where they are the code's
    own domain data: in modules that import an address library (`ipaddress`, `netaddr`, ...) and in
    functions named after what they handle (`block_ip`, `revoke_device`, `get_machines`) or in
    access logs (`log_request`, `log_access`). Contact data is not reported in code that sends to it
    (a function or class named for sending, submitting, delivering or notifying: `submit_message`,
    `SmsProvider.send`, a notification handler), where the destination is the diagnostic of the
    delivery. The `token`/`secret` attribute of a business record (`order.token`, `checkout.token`,
    `ticket.secret`, a gift card's `gc.secret`) is that record's own code or id, not a credential of
    the system. What a command-line program prints (a module with a `__main__` guard or a CLI
    framework import, a file under `scripts/`, `tools/` or `bin/`) is its output, read by the person
    who ran it. Well-known test card numbers with repeated digits, reserved domains (`example.com`)
    and role addresses (`noreply@`, `support@`), and placeholder URL passwords (`user:password@`)
    are not reported.

    ## References
    - [OWASP Logging Cheat Sheet: data to exclude](https://cheatsheetseries.owasp.org/cheatsheets/Logging_Cheat_Sheet.html#data-to-exclude)
    - [CWE-532: Insertion of Sensitive Information into Log File](https://cwe.mitre.org/data/definitions/532.html)
    - [Sentry: scrubbing sensitive data](https://docs.sentry.io/platforms/python/data-management/sensitive-data/)
    """

    CODE: ClassVar[str] = "XH401"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "pii-in-log"
    MESSAGE: ClassVar[str] = "{subject} logged in a `{sink}` call"
    SEVERITY: ClassVar[Severity] = Severity.ERROR
    IMPACT: ClassVar[Impact] = Impact.DATA_EXPOSURE
    Options: ClassVar[Optional[type]] = PrivacyOptions
    PREFILTER: ClassVar[Optional[Sequence[str]]] = SINK_PATTERNS
    ANALYSES: ClassVar[tuple[str, ...]] = ("privacy",)

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            import logging

            log = logging.getLogger(__name__)

            def login(user_id, password_hash, token_count, author):
                log.info("login for %s (%s, %d tokens) by %s", user_id, password_hash, token_count, author)
            """
        ),
        Valid(
            """
            import hashlib
            import logging

            log = logging.getLogger(__name__)

            def subscribe(email, token):
                digest = hashlib.sha256(email.encode()).hexdigest()
                log.info("subscribed %s with key %s...", digest, token[:6])
                log.info("email length %d, masked %s", len(email), mask(email))
            """
        ),
        Valid(
            """
            import logging

            log = logging.getLogger(__name__)

            class Lexer:
                def next(self):
                    token = self.tokens.pop()
                    log.debug("token %r at %d", token, token.start)
                    return token
            """
        ),
        Valid(
            """
            import ipaddress
            import logging

            log = logging.getLogger(__name__)

            def never_block(source_ip):
                # an IP blocklist: addresses are the module's own domain data
                log.info("not blocking %s", ipaddress.ip_address(source_ip))
                log.info("IP %s is on the allowlist", source_ip)
            """
        ),
        Valid(
            """
            import logging

            log = logging.getLogger(__name__)
            DATABASES_KEY = "databases"

            def export(datasource, databases, path_to_private_key, hotp):
                log.info("importing from %s", datasource.full_name)
                log.info("exported %d %s", len(databases), DATABASES_KEY)
                log.info("reading key file %s", path_to_private_key)
                if hotp != "HOTP":
                    log.warning("unsupported algorithm %s", hotp)
            """
        ),
        Valid(
            """
            def report(pairs):
                for a, b in zip(*pairs):
                    print(a, b, file=sys.stderr)
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            import logging

            logger = logging.getLogger(__name__)

            def login(username, password):
                logger.info("login attempt for %s with %s", username, password)
            """,
            expected_message="`username` (account-id, with `password`) logged in a `logger.info` call",
            expected_severity=Severity.INFO,
            line=6,
            column=49,
            expected_count=2,
        ),
        Invalid(
            """
            import structlog

            log = structlog.get_logger()

            def signup(user):
                email = user.email
                msg = f"welcome {email}"
                log.warning(msg, plan=user.plan)
            """,
            expected_message="`email` (contact, via `msg`) logged in a `log.warning` call",
            expected_severity=Severity.WARNING,
            line=8,
            column=17,
        ),
        Invalid(
            """
            import logging

            log = logging.getLogger(__name__)

            async def charge(request, card_number):
                try:
                    await gateway.charge(card_number)
                except* ConnectionError:
                    log.error("charge failed", extra={"card_number": card_number})
                    raise
            """,
            expected_message="`card_number` (financial) logged in a `log.error` call",
            expected_severity=Severity.ERROR,
            line=9,
            column=43,
        ),
        Invalid(
            """
            import sentry_sdk

            def identify(user):
                sentry_sdk.set_user({"id": user.id, "email": user.email})
            """,
            expected_message="`email` (contact) sent to Sentry in a `sentry_sdk.set_user` call",
            expected_severity=Severity.WARNING,
            line=4,
            column=41,
        ),
        Invalid(
            """
            from opentelemetry import trace

            def handle(request):
                span = trace.get_current_span()
                span.set_attribute("client.ip", request.remote_addr)
            """,
            expected_message="`client.ip` (network) recorded on a span in a `span.set_attribute` call",
            expected_severity=Severity.WARNING,
            line=5,
            column=24,
        ),
        Invalid(
            """
            def connect():
                print("connecting to postgres://app:Xk29vLq7mZ@db.internal:5432/app")
            """,
            expected_message="Credentials in a URL (secret) printed by a `print` call",
            expected_severity=Severity.ERROR,
            line=2,
            column=11,
        ),
        Invalid(
            """
            import logging

            log = logging.getLogger(__name__)

            def audit(user):
                try:
                    user.save()
                except (OSError, ValueError) as err:
                    def later():
                        log.warning("saved %s for %s", user.ssn, user.user_id)
                    log.warning("save failed: %s", err)
            """,
            expected_message="`user.ssn` (government-id) logged in a `log.warning` call",
            expected_severity=Severity.ERROR,
            line=10,
            column=44,
            expected_count=2,
        ),
        Invalid(
            """
            import logging

            log = logging.getLogger(__name__)
            log.info("signup %s", "jane.roe@contoso-mail.net")
            """,
            expected_message="An email address (contact) logged in a `log.info` call",
            expected_severity=Severity.WARNING,
            line=4,
            column=23,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where some call has an argument that may carry private data: anything but a
        number, `None`/`True`/`False`, bytes, a string that cannot hold a private value, or a
        builtin name (`__name__`) the region never binds. Any call may be a sink
        (`report-functions`, `logger-names`) and any name, key or keyword may be sensitive
        (`extend-names`), so this is all the hint can tell."""
        imports_for(region)  # the module's imports, for the hints of the rules after this one
        builtins: set[str] = set()  # builtin names passed: inert unless bound in the region
        bound: set[str] = set()
        for node in region.nodes():
            if isinstance(node, ast.Call):
                for arg in node.args:
                    if isinstance(arg, ast.Name) and arg.id in BUILTIN_NAMES:
                        builtins.add(arg.id)
                    elif _may_carry(arg):
                        return True
                if any(k.arg is None or _may_carry(k.value, keyed=True) for k in node.keywords):
                    return True
            elif isinstance(node, ast.Name):
                if not isinstance(node.ctx, ast.Load):
                    bound.add(node.id)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                bound.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                bound.update(node.names)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.add(node.name)
            elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
                bound.add(node.name)
            elif isinstance(node, ast.MatchMapping) and node.rest:
                bound.add(node.rest)
            elif isinstance(node, _TYPE_PARAMS):
                bound.add(node.name)  # type: ignore[attr-defined,unused-ignore]
        return not builtins.isdisjoint(bound)

    def visit_Call(self, node: cst.Call) -> None:
        analysis = privacy(self.context)
        if analysis.skips(self.options):
            return
        sink = analysis.log_sink(node)
        if sink is None:
            return
        hits = reportable(analysis.hits(sink))
        for hit in hits:
            self._report(sink, hit, hits)

    def _report(self, sink: Sink, hit: Hit, hits: Sequence[Hit]) -> None:
        subject = describe(hit)
        if hit.category == ACCOUNT_ID:
            subject = f"{subject[:-1]}, with {companion(hit, hits)})"
        verb = VERBS.get(sink.kind, "logged in")
        assert sink.kind != EXCEPTION
        self.report(
            hit.node,
            message=f"{subject} {verb} a `{sink.label}` call",
            severity=privacy(self.context).vocabulary.severity(hit.category),
        )
