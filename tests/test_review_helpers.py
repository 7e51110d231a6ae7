"""Helpers (no tests) for tests/test_review*.py: a scripted fake Messages API behind httpx2.MockTransport,
a small project with a business-critical path, and answers shaped like the real API's."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any, Callable, Optional

import httpx2

Responder = Callable[[httpx2.Request], httpx2.Response]

# Planted values: no request body, cache file, report or patch may ever contain them.
PLANTED_EMAIL = "jane.doe@example.com"
PLANTED_TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
PLANTED_PASSWORD = "hunter2-correct-horse"
PLANTED_DOC_EMAIL = "billing-team@example.com"
PLANTED = (PLANTED_EMAIL, PLANTED_TOKEN, PLANTED_PASSWORD, PLANTED_DOC_EMAIL)

CHARGE_PY = '''\
"""Charge cards. Questions: billing-team@example.com"""
import logging

logger = logging.getLogger(__name__)


def charge(order, gateway):
    # on-call: jane.doe@example.com, token ghp_abcdefghijklmnopqrstuvwxyz0123456789
    password = "hunter2-correct-horse"
    gateway.login(password)
    try:
        return gateway.charge(order.total)
    except:
        return None
'''
CHARGE_ID = "XH101@app/payments/charge.py:13:5"

PYPROJECT = """\
[tool.errlint]
select = ["XH101"]
critical-paths = ["app/payments/*"]
"""


def make_project(root: Path, extra: Optional[dict[str, str]] = None, pyproject: str = PYPROJECT) -> Path:
    """Write a small project under `root` and return it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    files = {"app/payments/charge.py": CHARGE_PY, **(extra or {})}
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def many_bare_excepts(count: int) -> str:
    """A module with `count` functions, each with one bare except (one XH101 each)."""
    parts = ["import logging\n", "logger = logging.getLogger(__name__)\n"]
    for index in range(count):
        parts.append(
            textwrap.dedent(
                f"""

                def step_{index}(client):
                    try:
                        return client.call({index})
                    except:
                        return None
                """
            )
        )
    return "".join(parts)


def good_input(finding_id: str = CHARGE_ID, **changes: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "reasoning": "charge() swallows every failure of gateway.charge, so the caller sees None.",
        "finding_id": finding_id,
        "verdict": "true_positive",
        "impact": "silent-failure",
        "explanation": "A declined or failed charge returns None, so the caller ships an unpaid order.",
        "confidence": "high",
        "fix": {
            "start_line": 13,
            "end_line": 14,
            "original": "    except:\n        return None",
            "replacement": '    except Exception:\n        logger.exception("charge failed")\n        raise',
        },
        "injection_suspected": False,
    }
    answer.update(changes)
    return answer


def message_body(tool_input: Any, *, stop_reason: str = "tool_use", name: str = "report_review") -> dict[str, Any]:
    """A Messages API response shaped as the real API shapes it; a single review (a dict without
    `reviews`) is wrapped as the tool's `{"reviews": [...]}`."""
    if isinstance(tool_input, dict) and "reviews" not in tool_input:
        tool_input = {"reviews": [tool_input]}
    return {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-5-5",
        "content": [{"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": name, "input": tool_input}],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 1432,
            "output_tokens": 211,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


def error_body(kind: str, message: str, error_code: Optional[str] = None) -> dict[str, Any]:
    err: dict[str, Any] = {"type": kind, "message": message}
    if error_code:
        err["details"] = {"error_code": error_code}
    return {"type": "error", "error": err}


def ok(body: Any) -> Responder:
    return lambda req: httpx2.Response(200, json=body, headers={"request-id": "req_ok"})


def answer(tool_input: Any, **kw: Any) -> Responder:
    return ok(message_body(tool_input, **kw))


def status(code: int, body: Any, **headers: str) -> Responder:
    hdrs = {"request-id": f"req_{code}", **{k.replace("_", "-"): v for k, v in headers.items()}}
    return lambda req: httpx2.Response(code, json=body, headers=hdrs)


def raw(code: int, content: bytes, content_type: str) -> Responder:
    return lambda req: httpx2.Response(code, content=content, headers={"content-type": content_type})


def raises(exc: Exception) -> Responder:
    def respond(req: httpx2.Request) -> httpx2.Response:
        raise exc

    return respond


class FakeAPI:
    """Scripted responses for POST /v1/messages, in order; records every request."""

    def __init__(self, *responders: Responder) -> None:
        self.queue = list(responders)
        self.requests: list[httpx2.Request] = []
        self.default: Optional[Responder] = None

    def add(self, *responders: Responder) -> None:
        self.queue.extend(responders)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if self.queue:
            return self.queue.pop(0)(request)
        if self.default is not None:
            return self.default(request)
        return httpx2.Response(500, json=error_body("api_error", "FakeAPI: nothing scripted"))

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def client(self) -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(self))
