"""errlint as a Language Server: diagnostics as you type, quick fixes, fix all, noqa, config reload.

- Diagnostics on open, change (once a burst of changes pauses for 0.1 s) and save, with errlint's severities (error, warning, information),
  the rule code linking to its documentation page, and `(critical)` on business-critical paths.
  Each file gets the configuration that applies to it on the command line (the closest
  `.errlint.toml`, `errlint.toml` or `pyproject.toml`), including `ignore` and `per-file-ignores`.
  A configuration error is one diagnostic at the top of the file instead of silence.
- Code actions (`quickfix`): each finding's fix, titled with its safety (`(unsafe)` for fixes
  that may change behaviour; those are never preferred), and "Disable XH… for this line"
  (a `# noqa` comment, merged with an existing one, never inside a string).
- `source.fixAll.errlint`: every safe fix of the document (editors run it on save when asked).
- The configuration is re-read when a configuration file is saved or changes on disk
  (`workspace/didChangeWatchedFiles`), and on the command `errlint.reloadConfiguration`.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from errlint import __version__
from errlint.config import CONFIG_NAMES, Config
from errlint.errors import ErrlintError
from errlint.finding import Finding, Fix, FixSafety, Severity

SOURCE = "errlint"
DEBOUNCE = 0.1  # seconds: a burst of changes is linted once, after the last one
FIX_ALL = "source.fixAll.errlint"
RELOAD = "errlint.reloadConfiguration"
SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


@dataclass
class Linted:
    """The last lint of one open document."""

    version: Optional[int]
    text: str
    findings: list[Finding]
    config: Optional[Config]
    display: str


def path_of(uri: str) -> Optional[Path]:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


class ErrlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("errlint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.linted: dict[str, Linted] = {}
        self._resolver: Any = None
        self._pending: dict[str, asyncio.Task[None]] = {}

    # -- configuration --------------------------------------------------------------------

    def resolver(self) -> Any:
        if self._resolver is None:
            from errlint.project import ConfigResolver

            self._resolver = ConfigResolver()
        return self._resolver

    def reload(self) -> None:
        self._resolver = None
        for uri in list(self.linted):
            self.lint(uri)

    # -- linting --------------------------------------------------------------------------

    def schedule(self, uri: str) -> None:
        """Lint `uri` after DEBOUNCE seconds, unless another change comes first."""
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        self._pending[uri] = asyncio.ensure_future(self._lint_later(uri))

    async def _lint_later(self, uri: str) -> None:
        await asyncio.sleep(DEBOUNCE)
        self._pending.pop(uri, None)
        if uri in self.linted:
            self.lint(uri)

    def lint(self, uri: str) -> None:
        """Lint the open document `uri` and publish its diagnostics."""
        from errlint.engine import lint_text, rule_options, select_rules

        document = self.workspace.get_text_document(uri)
        text = document.source
        path = path_of(uri)
        cwd = Path.cwd()
        try:
            config: Optional[Config] = self.resolver().for_dir(path.parent if path else cwd)
        except ErrlintError as err:
            self.linted[uri] = Linted(document.version, text, [], None, "")
            self._publish(uri, document, [self._config_error(err.format_message())])
            return
        assert config is not None
        display = self._display(path, config, cwd)
        rules = select_rules(config)
        result = lint_text(text, display, config, rules, options=rule_options(config, rules))
        if result.facts:  # project-level rules (XH405): this buffer with the stored facts of the others
            from errlint.projectlevel import judge_one

            result.findings += judge_one(result, path, config, text=text, cwd=cwd)
        self.linted[uri] = Linted(document.version, text, result.findings, config, display)
        diagnostics = [self._diagnostic(document, f) for f in result.findings]
        for crash in result.crashes:
            diagnostics.append(self._config_error(f"rule {crash.rule} crashed: {crash.error}", "errlint crashed"))
        self._publish(uri, document, diagnostics)

    @staticmethod
    def _display(path: Optional[Path], config: Config, cwd: Path) -> str:
        if path is None:
            return "-"
        base = config.root if config.root != "." else str(cwd)
        rel = os.path.relpath(path, base)
        return str(path) if rel.startswith("..") else rel.replace(os.sep, "/")

    def _publish(self, uri: str, document: Any, diagnostics: list[types.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=document.version)
        )

    @staticmethod
    def _config_error(message: str, title: str = "errlint configuration error") -> types.Diagnostic:
        return types.Diagnostic(
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
            message=f"{title}: {message}",
            severity=types.DiagnosticSeverity.Error,
            source=SOURCE,
        )

    @staticmethod
    def to_range(document: Any, line: int, column: int, end_line: int, end_column: int) -> types.Range:
        """errlint's 1-based code-point positions as an LSP range in the client's units."""
        server_range = types.Range(
            start=types.Position(line=max(line - 1, 0), character=max(column - 1, 0)),
            end=types.Position(line=max(end_line - 1, 0), character=max(end_column - 1, 0)),
        )
        result: types.Range = document.position_codec.range_to_client_units(document.lines, server_range)
        return result

    def _diagnostic(self, document: Any, finding: Finding) -> types.Diagnostic:
        critical = "(critical) " if finding.critical else ""
        return types.Diagnostic(
            range=self.to_range(document, finding.line, finding.column, finding.end_line, finding.end_column),
            message=critical + finding.message,
            severity=SEVERITIES[finding.severity],
            code=finding.code,
            code_description=types.CodeDescription(href=finding.url),
            source=SOURCE,
            data={"fingerprint": finding.fingerprint, "name": finding.name},
        )

    # -- code actions ---------------------------------------------------------------------

    def _edit(self, uri: str, document: Any, fix: Fix) -> types.WorkspaceEdit:
        edits = [
            types.TextEdit(range=self.to_range(document, e.line, e.column, e.end_line, e.end_column), new_text=e.content)
            for e in fix.edits
        ]
        return types.WorkspaceEdit(changes={uri: edits})

    def _whole(self, uri: str, document: Any, text: str) -> types.WorkspaceEdit:
        lines = document.lines
        end = types.Position(line=len(lines), character=0)
        edit = types.TextEdit(range=types.Range(start=types.Position(line=0, character=0), end=end), new_text=text)
        return types.WorkspaceEdit(changes={uri: [edit]})

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        linted = self.linted.get(uri)
        if linted is None:
            return []
        document = self.workspace.get_text_document(uri)
        if document.source != linted.text:
            self.lint(uri)
            linted = self.linted[uri]
        only = params.context.only
        actions: list[types.CodeAction] = []
        first, last = params.range.start.line + 1, params.range.end.line + 1
        if not only or any(str(kind).startswith("quickfix") for kind in only):
            for finding in linted.findings:
                if finding.end_line < first or finding.line > last:
                    continue
                diagnostic = self._diagnostic(document, finding)
                if finding.fix is not None and finding.fix.safety is not FixSafety.DISPLAY_ONLY:
                    unsafe = finding.fix.safety is FixSafety.UNSAFE
                    actions.append(
                        types.CodeAction(
                            title=f"{finding.code}: {finding.fix.title}" + (" (unsafe)" if unsafe else ""),
                            kind=types.CodeActionKind.QuickFix,
                            diagnostics=[diagnostic],
                            edit=self._edit(uri, document, finding.fix),
                            is_preferred=not unsafe,
                        )
                    )
                noqa = self._noqa_edit(uri, document, linted.text, finding)
                if noqa is not None:
                    actions.append(
                        types.CodeAction(
                            title=f"Disable {finding.code} for this line",
                            kind=types.CodeActionKind.QuickFix,
                            diagnostics=[diagnostic],
                            edit=noqa,
                        )
                    )
        if not only or any(FIX_ALL.startswith(str(kind)) for kind in only):
            fixed = self.fix_all(uri, linted)
            if fixed is not None:
                actions.append(
                    types.CodeAction(
                        title="errlint: fix all safe fixes", kind=FIX_ALL, edit=self._whole(uri, document, fixed)
                    )
                )
        return actions

    def _noqa_edit(self, uri: str, document: Any, text: str, finding: Finding) -> Optional[types.WorkspaceEdit]:
        from errlint.noqa_writer import add_noqa

        new, changed = add_noqa(text, [finding])
        if not changed:
            return None
        return self._whole(uri, document, new)

    def fix_all(self, uri: str, linted: Linted) -> Optional[str]:
        """The document with every safe fix applied (None when nothing applies)."""
        from errlint.engine import lint_text, rule_options, select_rules
        from errlint.fixview import fixed_text

        config = linted.config
        if config is None:
            return None
        rules = select_rules(config)
        options = rule_options(config, rules)

        def relint(text: str) -> Any:
            return lint_text(text, linted.display, config, rules, options=options)

        current = relint(linted.text)
        outcome = fixed_text(linted.text, current, relint, unsafe=False)
        return outcome.text if outcome.applied else None


def is_config_file(uri: str) -> bool:
    path = path_of(uri)
    return path is not None and path.name in CONFIG_NAMES


def build() -> ErrlintServer:
    server = ErrlintServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ErrlintServer, params: types.DidOpenTextDocumentParams) -> None:
        if params.text_document.uri.endswith((".py", ".pyi")) or params.text_document.language_id == "python":
            ls.lint(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: ErrlintServer, params: types.DidChangeTextDocumentParams) -> None:
        if params.text_document.uri in ls.linted:
            ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ErrlintServer, params: types.DidSaveTextDocumentParams) -> None:
        if is_config_file(params.text_document.uri):
            ls.reload()
        elif params.text_document.uri in ls.linted:
            ls.lint(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ErrlintServer, params: types.DidCloseTextDocumentParams) -> None:
        if ls.linted.pop(params.text_document.uri, None) is not None:
            ls.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
            )

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: ErrlintServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(is_config_file(change.uri) for change in params.changes):
            ls.reload()

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=False),
    )
    def code_action(ls: ErrlintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return ls.code_actions(params)

    @server.command(RELOAD)
    def reload(ls: ErrlintServer, *args: Any) -> None:
        ls.reload()

    return server


def main(argv: Sequence[str] = ()) -> None:
    """Serve over standard input/output until the client says exit."""
    build().start_io()
