"""XH601: a network call that can wait forever (no timeout, or `timeout=None`)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import ClassVar, Optional, Sequence, Union

import libcst as cst

from errlint.analysis import dotted_name
from errlint.finding import Impact, Severity
from errlint.regions import Region, dotted_name as ast_dotted_name
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._hints_privacy import imports_for, may_qualify
from errlint.rules._helpers import in_test_code, silenced_elsewhere, statement_comments

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
REQUESTS_FUNCTIONS: frozenset[str] = frozenset(
    [f"requests.{verb}" for verb in _VERBS] + [f"requests.api.{verb}" for verb in _VERBS]
)
SESSION_FACTORIES: frozenset[str] = frozenset(
    {"requests.Session", "requests.session", "requests.sessions.Session", "requests.sessions.session"}
)
SESSION_METHODS: frozenset[str] = frozenset(_VERBS)

# Standard-library connections: qualified name -> index of the first positional argument that may
# carry the timeout (a call with that many positional arguments is given the benefit of the doubt).
STDLIB_CONNECTIONS: dict[str, int] = {
    "urllib.request.urlopen": 2,
    "http.client.HTTPConnection": 2,
    "http.client.HTTPSConnection": 2,
    "smtplib.SMTP": 3,
    "smtplib.SMTP_SSL": 3,
    "ftplib.FTP": 4,
    "ftplib.FTP_TLS": 4,
    "socket.create_connection": 1,
    "imaplib.IMAP4": 2,
    "imaplib.IMAP4_SSL": 2,
    "poplib.POP3": 2,
    "poplib.POP3_SSL": 2,
    "telnetlib.Telnet": 2,
}
# Constructors that connect only when given a host; without one, `.connect(..., timeout=)` may
# still set the timeout.
_CONNECT_LATER: frozenset[str] = frozenset({"ftplib.FTP", "ftplib.FTP_TLS", "telnetlib.Telnet"})
# httpx has a default timeout (5 s): only an explicit `timeout=None` disables it.
HTTPX_CALLS: frozenset[str] = frozenset(
    [f"httpx.{verb}" for verb in (*_VERBS, "stream")] + ["httpx.Client", "httpx.AsyncClient"]
)

_Bindable = Union[cst.FunctionDef, cst.ClassDef, cst.Lambda, None]
# Annotations that declare a requests session (`def sync(s: requests.Session)`).
SESSION_TYPES: frozenset[str] = frozenset({"requests.Session", "requests.sessions.Session"})


@dataclass(frozen=True)
class CallWithoutTimeoutOptions:
    """Options of XH601 (`[tool.errlint.rules.XH601]`)."""

    include_tests: bool = False  # also check test code (calls to local test servers)


class CallWithoutTimeout(LintRule):
    """
    ## What it does
    Checks for network calls that can wait forever:

    - `requests.get/post/put/patch/delete/head/options/request(...)` without `timeout=`, and the
      same methods on a `requests.Session`: a name assigned from `requests.Session()` or bound by
      `with requests.Session() as s` in the same function, or, from another function, a
      module-level name or `self.` attribute bound that way whose name contains `session`
      (`_session`, `self.http_session`; a session kept in `self.http` is not followed across
      methods), and a parameter or attribute annotated as one (`def sync(s: requests.Session)`);
    - `urllib.request.urlopen`, `http.client.HTTPConnection`/`HTTPSConnection`, `smtplib.SMTP`/
      `SMTP_SSL`, `ftplib.FTP`/`FTP_TLS`, `socket.create_connection`, `imaplib.IMAP4`,
      `poplib.POP3` and `telnetlib.Telnet` without a timeout (keyword or positional);
    - any of the above, and `httpx` calls and clients, with an explicit `timeout=None`. httpx has
      a default timeout, so a missing one is fine there.

    A call on a line that already silences bandit's request-without-timeout (`# nosec B113`,
    `# noqa: S113`) is not reported. Names are resolved through imports (`from requests import get`). A call that passes
    `**kwargs` or `*args` may carry the timeout and is not flagged; neither is a `.get` on
    anything not known to be a requests session (a dict, a cache, another client).

    Test code (`test-paths`: tests, fixtures, examples; `test_*` functions, `Test*` classes) is not
    checked by default: there the server is a local test server, a fixture or a demo, and a hang
    fails the test run, not production. Set `include-tests = true` to check it too.

    ## Why is this bad?
    Without a timeout, a server that accepts the connection and then stops answering (a hung
    process, a full backlog, a dropped packet on a stateful firewall) blocks the caller forever.
    A web worker or a queue consumer stuck this way stops serving, and as more of them get stuck
    the outage of one dependency becomes an outage of this service. requests documents that
    "nearly all production code should use this parameter in nearly all requests".

    ## Example
    ```python
    import requests

    def fetch_rates(base_url):
        return requests.get(f"{base_url}/rates").json()
    ```

    Use instead:
    ```python
    import requests

    def fetch_rates(base_url):
        return requests.get(f"{base_url}/rates", timeout=(3.05, 10)).json()
    ```

    ## Options
    - `include-tests` (default `false`): also check test code.

    ## References
    - [requests: Timeouts](https://requests.readthedocs.io/en/latest/user/advanced/#timeouts)
    - [HTTPX: Timeouts](https://www.python-httpx.org/advanced/timeouts/)
    - [Python docs: socket timeouts](https://docs.python.org/3/library/socket.html#socket-timeouts)
    """

    CODE: ClassVar[str] = "XH601"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "call-without-timeout"
    MESSAGE: ClassVar[str] = "`{name}` {how}: a server that stops answering blocks this call forever"
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    IMPACT: ClassVar[Impact] = Impact.RESILIENCE
    # Session receivers bound in another function are recognised only when named `*session*`,
    # so that this hint keeps every function that can use one.
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (
        r"\b(?:requests|httpx|urlopen|HTTPS?Connection|SMTP(?:_SSL)?|FTP(?:_TLS)?)\b",
        r"\b(?:create_connection|IMAP4(?:_SSL)?|POP3(?:_SSL)?|Telnet)\b",
        r"(?i:session)",
    )
    ANALYSES: ClassVar[tuple[str, ...]] = ("module-facts",)
    Options: ClassVar[Optional[type]] = CallWithoutTimeoutOptions

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            import requests
            import httpx

            def fetch(url, **options):
                requests.get(url, timeout=5)
                requests.post(url, **options)  # may carry the timeout
                httpx.get(url)  # httpx has a default timeout
            """
        ),
        Valid(
            """
            import urllib.request
            import smtplib

            def probe(url, cache):
                cache.get(url)  # not a requests session
                urllib.request.urlopen(url, None, 10)
                smtplib.SMTP("mail.example.com", 25, timeout=10)
            """
        ),
        # Test code calls a local test server.
        Valid(
            """
            import requests

            class TestHealth:
                def test_health(self, live_server):
                    assert requests.get(live_server.url + "/health").ok
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            import requests

            def fetch_rates(base_url):
                return requests.get(f"{base_url}/rates").json()
            """,
            expected_message=(
                "`requests.get` called without a timeout: a server that stops answering blocks this call forever"
            ),
            line=4,
            column=12,
        ),
        Invalid(
            """
            from requests import Session

            class Client:
                def __init__(self):
                    self.session = Session()

                def push(self, payload):
                    try:
                        return self.session.post("https://example.com", json=payload)
                    except* ConnectionError:
                        raise
            """,
            expected_message=(
                "`self.session.post` called without a timeout: a server that stops answering blocks "
                "this call forever"
            ),
            line=9,
            column=20,
        ),
        Invalid(
            """
            import httpx

            async def fetch(url):
                async with httpx.AsyncClient(timeout=None) as client:
                    return await client.get(url)
            """,
            expected_message=(
                "`httpx.AsyncClient` called with `timeout=None`: a server that stops answering blocks "
                "this call forever"
            ),
            line=4,
            column=34,
        ),
        Invalid(
            """
            import requests
            from urllib.request import urlopen

            with requests.Session() as http:
                http.get("https://example.com/health", timeout=2)
                page = urlopen("https://example.com")
            """,
            expected_message=(
                "`urllib.request.urlopen` called without a timeout: a server that stops answering "
                "blocks this call forever"
            ),
            line=6,
            column=12,
        ),
        # A parameter typed as a session is one.
        Invalid(
            """
            import requests

            def sync(session: requests.Session, url: str) -> dict:
                return session.get(url).json()
            """,
            expected_message=(
                "`session.get` called without a timeout: a server that stops answering blocks this call forever"
            ),
            line=4,
            column=12,
        ),
        Invalid(
            """
            import requests

            def test_live_server(live_server):
                requests.get(live_server.url)
            """,
            expected_message=(
                "`requests.get` called without a timeout: a server that stops answering blocks this call forever"
            ),
            options={"include_tests": True},
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a call without `*`/`**` arguments may be a checked function (by its last
        name segment, or a bare name that may be imported as one) or a session method on a
        receiver that may be a session (a call, a name with `session` in it, or one bound in the
        region); and where a `self.<..session..>` attribute is bound, which other methods read."""
        imports = imports_for(region)
        bound: set[str] = set()
        receivers: set[str] = set()
        for node in region.nodes():
            if isinstance(node, ast.Call):
                if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                    continue
                func = node.func
                if may_qualify(func, imports, _CHECKED):
                    return True
                if isinstance(func, ast.Attribute) and func.attr in SESSION_METHODS:
                    receiver = func.value
                    name = ast_dotted_name(receiver)
                    if isinstance(receiver, ast.Call):
                        if may_qualify(receiver.func, imports, SESSION_FACTORIES):
                            return True  # `requests.Session().get(...)`
                    elif name is not None:
                        if "session" in name.lower():
                            return True
                        receivers.add(name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if _binds_session_attribute(target, bound):
                        return True  # another method may call it: `self._session.get(url)`
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None and _binds_session_attribute(item.optional_vars, bound):
                        return True
            elif isinstance(node, ast.arg) and node.annotation is not None:
                bound.add(node.arg)
        return not receivers.isdisjoint(bound)

    def visit_Module(self, node: cst.Module) -> None:
        # Session names per binding scope (function, class for `self.x`, or the module).
        self._sessions: dict[int, set[str]] = {}
        options = self.options or CallWithoutTimeoutOptions()
        self._skip_tests = not options.include_tests

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.annotation is not None and self._is_session_type(param.annotation.annotation):
                self._sessions.setdefault(id(node), set()).add(param.name.value)

    def _is_session_type(self, annotation: cst.BaseExpression) -> bool:
        if isinstance(annotation, cst.SimpleString):
            return annotation.evaluated_value in SESSION_TYPES if isinstance(annotation.evaluated_value, str) else False
        return (self.context.qualify(annotation) or "") in SESSION_TYPES

    # -- session bindings ---------------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._is_session_factory(node.value):
            for target in node.targets:
                self._bind(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and self._is_session_factory(node.value):
            self._bind(node.target)
        elif self._is_session_type(node.annotation.annotation):
            self._bind(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None and self._is_session_factory(node.item):
            target = node.asname.name
            if isinstance(target, (cst.Name, cst.Attribute)):
                self._bind(target)

    def _is_session_factory(self, value: cst.BaseExpression) -> bool:
        return isinstance(value, cst.Call) and (self.context.qualify(value.func) or "") in SESSION_FACTORIES

    def _bind(self, target: cst.BaseExpression) -> None:
        name = dotted_name(target)
        if name is None:
            return
        self._sessions.setdefault(id(self._scope_for(name)), set()).add(name)
        # `self.x` is also known in the method that binds it.
        self._sessions.setdefault(id(self._function()), set()).add(name)

    def _function(self) -> _Bindable:
        node = self.context.frames[-1].node
        return node if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) else None

    def _scope_for(self, name: str) -> _Bindable:
        """`self.x`/`cls.x` bind on the enclosing class; plain names on the enclosing frame."""
        frames = self.context.frames
        if name.split(".")[0] in ("self", "cls"):
            for frame in reversed(frames):
                if isinstance(frame.node, cst.ClassDef):
                    return frame.node
        return self._function()

    def _is_session(self, receiver: cst.BaseExpression) -> bool:
        if self._is_session_factory(receiver):
            return True
        name = dotted_name(receiver)
        if name is None:
            return False
        if name in self._sessions.get(id(self._function()), ()):
            return True  # bound in this very function (or both at module level)
        # Bound in another method (`self.x`) or at module level: the name must say "session".
        if "session" not in name.lower():
            return False
        return name in self._sessions.get(id(self._scope_for(name)), ()) or (
            "." not in name and name in self._sessions.get(id(None), ())
        )

    # -- calls --------------------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        if any(arg.star for arg in node.args):
            return  # *args/**kwargs may carry the timeout
        if self._skip_tests and in_test_code(self.context):
            return
        if silenced_elsewhere(self.CODE, statement_comments(self.context)):
            return  # `# nosec B113` / `# noqa: S113`: bandit's request-without-timeout, silenced
        qualified = self.context.qualify(node.func) or ""
        timeout = _keyword(node, "timeout")
        if qualified in REQUESTS_FUNCTIONS:
            self._check_keyword(node, qualified, timeout)
        elif qualified in HTTPX_CALLS:
            if timeout is not None and _is_none(timeout.value):
                self.report(timeout, name=qualified, how="called with `timeout=None`")
        elif qualified in STDLIB_CONNECTIONS:
            positional = [a for a in node.args if a.keyword is None]
            if len(positional) > STDLIB_CONNECTIONS[qualified]:
                if _is_none(positional[STDLIB_CONNECTIONS[qualified]].value):
                    self.report(positional[STDLIB_CONNECTIONS[qualified]], name=qualified, how="called with a `None` timeout")
                return
            if qualified in _CONNECT_LATER and not positional and _keyword(node, "host") is None:
                return
            self._check_keyword(node, qualified, timeout)
        elif (
            isinstance(node.func, cst.Attribute)
            and node.func.attr.value in SESSION_METHODS
            and self._is_session(node.func.value)
        ):
            name = dotted_name(node.func) or f"Session().{node.func.attr.value}"
            self._check_keyword(node, name, timeout)

    def _check_keyword(self, node: cst.Call, name: str, timeout: Optional[cst.Arg]) -> None:
        if timeout is None:
            self.report(node.func, name=name, how="called without a timeout")
        elif _is_none(timeout.value):
            self.report(timeout, name=name, how="called with `timeout=None`")


_CHECKED: frozenset[str] = REQUESTS_FUNCTIONS | HTTPX_CALLS | frozenset(STDLIB_CONNECTIONS)


def _binds_session_attribute(target: ast.expr, bound: set[str]) -> bool:
    """Note the dotted name `target` binds (in `bound`); True for an attribute with `session` in
    its name, a binding the rule may read in another function of the class."""
    name = ast_dotted_name(target)
    if name is None:
        return False
    bound.add(name)
    return "." in name and "session" in name.lower()


def _keyword(node: cst.Call, name: str) -> Optional[cst.Arg]:
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"
