"""XH405's per-file facts: the error responses of one file and their JSON shapes (CPython `ast`).

Facts (JSON) of one file:

- `sites`: error responses built here, `[line, col, end_line, end_col, keys, problem, scope]`:
  a JSON body with string keys and a status >= 400 (or any status inside an exception handler);
  `problem` marks RFC 9457 `application/problem+json` bodies, whose shape is the standard one.
- `helpers`: functions that build a JSON error body but take the status as a parameter
  (`def error_response(message, status): return jsonify(error=message), status`),
  `[name, line, col, end_line, end_col, keys, problem]`.
- `calls`: calls whose arguments hold an error status (`error_response("x", 400)`), which may be
  calls of a helper, `[line, callee]` (`callee`: `name`, `module_alias.name` or `self.name`).
- `imports`: local name -> qualified name (`.errors.fail` for relative imports, one dot per level).
"""

from __future__ import annotations

import ast
import http
import re
from typing import Any, Optional, Union

from errlint.regions import dotted_name
from errlint.knowledge.testcode import is_test_class_name, is_test_function_name

FRAMEWORKS = ("flask", "quart", "fastapi", "starlette", "django", "rest_framework", "flask_restful", "flask_restx", "werkzeug")
DICT_RETURN_FRAMEWORKS = ("flask", "quart", "flask_restful", "flask_restx")  # `return {...}, 400` is JSON
PROBLEM_KEYS = ("type", "title", "status", "detail", "instance")
PROBLEM_TYPE = "application/problem+json"

# Response constructors: last name -> (body position, body keywords, status position, status keywords)
_JSON_RESPONSES: dict[str, tuple[int, tuple[str, ...], Optional[int], tuple[str, ...]]] = {
    "JSONResponse": (0, ("content",), 1, ("status_code",)),
    "ORJSONResponse": (0, ("content",), 1, ("status_code",)),
    "UJSONResponse": (0, ("content",), 1, ("status_code",)),
    "JsonResponse": (0, ("data",), None, ("status",)),
}
_TEXT_RESPONSES = ("Response", "HttpResponse")  # JSON only with json.dumps(...) or a JSON media type
_HANDLER_DECORATORS = ("errorhandler", "app_errorhandler", "exception_handler")
# DRF exceptions turned into {"detail": ...} by DRF's exception handler (ValidationError is not:
# its body is the field errors).
_DRF_DETAIL = {
    "APIException": 500, "ParseError": 400, "AuthenticationFailed": 401, "NotAuthenticated": 401,
    "PermissionDenied": 403, "NotFound": 404, "MethodNotAllowed": 405, "NotAcceptable": 406,
    "UnsupportedMediaType": 415, "Throttled": 429,
}  # fmt: skip
_FAB_FIXED_RE = re.compile(r"response_(\d{3})$")  # Flask-AppBuilder BaseApi.response_400 ... response_500
_HTTP_CODE_RE = re.compile(r"HTTP_(\d{3})(?:_|$)")

Keys = Optional[tuple[list[str], bool]]  # (sorted keys, problem) or unknown


def file_facts(tree: ast.Module) -> Optional[dict[str, Any]]:
    """The facts of one module (None: nothing XH405 can use)."""
    collector = _Collector(_imports(tree))
    collector.visit(tree)
    if not (collector.sites or collector.helpers or collector.calls):
        return None
    return {"sites": collector.sites, "helpers": collector.helpers, "calls": collector.calls, "imports": collector.imports}


def _imports(tree: ast.Module) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    out[head] = head
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name != "*":
                    out[alias.asname or alias.name] = f"{base}.{alias.name}" if node.module or not node.level else base + alias.name
    return out


def status_of(node: Optional[ast.expr]) -> Optional[int]:
    """A status written as a literal: `404`, `HTTPStatus.NOT_FOUND`, `status.HTTP_404_NOT_FOUND`."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value if 100 <= node.value <= 599 else None
    if isinstance(node, ast.Attribute) and node.attr in ("value",):
        return status_of(node.value)
    if isinstance(node, ast.Call) and dotted_name(node.func) in ("HTTPStatus", "http.HTTPStatus") and len(node.args) == 1:
        return status_of(node.args[0])
    name = dotted_name(node)
    if name is None:
        return None
    last = name.rsplit(".", 1)[-1]
    match = _HTTP_CODE_RE.match(last)
    if match:
        return int(match.group(1))
    if "HTTPStatus" in name.split(".")[:-1]:
        try:
            return int(http.HTTPStatus[last])
        except KeyError:
            return None
    return None


def _pos(node: ast.AST) -> list[int]:
    return [node.lineno, node.col_offset, node.end_lineno or node.lineno, node.end_col_offset or node.col_offset]  # type: ignore[attr-defined]


Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]


class _Collector(ast.NodeVisitor):
    def __init__(self, imports: dict[str, str]) -> None:
        self.imports = imports
        self.web = any(q.lstrip(".").split(".")[0] in FRAMEWORKS for q in imports.values())
        self.dict_returns = any(q.split(".")[0] in DICT_RETURN_FRAMEWORKS for q in imports.values())
        self.scopes: list[str] = []
        self.functions: list[Function] = []
        self.handler_depth = 0
        self.sites: list[list[Any]] = []
        self.helpers: list[list[Any]] = []
        self.calls: list[list[Any]] = []
        self.recorded: set[int] = set()
        self.inner: set[int] = set()  # bodies judged by the enclosing return tuple or make_response
        self.fab = any(q.split(".")[0] == "flask_appbuilder" for q in imports.values())

    # -- scopes --------------------------------------------------------------------------

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if is_test_class_name(node.name):
            return
        self.scopes.append(node.name)
        self.generic_visit(node)
        self.scopes.pop()

    def _function(self, node: Function) -> None:
        if is_test_function_name(node.name):
            return
        handler = any(self._is_handler_decorator(d) for d in node.decorator_list)
        for outside in (*node.decorator_list, node.args):  # `@app.errorhandler(404)` is no call in it
            self.visit(outside)
        self.scopes.append(node.name)
        self.functions.append(node)
        self.handler_depth += handler
        for statement in node.body:
            self.visit(statement)
        self.handler_depth -= handler
        self.functions.pop()
        self.scopes.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def _is_handler_decorator(self, node: ast.expr) -> bool:
        target = node.func if isinstance(node, ast.Call) else node
        name = dotted_name(target)
        return name is not None and name.rsplit(".", 1)[-1] in _HANDLER_DECORATORS

    def _qualified(self, func: ast.expr) -> Optional[str]:
        name = dotted_name(func)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        if head in self.imports:
            full = self.imports[head]
            return f"{full}.{rest}" if rest else full
        return name

    def _framework(self, qualified: str) -> bool:
        return qualified.lstrip(".").split(".")[0] in FRAMEWORKS

    # -- sites ---------------------------------------------------------------------------

    def visit_Return(self, node: ast.Return) -> None:
        if isinstance(node.value, ast.Tuple) and node.value.elts:
            self.inner.add(id(node.value.elts[0]))  # judged here, with the tuple's status
        self.generic_visit(node)
        value = node.value
        if value is None or not self.functions:
            return
        status: Optional[ast.expr] = None
        body = value
        if isinstance(value, ast.Tuple) and len(value.elts) in (2, 3):
            body, status = value.elts[0], value.elts[1]
        if isinstance(body, ast.Dict) and status is not None and self.dict_returns:
            keys = self._keys(body)
            self._site_or_helper(body, keys, status)
        elif isinstance(body, ast.Call) and status is not None:
            response = self._response(body)
            if response is not None and response[1] is None and self._jsonify(body):
                self._site_or_helper(body, response[0], status)
            elif response is None and id(body) not in self.recorded:
                code = status_of(status)
                if (code or 0) >= 400 or (code is None and self.handler_depth):
                    self._record_call(body)  # `return send_error("x"), 400`: a helper's body, our status

    def visit_Call(self, node: ast.Call) -> None:
        if node.args and (dotted_name(node.func) or "").endswith("make_response"):
            self.inner.add(id(node.args[0]))  # judged with make_response's status
        self.generic_visit(node)
        if not self.functions:
            return
        if self.fab and self._fab_response(node):
            return
        response = self._response(node)
        if response is not None and (response[1] is not None or id(node) not in self.inner):
            keys, status = response
            # No status in the call: an exception handler's body, or a helper's (judged by its calls).
            self._site_or_helper(node, keys, status)
        self._maybe_helper_call(node)

    def _fab_response(self, call: ast.Call) -> bool:
        """Flask-AppBuilder's `self.response_404(message=...)` (body `{"message"}`) and
        `self.response(400, **{...})` / `self.response(400, message=...)` (body: the keywords)."""
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self"):
            return False
        match = _FAB_FIXED_RE.match(func.attr)
        scope = ".".join(self.scopes)
        if match:
            if int(match.group(1)) >= 400:
                self.sites.append([*_pos(call), ["message"], False, scope])
            return True
        if func.attr != "response" or not call.args:
            return False
        code = status_of(call.args[0])
        if code is None:
            return False
        keys: list[str] = []
        for keyword in call.keywords:
            if keyword.arg is not None:
                keys.append(keyword.arg)
                continue
            spread = self._keys(keyword.value)
            if spread is None:
                return True  # `**payload`: keys unknown
            keys.extend(spread[0])
        if code >= 400 and keys:
            self.sites.append([*_pos(call), sorted(set(keys)), False, scope])
        return True

    def visit_Raise(self, node: ast.Raise) -> None:
        self.generic_visit(node)
        exc = node.exc
        if not self.functions or not isinstance(exc, ast.Call):
            return
        qualified = self._qualified(exc.func)
        if qualified is None or not self._framework(qualified):
            return
        last = qualified.rsplit(".", 1)[-1]
        root = qualified.lstrip(".").split(".")[0]
        if last == "HTTPException" and root in ("fastapi", "starlette"):
            status = exc.args[0] if exc.args else _keyword(exc, "status_code")
            code = status_of(status)
            if code is not None and code >= 400:
                self.sites.append([*_pos(exc), ["detail"], False, ".".join(self.scopes)])
        elif last in _DRF_DETAIL and root == "rest_framework":
            self.sites.append([*_pos(exc), ["detail"], False, ".".join(self.scopes)])

    def _jsonify(self, call: ast.Call) -> bool:
        qualified = self._qualified(call.func) or ""
        return qualified.rsplit(".", 1)[-1] in ("jsonify", "make_response") and self._framework(qualified)

    def _response(self, call: ast.Call) -> Optional[tuple[Keys, Optional[ast.expr]]]:
        """(body keys, status expression) of a JSON response constructor; status None: not in the call."""
        qualified = self._qualified(call.func)
        if qualified is None or not self._framework(qualified):
            return None
        last = qualified.rsplit(".", 1)[-1]
        root = qualified.lstrip(".").split(".")[0]
        if last == "jsonify":
            if call.args and not call.keywords:
                return self._keys(call.args[0]), None
            if call.keywords and not call.args and all(k.arg for k in call.keywords):
                return (sorted(str(k.arg) for k in call.keywords), False), None
            return (None, None)
        if last == "make_response" and call.args:
            inner = call.args[0]
            keys: Keys = None
            if isinstance(inner, ast.Call) and (self._qualified(inner.func) or "").endswith("jsonify"):
                found = self._response(inner)
                keys = found[0] if found else None
            elif isinstance(inner, ast.Dict):
                keys = self._keys(inner)
            if keys is None:
                return None
            status = call.args[1] if len(call.args) > 1 else None
            return keys, status
        if last in _JSON_RESPONSES:
            body_pos, body_kw, status_pos, status_kw = _JSON_RESPONSES[last]
            body = _argument(call, body_pos, body_kw)
            status = _argument(call, status_pos, status_kw)
            keys = self._keys(body) if body is not None else None
            return _problem(call, keys), status
        if last == "Response" and root == "rest_framework":
            body = _argument(call, 0, ("data",))
            keys = self._keys(body) if body is not None else None
            return keys, _argument(call, 1, ("status",))
        if last in _TEXT_RESPONSES:
            body = _argument(call, 0, ("response", "content"))
            status = _argument(call, None, ("status", "status_code"))
            if last == "HttpResponse" and status is None:
                status = _argument(call, 2, ())
            media = _media_type(call)
            if isinstance(body, ast.Call) and dotted_name(body.func) in ("json.dumps", "dumps") and body.args:
                return _problem(call, self._keys(body.args[0])), status
            if media is not None and "json" in media:
                return _problem(call, None), status
            return None
        return None

    def _site_or_helper(self, node: ast.expr, keys: Keys, status_node: Optional[ast.expr]) -> None:
        if keys is None or not keys[0]:
            return  # not a JSON body with known keys
        if _oauth(node):
            return  # OAuth 2.0 / OpenID Connect errors have the shape their protocol prescribes
        status = status_of(status_node)
        scope = ".".join(self.scopes)
        if status is not None:
            if status >= 400:
                self.sites.append([*_pos(node), keys[0], keys[1], scope])
            return
        if self.handler_depth:
            self.sites.append([*_pos(node), keys[0], keys[1], scope])  # an exception handler's response
            return
        function = self.functions[-1]
        params = [a.arg for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)]
        status_param = isinstance(status_node, ast.Name) and status_node.id in params
        if (status_param or status_node is None) and len(self.functions) == 1:
            # A helper: it counts only where it is called with an error status (judged later).
            self.helpers.append([scope, *_pos(node), keys[0], keys[1]])

    def _maybe_helper_call(self, call: ast.Call) -> None:
        values = [*call.args, *(k.value for k in call.keywords)]
        if not any((status_of(v) or 0) >= 400 for v in values):
            return
        self._record_call(call)

    def _record_call(self, call: ast.Call) -> None:
        name = dotted_name(call.func)
        qualified = self._qualified(call.func) or name or ""
        if name is None or name.count(".") > 1 or self._framework(qualified) or qualified.startswith("http."):
            return
        self.recorded.add(id(call))
        self.calls.append([call.lineno, name])

    # -- bodies ----------------------------------------------------------------------------

    def _keys(self, node: Optional[ast.expr]) -> Keys:
        if isinstance(node, ast.Dict):
            keys = []
            for key in node.keys:
                if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                    return None  # `**spread` or a computed key
                keys.append(key.value)
            return sorted(set(keys)), False
        if isinstance(node, ast.Call) and dotted_name(node.func) == "dict" and not node.args:
            if all(k.arg for k in node.keywords):
                return sorted({str(k.arg) for k in node.keywords}), False
            return None
        if isinstance(node, ast.Name) and self.functions:
            return self._local_dict(node.id)
        return None

    def _local_dict(self, name: str) -> Keys:
        """`body = {...}` assigned once in the function, plus `body["k"] = ...` items."""
        function = self.functions[-1]
        literal: Optional[ast.Dict] = None
        extra: list[str] = []
        for node in ast.walk(function):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and target.id == name:
                        if literal is not None or not isinstance(node.value, ast.Dict) or isinstance(node, ast.AugAssign):
                            return None
                        literal = node.value
                    elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id == name:
                        key = target.slice
                        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                            return None
                        extra.append(key.value)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if isinstance(node.func.value, ast.Name) and node.func.value.id == name:
                    return None  # body.update(...), body.setdefault(...): unknown keys
        if literal is None:
            return None
        keys = self._keys(literal)
        if keys is None:
            return None
        return sorted(set(keys[0]) | set(extra)), False


# RFC 6749 section 5.2 and 4.1.2.1, RFC 6750 section 3.1, OpenID Connect Core 3.1.2.6
OAUTH_ERRORS = frozenset(
    """invalid_request invalid_client invalid_grant unauthorized_client unsupported_grant_type
    invalid_scope access_denied unsupported_response_type server_error temporarily_unavailable
    invalid_token insufficient_scope interaction_required login_required account_selection_required
    consent_required invalid_request_uri invalid_request_object request_not_supported
    request_uri_not_supported registration_not_supported""".split()
)


def _oauth(node: ast.AST) -> bool:
    """An OAuth 2.0 error body: `error_description`, or `error` set to a registered error code."""
    for item in ast.walk(node):
        pairs: list[tuple[Optional[str], ast.expr]] = []
        if isinstance(item, ast.Dict):
            pairs = [(k.value if isinstance(k, ast.Constant) and isinstance(k.value, str) else None, v) for k, v in zip(item.keys, item.values)]
        elif isinstance(item, ast.Call):
            pairs = [(k.arg, k.value) for k in item.keywords]
        for key, value in pairs:
            if key == "error_description":
                return True
            if key == "error" and isinstance(value, ast.Constant) and value.value in OAUTH_ERRORS:
                return True
    return False


def _keyword(call: ast.Call, name: str) -> Optional[ast.expr]:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _argument(call: ast.Call, position: Optional[int], keywords: tuple[str, ...]) -> Optional[ast.expr]:
    for name in keywords:
        found = _keyword(call, name)
        if found is not None:
            return found
    if position is not None and len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return call.args[position]
    return None


def _media_type(call: ast.Call) -> Optional[str]:
    for name in ("media_type", "mimetype", "content_type"):
        value = _keyword(call, name)
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value.lower()
    headers = _keyword(call, "headers")
    if isinstance(headers, ast.Dict):
        for key, value in zip(headers.keys, headers.values):
            if (
                isinstance(key, ast.Constant)
                and str(key.value).lower() == "content-type"
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                return value.value.lower()
    return None


def _problem(call: ast.Call, keys: Keys) -> Keys:
    """RFC 9457 bodies have the standard shape, whatever subset of its members one sets."""
    media = _media_type(call)
    if media is not None and media.startswith(PROBLEM_TYPE):
        return sorted(PROBLEM_KEYS), True
    return keys
