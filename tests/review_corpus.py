"""A generated corpus of planted secrets (no tests here): every shape the redaction must catch.

`planted_project(root, seed)` writes a project whose every function holds one planted value and
a bare `except:` (so XH101 sends that function), and returns the planted values with the
fragments that must never reach a request body. Shapes: known key formats, high-entropy keys
with `/` and `+` passed positionally, Azure connection strings, PEM bodies (one literal, split
over literals, in comment lines), positional credentials, numbers under sensitive names, keys
split over adjacent literals, URL passwords with `/`, prose in comments and docstrings,
non-English names, national phone numbers, personal data, and e-mail addresses in file paths.
"""

from __future__ import annotations

import base64
import random
import string
from dataclasses import dataclass
from pathlib import Path

_B64 = string.ascii_letters + string.digits + "+/"
_WORDS = ("correct", "horse", "battery", "staple", "orange", "violet", "marble", "canyon", "pepper", "walrus")


@dataclass(frozen=True)
class Planted:
    shape: str
    value: str
    fragments: tuple[str, ...]  # none of these may appear in any request body


def _b64(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(_B64) for _ in range(size))


def _password(rng: random.Random) -> str:
    """A human password: words and digits, not random-looking (caught by context, not entropy)."""
    return f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}{rng.randint(10, 99)}{rng.choice('!#%&*')}"


def _aws_id(rng: random.Random) -> str:
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def _pem_lines(rng: random.Random, count: int = 3) -> list[str]:
    return [base64.b64encode(rng.randbytes(48)).decode() for _ in range(count)]


def _luhn_complete(prefix: str) -> str:
    for digit in "0123456789":
        candidate = prefix + digit
        total = 0
        for index, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def _iban(rng: random.Random) -> str:
    bban = "WEST" + "".join(rng.choice(string.digits) for _ in range(14))
    numeric = "".join(str(int(c, 36)) for c in bban + "GB00")
    check = 98 - int(numeric) % 97
    return f"GB{check:02d}{bban}"


def _phone(rng: random.Random) -> str:
    d = lambda n: "".join(rng.choice(string.digits) for _ in range(n))  # noqa: E731
    return rng.choice(
        [
            f"020 {rng.randint(7000, 8999)} {d(4)}",
            f"0{rng.choice('67')} {d(2)} {d(2)} {d(2)} {d(2)}",
            f"030 {rng.randint(2, 9)}{d(7)}",
            f"0{rng.randint(211, 899)}/{rng.randint(2, 9)}{d(6)}",
            f"06-{rng.randint(1, 9)}{d(7)}",
            f"03-{rng.randint(1000, 9999)}-{d(4)}",
            f"9{d(2)} {d(3)} {d(3)}",
            f"02 {rng.randint(1000, 9999)} {d(4)}",
            f"0{rng.choice('67')}{d(8)}",
        ]
    )


def _function(index: int, body: list[str]) -> str:
    lines = [f"def step_{index}(client, u):"] + ["    " + line for line in body]
    lines += ["    try:", "        return client.call()", "    except:", "        return None", "", ""]
    return "\n".join(lines)


def _shapes(rng: random.Random) -> list[tuple[list[str], Planted]]:
    """One function body per planted value (several of each shape)."""
    out: list[tuple[list[str], Planted]] = []

    def add(shape: str, body: list[str], value: str, *fragments: str) -> None:
        out.append((body, Planted(shape, value, tuple(fragments) or (value,))))

    for _ in range(12):
        key_id, secret = _aws_id(rng), _b64(rng, 40)
        add("aws-positional", [f's3 = boto3.client("s3", "eu-west-1", None, True, None, None, "{key_id}", "{secret}")'],
            secret, key_id, secret)  # fmt: skip
        azure = _b64(rng, 86) + "=="
        add("azure-account-key", [
            f'conn = "DefaultEndpointsProtocol=https;AccountName=acct{rng.randint(1, 999)};'
            f'AccountKey={azure};EndpointSuffix=core.windows.net"'], azure)  # fmt: skip
        lines = _pem_lines(rng)
        add("pem-literal", ['KEY = """-----BEGIN RSA PRIVATE KEY-----', *lines, '-----END RSA PRIVATE KEY-----"""'],
            lines[0], *lines)  # fmt: skip
        lines = _pem_lines(rng)
        add("pem-split-literals", ['blob = ("-----BEGIN PRIVATE KEY-----\\n"', *[f'        "{ln}\\n"' for ln in lines],
            '        "-----END PRIVATE KEY-----")'], lines[0], *lines)  # fmt: skip
        lines = _pem_lines(rng)
        add("pem-comment-lines", ["# -----BEGIN OPENSSH PRIVATE KEY-----", *[f"# {ln}" for ln in lines],
            "# -----END OPENSSH PRIVATE KEY-----"], lines[0], *lines)  # fmt: skip
        pw = _password(rng)
        add("auth-tuple", [f'r = requests.get("https://api.internal/x", auth=("admin", "{pw}"))'], pw)
        pw = _password(rng)
        add("http-basic-auth", [f'auth = HTTPBasicAuth(u, "{pw}")'], pw)
        pw = _password(rng)
        add("getenv-default", [f'db = os.getenv("DB_PASSWORD", "{pw}")'], pw)
        pw = _password(rng)
        add("environ-setdefault", [f'os.environ.setdefault("X_SECRET_KEY", "{pw}")'], pw)
        pw = _password(rng)
        add("smtp-login", [f'client.login("ops", "{pw}")'], pw)
        pin = str(rng.randint(2000, 9999))
        add("pin-number", [f"pin = {pin}"], pin)
        account = str(rng.randint(20_000_000, 99_999_999))
        add("account-number", [f"account_number = {account}"], account)
        token = "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))
        cut = rng.randint(10, 30)
        add("split-literals", [f'client = Client("{token[:cut]}"', f'                "{token[cut:]}")'],
            token, token[:cut], token[cut:])  # fmt: skip
        raw = _b64(rng, 32)
        cut = rng.randint(8, 24)
        add("split-random", [f'signer = Signer("{raw[:cut]}" "{raw[cut:]}")'], raw, raw[:cut], raw[cut:])
        pw = f"{rng.choice(_WORDS)}/{rng.choice(_WORDS)}{rng.randint(10, 99)}"
        add("url-password-slash", [f'engine = create_engine("postgresql://svc:{pw}@db.internal:5432/app")'], pw)
        pw = _password(rng)
        add("prose-comment", [f"# the admin password is {pw}"], pw)
        key = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(12))
        add("prose-docstring", [f'"""Calls the partner API (api key: {key})."""'], key)
        pw = _password(rng)
        add("prose-for", [f"# password for the prod db: {pw}"], pw)
        pw = _password(rng)
        name = rng.choice(["mot_de_passe", "passwort", "contraseña", "senha", "wachtwoord", "пароль", "hasło",
                           "kennwort", "salasana", "lösenord"])  # fmt: skip
        add("non-english-name", [f'{name} = "{pw}"'], pw)
        phone = _phone(rng)
        add("national-phone", [f'msg = "Call the on-call engineer on {phone} first"', f"# backup: {phone}"], phone)
        email = f"{rng.choice(_WORDS)}.{rng.choice(_WORDS)}{rng.randint(1, 99)}@corp-mail.io"
        add("email", [f'notify("{email}")'], email)
        card = _luhn_complete("4" + "".join(rng.choice(string.digits) for _ in range(14)))
        add("card-number", [f"card = {card}"], card)
        iban = _iban(rng)
        add("iban", [f'pay_to("{iban}")'], iban)
        ssn = f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        add("ssn", [f"# applicant {ssn}"], ssn)
    return out


def planted_project(root: Path, seed: int = 7) -> list[Planted]:
    """Write the corpus under `root` (a project with a pyproject.toml) and return what was planted."""
    rng = random.Random(seed)
    shapes = _shapes(rng)
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[tool.errlint]\nselect = ["XH101"]\n', encoding="utf-8")
    header = "import os\nimport boto3\nimport requests\nfrom requests.auth import HTTPBasicAuth\n\n\n"
    files: dict[str, list[str]] = {}
    for index, (body, _) in enumerate(shapes):
        files.setdefault(f"app/mod_{index % 8}.py", []).append(_function(index, body))
    path_email = f"{rng.choice(_WORDS)}.{rng.choice(_WORDS)}@corp-mail.io"
    files[f"app/people/{path_email}/handlers.py"] = [_function(9999, ["x = 1"])]
    for rel, functions in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + "".join(functions), encoding="utf-8")
    return [planted for _, planted in shapes] + [Planted("email-in-path", path_email, (path_email,))]
