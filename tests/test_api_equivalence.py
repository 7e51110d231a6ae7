"""The command line, the flake8 plugin and the editor server find the same things in the same file
with the same configuration, because all three go through `errlint.api` (in-process: the real
flake8 and a real LSP client run in the slow tests of test_flake8_plugin.py and test_server.py).

The configuration here makes findings depend on the path as the configuration sees it
(`critical-paths` raise severities and mark findings critical, `per-file-ignores` drop XH101), and
the checks run from the project's folder and from a sub-folder: a file's path relative to its
configuration must not depend on where the tool was started.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from errlint.cli import main
from errlint.flake8_plugin import Plugin

SOURCE = """\
import logging

log = logging.getLogger(__name__)


def pay(card_number):
    try:
        charge()
    except:
        log.info("failed for %s", card_number)
        retry()
    try:
        charge()
    except ConnectionError:
        raise
"""

CONFIG = """\
[tool.errlint]
preview = true
critical-paths = ["app/billing/*"]

[tool.errlint.per-file-ignores]
"app/legacy.py" = ["XH101"]
"""

Row = tuple[str, str, int, int, str, bool, str]  # file, code, line, column, severity, critical, message

EXPECTED: dict[str, list[tuple[str, int, int, str, bool]]] = {
    "billing/pay.py": [
        ("XH101", 9, 5, "error", True),
        ("XH401", 10, 35, "error", True),
        ("XH105", 14, 5, "warning", True),
    ],
    "legacy.py": [("XH401", 10, 35, "error", False), ("XH105", 14, 5, "info", False)],
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "app" / "billing").mkdir(parents=True)
    (tmp_path / "app" / "billing" / "pay.py").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "app" / "legacy.py").write_text(SOURCE, encoding="utf-8")
    return tmp_path


def _cli(files: list[Path]) -> list[Row]:
    out = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", *map(str, files)])
    assert out.exit_code == 1, out.output
    rows = []
    for f in json.loads(out.stdout):
        rows.append((Path(f["path"]).resolve().as_posix(), f["code"], f["line"], f["column"], f["severity"], f["critical"], f["message"]))
    return rows


def _flake8(files: list[Path]) -> list[Row]:
    Plugin.parse_options(_Options())
    rows = []
    for file in files:
        lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
        for line, column, text, _ in Plugin(ast.parse(SOURCE), lines, str(file)).run():
            code, severity, rest = text.split(" ", 2)
            critical = rest.startswith("(critical) ")
            message = rest[len("(critical) ") :] if critical else rest
            rows.append((file.resolve().as_posix(), code, line, column + 1, severity.strip("[]"), critical, message))
    return rows


class _Options:
    errlint_config = None


def _server(files: list[Path]) -> list[Row]:
    pytest.importorskip("pygls")
    from lsprotocol import types
    from pygls.workspace import Workspace

    from errlint.server.lsp import ErrlintServer

    server = ErrlintServer()
    server.protocol._workspace = Workspace(Path.cwd().as_uri())  # what `initialize` sets up
    published: dict[str, Any] = {}
    server.text_document_publish_diagnostics = lambda params: published.__setitem__(params.uri, params.diagnostics)  # type: ignore[method-assign]
    severities = {types.DiagnosticSeverity.Error: "error", types.DiagnosticSeverity.Warning: "warning", types.DiagnosticSeverity.Information: "info"}
    rows = []
    for file in files:
        uri = file.resolve().as_uri()
        text = file.read_text(encoding="utf-8")
        server.workspace.put_text_document(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
        server.lint(uri)
        for d in published[uri]:
            critical = d.message.startswith("(critical) ")
            message = d.message[len("(critical) ") :] if critical else d.message
            start = d.range.start
            rows.append((file.resolve().as_posix(), d.code, start.line + 1, start.character + 1, severities[d.severity], critical, message))
    return rows


@pytest.mark.parametrize("start", [".", "app"])
def test_cli_flake8_plugin_and_server_agree(project: Path, start: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / start)
    files = [project / "app" / "billing" / "pay.py", project / "app" / "legacy.py"]
    cli = _cli(files)
    expected = [
        (str((project / "app" / name).resolve().as_posix()), code, line, column, severity, critical)
        for name, rows in EXPECTED.items()
        for code, line, column, severity, critical in rows
    ]
    assert [row[:6] for row in cli] == expected
    assert _flake8(files) == cli
    assert _server(files) == cli
