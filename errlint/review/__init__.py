"""`errlint review`: an advisory Claude pass over the findings that matter most.

The pass runs the deterministic rules first, picks the findings on business-critical paths (else
the most severe), redacts secrets and personal data from just enough surrounding code, and asks
Claude for a verdict, the impact, a short explanation and an optional fix. Every answer is
validated locally; a fix is only offered as a patch once errlint has re-linted it.

Only `errlint.review.client` imports the `anthropic` SDK, and only when a request is really made:
`errlint check` and `errlint review --dry-run` never import it. See docs/review.md.
"""
