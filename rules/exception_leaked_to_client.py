"""XH404: exception text or a traceback sent to the client in an HTTP response."""

from __future__ import annotations

import ast
import http
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Sequence, Union

import libcst as cst

from errlint.analysis import Handler, dotted_name, last_segment
from errlint.dataflow import AUGASSIGN, EXCEPT, NAMED, PARAM, ASSIGN, Binding, ScopeFlow, flow_for
from errlint.finding import Impact, Severity
from errlint.regions import Region, dotted_name as ast_dotted_name
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._hints_privacy import imports_for, may_qualify, qualified_candidates
from errlint.sensitive import WEB_PREFIXES, PrivacyOptions, code_of, privacy, tokenize
from errlint.taxonomy import Kind, classify

if TYPE_CHECKING:
    from errlint.context import FileContext




@dataclass(frozen=True)
class ResponseShape:
    """Where a response callable takes its status, and its status when none is given."""

    status_position: Optional[int]
    status_keywords: tuple[str, ...]
    default: Optional[int]  # None: the status must come from the arguments


_STATUS_KW = ("status", "status_code")
RESPONSES: dict[str, ResponseShape] = {
    "jsonify": ResponseShape(None, (), 200),
    "make_response": ResponseShape(1, ("status",), 200),
    "abort": ResponseShape(0, ("code", "status", "status_code"), None),
    "Response": ResponseShape(1, _STATUS_KW, 200),
    "JSONResponse": ResponseShape(1, _STATUS_KW, 200),
    "ORJSONResponse": ResponseShape(1, _STATUS_KW, 200),
    "UJSONResponse": ResponseShape(1, _STATUS_KW, 200),
    "HTMLResponse": ResponseShape(1, _STATUS_KW, 200),
    "PlainTextResponse": ResponseShape(1, _STATUS_KW, 200),
    "HTTPException": ResponseShape(0, ("status_code", "code"), None),
    "WebSocketException": ResponseShape(0, ("code",), None),
    "JsonResponse": ResponseShape(None, ("status",), 200),
    "HttpResponse": ResponseShape(2, ("status",), 200),
    "json_response": ResponseShape(None, ("status",), 200),
    "render_template_string": ResponseShape(None, (), 200),
    "HTTPError": ResponseShape(0, ("status_code",), None),
}
FIXED_STATUS: dict[str, int] = {
    # Django
    "HttpResponseBadRequest": 400, "HttpResponseForbidden": 403, "HttpResponseNotFound": 404,
    "HttpResponseNotAllowed": 405, "HttpResponseGone": 410, "HttpResponseServerError": 500,
    # werkzeug/Flask and DRF exception responses
    "BadRequest": 400, "Unauthorized": 401, "Forbidden": 403, "NotFound": 404,
    "MethodNotAllowed": 405, "Conflict": 409, "UnprocessableEntity": 422,
    "TooManyRequests": 429, "InternalServerError": 500, "BadGateway": 502,
    "ServiceUnavailable": 503, "GatewayTimeout": 504, "APIException": 500,
    "ValidationError": 400, "ParseError": 400, "AuthenticationFailed": 401,
    "NotAuthenticated": 401, "PermissionDenied": 403, "Throttled": 429,
    "NotAcceptable": 406, "UnsupportedMediaType": 415,
    # aiohttp
    "HTTPBadRequest": 400, "HTTPUnauthorized": 401, "HTTPForbidden": 403, "HTTPNotFound": 404,
    "HTTPConflict": 409, "HTTPUnprocessableEntity": 422, "HTTPInternalServerError": 500,
    "HTTPBadGateway": 502, "HTTPServiceUnavailable": 503, "HTTPGatewayTimeout": 504,
}  # fmt: skip
_SKIP_KEYWORDS = frozenset(
    {"status", "status_code", "code", "headers", "content_type", "mimetype", "media_type", "encoder",
     "safe", "charset", "json_dumps_params", "background", "response"}
)  # fmt: skip
ROUTE_DECORATORS = frozenset(
    {"route", "get", "post", "put", "patch", "delete", "head", "options", "api_route", "websocket",
     "errorhandler", "app_errorhandler", "exception_handler", "api_view", "view_config"}
)  # fmt: skip
ERROR_HANDLER_DECORATORS = frozenset({"errorhandler", "app_errorhandler", "exception_handler"})
TRACEBACK_FUNCTIONS = frozenset(
    {"traceback.format_exc", "traceback.format_exception", "traceback.format_tb", "traceback.format_stack",
     "traceback.extract_tb", "traceback.extract_stack", "sys.exc_info", "format_exc", "format_tb"}
)  # fmt: skip
_TEXT_ATTRS = frozenset({"args", "message", "msg", "strerror", "reason", "__str__", "__repr__", "orig", "original_exception"})
_TEXT_FUNCTIONS = frozenset({"str", "repr", "ascii", "format"})
# Serializers whose output carries their argument's text into a response body.
_SERIALIZERS = frozenset({"json.dumps", "orjson.dumps", "ujson.dumps", "simplejson.dumps", "flask.json.dumps"})
_HTTP_CODE_RE = re.compile(r"(?:^|_)(\d{3})(?:_|$)")


def mentions_debug(test: cst.BaseExpression) -> bool:
    """The condition reads a debug flag (`settings.DEBUG`, `app.debug`, `current_app.config["DEBUG"]`)."""
    return bool(_DEBUG_RE.search(code_of(test, 200)))


_DEBUG_RE = re.compile(r"(?i)\bdebug\b|\bis_debug\b|\bdebug_mode\b|\bDEBUG\b")


@dataclass(frozen=True)
class Leak:
    node: cst.CSTNode  # where to report
    text: str  # `str(err)`, `traceback.format_exc()`
    via: Optional[str]
    traceback: bool
    exception: Optional[Union[Handler, cst.Param]]  # where the exception comes from
    types: Optional[cst.BaseExpression] = None  # for error-handler parameters: the decorator's type


@dataclass(frozen=True)
class Status:
    code: Optional[int]
    from_exception: bool = False  # `e.code`, `exc.status_code`: the exception's own HTTP status
    error_envelope: bool = False  # a 2xx body that reports an error (`{"success": False, "message": ...}`)


class ExceptionLeakedToClient(LintRule):
    """
    ## What it does
    Checks for exception text (`str(e)`, `repr(e)`, `f"{e}"`, `"%s" % e`, `e.args`, the exception
    object itself) or a traceback (`traceback.format_exc()`, `format_exception`, `sys.exc_info()`)
    in an HTTP response: Flask `jsonify`/`make_response`/`abort`/`Response` and the return value
    of a route or error handler, FastAPI/Starlette `HTTPException(detail=...)` and
    `JSONResponse`/`PlainTextResponse`/`HTMLResponse`, Django `JsonResponse`/`HttpResponse*`,
    DRF `Response` and `APIException`s, aiohttp `json_response`. Simple data flow is followed
    (`msg = f"failed: {e}"; return jsonify(error=msg), 500`), also through a rebound exception
    name (`err = ApiError(f"upstream: {err}")`) and through a JSON serializer
    (`Response(json.dumps({"trace": traceback.format_exception(e)}), status=500)`).

    The rule is status-aware. Exception text in a 4xx response is validation feedback when the
    caught types are user errors (`ValueError`, `ValidationError`, `JSONDecodeError`, ...) or the
    application's own exception classes, and is allowed. It is reported for 5xx responses, for
    2xx/3xx responses (Flask's and Django's default status is 200), when the status cannot be
    determined, and at any status when a caught type is broad (`Exception`, bare `except:`) or an
    infrastructure error (`OSError`, `requests.RequestException`, `sqlalchemy.exc.OperationalError`,
    ... — see `infrastructure-exceptions`). A status taken from the exception itself (`e.code`,
    `exc.status_code`, `e.get_http_status_code()`) means it is an HTTP error meant for clients and
    is allowed. Tracebacks are
    always reported.

    ## Why is this bad?
    Exception messages are written for developers: they carry SQL, file paths, host names, internal
    URLs with credentials, library versions and other users' data. Sent to the client they help
    attackers map the system (CWE-209) and leak data, and a traceback shows the code itself. Log
    the exception with its traceback and return a stable, generic error code.

    ## Example
    ```python
    import requests
    from fastapi import HTTPException

    def fetch_rates(url):
        try:
            return requests.get(url, timeout=5).json()
        except requests.RequestException as e:
            raise HTTPException(status_code=502, detail=str(e)) from e
    ```

    Use instead:
    ```python
    import logging

    import requests
    from fastapi import HTTPException

    log = logging.getLogger(__name__)

    def fetch_rates(url):
        try:
            return requests.get(url, timeout=5).json()
        except requests.RequestException as e:
            log.exception("rates upstream failed")
            raise HTTPException(status_code=502, detail={"code": "UPSTREAM_UNAVAILABLE"}) from e
    ```

    ## Options
    - The user-error and infrastructure lists are the shared taxonomy (`user-error-exceptions`,
      `infrastructure-exceptions` in `[tool.errlint]`).
    - `include-tests` (default `false`; `[tool.errlint.rules.XH404]`): also check test code (files
      under `test-paths`: test suites, fixtures, `examples/` and `demos/`; test functions and
      classes anywhere), which is skipped by default because its data is synthetic.

    Decisions: the application's own exception classes (neither user-error, broad nor
    infrastructure in the taxonomy) are treated as validation feedback in a 4xx response, because
    their messages are usually written for the client; Flask error handlers registered for an HTTP
    status code (`@app.errorhandler(404)`) or for an HTTP exception class (werkzeug's `Forbidden`,
    `HTTPException`, Starlette's and FastAPI's `HTTPException`) receive exceptions whose text is
    written for the client, and returning them is not a leak; a response inside `if settings.DEBUG:` (or `... if app.debug else ...`) is shown
    to developers only. A `return` counts as a response only in functions with a route or error-handler
    decorator in a module that imports a web framework. A 2xx body that says it reports an error
    (an `"error"` key, `"success": False`, `"status": "error"`: the AJAX style of answering a
    client error with status 200) is judged like a 4xx response. A view only administrators reach
    (a base class or decorator naming `admin`, `administrator`, `staff` or `superuser`, such as
    `AdministratorPermissionRequiredMixin` or `@staff_member_required`) may show them what went
    wrong.

    ## References
    - [CWE-209: Generation of Error Message Containing Sensitive Information](https://cwe.mitre.org/data/definitions/209.html)
    - [OWASP Error Handling Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Error_Handling_Cheat_Sheet.html)
    - [CodeQL: py/stack-trace-exposure](https://codeql.github.com/codeql-query-help/python/py-stack-trace-exposure/)
    """

    CODE: ClassVar[str] = "XH404"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "exception-leaked-to-client"
    MESSAGE: ClassVar[str] = "{what} {text} sent to the client in {sink} ({reason}); log it and return a generic error"
    SEVERITY: ClassVar[Severity] = Severity.ERROR
    IMPACT: ClassVar[Impact] = Impact.DATA_EXPOSURE
    Options: ClassVar[Optional[type]] = PrivacyOptions
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (
        r"\bexcept\b",  # exception text comes from a handler,
        r"\b(?:app_)?errorhandler\b|\bexception_handler\b",  # an error handler's parameter,
        r"\btraceback\b|\bformat_exc\b|\bformat_tb\b|\bexc_info\b",  # or a traceback call
    )
    ANALYSES: ClassVar[tuple[str, ...]] = ("handler-facts", "dataflow", "privacy")

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            import json
            from fastapi import HTTPException

            def parse(body):
                try:
                    return json.loads(body)
                except (json.JSONDecodeError, ValueError) as e:
                    raise HTTPException(status_code=422, detail=str(e)) from e
            """
        ),
        Valid(
            """
            import logging
            from flask import Flask, jsonify

            app = Flask(__name__)
            log = logging.getLogger(__name__)

            @app.route("/orders")
            def orders():
                try:
                    return jsonify(load_orders())
                except Exception:
                    log.exception("loading orders failed")
                    return jsonify(error="internal error"), 500

            @app.errorhandler(404)
            def not_found(e):
                return jsonify(error=str(e)), 404

            @app.errorhandler(HTTPException)
            def http_error(e):
                return jsonify(error=str(e)), e.code
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            import requests
            from fastapi import HTTPException

            def fetch_rates(url):
                try:
                    return requests.get(url, timeout=5).json()
                except requests.RequestException as e:
                    raise HTTPException(status_code=502, detail=str(e)) from e
            """,
            expected_message=(
                "Exception text `str(e)` sent to the client in a `HTTPException` response (status 502); "
                "log it and return a generic error"
            ),
            expected_severity=Severity.ERROR,
            line=8,
            column=53,
        ),
        Invalid(
            """
            import traceback
            from flask import Flask, jsonify

            app = Flask(__name__)

            @app.route("/report")
            def report():
                try:
                    return build_report()
                except ValueError:
                    tb = traceback.format_exc()
                    return jsonify(error="bad input", trace=tb), 400
            """,
            expected_message=(
                "Traceback `traceback.format_exc()` (via `tb`) sent to the client in a `jsonify` response (status 400); "
                "log it and return a generic error"
            ),
            expected_severity=Severity.ERROR,
            line=12,
            column=49,
        ),
        Invalid(
            """
            from django.http import JsonResponse

            def upload(request):
                try:
                    store(request.FILES["file"])
                except (OSError, ValueError) as err:
                    return JsonResponse({"error": f"upload failed: {err}"}, status=400)
            """,
            expected_message=(
                "Exception text `err` sent to the client in a `JsonResponse` response "
                "(status 400, but `OSError` is an infrastructure error); log it and return a generic error"
            ),
            expected_severity=Severity.ERROR,
            line=7,
            column=57,
        ),
        Invalid(
            """
            from flask import Flask

            app = Flask(__name__)

            @app.post("/sync")
            async def sync():
                try:
                    await run_sync()
                except* Exception as group:
                    return {"error": repr(group)}
            """,
            expected_message=(
                "Exception text `repr(group)` sent to the client in the return value of route `sync` (status 200); "
                "log it and return a generic error"
            ),
            expected_severity=Severity.ERROR,
            line=10,
            column=26,
        ),
        Invalid(
            """
            from rest_framework.exceptions import APIException
            from rest_framework.response import Response
            from rest_framework import status

            def refund(request, payment):
                try:
                    payment.refund()
                except payment.Declined as exc:
                    return Response({"detail": exc.args[0]}, status=status.HTTP_402_PAYMENT_REQUIRED)
                except Exception as exc:
                    message = "refund failed: %s" % exc
                    def later():
                        return message
                    raise APIException(message) from exc
            """,
            expected_message=(
                "Exception text `exc` (via `message`) sent to the client in an `APIException` response (status 500); "
                "log it and return a generic error"
            ),
            expected_severity=Severity.ERROR,
            line=14,
            column=28,
        ),
        Invalid(
            """
            from fastapi import FastAPI
            from fastapi.responses import JSONResponse

            app = FastAPI()

            @app.exception_handler(Exception)
            async def unhandled(request, exc):
                return JSONResponse(status_code=500, content={"detail": str(exc)})
            """,
            expected_message=(
                "Exception text `str(exc)` sent to the client in a `JSONResponse` response (status 500); "
                "log it and return a generic error"
            ),
            expected_severity=Severity.ERROR,
            line=8,
            column=61,
        ),
    ]

    def __init__(self, context: FileContext, options: Any = None) -> None:
        super().__init__(context, options)
        self._wrapping: set[int] = set()  # exception constructors being looked through (no cycles)

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where exception text may come from (a handler `except ... as name`, a function
        decorated as an error handler, a call that may be a traceback function) and may go to (a
        call that may be a web framework's response, or a `return` with a value next to a route
        decorator): both are read in the scope of the response, inside the region."""
        imports = imports_for(region)
        source = sink = returns = route = False
        for node in region.nodes():
            if isinstance(node, ast.Call):
                if not source and may_qualify(node.func, imports, _AST_TRACEBACK_FUNCTIONS):
                    source = True
                if not sink and _ast_may_respond(node.func, imports):
                    sink = True
            elif isinstance(node, ast.ExceptHandler):
                source = source or node.name is not None
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    name = _ast_decorator_name(decorator)
                    source = source or name in ERROR_HANDLER_DECORATORS
                    route = route or name in ROUTE_DECORATORS
            elif isinstance(node, ast.Return):
                returns = returns or node.value is not None
            if source and (sink or (route and returns)):
                return True
        return False

    # -- response calls --------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        if privacy(self.context).skips(self.options, operator_scripts=False):
            return
        name = self._response_name(node)
        if name is None or self._inside_response_argument():
            return
        status = self._tuple_status()
        if status is None:
            status = self._status_of_call(node, name)
        if status.code is not None and 200 <= status.code < 300 and _error_envelope(node):
            status = Status(status.code, status.from_exception, error_envelope=True)
        leaks = self._leaks_in_call(node, name)
        article = "an" if name[:1].lower() in "aeiou" else "a"
        self._judge(leaks, status, f"{article} `{name}` response")

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is None or privacy(self.context).skips(self.options, operator_scripts=False):
            return
        function = self.context.enclosing_function()
        if function is None or not self._is_view(function):
            return
        body: cst.BaseExpression = node.value
        status_expr: Optional[cst.BaseExpression] = None
        if isinstance(body, cst.Tuple) and body.elements:
            if len(body.elements) >= 2:
                status_expr = body.elements[1].value
            body = body.elements[0].value
        if isinstance(body, cst.Call) and self._response_name(body) is not None:
            return  # reported by visit_Call with the tuple's status
        status = self._status(status_expr) if status_expr is not None else Status(self._route_default(function))
        self._judge(self._leaks(body), status, f"the return value of route `{function.name.value}`")

    def _response_name(self, call: cst.Call) -> Optional[str]:
        qualified = self.context.qualify(call.func) or ""
        if not qualified.startswith(WEB_PREFIXES):
            return None
        name = qualified.rsplit(".", 1)[-1]
        if name in RESPONSES or name in FIXED_STATUS:
            return name
        return None

    def _inside_response_argument(self) -> bool:
        """A response built inside another response's arguments (`make_response(jsonify(...), 500)`)."""
        ancestors = self.context.ancestors
        for parent in reversed(ancestors[:-1]):
            if isinstance(parent, cst.Call):
                return self._response_name(parent) is not None
            if isinstance(parent, (cst.BaseStatement, cst.BaseSmallStatement, cst.Lambda)):
                return False
        return False

    def _tuple_status(self) -> Optional[Status]:
        """`return jsonify(...), 500`: the status of a response returned as a tuple's head."""
        ancestors = self.context.ancestors
        if len(ancestors) < 4:
            return None
        call, element, tuple_, ret = ancestors[-1], ancestors[-2], ancestors[-3], ancestors[-4]
        if isinstance(element, cst.Element) and isinstance(tuple_, cst.Tuple) and isinstance(ret, cst.Return):
            if tuple_.elements[0] is element and element.value is call and len(tuple_.elements) >= 2:
                return self._status(tuple_.elements[1].value)
        return None

    def _status_of_call(self, call: cst.Call, name: str) -> Status:
        if name in FIXED_STATUS:
            return Status(FIXED_STATUS[name])
        shape = RESPONSES[name]
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value in shape.status_keywords:
                return self._status(arg.value)
        if shape.status_position is not None and len(positional) > shape.status_position:
            return self._status(positional[shape.status_position])
        return Status(shape.default)

    def _leaks_in_call(self, call: cst.Call, name: str) -> list[Leak]:
        shape = RESPONSES.get(name)
        position = shape.status_position if shape is not None else None
        leaks: list[Leak] = []
        index = 0
        for arg in call.args:
            if arg.keyword is None:
                if not arg.star and index == position:
                    index += 1
                    continue
                index += 1
            elif arg.keyword.value in _SKIP_KEYWORDS:
                continue
            leaks.extend(self._leaks(arg.value))
        return leaks

    # -- status --------------------------------------------------------------------------

    def _status(self, node: cst.BaseExpression) -> Status:
        if isinstance(node, cst.Integer):
            try:
                return Status(int(node.value, 0))
            except ValueError:
                return Status(None)
        if isinstance(node, cst.Attribute) and node.attr.value == "value":
            node = node.value
        if isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute):
            if set(tokenize(node.func.attr.value)) & {"status", "code"}:
                node = node.func  # `e.get_http_status_code()`: the exception's own status, as `e.code`
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            binding = flow_for(self.context).binding(node.value)
            if binding is not None and (binding.kind == EXCEPT or self._handler_param(binding) is not None):
                return Status(None, from_exception=True)
        name = last_segment(node) or ""
        if name.upper() == name and name:
            member = http.HTTPStatus.__members__.get(name)
            if member is not None:
                return Status(member.value)
            match = _HTTP_CODE_RE.search(name)
            if match:
                return Status(int(match.group(1)))
        return Status(None)

    def _route_default(self, function: cst.FunctionDef) -> Optional[int]:
        for decorator in function.decorators:
            expr = decorator.decorator
            if isinstance(expr, cst.Call):
                for arg in expr.args:
                    if arg.keyword is not None and arg.keyword.value == "status_code":
                        return self._status(arg.value).code
        return 200

    # -- views ---------------------------------------------------------------------------

    def _is_view(self, function: cst.FunctionDef) -> bool:
        imports = self.context.module_facts.imports.values()
        if not any(q.startswith(WEB_PREFIXES) for q in imports):
            return False
        return any(self._route_decorator(d.decorator) is not None for d in function.decorators)

    def _route_decorator(self, expr: cst.BaseExpression) -> Optional[str]:
        func = expr.func if isinstance(expr, cst.Call) else expr
        name = last_segment(func) or ""
        if name not in ROUTE_DECORATORS:
            return None
        qualified = self.context.qualify(func) or ""
        if qualified.startswith(("unittest.mock", "mock.", "pytest")) or "mock" in qualified.split("."):
            return None
        if isinstance(func, cst.Attribute) and not isinstance(expr, cst.Call) and name != "api_view":
            return None
        return name

    def _handler_param(self, binding: Binding) -> Optional[cst.FunctionDef]:
        """The error-handler function whose exception parameter `binding` is, if any."""
        if binding.kind != PARAM or not isinstance(binding.node, cst.Param):
            return None
        function = self.context.enclosing_function()
        if function is None:
            return None
        for decorator in function.decorators:
            name = self._route_decorator(decorator.decorator)
            if name in ERROR_HANDLER_DECORATORS:
                params = function.params.params
                position = 1 if name == "exception_handler" else 0
                if len(params) > position and params[position] is binding.node:
                    return function
        return None

    def _handler_type(self, function: cst.FunctionDef) -> Optional[cst.BaseExpression]:
        for decorator in function.decorators:
            expr = decorator.decorator
            if isinstance(expr, cst.Call) and self._route_decorator(expr) in ERROR_HANDLER_DECORATORS and expr.args:
                return expr.args[0].value
        return None

    # -- finding exception text ------------------------------------------------------------

    def _leaks(self, node: cst.BaseExpression) -> list[Leak]:
        out: list[Leak] = []
        _LeakFinder(self, flow_for(self.context), out).find(node, None, None, 0)
        return out

    def exception_source(self, node: cst.BaseExpression, flow: ScopeFlow) -> Optional[Leak]:
        """`node` names a caught exception (or an error handler's exception parameter)."""
        if not isinstance(node, cst.Name):
            return None
        binding = flow.binding(node)
        if binding is None:
            return None
        if binding.kind == EXCEPT and isinstance(binding.node, (cst.ExceptHandler, cst.ExceptStarHandler)):
            return Leak(node, node.value, None, False, binding.node)
        value = binding.value
        if binding.kind == ASSIGN and isinstance(value, cst.Call) and not binding.unpacked and id(value) not in self._wrapping:
            name = last_segment(value.func) or ""
            if name[:1].isupper() and name.endswith(("Error", "Exception")):
                # A rebound name: `err = ApiError(f"upstream: {err}")` carries the caught text on.
                self._wrapping.add(id(value))
                try:
                    inner: list[Leak] = []
                    for arg in value.args:
                        inner.extend(self._leaks(arg.value))
                finally:
                    self._wrapping.discard(id(value))
                if inner:
                    first = inner[0]
                    return Leak(node, node.value, None, first.traceback, first.exception, first.types)
        function = self._handler_param(binding)
        if function is not None and isinstance(binding.node, cst.Param):
            kind = self._handler_type(function)
            if isinstance(kind, cst.Integer) or (self.context.qualify(kind) or "").startswith(_HTTP_EXCEPTIONS):
                return None  # werkzeug's generic HTTP exception for that status, or an HTTP exception class
            return Leak(node, node.value, None, False, binding.node, kind)
        return None

    def _staff_only(self) -> bool:
        """A view only administrators reach (`AdministratorPermissionRequiredMixin`,
        `@staff_member_required`, `@superuser_required`): they may see what went wrong."""
        for frame in self.context.frames:
            node = frame.node
            if isinstance(node, cst.ClassDef):
                names = [dotted_name(b.value) or "" for b in node.bases]
            elif isinstance(node, cst.FunctionDef):
                names = [dotted_name(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator) or ""
                         for d in node.decorators]  # fmt: skip
            else:
                continue
            if any(set(tokenize(n)) & _STAFF_WORDS for n in names):
                return True
        return False

    def _debug_only(self) -> bool:
        """Inside `if settings.DEBUG:` (or `app.debug`...): shown to developers only."""
        ancestors = self.context.ancestors
        for index, ancestor in enumerate(ancestors[:-1]):
            if isinstance(ancestor, cst.If) and ancestors[index + 1] is ancestor.body and mentions_debug(ancestor.test):
                return True
        return False

    def _judge(self, leaks: list[Leak], status: Status, sink: str) -> None:
        if leaks and (self._debug_only() or self._staff_only()):
            return
        for leak in leaks:
            reason = self._reason(leak, status)
            if reason is None:
                continue
            text = f"`{leak.text}`"
            if leak.via and leak.via != leak.text:
                text += f" (via `{leak.via}`)"
            self.report(
                leak.node,
                what="Traceback" if leak.traceback else "Exception text",
                text=text,
                sink=sink,
                reason=reason,
            )

    def _reason(self, leak: Leak, status: Status) -> Optional[str]:
        code = status.code
        where = "unknown status" if code is None else f"status {code}"
        if leak.traceback:
            return where
        if status.from_exception:
            return None
        if code is None or code >= 500 or (code < 400 and not status.error_envelope):
            return where
        bad = self._bad_type(leak)
        return f"{where}, but {bad}" if bad else None

    def _bad_type(self, leak: Leak) -> Optional[str]:
        """A broad or infrastructure type among those the exception may be (4xx is then a leak)."""
        config = self.context.config
        source = leak.exception
        if isinstance(source, (cst.ExceptHandler, cst.ExceptStarHandler)):
            facts = self.context.handler_facts(source)
            if facts.bare:
                return "a bare `except:` catches everything"
            types = [(t.name or code_of(t.node), t.qualified) for t in facts.types]
        elif leak.types is not None:
            elements = leak.types.elements if isinstance(leak.types, cst.Tuple) else None
            nodes = [e.value for e in elements] if elements is not None else [leak.types]
            types = [(dotted_name(n) or code_of(n), self.context.qualify(n) or "") for n in nodes]
        else:
            return None
        for name, qualified in types:
            kind = classify(name, qualified, config)
            if kind == Kind.BROAD:
                return f"`{name}` is a broad type"
            if kind == Kind.INFRASTRUCTURE:
                return f"`{name}` is an infrastructure error"
        return None


# Exceptions that are HTTP responses: their text (werkzeug's description, `HTTPException(detail=)`) is
# written for the client, and a handler registered for them passes it on.
_HTTP_EXCEPTIONS = ("werkzeug.exceptions.", "starlette.exceptions.HTTPException", "fastapi.HTTPException",
                    "fastapi.exceptions.HTTPException")
_STAFF_WORDS = frozenset({"admin", "administrator", "staff", "superuser", "sysadmin"})
_ERROR_KEYS = frozenset({"error", "errors"})
_FLAG_KEYS = frozenset({"success", "ok"})


_AST_TRACEBACK_FUNCTIONS = frozenset(TRACEBACK_FUNCTIONS)
_AST_RESPONSE_NAMES = frozenset(RESPONSES) | frozenset(FIXED_STATUS)


def _ast_may_respond(func: ast.expr, imports: Optional[dict[str, frozenset[str]]]) -> bool:
    """`_response_name` on CPython's tree: `func` may qualify to a web framework's response."""
    name = ast_dotted_name(func)
    if name is None:
        return False
    found = qualified_candidates(name, imports)
    if found is None:  # imports unknown: a bare name may be any import
        return "." not in name or name.rsplit(".", 1)[-1] in _AST_RESPONSE_NAMES
    return any(q.startswith(WEB_PREFIXES) and q.rsplit(".", 1)[-1] in _AST_RESPONSE_NAMES for q in found)


def _ast_decorator_name(decorator: ast.expr) -> str:
    """The last name segment of a decorator or of what it calls (`@app.errorhandler(500)`)."""
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _error_envelope(call: cst.Call) -> bool:
    """The body is a dict that says it reports an error: an `"error"` key, `"success": False`,
    `"status": "error"` -- a client-error answer sent with status 200 (a common AJAX style)."""
    for arg in call.args:
        if not isinstance(arg.value, cst.Dict):
            continue
        for element in arg.value.elements:
            if not isinstance(element, cst.DictElement) or not isinstance(element.key, cst.SimpleString):
                continue
            key = element.key.evaluated_value
            value = element.value
            if key in _ERROR_KEYS:
                return True
            if key in _FLAG_KEYS and isinstance(value, cst.Name) and value.value == "False":
                return True
            if key == "status" and isinstance(value, cst.SimpleString) and value.evaluated_value in ("error", "fail", "failed"):
                return True
    return False


class _LeakFinder:
    """Find exception text in a response expression, following local bindings."""

    def __init__(self, rule: ExceptionLeakedToClient, flow: ScopeFlow, out: list[Leak]) -> None:
        self.rule = rule
        self.flow = flow
        self.out = out
        self.seen: set[int] = set()

    def add(self, node: cst.CSTNode, text: str, anchor: Optional[cst.CSTNode], via: Optional[str],
            traceback: bool, source: Optional[Leak] = None) -> None:  # fmt: skip
        exception = source.exception if source is not None else None
        types = source.types if source is not None else None
        self.out.append(Leak(anchor or node, text, via, traceback, exception, types))

    def find(self, node: cst.BaseExpression, anchor: Optional[cst.CSTNode], via: Optional[str], depth: int) -> None:
        if depth > 6:
            return
        source = self.rule.exception_source(node, self.flow)
        if source is not None:
            self.add(node, code_of(node), anchor, via, False, source)
            return
        if isinstance(node, cst.Name):
            binding = self.flow.binding(node)
            if binding is not None:
                self.follow(binding, anchor or node, via or node.value, depth)
        elif isinstance(node, cst.Call):
            self.call(node, anchor, via, depth)
        elif isinstance(node, cst.Attribute):
            source = self.rule.exception_source(node.value, self.flow)
            if source is not None and node.attr.value in _TEXT_ATTRS:
                self.add(node, code_of(node), anchor, via, False, source)
        elif isinstance(node, cst.Subscript):
            self.find(node.value, anchor, via, depth)
        elif isinstance(node, cst.FormattedString):
            for part in node.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    self.find(part.expression, anchor, via, depth)
        elif isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, (cst.Add, cst.Modulo)):
                self.find(node.left, anchor, via, depth)
                self.find(node.right, anchor, via, depth)
        elif isinstance(node, cst.ConcatenatedString):
            self.find(node.left, anchor, via, depth)
            self.find(node.right, anchor, via, depth)
        elif isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            for element in node.elements:
                self.find(element.value, anchor, via, depth)
        elif isinstance(node, cst.Dict):
            for item in node.elements:
                self.find(item.value, anchor, via, depth)
        elif isinstance(node, cst.IfExp):
            if not mentions_debug(node.test):  # `traceback.format_exc() if settings.DEBUG else "error"`
                self.find(node.body, anchor, via, depth)
            self.find(node.orelse, anchor, via, depth)
        elif isinstance(node, cst.BooleanOperation):
            self.find(node.left, anchor, via, depth)
            self.find(node.right, anchor, via, depth)
        elif isinstance(node, cst.Await):
            self.find(node.expression, anchor, via, depth)

    def call(self, node: cst.Call, anchor: Optional[cst.CSTNode], via: Optional[str], depth: int) -> None:
        context = self.rule.context
        qualified = context.qualify(node.func) or ""
        if qualified in TRACEBACK_FUNCTIONS:
            self.add(node, code_of(node), anchor, via, True)
            return
        func = node.func
        args = [a.value for a in node.args]
        if isinstance(func, cst.Name) and func.value in _TEXT_FUNCTIONS and args:
            source = self.rule.exception_source(args[0], self.flow)
            if source is not None:
                self.add(node, code_of(node), anchor, via, False, source)
                return
        if qualified == "traceback.format_exception_only" and args:
            for value in args:
                source = self.rule.exception_source(value, self.flow)
                if source is not None:
                    self.add(node, code_of(node), anchor, via, False, source)
                    return
        transparent = (
            (isinstance(func, cst.Name) and func.value in ("dict", "list", "tuple", "str"))
            or (isinstance(func, cst.Attribute) and func.attr.value in ("format", "join", "strip", "replace", "splitlines"))
            or qualified in _SERIALIZERS  # `Response(json.dumps({"trace": traceback.format_exception(e)}))`
        )
        if transparent or self.rule._response_name(node) is not None:
            if isinstance(func, cst.Attribute) and func.attr.value in ("format", "join"):
                self.find(func.value, anchor, via, depth)
            for arg in node.args:
                if arg.keyword is None or arg.keyword.value not in _SKIP_KEYWORDS:
                    self.find(arg.value, anchor, via, depth)

    def follow(self, binding: Binding, anchor: cst.CSTNode, via: str, depth: int) -> None:
        if id(binding) in self.seen or binding.unpacked or binding.value is None:
            return
        self.seen.add(id(binding))
        if binding.kind in (ASSIGN, NAMED):
            self.find(binding.value, anchor, via, depth + 1)
        elif binding.kind == AUGASSIGN:
            self.find(binding.value, anchor, via, depth + 1)
            if binding.previous is not None:
                self.follow(binding.previous, anchor, via, depth + 1)
