"""XH204: at a trust boundary, a handler for a failed check grants access."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.analysis import Handler
from errlint.finding import Impact, Severity
from errlint.handlers import CaughtType
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._helpers import caught_label, simple_statements
from errlint.rules._hints_catching import may_fail_open

# Function names that decide whether a caller is trusted (matched on the lower-cased name).
_BOUNDARY_FUNCTION_RE = re.compile(
    r"^_*(?:"
    r"(?:auth|authn|authz|authenticate|authenticated|authorize|authorise|authorized|authorised"
    r"|authorization|authentication)(?:_|$)"
    r"|verify"
    r"|is_allowed|is_authori[sz]ed|is_authenticated|is_permitted"
    r"|has_perm|has_object_perm|check_perm"
    r"|check_\w*signature|validate_\w*(?:token|signature)"
    r")"
)
# Exception types raised when a caller fails a check (last segment as written or qualified).
_AUTH_EXCEPTIONS = frozenset(
    {
        "InvalidSignature", "InvalidSignatureError", "BadSignature", "BadTimeSignature",
        "SignatureExpired", "AuthenticationFailed", "NotAuthenticated", "PermissionDenied",
        "InvalidToken", "InvalidTokenError", "ExpiredSignatureError", "ImmatureSignatureError",
        "InvalidAudienceError", "InvalidIssuerError", "JWTError", "JWTClaimsError", "ExpiredSignature",
        "AuthenticationError", "AuthorizationError", "AccessDenied", "Unauthorized", "Forbidden",
    }
)  # fmt: skip


# Modules whose similarly named exceptions are about the operating system, not about a caller.
_NOT_AUTH_MODULES = ("tokenize.", "psutil.")


@dataclass(frozen=True)
class FailOpenOptions:
    """Extra trust boundaries, on top of the built-in names."""

    boundary_functions: tuple[str, ...] = ()  # globs on function names, e.g. "can_*"
    boundary_exceptions: tuple[str, ...] = ()  # exception names, e.g. "myapp.errors.TokenRejected"


class FailOpen(LintRule):
    """
    ## What it does
    Checks for handlers at a trust boundary that grant access when the check fails: they
    `return True`, return the unverified input (a parameter of the function), or `pass` and let
    the code carry on as if the check had succeeded.

    A trust boundary is a function whose name says it authenticates, authorises, verifies or
    checks permissions (`auth*`, `authenticate`, `authorize`, `verify*`, `is_allowed`,
    `has_perm*`, `check_*signature*`, `validate_*token`, …), or a handler for an
    authentication or signature error (`jwt.*Error`, `InvalidSignature`, `BadSignature`,
    `AuthenticationFailed`, `PermissionDenied`, …). The builtin `PermissionError`, which is
    usually about files, counts only when the handler returns `True`. A `pass` followed right
    after the `try` statement (past plain statements) by `return False`/`return None` or a
    `raise` is fail-closed and not reported; in a trust-boundary function, a `pass` counts only for
    a broad handler or an authentication error (a lookup miss such as `User.DoesNotExist` is not
    a failed check).

    Test code is checked too (a trust boundary in a test is rare, and then worth a look).

    ## Why is this bad?
    A verification that fails open turns every error into an accepted request: an expired token,
    a forged signature, or simply an outage of the key server all grant access, and nothing is
    logged. Security checks must fail closed: deny, and let the caller see why.

    ## Example
    ```python
    def is_valid(token):
        try:
            return jwt.decode(token, KEY, algorithms=["HS256"]) is not None
        except jwt.InvalidTokenError:
            return True
    ```

    Use instead:
    ```python
    def is_valid(token):
        try:
            return jwt.decode(token, KEY, algorithms=["HS256"]) is not None
        except jwt.InvalidTokenError:
            return False
    ```

    ## Options
    - `boundary-functions`: extra globs on function names that are trust boundaries (`["can_*"]`).
    - `boundary-exceptions`: extra exception names that mean a failed check
      (`["myapp.errors.TokenRejected"]`, or just `"TokenRejected"`).

    ## References
    - [OWASP: Fail securely](https://owasp.org/www-community/Fail_securely)
    - [CWE-636: Not Failing Securely ('Failing Open')](https://cwe.mitre.org/data/definitions/636.html)
    """

    CODE: ClassVar[str] = "XH204"
    NAME: ClassVar[str] = "fail-open"
    MESSAGE: ClassVar[str] = "Fail-open at a trust boundary ({where}): `{label}` {action}; deny access when the check fails"
    SEVERITY: ClassVar[Severity] = Severity.ERROR
    IMPACT: ClassVar[Impact] = Impact.SILENT_FAILURE
    # Only functions whose source matches may hold a finding (errlint.prefilter).
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\bexcept\b",)
    ANALYSES: ClassVar[tuple[str, ...]] = ("handler-facts",)
    PREVIEW: ClassVar[bool] = True
    Options: ClassVar[Optional[type]] = FailOpenOptions

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            def is_valid(token):
                try:
                    return jwt.decode(token, KEY, algorithms=["HS256"]) is not None
                except jwt.InvalidTokenError:
                    return False
            """
        ),
        Valid(
            """
            def authenticate(request, token):
                try:
                    payload = jwt.decode(token, KEY, algorithms=["HS256"])
                except jwt.InvalidTokenError as err:
                    raise AuthenticationFailed("invalid token") from err
                return load_user(payload)
            """
        ),
        # Fail-closed: the `pass` falls through to `return False`.
        Valid(
            """
            def verify_signature(data, signature):
                try:
                    public_key.verify(signature, data)
                    return True
                except InvalidSignature:
                    pass
                return False
            """
        ),
        # Fail-closed further down: the data is discarded and nothing is returned.
        Valid(
            """
            def _decode(self, data):
                try:
                    return self.signer.unsign_object(data)
                except (signing.BadSignature, json.JSONDecodeError):
                    pass
                self.used = True
                return None
            """
        ),
        # A lookup miss in an auth function, or a psutil "access denied", is not a failed check.
        Valid(
            """
            def authenticate(self, request, username):
                user = None
                try:
                    user = User.objects.get_by_natural_key(username)
                except User.DoesNotExist:
                    pass
                return user if self.user_can_authenticate(user) else None

            def kill(proc):
                try:
                    proc.kill()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            """
        ),
        # Not a trust boundary.
        Valid(
            """
            def remove(path):
                try:
                    os.remove(path)
                except PermissionError:
                    pass
            """
        ),
        # Key rotation: try the next key.
        Valid(
            """
            def verify(token):
                for key in KEYS:
                    try:
                        return jwt.decode(token, key, algorithms=["HS256"])
                    except jwt.InvalidSignatureError:
                        continue
                raise AuthenticationFailed("no key matches")
            """
        ),
        Valid(
            """
            def authors(book):
                try:
                    return book.authors()
                except Exception:
                    return True
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            def is_valid(token):
                try:
                    return jwt.decode(token, KEY, algorithms=["HS256"]) is not None
                except jwt.InvalidTokenError:
                    return True
            """,
            expected_message=(
                "Fail-open at a trust boundary (`jwt.InvalidTokenError`): `except jwt.InvalidTokenError:`"
                " returns `True`; deny access when the check fails"
            ),
            line=5,
            column=9,
        ),
        Invalid(
            """
            def verify_webhook(payload, signature):
                try:
                    hmac_check(payload, signature)
                except Exception:
                    pass
                process(payload)
            """,
            expected_message=(
                "Fail-open at a trust boundary (function `verify_webhook`): `except Exception:` passes"
                " and carries on as if the check succeeded; deny access when the check fails"
            ),
            line=5,
            column=9,
        ),
        Invalid(
            """
            from itsdangerous import BadSignature

            class Signer:
                async def unsign(self, value):
                    try:
                        return self._unsign(value)
                    except* (BadSignature, ValueError):
                        return value
            """,
            expected_message=(
                "Fail-open at a trust boundary (`BadSignature`): `except* (BadSignature, ValueError):`"
                " returns the unverified input `value`; deny access when the check fails"
            ),
            line=8,
            column=13,
        ),
        Invalid(
            """
            def can_edit(user, doc):
                try:
                    return acl.check(user, doc)
                except Exception:
                    return True
            """,
            expected_message=(
                "Fail-open at a trust boundary (function `can_edit`): `except Exception:` returns"
                " `True`; deny access when the check fails"
            ),
            options={"boundary_functions": ("can_*",)},
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a handler without `raise` may only pass, or returns `True` or a name."""
        return may_fail_open(region)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._check(node)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._check(node)

    def _check(self, handler: Handler) -> None:
        options: FailOpenOptions = self.options or FailOpenOptions()
        facts = self.context.handler_facts(handler)
        function = self.context.enclosing_function()
        where: Optional[str] = None
        only_true = False
        for caught in facts.types:
            kind = self._auth_exception(caught, options)
            if kind is not None:
                where = f"`{caught.name or caught.qualified}`"
                only_true = kind == "os"
                if not only_true:
                    break
        by_type = where is not None and not only_true
        if function is not None and _is_boundary_function(function.name.value, options):
            where = f"function `{function.name.value}`"
            only_true = False
        if where is None or facts.raises:
            return
        label = caught_label(handler)
        params = _parameters(function) if function is not None else set()
        for ret in facts.returns:
            value = ret.value
            if isinstance(value, cst.Name) and value.value == "True":
                self.report(ret, where=where, label=label, action="returns `True`")
                return
            if not only_true and isinstance(value, cst.Name) and value.value in params:
                action = f"returns the unverified input `{value.value}`"
                self.report(ret, where=where, label=label, action=action)
                return
        if only_true or not _only_passes(handler.body):
            return
        if not (by_type or facts.catches_broad):
            return  # a lookup miss (`except User.DoesNotExist: pass`) is not a failed check
        if self._fails_closed_after(handler):
            return
        first = _first_statement(handler.body)
        action = "passes and carries on as if the check succeeded"
        self.report(first or handler, where=where, label=label, action=action)

    def _auth_exception(self, caught: CaughtType, options: FailOpenOptions) -> Optional[str]:
        qualified = caught.qualified or caught.name
        last = qualified.rsplit(".", 1)[-1]
        for extra in options.boundary_exceptions:
            if qualified == extra or caught.name == extra or last == extra:
                return "auth"
        if qualified.startswith(("jwt.", "jose.")) and last.endswith("Error"):
            return "auth"
        if last in _AUTH_EXCEPTIONS and not qualified.startswith(_NOT_AUTH_MODULES):
            return "auth"
        if qualified in ("PermissionError", "builtins.PermissionError"):
            return "os"
        return None

    def _fails_closed_after(self, handler: Handler) -> bool:
        """After the `try`, the block's next `return`/`raise` denies (falsy constant or raise)."""
        ancestors = self.context.ancestors
        for index in range(len(ancestors) - 1, 1, -1):
            if ancestors[index] is handler:
                try_node, block = ancestors[index - 1], ancestors[index - 2]
                break
        else:
            return False
        body = getattr(block, "body", None)
        if not isinstance(body, (list, tuple)):
            return False
        for position, stmt in enumerate(body):
            if stmt is not try_node:
                continue
            for following in body[position + 1 :]:
                if not isinstance(following, cst.SimpleStatementLine):
                    return False  # a branch or a loop: cannot tell
                for small in following.body:
                    if isinstance(small, cst.Raise):
                        return True
                    if isinstance(small, cst.Return):
                        value = small.value
                        return value is None or (isinstance(value, cst.Name) and value.value in ("False", "None"))
            return False
        return False


def _is_boundary_function(name: str, options: FailOpenOptions) -> bool:
    if _BOUNDARY_FUNCTION_RE.match(name.lower()):
        return True
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in options.boundary_functions)


def _parameters(function: cst.FunctionDef) -> set[str]:
    params = function.params
    names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    names.discard("self")
    names.discard("cls")
    return names


def _only_passes(body: cst.BaseSuite) -> bool:
    smalls = simple_statements(body) or []
    return bool(smalls) and all(
        isinstance(s, cst.Pass) or (isinstance(s, cst.Expr) and isinstance(s.value, (cst.Ellipsis, cst.SimpleString)))
        for s in smalls
    )


def _first_statement(body: cst.BaseSuite) -> Optional[cst.CSTNode]:
    if isinstance(body, cst.SimpleStatementSuite):
        return body.body[0] if body.body else None
    if isinstance(body, cst.IndentedBlock) and body.body:
        first = body.body[0]
        if isinstance(first, cst.SimpleStatementLine) and first.body:
            return first.body[0]
        return first
    return None
