"""XH405: an error response whose JSON payload differs from the one the rest of the application uses."""

from __future__ import annotations

import ast
import json
from typing import Any, ClassVar, Iterable, Optional

from errlint.finding import Impact, Severity
from errlint.projectlevel import Project, ProjectReport, ProjectRule
from errlint.rule import Invalid, Valid
from errlint.rules._payload_facts import PROBLEM_KEYS, file_facts

MIN_RESPONSES = 5  # error responses in the project before a convention is assumed
MIN_SHARE = 2 / 3  # of them that must follow the dominant shape


class InconsistentErrorPayload(ProjectRule):
    """
    ## What it does
    Checks that the error responses of one web application (Flask, FastAPI/Starlette, Django,
    Django REST framework) share one JSON payload shape, and reports the responses whose keys
    differ from the shape the application uses most.

    An error response is a JSON body with an HTTP status of 400 or more (or any JSON body returned
    by an exception handler: `@app.errorhandler`, `@app.exception_handler`): `jsonify({...})`,
    `jsonify(error=...)`, `return {...}, 404` (Flask), `make_response(jsonify(...), 400)`,
    `JSONResponse({...}, status_code=...)`, `Response(json.dumps({...}), status=...)`,
    `JsonResponse({...}, status=...)`, DRF `Response({...}, status=status.HTTP_400_BAD_REQUEST)`,
    Flask-AppBuilder's `self.response_404(message=...)` (`{"message"}`) and `self.response(400, ...)`.
    Its shape is the set of top-level keys. Framework defaults count with their own shape: FastAPI's
    and Starlette's `HTTPException(status_code, detail=...)` and DRF's `NotFound`,
    `PermissionDenied`... give `{"detail"}`; an `application/problem+json` body is RFC 9457's
    `{"type", "title", "status", "detail", "instance"}` whatever members it sets.

    A body built by a helper of the application (`return error_response("not found", 404)`,
    where `error_response` returns `jsonify(error=message), status`) counts once per call, with the
    helper's shape, and a deviating helper is reported once, where it builds the body.

    The dominant shape is the set of keys that most error responses contain (extra keys are
    compatible: `{"error", "details"}` follows `{"error"}`). A response is reported when it lacks a
    key of the dominant shape. The rule stays silent unless the application has at least 5 error
    responses of known shape and at least two thirds of them follow the dominant shape; with
    `error-payload` configured, the configured keys are the shape and every response is checked.

    This is a project-level rule: it judges all the files of a project together (the files of a
    run under one configuration and one application root, the nearest folder with
    `pyproject.toml`, `setup.py`, `setup.cfg` or `.git`). Linting one file alone (standard input,
    the flake8 plugin, an editor) uses the facts cached by an earlier run for the other files, and
    reports nothing without them.

    Not counted: bodies with no key that names an error (`error`, `errors`, `message`, `msg`,
    `detail`, `description`, `reason`, `title`, `code`, `type`...: `{"amount": [...]}` is a form's
    field errors, `{"status": "running"}` a polling answer), OAuth 2.0 error bodies
    (`error_description`, or `error` set to a registered OAuth error code: their shape is the
    protocol's), bodies whose keys are not written out (`jsonify(payload)` of a parameter,
    `{**base}`), text and HTML bodies, redirects and success responses, responses whose status is
    not a literal outside exception handlers, and test code (files under `test-paths`, `test_*`
    functions, `Test*` classes).

    ## Why is this bad?
    Clients parse error bodies to show a message or decide what to do. When one route answers
    `{"error": ...}` and another `{"message": ...}`, every client needs a special case per route,
    and the one that was missed shows "undefined" or crashes on the failure it should explain.

    ## Example
    ```python
    from flask import Flask, jsonify

    app = Flask(__name__)

    @app.get("/users/<int:uid>")
    def user(uid):
        if uid < 0:
            return jsonify(error="bad id", code="invalid"), 400
        if uid == 0:
            return jsonify(error="no such user", code="not_found"), 404
        return jsonify(id=uid)

    @app.get("/orders/<int:oid>")
    def order(oid):
        if oid < 0:
            return jsonify(error="bad id", code="invalid"), 400
        if oid == 0:
            return jsonify(error="no such order", code="not_found"), 404
        if oid > 10**9:
            return jsonify(error="too large", code="invalid"), 422
        return jsonify({"message": "order service down"}), 503
    ```

    Use instead:
    ```python
    from flask import Flask, jsonify

    app = Flask(__name__)

    @app.get("/users/<int:uid>")
    def user(uid):
        if uid < 0:
            return jsonify(error="bad id", code="invalid"), 400
        if uid == 0:
            return jsonify(error="no such user", code="not_found"), 404
        return jsonify(id=uid)

    @app.get("/orders/<int:oid>")
    def order(oid):
        if oid < 0:
            return jsonify(error="bad id", code="invalid"), 400
        if oid == 0:
            return jsonify(error="no such order", code="not_found"), 404
        if oid > 10**9:
            return jsonify(error="too large", code="invalid"), 422
        return jsonify(error="order service down", code="unavailable"), 503
    ```

    ## Options
    - `error-payload` (a `[tool.errlint]` key, e.g. `error-payload = ["error", "code"]`): the keys
      every error body must have. Then the configured shape is the convention, with no minimum
      number of responses, and the message names the configuration instead of an example.

    ## References
    - [RFC 9457: Problem Details for HTTP APIs](https://www.rfc-editor.org/rfc/rfc9457)
    - [Microsoft REST API guidelines: error condition responses](https://github.com/microsoft/api-guidelines/blob/vNext/azure/Guidelines.md#handling-errors)
    """

    CODE: ClassVar[str] = "XH405"
    PREVIEW: ClassVar[bool] = True
    MESSAGE: ClassVar[str] = "error payload {shape} differs from {convention}"
    SEVERITY: ClassVar[Severity] = Severity.INFO
    IMPACT: ClassVar[Impact] = Impact.LOST_CONTEXT
    FACTS_VERSION: ClassVar[str] = "1"

    VALID = [
        Valid(
            """
            from fastapi import FastAPI, HTTPException

            app = FastAPI()

            @app.get("/a")
            def a(x: int):
                if x < 0:
                    raise HTTPException(status_code=400, detail="negative")
                if x == 0:
                    raise HTTPException(status_code=404, detail="zero")
                if x > 9:
                    raise HTTPException(422, detail="too big")
                if x == 5:
                    raise HTTPException(409, "five")
                return {"x": x}

            @app.get("/b")
            def b(y: int):
                if y < 0:
                    raise HTTPException(status_code=400, detail="negative")
                return {"detail": "ok", "y": y}
            """
        ),
        Valid(
            """
            from flask import jsonify, redirect

            def error_response(message, status):
                return jsonify({"error": message, "code": status}), status

            def a():
                return error_response("bad", 400)

            def b():
                return error_response("missing", 404)

            def c():
                return error_response("conflict", 409)

            def d():
                return error_response("gone", 410)

            def e():
                return jsonify({"error": "broken", "code": 500, "trace_id": "t"}), 500

            def f():
                return jsonify({"message": "created"}), 201  # a success response

            def g():
                return redirect("/login")
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from flask import jsonify

            def a():
                return jsonify(error="bad", code="invalid"), 400

            def b():
                return jsonify(error="missing", code="not_found"), 404

            def c():
                return jsonify(error="conflict", code="conflict"), 409

            def d():
                return jsonify(error="gone", code="gone"), 410

            def e():
                return jsonify({"message": "broken"}), 500
            """,
            expected_message=(
                'error payload {"message"} differs from this project\'s {"code", "error"} '
                "(4 responses, e.g. case.py:4)"
            ),
            line=16,
            column=12,
        ),
        Invalid(
            """
            from django.http import JsonResponse
            from rest_framework import status
            from rest_framework.response import Response

            def a(request):
                return JsonResponse({"detail": "bad"}, status=400)

            def b(request):
                return Response({"detail": "no"}, status=status.HTTP_403_FORBIDDEN)

            def c(request):
                return Response(data={"detail": "missing"}, status=404)

            def d(request):
                return JsonResponse({"detail": "conflict", "field": "x"}, status=409)

            def e(request):
                return Response({"errors": ["broken"]}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
            """,
            expected_message=(
                'error payload {"errors"} differs from this project\'s {"detail"} (4 responses, e.g. case.py:6)'
            ),
            line=18,
            column=12,
        ),
    ]

    @classmethod
    def facts(cls, tree: ast.Module) -> Any:
        return file_facts(tree)

    @classmethod
    def judge(cls, project: Project) -> Iterable[ProjectReport]:
        sites = _sites(project)
        pinned = tuple(project.config.error_payload)
        if pinned:
            dominant = frozenset(pinned)
            convention = f"the configured error-payload {render(sorted(dominant), False)}"
        else:
            if sum(s.weight for s in sites) < MIN_RESPONSES:
                return []
            chosen = _dominant(sites)
            if chosen is None:
                return []
            dominant, support, example = chosen
            convention = (
                f"this project's {render(sorted(dominant), _is_problem(dominant))} "
                f"({support} responses, e.g. {example.path}:{example.line})"
            )
        out = []
        for site in sites:
            if dominant <= site.keys:
                continue
            message = cls.MESSAGE.format(shape=render(sorted(site.keys), site.problem), convention=convention)
            out.append(ProjectReport(site.path, site.line, site.col, site.end_line, site.end_col, message))
        return out


class _Site:
    __slots__ = ("path", "line", "col", "end_line", "end_col", "keys", "problem", "weight")

    def __init__(self, path: str, pos: list[Any], keys: list[str], problem: bool, weight: int) -> None:
        self.path = path
        self.line, self.col, self.end_line, self.end_col = (int(v) for v in pos)
        self.keys = frozenset(keys)
        self.problem = bool(problem)
        self.weight = weight


# A body counts as an error payload when one of its keys says so; others (`{"amount": [...]}`, the
# field errors of a form; `{"status": "running", "percentage": 40}` of a polling endpoint) are
# data the client reads per endpoint.
ERROR_KEYS = frozenset(
    """error errors err error_code errorcode error_message errormessage error_type message messages msg
    detail details description reason title code type fault exception problem""".split()
)


def error_body(keys: list[str], problem: bool) -> bool:
    return problem or any(k.lower().lstrip("_") in ERROR_KEYS for k in keys)


def render(keys: list[str], problem: bool) -> str:
    if problem:
        return "RFC 9457 problem details {" + ", ".join(json.dumps(k) for k in PROBLEM_KEYS) + "}"
    return "{" + ", ".join(json.dumps(k) for k in keys) + "}"


def _is_problem(keys: frozenset[str]) -> bool:
    return keys == frozenset(PROBLEM_KEYS)


def _sites(project: Project) -> list[_Site]:
    """Every error response of the project; a helper weighs as many responses as its calls."""
    sites: list[_Site] = []
    helpers: dict[tuple[str, str], tuple[str, list[Any]]] = {}  # (module, qualname) -> (path, helper)
    for path, facts in sorted(project.files.items()):
        if not isinstance(facts, dict):
            continue
        module = project.module_names.get(path, "")
        for site in facts.get("sites", ()):
            if error_body(site[4], site[5]):
                sites.append(_Site(path, site[:4], site[4], site[5], 1))
        for helper in facts.get("helpers", ()):
            helpers[(module, str(helper[0]))] = (path, helper)
    if not helpers:
        return sites
    uses: dict[tuple[str, str], int] = {}
    methods: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for module, qualname in helpers:
        methods.setdefault((module, qualname.rsplit(".", 1)[-1]), []).append((module, qualname))
    for path, facts in sorted(project.files.items()):
        if not isinstance(facts, dict):
            continue
        module = project.module_names.get(path, "")
        imports = facts.get("imports", {})
        package = module if path.replace("\\", "/").endswith("__init__.py") else module.rpartition(".")[0]
        for _, callee in facts.get("calls", ()):
            for key in _resolve(str(callee), module, package, imports, helpers, methods):
                uses[key] = uses.get(key, 0) + 1
    for key, count in sorted(uses.items()):
        path, helper = helpers[key]
        if error_body(helper[5], helper[6]):
            sites.append(_Site(path, helper[1:5], helper[5], helper[6], count))
    return sites


def _absolute(qualified: str, package: str) -> str:
    """`..errors.fail` in package `app.api` -> `app.errors.fail`."""
    level = len(qualified) - len(qualified.lstrip("."))
    if not level:
        return qualified
    base = package.split(".") if package else []
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, qualified.lstrip(".")]).strip(".")


def _resolve(
    callee: str,
    module: str,
    package: str,
    imports: dict[str, str],
    helpers: dict[tuple[str, str], Any],
    methods: dict[tuple[str, str], list[tuple[str, str]]],
) -> list[tuple[str, str]]:
    head, _, rest = callee.partition(".")
    if head in ("self", "cls") and rest:
        return methods.get((module, rest), [])[:1]  # a method of a class of this module
    if not rest:
        if (module, head) in helpers:
            return [(module, head)]
        if head in imports:
            target_module, _, name = _absolute(imports[head], package).rpartition(".")
            return [(target_module, name)] if (target_module, name) in helpers else []
        return []
    if head in imports:
        target = _absolute(imports[head], package)
        return [(target, rest)] if (target, rest) in helpers else []
    return []


def _dominant(sites: list[_Site]) -> Optional[tuple[frozenset[str], int, _Site]]:
    """The shape most error responses contain, its support and an example, or None (no convention)."""
    total = sum(s.weight for s in sites)
    best: Optional[tuple[int, int, int, tuple[str, ...]]] = None
    chosen: Optional[frozenset[str]] = None
    for candidate in {s.keys for s in sites}:
        support = sum(s.weight for s in sites if candidate <= s.keys)
        if support < MIN_SHARE * total:
            continue
        exact = sum(s.weight for s in sites if candidate == s.keys)
        # The most specific shape that enough responses contain: with 4 x {"error", "code"} and
        # 1 x {"error"}, the convention is {"error", "code"} and {"error"} lacks "code".
        rank = (len(candidate), support, exact, tuple(sorted(candidate)))
        if best is None or rank > best:
            best, chosen = rank, candidate
    if best is None or chosen is None:
        return None
    example = min((s for s in sites if s.keys == chosen), key=lambda s: (s.path, s.line, s.col))
    return chosen, best[1], example
