"""Validate the model's tool input strictly, locally: never trust the JSON that comes back.

The SDK builds messages leniently (a wrong-shaped body still becomes a `Message`), and strict
tool use is a server-side promise errlint cannot check offline, so every answer is checked here
against the same schema as `REVIEW_TOOL`: exact keys, types, enums, sizes, and the finding id.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence, Union

from errlint.review.model import IMPACTS, Answer, Confidence, ProposedFix, Verdict

MAX_EXPLANATION = 4000  # characters; the prompt asks for about 120 words
MAX_REPLACEMENT = 20_000
_KEYS = frozenset(
    {"reasoning", "finding_id", "verdict", "impact", "explanation", "confidence", "fix", "injection_suspected"}
)
_FIX_KEYS = frozenset({"start_line", "end_line", "original", "replacement"})


class AnswerError(ValueError):
    """The tool input does not match the schema; the message says where."""


def _exact_keys(data: Mapping[str, Any], expected: frozenset[str], where: str) -> None:
    keys = set(data)
    missing = sorted(expected - keys)
    extra = sorted(keys - expected)
    if missing:
        raise AnswerError(f"{where}: missing {', '.join(missing)}")
    if extra:
        raise AnswerError(f"{where}: unexpected {', '.join(extra)}")


def _string(data: Mapping[str, Any], key: str, limit: int, where: str = "answer") -> str:
    value = data[key]
    if not isinstance(value, str):
        raise AnswerError(f"{where}.{key}: expected a string, got {type(value).__name__}")
    if len(value) > limit:
        raise AnswerError(f"{where}.{key}: longer than {limit} characters")
    if "\x00" in value:
        raise AnswerError(f"{where}.{key}: contains a NUL character")
    return value


def _integer(data: Mapping[str, Any], key: str) -> int:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise AnswerError(f"fix.{key}: expected an integer, got {type(value).__name__}")
    return value


def _choice(data: Mapping[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = data[key]
    if not isinstance(value, str) or value not in choices:
        raise AnswerError(f"answer.{key}: expected one of {', '.join(choices)}, got {value!r}"[:200])
    return value


def parse_answer(data: object, expected_id: str) -> Answer:
    """Return the validated `Answer`, or raise `AnswerError`."""
    if not isinstance(data, dict):
        raise AnswerError(f"answer: expected an object, got {type(data).__name__}")
    _exact_keys(data, _KEYS, "answer")
    fid = _string(data, "finding_id", 500)
    if fid != expected_id:
        raise AnswerError(f"answer.finding_id: {fid[:80]!r} does not match the finding sent ({expected_id!r})")
    verdict = Verdict(_choice(data, "verdict", tuple(v.value for v in Verdict)))
    impact = _choice(data, "impact", IMPACTS)
    explanation = _string(data, "explanation", MAX_EXPLANATION).strip()
    if not explanation:
        raise AnswerError("answer.explanation: empty")
    confidence = Confidence(_choice(data, "confidence", tuple(c.value for c in Confidence)))
    injection = data["injection_suspected"]
    if not isinstance(injection, bool):
        raise AnswerError(f"answer.injection_suspected: expected true or false, got {type(injection).__name__}")
    fix = _parse_fix(data["fix"])
    reasoning = _string(data, "reasoning", MAX_EXPLANATION).strip()
    return Answer(fid, verdict, impact, explanation, confidence, fix, injection, reasoning)


def _parse_fix(value: object) -> ProposedFix | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise AnswerError(f"answer.fix: expected an object or null, got {type(value).__name__}")
    _exact_keys(value, _FIX_KEYS, "answer.fix")
    start = _integer(value, "start_line")
    end = _integer(value, "end_line")
    if start < 1 or end < start:
        raise AnswerError(f"answer.fix: bad line range {start}-{end}")
    original = _string(value, "original", MAX_REPLACEMENT, "answer.fix")
    replacement = _string(value, "replacement", MAX_REPLACEMENT, "answer.fix")
    return ProposedFix(start, end, original, replacement)


def parse_reviews(data: object, ids: Sequence[str]) -> dict[str, Union[Answer, str]]:
    """The answer to a batched request (`{"reviews": [...]}`): for each id sent, its validated
    `Answer`, or why there is none (a missing, repeated or malformed review affects only its
    finding). A malformed envelope raises `AnswerError`."""
    if not isinstance(data, dict):
        raise AnswerError(f"answer: expected an object, got {type(data).__name__}")
    _exact_keys(data, frozenset({"reviews"}), "answer")
    reviews = data["reviews"]
    if not isinstance(reviews, list):
        raise AnswerError(f"answer.reviews: expected an array, got {type(reviews).__name__}")
    out: dict[str, Union[Answer, str]] = {}
    for fid in ids:
        matches = [r for r in reviews if isinstance(r, dict) and r.get("finding_id") == fid]
        if not matches:
            got = ", ".join(repr(str(r.get("finding_id"))[:80]) for r in reviews if isinstance(r, dict)) or "none"
            out[fid] = f"answer.reviews: no review for {fid!r}; {got} does not match the finding sent"
            continue
        if len(matches) > 1:
            out[fid] = f"answer.reviews: {len(matches)} reviews for {fid!r} (expected one)"
            continue
        try:
            out[fid] = parse_answer(matches[0], fid)
        except AnswerError as err:
            out[fid] = str(err)
    return out
