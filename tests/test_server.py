"""`errlint server` driven by a real LSP client (pygls' LanguageClient over stdio): diagnostics on
open/change/save with real severities and doc links, quick fixes (safe and unsafe labelled), fix
all, noqa this line, a configuration error as one diagnostic, and configuration reload."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any, Optional

import pytest

pytest.importorskip("pygls")

from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

pytestmark = pytest.mark.slow

SOURCE = """\
import logging

log = logging.getLogger(__name__)


def g(password):
    try:
        connect()
    except ConnectionError:
        raise
    try:
        connect()
    except:
        log.info("login failed for %s", password)
        retry()
"""


class Session:
    """A running server and a client that records published diagnostics."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.client = LanguageClient("errlint-test", "1")
        self.published: dict[str, list[types.Diagnostic]] = {}
        self.versions: list[Optional[int]] = []
        self.changed = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.published[params.uri] = params.diagnostics
            self.versions.append(params.version)
            self.changed.set()

    async def start(self) -> None:
        await self.client.start_io(sys.executable, "-m", "errlint", "server", cwd=str(self.root))
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(), root_uri=self.root.as_uri(), process_id=None
            )
        )
        self.client.initialized(types.InitializedParams())

    async def diagnostics(self, action: Any) -> list[types.Diagnostic]:
        self.changed.clear()
        action()
        await asyncio.wait_for(self.changed.wait(), 60)
        return list(self.published.values())[-1]

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


def open_doc(session: Session, uri: str, text: str) -> Any:
    item = types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
    return lambda: session.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))


def change_doc(session: Session, uri: str, text: str, version: int) -> Any:
    return lambda: session.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def apply(text: str, edit: types.WorkspaceEdit, uri: str) -> str:
    """Apply a WorkspaceEdit's text edits (ASCII documents) to `text`."""
    assert edit.changes is not None
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(position: types.Position) -> int:
        return offsets[min(position.line, len(lines))] + position.character

    for change in sorted(edit.changes[uri], key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(change.range.start)] + change.new_text + text[offset(change.range.end) :]
        lines = text.splitlines(keepends=True)
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line))
    return text


def run(root: Path, scenario: Any) -> Any:
    async def main() -> Any:
        session = Session(root)
        await session.start()
        try:
            return await scenario(session)
        finally:
            await session.stop()

    return asyncio.run(main())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.errlint]\nselect = ["XH101", "XH105", "XH401"]\n')
    (tmp_path / "app.py").write_text(SOURCE)
    return tmp_path


def summary(diagnostics: list[types.Diagnostic]) -> list[tuple[Any, int, int, Any]]:
    return [(d.code, d.range.start.line, d.range.start.character, d.severity) for d in diagnostics]


def test_diagnostics_code_actions_fix_all_and_noqa(project: Path) -> None:
    uri = (project / "app.py").as_uri()

    async def scenario(session: Session) -> None:
        diagnostics = await session.diagnostics(open_doc(session, uri, SOURCE))
        assert summary(diagnostics) == [
            ("XH105", 8, 4, types.DiagnosticSeverity.Information),
            ("XH101", 12, 4, types.DiagnosticSeverity.Warning),
            ("XH401", 13, 40, types.DiagnosticSeverity.Error),
        ]
        assert all(d.source == "errlint" for d in diagnostics)
        assert diagnostics[1].code_description is not None
        assert diagnostics[1].code_description.href == "https://errlint.readthedocs.io/en/latest/rules/XH101/"

        # Quick fixes on the bare except: the unsafe fix is labelled and not preferred; noqa too.
        actions = await session.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(start=types.Position(line=12, character=0), end=types.Position(line=12, character=0)),
                context=types.CodeActionContext(diagnostics=[diagnostics[1]]),
            )
        )
        assert actions is not None
        quick = {a.title: a for a in actions if isinstance(a, types.CodeAction) and a.kind == types.CodeActionKind.QuickFix}
        assert sorted(quick) == [
            "Disable XH101 for this line",
            "XH101: Replace `except:` with `except Exception:` (unsafe)",
        ]
        unsafe = quick["XH101: Replace `except:` with `except Exception:` (unsafe)"]
        assert unsafe.is_preferred is False and unsafe.edit is not None
        assert "    except Exception:\n" in apply(SOURCE, unsafe.edit, uri)
        noqa = quick["Disable XH101 for this line"]
        assert noqa.edit is not None
        silenced = apply(SOURCE, noqa.edit, uri)
        assert "    except:  # noqa: XH101\n" in silenced

        # Fix all: only the safe fix (XH105) is applied.
        fix_all = [a for a in actions if isinstance(a, types.CodeAction) and a.kind == "source.fixAll.errlint"]
        assert [a.title for a in fix_all] == ["errlint: fix all safe fixes"]
        assert fix_all[0].edit is not None
        fixed = apply(SOURCE, fix_all[0].edit, uri)
        assert "except ConnectionError" not in fixed and "    except:\n" in fixed

        # Edit the document: diagnostics follow the new text.
        diagnostics = await session.diagnostics(change_doc(session, uri, silenced, 2))
        assert [d.code for d in diagnostics] == ["XH105", "XH401"]

        # A burst of edits is linted once, for the last version.
        session.versions.clear()

        def burst() -> None:
            for version in range(3, 8):
                change_doc(session, uri, SOURCE.replace("connect()", f"connect({version})"), version)()

        diagnostics = await session.diagnostics(burst)
        assert session.versions == [7]
        assert [d.code for d in diagnostics] == ["XH105", "XH101", "XH401"]

    run(project, scenario)


def test_config_error_is_one_diagnostic_and_reload(project: Path) -> None:
    uri = (project / "app.py").as_uri()
    config = project / "pyproject.toml"

    async def scenario(session: Session) -> None:
        config.write_text('[tool.errlint]\nselectt = ["XH101"]\n')
        diagnostics = await session.diagnostics(open_doc(session, uri, SOURCE))
        assert len(diagnostics) == 1
        assert diagnostics[0].severity == types.DiagnosticSeverity.Error
        assert diagnostics[0].message == (
            f"errlint configuration error: {config}: selectt: unknown key 'selectt' (did you mean 'select'?)"
        )
        # Fix the configuration and save it: the server re-reads it and lints again.
        config.write_text('[tool.errlint]\nselect = ["XH101"]\n')

        def saved() -> None:
            session.client.text_document_did_save(
                types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=config.as_uri()))
            )

        diagnostics = await session.diagnostics(saved)
        assert [d.code for d in diagnostics] == ["XH101"]
        # A watched-file change and the reload command work the same way.
        config.write_text('[tool.errlint]\nselect = ["XH105"]\n')

        def reload() -> None:
            session.client.workspace_execute_command(
                types.ExecuteCommandParams(command="errlint.reloadConfiguration", arguments=[])
            )

        diagnostics = await session.diagnostics(reload)
        assert [d.code for d in diagnostics] == ["XH105"]

    run(project, scenario)


def test_a_2000_line_file_edited_repeatedly() -> None:
    """The benchmark's scenario with a few edits: every version gets its diagnostics (the latency
    is printed by benchmarks/lsp_latency.py, never asserted)."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "lsp_latency.py"
    spec = importlib.util.spec_from_file_location("lsp_latency", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = asyncio.run(bench.measure(2000, 3))
    assert result["lines"] >= 2000
    assert set(result) == {"lines", "open_ms", "median_ms", "p90_ms", "max_ms"}
    assert 0 < result["median_ms"] <= result["max_ms"]
