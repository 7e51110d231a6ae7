"""The XH4 vocabulary (errlint.sensitive) and the per-scope data flow (errlint.dataflow)."""

from __future__ import annotations

from typing import Optional

import libcst as cst
import pytest

from errlint.config import Config, parse_table
from errlint.dataflow import (
    ASSIGN, AUGASSIGN, EXCEPT, IMPORT, LOOP, PARAM, WITH, compute_flow, hides_value, is_partial_slice,
    is_redaction_call,
)  # fmt: skip
from errlint.finding import Severity
from errlint.sensitive import (
    DEFAULT_VOCABULARY, find_values, iban_valid, is_test_module, looks_like_key, luhn_valid, tokenize,
    vocabulary_for,
)  # fmt: skip


def category(name: str) -> Optional[str]:
    match = DEFAULT_VOCABULARY.classify(name)
    return match.category if match else None


# --- tokenizer ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("password", ("password",)),
        ("db_password", ("db", "password")),
        ("DB_PASSWORD", ("db", "password")),
        ("userPassword", ("user", "password")),
        ("apiKey", ("api", "key")),
        ("APIKey", ("api", "key")),
        ("HTTPHeaderValue", ("http", "header", "value")),
        ("X-Forwarded-For", ("x", "forwarded", "for")),
        ("user.email", ("user", "email")),
        ("cvv2", ("cvv",)),
        ("password2_confirm", ("password", "confirm")),
        ("IPv4Address", ("ipv", "address")),
        ("__secret__", ("secret",)),
        ("contraseña", ("contraseña",)),
        ("", ()),
        ("123", ()),
    ],
)
def test_tokenize(name: str, tokens: tuple[str, ...]) -> None:
    assert tokenize(name) == tokens


# --- categories --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # secrets
        ("password", "secret"), ("passwd", "secret"), ("pwd", "secret"), ("db_password", "secret"),
        ("DB_PASSWORD", "secret"), ("userPassword", "secret"), ("new_password", "secret"),
        ("passwords", "secret"), ("password_plaintext", "secret"), ("passphrase", "secret"),
        ("secret", "secret"), ("client_secret", "secret"), ("SECRET_KEY", "secret"),
        ("api_key", "secret"), ("apiKey", "secret"), ("x-api-key", "secret"), ("apikey", "secret"),
        ("private_key", "secret"), ("privkey", "secret"), ("access_token", "secret"),
        ("refresh_token", "secret"), ("token", "secret"), ("authToken", "secret"),
        ("Authorization", "secret"), ("HTTP_AUTHORIZATION", "secret"), ("cookie", "secret"),
        ("cookies", "secret"), ("Set-Cookie", "secret"), ("session_id", "secret"),
        ("sessionid", "secret"), ("session_key", "secret"), ("csrf_token", "secret"),
        ("credentials", "secret"), ("aws_credentials", "secret"), ("creds", "secret"),
        ("otp", "secret"), ("dsn", "secret"), ("database_url", "secret"), ("conn_str", "secret"),
        ("db_pass", "secret"), ("pass_", "secret"), ("pin", "secret"), ("pin_code", "secret"),
        ("contraseña", "secret"), ("jwt", "secret"), ("bearer", "secret"),
        # government ids
        ("ssn", "government-id"), ("social_security_number", "government-id"),
        ("passport_number", "government-id"), ("tax_id", "government-id"), ("taxId", "government-id"),
        ("driver_license", "government-id"), ("nhs_number", "government-id"), ("sin", "government-id"),
        # financial
        ("card_number", "financial"), ("cardNumber", "financial"), ("credit_card", "financial"),
        ("cvv2", "financial"), ("cvc", "financial"), ("iban", "financial"), ("card_no", "financial"),
        ("account_number", "financial"), ("routing_number", "financial"), ("salary", "financial"),
        # health
        ("diagnosis", "health"), ("patient_id", "health"), ("blood_type", "health"),
        ("allergies", "health"), ("medical_record", "health"),
        # contact
        ("email", "contact"), ("user_email", "contact"), ("emails", "contact"), ("e_mail", "contact"),
        ("emailAddress", "contact"), ("phone", "contact"), ("phone_number", "contact"),
        ("zip_code", "contact"), ("zipcode", "contact"), ("postcode", "contact"),
        ("home_address", "contact"), ("billing_address", "contact"), ("street", "contact"),
        # identity
        ("first_name", "identity"), ("lastName", "identity"), ("surname", "identity"),
        ("dob", "identity"), ("date_of_birth", "identity"), ("birthdate", "identity"),
        ("gender", "identity"), ("nationality", "identity"),
        # network / device
        ("ip", "network"), ("client_ip", "network"), ("ip_address", "network"),
        ("ipAddress", "network"), ("IPAddress", "network"), ("remote_addr", "network"),
        ("REMOTE_ADDR", "network"), ("HTTP_X_FORWARDED_FOR", "network"), ("mac_address", "network"),
        ("device_id", "network"), ("latitude", "network"), ("ips", "network"),
        # account ids
        ("user_id", "account-id"), ("userId", "account-id"), ("username", "account-id"),
        ("user_name", "account-id"), ("customer_id", "account-id"), ("login", "account-id"),
        ("enduser.id", "account-id"),
    ],
)  # fmt: skip
def test_sensitive_names(name: str, expected: str) -> None:
    assert category(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        # false friends: whole tokens only
        "author", "authors", "secretary", "secretariat", "passenger", "compass", "bypass",
        "passthrough", "keyboard", "monkey", "ipaddress", "tip", "tips", "zipfile", "spin",
        "accounting", "accountant", "accountable", "encompass", "certain", "concert",
        "mailbox", "skip", "shipment", "description",
        # the head is something else: a hash, a count, a flag, a type, a URL, a field
        "password_hash", "passwordHash", "password_hashed", "token_count", "token_type",
        "token_expiry", "password_reset_url", "password_field", "password_validators",
        "email_domain", "email_template", "email_backend", "secret_name", "secret_id",
        "api_key_id", "credentials_file", "cookie_name", "SESSION_COOKIE_NAME",
        "session_cookie_age", "ssn_last4", "card_last4", "email_verified", "pin_memory",
        "password_changed", "phone_verified", "key_id",
        # flags, quantities and made-safe values
        "is_password_set", "has_email", "hashed_password", "masked_email", "redacted_token",
        "max_tokens", "num_tokens", "tokens", "prompt_tokens", "total_tokens", "password_length",
        "require_password", "use_ssl", "n_emails", "encrypted_password", "email_sha256",
        # parser tokens, pagination cursors, infrastructure addresses
        "next_token", "page_token", "nextToken", "continuation_token", "current_token",
        "server_ip", "host_ip", "bind_ip", "server_ip_address", "address", "server_address",
        "bind_address", "location", "signature", "salt", "key", "cache_key", "public_key",
        "primary_key", "foreign_key", "session", "last_login", "from_email", "DEFAULT_FROM_EMAIL",
        "first_pass", "compile_pass", "zip", "mobile", "fullname", "cext_token", "parent_token",
        "connection_test_token", "external_ip",
    ],
)
def test_not_sensitive(name: str) -> None:
    if name == "zip":
        # `zip` is a postcode as an attribute or key (`address.zip`); the builtin is excluded by
        # the scanner (an unbound builtin name), not by the vocabulary.
        assert category(name) == "contact"
        return
    assert category(name) is None, DEFAULT_VOCABULARY.classify(name)


def test_severities_by_category() -> None:
    vocabulary = DEFAULT_VOCABULARY
    assert vocabulary.severity("secret") == Severity.ERROR
    assert vocabulary.severity("government-id") == Severity.ERROR
    assert vocabulary.severity("financial") == Severity.ERROR
    assert vocabulary.severity("health") == Severity.ERROR
    assert vocabulary.severity("contact") == Severity.WARNING
    assert vocabulary.severity("identity") == Severity.WARNING
    assert vocabulary.severity("network") == Severity.WARNING
    assert vocabulary.severity("account-id") == Severity.INFO


# --- configuration -------------------------------------------------------------------------------


def _config(table: dict[str, object]) -> Config:
    return parse_table({"pii": table}, "pyproject.toml", ".", known_codes=["XH401"], rule_options={}, names_to_codes={})


def test_config_extend_allow_and_severity() -> None:
    config = _config(
        {
            "extend-names": {"identity": ["member_no"], "secret": ["vault_blob"]},
            "allow-names": ["next_token", "session_*", "email"],
            "severity": {"contact": "error", "secret": "warning"},
        }
    )
    vocabulary = vocabulary_for(config)
    assert vocabulary.classify("member_no") is not None
    assert vocabulary.classify("memberNo").category == "identity"  # type: ignore[union-attr]
    assert vocabulary.classify("vault_blob").category == "secret"  # type: ignore[union-attr]
    # exact names are allowed as token sequences; globs match the snake_case form
    assert vocabulary.classify("email") is None
    assert vocabulary.classify("EMAIL") is None
    assert vocabulary.classify("user_email").category == "contact"  # type: ignore[union-attr]
    assert vocabulary.classify("session_id") is None
    assert vocabulary.classify("sessionKey") is None
    assert vocabulary.severity("contact") == Severity.ERROR
    assert vocabulary.severity("secret") == Severity.WARNING
    assert vocabulary.severity("health") == Severity.ERROR
    # cached per setting
    assert vocabulary_for(config) is vocabulary
    assert vocabulary_for(Config()) is not vocabulary


def test_config_errors_name_the_key() -> None:
    from errlint.errors import ConfigError

    with pytest.raises(ConfigError, match="contakt"):
        _config({"extend-names": {"contakt": ["x"]}})
    with pytest.raises(ConfigError, match="severity"):
        _config({"severity": {"contact": "loud"}})


# --- value patterns ------------------------------------------------------------------------------


def luhn_complete(prefix: str) -> str:
    """Append the Luhn check digit (test numbers are built, not copied)."""
    for digit in "0123456789":
        if luhn_valid(prefix + digit):
            return prefix + digit
    raise AssertionError("unreachable")


CARD = luhn_complete("453914880343646")


def test_luhn_and_iban() -> None:
    assert luhn_valid(CARD)
    assert not luhn_valid(CARD[:-1] + str((int(CARD[-1]) + 1) % 10))
    assert iban_valid("GB82 WEST 1234 5698 7654 32")
    assert not iban_valid("GB82 WEST 1234 5698 7654 33")


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("contact jane.roe@contoso-mail.net please", "an email address"),
        (f"card {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}", "a payment card number"),
        (f"card {CARD}", "a payment card number"),
        ("ssn 123-45-6789", "a US social security number"),
        ("GB82 WEST 1234 5698 7654 32", "an IBAN"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIB", "a PEM private key"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "a PEM private key"),
        ("-----BEGIN PRIVATE KEY-----", "a PEM private key"),
        ("Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl", "a JWT"),
        ("AKIA4Z3XQ7R2M9K1LP0D", "an AWS access key"),
        ("ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5", "a GitHub token"),
        ("xoxb-2048-7731-Zk3Pq9LmWx", "a Slack token"),
        ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "a Stripe live key"),
        ("postgres://app:Xk29vLq7mZ@db.internal:5432/app", "credentials in a URL"),
        ("redis://:Xk29vLq7mZ@cache:6379/0", "credentials in a URL"),
    ],
)
def test_value_patterns(text: str, description: str) -> None:
    assert description in [m.description for m in find_values(text)]


@pytest.mark.parametrize(
    "text",
    [
        "git@github.com:org/repo.git",  # an SSH remote, not a person
        "noreply@company-mail.io",  # a role address
        "admin@example.com",  # reserved domain
        "someone@corp.test",
        "user@host",  # no domain
        "4111 1111 1111 1111",  # a famous test number: too few distinct digits
        CARD[:-1] + str((int(CARD[-1]) + 1) % 10),  # Luhn fails
        "order 1234567890123",  # Luhn may pass but no issuer prefix
        "000-12-3456",  # not a valid SSN area
        "postgres://user:password@localhost/db",  # placeholder password
        "postgres://user:{password}@{host}/db",  # template
        "https://%s:%s@%s" ,
        "eyJhbGciOi.eyJzdWIi.sig",  # too short
        "eyJub3Rqc29uIjp9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc",  # header is not JSON with alg/typ
        "AKIAIOSFODNN7EXAMPLE",  # AWS's documented example key
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  # placeholder
        "-----BEGIN CERTIFICATE-----",
        "-----BEGIN PUBLIC KEY-----",
        "version 1.2.3, build 2024-01-01",
        "",
    ],
)
def test_value_patterns_ignore(text: str) -> None:
    assert find_values(text) == (), find_values(text)


def test_looks_like_key() -> None:
    assert looks_like_key("email")
    assert looks_like_key("X-Api-Key")
    assert looks_like_key("user.email")
    assert not looks_like_key("the email was invalid")
    assert not looks_like_key("")
    assert not looks_like_key("%(email)s")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_views.py", True),
        ("app/tests/helpers.py", True),
        ("test_login.py", True),
        ("pkg/login_test.py", True),
        ("conftest.py", True),
        ("django/test/client.py", True),
        ("app/views.py", False),
        ("app/contest.py", False),
        ("testimonials/views.py", False),
    ],
)
def test_is_test_module(path: str, expected: bool) -> None:
    assert is_test_module(path) is expected


# --- data flow ----------------------------------------------------------------------------------


def parse_function(code: str) -> cst.FunctionDef:
    module = cst.parse_module(code)
    function = module.body[0]
    assert isinstance(function, cst.FunctionDef)
    return function


def names(node: cst.CSTNode, value: str) -> list[cst.Name]:
    found: list[cst.Name] = []

    class Collect(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            if name.value == value:
                found.append(name)

    node.visit(Collect())
    return found


def test_flow_last_binding_in_source_order() -> None:
    function = parse_function(
        "def f(user, email: str = ''):\n"
        "    use(email)\n"
        "    email = user.email\n"
        "    use(email)\n"
        "    email = mask(email)\n"
        "    use(email)\n"
        "    msg = f'hi {email}'\n"
        "    msg += user.phone\n"
        "    use(msg)\n"
    )
    flow = compute_flow(function)
    reads = [n for n in names(function.body, "email") if id(n) in flow.reaching]
    kinds = [flow.binding(n).kind for n in reads]  # type: ignore[union-attr]
    assert kinds == [PARAM, ASSIGN, ASSIGN, ASSIGN, ASSIGN]  # the last read is the f-string's
    values = [cst.Module([]).code_for_node(flow.binding(n).value) for n in reads[1:]]  # type: ignore[arg-type, union-attr]
    # the read inside `mask(email)` sees the previous binding (the value is evaluated first)
    assert values == ["user.email", "user.email", "mask(email)", "mask(email)"]
    msg = flow.binding([n for n in names(function.body, "msg") if id(n) in flow.reaching][-1])
    assert msg is not None and msg.kind == AUGASSIGN and msg.previous is not None
    assert msg.previous.kind == ASSIGN


def test_flow_kinds_and_scopes() -> None:
    function = parse_function(
        "def f(items):\n"
        "    import hashlib as h\n"
        "    for token in items:\n"
        "        use(token)\n"
        "    with open(p) as fh:\n"
        "        use(fh)\n"
        "    try:\n"
        "        pass\n"
        "    except OSError as err:\n"
        "        use(err)\n"
        "    use(err)\n"
        "    a, b = x.email, x.phone\n"
        "    use(a, b)\n"
        "    [q for q in items]\n"
        "    use(q)\n"
        "    def inner(z):\n"
        "        use(z, token)\n"
        "    lambda w: w\n"
        "    use(h)\n"
    )
    flow = compute_flow(function)
    body = function.body

    def reads(value: str) -> list[cst.Name]:
        return [n for n in names(body, value) if id(n) in flow.reaching]
    assert flow.binding(reads("token")[0]).kind == LOOP  # type: ignore[union-attr]
    assert flow.binding(reads("fh")[0]).kind == WITH  # type: ignore[union-attr]
    errs = reads("err")
    assert flow.binding(errs[0]).kind == EXCEPT  # type: ignore[union-attr]
    assert flow.binding(errs[1]) is None  # the except name is unbound after the handler
    b = flow.binding(reads("b")[0])
    assert b is not None and cst.Module([]).code_for_node(b.value) == "x.phone"  # type: ignore[arg-type]
    q_reads = reads("q")
    assert flow.binding(q_reads[0]).kind == LOOP  # type: ignore[union-attr]
    assert flow.binding(q_reads[-1]) is None  # comprehension targets stay inside
    assert flow.binding(reads("h")[-1]).kind == IMPORT  # type: ignore[union-attr]
    # nested scopes are not entered
    assert id(names(body, "z")[-1]) not in flow.reaching
    assert flow.attributes("x") == frozenset({"email", "phone"})
    assert flow.is_bound("inner") and not flow.is_bound("w")


def test_flow_is_cached_per_scope() -> None:
    from errlint.analysis import collect_module_facts
    from errlint.context import FileContext
    from errlint.dataflow import flow_for

    module = cst.parse_module("def f(a):\n    return a\n")
    context = FileContext("m.py", module, ["def f(a):", "    return a"], Config(), collect_module_facts(module))
    function = module.body[0]
    assert flow_for(context, function) is flow_for(context, function)
    assert flow_for(context) is flow_for(context, module)


def call(code: str) -> cst.Call:
    expr = cst.parse_expression(code)
    assert isinstance(expr, cst.Call)
    return expr


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("mask(email)", True),
        ("mask_email(email)", True),
        ("redact_url(url)", True),
        ("maybe_sanitize_url(url)", True),
        ("hashlib.sha256(email.encode())", True),
        ("hashlib.sha256(email.encode()).hexdigest()", True),
        ("hmac.new(key, msg, 'sha256')", True),
        ("anonymize(ip)", True),
        ("make_password(raw)", True),
        ("self._obfuscate(token)", True),
        ("encrypt(card)", True),
        ("decrypt(card)", False),
        ("str(email)", False),
        ("email.lower()", False),
        ("format_email(email)", False),
        ("unmasked(x)", False),
    ],
)
def test_redaction_calls(code: str, expected: bool) -> None:
    assert is_redaction_call(call(code)) is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("token[:6]", True),
        ("token[-4:]", True),
        ("key[0:8]", True),
        ("token[:64]", False),
        ("token[4:]", False),
        ("token[::2]", False),
        ("token[i]", False),
        ("len(password)", True),
        ("bool(token)", True),
        ("password is None", True),
        ("not password", True),
        ("'*' * len(password)", True),
        ("password", False),
        ("password.strip()", False),
    ],
)
def test_hides_value(code: str, expected: bool) -> None:
    expr = cst.parse_expression(code)
    if isinstance(expr, cst.Subscript):
        assert is_partial_slice(expr) is expected
    assert hides_value(expr) is expected
