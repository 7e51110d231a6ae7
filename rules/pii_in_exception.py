"""XH402: a sensitive name interpolated into an exception message."""

from __future__ import annotations

import ast
from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.finding import Impact, Severity
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.sensitive import (
    _EXCEPTION_SUFFIXES, _MESSAGE_KEYWORDS, ACCOUNT_ID, BUILTIN_EXCEPTIONS, EXCEPTION_PATTERNS, FINANCIAL,
    GOVERNMENT_ID, HEALTH, NAME, SECRET, PrivacyOptions, is_class_name, privacy,
)  # fmt: skip

# Errors that render their message to the user who submitted the data (form and API validation).
_VALIDATION_SUFFIXES = ("ValidationError", "BadParameter")
# Categories a validation message must not echo even to their owner (shown on screen, cached pages).
_NEVER_ECHOED = frozenset({SECRET, GOVERNMENT_ID, FINANCIAL, HEALTH})


class PiiInException(LintRule):
    """
    ## What it does
    Checks for sensitive names (the XH401 vocabulary: secrets, government ids, financial, health,
    contact, identity and network data) in the message of an exception: the positional arguments
    and the `message`/`msg`/`detail`/`description`/`reason`/`params` keywords of a raised call or
    of a constructor named like an exception (`...Error`, `...Exception`, builtin exceptions),
    including f-string parts, `%` and `.format()` arguments, and values reaching them through a
    local variable (`msg = f"bad password {password}"; raise AuthError(msg)`).

    The severity follows the category, as in XH401. Account ids are only reported next to another
    category; a redacted, hashed or measured value (`mask(email)`, `len(token)`) is fine.

    ## Why is this bad?
    An exception message is not private: it is logged with the traceback, sent to error trackers,
    shown in admin emails and debug pages, and often returned to the client. A password, card
    number or email in the message leaks wherever the exception goes, far from the code that
    raised it. Put an identifier in the message (a user id, an order id) and keep the private
    value out.

    ## Example
    ```python
    class AuthError(Exception):
        pass

    def authenticate(username, password):
        raise AuthError(f"bad password {password} for {username}")
    ```

    Use instead:
    ```python
    class AuthError(Exception):
        pass

    def authenticate(username, password):
        raise AuthError(f"bad password for {username}")
    ```

    ## Options
    - The `[tool.errlint.pii]` section (`extend-names`, `allow-names`, `severity`) described in
      XH401 applies.
    - `include-tests` (default `false`; `[tool.errlint.rules.XH402]`): also check test code (files
      under `test-paths`: test suites, fixtures, `examples/` and `demos/`; test functions and
      classes anywhere), which is skipped by default because its data is synthetic. Migrations
      and management commands are never checked: they run on the console of the person who owns
      the data.

    Decisions: keyword arguments other than the message keywords (`code=`, `status_code=`,
    `response=`, domain fields stored on the exception) are not scanned, because they do not
    reach `str(exc)`. The keys of a dict in the message name form fields, not data
    (`ValidationError({"password": _("Too short")})`, DRF's and Django's per-field errors); its
    values are scanned. A key that picks a message from a table (`self.error_messages["email"]`)
    is not data either. A validation error (`...ValidationError`, click's `BadParameter`) shows
    the person who submitted the data their own input, so contact, identity, network and account
    data in it (`f"{email} is not a valid address"`) are not reported; secrets, government ids,
    financial and health data still are. The vocabulary decisions of XH401 apply (parser tokens, technical and
    web-only names); in particular `raise ValueError(f"expected a token, got {token!r}")` under
    `if not token:` reports an empty value and is not flagged.

    ## References
    - [CWE-209: Generation of Error Message Containing Sensitive Information](https://cwe.mitre.org/data/definitions/209.html)
    - [OWASP Error Handling Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Error_Handling_Cheat_Sheet.html)
    """

    CODE: ClassVar[str] = "XH402"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "pii-in-exception"
    MESSAGE: ClassVar[str] = "{subject} interpolated into the message of `{exception}`"
    SEVERITY: ClassVar[Severity] = Severity.ERROR
    IMPACT: ClassVar[Impact] = Impact.DATA_EXPOSURE
    Options: ClassVar[Optional[type]] = PrivacyOptions
    PREFILTER: ClassVar[Optional[Sequence[str]]] = EXCEPTION_PATTERNS
    ANALYSES: ClassVar[tuple[str, ...]] = ("privacy",)

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            def authenticate(user_id, password):
                if not check(password):
                    raise PermissionError(f"bad password for user {user_id}")
            """
        ),
        Valid(
            """
            from django import forms
            from rest_framework.exceptions import ValidationError

            class SignupForm(forms.Form):
                def clean(self):
                    if taken(self.cleaned_data["email"]):
                        raise forms.ValidationError({"email": self.error_messages["duplicate_email"]})
                    if len(self.cleaned_data["password"]) < 8:
                        raise ValidationError({"password": ValidationError("Too short")})
                    row = self.cleaned_data
                    raise forms.ValidationError(f"{row['email']} is not a valid email address")
            """
        ),
        Valid(
            """
            def parse(token):
                raise SyntaxError(f"unexpected token {token!r} at {token.lineno}")

            def validate(email, token_type):
                try:
                    send(email)
                except ConnectionError as err:
                    raise DeliveryError(f"mail to {mask(email)} failed ({token_type})") from err
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            from django import forms

            def check(password):
                raise forms.ValidationError({"password": f"{password} is too common"})
            """,
            expected_message="`password` (secret) interpolated into the message of `forms.ValidationError`",
            expected_severity=Severity.ERROR,
            line=4,
            column=49,
        ),
        Invalid(
            """
            def authenticate(username, password):
                raise AuthError(f"bad password {password} for {username}")
            """,
            expected_message="`password` (secret) interpolated into the message of `AuthError`",
            expected_severity=Severity.ERROR,
            line=2,
            column=37,
            expected_count=2,
        ),
        Invalid(
            """
            def charge(order):
                try:
                    gateway.charge(order)
                except (TimeoutError, ValueError) as err:
                    msg = "card %s declined" % order.card_number
                    raise PaymentError(msg) from err
            """,
            expected_message="`order.card_number` (financial, via `msg`) interpolated into the message of `PaymentError`",
            expected_severity=Severity.ERROR,
            line=6,
            column=28,
        ),
        Invalid(
            """
            async def register(user):
                try:
                    await verify(user.email)
                except* OSError:
                    raise
                else:
                    errors.append(ValueError("unverified address: " + user.email))
            """,
            expected_message="`user.email` (contact) interpolated into the message of `ValueError`",
            expected_severity=Severity.WARNING,
            line=7,
            column=59,
        ),
        Invalid(
            """
            def lookup(request):
                ssn = request.POST["ssn"]
                raise LookupError("no record for {}".format(ssn)) from None
            """,
            expected_message="`ssn` (government-id) interpolated into the message of `LookupError`",
            expected_severity=Severity.ERROR,
            line=3,
            column=49,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where an exception sink (`PrivacyAnalysis.exception_sink`: a raised call, or a call
        of a name like `...Error`) has a message argument that is not a literal constant: the
        scanner finds sensitive names only in names, attributes, subscripts, calls and templates,
        never in the text of a literal, so the hint holds for any vocabulary."""
        for node in region.nodes():
            if isinstance(node, ast.Raise):
                if isinstance(node.exc, ast.Call) and _ast_message_data(node.exc):
                    return True
            elif isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                if (is_class_name(name) and name.endswith(_EXCEPTION_SUFFIXES)) or name in BUILTIN_EXCEPTIONS:
                    if _ast_message_data(node):
                        return True
        return False

    def visit_Call(self, node: cst.Call) -> None:
        analysis = privacy(self.context)
        if analysis.skips(self.options):
            return
        sink = analysis.exception_sink(node)
        if sink is None:
            return
        hits = [h for h in analysis.hits(sink) if h.kind == NAME]
        if sink.label.rsplit(".", 1)[-1].endswith(_VALIDATION_SUFFIXES):
            # Validation feedback shows the person who typed it their own input.
            hits = [h for h in hits if h.category in _NEVER_ECHOED]
        if not any(h.category != ACCOUNT_ID for h in hits):
            return
        for hit in hits:
            via = f", via `{hit.via}`" if hit.via and hit.via != hit.label else ""
            subject = f"`{hit.label}` ({hit.category}{via}"
            if hit.category == ACCOUNT_ID:
                other = next(h for h in hits if h.category != ACCOUNT_ID)
                subject += f", with `{other.label}`"
            self.report(
                hit.node,
                message=self.MESSAGE.format(subject=subject + ")", exception=sink.label),
                severity=analysis.vocabulary.severity(hit.category),
            )


def _ast_message_data(call: ast.Call) -> bool:
    """A value of the sink's message (positional and `*`/`**` arguments, the message keywords)
    that is not a literal constant, on CPython's tree (the prefilter's exact hint)."""
    if any(not isinstance(arg, ast.Constant) for arg in call.args):
        return True
    return any(
        (k.arg is None or k.arg in _MESSAGE_KEYWORDS) and not isinstance(k.value, ast.Constant) for k in call.keywords
    )
