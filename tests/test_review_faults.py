"""Bounded in time and money: what each fault costs, in (fake) seconds and HTTP requests.

Every request goes through the real SDK on `httpx2.MockTransport`; the run's clock and sleep are a
fake clock that the simulated server advances, so nothing waits. A slow server honours the read
timeout the SDK puts on the request, as a real socket would. The figures asserted here are the
fault cost table of docs/review.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import httpx2
import pytest

from errlint.review import runner as review_runner

from test_review import _asked_id, hermetic, review, review_json  # noqa: F401 - fixtures
from test_review_helpers import FakeAPI, answer, error_body, good_input, make_project, many_bare_excepts, message_body, status

KEY = "sk-ant-test-not-a-real-key"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(review_runner, "_clock", fake)
    monkeypatch.setattr(review_runner, "_sleep", fake.sleep)
    return fake


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeAPI:
    fake = FakeAPI()
    import errlint.review.client as client_module

    monkeypatch.setattr(client_module, "make_http_client", fake.client)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    return fake


@pytest.fixture
def six(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Six findings on a business-critical path."""
    root = make_project(tmp_path / "proj", extra={"app/payments/steps.py": many_bare_excepts(5)})
    monkeypatch.chdir(root)
    return root


def slow(clock: FakeClock, delay: float) -> Any:
    """A server that answers after `delay` seconds (inf: never), within the request's read timeout."""

    def respond(request: httpx2.Request) -> httpx2.Response:
        read_timeout = request.extensions["timeout"]["read"]
        if delay > read_timeout:
            clock.now += read_timeout
            raise httpx2.ReadTimeout("timed out", request=request)
        clock.now += delay
        return answer(good_input(_asked_id(request), verdict="needs_context", fix=None))(request)

    return respond


class Trickle(httpx2.SyncByteStream):
    """A body sent one byte every `gap` seconds: each read is quick, the whole never ends in time."""

    def __init__(self, clock: FakeClock, body: bytes, gap: float) -> None:
        self.clock, self.body, self.gap = clock, body, gap

    def __iter__(self) -> Iterator[bytes]:
        for index in range(len(self.body)):
            self.clock.now += self.gap
            yield self.body[index : index + 1]


def cost(clock: FakeClock, api: FakeAPI) -> tuple[float, int]:
    return clock.now, len(api.requests)


def test_hung_gateway_costs_two_timeouts(six: Path, api: FakeAPI, clock: FakeClock, capsys: Any) -> None:
    api.default = slow(clock, float("inf"))
    code, report, err = review_json(capsys)
    assert code == 0
    assert cost(clock, api) == (120.0, 2)  # was 194 s: three attempts of 60 s, backoff, a fourth
    assert report["run"]["counts"] == {"skipped_unavailable": 6}
    assert "2 consecutive requests without an answer" in err


def test_trickling_server_cannot_hold_a_request(six: Path, api: FakeAPI, clock: FakeClock, capsys: Any) -> None:
    body = json.dumps(message_body(good_input())).encode()

    def trickle(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "application/json"}, stream=Trickle(clock, body, 5.0))

    api.default = trickle
    code, report, err = review_json(capsys)
    assert code == 0
    assert len(body) * 5.0 > 1000  # unbounded, this one answer would take this long
    assert cost(clock, api) == (130.0, 2)  # 65 s each: the deadline is checked on every chunk
    assert "request deadline passed" in report["findings"][0]["reason"]


def test_run_deadline_lets_the_static_findings_stand(six: Path, api: FakeAPI, clock: FakeClock, capsys: Any) -> None:
    api.default = slow(clock, 50.0)
    code, report, err = review_json(capsys, "--deadline", "120")
    assert code == 0
    assert cost(clock, api) == (120.0, 3)  # the third request gets the 20 s left, then times out
    assert report["run"]["counts"] == {"reviewed": 2, "skipped_deadline": 3, "skipped_unavailable": 1}
    assert report["run"]["state"] == "partial"
    assert "the run deadline passed (--deadline 120s): the static findings stand" in err
    api.default = slow(clock, 50.0)
    clock.now = 0.0
    assert review(capsys, "--deadline", "120", "--strict")[0] == 3


def test_overloaded_opens_the_breaker(six: Path, api: FakeAPI, clock: FakeClock, capsys: Any) -> None:
    api.default = status(529, error_body("overloaded_error", "Overloaded"))
    assert review_json(capsys)[0] == 0
    assert cost(clock, api) == (2.25, 3)  # backoff 0.75 s + 1.5 s (jitter fixed at 0.5)


def test_long_retry_after_costs_one_request(six: Path, api: FakeAPI, clock: FakeClock, capsys: Any) -> None:
    api.default = status(429, error_body("rate_limit_error", "slow down"), retry_after="3600")
    assert review_json(capsys)[0] == 0
    assert cost(clock, api) == (0.0, 1)


@pytest.mark.parametrize(
    ("responder", "reason"),
    [
        (lambda req: answer({"verdict": "maybe"})(req), "invalid_response"),
        (status(413, error_body("request_too_large", "Request exceeds the maximum size")), "too_large"),
        (status(400, error_body("invalid_request_error", "bad tool schema")), "rejected"),
    ],
    ids=["invalid-answers", "all-413", "all-400"],
)
def test_repeated_unusable_answers_open_the_breaker(
    six: Path, api: FakeAPI, clock: FakeClock, capsys: Any, responder: Any, reason: str
) -> None:
    api.default = responder
    code, report, err = review_json(capsys)
    assert code == 0
    assert cost(clock, api) == (0.0, 3)  # was 6: every finding sent and billed
    assert report["run"]["counts"] == {reason: 3, "skipped_unavailable": 3}
    assert report["run"]["state"] == "partial"  # never "complete"
    assert "circuit breaker open after 3 consecutive unusable answers" in err
    assert review(capsys, "--strict")[0] == 3


def test_ctrl_c_prints_a_partial_report(six: Path, api: FakeAPI, clock: FakeClock, capsys: Any) -> None:
    def interrupt(request: httpx2.Request) -> httpx2.Response:
        raise KeyboardInterrupt

    api.add(lambda req: answer(good_input(_asked_id(req), verdict="needs_context", fix=None))(req), interrupt)
    code, report, err = review_json(capsys)
    assert code == 130
    assert report["run"]["counts"] == {"reviewed": 1, "interrupted": 5}
    assert report["run"]["state"] == "partial"
    assert "interrupted (Ctrl-C): partial report" in err
    api.default = lambda req: answer(good_input(_asked_id(req), verdict="needs_context", fix=None))(req)
    code, report, _ = review_json(capsys)  # a rerun resumes from the cache
    assert code == 0 and report["run"]["counts"] == {"cached": 1, "reviewed": 5} and len(api.requests) == 7
