"""`errlint check --shard K/N` and `errlint merge`: the union of the shards, merged, is the
unsharded run byte for byte (JSON, SARIF, GitLab, concise), through the real command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from errlint.shard import Shard
from test_cli import run

BARE = "try:\n    connect()\nexcept:\n    retry()\n"
SWALLOW = "def f():\n    try:\n        g()\n    except Exception:\n        pass\n"
LOGGED = (
    "import logging\n\n\ndef f():\n    try:\n        g()\n    except Exception as e:\n"
    '        logging.error("failed: %s", e)\n'
)
UNKNOWN = "def f():\n    try:\n        g()\n    except ValueError:\n        raise RuntimeError('bad')\n"

# A small mixed project: findings of several rules (with and without fixes, critical ones), clean
# files, a file that does not parse, a path with a space and a non-ASCII name, nested packages.
PROJECT = {
    "pyproject.toml": '[tool.errlint]\npreview = true\ncritical-paths = ["app/payments/*"]\n',
    "app/__init__.py": "",
    "app/payments/charge.py": BARE + SWALLOW,
    "app/payments/refund.py": LOGGED,
    "app/views.py": UNKNOWN + BARE,
    "app/dir one/vüe.py": SWALLOW,
    "lib/clean.py": "x = 1\n",
    "lib/broken.py": "def f(:\n",
    "lib/util.py": LOGGED + UNKNOWN,
    "scripts/run.py": BARE,
    "tests/test_x.py": SWALLOW + BARE,
}
FILES = sorted(p for p in PROJECT if p.endswith(".py"))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    for name, text in PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def check(*args: str) -> tuple[int, str, str]:
    return run("check", "--no-cache", "--select", "XH", *args)


def test_shards_partition_the_files(project: Path) -> None:
    shown = []
    for k in (1, 2, 3):
        code, out, err = check("--shard", f"{k}/3", "--show-files")
        assert (code, err) == (0, "")
        assert out.splitlines() == [f for f in FILES if Shard(k, 3).owns(f)]
        shown.append(out.splitlines())
    assert sorted(f for part in shown for f in part) == FILES
    assert all(shown), "every shard of this project has files (else the merge test proves little)"


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_merged_shards_equal_the_unsharded_run(project: Path, fmt: str) -> None:
    code, _, _ = check("--format", fmt, "-o", f"all.{fmt}", ".")
    assert code == 1
    reports = []
    for k in (1, 2, 3):
        code, out, _ = check("--shard", f"{k}/3", "--format", fmt, "-o", f"shard-{k}.{fmt}")
        assert (code, out) == (1, "")  # every shard of this project has findings
        reports.append(f"shard-{k}.{fmt}")
    whole = (project / f"all.{fmt}").read_bytes()
    assert whole.count(b"XH101") > 3 and "vüe.py".encode() in whole or "v%C3%BCe.py".encode() in whole
    for k, name in enumerate(reports, 1):
        assert (project / name).read_bytes() != whole, f"shard {k} alone is not the whole run"
    for out_fmt in ("json", "sarif", "gitlab", "concise"):
        expected = check("--format", out_fmt, ".")[1]
        code, merged, err = run("merge", *reports, "--format", out_fmt)
        assert (code, err) == (1, "")
        assert merged == expected, f"merge of {fmt} shards as {out_fmt}"
    # In any order, and with a report given twice: the same bytes.
    code, _, _ = run("merge", *reversed(reports), reports[0], "--format", fmt, "-o", f"merged.{fmt}")
    assert code == 1
    assert (project / f"merged.{fmt}").read_bytes() == whole


def test_text_summary_counts_reports_not_files(project: Path) -> None:
    for k in (1, 2):
        check("--shard", f"{k}/2", "--format", "json", "-o", f"s{k}.json")
    code, out, _ = run("merge", "s1.json", "s2.json", "--no-color")
    assert code == 1
    whole = check("--no-color")[1]
    assert "; 10 files checked.\n" in whole
    assert out == whole.replace("; 10 files checked.", "; 2 reports merged.")
    assert "Found 12 findings (5 errors, 6 warnings, 1 info) in 7 files; 2 reports merged.\n" in out


def test_fix_in_a_shard_edits_only_its_files(project: Path) -> None:
    before = {f: (project / f).read_text(encoding="utf-8") for f in FILES}
    code, _, _ = check("--shard", "2/3", "--fix", "--unsafe-fixes", "-q")
    assert code == 1
    changed = sorted(f for f in FILES if (project / f).read_text(encoding="utf-8") != before[f])
    assert changed and all(Shard(2, 3).owns(f) for f in changed)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--shard", "0/3"), "--shard 0/3: K must be between 1 and N (N >= 1)"),
        (("--shard", "3"), "--shard expects K/N (for example 2/4), got '3'"),
        (("--shard", "1/2", "-"), "--shard cannot be used with `-` (standard input): there is one file, nothing to partition"),
        (
            ("--shard", "1/2", "--write-baseline", "b.json"),
            "--shard cannot be combined with --write-baseline: a shard's baseline would miss the other shards' "
            "findings; write the baseline in one run without --shard",
        ),
    ],
)
def test_bad_shard_use_is_one_line_exit_2(project: Path, args: tuple[str, ...], message: str) -> None:
    code, out, err = run("check", *args)
    assert (code, out, err) == (2, "", f"errlint: error: {message}\n")
    assert not (project / "b.json").exists()


def test_a_shard_without_files_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text("x = 1\n")
    empty = next(k for k in (1, 2, 3) if not Shard(k, 3).owns("a.py"))
    assert check("--shard", f"{empty}/3") == (
        0,
        "All checks passed (0 files checked).\n",
        f"errlint: no Python files found in . for shard {empty}/3 (the other shards have them): nothing to check\n",
    )
    (tmp_path / "a.py").unlink()
    assert check("--shard", f"{empty}/3")[2] == "errlint: no Python files found in .: nothing to check\n"


def test_merge_statistics_and_junit(project: Path) -> None:
    for k in (1, 2):
        check("--shard", f"{k}/2", "--format", "json", "-o", f"s{k}.json")
    assert run("merge", "s1.json", "s2.json", "--statistics", "--format", "json") == (
        1,
        check("--statistics", "--format", "json")[1],
        "",
    )
    code, out, _ = run("merge", "s1.json", "s2.json", "--format", "junit")
    whole = check("--format", "junit")[1]
    assert code == 1
    assert '<property name="files" value="10" />' in whole
    assert out == whole.replace('<property name="files" value="10" />', '<property name="merged-reports" value="2" />')
