"""The run survives any one file: a worker that dies costs only its file an XH000 (exit code 2),
the worker is replaced and every other file is reported; size and memory limits make a runaway
file an XH000, never an out-of-memory kill."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import libcst as cst
import pytest
from click.testing import CliRunner

import errlint.workers
from errlint.cli import main
from errlint.rule import rule_by_code

BARE_SOURCE = "try:\n    pass\nexcept:\n    retry()\n"
BARE = "XH101 [warning] Bare `except:` also catches `KeyboardInterrupt` and `SystemExit`; name the exceptions you expect [~]"
# Inside a `try` a rule can report in: a file no rule can fire in is not parsed with libcst at all.
AND_CHAIN = "try:\n    x = " + " and ".join(f"a{i}" for i in range(8000)) + "\nexcept:  # noqa: E722\n    cleanup()\n"
FSTRING = "x = f'{" + "(" * 1500 + "1" + ")" * 1500 + "}'\n"
SEGV = (
    "XH000 [error] errlint could not analyse this file: the worker process was killed by SIGSEGV "
    "(a stack overflow in the parser, most likely)"
)
SEGV_ERR = "errlint: error: errlint crashed on {}: the worker process was killed by SIGSEGV (a stack overflow in the parser, most likely)\n"
REPORT_HINT = "errlint: re-run with --debug for tracebacks, and please report the crash.\n"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def run(cwd: Path, *args: str, select: str = "XH101") -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(
            main, ["check", "--no-cache", "--format", "concise", "-q", "--select", select, *args], catch_exceptions=False
        )
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def project(tmp_path: Path, files: dict[str, str], limits: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[tool.errlint]\n{limits}", encoding="utf-8")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_deep_valid_code_is_analysed_in_a_real_process(tmp_path: Path, jobs: str) -> None:
    """Before: -j 1 exit 139 with no output, -j 2 BrokenProcessPool. The big worker stack parses them."""
    project(tmp_path, {"chain.py": AND_CHAIN, "fstring.py": FSTRING, "good.py": BARE_SOURCE})
    proc = subprocess.run(
        [sys.executable, "-m", "errlint", "check", "--no-cache", "--format", "concise", "-q", "--select", "XH", "--preview", "-j", jobs],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (proc.returncode, proc.stderr) == (1, "")
    assert proc.stdout.splitlines()[0] == f"good.py:3:1: {BARE}"
    assert "chain.py" not in proc.stdout and "fstring.py" not in proc.stdout


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_worker_killed_by_the_parser_costs_only_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    """With the stack the main thread has (here smaller still), libcst's parser overflows it: SIGSEGV."""
    monkeypatch.setattr(errlint.workers, "STACK_SIZE", 512 * 1024)
    files = {"a_chain.py": AND_CHAIN, "b_fstring.py": FSTRING}
    files.update({f"good{i}.py": BARE_SOURCE for i in range(5)})
    project(tmp_path, files)
    code, out, err = run(tmp_path, "-j", jobs)
    assert code == 2
    assert out.splitlines() == [
        f"a_chain.py:1:1: {SEGV}",
        f"b_fstring.py:1:1: {SEGV}",
        *(f"good{i}.py:3:1: {BARE}" for i in range(5)),
    ]
    assert err == SEGV_ERR.format("a_chain.py") + SEGV_ERR.format("b_fstring.py") + REPORT_HINT


def test_a_worker_that_exits_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rule = rule_by_code("XH101")
    assert rule is not None
    original = rule.visit_ExceptHandler  # type: ignore[attr-defined]

    def visit(self: Any, node: cst.ExceptHandler) -> None:
        if self.context.path.startswith("exit"):
            os._exit(3)
        original(self, node)

    monkeypatch.setattr(rule, "visit_ExceptHandler", visit)
    project(tmp_path, {"exit1.py": BARE_SOURCE, "exit2.py": BARE_SOURCE, "fine.py": BARE_SOURCE})
    code, out, err = run(tmp_path, "-j", "1")
    assert code == 2
    died = "XH000 [error] errlint could not analyse this file: the worker process exited with status 3"
    assert out == f"exit1.py:1:1: {died}\nexit2.py:1:1: {died}\nfine.py:3:1: {BARE}\n"
    assert err.count("errlint: error: errlint crashed on exit") == 2


def test_file_over_the_size_limit_is_xh000(tmp_path: Path) -> None:
    project(
        tmp_path,
        {"big.py": "x = 1\n" * 200 + BARE_SOURCE, "small.py": BARE_SOURCE},
        "[tool.errlint.limits]\nmax-file-bytes = 1000\n",
    )
    code, out, err = run(tmp_path)
    assert (code, err) == (1, "")
    assert out == (
        "big.py:1:1: XH000 [error] file too large to analyse (1,234 bytes; the limit is 1,000, `limits.max-file-bytes`)\n"
        f"small.py:3:1: {BARE}\n"
    )


def test_line_over_the_length_limit_is_xh000_at_that_line(tmp_path: Path) -> None:
    project(
        tmp_path,
        {"wide.py": "x = 1\ny = '" + "z" * 300 + "'\n" + BARE_SOURCE},
        "[tool.errlint.limits]\nmax-line-bytes = 200\n",
    )
    code, out, err = run(tmp_path)
    assert (code, err) == (1, "")
    assert out == "wide.py:2:1: XH000 [error] line too long to analyse (306 bytes; the limit is 200, `limits.max-line-bytes`)\n"


def test_default_limits_never_trigger_on_a_large_real_file(tmp_path: Path) -> None:
    body = "".join(f"value_{i} = '{i:0>60}'\n" for i in range(20_000))  # 1.6 MB, like a big generated module
    project(tmp_path, {"gen.py": body + BARE_SOURCE})
    assert run(tmp_path) == (1, f"gen.py:20003:1: {BARE}\n", "")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced on Linux")
def test_memory_ceiling_makes_a_runaway_file_an_xh000(tmp_path: Path) -> None:
    rows = "".join(f"v{i} = [{', '.join(str(j) for j in range(40))}]\n" for i in range(12000))  # 1.8 MB of lists
    rows = "try:\n    import x\nexcept ImportError:\n    x = None\n" + rows  # parsed: a rule can fire in a `try`
    project(tmp_path, {"huge.py": rows, "small.py": BARE_SOURCE}, "[tool.errlint.limits]\nworker-memory-mb = 64\n")
    code, out, _ = run(tmp_path, "-j", "1")  # a MemoryError in Python, or libcst's allocator aborting
    assert (code, out) == (
        1,
        "huge.py:1:1: XH000 [error] errlint could not analyse this file: it needs more memory than a worker may "
        f"use (`limits.worker-memory-mb`)\nsmall.py:3:1: {BARE}\n",
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("max-file-bytes = 0", "expected a positive integer, got an integer (0)"),
        ("worker-memory-mb = -1", "expected a positive integer, got an integer (-1)"),
        ("max-line-bytes = true", "expected a positive integer, got a boolean (True)"),
    ],
)
def test_bad_limit_is_one_line_exit_2(tmp_path: Path, table: str, message: str) -> None:
    project(tmp_path, {"ok.py": "x = 1\n"}, f"[tool.errlint.limits]\n{table}\n")
    code, out, err = run(tmp_path)
    key = table.split(" ")[0]
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and f"limits.{key}" in err and message in err
