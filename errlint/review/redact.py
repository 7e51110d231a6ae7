"""Replace secrets and personal data by placeholders before anything is serialised.

What is looked at: string literals (including docstrings and f-string text), comments, and long
integer literals (card numbers), found with the tokenizer, never by executing anything. What is
detected:

- known secret formats: private-key PEM blocks, credentials in URLs, JWTs, AWS/GitHub/Slack/
  Stripe/Google/Anthropic/OpenAI keys, `Bearer` tokens, `password=...` written in text;
- literals assigned, passed or compared to a sensitive name (`password = "..."`,
  `connect(api_key="...")`, `{"token": "..."}`, `if secret == "..."`);
- high-entropy strings (random-looking base64/hex of 20+ characters);
- personal data: emails, card numbers (Luhn-checked), phone numbers, US SSNs, IBANs (mod-97
  checked), IPv4 addresses (the same value families as errlint's XH4 privacy rules).

Each value becomes `<REDACTED:kind:n>` inside the literal or comment, so the code still parses
and keeps its line numbers; the same value gets the same placeholder within a file. The map from
placeholders back to values lives only in memory (`Redacted.values`): it is never written to the
cache, the report, or a patch.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional, Sequence

from errlint.config import Config
from errlint.knowledge.values import card_number_ok, find_spans, find_values, looks_random
from errlint.sensitive import ACCOUNT_ID, DEFAULT_VOCABULARY, vocabulary_for

PLACEHOLDER_RE = re.compile(r"<REDACTED:([a-z0-9_]+):(\d+)>")

# --- sensitive names ------------------------------------------------------------------------

_NAME_SPLIT_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
SENSITIVE_TOKENS = frozenset(
    {
        # credentials and secrets
        "password", "passwd", "pwd", "pass", "passphrase", "passcode", "pin", "secret", "secrets",
        "token", "apikey", "credential", "credentials", "authorization", "bearer", "cookie",
        "signature", "dsn", "otp", "totp", "salt", "privatekey", "contrasena",
        # personal data
        "ssn", "email", "phone", "mobile", "iban", "cvv", "cvc", "passport", "dob", "birthday",
    }
)  # fmt: skip
SENSITIVE_PAIRS = frozenset(
    {
        ("api", "key"), ("access", "key"), ("private", "key"), ("secret", "key"), ("signing", "key"),
        ("encryption", "key"), ("session", "key"), ("client", "secret"), ("connection", "string"),
        ("database", "url"), ("card", "number"), ("account", "number"), ("credit", "card"),
        ("tax", "id"), ("national", "id"), ("routing", "number"), ("social", "security"),
    }
)  # fmt: skip
SAFE_TOKENS = frozenset(
    {
        "hash", "hashed", "digest", "masked", "mask", "redacted", "count", "len", "length", "type",
        "types", "url", "uri", "path", "file", "dir", "name", "names", "field", "fields", "env",
        "var", "header", "policy", "enabled", "prefix", "suffix", "pattern", "regex", "format",
        "label", "help", "placeholder", "expiry", "expires", "ttl", "timeout", "min", "max",
        "endpoint", "class", "kind", "id", "ids", "param", "key", "attr", "reset", "is", "has",
        "tokens", "budget", "limit", "strength", "required", "validator", "domain",
    }
)  # fmt: skip


def name_tokens(name: str) -> list[str]:
    """Split `apiKey`, `API_KEY`, `x-api-key`, `user.email` into lower-case word tokens."""
    last = name.rsplit(".", 1)[-1]
    return [t.lower() for t in _NAME_SPLIT_RE.findall(last)]


def is_sensitive_name(name: str) -> bool:
    """True for names whose literal values are secrets or personal data (`db_password`, `apiKey`)."""
    tokens = name_tokens(name)
    if not tokens:
        return False
    pairs = set(zip(tokens, tokens[1:]))
    if pairs & SENSITIVE_PAIRS:
        return True
    if any(t in SAFE_TOKENS for t in tokens):
        return False
    return any(t in SENSITIVE_TOKENS for t in tokens)


@dataclass(frozen=True)
class Policy:
    """What counts as sensitive: a name test, and extra value detectors (categories found in a text).

    `xh4_policy(config)` adds errlint's XH4 vocabulary (with `[tool.errlint.pii]` applied) and
    its value detectors (`errlint.sensitive.find_values`) to the patterns above, so anything the
    privacy rules would call private data is never sent either.
    """

    names: Callable[[str], bool] = is_sensitive_name
    values: Optional[Callable[[str], Sequence[str]]] = None


def xh4_policy(config: Optional[Config] = None) -> Policy:
    """The redaction policy extended with the XH4 privacy rules' vocabulary and value detectors."""
    vocabulary = vocabulary_for(config) if config is not None else DEFAULT_VOCABULARY

    def names(name: str) -> bool:
        if is_sensitive_name(name):
            return True
        match = vocabulary.classify(name)
        return match is not None and match.category != ACCOUNT_ID

    def values(text: str) -> Sequence[str]:
        return [m.category.replace("-", "_") for m in find_values(text)]

    return Policy(names, values)


# --- the redactor ---------------------------------------------------------------------------


@dataclass
class Redacted:
    """Redacted text, the placeholder map (memory only) and counts by kind."""

    text: str
    values: dict[str, str] = field(default_factory=dict)  # placeholder -> original segment
    segments: dict[str, str] = field(default_factory=dict)  # placeholder -> text put in its place
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def counts_in(self, text: str) -> dict[str, int]:
        """Counts by kind of the placeholders that occur in `text` (a part of the redacted text)."""
        found = Counter(m.group(1) for m in PLACEHOLDER_RE.finditer(text))
        return dict(sorted(found.items()))

    def restore(self, text: str) -> Optional[str]:
        """Put the original values back into `text`; None when a placeholder is unknown or altered."""
        result = text
        for match in sorted(set(PLACEHOLDER_RE.findall(text))):
            placeholder = f"<REDACTED:{match[0]}:{match[1]}>"
            if placeholder not in self.values:
                return None
            segment = self.segments[placeholder]
            if segment not in result:
                return None  # a multi-line value whose padding lines were changed
            result = result.replace(segment, self.values[placeholder])
        return result


class Redactor:
    """Hands out stable placeholders for one file (the same value -> the same placeholder)."""

    def __init__(self, result: Optional[Redacted] = None, policy: Optional[Policy] = None) -> None:
        """Start afresh, or continue the numbering of an earlier `result` (same file)."""
        self.policy = policy or Policy()
        self.result = result if result is not None else Redacted("")
        self._by_value: dict[tuple[str, str], str] = {}
        self._numbers: Counter[str] = Counter()
        for placeholder, value in self.result.values.items():
            match = PLACEHOLDER_RE.fullmatch(placeholder)
            if match:
                self._by_value[(match.group(1), value)] = placeholder
                self._numbers[match.group(1)] = max(self._numbers[match.group(1)], int(match.group(2)))

    def placeholder(self, kind: str, value: str, segment_suffix: str = "", quote: str = "") -> str:
        """The placeholder for `value`; `segment_suffix`/`quote` say what surrounds it in the text."""
        key = (kind, value)
        existing = self._by_value.get(key)
        if existing is None:
            self._numbers[kind] += 1
            existing = f"<REDACTED:{kind}:{self._numbers[kind]}>"
            self._by_value[key] = existing
            self.result.values[existing] = value
            self.result.segments[existing] = quote + existing + quote + segment_suffix
        self.result.counts[kind] += 1
        return existing

    def scrub(self, text: str, newline_pad: str = "\n") -> str:
        """Redact value patterns and random-looking words in a piece of text (a literal or comment)."""
        spans = find_spans(text)
        out = text
        for start, end, kind in sorted(spans, reverse=True):
            value = text[start:end]
            pad = newline_pad * value.count("\n")
            out = out[:start] + self.placeholder(kind, value, pad) + pad + out[end:]
        leftover = self.policy.values(PLACEHOLDER_RE.sub("", out)) if self.policy.values and out.strip() else ()
        if leftover:
            # The XH4 detectors still see private data: nothing of this text is sent.
            core = text.strip()
            lead = text[: len(text) - len(text.lstrip())]
            pad = newline_pad * core.count("\n")
            trail = text[len(lead) + len(core) :]
            return lead + self.placeholder(leftover[0], core, pad) + pad + trail
        return out


_STRING_RE = re.compile(r"(?s)^(?P<prefix>[A-Za-z]*)(?P<quote>'''|\"\"\"|'|\")(?P<body>.*)(?P=quote)$")
_ASSIGN_OPS = frozenset({"=", ":", "==", "!=", ":=", "+=", "|="})
_BOUNDARY_OPS = frozenset({",", "(", "[", "{", ";"})
_INT_CARD_RE = re.compile(r"\d[\d_]{12,22}")


def redact_source(text: str, policy: Optional[Policy] = None) -> Redacted:
    """Redact one Python source text; line count and line numbers are kept."""
    redactor = Redactor(policy=policy)
    try:
        out = _redact_tokens(text, redactor)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        # Not tokenizable (it is not sent anyway when it does not parse): scrub everything.
        redactor = Redactor(policy=policy)
        out = redactor.scrub(text)
    redactor.result.text = out
    return redactor.result


def redact_text(text: str, redacted: Optional[Redacted] = None, policy: Optional[Policy] = None) -> str:
    """Redact free text (a finding message); with `redacted`, share that file's placeholders."""
    return Redactor(redacted, policy).scrub(text)


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    for line in io.StringIO(text).readlines():
        offsets.append(offsets[-1] + len(line))
    return offsets


def _tokens(text: str) -> Iterator[tokenize.TokenInfo]:
    return tokenize.generate_tokens(io.StringIO(text).readline)


def _redact_tokens(text: str, redactor: Redactor) -> str:
    offsets = _line_offsets(text)

    def offset(pos: tuple[int, int]) -> int:
        return offsets[pos[0] - 1] + pos[1]

    edits: list[tuple[int, int, str]] = []
    significant: list[tokenize.TokenInfo] = []  # recent tokens of the current logical line
    fstring_context: list[bool] = []
    fstring_start = getattr(tokenize, "FSTRING_START", -1)
    fstring_middle = getattr(tokenize, "FSTRING_MIDDLE", -1)
    fstring_end = getattr(tokenize, "FSTRING_END", -1)
    for tok in _tokens(text):
        if tok.type == tokenize.ERRORTOKEN and not tok.string.isspace():
            raise tokenize.TokenError("unterminated or invalid token", tok.start)
        start, end = offset(tok.start), offset(tok.end)
        segment = text[start:end]
        if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            significant = []
            continue
        if tok.type == tokenize.COMMENT:
            scrubbed = "#" + redactor.scrub(segment[1:])
            if scrubbed != segment:
                edits.append((start, end, scrubbed))
            continue
        if tok.type in (tokenize.NL, tokenize.INDENT, tokenize.DEDENT):
            continue
        if tok.type == tokenize.STRING:
            if _assigned_to_sensitive(significant, redactor.policy.names):
                edits.append((start, end, _whole_literal(segment, redactor)))
            else:
                scrubbed = _scrub_literal(segment, redactor)
                if scrubbed != segment:
                    edits.append((start, end, scrubbed))
            significant.append(tok)
            continue
        if tok.type == fstring_start:
            fstring_context.append(_assigned_to_sensitive(significant, redactor.policy.names))
        elif tok.type == fstring_middle and segment:
            if fstring_context and fstring_context[-1]:
                edits.append((start, end, redactor.placeholder("secret", segment, "\n" * segment.count("\n"))
                              + "\n" * segment.count("\n")))  # fmt: skip
            else:
                scrubbed = redactor.scrub(segment)
                if scrubbed != segment:
                    edits.append((start, end, scrubbed))
        elif tok.type == fstring_end and fstring_context:
            fstring_context.pop()
        elif tok.type == tokenize.NUMBER and _INT_CARD_RE.fullmatch(segment) and card_number_ok(segment.replace("_", "")):
            edits.append((start, end, '"' + redactor.placeholder("card_number", segment, quote='"') + '"'))
        significant.append(tok)
        if len(significant) > 12:
            del significant[:-12]
    out = text
    for start, end, new in sorted(edits, reverse=True):
        out = out[:start] + new + out[end:]
    return out


def _assigned_to_sensitive(previous: list[tokenize.TokenInfo], sensitive: Callable[[str], bool]) -> bool:
    """Is the literal that follows `previous` assigned, passed or compared to a sensitive name?"""
    index = len(previous) - 1
    # implicit concatenation and parentheses: `password = ("a" "b")`
    while index >= 0 and (previous[index].type == tokenize.STRING or previous[index].string == "("):
        if previous[index].string == "(" and index > 0 and previous[index - 1].type == tokenize.NAME:
            break  # a call: `f(` is not a parenthesised value
        index -= 1
    if index < 0 or previous[index].type != tokenize.OP or previous[index].string not in _ASSIGN_OPS:
        return False
    for tok in reversed(previous[max(0, index - 5) : index]):
        if tok.type == tokenize.OP and tok.string in _BOUNDARY_OPS:
            break
        if tok.type == tokenize.NAME and sensitive(tok.string):
            return True
        if tok.type == tokenize.STRING:
            match = _STRING_RE.match(tok.string)
            if match and sensitive(match.group("body")):
                return True
    return False


def _whole_literal(segment: str, redactor: Redactor) -> str:
    match = _STRING_RE.match(segment)
    if match is None or not match.group("body"):
        return segment
    body = match.group("body")
    quote = match.group("quote")
    pad = ("\n" if len(quote) == 3 else "\\\n") * body.count("\n")
    spans = find_spans(body)
    # A value of a known format keeps its kind (`stripe_key`); anything else is a `secret`.
    kind = spans[0][2] if len(spans) == 1 and spans[0][:2] == (0, len(body)) else "secret"
    return match.group("prefix") + quote + redactor.placeholder(kind, body, pad) + pad + quote


def _scrub_literal(segment: str, redactor: Redactor) -> str:
    match = _STRING_RE.match(segment)
    if match is None:
        return redactor.scrub(segment)
    pad = "\n" if len(match.group("quote")) == 3 else "\\\n"
    body = redactor.scrub(match.group("body"), pad)
    return match.group("prefix") + match.group("quote") + body + match.group("quote")
