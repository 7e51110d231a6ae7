"""Latency of `errlint server` on a 2,000-line file edited repeatedly, through a real LSP client.

    python benchmarks/lsp_latency.py [--lines 2000] [--edits 20]

Opens a generated file of about LINES lines (functions with handlers, some with findings), then
sends EDITS full-document changes (one line changed each time) and measures, for each, the time
from `didChange` to the `publishDiagnostics` for that version. Prints the open time and the
median, 90th percentile and maximum edit latency in milliseconds. Reported, never asserted: it
depends on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

BLOCK = '''\
def handler_{n}(request, log):
    try:
        value = load(request, {n})
    except KeyError:
        log.error("missing key %s", request.id)
        return None
    except:
        raise
    return value

'''


def document(lines: int) -> str:
    blocks = []
    n = 0
    while sum(b.count("\n") for b in blocks) < lines:
        blocks.append(BLOCK.format(n=n))
        n += 1
    return "import logging\n\n" + "".join(blocks)


async def measure(lines: int, edits: int) -> dict[str, float]:
    client = LanguageClient("errlint-bench", "1")
    versions: dict[int, float] = {}
    waiting: dict[int, asyncio.Future[float]] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        version = params.version or 0
        future = waiting.get(version)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text("[tool.errlint]\n")
        uri = (root / "big.py").as_uri()
        text = document(lines)
        await client.start_io(sys.executable, "-m", "errlint", "server", cwd=folder)
        await client.initialize_async(
            types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=root.as_uri(), process_id=None)
        )
        client.initialized(types.InitializedParams())
        loop = asyncio.get_running_loop()
        waiting[1] = loop.create_future()
        start = time.perf_counter()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
            )
        )
        opened = (await asyncio.wait_for(waiting[1], 120)) - start
        latencies = []
        for index in range(edits):
            version = index + 2
            text = text.replace(f"load(request, {index})", f"load(request, {index}, retry=True)", 1)
            waiting[version] = loop.create_future()
            versions[version] = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )
            done = await asyncio.wait_for(waiting[version], 120)
            latencies.append(done - versions[version])
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    ordered = sorted(latencies)
    return {
        "lines": float(text.count("\n")),
        "open_ms": opened * 1000,
        "median_ms": statistics.median(ordered) * 1000,
        "p90_ms": ordered[max(0, int(len(ordered) * 0.9) - 1)] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    result = asyncio.run(measure(args.lines, args.edits))
    print(
        f"{int(result['lines'])} lines: open {result['open_ms']:.0f} ms; "
        f"{args.edits} edits: median {result['median_ms']:.0f} ms, p90 {result['p90_ms']:.0f} ms, "
        f"max {result['max_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
