"""The rule context sent with the system prompt, and what makes the prompt cache engage.

For every rule with a finding in the run, the model gets the rule's full "What it does" (which
also says what the rule deliberately skips), the first paragraph of "Why is this bad?", and the
flagged example with its "Use instead" counterpart. This text is errlint's own, identical for
every request of a run and for every run on the same rules: it forms, with the tool definition,
the cached prefix (tools -> system), and holds no nonce and nothing from the reviewed code.

Prompt caching only engages when the cached prefix reaches the model's minimum cacheable length
(1,024 to 4,096 tokens depending on the model; below it nothing is cached and nothing is said).
When a run sends two requests or more, the prefix is completed up to that minimum with the docs
of the other rules (a cache write costs 1.25x once, a read 0.1x; with two requests that already
beats sending a shorter prefix twice at full price).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable

from errlint.docs import USE_INSTEAD, section
from errlint.rule import all_rules, rule_by_code

GOAL_CHARS_PER_TOKEN = 4.5  # conservative: real text has fewer characters per token, so more tokens
# Minimum cacheable prefix in tokens, by model family (the larger published value where sources
# differ); unknown models get the largest.
_MIN_CACHEABLE: tuple[tuple[str, int], ...] = (
    ("claude-opus-4-5", 4096),
    ("claude-opus-4-6", 4096),
    ("claude-haiku-4-5", 4096),
    ("claude-haiku-3", 2048),
    ("claude-sonnet", 2048),
    ("claude-opus", 2048),
    ("claude-haiku", 4096),
)
DEFAULT_MIN_CACHEABLE = 4096


def min_cacheable_tokens(model: str) -> int:
    for prefix, tokens in _MIN_CACHEABLE:
        if model.startswith(prefix):
            return tokens
    return DEFAULT_MIN_CACHEABLE


def _first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n", 1)[0].split())


@lru_cache(maxsize=None)
def rule_text(code: str) -> str:
    """One rule's context: what it does (and skips), why, and the example with "Use instead"."""
    rule = rule_by_code(code)
    if rule is None:
        return ""
    parts = [f"### {rule.CODE} {rule.NAME}", "What it does: " + " ".join(section(rule, "What it does").split())]
    why = _first_paragraph(section(rule, "Why is this bad?"))
    if why:
        parts.append("Why it matters: " + why)
    example = section(rule, "Example")
    if example:
        flagged, _, instead = example.partition(USE_INSTEAD)
        parts.append("Flagged:\n" + flagged.strip())
        if instead.strip():
            parts.append("Use instead:\n" + instead.strip())
    return "\n".join(parts)


def rules_context(codes: Iterable[str], model: str, requests: int, base_chars: int) -> str:
    """The rule docs for `codes` (sorted), completed up to the model's minimum cacheable length
    with the other rules' docs when the run sends two requests or more. `base_chars` is the
    length of the rest of the prefix (tool definition and instructions)."""
    wanted = sorted(set(codes))
    texts = [t for t in (rule_text(c) for c in wanted) if t]
    if requests >= 2:
        goal = min_cacheable_tokens(model) * GOAL_CHARS_PER_TOKEN
        others = [r.CODE for r in sorted(all_rules(), key=lambda r: r.CODE) if r.CODE not in wanted]
        for code in others:
            if base_chars + sum(len(t) + 2 for t in texts) >= goal:
                break
            text = rule_text(code)
            if text:
                texts.append(text)
    if not texts:
        return ""
    return "## The errlint rules (errlint's documentation)\n\n" + "\n\n".join(texts)
