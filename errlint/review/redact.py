"""Replace secrets and personal data by placeholders before anything is serialised.

What is looked at: string literals (including docstrings and f-string text), comments, and
numbers, found with the tokenizer, never by executing anything. The value detectors are the
shared ones of `errlint.knowledge.values` (also used by the XH4 privacy rules). Replaced:

- values of known formats and personal data (`find_spans`): keys and tokens, PEM blocks, URL
  credentials (a password may hold `/`), JWTs, e-mails, cards, IBANs, SSNs, phone numbers in
  international and national formats, IP addresses, `password is ...`/`api key: ...` in prose,
  and random-looking key material (base64 with `/` and `+`, hex, base32);
- every literal and number in a credential context: assigned, passed, compared or used as a dict
  value under a sensitive name, in any of several languages (`password = "..."`, `pin = 4921`,
  `mot_de_passe = "..."`, `contraseña = "..."`), inside a bracket opened there
  (`auth=("admin", "...")`), passed to a credential call (`HTTPBasicAuth(u, "...")`,
  `smtp.login(u, "...")`), or following a sensitive key in a call
  (`os.getenv("DB_PASSWORD", "...")`, `os.environ.setdefault("X_SECRET_KEY", "...")`);
- every literal and comment line of a private-key block, from its BEGIN line to its END line;
- every part of a value split over adjacent literals (`"AKIA" "Z3MS..."`).

When a value cannot be classified, it is redacted: the model never needs a literal value to
judge error handling. Each value becomes `<REDACTED:kind:n>` inside the literal or comment, so
the code still parses and keeps its line numbers; the same value gets the same placeholder
within a file. The map from placeholders back to values lives only in memory
(`Redacted.values`): it is never written to the cache, the report, or a patch.
"""

from __future__ import annotations

import io
import re
import tokenize
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional, Sequence

from errlint.config import Config
from errlint.knowledge.values import card_number_ok, find_spans, find_values
from errlint.knowledge.values import looks_random as looks_random  # noqa: F401 - re-exported
from errlint.sensitive import ACCOUNT_ID, DEFAULT_VOCABULARY, looks_like_key, vocabulary_for

PLACEHOLDER_RE = re.compile(r"<REDACTED:([a-z0-9_]+):(\d+)>")

# --- sensitive names ------------------------------------------------------------------------

_NAME_SPLIT_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
SENSITIVE_TOKENS = frozenset(
    {
        # credentials and secrets
        "password", "passwd", "pwd", "pass", "passphrase", "passcode", "pin", "secret", "secrets",
        "token", "apikey", "credential", "credentials", "authorization", "bearer", "cookie",
        "signature", "dsn", "otp", "totp", "salt", "privatekey", "contrasena", "auth", "creds", "cred",
        "pw", "secretkey", "accesskey", "privkey", "passkey", "sig", "pincode", "cvc2", "cvv2",
        # the same in other languages (accents folded: contraseña -> contrasena)
        "passwort", "kennwort", "passe", "motdepasse", "contrasenya", "senha", "wachtwoord", "parola",
        "haslo", "heslo", "jelszo", "salasana", "losenord", "passord", "adgangskode", "sifre",
        "clave", "geheimnis", "segreto", "geheim", "wachtwoorden", "codigo",
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
        ("account", "key"), ("storage", "key"), ("master", "key"), ("shared", "key"), ("signing", "secret"),
        ("sas", "token"), ("bank", "account"), ("pin", "number"), ("security", "code"),
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


# Names in scripts without case or word breaks, matched as substrings.
_NON_LATIN_SECRET_WORDS = ("пароль", "密码", "密碼", "口令", "パスワード", "暗証", "비밀번호", "סיסמה", "كلمة")


def _fold(text: str) -> str:
    """Accents folded (`contraseña` -> `contrasena`, `hasło` -> `haslo`)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L").replace("ß", "ss"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_tokens(name: str) -> list[str]:
    """Split `apiKey`, `API_KEY`, `x-api-key`, `user.email` into lower-case word tokens."""
    last = _fold(name.rsplit(".", 1)[-1])
    return [t.lower() for t in _NAME_SPLIT_RE.findall(last)]


def is_sensitive_name(name: str) -> bool:
    """True for names whose literal values are secrets or personal data (`db_password`, `apiKey`)."""
    if any(word in name.lower() for word in _NON_LATIN_SECRET_WORDS):
        return True
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


@dataclass
class _Frame:
    """An open bracket: do the literals inside it carry a credential?"""

    sensitive: bool  # `auth=(...)`, `HTTPBasicAuth(...)`, inside `password = [...]`
    call: bool
    key_seen: bool = False  # `os.getenv("DB_PASSWORD", ...)`: what follows the name is its value


_PEM_BEGIN_RE = re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_END_RE = re.compile(r"-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")


def _redact_tokens(text: str, redactor: Redactor) -> str:
    offsets = _line_offsets(text)

    def offset(pos: tuple[int, int]) -> int:
        return offsets[pos[0] - 1] + pos[1]

    edits: dict[int, tuple[int, str]] = {}  # start -> (end, new text)
    whole: set[int] = set()  # starts of literals replaced as a whole
    significant: list[tokenize.TokenInfo] = []  # recent tokens of the current logical line
    frames: list[_Frame] = []
    runs: list[list[tuple[int, int, str]]] = [[]]  # adjacent string literals (implicit concatenation)
    pem_open = False  # inside a private-key block spread over literals or comment lines
    fstring_context: list[bool] = []
    fstring_start = getattr(tokenize, "FSTRING_START", -1)
    fstring_middle = getattr(tokenize, "FSTRING_MIDDLE", -1)
    fstring_end = getattr(tokenize, "FSTRING_END", -1)
    names = redactor.policy.names

    def credential_context() -> bool:
        top = frames[-1] if frames else None
        return bool(top and (top.sensitive or top.key_seen)) or _assigned_to_sensitive(significant, names)

    for tok in _tokens(text):
        if tok.type == tokenize.ERRORTOKEN and not tok.string.isspace():
            raise tokenize.TokenError("unterminated or invalid token", tok.start)
        start, end = offset(tok.start), offset(tok.end)
        segment = text[start:end]
        if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            significant = []
            frames = []
            runs.append([])
            continue
        if tok.type == tokenize.COMMENT:
            opens = _PEM_BEGIN_RE.search(segment)
            if pem_open or opens:
                # A key block in comment lines: every line of it goes, up to the END line.
                body = segment[1:]
                lead = body[: len(body) - len(body.lstrip())]
                edits[start] = (end, "#" + lead + redactor.placeholder("private_key", body.strip()))
                closes = _PEM_END_RE.search(segment, opens.end() if opens else 0)
                pem_open = closes is None
                continue
            scrubbed = "#" + redactor.scrub(segment[1:])
            if scrubbed != segment:
                edits[start] = (end, scrubbed)
            continue
        if tok.type in (tokenize.NL, tokenize.INDENT, tokenize.DEDENT):
            continue
        if tok.type == tokenize.STRING:
            opens = _PEM_BEGIN_RE.search(segment)
            if pem_open or credential_context():
                edits[start] = (end, _whole_literal(segment, redactor, "private_key" if pem_open else None))
                whole.add(start)
            else:
                scrubbed = _scrub_literal(segment, redactor)
                if scrubbed != segment:
                    edits[start] = (end, scrubbed)
            if pem_open or opens:
                closes = _PEM_END_RE.search(segment, opens.end() if opens else 0)
                pem_open = closes is None
            if frames and frames[-1].call and _is_sensitive_key(segment, names):
                frames[-1].key_seen = True
            runs[-1].append((start, end, segment))
            significant.append(tok)
            continue
        if runs[-1]:
            runs.append([])
        if tok.type == fstring_start:
            fstring_context.append(pem_open or credential_context())
        elif tok.type == fstring_middle and segment:
            if fstring_context and fstring_context[-1]:
                edits[start] = (end, redactor.placeholder("secret", segment, "\n" * segment.count("\n"))
                                + "\n" * segment.count("\n"))  # fmt: skip
            else:
                scrubbed = redactor.scrub(segment)
                if scrubbed != segment:
                    edits[start] = (end, scrubbed)
        elif tok.type == fstring_end and fstring_context:
            fstring_context.pop()
        elif tok.type == tokenize.NUMBER:
            if _INT_CARD_RE.fullmatch(segment) and card_number_ok(segment.replace("_", "")):
                edits[start] = (end, '"' + redactor.placeholder("card_number", segment, quote='"') + '"')
            elif credential_context():  # `pin = 4921`, `account_number = 12345678`
                edits[start] = (end, '"' + redactor.placeholder("secret", segment, quote='"') + '"')
        elif tok.type == tokenize.OP and tok.string in "([{":
            callee = significant[-1] if significant else None
            is_call = tok.string == "(" and callee is not None and callee.type == tokenize.NAME
            sensitive = credential_context() or (is_call and callee is not None and _credential_call(callee.string))
            frames.append(_Frame(sensitive, is_call))
        elif tok.type == tokenize.OP and tok.string in ")]}" and frames:
            frames.pop()
        significant.append(tok)
        if len(significant) > 12:
            del significant[:-12]
    for run in runs:
        _redact_split_values(run, edits, whole, redactor)
    out = text
    for start in sorted(edits, reverse=True):
        end, new = edits[start]
        out = out[:start] + new + out[end:]
    return out


# Calls whose literal arguments are credentials: `HTTPBasicAuth(u, "...")`, `smtp.login(u, "...")`.
_CREDENTIAL_CALL_TOKENS = frozenset(
    {"auth", "login", "logon", "signin", "authenticate", "credential", "credentials", "password", "passwd",
     "secret", "connect", "token", "apikey"}
)  # fmt: skip


def _credential_call(name: str) -> bool:
    tokens = name_tokens(name)
    if tokens and tokens[-1] in ("error", "exception", "warning", "failed", "failure", "denied", "invalid"):
        return False  # `AuthError("...")`: an exception's message, not a credential
    return any(t in _CREDENTIAL_CALL_TOKENS for t in tokens)


def _is_sensitive_key(segment: str, names: Callable[[str], bool]) -> bool:
    """A literal that names a secret (`"DB_PASSWORD"`, `"X-Api-Key"`)."""
    match = _STRING_RE.match(segment)
    return bool(match and looks_like_key(match.group("body")) and names(match.group("body")))


def _redact_split_values(
    run: list[tuple[int, int, str]], edits: dict[int, tuple[int, str]], whole: set[int], redactor: Redactor
) -> None:
    """A value split over adjacent literals (`"AKIA" "Z3MS..."`): when the joined text holds a
    value that no single part shows whole, every part of the run is replaced."""
    if len(run) < 2 or all(start in whole for start, _, _ in run):
        return
    bodies = []
    for _, _, segment in run:
        match = _STRING_RE.match(segment)
        if match is None:
            return
        bodies.append(match.group("body"))
    joined = "".join(bodies)
    bounds = []
    position = 0
    for body in bodies:
        bounds.append((position, position + len(body)))
        position += len(body)
    crossing = any(
        not any(low <= s and e <= high for low, high in bounds) for s, e, _ in find_spans(joined)
    ) or bool(redactor.policy.values and redactor.policy.values(joined) and not all(
        redactor.policy.values(b) for b in bodies if b))  # fmt: skip
    if not crossing:
        return
    for start, end, segment in run:
        if start not in whole:
            edits[start] = (end, _whole_literal(segment, redactor))
            whole.add(start)


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


def _whole_literal(segment: str, redactor: Redactor, kind: Optional[str] = None) -> str:
    match = _STRING_RE.match(segment)
    if match is None or not match.group("body"):
        return segment
    body = match.group("body")
    quote = match.group("quote")
    newline = "\n" if len(quote) == 3 else "\\\n"
    parts = _fstring_parts(body) if "f" in match.group("prefix").lower() else None
    if parts is not None and any(is_field for is_field, _ in parts):
        # An f-string (one token before Python 3.12): its text goes, its `{fields}` stay.
        out = []
        for is_field, text in parts:
            if is_field or not text:
                out.append(text)
            else:
                gap = newline * text.count("\n")
                out.append(redactor.placeholder(kind or "secret", text, gap) + gap)
        return match.group("prefix") + quote + "".join(out) + quote
    pad = newline * body.count("\n")
    spans = find_spans(body)
    # A value of a known format keeps its kind (`stripe_key`); anything else is a `secret`.
    if kind is None:
        kind = spans[0][2] if len(spans) == 1 and spans[0][:2] == (0, len(body)) else "secret"
    return match.group("prefix") + quote + redactor.placeholder(kind, body, pad) + pad + quote


def _fstring_parts(body: str) -> Optional[list[tuple[bool, str]]]:
    """An f-string body as (is a `{field}`, text) parts; None when the braces do not balance."""
    parts: list[tuple[bool, str]] = []
    start = index = 0
    while index < len(body):
        char = body[index]
        if char in "{}" and body[index + 1 : index + 2] == char:
            index += 2  # `{{` or `}}`: literal text
            continue
        if char == "{":
            depth, end = 0, index
            while end < len(body):
                depth += {"{": 1, "}": -1}.get(body[end], 0)
                if depth == 0:
                    break
                end += 1
            if end >= len(body):
                return None
            parts += [(False, body[start:index]), (True, body[index : end + 1])]
            index = start = end + 1
            continue
        index += 1
    parts.append((False, body[start:]))
    return parts


def _scrub_literal(segment: str, redactor: Redactor) -> str:
    match = _STRING_RE.match(segment)
    if match is None:
        return redactor.scrub(segment)
    pad = "\n" if len(match.group("quote")) == 3 else "\\\n"
    body = redactor.scrub(match.group("body"), pad)
    return match.group("prefix") + match.group("quote") + body + match.group("quote")
