"""Value detectors for secrets and personal data: the ONE set used by the XH4 privacy rules
(`errlint.sensitive`) and by the review's redactor (`errlint.review.redact`).

Plain data (regular expressions, placeholder lists) and pure functions over text; nothing here
imports libcst, a rule or the configuration.

- `find_values(text)` classifies private data in a string literal, precisely (few false
  positives): it is what the privacy rules report.
- `find_spans(text)` locates every value the redactor must replace, broadly: the same families
  plus phone numbers, IP addresses, `Bearer` tokens, `password: ...` in prose and random-looking
  key material. When in doubt it reports a span: the model never needs a literal value to judge
  error handling.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

# The privacy categories these detectors report (the same strings as `errlint.sensitive`).
SECRET, GOVERNMENT_ID, FINANCIAL, CONTACT = "secret", "government-id", "financial", "contact"

@dataclass(frozen=True)
class ValueMatch:
    category: str
    description: str  # "an email address", "a JWT"


_EMAIL_RE = re.compile(r"(?<![\w.+-])([A-Za-z0-9][A-Za-z0-9._%+-]{0,63})@((?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24})(?![\w-])")
_RESERVED_DOMAINS = ("example.com", "example.org", "example.net", "localhost", "test.com", "domain.com",
                     "email.com", "company.com", "yourdomain.com", "mydomain.com", "acme.com", "foo.com",
                     "bar.com", "host.com", "server.com", "mail.com", "users.noreply.github.com")  # fmt: skip
_RESERVED_TLDS = ("example", "test", "invalid", "localhost", "local", "internal", "lan")
_ROLE_LOCAL_PARTS = frozenset(
    {
        "git", "noreply", "no-reply", "donotreply", "do-not-reply", "root", "postmaster",
        "webmaster", "admin", "administrator", "support", "info", "hostmaster", "abuse",
        "mailer-daemon", "security", "help", "sales", "contact", "hello", "team", "notifications",
        "alerts", "bounce", "bounces", "devnull", "nobody", "user", "username", "email", "name",
        "someone", "somebody", "foo", "bar", "test", "me", "you", "jdoe", "john.doe", "jane.doe",
    }
)  # fmt: skip
_CARD_RE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_CARD_PREFIX_RE = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|6011|65|64[4-9]|35|30[0-5]|36|38|62)")
_SSN_RE = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_IBAN_RE = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30})\b")
_JWT_RE = re.compile(r"\b(eyJ[A-Za-z0-9_-]{8,})\.(eyJ[A-Za-z0-9_-]{8,})\.[A-Za-z0-9_-]{0,}")
_PEM_RE = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_URL_CRED_RE = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://([^\s/:@{}<>%$]*):([^\s/@{}<>]+)@[^\s/@]+")
_PLACEHOLDER_PASSWORDS = frozenset(
    {"password", "pass", "passwd", "pwd", "pw", "secret", "p", "x", "xxx", "xxxx", "changeme", "****",
     "***", "*", "...", "redacted", "hidden", "masked", "token", "key", "pass123", "mypassword",
     "yourpassword", "your_password", "s3cr3t", "hunter2", "dummy", "foo", "bar", "test", "example"}
)  # fmt: skip
_KEY_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"), "an AWS access key"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"), "a GitHub token"),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{60,255}\b"), "a GitHub token"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+"), "a Slack webhook URL"),
    (re.compile(r"\b[rs]k_live_[A-Za-z0-9]{16,}\b"), "a Stripe live key"),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), "a Google API key"),
    (re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}"), "an OpenAI API key"),
    (re.compile(r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{40,}"), "an Anthropic API key"),
)


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum used by payment card numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """The ISO 13616 mod-97 check."""
    compact = iban.replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False  # a character outside [0-9A-Z]: not an IBAN
    return number % 97 == 1


def _varied(text: str, minimum: int = 6) -> bool:
    """Not a placeholder like `xxxxxxxx`/`00000000`: enough distinct characters."""
    return len(set(text)) >= minimum


def _jwt_header_ok(part: str) -> bool:
    try:
        decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        header = json.loads(decoded)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False  # not base64 JSON: this is not a JWT header
    return isinstance(header, dict) and ("alg" in header or "typ" in header)


def _email_is_personal(local: str, domain: str) -> bool:
    domain = domain.lower()
    if domain in _RESERVED_DOMAINS or domain.rsplit(".", 1)[-1] in _RESERVED_TLDS:
        return False
    if domain.startswith("example.") or ".example." in domain:
        return False
    return local.lower() not in _ROLE_LOCAL_PARTS


@lru_cache(maxsize=4096)
def find_values(text: str) -> tuple[ValueMatch, ...]:
    """Private data recognised in the text of a string literal (fast paths first)."""
    found: list[ValueMatch] = []
    if "PRIVATE KEY" in text and _PEM_RE.search(text):
        found.append(ValueMatch(SECRET, "a PEM private key"))
    if "eyJ" in text:
        for match in _JWT_RE.finditer(text):
            if _jwt_header_ok(match.group(1)):
                found.append(ValueMatch(SECRET, "a JWT"))
                break
    for pattern, description in _KEY_SHAPES:
        for match in pattern.finditer(text):
            token = match.group(0)
            if "EXAMPLE" not in token and _varied(token[6:], 8):
                found.append(ValueMatch(SECRET, description))
                break
    if "://" in text:
        for match in _URL_CRED_RE.finditer(text):
            password = match.group(2)
            if password.lower() not in _PLACEHOLDER_PASSWORDS and not set(password) <= set("*xX."):
                found.append(ValueMatch(SECRET, "credentials in a URL"))
                break
    if "@" in text:
        for match in _EMAIL_RE.finditer(text):
            if _email_is_personal(match.group(1), match.group(2)):
                found.append(ValueMatch(CONTACT, "an email address"))
                break
    if sum(ch.isdigit() for ch in text) >= 9:
        for match in _CARD_RE.finditer(text):
            digits = re.sub(r"[ -]", "", match.group(0))
            if 13 <= len(digits) <= 19 and _CARD_PREFIX_RE.match(digits) and _varied(digits, 4) and luhn_valid(digits):
                found.append(ValueMatch(FINANCIAL, "a payment card number"))
                break
        if _SSN_RE.search(text):
            found.append(ValueMatch(GOVERNMENT_ID, "a US social security number"))
        for match in _IBAN_RE.finditer(text):
            if iban_valid(match.group(1)):
                found.append(ValueMatch(FINANCIAL, "an IBAN"))
                break
    return tuple(found)


# --- spans for the redactor ---------------------------------------------------------------------
# (kind, regex, validator). When the regex has a group named `v`, only that group is a value.


def card_number_ok(text: str) -> bool:
    """13 to 19 digits (spaces and dashes allowed), not all the same, passing the Luhn check."""
    digits = "".join(c for c in text if c.isdigit())
    return 13 <= len(digits) <= 19 and len(set(digits)) >= 2 and luhn_valid(digits)


def iban_ok(text: str) -> bool:
    """An IBAN-shaped text of a plausible length that passes mod-97."""
    compact = text.replace(" ", "")
    return 15 <= len(compact) <= 34 and iban_valid(compact)


def _phone_ok(text: str) -> bool:
    digits = sum(c.isdigit() for c in text)
    if text.startswith("+"):
        return 8 <= digits <= 15
    return 9 <= digits <= 13 or (digits == 10 and text[:1] in "(0123456789")


# International (`+44 20 7946 0958`), North American (`(555) 123-4567`), and national formats:
# a trunk prefix 0 (`020 7946 0958`, `06 12 34 56 78`, `030/12345678`, `0612345678`) or three or
# more digit groups (`912 345 678`).
PHONE_RE = re.compile(
    r"(?<![\w+])\+[1-9][\d \-().]{6,18}\d(?!\d)"
    r"|(?<![\d(])\(?\d{3}\)?[ .\-]\d{3}[ .\-]\d{4}(?!\d)"
    r"|(?<![\w+/.\-])\(?0\d{1,4}\)?(?:[ \-/]?\d{2,8}){1,5}(?![\w.\-])"
    r"|(?<![\w+/.\-])[1-9]\d{1,3}(?:[ \-]\d{2,4}){2,4}(?![\w.\-])"
)

# Words that name a secret, in several languages (matched in prose, comments and strings).
SECRET_WORDS = (
    r"pass(?:word|wd|phrase|code)?|pwd|pin(?:[\s_-]?code)?|secret(?:[\s_-]?key)?|api[\s_-]?key|"
    r"access[\s_-]?(?:key|token)|auth[\s_-]?token|client[\s_-]?secret|private[\s_-]?key|token|"
    r"credentials?|[\w-]*key|sig(?:nature)?|mot[\s_-]?de[\s_-]?passe|passwort|kennwort|contrase(?:ñ|n)a|"
    r"senha|wachtwoord|parola|has(?:ł|l)o|salasana|l(?:ö|o)senord|passord|adgangskode|пароль|密码|密碼|"
    r"パスワード|비밀번호|clave|geheimnis"
)
SECRET_PROSE_RE = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?:" + SECRET_WORDS + r")"
    r"(?:\s+(?:for|of|on|to|in|at)\s+(?:the\s+|our\s+)?[\w.@/-]+(?:\s+(?:account|user|server|db|database|box|env))?)?"
    r"\s*(?:\bis\b|\bwas\b|\bare\b|\bequals\b|:|=|->|=>|\u2192)\s*[\"'`]?"
    r"(?P<v>(?![{%$<(\[])[^\s'\"`,;)]{3,})"
)
# What follows "password is" in ordinary prose: not a value.
_PROSE_STOPWORDS = frozenset(
    {"none", "null", "required", "missing", "invalid", "not", "set", "unset", "the", "empty", "wrong",
     "incorrect", "expired", "stored", "hashed", "valid", "used", "sent", "too", "being", "always",
     "never", "optional", "given", "correct", "supplied", "provided", "true", "false", "and", "then",
     "also", "only", "still", "now", "already", "ignored", "checked", "read", "taken", "passed",
     "generated", "rotated", "revoked", "str", "bytes", "int", "dict", "list", "tuple", "any", "optional[str]"}
)  # fmt: skip


def _not_a_stopword(text: str) -> bool:
    return text.lower().rstrip(".") not in _PROSE_STOPWORDS


def _ipv4_ok(text: str) -> bool:
    return not (text.startswith(("127.", "0.", "255.")) or text.endswith(".0.0"))


def _always(text: str) -> bool:
    return True


SPAN_PATTERNS: tuple[tuple[str, re.Pattern[str], Callable[[str], bool]], ...] = (
    (
        "private_key",
        re.compile(
            r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
            r"(?:[\s\S]*?-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s\\]*)"
        ),
        _always,
    ),
    # the password may hold `/` or `:` (`postgres://app:pa/ss@db`): everything up to the last `@`
    ("url_credentials", re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://(?P<v>[^\s:/@'\"<>]*:[^\s@'\"<>]+)@"), _always),
    ("jwt", re.compile(r"(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), _always),
    ("aws_access_key", re.compile(r"(?<![A-Z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])"), _always),
    ("github_token", re.compile(r"(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9_]{36,255}|github_pat_[A-Za-z0-9_]{22,255})"), _always),
    ("slack_token", re.compile(r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+"), _always),
    ("stripe_key", re.compile(r"(?<![A-Za-z0-9])[rsp]k_(?:live|test)_[A-Za-z0-9]{10,}"), _always),
    ("google_api_key", re.compile(r"(?<![A-Za-z0-9])AIza[0-9A-Za-z_\-]{35}"), _always),
    ("anthropic_key", re.compile(r"(?<![A-Za-z0-9])sk-ant-[A-Za-z0-9_\-]{16,}"), _always),
    ("openai_key", re.compile(r"(?<![A-Za-z0-9])sk-(?:proj-)?[A-Za-z0-9_\-]{20,}"), _always),
    ("bearer_token", re.compile(r"(?i)\bbearer\s+(?P<v>[A-Za-z0-9._~+/\-]{16,}=*)"), _always),
    # `password = x`, `api key: x`, `the admin password is x`, `AccountKey=x`, `mot de passe : x`
    ("secret", SECRET_PROSE_RE, _not_a_stopword),
    ("email", re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9])"), _always),
    ("iban", re.compile(r"(?<![A-Z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Z0-9])"), iban_ok),
    ("card_number", re.compile(r"(?<![\d.])\d(?:[ -]?\d){12,18}(?![\d.])"), card_number_ok),
    ("ssn", re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])"), _always),
    ("phone", PHONE_RE, _phone_ok),
    ("ip_address", re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])"), _ipv4_ok),
)  # fmt: skip

_RANDOM_WORD_RE = re.compile(r"[A-Za-z0-9+/_\-]{20,}={0,2}")
_HEX_RE = re.compile(r"[0-9a-fA-F]+")


def entropy(text: str) -> float:
    """Shannon entropy of `text`, in bits per character."""
    counts = Counter(text)
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in counts.values()) if size else 0.0


_CAMEL_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def _wordy(part: str) -> bool:
    """A segment of an identifier or path: a number, or words (lower, Capitalised, UPPER,
    CamelCase, `M2O`, `rfc822`) of three letters on average, few of them one or two letters
    long, with fewer digit runs than half the words. Random text has digits all over and
    breaks into one- and two-letter runs of alternating case."""
    if not part.isascii() or not part.isalnum():
        return not part
    letters = re.sub(r"\d+", " ", part).split()
    if not letters:
        return True  # a number
    digit_runs = len(re.findall(r"\d+", part.strip("0123456789")))
    words = [w for chunk in letters for w in _CAMEL_RE.findall(chunk)]
    short = sum(1 for w in words if len(w) <= 2)
    if len(words) >= 3 and (sum(map(len, words)) < 3 * len(words) or short * 2 >= len(words)):
        return False
    if digit_runs * 2 > len(words):
        return False
    for word in words:
        if len(word) > 12 and entropy(word) >= 3.7:
            return False  # a long run of random letters
        if len(word) >= 9 and sum(c in "aeiouyAEIOUY" for c in word) <= 1:
            return False  # no word is that short of vowels
    return True


def looks_random(word: str) -> bool:
    """True for a random-looking token (a key or password), false for identifiers and paths.

    `/` and `+` belong to base64: a token is a path or an identifier only when every segment
    between `/`, `+`, `_`, `-` and `.` reads like words or a number.
    """
    body = word.rstrip("=")
    if len(body) < 20:
        return False
    digits = sum(c.isdigit() for c in body)
    letters = sum(c.isalpha() for c in body)
    if _HEX_RE.fullmatch(body) and digits >= 3 and letters >= 3:
        return entropy(body) >= 3.0  # hex digests and keys
    if len(re.findall(r"(?<=[A-Za-z])\d+(?=[A-Za-z])", body)) >= 2 and entropy(body) >= 3.5:
        return True  # digits inside words, twice: key material (or `PBKDF2SHA1Hasher`)
    vowels = sum(c in "aeiouAEIOU" for c in body)
    mixed = digits > 0 or (body.upper() != body and body.lower() != body)
    if mixed and letters and vowels < 0.22 * letters and entropy(body) >= 4.0:
        return True  # words have vowels (about 40% of letters); random letters about 19%
    if (
        len(body) >= 32
        and any(c.isupper() for c in body)
        and any(c.islower() for c in body)
        and not re.search(r"[/+][a-z]*[./][a-z]", body)  # not a path or URL of words
        and max(len(p) for p in re.split(r"[_\-/+.]", body)) >= 20
        and entropy(body) >= 4.3
    ):
        return True  # base64(url) of a key (an AWS secret key is 40 characters): when unsure, redact
    if all(_wordy(p) for p in re.split(r"[_\-/+.]", body)):
        return False  # snake_case, kebab-case, CamelCase words or a path of them
    upper = any(c.isupper() for c in body)
    lower = any(c.islower() for c in body)
    if upper and lower:  # base64 and the like
        return entropy(body) >= 3.5
    if digits >= 3 and letters >= 3:  # one case: base32
        return entropy(body) >= 3.3
    return entropy(body) >= 3.6  # one case, (almost) no digits: far from any word


def find_spans(text: str) -> list[tuple[int, int, str]]:
    """The (start, end, kind) spans of secrets and personal data in `text`, without overlaps."""
    spans: list[tuple[int, int, str]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _ in spans)

    for kind, pattern, check in SPAN_PATTERNS:
        for match in pattern.finditer(text):
            group = "v" if "v" in pattern.groupindex else 0
            start, end = match.span(group)
            value = match.group(group)
            if start > 0 and text[start - 1] == "\\" and kind in ("email", "secret"):
                start, value = start + 1, value[1:]  # `\nbob@x.org`: keep the escape intact
            if value and check(value) and free(start, end):
                spans.append((start, end, kind))
    for match in _RANDOM_WORD_RE.finditer(text):
        if looks_random(match.group(0)) and free(*match.span()):
            spans.append((match.start(), match.end(), "high_entropy"))
    return spans
