"""A review worth its cost: the rule context, module-level names, reasoning before the verdict, and a
cached prefix that engages (long enough for the model, identical across requests and runs, no nonce)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from errlint.docs import section
from errlint.review.prompt import REVIEW_SCHEMA, REVIEW_TOOL, wire_bytes
from errlint.review.rulecontext import min_cacheable_tokens, rule_text
from errlint.rule import rule_by_code

from test_review import _asked_id, hermetic, review_json  # noqa: F401 - fixtures
from test_review_helpers import FakeAPI, answer, good_input, make_project, many_bare_excepts

KEY = "sk-ant-test-not-a-real-key"


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeAPI:
    fake = FakeAPI()
    import errlint.review.client as client_module

    monkeypatch.setattr(client_module, "make_http_client", fake.client)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    return fake


def _prefix(body: dict[str, Any]) -> bytes:
    """The cached prefix: tools, then the system block (the order the API builds the cache in)."""
    return wire_bytes({"tools": body["tools"], "system": body["system"]})


def test_cached_prefix_engages_and_holds_no_nonce(tmp_path: Path, monkeypatch: Any, api: FakeAPI, capsys: Any) -> None:
    root = make_project(tmp_path / "proj", extra={"app/payments/steps.py": many_bare_excepts(3)})
    monkeypatch.chdir(root)
    api.default = lambda req: answer(good_input(_asked_id(req), fix=None))(req)
    assert review_json(capsys, "--no-cache")[0] == 0
    assert review_json(capsys, "--no-cache")[0] == 0  # a second run: new nonce
    bodies = api.bodies()
    assert len(bodies) == 8
    prefixes = {_prefix(b) for b in bodies}
    assert len(prefixes) == 1  # byte-identical in every request of both runs
    prefix = prefixes.pop().decode()
    assert len(prefix) / 4.5 >= min_cacheable_tokens("claude-sonnet-5-5")  # even at 4.5 characters a token
    nonces = {b["messages"][0]["content"][0]["text"].split("<code_", 1)[1][:16] for b in bodies}
    assert len(nonces) == 2 and not any(n in prefix for n in nonces)
    assert bodies[0]["system"][0]["cache_control"] == {"type": "ephemeral"}


def test_one_request_is_not_padded(project_one: Path, capsys: Any) -> None:
    code, report, _ = review_json(capsys, "--dry-run")
    system = report["findings"][0]["request"]["system"][0]["text"]
    assert "### XH101 bare-except" in system and "### XH102" not in system


@pytest.fixture
def project_one(tmp_path: Path, monkeypatch: Any) -> Path:
    root = make_project(tmp_path / "proj")
    monkeypatch.chdir(root)
    return root


def test_rule_context_is_the_full_rule_docs() -> None:
    rule = rule_by_code("XH101")
    assert rule is not None
    text = rule_text("XH101")
    assert " ".join(section(rule, "What it does").split()) in text
    assert "Use instead:\n```python" in text and "except (OSError, ValueError):" in text


def test_module_level_names_and_reasoning_first(project_one: Path, capsys: Any) -> None:
    (project_one / "app/payments/charge.py").write_text(
        "import logging\n\nlogger = logging.getLogger(__name__)\nRETRIES = 3\nUNUSED = 1\n\n\n"
        "def charge(order, gateway):\n    for _ in range(RETRIES):\n        try:\n            return gateway.charge(order)\n"
        "        except:\n            logger.info('retry')\n",
        encoding="utf-8",
    )
    code, report, _ = review_json(capsys, "--dry-run")
    text = report["findings"][0]["request"]["messages"][0]["content"][0]["text"]
    names = text.split("<names_", 1)[1].split("</names_", 1)[0]
    assert "3| logger = logging.getLogger(__name__)" in names and "4| RETRIES = 3" in names
    assert "UNUSED" not in text
    assert list(REVIEW_SCHEMA["properties"])[0] == "reasoning"  # generated before the verdict
    assert REVIEW_SCHEMA["required"][0] == "reasoning"
    assert REVIEW_TOOL["input_schema"]["properties"]["reviews"]["items"] is REVIEW_SCHEMA
    assert json.dumps(report["findings"][0]["request"]["tools"]) == json.dumps([REVIEW_TOOL])


TWO_IN_ONE = (
    "def sync(client):\n"
    "    try:\n"
    "        client.pull()\n"
    "    except:\n"
    "        pass\n"
    "    try:\n"
    "        client.push()\n"
    "    except:\n"
    "        pass\n"
)


def _asked_ids(request: Any) -> list[str]:
    text = json.loads(request.content)["messages"][0]["content"][0]["text"]
    return [part.split('"', 1)[0] for part in text.split(' id="')[1:]]


def test_one_request_per_function(tmp_path: Path, monkeypatch: Any, api: FakeAPI, capsys: Any) -> None:
    root = make_project(tmp_path / "proj", extra={"app/payments/sync.py": TWO_IN_ONE})
    monkeypatch.chdir(root)
    code, dry, _ = review_json(capsys, "--dry-run")
    sync = [f for f in dry["findings"] if "sync.py" in f["id"]]
    assert [("request" in f) for f in sync] == [True, False]
    assert sync[1]["reason"] == f"sent in the request of {sync[0]['id']}"
    # the model answers the first finding only: the second is invalid, alone
    first = "XH101@app/payments/sync.py:4:5"
    api.default = lambda req: answer({"reviews": [good_input(i, fix=None) for i in _asked_ids(req)][:1]})(req)
    code, report, _ = review_json(capsys)
    assert code == 0
    assert len(api.requests) == 2  # charge.py, and sync.py once for both findings
    statuses = {f["id"]: f["status"] for f in report["findings"]}
    assert statuses[first] == "reviewed" and statuses["XH101@app/payments/sync.py:8:5"] == "invalid_response"
    api.default = lambda req: answer({"reviews": [good_input(i, fix=None) for i in _asked_ids(req)]})(req)
    code, report, _ = review_json(capsys)
    assert {f["id"]: f["status"] for f in report["findings"]}["XH101@app/payments/sync.py:8:5"] == "reviewed"
    assert len(api.requests) == 3  # the complete answer is cached: a rerun would send nothing
    assert review_json(capsys)[1]["run"]["counts"] == {"cached": 3}
    assert len(api.requests) == 3


def test_requests_in_flight_are_bounded(tmp_path: Path, monkeypatch: Any, api: FakeAPI, capsys: Any) -> None:
    import threading

    root = make_project(tmp_path / "proj", extra={"app/payments/steps.py": many_bare_excepts(6)})
    monkeypatch.chdir(root)
    barrier = threading.Barrier(3, timeout=10)  # released only when three requests are in flight at once
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def respond(req: Any) -> Any:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        try:
            if len(api.requests) <= 3:
                barrier.wait()
            return answer(good_input(_asked_id(req), fix=None))(req)
        finally:
            with lock:
                state["now"] -= 1

    api.default = respond
    code, report, _ = review_json(capsys, "--concurrency", "3")
    assert code == 0
    assert report["run"]["counts"] == {"reviewed": 7} and len(api.requests) == 7
    assert state["max"] == 3  # three in flight, never more


def test_the_review_package_never_imports_the_cli() -> None:
    import ast

    import errlint.review

    root = Path(errlint.review.__file__).parent
    for module in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [])  # fmt: skip
            assert not any(n == "errlint.cli" or n.startswith("errlint.cli.") for n in names), module.name
