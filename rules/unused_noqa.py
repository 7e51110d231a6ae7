"""XH001: a `# noqa` directive for errlint codes that suppresses nothing."""

from __future__ import annotations

from typing import ClassVar, Optional, Sequence

from errlint.finding import FixAvailability, FixSafety, Impact, Severity
from errlint.rule import Invalid, LintRule, Valid


class UnusedNoqa(LintRule):
    """
    ## What it does
    Checks for `# noqa` directives that name errlint codes (`XH…`) no finding on that line needed:
    the code's rule ran and found nothing there, or the code names no errlint rule.

    The engine records which directive suppressed which finding, so this rule needs no visitor.
    Only errlint's own codes are judged: `# noqa: E501` belongs to flake8 or ruff, and a code whose
    rule did not run (not selected, ignored for the file) cannot be shown unused. A blanket
    `# noqa` (no codes) is reported only when every errlint rule ran and it suppressed nothing;
    since other tools read the same directive, removing it is an unsafe fix. This is ruff's
    `RUF100`, narrowed to what errlint can prove. Nothing is reported for a file where a rule
    crashed, or under flake8 (which applies `noqa` itself).

    ## Why is this bad?
    A stale suppression hides the next real finding on that line: once the handler it excused is
    rewritten, the `# noqa: XH102` still silences whatever lands there later, unreviewed. Unknown
    codes are usually typos that suppress nothing at all.

    ## Example
    ```python
    try:
        sync()
    except ValueError:  # noqa: XH999
        retry()
    ```

    Use instead:
    ```python
    try:
        sync()
    except ValueError:
        retry()
    ```

    ## Fix safety
    Removing unused or unknown `XH` codes is safe: errlint has shown they suppress nothing, and no
    other tool owns `XH` codes (errlint's flake8 plugin reports the same findings). The directive
    goes when no code is left; an explanation after it stays as a plain comment. Removing a blanket
    `# noqa` is unsafe: another linter may rely on it.

    ## References
    - [ruff: unused-noqa (RUF100)](https://docs.astral.sh/ruff/rules/unused-noqa/)
    - [flake8: Selecting and ignoring violations](https://flake8.pycqa.org/en/latest/user/violations.html#in-line-ignoring-errors)
    """

    CODE: ClassVar[str] = "XH001"
    NAME: ClassVar[str] = "unused-noqa"
    MESSAGE: ClassVar[str] = "Unused `noqa` directive ({detail})"
    FIX_TITLE: ClassVar[str] = "Remove the unused codes"
    SEVERITY: ClassVar[Severity] = Severity.INFO
    IMPACT: ClassVar[Impact] = Impact.OBSERVABILITY
    PREVIEW: ClassVar[bool] = True
    FIX: ClassVar[FixAvailability] = FixAvailability.SOMETIMES
    # Reported by the engine from the original text's comments: never needs a function's body.
    PREFILTER: ClassVar[Optional[Sequence[str]]] = ()

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            try:
                sync()
            except ValueError:  # noqa: E722 - flake8's business
                retry()
            """
        ),
        Valid(
            """
            value = compute()  # noqa: XH001
            """
        ),
        Valid(
            """
            text = "# noqa: XH999 inside a string is not a directive"
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            try:
                sync()
            except ValueError:  # noqa: XH999
                retry()
            """,
            expected_message="Unused `noqa` directive (unknown: `XH999`)",
            expected_replacement="""
            try:
                sync()
            except ValueError:
                retry()
            """,
            expected_safety=FixSafety.SAFE,
            line=3,
            column=21,
        ),
        Invalid(
            """
            value = compute()  # noqa: E501, XH998
            """,
            expected_message="Unused `noqa` directive (unknown: `XH998`)",
            expected_replacement="""
            value = compute()  # noqa: E501
            """,
            expected_safety=FixSafety.SAFE,
            line=1,
            column=20,
        ),
        Invalid(
            """
            value = compute()  # noqa: XH998 - kept for the migration
            """,
            expected_message="Unused `noqa` directive (unknown: `XH998`)",
            expected_replacement="""
            value = compute()  # - kept for the migration
            """,
            expected_safety=FixSafety.SAFE,
        ),
    ]
