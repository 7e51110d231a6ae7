"""XH000: the file could not be read, decoded or parsed."""

from __future__ import annotations

from typing import ClassVar, Sequence

from errlint.finding import Impact, Severity
from errlint.rule import Invalid, LintRule, Valid


class UnparsableFile(LintRule):
    """
    ## What it does
    Reports a file that could not be read, decoded (PEP 263 coding line, BOM, UTF-8) or parsed,
    at the position the parser gives, with the parser's reason.

    ## Why is this bad?
    A file errlint cannot parse is a file none of its rules checked. Reporting it as a finding,
    rather than crashing or skipping it silently, keeps the rest of the run going and tells you
    exactly where the problem is. This rule is always on and cannot be disabled by `select`.

    ## Example
    ```python
    def charge(order):
        try:
            gateway.charge(order)
        except PaymentError as err
            raise
    ```

    Use instead:
    ```python
    def charge(order):
        try:
            gateway.charge(order)
        except PaymentError:
            raise
    ```

    ## References
    - [PEP 263 – Defining Python Source Code Encodings](https://peps.python.org/pep-0263/)
    """

    CODE: ClassVar[str] = "XH000"
    NAME: ClassVar[str] = "unparsable-file"
    MESSAGE: ClassVar[str] = "{reason}"
    SEVERITY: ClassVar[Severity] = Severity.ERROR
    IMPACT: ClassVar[Impact] = Impact.CRASH

    VALID: ClassVar[Sequence[Valid]] = [
        Valid("x = 1\n"),
        Valid(""),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            def charge(order):
                try:
                    gateway.charge(order)
                except PaymentError as err
                    raise
            """,
            expected_message="SyntaxError: expected ':'",
            line=4,
            column=31,
        ),
        Invalid(
            """
            print "hello"
            """,
            expected_message="SyntaxError: Missing parentheses in call to 'print'. Did you mean print(...)?",
            line=1,
            column=1,
        ),
    ]
