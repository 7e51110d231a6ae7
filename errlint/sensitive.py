"""Sensitive names and values (PII, secrets) and the sinks they must not reach: the XH4 vocabulary.

Three layers, each computed once and cached (per config, per name, per node):

1. **Names.** `tokenize` splits an identifier, dict key or keyword on `_`, `-`, `.`, camelCase and
   digits (`userEMailAddress2` -> `user e mail address`). `Vocabulary.classify` matches whole
   tokens and token sequences, never substrings, so `author`, `secretary`, `passenger`, `compass`,
   `keyboard` and `monkey` are safe. The match must end at the name's *head* (its last token,
   after dropping `value`/`str`/`raw`/`plain`...): `user_email` is an email, but `email_domain`,
   `password_hash`, `token_count`, `token_type`, `password_reset_url` are not. Names that start
   with a flag, quantity or safe-state word (`is_`, `has_`, `max_`, `num_`, `hashed_`, `masked_`,
   `redacted_`...) are never sensitive. Categories and default severities: secret, government-id,
   financial, health -> error; contact, identity, network -> warning; account-id -> info, and only
   reported next to another category. `[tool.errlint.pii]` adds names per category
   (`extend-names`), allows names or glob patterns (`allow-names`) and sets per-category
   `severity`.
2. **Values.** `find_values` recognises private data in string literals: emails (not reserved or
   role addresses), card numbers passing the Luhn check with a known issuer prefix, US SSNs,
   IBANs passing mod-97, JWTs whose header decodes to JSON, AWS/GitHub/Slack/Stripe/Google/OpenAI
   key shapes, PEM private-key headers and credentials in URLs (`scheme://user:secret@host`).
3. **Sinks and scanning** (`PrivacyAnalysis`, one per file): which calls are log sinks (logging,
   structlog/loguru kwargs and `.bind()`, `print`, `warnings.warn`, Sentry scope setters,
   OpenTelemetry span attributes/events) or exception constructors, and which sensitive names,
   values and whole objects reach them, following simple data flow (`errlint.dataflow`).
   XH401, XH402 and XH403 read the same cached hits; none walks the tree on its own.
"""

from __future__ import annotations

import builtins
import fnmatch
import re
import string
import weakref
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Mapping, Optional, Sequence, Union

import libcst as cst

from errlint.analysis import dotted_name, iter_children, last_segment
from errlint.dataflow import (
    ASSIGN, AUGASSIGN, LOOP, NAMED, PARAM, WITH, Binding, ScopeFlow, flow_for, hides_value,
    is_opaque_call, is_partial_slice, is_redaction_call,
)  # fmt: skip
from errlint.finding import Severity
from errlint.knowledge import otel
from errlint.knowledge.testcode import in_test_scope, is_operator_script, is_test_path
from errlint.knowledge.values import ValueMatch, find_values, iban_valid, luhn_valid  # shared with the redactor
from errlint.logcalls import LOG_CALL_PATTERNS, logger_library

if TYPE_CHECKING:
    from errlint.config import Config
    from errlint.context import FileContext

# --- categories -----------------------------------------------------------------------------

SECRET, GOVERNMENT_ID, FINANCIAL, HEALTH = "secret", "government-id", "financial", "health"
CONTACT, IDENTITY, NETWORK, ACCOUNT_ID = "contact", "identity", "network", "account-id"
CATEGORIES: tuple[str, ...] = (SECRET, GOVERNMENT_ID, FINANCIAL, HEALTH, CONTACT, IDENTITY, NETWORK, ACCOUNT_ID)
DEFAULT_SEVERITIES: dict[str, Severity] = {
    SECRET: Severity.ERROR,
    GOVERNMENT_ID: Severity.ERROR,
    FINANCIAL: Severity.ERROR,
    HEALTH: Severity.ERROR,
    CONTACT: Severity.WARNING,
    IDENTITY: Severity.WARNING,
    NETWORK: Severity.WARNING,
    ACCOUNT_ID: Severity.INFO,
}

# --- tokenizer ------------------------------------------------------------------------------

_BOUNDARY_RE = re.compile(
    r"[\W_]+"  # separators: _ - . space and any other non-word character
    r"|(?<=[a-z])(?=[A-Z])"  # camelCase
    r"|(?<=[A-Z])(?=[A-Z][a-z])"  # HTTPHeader -> HTTP Header
    r"|(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])"  # letters|digits
)
_IPV_RE = re.compile(r"IPv(?=\d)")


@lru_cache(maxsize=8192)
def tokenize(name: str) -> tuple[str, ...]:
    """Split an identifier or key into lowercase word tokens; digits are dropped.

    `apiKey` -> (api, key); `HTTP_X_FORWARDED_FOR` -> (http, x, forwarded, for);
    `user.email` -> (user, email); `cvv2` -> (cvv,); `IPv4Address` -> (ipv, address).
    """
    name = _IPV_RE.sub("Ipv", name)
    return tuple(t.lower() for t in _BOUNDARY_RE.split(name) if t and not t.isdigit())


# --- the default vocabulary ---------------------------------------------------------------------
# Names are written snake_case; each becomes a token sequence. A name matches an entry when the
# entry equals the tail of the name's tokens (after normalisation): `client_secret` matches
# `secret`, `db_password` matches `password`. research/rules-anchors.md §(b) lists the sources.

DEFAULT_NAMES: dict[str, tuple[str, ...]] = {
    SECRET: (
        "password", "passphrase", "pass_phrase", "passcode", "pass_code", "pin", "pin_code",
        "user_pin", "pin_number",
        "secret", "api_key", "api_token", "access_key", "secret_key", "private_key",
        "signing_key", "sign_key", "encryption_key", "service_key", "account_key", "db_key",
        "database_key", "client_key", "master_key", "license_key", "ssh_key", "hmac_key",
        "aes_key", "fernet_key", "jwt_key", "session_key", "auth_key", "storage_key",
        "subscription_key", "webhook_key", "token", "bearer", "jwt", "authorization",
        "authorization_code", "auth_code", "auth_header", "auth_string", "basic_auth",
        "credential", "cookie", "session_id", "session_token", "session_cookie", "csrf",
        "xsrf", "csrf_token", "otp", "totp", "hotp", "mfa_code", "one_time_password",
        "one_time_code", "verification_code", "sms_code", "recovery_code", "backup_code",
        "dsn", "database_url", "database_uri", "db_url", "db_uri", "connection_string",
        "conn_string", "conn_str", "connection_uri", "broker_url",
        "webhook_signature", "hmac_signature",
        # `pass` only as a whole name or after an owner (db_pass, key_pass, smtp_pass ...)
        "pass", "db_pass", "database_pass", "key_pass", "user_pass", "admin_pass", "root_pass",
        "mysql_pass", "pg_pass", "postgres_pass", "smtp_pass", "ftp_pass", "proxy_pass",
        "http_pass", "ldap_pass", "bind_pass", "mail_pass", "email_pass", "redis_pass",
        "login_pass", "account_pass", "wifi_pass", "ssh_pass", "keystore_pass",
        "truststore_pass", "sasl_pass", "amqp_pass", "rabbit_pass", "vnc_pass",
    ),
    GOVERNMENT_ID: (
        "ssn", "social_security_number", "social_security", "sin", "nino",
        "national_insurance_number", "national_insurance", "national_id", "resident_id",
        "tax_id", "tax_number", "taxpayer_id", "tin", "itin", "ein",
        "employer_identification_number", "passport", "passport_number", "driver_license",
        "drivers_license", "driving_license", "dl_number", "license_number", "aadhaar",
        "aadhaar_number", "pan_number", "pan_card", "nhs_number", "medicare_number", "pesel",
        "personnummer", "fiscal_code", "voter_id", "cpf", "id_card_number",
    ),
    FINANCIAL: (
        "card_number", "credit_card", "debit_card", "cc_number", "ccn", "cvv", "cvc", "card_cvv",
        "card_expiry", "card_exp", "card_pin", "security_code", "iban", "account_number",
        "bank_account", "bank_account_number", "routing_number", "aba", "salary", "income",
        "credit_score", "credit_rating", "btc_address", "wallet_address",
    ),
    HEALTH: (
        "medical_record", "medical_history", "medical_condition", "medical_record_number",
        "diagnosis", "diagnoses", "prescription", "patient_id", "patient_record", "health_plan",
        "health_record", "health_condition", "insurance_number", "insurance_id", "blood_type",
        "blood_group", "heart_rate", "pregnancy", "pregnant", "insulin", "allergy", "allergies",
        "medication", "symptom", "disability", "hiv_status", "mrn", "icd_code", "mental_health",
    ),
    CONTACT: (
        "email", "e_mail", "email_address", "mail_address", "phone", "phone_number",
        "mobile_number", "mobile_phone", "cell_phone", "cellphone", "telephone",
        "telephone_number", "fax_number", "home_address", "street_address", "street",
        "postal_address", "mailing_address", "billing_address", "shipping_address",
        "delivery_address", "residential_address", "postcode", "postal_code", "zip", "zip_code",
        "emergency_contact", "contact_number",
    ),
    IDENTITY: (
        "first_name", "last_name", "full_name", "given_name", "family_name", "middle_name",
        "maiden_name", "legal_name", "real_name", "surname", "forename", "dob", "date_of_birth",
        "birth_date", "birthday", "birth_place", "place_of_birth", "gender", "sex",
        "nationality", "ethnicity", "race", "religion", "marital_status", "spouse",
    ),
    NETWORK: (
        "ip", "ip_address", "remote_address", "client_address", "x_forwarded_for",
        "forwarded_for", "latitude", "longitude", "geo_location", "gps_location",
        "gps_coordinates", "mac_address", "device_id", "imei", "imsi", "udid", "idfa",
        "advertising_id",
    ),
    ACCOUNT_ID: (
        "user_id", "user_name", "uid", "puid", "account_id", "customer_id", "member_id",
        "login", "login_name", "user_login", "enduser_id", "subscriber_id",
    ),
}  # fmt: skip

# Entries that match only the whole name (`pass_`, `sin`), never as a tail (`first_pass`).
EXACT_ONLY: frozenset[tuple[str, ...]] = frozenset({("pass",), ("pin",), ("sin",), ("tin",), ("ein",), ("aba",)})

# Single tokens that stand for a sequence (compounds and abbreviations).
COMPOUNDS: dict[str, tuple[str, ...]] = {
    "passwd": ("password",), "pwd": ("password",), "pw": ("password",), "passwort": ("password",),
    "contraseña": ("password",), "contrasena": ("password",), "motdepasse": ("password",),
    "apikey": ("api", "key"), "secretkey": ("secret", "key"), "privatekey": ("private", "key"),
    "privkey": ("private", "key"), "priv": ("private",), "accesskey": ("access", "key"),
    "accesstoken": ("access", "token"), "authtoken": ("auth", "token"),
    "refreshtoken": ("refresh", "token"), "apitoken": ("api", "token"),
    "sessionid": ("session", "id"), "sessionkey": ("session", "key"),
    "csrftoken": ("csrf", "token"), "xsrftoken": ("xsrf", "token"),
    "clientsecret": ("client", "secret"), "creds": ("credential",), "cred": ("credential",),
    "authorisation": ("authorization",), "phonenumber": ("phone", "number"),
    "emailaddress": ("email", "address"), "firstname": ("first", "name"),
    "lastname": ("last", "name"), "birthdate": ("birth", "date"),
    "dateofbirth": ("date", "of", "birth"), "zipcode": ("zip", "code"),
    "postalcode": ("postal", "code"), "creditcard": ("credit", "card"),
    "cardnumber": ("card", "number"), "ccnumber": ("cc", "number"), "username": ("user", "name"),
    "userid": ("user", "id"), "macaddress": ("mac", "address"), "macaddr": ("mac", "address"),
    "ipaddr": ("ip", "address"), "remoteaddr": ("remote", "address"),
    "geolocation": ("geo", "location"), "bankaccount": ("bank", "account"),
    "accountnumber": ("account", "number"), "routingnumber": ("routing", "number"),
    "taxid": ("tax", "id"), "deviceid": ("device", "id"), "customerid": ("customer", "id"),
    "accountid": ("account", "id"), "addr": ("address",), "acct": ("account",),
    "num": ("number",), "no": ("number",), "nr": ("number",), "nbr": ("number",),
    "ipv": ("ip",), "licence": ("license",), "enduser": ("enduser",),
}  # fmt: skip

# A name starting with one of these is a flag, a quantity, an action or already made safe.
SAFE_PREFIXES: frozenset[str] = frozenset(
    {
        "is", "has", "have", "had", "was", "were", "should", "can", "could", "must", "will",
        "use", "uses", "using", "allow", "allows", "require", "requires", "required", "enable",
        "enabled", "disable", "disabled", "num", "n", "max", "min", "count", "total", "check",
        "validate", "validated", "verify", "verified", "hashed", "hash", "masked", "mask",
        "redacted", "redact", "encrypted", "encrypt", "obfuscated", "sanitized", "sanitised",
        "anonymized", "anonymised", "scrubbed", "censored", "safe", "no", "skip", "need",
        "needs", "show", "hide", "hidden", "include", "includes", "with", "without", "send",
        "notify", "generate", "gen", "create", "delete", "remove", "rotate", "update", "change",
        "expect", "expected", "ask", "prompt", "len", "length", "size", "default", "dummy",
        "fake", "example", "sample", "test", "mock", "placeholder", "not", "missing", "empty",
        "null", "none", "fingerprint", "digest", "md5", "sha", "path", "file", "filename", "dir",
        "directory", "folder",
    }
)  # fmt: skip
# A token anywhere in the name that means the value was made safe.
SAFE_TOKENS: frozenset[str] = frozenset(
    {
        "hash", "hashed", "hashes", "digest", "md5", "sha1", "sha256", "sha512", "masked",
        "redacted", "encrypted", "obfuscated", "sanitized", "sanitised", "censored",
        "anonymized", "anonymised", "pseudonymized", "fingerprint", "placeholder",
    }
)  # fmt: skip
# Trailing tokens that name the representation of the value, not a different thing.
TRANSPARENT_SUFFIXES: frozenset[str] = frozenset(
    {"value", "val", "str", "string", "raw", "plain", "plaintext", "cleartext", "bytes", "b64", "base64", "literal"}
)
# Tokens in front of an entry that turn it into something else (`next_token` is a cursor,
# `server_ip` is infrastructure, `prompt_tokens` is LLM usage).
NEGATIVE_MODIFIERS: dict[tuple[str, ...], frozenset[str]] = {
    ("ip",): frozenset(
        {
            "server", "host", "node", "local", "bind", "listen", "container", "pod", "worker",
            "broker", "gateway", "router", "dns", "nameserver", "proxy", "loopback", "default",
            "internal", "cluster", "service", "vm", "instance", "machine", "interface", "iface",
            "allowed", "trusted", "master", "redis", "db", "database", "smtp", "ldap", "api",
            "upstream", "backend", "lb", "balancer", "ingress", "egress", "subnet", "public",
            "private", "static", "floating", "virtual", "docker", "k8s", "scheduler", "webserver",
            "metrics", "statsd", "target", "external", "outbound", "my", "own", "self", "this",
            "exit", "nat", "vpn", "dest", "destination",
        }
    ),
    ("login",): frozenset({"last", "first", "auto", "sso", "oauth", "ldap", "remote", "social", "failed", "require"}),
    ("email",): frozenset({"from", "sender", "server", "system", "noreply", "support", "default", "admin", "admins"}),
    ("uid",): frozenset({"task", "job", "run", "dag", "process", "os", "unix", "file"}),
    ("password",): frozenset({"reset", "forgot", "forgotten", "validate", "check", "verify", "set", "change"}),
}  # fmt: skip
for _entry in (("ip", "address"), ("mac", "address"), ("remote", "address"), ("client", "address")):
    NEGATIVE_MODIFIERS[_entry] = NEGATIVE_MODIFIERS[("ip",)]

# A `..._token` is a credential only after one of these words (or alone, outside parser code):
# `next_token`, `parent_token`, `prompt_tokens`, `cext_token` are cursors, parser/ORM tokens and
# LLM usage. Extend with `extend-names = {secret = ["acme_token"]}`.
TOKEN_OWNERS: frozenset[str] = frozenset(
    {
        "access", "refresh", "id", "auth", "authentication", "authorization", "api", "bearer",
        "csrf", "xsrf", "session", "reset", "verification", "verify", "confirm", "confirmation",
        "invite", "invitation", "activation", "magic", "login", "oauth", "oauth2", "jwt", "github",
        "gh", "gitlab", "slack", "bot", "app", "user", "admin", "service", "personal", "secret",
        "security", "device", "push", "fcm", "apns", "registration", "upload", "download",
        "signed", "sas", "webhook", "request", "temp", "temporary", "mfa", "otp", "sso", "saml",
        "sts", "aws", "hf", "huggingface", "npm", "pypi", "docker", "registry", "vault", "consul",
        "acl", "k8s", "kube", "kubernetes", "cloud", "discord", "telegram", "twilio", "stripe",
        "sendgrid", "mailgun", "openai", "anthropic", "password", "unsubscribe", "share",
        "sharing", "email", "phone", "sms", "remember", "persistent", "cookie", "auth0",
        "firebase", "google", "facebook", "twitter", "linkedin", "azure", "gcp", "cognito",
        "keycloak", "okta", "private", "client", "raw", "new", "old", "encoded", "decoded",
        "plain", "secure", "deploy", "ci", "pat", "master", "root", "account", "customer",
        "payment", "card", "hub", "atlassian", "jira", "sentry", "datadog", "pagerduty",
    }
)  # fmt: skip
# A tail entry that needs one of these words in front of it (unless it is the whole name).
REQUIRED_MODIFIERS: dict[tuple[str, ...], frozenset[str]] = {("token",): TOKEN_OWNERS}
# Entries that mean something technical in parser/SQL/ORM/template code (`token` is a lexer token,
# `full_name` a schema-qualified table name, `session_id` an ORM session).
TECHNICAL_ENTRIES: frozenset[tuple[str, ...]] = frozenset({("token",), ("full", "name"), ("session", "id"), ("session", "key")})
# Entries that are web-session secrets only in modules that import a web framework (elsewhere a
# session is a database, broker or lock session).
WEB_ONLY_ENTRIES: frozenset[tuple[str, ...]] = frozenset({("session", "id"), ("session", "key")})


def _entry_tokens(name: str) -> tuple[str, ...]:
    tokens: list[str] = []
    for token in tokenize(name):
        tokens.extend(COMPOUNDS.get(token, (token,)))
    return tuple(tokens)


@dataclass(frozen=True)
class NameMatch:
    """A sensitive name: its category and the vocabulary entry it matched."""

    category: str
    entry: tuple[str, ...]
    whole: bool = True  # the entry is the whole name (`token`), not only its tail (`access_token`)


class Vocabulary:
    """Sensitive names by category, with exclusions and user configuration applied."""

    def __init__(
        self,
        names: Mapping[str, Iterable[str]],
        allow: Iterable[str] = (),
        severities: Optional[Mapping[str, str]] = None,
    ) -> None:
        self.entries: dict[tuple[str, ...], str] = {}
        for category, items in names.items():
            for item in items:
                tokens = _entry_tokens(item)
                if tokens:
                    self.entries[tokens] = category
        self.allow_exact: set[tuple[str, ...]] = set()
        self.allow_patterns: list[str] = []
        for pattern in allow:
            if any(ch in pattern for ch in "*?["):
                self.allow_patterns.append(pattern.lower())
            else:
                self.allow_exact.add(tokenize(pattern))
        self.known_tokens = frozenset(t for entry in self.entries for t in entry)
        self.max_len = max((len(e) for e in self.entries), default=1)
        self.severities = dict(DEFAULT_SEVERITIES)
        for category, severity in (severities or {}).items():
            self.severities[category] = Severity(severity)
        self._cache: dict[str, Optional[NameMatch]] = {}

    def severity(self, category: str) -> Severity:
        return self.severities.get(category, Severity.WARNING)

    def classify(self, name: str) -> Optional[NameMatch]:
        """Return the category of `name` (an identifier, key or keyword), or None."""
        cached = self._cache.get(name, _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        result = self._classify(name)
        self._cache[name] = result
        return result

    def _classify(self, name: str) -> Optional[NameMatch]:
        raw = tokenize(name)
        if not raw:
            return None
        if self.allow_patterns:
            snake = "_".join(raw)
            if any(fnmatch.fnmatchcase(snake, p) or fnmatch.fnmatchcase(name.lower(), p) for p in self.allow_patterns):
                return None
        if len(raw) > 1 and raw[0] in SAFE_PREFIXES:
            return None
        if any(t in SAFE_TOKENS for t in raw):
            return None
        if raw in (("tokens",), ("keys",)):
            return None  # a token stream / list of dict keys
        if raw in self.allow_exact:
            return None
        tokens = self._normalise(raw)
        match = self._match_tail(tokens)
        if match is None:
            stripped = tokens
            while len(stripped) > 1 and stripped[-1] in TRANSPARENT_SUFFIXES:
                stripped = stripped[:-1]
            if stripped != tokens:
                match = self._match_tail(stripped)
        return match

    def _normalise(self, raw: tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        known = self.known_tokens
        for token in raw:
            if token in COMPOUNDS and token not in known:
                out.extend(COMPOUNDS[token])
                continue
            if token not in known and len(token) > 3:
                if token.endswith("ies") and token[:-3] + "y" in known:
                    token = token[:-3] + "y"
                elif token.endswith("es") and token[:-2] in known and token[:-2].endswith(("s", "x", "sh", "ch")):
                    token = token[:-2]
                elif token.endswith("s") and token[:-1] in known:
                    token = token[:-1]
            elif token not in known and token in ("ips", "pins"):
                token = token[:-1]
            out.append(token)
        return tuple(out)

    def _match_tail(self, tokens: tuple[str, ...]) -> Optional[NameMatch]:
        for size in range(min(len(tokens), self.max_len), 0, -1):
            entry = tokens[-size:]
            category = self.entries.get(entry)
            if category is None:
                continue
            if entry in EXACT_ONLY and size != len(tokens):
                continue
            if size < len(tokens):
                before = tokens[-size - 1]
                negatives = NEGATIVE_MODIFIERS.get(entry)
                if negatives is not None and before in negatives:
                    return None
                required = REQUIRED_MODIFIERS.get(entry)
                if required is not None and before not in required:
                    return None
            return NameMatch(category, entry, size == len(tokens))
        return None


_MISSING = object()


@lru_cache(maxsize=64)
def _vocabulary(
    extend: tuple[tuple[str, tuple[str, ...]], ...],
    allow: tuple[str, ...],
    severity: tuple[tuple[str, str], ...],
) -> Vocabulary:
    names: dict[str, list[str]] = {c: list(v) for c, v in DEFAULT_NAMES.items()}
    for category, extra in extend:
        names.setdefault(category, []).extend(extra)
    return Vocabulary(names, allow, dict(severity))


def vocabulary_for(config: Config) -> Vocabulary:
    """The vocabulary for `config` (`[tool.errlint.pii]` applied), built once per setting."""
    section = config.section("pii")
    return _vocabulary(
        tuple(section.get("extend-names", ())),
        tuple(section.get("allow-names", ())),
        tuple(section.get("severity", ())),
    )


DEFAULT_VOCABULARY = Vocabulary(DEFAULT_NAMES)

_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")


def looks_like_key(text: str) -> bool:
    """A string that names a field or header (`"email"`, `"X-Api-Key"`, `"user.email"`)."""
    return bool(_KEY_RE.match(text))


# --- value patterns -----------------------------------------------------------------------------
# The value detectors live in `errlint.knowledge.values`, shared with the review's redactor.


# --- test modules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrivacyOptions:
    """Options of XH401-XH404 (`[tool.errlint.rules.XH40x]`)."""

    include_tests: bool = False  # also check test modules (skipped by default: synthetic data)


def is_test_module(path: str) -> bool:
    """Test code, sample inputs and demos by the default `test-paths` (`errlint.knowledge.testcode`):
    their data is synthetic."""
    return is_test_path(path)


# --- sinks ----------------------------------------------------------------------------------------

NAME, VALUE, DUMP = "name", "value", "dump"
LOG, BIND, PRINT, WARN, SENTRY, SPAN, EXCEPTION = "log", "bind", "print", "warn", "sentry", "span", "exception"


# Prefilter hints (`errlint.prefilter`): a function whose source matches none of these holds no sink.
SINK_PATTERNS: tuple[str, ...] = (
    *LOG_CALL_PATTERNS,
    r"\bprint\s*\(",
    r"\bwarn\s*\(",
    r"\.(?:bind|new|contextualize|try_unbind)\s*\(",
    r"\bbind_(?:contextvars|threadlocal)\b|\bbound_contextvars\b",
    r"\b(?:set_user|set_context|set_extra|set_tags?|capture_message|add_breadcrumb)\b",
    r"\b(?:set_attributes?|add_event|record_exception)\b",
    r"\bstart_(?:as_current_)?span\b",
)
EXCEPTION_PATTERNS: tuple[str, ...] = (
    r"\braise\b",
    r"[A-Z]\w*(?:Error|Exception|Failure|Warning|Denied|Invalid|Exit|Fault)\s*\(",
)


@dataclass(frozen=True)
class Sink:
    """A call whose arguments end up in logs, error trackers, traces or exception messages."""

    call: cst.Call
    kind: str  # log | bind | print | warn | sentry | span | exception
    label: str  # the callee as written: `logger.info`, `sentry_sdk.set_user`, `AuthError`
    values: tuple[cst.BaseExpression, ...]  # expressions whose content reaches the sink
    keyed: tuple[tuple[str, cst.CSTNode, cst.BaseExpression], ...] = ()  # (key, where, value)


@dataclass(frozen=True)
class Hit:
    """Private data reaching a sink: a sensitive name, a value pattern or a whole object."""

    kind: str  # name | value | dump
    node: cst.CSTNode  # where to report (the alias at the sink when found through data flow)
    label: str  # `user.email`, `password`, "an email address", `request.headers`
    category: str  # the PII category (name/value) or what the object is (dump)
    via: Optional[str] = None  # the local name it travelled through
    direct: bool = False  # the whole sink argument is this object (not interpolated into text)


_STDLIB_LOG_OPTIONS = frozenset({"exc_info", "stack_info", "stacklevel", "extra"})
_KWARG_LOG_OPTIONS = frozenset({"exc_info", "stack_info", "stacklevel", "exception", "msg", "event", "_level"})
_BIND_METHODS = frozenset({"bind", "new", "contextualize", "try_unbind"})
_BIND_FUNCTIONS = frozenset(
    {"structlog.contextvars.bind_contextvars", "structlog.threadlocal.bind_threadlocal", "structlog.contextvars.bound_contextvars"}
)
_SENTRY_FUNCTIONS = frozenset({"set_user", "set_context", "set_extra", "set_tag", "set_tags", "capture_message", "add_breadcrumb"})
_SENTRY_KEYED = frozenset({"set_extra", "set_tag", "set_context"})
_SPAN_METHODS = otel.SPAN_DATA_METHODS
_SPAN_FACTORIES = otel.SPAN_FACTORIES
_EXCEPTION_SUFFIXES = ("Error", "Exception", "Failure", "Warning", "Denied", "Invalid", "Exit", "Fault")
_MESSAGE_KEYWORDS = frozenset(
    {"message", "msg", "detail", "details", "description", "reason", "text", "error", "errors", "params", "args", "explanation"}
)
BUILTIN_EXCEPTIONS = frozenset(
    n for n in dir(builtins) if isinstance(getattr(builtins, n), type) and issubclass(getattr(builtins, n), BaseException)
)
BUILTIN_NAMES = frozenset(dir(builtins))


def code_of(node: cst.CSTNode, limit: int = 40) -> str:
    """The source of `node` on one line, shortened to `limit` characters for messages."""
    text = " ".join(cst.Module(body=()).code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def callee_label(func: cst.BaseExpression) -> str:
    """`logger.info`, `logger.bind(...).info`, `sentry_sdk.set_user` — the callee for messages."""
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return f"{callee_label(func.value)}.{func.attr.value}"
    if isinstance(func, cst.Call):
        return f"{callee_label(func.func)}(...)"
    if isinstance(func, cst.Subscript):
        return f"{callee_label(func.value)}[...]"
    return code_of(func, 30)


def _label(func: cst.BaseExpression) -> str:
    text = callee_label(func)
    if len(text) > 48:
        text = "…" + ".".join(text.rsplit(".", 2)[-2:])
    return text


def _string(node: Optional[cst.BaseExpression]) -> Optional[str]:
    """The value of a plain (non-bytes, non-f) string literal."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


_STATUS_ATTRS = frozenset({"status_code", "status", "ok", "is_success", "is_error", "status_int", "code"})


def _checks_status(test: cst.BaseExpression) -> bool:
    stack: list[cst.CSTNode] = [test]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Attribute) and node.attr.value in _STATUS_ATTRS:
            return True
        if isinstance(node, cst.Call) and last_segment(node.func) == "raise_for_status":
            return True
        if isinstance(node, (cst.Comparison, cst.BooleanOperation, cst.UnaryOperation, cst.Attribute, cst.Call,
                             cst.ComparisonTarget, cst.Arg)):  # fmt: skip
            stack.extend(iter_children(node))
    return False


_FAILURE_WORDS = frozenset({"error", "errors", "err", "fail", "failed", "failure", "fault", "faults"})


def _tests_failure(test: cst.BaseExpression) -> bool:
    """`if "error" in payload:`, `if result.failed:`, `if errors:` -- a branch for a failed call."""
    stack: list[cst.CSTNode] = [test]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            if set(tokenize(_string(node) or "")) & _FAILURE_WORDS:
                return True
        elif isinstance(node, (cst.Name, cst.Attribute)):
            if set(tokenize(last_segment(node) or "")) & _FAILURE_WORDS:
                return True
        if isinstance(node, (cst.Comparison, cst.BooleanOperation, cst.UnaryOperation, cst.Attribute, cst.Call,
                             cst.ComparisonTarget, cst.Arg)):  # fmt: skip
            stack.extend(iter_children(node))
    return False


_PERCENT_FIELD_RE = re.compile(r"%\(([^)]+)\)")


def _template_fields(template: str) -> list[str]:
    """`{user.email}`/`{password!r}`/`%(password)s` -> the last segment of each named field."""
    fields = [m.group(1) for m in _PERCENT_FIELD_RE.finditer(template)]
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        parsed = []  # not a str.format template (stray braces): no fields
    for _, field_name, _, _ in parsed:
        if field_name:
            fields.append(re.split(r"[\[]", field_name)[0].rsplit(".", 1)[-1])
    return [f for f in fields if f and not f.isdigit()]


def _rejects(test: cst.BaseExpression, name: str) -> bool:
    """`test` holds only when `name` is empty, None or of an unexpected type."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        return _rejects(test.left, name) and _rejects(test.right, name)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = test.expression
        if isinstance(inner, cst.Name):
            return inner.value == name
        if isinstance(inner, cst.Call) and isinstance(inner.func, cst.Name) and inner.func.value == "isinstance":
            if not inner.args:
                return False
            checked = inner.args[0].value
            if isinstance(checked, cst.Call) and last_segment(checked.func) == "cast" and len(checked.args) == 2:
                checked = checked.args[1].value  # isinstance(cast(Any, token), str)
            return isinstance(checked, cst.Name) and checked.value == name
        return False
    if isinstance(test, cst.Comparison) and isinstance(test.left, cst.Name) and test.left.value == name:
        if len(test.comparisons) == 1:
            target = test.comparisons[0]
            empty = (isinstance(target.comparator, cst.Name) and target.comparator.value == "None") or _string(
                target.comparator
            ) == ""
            if empty and isinstance(target.operator, (cst.Is, cst.Equal)):
                return True
            # `if hotp != "HOTP":` / `if mode not in ("a", "b"):` -- the value is an option that is
            # not one of the allowed constants: the message names a wrong setting, not private data.
            comparator = target.comparator
            if isinstance(target.operator, cst.NotEqual):
                return bool(_string(comparator))
            if isinstance(target.operator, cst.NotIn) and isinstance(comparator, (cst.Tuple, cst.List, cst.Set)):
                return bool(comparator.elements) and all(_string(e.value) for e in comparator.elements)
    return False


def _names_itself(name: str, text: str) -> bool:
    """`DATABASES_KEY = "databases"`, `EMAIL_FIELD = "email"`: the constant holds the name of a key
    (its words are the constant's own), not a value."""
    words = tokenize(text)
    return bool(words) and looks_like_key(text) and set(words) <= set(tokenize(name))


def _checks_type(test: cst.BaseExpression, name: str) -> bool:
    """`isinstance(name, ...)`: the `else:` branch holds a value of an unexpected type."""
    return (
        isinstance(test, cst.Call)
        and isinstance(test.func, cst.Name)
        and test.func.value == "isinstance"
        and bool(test.args)
        and isinstance(test.args[0].value, cst.Name)
        and test.args[0].value.value == name
    )


def _is_message_text(text: str) -> bool:
    """Prose, not a value: several words (a message or a template)."""
    return len(text.split()) >= 3 and not find_values(text)


def is_class_name(name: str) -> bool:
    """CapWords (`IPv4Address`, `PasswordForm`): a class, not data. ALL_CAPS constants are data."""
    return name[:1].isupper() and any(ch.islower() for ch in name)


PARSER_WORDS = frozenset(
    {
        "parse", "parser", "parsing", "lexer", "lex", "lexing", "tokenize", "tokenizer", "compile",
        "compiler", "compiled", "scanner", "grammar", "template", "templates", "templatetags",
        "syntax", "sql", "sqlparse", "expression", "expressions", "ast", "dialect", "dialects",
        "visitor", "interpreter", "pygments", "jinja", "jinja2", "markdown", "formatter",
        "tokens", "highlight", "shlex", "preprocessor", "translate", "i18n", "orm", "ddl",
        "reflection", "lexers",
    }
)  # fmt: skip
_STRING_ATTRIBUTES = frozenset(dir(str)) | frozenset(dir(bytes))
WEB_PREFIXES: tuple[str, ...] = (
    "flask", "werkzeug", "quart", "fastapi", "starlette", "django.http", "django.shortcuts",
    "django.views", "rest_framework", "aiohttp", "sanic", "litestar", "bottle", "falcon", "pyramid",
    "tornado.web",
)  # fmt: skip
_SCRIPT_DIRS_RE = re.compile(r"/(?:scripts?|tools|bin)/")
_NETWORK_IMPORTS = frozenset({"ipaddress", "netaddr", "IPy", "netifaces", "scapy", "dns", "pysnmp", "nmap"})
_NETWORK_WORDS = frozenset(
    {"ip", "ips", "mac", "device", "devices", "network", "networks", "subnet", "machine", "machines", "host",
     "hosts", "access", "server"}
)  # fmt: skip
_SEND_WORDS = frozenset(
    {"send", "sender", "submit", "deliver", "delivery", "notify", "notification", "notifications", "notifier",
     "mailer", "sms", "dispatch", "dispatcher", "smtp"}
)  # fmt: skip
_PARSER_IMPORTS = ("tokenize", "token", "lib2to3", "pygments", "sqlparse", "ply", "lark", "parso",
                   "jinja2.lexer", "django.template", "shlex", "ast", "sqlglot")  # fmt: skip


class PrivacyAnalysis:
    """The XH4 facts of one file: sinks per call and the private data reaching them (cached)."""

    def __init__(self, context: FileContext) -> None:
        # A weak reference: the analysis is cached in a WeakKeyDictionary keyed by the context,
        # and a strong one would keep every file's tree alive.
        self._context = weakref.ref(context)
        self.vocabulary = vocabulary_for(context.config)
        self.is_test = context.config.is_test_path(context.path)
        self.is_operator_script = is_operator_script(context.path, context.config.root)
        self._log_sinks: dict[int, Optional[Sink]] = {}
        self._exception_sinks: dict[int, Optional[Sink]] = {}
        self._hits: dict[int, tuple[Hit, ...]] = {}
        self._parser_module: Optional[bool] = None
        self._web_module: Optional[bool] = None
        self._network_module: Optional[bool] = None
        self._command_line: Optional[bool] = None
        self._test_scopes: dict[int, tuple[object, bool]] = {}  # frame id -> (frame, in a test scope)

    def skips(self, options: object, operator_scripts: bool = True) -> bool:
        """The rule does not run here: in test code (a file under `test-paths`, a test function or
        class), unless `include-tests` is set; with `operator_scripts`, in migrations and management
        commands (run by the person who owns the data, on their console)."""
        if operator_scripts and self.is_operator_script:
            return True
        if getattr(options, "include_tests", False):
            return False
        if self.is_test:
            return True
        frame = self.context.frame
        cached = self._test_scopes.get(id(frame))
        if cached is None or cached[0] is not frame:
            scopes = [("def" if isinstance(f.node, cst.FunctionDef) else "class", f.node.name.value)
                      for f in self.context.frames if isinstance(f.node, (cst.FunctionDef, cst.ClassDef))]  # fmt: skip
            cached = self._test_scopes[id(frame)] = (frame, in_test_scope(scopes))
        return cached[1]

    @property
    def context(self) -> FileContext:
        context = self._context()
        assert context is not None, "PrivacyAnalysis used after its file was linted"
        return context

    # -- sinks ---------------------------------------------------------------------------

    def log_sink(self, call: cst.Call) -> Optional[Sink]:
        """The log-like sink `call` is (logging, bind, print, warn, Sentry, span), or None."""
        key = id(call)
        if key not in self._log_sinks:
            self._log_sinks[key] = self._find_log_sink(call)
        return self._log_sinks[key]

    def exception_sink(self, call: cst.Call) -> Optional[Sink]:
        """`call` constructs an exception (raised, or named like one): its message arguments."""
        key = id(call)
        if key not in self._exception_sinks:
            self._exception_sinks[key] = self._find_exception_sink(call)
        return self._exception_sinks[key]

    def _find_log_sink(self, call: cst.Call) -> Optional[Sink]:
        func = call.func
        context = self.context
        positional = tuple(a.value for a in call.args if a.keyword is None)
        keywords = tuple((a.keyword.value, a) for a in call.args if a.keyword is not None)
        name = last_segment(func) or ""
        log = context.log_call(call)
        if log is not None:
            values: list[cst.BaseExpression] = []
            if log.message is not None:
                values.append(log.message)
            values.extend(log.args)
            values.extend(a.value for a in call.args if a.star == "*" and a.value not in values)
            keyed: list[tuple[str, cst.CSTNode, cst.BaseExpression]] = []
            for keyword, arg in keywords:
                if log.library == "stdlib":
                    if keyword == "extra":
                        values.append(arg.value)
                elif keyword not in _KWARG_LOG_OPTIONS:
                    keyed.append((keyword, arg, arg.value))
            values.extend(a.value for a in call.args if a.star == "**")
            return Sink(call, LOG, _label(func), tuple(values), tuple(keyed))
        if isinstance(func, cst.Name):
            if name == "print" and not self._shadowed("print") and not self.is_command_line():
                return Sink(call, PRINT, "print", positional)
        if name in otel.SPAN_STARTERS and isinstance(func, cst.Attribute):
            # `tracer.start_as_current_span("login", attributes={...})`: the attributes go on the span.
            attributes = tuple(a.value for k, a in keywords if k == "attributes")
            return Sink(call, SPAN, _label(func), attributes) if attributes else None
        if name not in _BIND_METHODS and name not in _SENTRY_FUNCTIONS and name not in _SPAN_METHODS:
            if name in ("warn", "bind_contextvars", "bind_threadlocal", "bound_contextvars"):
                qualified = context.qualify(func) or ""
                if qualified == "warnings.warn":
                    message = positional[:1] or tuple(a.value for k, a in keywords if k == "message")
                    return Sink(call, WARN, _label(func), message)
                if qualified in _BIND_FUNCTIONS:
                    return self._keyed_sink(call, BIND, positional, keywords)
            return None
        if name in _BIND_METHODS and isinstance(func, cst.Attribute):
            scopes = [context.module, *(f.node for f in context.frames if f.node is not None)]
            library = logger_library(func.value, context.module_facts, context.config.logger_names, scopes)
            if library is not None:
                return self._keyed_sink(call, BIND, positional, keywords)
            return None
        if name in _SENTRY_FUNCTIONS and self._is_sentry(func):
            if name in _SENTRY_KEYED and len(positional) >= 2 and _string(positional[0]) is not None:
                key = _string(positional[0]) or ""
                if name == "set_context":
                    return Sink(call, SENTRY, _label(func), positional[1:])
                return Sink(call, SENTRY, _label(func), positional[2:], ((key, positional[0], positional[1]),))
            return Sink(call, SENTRY, _label(func), positional + tuple(a.value for _, a in keywords))
        if name in _SPAN_METHODS and isinstance(func, cst.Attribute) and self._is_span(func.value):
            if name == "set_attribute" and len(positional) >= 2 and _string(positional[0]) is not None:
                return Sink(call, SPAN, _label(func), (), ((_string(positional[0]) or "", positional[0], positional[1]),))
            if name == "record_exception":
                return Sink(call, SPAN, _label(func), tuple(a.value for k, a in keywords if k == "attributes"))
            return Sink(call, SPAN, _label(func), positional + tuple(a.value for _, a in keywords))
        return None

    def _keyed_sink(self, call: cst.Call, kind: str, positional: tuple[cst.BaseExpression, ...],
                    keywords: tuple[tuple[str, cst.Arg], ...]) -> Sink:  # fmt: skip
        keyed = tuple((k, a, a.value) for k, a in keywords if k not in _KWARG_LOG_OPTIONS)
        starred = tuple(a.value for a in call.args if a.star == "**")
        return Sink(call, kind, _label(call.func), positional + starred, keyed)

    def _is_sentry(self, func: cst.BaseExpression) -> bool:
        qualified = self.context.qualify(func) or ""
        if qualified.startswith("sentry_sdk."):
            return True
        if isinstance(func, cst.Attribute):
            receiver = func.value
            if isinstance(receiver, cst.Call):
                return (self.context.qualify(receiver.func) or "").startswith("sentry_sdk.")
            return "scope" in tokenize(last_segment(receiver) or "")
        return False

    def _is_span(self, receiver: cst.BaseExpression) -> bool:
        if isinstance(receiver, cst.Call):
            return (last_segment(receiver.func) or "") in _SPAN_FACTORIES
        return "span" in tokenize(last_segment(receiver) or "")

    def _find_exception_sink(self, call: cst.Call) -> Optional[Sink]:
        parent = self.context.parent
        raised = isinstance(parent, cst.Raise) and parent.exc is call
        name = last_segment(call.func) or ""
        if not raised and not (is_class_name(name) and name.endswith(_EXCEPTION_SUFFIXES)) and name not in BUILTIN_EXCEPTIONS:
            return None
        if not raised and self.context.log_call(call) is not None:
            return None
        values = [a.value for a in call.args if a.keyword is None]
        values.extend(a.value for a in call.args if a.keyword is not None and a.keyword.value in _MESSAGE_KEYWORDS)
        if not values:
            return None
        return Sink(call, EXCEPTION, _label(call.func), tuple(values))

    def _shadowed(self, name: str) -> bool:
        return flow_for(self.context).is_bound(name) or name in self.context.module_facts.imports

    # -- hits ----------------------------------------------------------------------------

    def hits(self, sink: Sink) -> tuple[Hit, ...]:
        """Every sensitive name, value and whole object reaching `sink` (computed once)."""
        key = id(sink.call) * 2 + (sink.kind == EXCEPTION)
        cached = self._hits.get(key)
        if cached is None:
            scanner = _Scanner(self, flow_for(self.context), exception=sink.kind == EXCEPTION)
            for value in sink.values:
                scanner.scan_argument(value)
            for name, where, value in sink.keyed:
                scanner.keyed(name, where, value)
            cached = self._hits[key] = scanner.result()
        return cached

    def is_message_constant(self, name: str) -> bool:
        """A module-level constant holding message text (`W_RACE = "... %s ..."`) or a key name
        (`DATABASES_KEY = "databases"`), not data."""
        module_flow = flow_for(self.context, self.context.module)
        bindings = module_flow.bindings(name)
        if not bindings:
            return False
        for binding in bindings:
            text = _string(binding.value) if binding.kind == ASSIGN else None
            if text is None or not (_is_message_text(text) or _names_itself(name, text)):
                return False
        return True

    def is_command_line(self) -> bool:
        """A command-line program (`__main__` guard, a CLI framework, a `scripts/`, `tools/` or
        `bin/` file): what it prints is its output, read by the person who ran it."""
        if self._command_line is None:
            path = "/" + self.context.path.replace("\\", "/")
            self._command_line = self.context.is_cli_module or bool(_SCRIPT_DIRS_RE.search(path))
        return self._command_line

    def is_web_module(self) -> bool:
        """The module imports a web framework (a bare `request` is then an HTTP request)."""
        if self._web_module is None:
            imports = self.context.module_facts.imports.values()
            self._web_module = any(q.startswith(WEB_PREFIXES) for q in imports)
        return self._web_module

    def network_domain(self) -> bool:
        """Addresses are this code's own domain data (a network inventory, an IP blocklist): the
        module imports an address library, or the function is named after what it handles
        (`block_ip`, `revoke_device`)."""
        if self._network_module is None:
            imports = self.context.module_facts.imports.values()
            self._network_module = any(q.split(".")[0] in _NETWORK_IMPORTS for q in imports)
        if self._network_module:
            return True
        words = set(tokenize(self.context.frame.qualname or ""))
        if words & _NETWORK_WORDS:
            return True
        return "request" in words and bool(words & {"handler", "log"})  # an access log (`log_request`)

    def send_path(self) -> bool:
        """Code that sends to a contact (`submit_message`, `send_email`, an `SmsProvider`, a
        notification handler): the destination it logs is the diagnostic of the delivery."""
        return bool(set(tokenize(self.context.frame.qualname or "")) & _SEND_WORDS)

    def technical_context(self) -> bool:
        """Lexer, parser, template, SQL or ORM code: `token`, `full_name`, `session_id` are technical."""
        if self._parser_module is None:
            imports = self.context.module_facts.imports.values()
            self._parser_module = any(q == p or q.startswith(p + ".") for q in imports for p in _PARSER_IMPORTS)
        if self._parser_module:
            return True
        return any(t in PARSER_WORDS for t in tokenize(self.context.frame.qualname or self.context.module_name))

    def token_object(self, name: str, binding: Optional[Binding], flow: ScopeFlow) -> bool:
        """A local `token` that is a structured object (a lexer or parser token), not a credential:
        attributes other than string methods are read on it, it is a loop variable, or it sits next
        to a `parser`/`lexer`/`tokens` variable."""
        if flow.attributes(name) - _STRING_ATTRIBUTES:
            return True
        if any(flow.is_bound(n) for n in ("parser", "lexer", "tokens", "tokenizer", "stream", "tokenlist")):
            return True
        return binding is not None and binding.kind == LOOP


# --- scanning ---------------------------------------------------------------------------------------

_TRANSPARENT_FUNCTIONS = frozenset(
    {"str", "repr", "ascii", "format", "list", "tuple", "sorted", "set", "frozenset", "dict", "reversed", "iter"}
)
_TRANSPARENT_QUALIFIED = frozenset(
    {
        "json.dumps", "pprint.pformat", "pformat", "urllib.parse.quote", "urllib.parse.quote_plus",
        "urllib.parse.urlencode", "quote", "quote_plus", "urlencode", "base64.b64encode",
        "base64.urlsafe_b64encode", "b64encode", "html.escape", "markupsafe.escape", "textwrap.shorten",
        "reprlib.repr", "orjson.dumps", "ujson.dumps", "simplejson.dumps", "copy.copy", "copy.deepcopy",
    }
)  # fmt: skip
_ITERATING_FUNCTIONS = frozenset({"list", "tuple", "sorted", "set", "frozenset", "reversed", "iter"})
_STR_METHODS = frozenset(
    {
        "lower", "upper", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold", "encode",
        "decode", "format", "format_map", "replace", "zfill", "ljust", "rjust", "center", "join",
        "expandtabs", "removeprefix", "removesuffix", "swapcase", "items", "values", "copy",
        "to_string", "hex",
    }
)  # fmt: skip
_GETTER_METHODS = frozenset({"get", "getlist", "pop", "setdefault", "get_all", "getenv", "getone", "get_secret"})
_GETTER_FUNCTIONS = {"getattr": 1, "os.getenv": 0, "os.environ.get": 0, "getenv": 0}
_ACCESSOR_VERBS = frozenset({"get", "fetch", "load", "read", "lookup", "retrieve", "find", "current"})
_STRINGY_ANNOTATIONS = frozenset({"str", "bytes", "int", "bool", "float", "Optional[str]", "str | None", "Optional[int]", "SecretStr"})
_HIDING_ANNOTATIONS = frozenset({"bool", "int", "float", "Optional[bool]", "Optional[int]", "SecretStr", "SecretBytes"})
_STRINGY_ATTRS = frozenset({"username", "user_name", "name", "email", "login", "id", "pk", "uid", "user_id", "USER", "user"})

DUMP_NAMES: dict[str, str] = {
    "request": "request object",
    "user": "user object",
    "current_user": "user object",
    "customer": "customer object",
    "account": "account object",
    "profile": "profile object",
    "patient": "patient record",
    "payload": "payload",
}
CARRIERS = frozenset(
    {
        *DUMP_NAMES, "person", "people", "member", "contact", "employee", "student", "applicant",
        "subscriber", "customer", "order", "invoice", "form", "credentials", "creds",
        "identity", "owner", "buyer", "seller", "guest", "visitor", "tenant", "signup",
        "registration", "claims", "session",
    }
)  # fmt: skip
REQUEST_PARTS: dict[str, str] = {
    "headers": "request headers",
    "body": "request body",
    "data": "request body",
    "json": "request body",
    "form": "form data",
    "POST": "form data",
    "GET": "query parameters",
    "args": "request arguments",
    "values": "request values",
    "query_params": "query parameters",
    "COOKIES": "cookies",
    "cookies": "cookies",
    "META": "request environment",
    "environ": "request environment",
    "FILES": "uploaded files",
    "files": "uploaded files",
    "raw_body": "request body",
}
_IMPORTED_DUMPS: dict[str, str] = {"flask.session": "session", "quart.session": "session"}
_REQUEST_NAMES = frozenset({"request", "req", "flask_request", "http_request", "incoming_request"})
_REQUEST_QUALIFIED = frozenset({"flask.request", "quart.request", "bottle.request", "sanic.request"})
_RESPONSE_NAMES = frozenset({"response", "resp", "http_response", "api_response", "upstream_response", "raw_response"})
_RESPONSE_PARTS = frozenset({"text", "content", "body"})
_SERIALIZE_METHODS = frozenset({"model_dump", "model_dump_json", "dict", "to_dict", "as_dict", "_asdict", "asdict"})
_JSON_DUMPS = frozenset({"json.dumps", "orjson.dumps", "ujson.dumps", "simplejson.dumps"})
_SERIALIZE_FUNCTIONS = frozenset(
    {"dataclasses.asdict", "asdict", "attr.asdict", "attrs.asdict", "model_to_dict", "django.forms.models.model_to_dict"}
)


def _chain_children(node: cst.BaseExpression) -> Optional[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """The two sides `_Scanner.scan` reads of a `+`/`%`, `and`/`or`, implicit concatenation or
    conditional expression (None for any other node, and for `"%(name)s" % mapping`)."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Modulo)):
        template = _string(node.left)
        if isinstance(node.operator, cst.Modulo) and template is not None and "%(" in template:
            return None
        return node.left, node.right
    if isinstance(node, (cst.ConcatenatedString, cst.BooleanOperation)):
        return node.left, node.right
    if isinstance(node, cst.IfExp):
        return node.body, node.orelse
    return None


def _chain_operands(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The operands of nested chains, left to right, without recursion (1,000 terms are common
    in generated code)."""
    out: list[cst.BaseExpression] = []
    stack = [node]
    while stack:
        current = stack.pop()
        sides = _chain_children(current)
        if sides is None:
            out.append(current)
        else:
            stack.extend(reversed(sides))
    return out


class _Scanner:
    """Collect the hits of the expressions reaching one sink, following local bindings."""

    def __init__(self, analysis: PrivacyAnalysis, flow: ScopeFlow, exception: bool = False) -> None:
        self.analysis = analysis
        self.exception = exception  # scanning an exception message (dict keys there name form fields)
        self.vocabulary = analysis.vocabulary
        self.context = analysis.context
        self.flow = flow
        self.hits: list[Hit] = []
        self.seen: set[int] = set()
        self.direct = False  # scanning a whole sink argument, not a part of it
        self._ancestor_ids: Optional[set[int]] = None

    def result(self) -> tuple[Hit, ...]:
        unique: dict[tuple[int, str, str], Hit] = {}
        for hit in self.hits:
            unique.setdefault((id(hit.node), hit.kind, hit.label), hit)
        return tuple(unique.values())

    def add(self, kind: str, node: cst.CSTNode, label: str, category: str, anchor: Optional[cst.CSTNode], via: Optional[str]) -> None:
        self.hits.append(Hit(kind, anchor or node, label, category, via, self.direct))

    # -- dispatch ------------------------------------------------------------------------

    def scan_argument(self, node: cst.BaseExpression) -> None:
        """Scan one whole sink argument: a bare name, attribute or call is `direct`."""
        self.direct = isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Await))
        if isinstance(node, cst.Call) and self.context.qualify(node.func) in ("str", "repr", "format"):
            self.direct = False
        self.scan(node)
        self.direct = False

    def scan(self, node: cst.BaseExpression, anchor: Optional[cst.CSTNode] = None, via: Optional[str] = None,
             depth: int = 0, dumps: bool = True) -> None:  # fmt: skip
        if depth > 6:
            return
        if _chain_children(node) is not None:  # `a + b + ...`, `x or y or ...`: a loop, not recursion
            for operand in _chain_operands(node):
                self.scan(operand, anchor, via, depth, dumps)
            return
        if isinstance(node, cst.Name):
            self.name(node, anchor, via, depth, dumps)
        elif isinstance(node, cst.Attribute):
            self.attribute(node, anchor, via, dumps)
        elif isinstance(node, cst.Subscript):
            self.subscript(node, anchor, via, depth)
        elif isinstance(node, cst.Call):
            self.call(node, anchor, via, depth, dumps)
        elif isinstance(node, cst.FormattedString):
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    self.text(part.value, part, anchor, via)
                elif isinstance(part, cst.FormattedStringExpression):
                    self.scan(part.expression, anchor, via, depth, dumps)
        elif isinstance(node, cst.SimpleString):
            text = _string(node)
            if text is not None:
                self.text(text, node, anchor, via)
        elif isinstance(node, cst.ConcatenatedString):
            self.scan(node.left, anchor, via, depth, dumps)
            self.scan(node.right, anchor, via, depth, dumps)
        elif isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, cst.Modulo) and _string(node.left) is not None and "%(" in (_string(node.left) or ""):
                self.scan(node.left, anchor, via, depth, dumps)
                if isinstance(node.right, cst.Dict):
                    self.scan(node.right, anchor, via, depth, dumps)
                else:  # `"%(path)s" % locals()`: only the named fields are rendered
                    self.template_fields(_string(node.left), node, anchor, via)
            elif isinstance(node.operator, (cst.Add, cst.Modulo)):
                self.scan(node.left, anchor, via, depth, dumps)
                self.scan(node.right, anchor, via, depth, dumps)
        elif isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            for element in node.elements:
                self.scan(element.value, anchor, via, depth, dumps)
        elif isinstance(node, cst.Dict):
            self.dict(node, anchor, via, depth)
        elif isinstance(node, cst.IfExp):
            self.scan(node.body, anchor, via, depth, dumps)
            self.scan(node.orelse, anchor, via, depth, dumps)
        elif isinstance(node, cst.BooleanOperation):
            self.scan(node.left, anchor, via, depth, dumps)
            self.scan(node.right, anchor, via, depth, dumps)
        elif isinstance(node, cst.Await):
            self.scan(node.expression, anchor, via, depth, dumps)
        elif isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            self.scan(node.elt, anchor, via, depth, dumps=False)
        elif isinstance(node, cst.DictComp):
            self.scan(node.value, anchor, via, depth, dumps=False)
        elif isinstance(node, cst.NamedExpr):
            self.scan(node.value, anchor, via, depth, dumps)

    # -- names ---------------------------------------------------------------------------

    def classify(self, name: str, binding: Optional[Binding] = None, local: bool = False) -> Optional[NameMatch]:
        """The category of `name` here; `local` for a variable of this scope (not an attribute or key)."""
        match = self.vocabulary.classify(name)
        if match is None:
            return None
        entry = match.entry
        if entry in TECHNICAL_ENTRIES and (match.whole or entry != ("token",)) and self.analysis.technical_context():
            return None
        if entry in WEB_ONLY_ENTRIES and not self.analysis.is_web_module():
            return None
        if entry == ("token",) and match.whole and local and self.analysis.token_object(name, binding, self.flow):
            return None
        if match.category == NETWORK and self.analysis.network_domain():
            return None
        if match.category == CONTACT and self.analysis.send_path():
            return None
        return match

    def name(self, node: cst.Name, anchor: Optional[cst.CSTNode], via: Optional[str], depth: int, dumps: bool) -> None:
        value = node.value
        if value in ("True", "False", "None", "self", "cls", "_"):
            return
        binding = self.flow.binding(node)
        if binding is None:
            if not self.flow.is_bound(value):
                qualified = self.context.module_facts.imports.get(value)
                if qualified in _IMPORTED_DUMPS:
                    if dumps:
                        self.add(DUMP, node, value, _IMPORTED_DUMPS[qualified], anchor, via)
                    return
                if value in BUILTIN_NAMES or qualified is not None:
                    return
                if self.analysis.is_message_constant(value):
                    return
        elif binding.kind == "import" or binding.kind == "def":
            return
        if is_class_name(value):
            return
        match = self.classify(value, binding, local=True)
        if match is not None:
            if self.known_empty(value):
                return
            if binding is None or not self.binding_hides(binding):
                self.add(NAME, node, value, match.category, anchor, via)
            return
        # A `user`/`request`/`payload` object interpolated into text is `str(obj)`: its own short
        # representation, not a dump of its fields (those are `vars()`, `.__dict__`, `.dict()`...).
        if binding is not None:
            self.follow(binding, anchor or node, via or value, depth, dumps)

    def follow(self, binding: Binding, anchor: cst.CSTNode, via: str, depth: int, dumps: bool) -> None:
        if id(binding) in self.seen:
            return
        self.seen.add(id(binding))
        value = binding.value
        if value is None or binding.unpacked:
            return
        if dumps and binding.block is not None and not self.reaches(binding):
            dumps = False  # bound in another branch: the object may not be what arrives here
        if binding.kind in (ASSIGN, NAMED, WITH):
            direct = self.direct
            self.direct = direct and isinstance(value, (cst.Name, cst.Attribute, cst.Call, cst.Await))
            self.scan(value, anchor, via, depth + 1, dumps)
            self.direct = direct
        elif binding.kind == AUGASSIGN:
            self.scan(value, anchor, via, depth + 1, dumps)
            if binding.previous is not None:
                self.follow(binding.previous, anchor, via, depth + 1, dumps)
        elif binding.kind == LOOP and isinstance(value, (cst.Name, cst.Attribute)):
            self.scan(value, anchor, via, depth + 1, dumps=False)

    def known_empty(self, name: str) -> bool:
        """Under `if not token:` / `if token is None:` / `if not isinstance(token, str):` the
        value is empty or not the expected data: the message reports its absence or its type."""
        ancestors = self.context.ancestors
        for index, ancestor in enumerate(ancestors[:-1]):
            if isinstance(ancestor, cst.If) and ancestors[index + 1] is ancestor.body and _rejects(ancestor.test, name):
                return True
            # `if isinstance(urls, str): ... else: raise ValueError(f"got {urls!r}")`: the type is wrong.
            if isinstance(ancestor, cst.If) and ancestors[index + 1] is ancestor.orelse and _checks_type(ancestor.test, name):
                return True
        return False

    def reaches(self, binding: Binding) -> bool:
        """The binding's block encloses the sink (a cheap stand-in for dominance)."""
        if self._ancestor_ids is None:
            self._ancestor_ids = {id(node) for node in self.context.ancestors}
        return id(binding.block) in self._ancestor_ids

    def binding_hides(self, binding: Binding) -> bool:
        """The bound value cannot reveal the data its name suggests (`email = mask(email)`)."""
        if binding.kind == PARAM:
            annotation = binding.annotation
            return annotation is not None and code_of(annotation) in _HIDING_ANNOTATIONS
        if binding.kind in (ASSIGN, NAMED) and not binding.unpacked:
            value = binding.value
            text = _string(value)
            if text is not None and (looks_like_key(text) or not text or _is_message_text(text)):
                return True  # `email = "email"` is a field name, `W_RACE = "... %s ..."` a message
            return hides_value(value)
        return False

    def is_whole_object(self, node: cst.BaseExpression) -> bool:
        """A user/customer/payload... object or a request (not a string, not a dict built here)."""
        if isinstance(node, cst.Name):
            words = tokenize(node.value)
            if not words or words[-1] not in CARRIERS or is_class_name(node.value):
                return False
            return self.is_object(node.value, self.flow.binding(node))
        if isinstance(node, cst.Attribute):
            return node.attr.value not in _STRINGY_ATTRS and self.is_carrier(node)
        return False

    def is_object(self, name: str, binding: Optional[Binding]) -> bool:
        """`user`/`request`/... is a whole object here (not a username string or an id)."""
        if name == "user" and any(self.flow.is_bound(n) for n in ("password", "passwd", "host", "hostname", "port")):
            return False  # connection parameters: `user` is a login name
        if binding is None:
            return True
        if binding.kind == PARAM:
            annotation = binding.annotation
            return annotation is None or code_of(annotation) not in _STRINGY_ANNOTATIONS
        if binding.kind in (ASSIGN, NAMED, WITH) and not binding.unpacked:
            value = binding.value
            if value is None or _string(value) is not None or isinstance(value, (cst.FormattedString, cst.Integer)):
                return False
            if isinstance(value, cst.Attribute):
                return value.attr.value not in _STRINGY_ATTRS
            if isinstance(value, cst.Call):
                func_name = last_segment(value.func) or ""
                return func_name not in ("str", "getuser", "getenv", "get", "format", "pop", "lower", "strip", "int")
            return isinstance(value, (cst.Name, cst.Await, cst.Subscript)) and not isinstance(value, cst.Subscript)
        return False

    # -- attributes, subscripts, calls -----------------------------------------------------

    def attribute(self, node: cst.Attribute, anchor: Optional[cst.CSTNode], via: Optional[str], dumps: bool) -> None:
        if dumps:
            dump = self.dump_attribute(node)
            if dump is not None:
                self.add(DUMP, node, code_of(node), dump, anchor, via)
                return
        attr = node.attr.value
        if is_class_name(attr) or attr.startswith("__"):
            return
        match = self.classify(attr)
        if match is not None and match.entry == ("full", "name") and not self.is_carrier(node.value):
            return  # `datasource.full_name`, `table.full_name`: a qualified name, not a person's
        if match is not None and match.whole and match.entry in (("token",), ("secret",)) and _is_business_record(node.value):
            return  # `order.token`, `gc.secret`: the record's public code or id, shown to its owner
        if match is not None:
            label = dotted_name(node) or attr
            self.add(NAME, node, label if len(label) <= 40 else attr, match.category, anchor, via)

    def dump_attribute(self, node: cst.Attribute) -> Optional[str]:
        attr = node.attr.value
        base = node.value
        if attr in REQUEST_PARTS and self.is_request(base):
            return REQUEST_PARTS[attr]
        if attr in _RESPONSE_PARTS and (last_segment(base) or "") in _RESPONSE_NAMES:
            return None if self.on_error_path() else "response body"
        if attr == "__dict__":
            return "object attributes" if self.is_carrier(base) else None
        if attr == "session" and self.is_request(base):
            return "session"
        return None

    def on_error_path(self) -> bool:
        """Inside an `except` handler or a branch that checks an HTTP status: a response body
        there is an error description, not the payload."""
        if self.context.enclosing_handler() is not None:
            return True
        for ancestor in self.context.ancestors:
            if isinstance(ancestor, (cst.If, cst.While)) and (_checks_status(ancestor.test) or _tests_failure(ancestor.test)):
                return True
        return False

    def is_carrier(self, node: cst.BaseExpression) -> bool:
        """An object that holds private data: a request, user, customer... or one named sensitively.
        `self` counts in a class named like one (`class Customer`)."""
        if isinstance(node, cst.Call):
            return False
        name = last_segment(node) or ""
        if name == "self":
            qualname = self.context.frame.qualname.split(".")
            owner = qualname[-2] if len(qualname) >= 2 else ""
            return bool(set(tokenize(owner)) & CARRIERS)
        if not name or name == "cls" or name.startswith("__") or is_class_name(name):
            return False
        words = tokenize(name)
        if words and words[-1] in CARRIERS:
            return True
        return self.is_request(node) or self.vocabulary.classify(name) is not None

    def is_request(self, node: cst.BaseExpression) -> bool:
        name = last_segment(node)
        if name in _REQUEST_NAMES:
            return True
        return (self.context.qualify(node) or "") in _REQUEST_QUALIFIED

    def subscript(self, node: cst.Subscript, anchor: Optional[cst.CSTNode], via: Optional[str], depth: int) -> None:
        if is_partial_slice(node):
            return
        key = None
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            key = _string(node.slice[0].slice.value)
        if key is not None:
            if looks_like_key(key) and not _is_message_table(node.value):
                match = self.classify(key)
                if match is not None:
                    self.add(NAME, node, key, match.category, anchor, via)
            return
        if isinstance(node.value, (cst.Name, cst.Attribute)):
            self.scan(node.value, anchor, via, depth, dumps=False)

    def call(self, node: cst.Call, anchor: Optional[cst.CSTNode], via: Optional[str], depth: int, dumps: bool) -> None:
        if is_redaction_call(node, self.context.qualify(node.func)) or is_opaque_call(node):
            return
        func = node.func
        if dumps:
            dump = self.dump_call(node)
            if dump is not None:
                self.add(DUMP, node, code_of(node), dump, anchor, via)
                return
        key = self.getter_key(node)
        if key is not None:
            if looks_like_key(key):
                match = self.classify(key)
                if match is not None:
                    self.add(NAME, node, key, match.category, anchor, via)
            return
        name = last_segment(func) or ""
        qualified = self.context.qualify(func) or ""
        if (isinstance(func, cst.Name) and name in _TRANSPARENT_FUNCTIONS and not self.flow.is_bound(name)) or (
            qualified in _TRANSPARENT_QUALIFIED
        ):
            # Iterating a mapping (`sorted(headers)`, `list(vars(x))`) yields its keys, not a dump.
            keep = dumps and name not in _ITERATING_FUNCTIONS
            for arg in node.args:
                if arg.keyword is None:
                    self.scan(arg.value, anchor, via, depth, keep)
                elif name == "dict":
                    self.keyed(arg.keyword.value, arg, arg.value, anchor, via, depth)
            return
        if isinstance(func, cst.Attribute) and name in _STR_METHODS:
            self.scan(func.value, anchor, via, depth, dumps)
            template = _string(func.value)
            for arg in node.args:
                if arg.star == "**" and name in ("format", "format_map") or name == "format_map":
                    # Only the fields the template names are rendered: `"{path}".format(**locals())`.
                    self.template_fields(template, node, anchor, via)
                    continue
                if arg.keyword is not None and name == "format":
                    self.keyed(arg.keyword.value, arg, arg.value, anchor, via, depth)
                elif arg.keyword is None:
                    self.scan(arg.value, anchor, via, depth, dumps and name != "join")
            return
        words = tokenize(name)
        if len(words) > 1 and words[0] in _ACCESSOR_VERBS and not is_class_name(name):
            match = self.classify("_".join(words[1:]))
            if match is not None:
                self.add(NAME, node, f"{callee_label(func)}()", match.category, anchor, via)

    def getter_key(self, node: cst.Call) -> Optional[str]:
        func = node.func
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        if isinstance(func, cst.Attribute) and func.attr.value in _GETTER_METHODS and positional:
            first = _string(positional[0])
            second = _string(positional[1]) if len(positional) > 1 else None
            if first is not None and second and looks_like_key(first) and looks_like_key(second):
                return second  # configparser-style `conf.get("section", "option")`
            return first
        qualified = self.context.qualify(func) or ""
        index = _GETTER_FUNCTIONS.get(qualified)
        if index is not None and len(positional) > index:
            return _string(positional[index])
        return None

    def dump_call(self, node: cst.Call) -> Optional[str]:
        func = node.func
        if isinstance(func, cst.Name) and not self.flow.is_bound(func.value):
            if func.value == "locals":
                return "local variables"
            if func.value == "vars":
                if not node.args:
                    return "local variables"
                return "object attributes" if self.is_carrier(node.args[0].value) else None
        qualified = self.context.qualify(func) or ""
        if qualified in _SERIALIZE_FUNCTIONS and node.args:
            return "serialized object"
        if qualified in _JSON_DUMPS and node.args and node.args[0].keyword is None:
            # `json.dumps(user)`: every field of a whole object, not its short `str()`.
            if self.is_whole_object(node.args[0].value):
                return "serialized object"
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = func.value
            if method in _SERIALIZE_METHODS and not is_class_name(last_segment(receiver) or "x"):
                if method == "dict" and (self.context.qualify(receiver) or "").split(".")[0] in self.context.module_facts.imports:
                    return None
                return "serialized object"
            if method in ("json", "get_json", "get_data", "body", "form") and self.is_request(receiver):
                return "request body"
            if method == "json" and (last_segment(receiver) or "") in _RESPONSE_NAMES:
                return None if self.on_error_path() else "response body"
        return None

    # -- containers, keys and literals ---------------------------------------------------------

    def dict(self, node: cst.Dict, anchor: Optional[cst.CSTNode], via: Optional[str], depth: int) -> None:
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = _string(element.key)
                if key is not None and not self.exception:
                    self.keyed(key, element.key, element.value, anchor, via, depth)
                else:
                    self.scan(element.value, anchor, via, depth)
            else:
                self.scan(element.value, anchor, via, depth)

    def keyed(self, key: str, where: cst.CSTNode, value: cst.BaseExpression, anchor: Optional[cst.CSTNode] = None,
              via: Optional[str] = None, depth: int = 0) -> None:  # fmt: skip
        """A key or keyword naming the value (`extra={"ssn": v}`, `log.bind(email=v)`)."""
        match = self.classify(key) if looks_like_key(key) else None
        if match is not None and not self.value_hidden(value):
            self.add(NAME, where, key, match.category, anchor, via)
            return
        self.scan(value, anchor, via, depth)

    def value_hidden(self, value: cst.BaseExpression) -> bool:
        if hides_value(value) or _string(value) is not None:
            return True
        if isinstance(value, cst.Name):
            if value.value in ("None", "True", "False"):
                return True
            binding = self.flow.binding(value)
            return binding is not None and self.binding_hides(binding)
        return False

    def template_fields(self, template: Optional[str], node: cst.CSTNode, anchor: Optional[cst.CSTNode], via: Optional[str]) -> None:
        """The sensitive field names of a `{name}` or `%(name)s` template filled from a mapping."""
        if template is None:
            return
        for field_name in _template_fields(template):
            match = self.classify(field_name)
            if match is not None:
                self.add(NAME, node, field_name, match.category, anchor, via)

    def text(self, text: str, node: cst.CSTNode, anchor: Optional[cst.CSTNode], via: Optional[str]) -> None:
        for match in find_values(text):
            self.add(VALUE, node, match.description, match.category, anchor, via)


# Records whose `token`/`secret` attribute is their own code or id (a ticket's QR secret, a gift
# card's code, an order's URL token), shown to their owner, not a credential of the system.
_BUSINESS_RECORDS = frozenset(
    {"order", "orders", "checkout", "cart", "basket", "position", "op", "ticket", "voucher", "gift", "giftcard",
     "gc", "invoice", "booking", "reservation", "coupon", "item", "line", "event", "product", "badge", "seat",
     "attendee", "registration", "subscription", "membership"}
)  # fmt: skip


def _is_business_record(node: cst.BaseExpression) -> bool:
    words = tokenize(last_segment(node) or "")
    return bool(words) and words[-1] in _BUSINESS_RECORDS


_MESSAGE_TABLES = frozenset({"messages", "msgs", "texts", "labels", "templates", "strings", "translations"})


def _is_message_table(node: cst.BaseExpression) -> bool:
    """`self.error_messages["duplicate_email"]`: the key picks a message, it is not data."""
    words = tokenize(last_segment(node) or "")
    return bool(words) and words[-1] in _MESSAGE_TABLES


_ANALYSES: weakref.WeakKeyDictionary[FileContext, PrivacyAnalysis] = weakref.WeakKeyDictionary()


def privacy(context: FileContext) -> PrivacyAnalysis:
    """The file's `PrivacyAnalysis` (one per `FileContext`, shared by XH401–XH404)."""
    analysis = _ANALYSES.get(context)
    if analysis is None:
        analysis = _ANALYSES[context] = PrivacyAnalysis(context)
    return analysis
