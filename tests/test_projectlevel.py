"""Project-level rules (errlint.projectlevel) through XH405: facts, judging, cache, jobs, shards,
single-file runs, noqa and per-file-ignores, and the facts XH405 takes from real framework code."""

from __future__ import annotations

import ast
import json
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from errlint.cli import main
from errlint.config import Config
from errlint.discovery import Target
from errlint.projectlevel import STORE_DIR, judge, judge_texts, split_case
from errlint.rule import rule_by_code
from errlint.rules._payload_facts import file_facts
from errlint.shard import Shard

RULE = rule_by_code("XH405")
CONVENTION = 'this project\'s {"code", "error"} (4 responses, e.g. app/more.py:4)'

VIEWS = '''\
from flask import Flask, jsonify
app = Flask(__name__)

def a():
    return jsonify(error="bad", code="invalid"), 400

def b():
    return jsonify(error="missing", code="not_found"), 404

def c():
    return jsonify(error="conflict", code="conflict"), 409
'''
MORE = '''\
from flask import jsonify

def d():
    return jsonify(error="gone", code="gone"), 410

def e():
    return {"message": "broken"}, 500
'''
MESSAGE = f'error payload {{"message"}} differs from {CONVENTION}'


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ERRLINT_CACHE_DIR", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.errlint]\npreview = true\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text(VIEWS)
    (tmp_path / "app" / "more.py").write_text(MORE)
    return tmp_path


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", "--select", "XH405", "--format", "concise", *args], input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


EXPECTED = f"app/more.py:7:12: XH405 [info] {MESSAGE}\n"


def test_exact_position_and_message(app: Path) -> None:
    assert run(".", "--no-cache") == (1, EXPECTED, "")


def test_json_fingerprint_and_range(app: Path) -> None:
    code, out, _ = run(".", "--no-cache", "--format", "json")
    [finding] = json.loads(out)
    assert (finding["line"], finding["column"], finding["end_line"], finding["end_column"]) == (7, 12, 7, 33)
    assert (finding["severity"], finding["code"], finding["name"]) == ("info", "XH405", "inconsistent-error-payload")
    code, sarif, _ = run(".", "--no-cache", "--format", "sarif")
    prints = json.loads(sarif)["runs"][0]["results"][0]["partialFingerprints"]
    assert len(next(iter(prints.values()))) == 32


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_jobs_and_cache_give_the_same_report(app: Path, jobs: str) -> None:
    assert run(".", "-j", jobs) == (1, EXPECTED, "")  # cold: facts from the workers, stored
    store = list((app / ".errlint_cache" / STORE_DIR).glob("*.json"))
    assert len(store) == 1
    assert set(json.loads(store[0].read_text())["files"]) == {str(app / "app" / "more.py"), str(app / "app" / "views.py")}
    assert run(".", "-j", jobs) == (1, EXPECTED, "")  # warm: findings cache hits, facts from the store


def test_a_warm_run_reads_each_file_once(app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The result cache's hit carries the key of the bytes it read; the facts stored under that key
    are used as they are, without reading the file a second time for the project rule."""
    import errlint.engine

    assert run(".", "-j", "1") == (1, EXPECTED, "")
    reads: list[str] = []
    real = errlint.engine.read_source
    monkeypatch.setattr(errlint.engine, "read_source", lambda path: reads.append(str(path)) or real(path))
    assert run(".", "-j", "1") == (1, EXPECTED, "")
    # Once each for the result cache; the judgement of the same files is remembered
    # (errlint.projectcache): the reported file is not read again to place its report.
    assert sorted(reads) == ["app/more.py", "app/views.py"]
    (app / "app" / "views.py").write_text(VIEWS + "\n")  # another key: judged again, same findings
    reads.clear()
    assert run(".", "-j", "1") == (1, EXPECTED, "")
    assert str(app / "app" / "more.py") in reads


def test_damaged_store_and_changed_file_are_recomputed(app: Path) -> None:
    run(".")
    store = next((app / ".errlint_cache" / STORE_DIR).glob("*.json"))
    data = json.loads(store.read_text())
    for entry in data["files"].values():
        entry["facts"] = {"XH405/1": {"sites": []}}  # a hand edit: the checksum no longer matches
    store.write_text(json.dumps(data))
    assert run(".") == (1, EXPECTED, "")
    (app / "app" / "more.py").write_text(MORE.replace('{"message": "broken"}', '{"error": "broken", "code": 1}'))
    assert run(".") == (0, "", "")
    store.write_text("{not json")
    assert run(".") == (0, "", "")


def test_noqa_and_per_file_ignores(app: Path) -> None:
    (app / "app" / "more.py").write_text(MORE.replace("}, 500", "}, 500  # noqa: XH405"))
    assert run(".", "--no-cache") == (0, "", "")
    (app / "app" / "more.py").write_text(MORE)
    (app / "pyproject.toml").write_text('[tool.errlint]\npreview = true\nper-file-ignores = {"app/more.py" = ["XH405"]}\n')
    assert run(".", "--no-cache") == (0, "", "")


def test_noqa_for_a_project_rule_is_not_unused(app: Path) -> None:
    (app / "app" / "more.py").write_text(MORE.replace("}, 500", "}, 500  # noqa: XH405"))
    code, out, _ = run(".", "--no-cache", "--select", "XH001,XH405")
    assert (code, out) == (0, "")


def test_single_file_uses_stored_facts_of_the_others(app: Path) -> None:
    assert run("app/more.py") == (0, "", "")  # nothing stored yet: silent
    run(".")  # stores every file's facts
    assert run("app/more.py") == (1, EXPECTED, "")
    assert run("app/views.py") == (0, "", "")  # the other file's finding is not this run's
    assert run("-", "--stdin-filename", "app/more.py", input=MORE) == (1, EXPECTED, "")
    assert run("app/more.py", "--no-cache") == (0, "", "")
    (app / "app" / "views.py").write_text(VIEWS + "\n")  # stale: its stored facts no longer count
    assert run("app/more.py") == (0, "", "")


def test_three_applications_are_three_projects(app: Path) -> None:
    other = app / "other"
    other.mkdir()
    (other / "setup.py").write_text("")
    (other / "api.py").write_text(MORE.replace("d():", "x():").replace("e():", "y():") + MORE.replace("d():", "z():"))
    code, out, _ = run(".", "--no-cache")
    assert out == EXPECTED  # other/ has 2 x {"error", "code"} and 2 x {"message"}: below the minimum


def test_shards_report_their_files_and_union_to_the_whole(app: Path) -> None:
    (app / "app" / "third.py").write_text(MORE.replace("d():", "f():").replace("e():", "g():"))
    config = Config(select=("XH405",), preview=True)
    files = [(Target(p, p.relative_to(app).as_posix()), config) for p in sorted((app / "app").glob("*.py"))]
    whole = judge(files, [], cwd=app, use_cache=False)
    assert sorted((f.path, f.line) for f in whole) == [("app/more.py", 7), ("app/third.py", 7)]
    for count in (2, 3):
        parts = [judge(files, [], cwd=app, use_cache=False, shard=Shard(k, count)) for k in range(1, count + 1)]
        for k, part in enumerate(parts, start=1):
            assert all(Shard(k, count).owns(f.path) for f in part)
        union = sorted((f.path, f.line, f.message, f.fingerprint) for part in parts for f in part)
        assert union == sorted((f.path, f.line, f.message, f.fingerprint) for f in whole)


def test_pinned_shape_and_bad_values(app: Path) -> None:
    (app / "pyproject.toml").write_text('[tool.errlint]\npreview = true\nerror-payload = ["error"]\n')
    code, out, _ = run(".", "--no-cache")
    assert out == 'app/more.py:7:12: XH405 [info] error payload {"message"} differs from the configured error-payload {"error"}\n'
    for bad in ('"error"', "[]", '["error", "error"]', "[1]"):
        (app / "pyproject.toml").write_text(f"[tool.errlint]\nerror-payload = {bad}\n")
        code, out, err = run(".", "--no-cache")
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "error-payload" in err


def _case(code: str) -> list[tuple[str, int, int, str]]:
    found = judge_texts(split_case(textwrap.dedent(code)), [RULE], Config(preview=True))
    return [(f.path, f.line, f.column, f.message) for f in found]


FOUR_DETAIL = """\
# file: api/a.py
from fastapi import HTTPException
def a():
    raise HTTPException(status_code=400, detail="x")
def b():
    raise HTTPException(404, detail="x")
def c():
    raise HTTPException(409, "x")
def d():
    raise HTTPException(status_code=422, detail="x")
"""


def test_helper_shape_is_followed_and_reported_once() -> None:
    code = FOUR_DETAIL + '''\
# file: api/errors.py
from fastapi.responses import JSONResponse
def fail(message, status):
    return JSONResponse({"error": message}, status_code=status)
# file: api/b.py
from .errors import fail
def e():
    return fail("x", 500)
def f():
    return fail("y", 503)
def h():
    return fail("z", 502)
'''
    assert _case(code) == []  # 4 x {"detail"}, 3 x {"error"}: no two-thirds convention
    code += "def g():\n    raise HTTPException(400, 'z')\ndef g2():\n    raise HTTPException(401, 'z')\n"
    code = code.replace("# file: api/b.py\nfrom .errors import fail\n", "# file: api/b.py\nfrom .errors import fail\nfrom fastapi import HTTPException\n")
    msg = 'error payload {"error"} differs from this project\'s {"detail"} (6 responses, e.g. api/a.py:3)'
    assert _case(code) == [("api/errors.py", 3, 12, msg)]


def test_silent_cases() -> None:
    code = FOUR_DETAIL + '''\
# file: api/c.py
from django.http import JsonResponse, HttpResponse
from flask import redirect
def e(request):
    return JsonResponse({"amount": ["must be positive"]}, status=400)  # field errors
def f(request):
    return JsonResponse({"error": "invalid_grant"}, status=400)  # OAuth 2.0
def g(request):
    return JsonResponse({"message": "created"}, status=201)  # success
def h(request):
    return HttpResponse("<h1>Not found</h1>", status=404)  # not JSON
def i(request):
    return redirect("/login")
# file: tests/test_api.py
from django.http import JsonResponse
def helper():
    return JsonResponse({"oops": 1, "error": 2}, status=500)
'''
    assert _case(code) == []


def test_too_few_responses_are_silent() -> None:
    code = """\
    from flask import jsonify
    def a():
        return jsonify(error="x"), 400
    def b():
        return jsonify(error="x"), 400
    def c():
        return jsonify(error="x"), 400
    def d():
        return jsonify(message="x"), 500
    """
    assert _case(code) == []  # 4 responses: under the minimum of 5


def test_facts_of_framework_constructs() -> None:
    tree = ast.parse(textwrap.dedent('''\
        import json
        from http import HTTPStatus
        from flask import Response, jsonify, make_response
        from starlette.responses import JSONResponse
        from rest_framework.exceptions import NotFound
        def a():
            body = {"error": "x"}
            body["code"] = 1
            return jsonify(body), HTTPStatus.BAD_REQUEST
        def b():
            return make_response(jsonify(message="x"), 404)
        def c():
            return Response(json.dumps({"title": "t", "status": 400}), status=400, mimetype="application/problem+json")
        def d():
            return JSONResponse(content={"err": 1}, status_code=HTTPStatus(503))
        def e():
            raise NotFound("x")
        def test_f():
            return jsonify(error="in a test"), 400
        def ok():
            return jsonify(error="not an error status"), 200
        '''))
    facts = file_facts(tree)
    assert facts is not None
    assert [(s[0], s[1], s[4], s[5]) for s in facts["sites"]] == [
        (9, 11, ["code", "error"], False),
        (11, 11, ["message"], False),
        (13, 11, ["detail", "instance", "status", "title", "type"], True),
        (15, 11, ["err"], False),
        (17, 10, ["detail"], False),
    ]
    assert facts["helpers"] == [] and facts["calls"] == []
    assert json.loads(json.dumps(facts)) == facts  # plain JSON


def test_facts_of_flask_appbuilder_and_exception_handlers() -> None:
    tree = ast.parse(textwrap.dedent('''\
        from flask import jsonify
        from flask_appbuilder.api import BaseApi
        class Api(BaseApi):
            def get(self, pk):
                if pk < 0:
                    return self.response_400(message="bad")
                if pk == 0:
                    return self.response(404, **{"message": "missing", "pk": pk})
                if pk == 1:
                    return self.response(500, **payload)
                return self.response(200, result=pk)
        @app.errorhandler(404)
        def not_found(error):
            return jsonify(error="not found")
        @app.errorhandler(500)
        def broken(error):
            return send_error("broken"), error.code
        '''))
    facts = file_facts(tree)
    assert facts is not None
    assert [(s[0], s[4]) for s in facts["sites"]] == [(6, ["message"]), (8, ["message", "pk"]), (14, ["error"])]
    assert facts["calls"] == [[17, "send_error"]]  # a helper's body, status from the handler


SHOP = Path(__file__).parent / "fixtures" / "projects" / "shop"


def test_shop_fixture_matches_its_annotations(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small Flask shop: a helper used by five routes, framework variants, silent cases, noqa."""
    monkeypatch.chdir(SHOP)
    code, out, err = run(".", "--no-cache", "-j", "2")
    annotated = sorted(
        f"{path.relative_to(SHOP).as_posix()}:{number}"
        for path in SHOP.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if line.rstrip().endswith("# [XH405]")
    )
    assert sorted(":".join(line.split(":")[:2]) for line in out.splitlines()) == annotated
    convention = 'this project\'s {"code", "error"} (7 responses, e.g. shop/errors.py:7)'
    assert (code, err) == (1, "")
    assert out == (
        f'shop/orders.py:25:16: XH405 [info] error payload {{"message"}} differs from {convention}\n'
        f'shop/payments.py:12:16: XH405 [info] error payload {{"msg"}} differs from {convention}\n'
    )


def test_a_crash_while_judging_is_reported_and_exits_2(app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(project: object) -> list[object]:
        raise KeyError("boom")

    monkeypatch.setattr(RULE, "judge", classmethod(lambda cls, project: broken(project)))
    code, out, err = run(".", "--no-cache")
    assert code == 2 and out == ""
    assert err.splitlines()[0] == f"errlint: error: rule XH405 crashed on {app} (project): KeyError: 'boom'"
    assert run(".")[0] == 2  # with the cache: the crashed judgement is not remembered...
    monkeypatch.undo()
    monkeypatch.chdir(app)
    assert run(".") == (1, EXPECTED, "")  # ...so the fixed rule judges the same files again


def _flake8(app: Path, *args: str, stdin: str | None = None) -> list[str]:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "XH405", *args],
        cwd=app, input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout.splitlines()


FLAKE8_LINE = f"app/more.py:7:12: XH405 [info] {MESSAGE}"


def test_flake8_uses_the_stored_facts_of_the_other_files(app: Path) -> None:
    (app / "pyproject.toml").write_text('[tool.errlint]\nselect = ["XH405"]\n')
    assert _flake8(app, "app/more.py") == []  # nothing stored: silent
    assert run(".")[0] == 1  # a full run stores every file's facts
    assert _flake8(app, "app/more.py") == [FLAKE8_LINE]
    assert _flake8(app, "app/views.py") == []  # a finding in another file is not this file's
    # The linted text places the report (standard input: one line added above).
    assert _flake8(app, "--stdin-display-name", "app/more.py", "-", stdin="# new\n" + MORE) == [
        FLAKE8_LINE.replace("more.py:7:", "more.py:8:").replace("more.py:4)", "more.py:5)")
    ]


@pytest.mark.slow
def test_editor_server_reports_with_the_stored_facts(app: Path) -> None:
    pytest.importorskip("pygls")
    from lsprotocol import types
    from test_server import open_doc, run as serve, summary

    (app / "pyproject.toml").write_text('[tool.errlint]\nselect = ["XH405"]\n')
    assert run(".")[0] == 1
    uri = (app / "app" / "more.py").as_uri()

    async def scenario(session: Any) -> None:
        diagnostics = await session.diagnostics(open_doc(session, uri, "\n" + MORE))
        assert summary(diagnostics) == [("XH405", 7, 11, types.DiagnosticSeverity.Information)]
        assert diagnostics[0].message.endswith(CONVENTION.replace("more.py:4)", "more.py:5)"))
        assert diagnostics[0].data["name"] == "inconsistent-error-payload"

    serve(app, scenario)


@pytest.mark.parametrize("cache", [["--no-cache"], []])
def test_shard_option_reports_are_the_unsharded_report_split(app: Path, cache: list[str]) -> None:
    (app / "app" / "third.py").write_text(MORE.replace("d():", "f():").replace("e():", "g():"))
    _, whole, _ = run(".", *cache)
    assert len(whole.splitlines()) == 2
    for count in ("2", "3"):
        parts = [run(".", "--shard", f"{k}/{count}", *cache)[1] for k in range(1, int(count) + 1)]
        assert sorted(line for part in parts for line in part.splitlines()) == sorted(whole.splitlines())


def test_the_store_is_parsed_once_per_process_until_it_is_replaced(app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The flake8 plugin judges one file per call: each call must not parse the whole store again."""
    import errlint.factstore as factstore

    run(".")  # writes the store
    store = next((app / ".errlint_cache" / STORE_DIR).glob("*.json"))
    parsed: list[Path] = []
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if os.path.abspath(self) == str(store):
            parsed.append(self)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    factstore._READ.clear()
    first = factstore.FactsStore(app / ".errlint_cache").entries
    second = factstore.FactsStore(app / ".errlint_cache").entries
    assert len(parsed) == 1 and first == second and first is not second
    first.clear()  # a store's entries are its own: the next reader still sees the file's
    assert factstore.FactsStore(app / ".errlint_cache").entries == second
    (app / "app" / "more.py").write_text(MORE + "\n")
    run(".")  # the store is replaced (a new file): read again
    third = factstore.FactsStore(app / ".errlint_cache").entries
    assert len(parsed) == 2 and third != second
