"""Simple data flow inside one scope: which assignment a name refers to, and redaction calls.

`ScopeFlow` answers "where did the value of this `Name` come from?" for the privacy rules
(`email = user.email; log.info("%s", email)`, `msg = f"... {password}"; log.error(msg)`) and
for XH404 (`text = str(err); return jsonify(error=text), 500`). It is computed once per scope
(function, lambda, class body or module) by one walk in source order, and cached per scope node
(`flow_for`). The walk records, for every `Name` it reads, the binding that reaches it:

- parameters, `=`, `:=`, annotated and augmented assignment, `for` targets (the iterable is the
  value), `with ... as` (the context expression), `except ... as` (the handler), imports and
  nested `def`/`class` names;
- branches are not merged: the last binding in source order wins (`if`/`else` that both assign
  resolve to the `else` one). This is a linter's "simple" flow, not an abstract interpreter;
- nested functions, lambdas, classes and comprehensions are not entered (they are their own
  scopes), except that a comprehension's loop targets are visible inside it;
- an `except ... as err` binding ends with its handler, as in Python.

`is_redaction_call` tells a call that hides a value (`mask(email)`, `hashlib.sha256(...)`,
`redact_url(url)`) from one that passes it through.
"""

from __future__ import annotations

import dataclasses
import re
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

import libcst as cst

from errlint.analysis import dotted_name, iter_children

if TYPE_CHECKING:
    from errlint.context import FileContext

Scope = Union[cst.Module, cst.FunctionDef, cst.Lambda, cst.ClassDef]

PARAM, ASSIGN, AUGASSIGN, LOOP, WITH, EXCEPT, IMPORT, DEF, NAMED = (
    "param", "assign", "augassign", "loop", "with", "except", "import", "def", "named",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class Binding:
    """One binding of a name: what kind, and the expression its value comes from (if any)."""

    name: str
    kind: str
    node: cst.CSTNode  # the Param, Assign, For, WithItem, handler, import, def ...
    value: Optional[cst.BaseExpression] = None  # the assigned expression / iterable / context
    annotation: Optional[cst.BaseExpression] = None
    previous: Optional[Binding] = None  # for `x += ...`: the binding it extends
    unpacked: bool = False  # bound by unpacking: `value` is the whole right-hand side
    block: Optional[cst.CSTNode] = None  # the innermost block (suite) holding the binding


@dataclass
class ScopeFlow:
    """Bindings of one scope, and which binding each `Name` read in it sees."""

    scope: Optional[cst.CSTNode]
    reaching: dict[int, Optional[Binding]] = field(default_factory=dict)  # id(Name) -> binding
    all_bindings: dict[str, list[Binding]] = field(default_factory=dict)
    attrs: dict[str, set[str]] = field(default_factory=dict)  # name -> attributes read on it

    def binding(self, name: cst.Name) -> Optional[Binding]:
        """The binding that reaches this read of `name` (None when free, global or unknown)."""
        return self.reaching.get(id(name))

    def bindings(self, name: str) -> list[Binding]:
        return self.all_bindings.get(name, [])

    def is_bound(self, name: str) -> bool:
        return name in self.all_bindings

    def attributes(self, name: str) -> frozenset[str]:
        """The attribute names read on `name` anywhere in the scope (`token.type` -> {"type"})."""
        return frozenset(self.attrs.get(name, ()))


# --- computing a flow ---------------------------------------------------------------------

_VISIT, _BIND, _RESTORE, _BLOCK = range(4)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
# Node types `_Builder.visit` treats specially; every other node just has its children visited.
_SPECIAL = frozenset(
    {
        cst.Attribute, cst.Arg, cst.Assign, cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For,
        cst.CompFor, *_COMPREHENSIONS, cst.With, cst.ExceptHandler, cst.ExceptStarHandler,
        cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.Import, cst.ImportFrom, cst.Global,
        cst.Nonlocal,
    }
)  # fmt: skip


class _Builder:
    def __init__(self, scope: Optional[cst.CSTNode]) -> None:
        self.flow = ScopeFlow(scope)
        self.current: dict[str, Binding] = {}
        self.stack: list[tuple[int, Any]] = []
        self.block: Optional[cst.CSTNode] = None

    # Bindings --------------------------------------------------------------------------

    def bind(self, binding: Binding) -> None:
        if self.block is not None and binding.block is None:
            binding = dataclasses.replace(binding, block=self.block)
        self.current[binding.name] = binding
        self.flow.all_bindings.setdefault(binding.name, []).append(binding)

    def bind_target(self, target: cst.BaseExpression, kind: str, node: cst.CSTNode,
                    value: Optional[cst.BaseExpression], unpacked: bool = False) -> None:  # fmt: skip
        if isinstance(target, cst.Name):
            previous = self.current.get(target.value) if kind == AUGASSIGN else None
            self.bind(Binding(target.value, kind, node, value, previous=previous, unpacked=unpacked))
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            values: Optional[list[cst.BaseExpression]] = None
            if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(elements):
                if not any(isinstance(e, cst.StarredElement) for e in (*elements, *value.elements)):
                    values = [e.value for e in value.elements]
            for index, element in enumerate(elements):
                inner = element.value
                if values is not None:
                    self.bind_target(inner, kind, node, values[index])
                else:
                    self.bind_target(inner, kind, node, value, unpacked=True)
        elif isinstance(target, cst.StarredElement):
            self.bind_target(target.value, kind, node, value, unpacked=True)
        elif isinstance(target, (cst.Attribute, cst.Subscript)):
            # `self.x = ...` / `d[k] = ...` bind nothing but read their base and index.
            self.push_visit(target)

    def bind_assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self.bind_target(target.target, ASSIGN, node, node.value)

    def bind_annotated(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name):
            self.bind(Binding(node.target.value, ASSIGN, node, node.value, annotation=node.annotation.annotation))
        else:
            self.bind_target(node.target, ASSIGN, node, node.value)

    # Walking ---------------------------------------------------------------------------

    def push_visit(self, node: Optional[cst.CSTNode]) -> None:
        if node is not None:
            self.stack.append((_VISIT, node))

    def push_children(self, node: cst.CSTNode) -> None:
        children = list(iter_children(node))
        for child in reversed(children):
            self.stack.append((_VISIT, child))

    def run(self) -> ScopeFlow:
        stack = self.stack
        while stack:
            op, payload = stack.pop()
            if op == _VISIT:
                self.visit(payload)
            elif op == _BIND:
                payload()
            elif op == _BLOCK:
                self.block = payload
            else:  # _RESTORE
                name: str = payload[0]
                previous: Optional[Binding] = payload[1]
                if previous is None:
                    self.current.pop(name, None)
                else:
                    self.current[name] = previous
        return self.flow

    def later(self, action: Callable[[], None]) -> None:
        self.stack.append((_BIND, action))

    def visit(self, node: cst.CSTNode) -> None:  # noqa: C901 - one dispatch table
        cls = type(node)
        if cls is cst.Name:
            self.flow.reaching[id(node)] = self.current.get(node.value)  # type: ignore[attr-defined]
            return
        if cls not in _SPECIAL:
            if cls is cst.IndentedBlock or cls is cst.SimpleStatementSuite:
                self.stack.append((_BLOCK, self.block))
                self.push_children(node)
                self.stack.append((_BLOCK, node))
                return
            self.push_children(node)
            return
        if isinstance(node, cst.Attribute):
            if isinstance(node.value, cst.Name):
                self.flow.attrs.setdefault(node.value.value, set()).add(node.attr.value)
            self.push_visit(node.value)
        elif isinstance(node, cst.Arg):
            self.push_visit(node.value)
        elif isinstance(node, cst.Assign):
            self.later(lambda: self.bind_assign(node))
            self.push_visit(node.value)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.later(lambda: self.bind_annotated(node))
                self.push_visit(node.value)
            elif not isinstance(node.target, cst.Name):
                self.push_visit(node.target)
        elif isinstance(node, cst.AugAssign):
            self.later(lambda: self.bind_target(node.target, AUGASSIGN, node, node.value))
            self.push_visit(node.value)
            if not isinstance(node.target, cst.Name):
                self.push_visit(node.target)
        elif isinstance(node, cst.NamedExpr):
            self.later(lambda: self.bind_target(node.target, NAMED, node, node.value))
            self.push_visit(node.value)
        elif isinstance(node, (cst.For, cst.CompFor)):
            self.visit_for(node)
        elif isinstance(node, _COMPREHENSIONS):
            self.visit_comprehension(node)
        elif isinstance(node, cst.With):
            self.push_visit(node.body)
            for item in reversed(node.items):
                if item.asname is not None:
                    self.later(self._with_binder(item))
                self.push_visit(item.item)
        elif isinstance(node, (cst.ExceptHandler, cst.ExceptStarHandler)):
            self.visit_handler(node)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            self.later(lambda: self.bind(Binding(node.name.value, DEF, node)))
            for decorator in reversed(node.decorators):
                self.push_visit(decorator.decorator)
            if isinstance(node, cst.FunctionDef):
                self.push_defaults(node.params)
            else:
                for arg in reversed((*node.bases, *node.keywords)):
                    self.push_visit(arg.value)
        elif isinstance(node, cst.Lambda):
            self.push_defaults(node.params)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            self.visit_import(node)
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            return
        else:
            self.push_children(node)

    def _with_binder(self, item: cst.WithItem) -> Callable[[], None]:
        def bind() -> None:
            if item.asname is not None:
                self.bind_target(item.asname.name, WITH, item, item.item)

        return bind

    def push_defaults(self, params: cst.Parameters) -> None:
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            self.push_visit(param.default)

    def visit_for(self, node: Union[cst.For, cst.CompFor]) -> None:
        if isinstance(node, cst.For):
            self.push_visit(node.orelse)
            self.push_visit(node.body)
        else:
            self.push_visit(node.inner_for_in)
            for cond in reversed(node.ifs):
                self.push_visit(cond.test)
        self.later(lambda: self.bind_target(node.target, LOOP, node, node.iter))
        self.push_visit(node.iter)

    def visit_comprehension(self, node: Union[cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp]) -> None:
        # The loop targets are local to the comprehension: restore the outer bindings after it.
        names: list[str] = []
        comp: Optional[cst.CompFor] = node.for_in
        while comp is not None:
            names.extend(_target_names(comp.target))
            comp = comp.inner_for_in
        for name in names:
            self.stack.append((_RESTORE, (name, self.current.get(name))))
        if isinstance(node, cst.DictComp):
            self.push_visit(node.value)
            self.push_visit(node.key)
        else:
            self.push_visit(node.elt)
        self.push_visit(node.for_in)

    def visit_handler(self, node: Union[cst.ExceptHandler, cst.ExceptStarHandler]) -> None:
        name = node.name.name if node.name is not None else None
        if isinstance(name, cst.Name):
            self.stack.append((_RESTORE, (name.value, self.current.get(name.value))))
        self.push_visit(node.body)
        if isinstance(name, cst.Name):
            bound = name.value
            self.later(lambda: self.bind(Binding(bound, EXCEPT, node)))
        self.push_visit(node.type)

    def visit_import(self, node: Union[cst.Import, cst.ImportFrom]) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            else:
                local = (dotted_name(alias.name) or "").split(".")[0]
            if local:
                self.bind(Binding(local, IMPORT, node))


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _target_names(e.value)]
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []


def compute_flow(scope: Optional[cst.CSTNode]) -> ScopeFlow:
    """Walk `scope` (a Module, FunctionDef, Lambda or ClassDef) once and return its flow."""
    builder = _Builder(scope)
    if isinstance(scope, (cst.FunctionDef, cst.Lambda)):
        params = scope.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            builder.bind(_param_binding(param))
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                builder.bind(_param_binding(star))
        builder.push_visit(scope.body)
    elif isinstance(scope, cst.ClassDef):
        builder.push_visit(scope.body)
    elif isinstance(scope, cst.Module):
        for stmt in reversed(scope.body):
            builder.push_visit(stmt)
    return builder.run()


def _param_binding(param: cst.Param) -> Binding:
    annotation = param.annotation.annotation if param.annotation is not None else None
    return Binding(param.name.value, PARAM, param, param.default, annotation=annotation)


_FLOWS: weakref.WeakKeyDictionary[FileContext, dict[int, ScopeFlow]] = weakref.WeakKeyDictionary()


def flow_for(context: FileContext, scope: Optional[cst.CSTNode] = None) -> ScopeFlow:
    """The (cached) flow of `scope`, by default the scope the walk is in (`context.frame`)."""
    if scope is None:
        scope = context.frame.node or context.module
    cache = _FLOWS.get(context)
    if cache is None:
        cache = _FLOWS[context] = {}
    flow = cache.get(id(scope))
    if flow is None:
        flow = cache[id(scope)] = compute_flow(scope)
    return flow


# --- redaction ----------------------------------------------------------------------------

REDACTION_WORDS: frozenset[str] = frozenset(
    {
        "mask", "masked", "redact", "redacted", "redaction", "hash", "hashed", "hashpw", "digest",
        "hexdigest", "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3", "blake2b",
        "blake2s", "hmac", "encrypt", "encrypted", "anonymize", "anonymise", "anonymized",
        "anonymised", "pseudonymize", "pseudonymise", "pseudonymized", "obfuscate", "obfuscated",
        "sanitize", "sanitise", "sanitized", "sanitised", "scrub", "scrubbed", "censor",
        "censored", "fingerprint", "bcrypt", "scrypt", "pbkdf2", "argon2", "tokenize_pii",
        "elide", "elided", "hide", "hidden", "strip_credentials", "cleanse", "cleansed",
    }
)  # fmt: skip
REDACTION_FUNCTIONS: frozenset[str] = frozenset({"make_password", "hashpw", "crypt", "safe_url"})
REDACTION_MODULES: tuple[str, ...] = (
    "hashlib.", "hmac.", "bcrypt.", "argon2.", "passlib.", "nacl.hash", "cryptography.",
    "crypt.", "django.contrib.auth.hashers.",
)  # fmt: skip
# Calls whose result says nothing about the content of their argument.
OPAQUE_FUNCTIONS: frozenset[str] = frozenset(
    {"len", "bool", "type", "id", "isinstance", "issubclass", "hasattr", "callable", "hash", "any", "all"}
)
_SPLIT_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[^A-Za-z0-9]+")


def _words(name: str) -> list[str]:
    return [w.lower() for w in _SPLIT_RE.split(name) if w]


def is_redaction_call(call: cst.Call, qualified: Optional[str] = None) -> bool:
    """True when `call` hides its argument: masks, hashes, encrypts, redacts or sanitizes it."""
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    if not name:
        return False
    if name in REDACTION_FUNCTIONS:
        return True
    words = _words(name)
    if any(w in REDACTION_WORDS for w in words) or "_".join(words) in REDACTION_WORDS:
        return True
    qualified = qualified or dotted_name(func) or ""
    return qualified.startswith(REDACTION_MODULES)


def is_opaque_call(call: cst.Call) -> bool:
    """`len(x)`, `bool(x)`, `isinstance(...)`, `x.startswith(...)`: the result reveals no content."""
    func = call.func
    if isinstance(func, cst.Name):
        return func.value in OPAQUE_FUNCTIONS
    if isinstance(func, cst.Attribute):
        attr = func.attr.value
        return attr in ("count", "startswith", "endswith", "isdigit", "isalpha", "isalnum", "__len__",
                        "index", "find", "rfind")  # fmt: skip
    return False


def is_partial_slice(node: cst.Subscript, limit: int = 8) -> bool:
    """`token[:6]`, `key[-4:]`: a short prefix or suffix, shown to identify a secret, not reveal it."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Slice):
        return False
    piece = node.slice[0].slice
    if piece.step is not None:
        return False
    lower, upper = _int_value(piece.lower), _int_value(piece.upper)
    if piece.lower is None or lower == 0:
        return upper is not None and 0 < upper <= limit
    if piece.upper is None and lower is not None:
        return -limit <= lower < 0
    return False


def _int_value(node: Optional[cst.BaseExpression]) -> Optional[int]:
    if isinstance(node, cst.Integer):
        try:
            return int(node.value, 0)
        except ValueError:
            return None  # not a plain literal (cannot happen for parsed code): no bound
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _int_value(node.expression)
        return -inner if inner is not None else None
    return None


_HIDING_KEYWORDS = frozenset({"hide_password", "mask_password", "hide_secrets", "redact", "mask", "hide_parameters"})


def _renders_masked(call: cst.Call) -> bool:
    """`url.render_as_string(hide_password=True)`; `str(engine.url)` (SQLAlchemy masks the password)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in _HIDING_KEYWORDS:
            return not (isinstance(arg.value, cst.Name) and arg.value.value in ("False", "None"))
    func = call.func
    if isinstance(func, cst.Name) and func.value in ("str", "repr") and len(call.args) == 1:
        value = call.args[0].value
        if isinstance(value, cst.Attribute) and value.attr.value == "url":
            base = value.value
            name = base.func if isinstance(base, cst.Call) else base
            return "engine" in (dotted_name(name) or "").lower() or "bind" == (dotted_name(name) or "").rsplit(".", 1)[-1]
    return False


def is_constant_scalar(node: Optional[cst.BaseExpression]) -> bool:
    """None/True/False, numbers and comparisons: values that cannot carry private text."""
    if isinstance(node, cst.Name):
        return node.value in ("None", "True", "False")
    if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary, cst.Comparison)):
        return True
    if isinstance(node, cst.UnaryOperation):
        return isinstance(node.operator, cst.Not) or is_constant_scalar(node.expression)
    return False


def hides_value(node: Optional[cst.BaseExpression]) -> bool:
    """True when the value of `node` cannot reveal private content: redacted, hashed, a length,
    a flag, a number, or a short slice."""
    if node is None:
        return False
    if is_constant_scalar(node):
        return True
    if isinstance(node, cst.Call):
        return is_redaction_call(node) or is_opaque_call(node) or _renders_masked(node)
    if isinstance(node, cst.Subscript):
        return is_partial_slice(node)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        return True  # "*" * len(secret)
    return False
