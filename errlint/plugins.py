"""Rules from outside errlint: installed packages and a project's own folder of rules.

- A package registers rules through the entry-point group `errlint.rules`; an entry point names a
  module (every `LintRule` subclass defined in it is a rule) or one rule class:

      [project.entry-points."errlint.rules"]
      acme = "acme_lint.rules"

- A project's own rules: `local-rules = ["tools/lint_rules"]` in its configuration (relative to
  the configuration's folder) names folders of rule modules (every `*.py` not starting with `_`)
  or single files.

External rules use the same `LintRule` API, docs sections and embedded `VALID`/`INVALID` cases as
errlint's own (`errlint test-rules PATH` runs them), with codes `XH700`-`XH999`, which errlint
itself never uses. A plugin that cannot be imported, or a rule with a bad or duplicate code, is one
line in `problems()` and is left out; the run goes on.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Iterable, Optional, Sequence

if TYPE_CHECKING:  # imported when a plugin is really loaded: errlint.rule imports libcst
    from errlint.rule import LintRule

ENTRY_POINT_GROUP = "errlint.rules"
EXTERNAL_CODE_RE = re.compile(r"^XH[7-9][0-9]{2}$")

_BUILTIN: Optional[tuple[type[LintRule], ...]] = None
_EXTRA: dict[str, tuple[type[LintRule], str]] = {}  # code -> (rule, where it came from)
_PROBLEMS: list[str] = []
_LOADED: set[str] = set()  # entry points and paths already loaded


def problems() -> list[str]:
    """One line per plugin or rule that could not be used (each reported once)."""
    return list(_PROBLEMS)


def _problem(message: str) -> None:
    if message not in _PROBLEMS:
        _PROBLEMS.append(message)


def rules_in(module: ModuleType) -> list[type[LintRule]]:
    """The `LintRule` subclasses a module defines (not ones it imports)."""
    from errlint.rule import LintRule

    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, LintRule)
        and value is not LintRule
        and value.__module__ == module.__name__
        and getattr(value, "CODE", None)
    ]


def _builtin() -> tuple[type[LintRule], ...]:
    global _BUILTIN
    if _BUILTIN is None:
        from errlint.rule import all_rules

        _BUILTIN = all_rules()
    return _BUILTIN


def _register(rules: Iterable[type[LintRule]], origin: str) -> list[type[LintRule]]:
    builtin = {r.CODE: r for r in _builtin()}
    names = {r.NAME: r.CODE for r in _builtin()} | {r.NAME: c for c, (r, _) in _EXTRA.items()}
    added = []
    for rule in rules:
        code = rule.CODE
        if not EXTERNAL_CODE_RE.match(code):
            _problem(f"{origin}: rule {rule.__name__} has code {code!r}; external rules use XH700-XH999")
            continue
        if code in builtin or (code in _EXTRA and _EXTRA[code][0] is not rule):
            other = _EXTRA[code][1] if code in _EXTRA else "errlint"
            _problem(f"{origin}: rule code {code} is already used by {other}; {rule.__name__} is left out")
            continue
        if names.get(rule.NAME, code) != code:
            _problem(f"{origin}: rule name {rule.NAME!r} is already used by {names[rule.NAME]}; {code} is left out")
            continue
        _EXTRA[code] = (rule, origin)
        names[rule.NAME] = code
        added.append(rule)
    _install()
    return added


def _install() -> None:
    """Make `errlint.rule.all_rules()` return errlint's rules plus the external ones."""
    import errlint.rule as rule_module

    extra = tuple(rule for rule, _ in _EXTRA.values())
    rule_module._RULES = tuple(sorted(_builtin() + extra, key=lambda r: r.CODE))


def load_entry_points() -> None:
    """Load every `errlint.rules` entry point once; failures become problems."""
    from importlib.metadata import entry_points

    try:
        found = entry_points(group=ENTRY_POINT_GROUP)
    except Exception as err:  # noqa: XH102 - broken package metadata must not stop errlint
        _problem(f"cannot list the {ENTRY_POINT_GROUP} entry points: {type(err).__name__}: {err}")
        return
    for entry in found:
        key = f"entry:{entry.name}={entry.value}"
        if key in _LOADED:
            continue
        _LOADED.add(key)
        origin = f"plugin {entry.name} ({entry.value})"
        try:
            loaded = entry.load()
        except Exception as err:  # noqa: XH102 - a broken plugin is one line; the run goes on
            _problem(f"{origin} cannot be loaded: {type(err).__name__}: {err}")
            continue
        from errlint.rule import LintRule

        if isinstance(loaded, ModuleType):
            rules = rules_in(loaded)
        elif isinstance(loaded, type) and issubclass(loaded, LintRule):
            rules = [loaded]
        else:
            _problem(f"{origin} is neither a module nor a LintRule subclass")
            continue
        if not rules:
            _problem(f"{origin} defines no rules")
        _register(rules, origin)


def _module_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.glob("*.py") if not p.name.startswith("_"))


def load_paths(paths: Sequence[Path], origin: str = "local-rules") -> list[type[LintRule]]:
    """Import the rule modules in `paths` (folders or files) once; return the rules they add."""
    added: list[type[LintRule]] = []
    for path in paths:
        resolved = path.resolve()
        if not resolved.exists():
            _problem(f"{origin}: {path}: no such file or directory")
            continue
        for file in _module_files(resolved):
            key = f"file:{file}"
            if key in _LOADED:
                added.extend(rule for rule, where in _EXTRA.values() if where == f"{origin} {file}")
                continue
            _LOADED.add(key)
            module = _import_file(file, f"{origin} {file}")
            if module is not None:
                added.extend(_register(rules_in(module), f"{origin} {file}"))
    return added


def _import_file(file: Path, origin: str) -> Optional[ModuleType]:
    digest = hashlib.sha256(str(file).encode("utf-8", "surrogatepass")).hexdigest()[:12]
    name = f"errlint_local_rules_{digest}.{file.stem}"
    package = name.rsplit(".", 1)[0]
    if package not in sys.modules:
        sys.modules[package] = ModuleType(package)  # a namespace for the folder's modules
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        _problem(f"{origin}: cannot be imported")
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # noqa: XH102 - a broken rule file is one line; the run goes on
        sys.modules.pop(name, None)
        _problem(f"{origin} cannot be loaded: {type(err).__name__}: {err}")
        return None
    return module
