"""Deep but valid expressions: the shared analyses walk chains in loops (no RecursionError in any
rule, even in-process at Python's default recursion limit), and workers lint deeper code still."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from click.testing import CliRunner

from errlint.cli import main
from errlint.config import Config
from errlint.engine import lint_text
from errlint.rule import all_rules

RULES = [r for r in all_rules() if r.CODE != "XH000"]
N = 1000
CHAIN = " + ".join(f"str(a{i})" for i in range(N))
PROGRAM = f'''import logging
logger = logging.getLogger(__name__)


def login(user, password, items):
    try:
        connect(user)
    except Exception as exc:
        logger.error("login failed: " + {CHAIN} + password)
        raise ValueError("bad login " + {CHAIN} + password) from exc


def report():
    try:
        connect()
    except OSError as err:
        logger.error(err{"[0]" * N})
        logger.error("failed: " + {" + ".join(["str(err)"] * N)})
        logger.error(" or ".join([{" or ".join(f"a{i}" for i in range(N))}]))
        logger.error({" + ".join(["'failed '"] * N)} + str(err))
'''


def test_thousand_term_chains_are_analysed_in_process() -> None:
    """Before: RecursionError in XH301, XH303, XH401, XH402, XH403, XH502 (`rule ... crashed`)."""
    assert sys.getrecursionlimit() <= 1000 + 100  # pytest's own default, not raised for this test
    result = lint_text(PROGRAM, "m.py", Config(preview=True), RULES)
    assert [(c.rule, c.error) for c in result.crashes] == []
    column = PROGRAM.splitlines()[8].index("password)") + 1
    assert sorted((f.code, f.line, f.column) for f in result.findings) == [
        ("XH301", 9, 22),
        ("XH301", 18, 22),
        ("XH301", 20, 22),
        ("XH302", 17, 9),
        ("XH302", 18, 9),
        ("XH302", 20, 9),
        ("XH303", 17, 22),
        ("XH401", 9, column),
        ("XH402", 10, column),
        ("XH502", 18, 22),
    ]


def run(cwd: Path, *args: str) -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(
            main, ["check", "--isolated", "--no-cache", "--preview", "--format", "concise", "-q", *args],
            catch_exceptions=False,
        )  # fmt: skip
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def test_deeper_code_is_analysed_in_a_worker(tmp_path: Path) -> None:
    """libcst's code generation recurses per operand (XH301/XH502 render f-string parts; XH404
    follows responses): the worker's stack and recursion limit hold where the defaults do not."""
    (tmp_path / "fstr.py").write_text(
        "import logging\nlogger = logging.getLogger(__name__)\n\n\ndef f(a0):\n    try:\n        pass\n"
        f"    except Exception as exc:\n        logger.error(f'{{{CHAIN}}}')\n        raise\n",
        encoding="utf-8",
    )
    (tmp_path / "view.py").write_text(
        "from django.http import JsonResponse\n\n\ndef view(request):\n    try:\n        pass\n"
        f"    except Exception as exc:\n        return JsonResponse({{'error': {CHAIN} + str(exc)}}, status=500)\n",
        encoding="utf-8",
    )
    elifs = "".join(f"        elif x == {i}:\n            y = {i}\n" for i in range(1, 2000))
    (tmp_path / "elif.py").write_text(
        "import logging\nlogger = logging.getLogger(__name__)\n\n\ndef f(x):\n    try:\n        pass\n"
        f"    except Exception as exc:\n        if x == 0:\n            logger.error('a %s', exc)\n{elifs}",
        encoding="utf-8",
    )
    code, out, err = run(tmp_path, "--select", "XH3,XH4,XH5,XH102", "-j", "1")
    assert (code, err) == (1, "")
    # Codes and positions (the rules' wording is theirs to change).
    assert [" ".join(line.split(" ")[:2]) for line in out.splitlines()] == [
        "elif.py:8:5: XH102",  # XH302 stands aside where XH102 reports the handler: one problem, one finding
        "fstr.py:9:22: XH301",
        "view.py:8:11929: XH404",  # at `str(exc)`, after the 1,000 operands
    ]
