"""Nothing secret leaves the machine: a generated corpus of planted secrets through the real SDK on a
mock transport (every request body captured), and property tests over random key material."""

from __future__ import annotations

import base64
import json
import os
import re
import time
from pathlib import Path
from typing import Any, Iterator

import libcst as cst
import pytest
from hypothesis import given, settings, strategies as st

from errlint.cli import run as errlint_run
from errlint.review import runner as review_runner
from errlint.review.redact import redact_source

from review_corpus import Planted, planted_project
from test_review_helpers import FakeAPI, answer, good_input


@pytest.fixture(autouse=True)
def hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(("ANTHROPIC_", "ERRLINT_")):
            monkeypatch.delenv(name)
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(review_runner, "_sleep", lambda s: None)

    def no_sleep(seconds: float) -> None:
        raise AssertionError(f"a test tried to sleep {seconds}s")

    monkeypatch.setattr(time, "sleep", no_sleep)
    yield


def _asked_id(request: Any) -> str:
    text = json.loads(request.content)["messages"][0]["content"][0]["text"]
    return text.split(' id="', 1)[1].split('"', 1)[0]


def leaks(planted: list[Planted], wire: str) -> list[Planted]:
    """The planted values any fragment of which occurs in `wire`."""
    found = []
    for item in planted:
        for fragment in item.fragments:
            if fragment.isdigit():
                hit = re.search(rf"(?<!\d){fragment}(?!\d)", wire) is not None
            else:
                hit = fragment in wire
            if hit:
                found.append(item)
                break
    return found


def test_planted_corpus_never_reaches_a_request_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "corpus"
    planted = planted_project(root)
    assert len(planted) >= 200
    assert len({p.shape for p in planted}) >= 25
    monkeypatch.chdir(root)
    api = FakeAPI()
    api.default = lambda req: answer(good_input(_asked_id(req), verdict="needs_context", fix=None))(req)
    import errlint.review.client as client_module

    monkeypatch.setattr(client_module, "make_http_client", api.client)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")
    code = errlint_run(["review", "--all", "--max-findings", "5000", "--budget-tokens", "1000000000", "--no-cache",
                        "--format", "json"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    report = json.loads(out)
    assert report["run"]["counts"] == {"reviewed": len(planted)}  # every function was sent and answered
    wire = "\n".join(r.content.decode() for r in api.requests)
    decoded = "\n".join(json.dumps(json.loads(r.content), ensure_ascii=False) for r in api.requests)
    leaked = leaks(planted, wire) + leaks(planted, decoded)
    assert leaked == [], sorted({(p.shape, p.value) for p in leaked})
    # the code still reaches the model: the handlers and placeholders are there
    assert "except:" in wire and "<REDACTED:secret:" in wire and "app/people/[redacted-email-1]/handlers.py" in wire


# --- properties over random key material -----------------------------------------------------------

_ENCODINGS = {
    "base64": lambda b: base64.b64encode(b).decode(),
    "base64url": lambda b: base64.urlsafe_b64encode(b).decode().rstrip("="),
    "hex": lambda b: b.hex(),
    "HEX": lambda b: b.hex().upper(),
    "base32": lambda b: base64.b32encode(b).decode().rstrip("="),
}
_CONTEXTS = (
    'client.connect("db.internal", {s!r})\n',
    "x = 1  # {s}\n",
    'def f():\n    """Signed with {s} here."""\n',
    "CONFIG = [{s!r}, 3]\n",
    'signer = Signer(b"{s}")\n',
    'msg = f"{{user}}:{s}"\n',
    'pair = {{"label": {s!r}}}\n',
    'joined = ("{a}"\n          "{b}")\n',
)

# Key material as a key generator makes it: uniformly random bytes (`st.binary` would shrink
# towards zeros and counting sequences, which no generator emits), 30 to 64 of them (an AWS secret key is 30).
_key_bytes = st.builds(lambda r, n: r.randbytes(n), st.randoms(use_true_random=True), st.integers(30, 64))


@settings(max_examples=250, deadline=None)
@given(data=_key_bytes, encoding=st.sampled_from(sorted(_ENCODINGS)), context=st.sampled_from(_CONTEXTS),
       cut=st.floats(0.2, 0.8))  # fmt: skip
def test_random_key_material_never_survives(data: bytes, encoding: str, context: str, cut: float) -> None:
    secret = _ENCODINGS[encoding](data)
    split = max(1, int(len(secret) * cut))
    code = context.format(s=secret, a=secret[:split], b=secret[split:])
    redacted = redact_source(code)
    assert secret not in redacted.text, redacted.text
    if "{a}" in context:
        assert secret[:split] not in redacted.text and secret[split:] not in redacted.text
    cst.parse_module(redacted.text)
    assert redacted.restore(redacted.text) == code


@pytest.mark.parametrize(
    ("code", "kept"),
    [
        ('path = "/usr/local/lib/python3.11/site-packages"\n', True),
        ('name = "XH101_bare_except_fixture_v1"\n', True),
        ('logger.info("password is required for %s", user)\n', True),
        ('url = "https://docs.example.org/en/stable/api/Client.html"\n', True),
        ('version = "1.2.3"\n', True),
        ("timeout = 30  # seconds\n", True),
        ("retries = 5\n", True),
    ],
)
def test_ordinary_code_stays_readable(code: str, kept: bool) -> None:
    assert (redact_source(code).text == code) is kept


def test_each_leak_of_the_audit_is_closed_with_a_readable_placeholder() -> None:
    code = (
        'r = get(url, auth=("admin", "pw-1"))\n'
        'h = HTTPBasicAuth(u, "pw-2")\n'
        'd = os.getenv("DB_PASSWORD", "pw-3")\n'
        'os.environ.setdefault("X_SECRET_KEY", "pw-4")\n'
        "pin = 4921\n"
        "account_number = 12345678\n"
        'mot_de_passe = "pw-5"\n'
        "# the admin password is pw-6\n"
        'e = create_engine("postgresql://svc:pa/ss@db/app")\n'
        'm = "call 020 7946 0958"\n'
    )
    assert redact_source(code).text == (
        'r = get(url, auth=("<REDACTED:secret:1>", "<REDACTED:secret:2>"))\n'
        'h = HTTPBasicAuth(u, "<REDACTED:secret:3>")\n'
        'd = os.getenv("DB_PASSWORD", "<REDACTED:secret:4>")\n'
        'os.environ.setdefault("X_SECRET_KEY", "<REDACTED:secret:5>")\n'
        'pin = "<REDACTED:secret:6>"\n'
        'account_number = "<REDACTED:secret:7>"\n'
        'mot_de_passe = "<REDACTED:secret:8>"\n'
        "# the admin password is <REDACTED:secret:9>\n"
        'e = create_engine("postgresql://<REDACTED:url_credentials:1>@db/app")\n'
        'm = "call <REDACTED:phone:1>"\n'
    )


def test_evidence_for_the_finding_stays_readable() -> None:
    code = (
        'raise AuthError(f"empty password for {username}: {password!r}")\n'
        'password = f"{user}:hunter2-{n}x"\n'
    )
    redacted = redact_source(code)
    assert redacted.text == (
        'raise AuthError(f"empty password for {username}: {password!r}")\n'  # an exception message, not a credential
        'password = f"{user}<REDACTED:secret:1>{n}<REDACTED:secret:2>"\n'  # the text goes, the fields stay
    )
    assert redacted.restore(redacted.text) == code
