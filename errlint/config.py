"""Find, read and validate errlint's configuration; merge command-line overrides.

As in ruff, configuration is found from each linted file, not from the working directory: the
closest `.errlint.toml`, `errlint.toml` or `pyproject.toml` with a `[tool.errlint]` table, walking
up from the file's folder, applies to it (`errlint.project.ConfigResolver`). Paths in a
configuration (`critical-paths`, `per-file-ignores`, `exclude`) are relative to the folder of the
file that wrote them. `extend = "../pyproject.toml"` inherits another configuration, whose keys the
file overrides (the `extend-*` lists add up). `--config FILE` names one file for every linted
file; `--isolated` uses defaults only. Keys are kebab-case. Every problem is a `ConfigError` naming
the file and the key, with a close match for typos.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from errlint.errors import ConfigError
from errlint.knowledge.testcode import DEFAULT_TEST_PATHS, is_test_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

CODE_SELECTOR_RE = re.compile(r"^XH[0-9]{0,3}$")

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints",
    ".mypy_cache", ".nox", ".pants.d", ".pyenv", ".pytest_cache", ".pytype", ".ruff_cache",
    ".errlint_cache", ".svn", ".tox", ".venv", ".vscode", "__pypackages__", "_build",
    "buck-out", "build", "dist", "node_modules", "site-packages", "venv",
)  # fmt: skip

DEFAULT_REPORT_FUNCTIONS: tuple[str, ...] = (
    "sentry_sdk.capture_exception",
    "sentry_sdk.capture_event",
    "rollbar.report_exc_info",
    "bugsnag.notify",
    "newrelic.agent.notice_error",
    "honeybadger.honeybadger.notify",
)


@dataclass(frozen=True)
class Config:
    """Everything a run needs to know from configuration, already validated."""

    path: Optional[str] = None  # the file it came from, for messages
    root: str = "."  # the directory paths in config are relative to (absolute when from a file)
    extends: tuple[str, ...] = ()  # the files `extend` pulled in, nearest first (for -v)
    local_rules: tuple[str, ...] = ()  # relative to root; loaded by errlint.project.load_file
    select: tuple[str, ...] = ()  # empty: every stable rule
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    preview: bool = False
    critical_paths: tuple[str, ...] = ()
    critical_functions: tuple[str, ...] = ()
    critical_decorators: tuple[str, ...] = ()
    logger_names: tuple[str, ...] = ()
    report_functions: tuple[str, ...] = DEFAULT_REPORT_FUNCTIONS
    extend_report_functions: tuple[str, ...] = ()
    broad_exceptions: tuple[str, ...] = ()
    infrastructure_exceptions: tuple[str, ...] = ()
    user_error_exceptions: tuple[str, ...] = ()
    test_paths: tuple[str, ...] = DEFAULT_TEST_PATHS  # what is test code (errlint.knowledge.testcode)
    error_payload: tuple[str, ...] = ()  # the keys every JSON error body has (XH405); empty: inferred
    # Per-rule options, keyed by code, as validated plain values.
    rule_options: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    # Sections owned by other parts of errlint ([tool.errlint.pii], [tool.errlint.review]).
    sections: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()

    @property
    def all_report_functions(self) -> tuple[str, ...]:
        return self.report_functions + self.extend_report_functions

    def section(self, name: str) -> dict[str, Any]:
        """Return a validated sub-table such as `pii` or `review` (empty when absent)."""
        for key, items in self.sections:
            if key == name:
                return dict(items)
        return {}

    def options_for(self, code: str) -> dict[str, Any]:
        for key, items in self.rule_options:
            if key == code:
                return dict(items)
        return {}

    def fingerprint(self) -> str:
        """A stable text that changes whenever anything affecting results changes."""
        return repr(replace(self, path=None))

    def is_test_path(self, path: str) -> bool:
        """Whether `path` is test code, a sample input or a demo under `test-paths`."""
        return is_test_path(path, self.test_paths, self.root)

    def relative(self, path: str) -> str:
        """`path` (as shown: relative to the working directory, or absolute) relative to `root`,
        with `/` separators; unchanged when the file lies outside `root` or `root` is `.`."""
        display = path.replace("\\", "/")
        if self.root == "." or path in ("-", ""):
            return display
        rel = os.path.relpath(os.path.abspath(path), self.root).replace("\\", "/")
        return display if rel.startswith("../") or rel == ".." else rel

    def is_critical_path(self, rel_path: str) -> bool:
        rel = self.relative(rel_path)
        return any(_glob_match(rel, pattern) for pattern in self.critical_paths)


def _glob_match(rel_path: str, pattern: str) -> bool:
    rel = rel_path.replace("\\", "/")
    return fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(rel, pattern.rstrip("/") + "/*")


# --- schema -------------------------------------------------------------------------------

Validator = Callable[[Any, str, str], Any]


def _list_of_str(value: Any, path: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"expected a list of strings, got {_describe(value)}", path, key)
    return tuple(value)


def _bool(value: Any, path: str, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"expected true or false, got {_describe(value)}", path, key)
    return value


def _error_payload(value: Any, path: str, key: str) -> tuple[str, ...]:
    """`error-payload = ["error", "code"]`: the top-level keys of every JSON error body (XH405)."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f'expected a non-empty list of key names such as ["error", "code"], got {_describe(value)}', path, key)
    duplicates = sorted({v for v in value if value.count(v) > 1})
    if duplicates:
        raise ConfigError(f"{', '.join(repr(d) for d in duplicates)} listed twice", path, key)
    return tuple(value)


def _describe(value: Any) -> str:
    kind = {str: "a string", bool: "a boolean", int: "an integer", float: "a number",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)  # fmt: skip
    text = repr(value)
    return f"{kind} ({text if len(text) <= 40 else text[:37] + '...'})"


TOP_LEVEL_KEYS: dict[str, Validator] = {
    "select": _list_of_str,
    "extend-select": _list_of_str,
    "ignore": _list_of_str,
    "extend-ignore": _list_of_str,
    "per-file-ignores": lambda v, p, k: v,  # validated below
    "exclude": _list_of_str,
    "extend-exclude": _list_of_str,
    "respect-gitignore": _bool,
    "preview": _bool,
    "critical-paths": _list_of_str,
    "critical-functions": _list_of_str,
    "critical-decorators": _list_of_str,
    "logger-names": _list_of_str,
    "report-functions": _list_of_str,
    "extend-report-functions": _list_of_str,
    "broad-exceptions": _list_of_str,
    "infrastructure-exceptions": _list_of_str,
    "user-error-exceptions": _list_of_str,
    "test-paths": _list_of_str,
    "error-payload": lambda v, p, k: _error_payload(v, p, k),
    "rules": lambda v, p, k: v,  # validated below
    "extend": lambda v, p, k: _str(v, p, k),  # handled by load_config
    "local-rules": _list_of_str,  # folders or files of rule modules (errlint.plugins)
}

# Keys holding paths relative to the configuration's folder, and lists that `extend` adds up.
PATH_LIST_KEYS = ("critical-paths", "exclude", "extend-exclude")
ADDITIVE_KEYS = ("extend-select", "extend-ignore", "extend-exclude", "extend-report-functions")
CONFIG_NAMES = (".errlint.toml", "errlint.toml", "pyproject.toml")

# Sub-tables owned by other parts of errlint: key -> validator for its value.
SECTION_SCHEMAS: dict[str, dict[str, Validator]] = {
    "pii": {
        "extend-names": lambda v, p, k: _pii_names(v, p, k),
        "allow-names": _list_of_str,
        "severity": lambda v, p, k: _severity_table(v, p, k),
    },
    "review": {
        "model": lambda v, p, k: _str(v, p, k),
        "max-findings": lambda v, p, k: _positive_int(v, p, k),
        "max-tokens": lambda v, p, k: _positive_int(v, p, k),
        "budget-tokens": lambda v, p, k: _positive_int(v, p, k),
        "timeout": lambda v, p, k: _positive_number(v, p, k),
        "exclude-from-ai": _list_of_str,
        "cache-dir": lambda v, p, k: _str(v, p, k),
        "max-cost": lambda v, p, k: _positive_number(v, p, k),
        "input-price": lambda v, p, k: _positive_number(v, p, k),
        "output-price": lambda v, p, k: _positive_number(v, p, k),
    },
    "limits": {  # errlint.limits
        "max-file-bytes": lambda v, p, k: _positive_int(v, p, k),
        "max-line-bytes": lambda v, p, k: _positive_int(v, p, k),
        "worker-memory-mb": lambda v, p, k: 0 if v == 0 and not isinstance(v, bool) else _positive_int(v, p, k),
    },
}


def _str(value: Any, path: str, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"expected a non-empty string, got {_describe(value)}", path, key)
    return value


def _positive_int(value: Any, path: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"expected a positive integer, got {_describe(value)}", path, key)
    return value


def _positive_number(value: Any, path: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"expected a positive number, got {_describe(value)}", path, key)
    return float(value)


PII_CATEGORIES = (
    "secret", "government-id", "financial", "health", "contact", "identity", "network",
    "account-id",
)  # fmt: skip


def _pii_names(value: Any, path: str, key: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`extend-names` is a table: category -> list of names."""
    if not isinstance(value, dict):
        raise ConfigError(f"expected a table of category = [names], got {_describe(value)}", path, key)
    out = []
    for category, names in value.items():
        if category not in PII_CATEGORIES:
            raise ConfigError(_unknown("category", category, PII_CATEGORIES), path, f"{key}.{category}")
        out.append((category, _list_of_str(names, path, f"{key}.{category}")))
    return tuple(out)


def _severity_table(value: Any, path: str, key: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"expected a table of category = severity, got {_describe(value)}", path, key)
    out = []
    for category, severity in value.items():
        if category not in PII_CATEGORIES:
            raise ConfigError(_unknown("category", category, PII_CATEGORIES), path, f"{key}.{category}")
        if severity not in ("info", "warning", "error"):
            raise ConfigError(
                f"expected 'info', 'warning' or 'error', got {_describe(severity)}", path, f"{key}.{category}"
            )
        out.append((category, str(severity)))
    return tuple(out)


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown {what} '{name}'{hint}"


# --- loading ------------------------------------------------------------------------------


def find_config_file(start: Path) -> Optional[Path]:
    """The closest configuration at or above the folder `start`: `.errlint.toml`, `errlint.toml`,
    or a `pyproject.toml` with a `[tool.errlint]` table (in that order within one folder)."""
    for directory in (start, *start.parents):
        found = config_in(directory)
        if found is not None:
            return found
    return None


def config_in(directory: Path) -> Optional[Path]:
    """The configuration file of `directory` itself, if it has one."""
    for name in CONFIG_NAMES:
        candidate = directory / name
        if not candidate.is_file():
            continue
        if name != "pyproject.toml":
            return candidate
        try:
            data = _read_toml(candidate)
        except ConfigError:
            return candidate  # let load_config report it with the file name
        if "errlint" in data.get("tool", {}):
            return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"invalid TOML: {err}", str(path)) from None
    except OSError as err:
        raise ConfigError(f"cannot read: {err.strerror or err}", str(path)) from None


def load_config(
    config_file: Optional[Path],
    *,
    known_codes: Sequence[str],
    rule_options: Mapping[str, Callable[[Mapping[str, Any], str, str], dict[str, Any]]],
    names_to_codes: Mapping[str, str],
) -> Config:
    """Read `[tool.errlint]` (or a dedicated errlint.toml) from `config_file` and validate it,
    following `extend` (None: defaults)."""
    if config_file is None:
        return Config()
    table, extends = _resolved_table(config_file, ())
    path = str(config_file)
    root = str(config_file.resolve().parent)
    config = parse_table(
        table, path, root, known_codes=known_codes,
        rule_options=rule_options, names_to_codes=names_to_codes,
    )  # fmt: skip
    return replace(config, extends=extends)


def _raw_table(config_file: Path) -> dict[str, Any]:
    path = str(config_file)
    data = _read_toml(config_file)
    table = data.get("tool", {}).get("errlint")
    if table is None:
        if config_file.name == "pyproject.toml":
            return {}
        table = data  # a dedicated errlint.toml holds the keys at top level
    if not isinstance(table, dict):
        raise ConfigError("expected a table", path, "tool.errlint")
    return dict(table)


def raw_local_rules(config_file: Path) -> list[str]:
    """The `local-rules` of a configuration (after `extend`), relative to its folder, read before
    validation: the rules they add must be known when `select` and `ignore` are checked."""
    table, _ = _resolved_table(config_file, ())
    value = table.get("local-rules", [])
    return list(_list_of_str(value, str(config_file), "local-rules"))


def _resolved_table(config_file: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The table of `config_file` merged over the one it `extend`s, paths rebased onto its folder."""
    path = str(config_file)
    table = _raw_table(config_file)
    extend = table.pop("extend", None)
    if extend is None:
        return table, ()
    extend = _str(extend, path, "extend")
    base_file = (config_file.resolve().parent / os.path.expanduser(os.path.expandvars(extend))).resolve()
    if base_file in seen or base_file == config_file.resolve():
        raise ConfigError(f"'{extend}' extends itself (a cycle)", path, "extend")
    if not base_file.is_file():
        raise ConfigError(f"'{extend}': no such file", path, "extend")
    base, extends = _resolved_table(base_file, (*seen, config_file.resolve()))
    base = _rebased(base, base_file.parent, config_file.resolve().parent)
    merged = dict(base)
    for key, value in table.items():
        if key in ADDITIVE_KEYS and isinstance(value, list) and isinstance(base.get(key), list):
            merged[key] = base[key] + value
        elif key == "rules" and isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged, (str(base_file), *extends)


def _rebase(pattern: str, old: Path, new: Path) -> str:
    """A glob relative to folder `old` as a glob relative to `new` (name-only globs stay)."""
    if "/" not in pattern.rstrip("/") or old == new:
        return pattern
    trailing = "/" if pattern.endswith("/") else ""
    rebased = os.path.relpath(os.path.join(old, pattern.lstrip("./")), new).replace("\\", "/")
    return rebased + trailing


def _rebased(table: dict[str, Any], old: Path, new: Path) -> dict[str, Any]:
    out = dict(table)
    for key in PATH_LIST_KEYS:
        value = out.get(key)
        if isinstance(value, list):
            out[key] = [_rebase(v, old, new) if isinstance(v, str) else v for v in value]
    local = out.get("local-rules")
    if isinstance(local, list) and old != new:
        out["local-rules"] = [
            os.path.relpath(os.path.join(old, v), new).replace("\\", "/") if isinstance(v, str) else v for v in local
        ]
    pfi = out.get("per-file-ignores")
    if isinstance(pfi, dict):
        out["per-file-ignores"] = {_rebase(k, old, new): v for k, v in pfi.items()}
    return out


def parse_table(
    table: Mapping[str, Any],
    path: str,
    root: str,
    *,
    known_codes: Sequence[str],
    rule_options: Mapping[str, Callable[[Mapping[str, Any], str, str], dict[str, Any]]],
    names_to_codes: Mapping[str, str],
) -> Config:
    """Validate one `[tool.errlint]` table into a `Config`."""
    values: dict[str, Any] = {}
    sections: list[tuple[str, tuple[tuple[str, Any], ...]]] = []
    options: list[tuple[str, tuple[tuple[str, Any], ...]]] = []
    for key, value in table.items():
        if key in SECTION_SCHEMAS:
            sections.append((key, _parse_section(key, value, path)))
            continue
        if key not in TOP_LEVEL_KEYS:
            known = list(TOP_LEVEL_KEYS) + list(SECTION_SCHEMAS)
            raise ConfigError(_unknown("key", key, known), path, key)
        full_key = key
        if key == "extend":
            continue  # followed by load_config
        if key in ("select", "extend-select", "ignore", "extend-ignore"):
            values[key] = tuple(
                validate_selector(s, known_codes, path, full_key) for s in _list_of_str(value, path, key)
            )
        elif key == "per-file-ignores":
            values[key] = _parse_per_file_ignores(value, path, known_codes)
        elif key == "rules":
            options.extend(_parse_rule_options(value, path, rule_options, names_to_codes))
        else:
            values[key] = TOP_LEVEL_KEYS[key](value, path, key)
    return Config(
        path=path,
        root=root,
        select=values.get("select", ()),
        extend_select=values.get("extend-select", ()),
        ignore=values.get("ignore", ()) + values.get("extend-ignore", ()),
        per_file_ignores=values.get("per-file-ignores", ()),
        exclude=values.get("exclude", DEFAULT_EXCLUDE),
        extend_exclude=values.get("extend-exclude", ()),
        respect_gitignore=values.get("respect-gitignore", True),
        preview=values.get("preview", False),
        critical_paths=values.get("critical-paths", ()),
        critical_functions=values.get("critical-functions", ()),
        critical_decorators=values.get("critical-decorators", ()),
        logger_names=values.get("logger-names", ()),
        report_functions=values.get("report-functions", DEFAULT_REPORT_FUNCTIONS),
        extend_report_functions=values.get("extend-report-functions", ()),
        broad_exceptions=values.get("broad-exceptions", ()),
        infrastructure_exceptions=values.get("infrastructure-exceptions", ()),
        user_error_exceptions=values.get("user-error-exceptions", ()),
        test_paths=values.get("test-paths", DEFAULT_TEST_PATHS),
        error_payload=values.get("error-payload", ()),
        local_rules=values.get("local-rules", ()),
        rule_options=tuple(options),
        sections=tuple(sections),
    )


def validate_selector(selector: str, known_codes: Sequence[str], path: str, key: str) -> str:
    """Accept `ALL`, a full code or a prefix of one (`XH1`); else raise `ConfigError`."""
    sel = selector.strip().upper()
    if sel == "ALL":
        return sel
    if CODE_SELECTOR_RE.match(sel) and any(code.startswith(sel) for code in known_codes):
        return sel
    raise ConfigError(_unknown("rule code", selector, known_codes), path, key)


def _parse_per_file_ignores(
    value: Any, path: str, known_codes: Sequence[str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    key = "per-file-ignores"
    if not isinstance(value, dict):
        raise ConfigError(f"expected a table of glob = [codes], got {_describe(value)}", path, key)
    out = []
    for glob, codes in value.items():
        sub = f'{key}."{glob}"'
        out.append((glob, tuple(validate_selector(c, known_codes, path, sub) for c in _list_of_str(codes, path, sub))))
    return tuple(out)


def _parse_rule_options(
    value: Any,
    path: str,
    rule_options: Mapping[str, Callable[[Mapping[str, Any], str, str], dict[str, Any]]],
    names_to_codes: Mapping[str, str],
) -> list[tuple[str, tuple[tuple[str, Any], ...]]]:
    if not isinstance(value, dict):
        raise ConfigError(f"expected a table of rule = {{options}}, got {_describe(value)}", path, "rules")
    out = []
    for rule_key, table in value.items():
        code = names_to_codes.get(rule_key, rule_key.upper())
        key = f"rules.{rule_key}"
        if code not in rule_options:
            known = sorted(rule_options) + sorted(n for n, c in names_to_codes.items() if c in rule_options)
            if code in names_to_codes.values():
                raise ConfigError("this rule has no options", path, key)
            raise ConfigError(_unknown("rule", rule_key, known or list(names_to_codes)), path, key)
        if not isinstance(table, dict):
            raise ConfigError(f"expected a table of options, got {_describe(table)}", path, key)
        parsed = rule_options[code](table, path, key)
        out.append((code, tuple(sorted(parsed.items()))))
    return out


def _parse_section(name: str, value: Any, path: str) -> tuple[tuple[str, Any], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"expected a table, got {_describe(value)}", path, name)
    schema = SECTION_SCHEMAS[name]
    out = []
    for key, item in value.items():
        full = f"{name}.{key}"
        if key not in schema:
            raise ConfigError(_unknown("key", key, schema), path, full)
        out.append((key, schema[key](item, path, full)))
    return tuple(sorted(out, key=lambda kv: kv[0]))


def with_overrides(config: Config, **overrides: Any) -> Config:
    """Return `config` with the non-None command-line values replacing config values."""
    changes = {k: v for k, v in overrides.items() if v is not None}
    return replace(config, **changes) if changes else config

