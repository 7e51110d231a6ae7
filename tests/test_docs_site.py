"""The documentation site: `mkdocs build --strict` passes, every finding's `url` (and SARIF
`helpUri`) is a page the build produces, and no page links to files a user does not have."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from errlint.finding import DOCS_URL, Finding, Impact, Severity
from errlint.rule import all_rules

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LINK_RE = re.compile(r"\]\(([^)\s]+)\)")


def _site_url() -> str:
    match = re.search(r"^site_url:\s*(\S+)\s*$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    assert match is not None
    return match.group(1)


def test_finding_urls_live_under_the_site_url() -> None:
    site = _site_url()
    assert DOCS_URL.startswith(site), (DOCS_URL, site)
    assert DOCS_URL[len(site) :] == "rules/{code}/"  # use_directory_urls: rules/XH101.md -> rules/XH101/
    assert re.search(r"^use_directory_urls:\s*true\s*$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    for rule in all_rules():
        assert (DOCS / "rules" / f"{rule.CODE}.md").is_file(), rule.CODE


def test_docs_never_point_at_files_users_do_not_have() -> None:
    pages = sorted(DOCS.rglob("*.md"))
    assert len(pages) > 30
    problems = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for bad in ("../shared", "RULES.md", "PERF.md", "STYLE.md"):
            if bad in text:
                problems.append(f"{page.relative_to(ROOT)}: mentions {bad}")
        for target in LINK_RE.findall(text):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#", 1)[0]).resolve()
            if DOCS.resolve() not in path.parents or not path.exists():
                problems.append(f"{page.relative_to(ROOT)}: link to {target} leaves the site or is missing")
    assert problems == []


@pytest.mark.slow
def test_mkdocs_strict_build_has_a_page_for_every_finding_url(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    base = _site_url()
    for rule in all_rules():
        finding = Finding(rule.CODE, rule.NAME, "m", Severity.INFO, Impact.CRASH, "a.py", 1, 1, 1, 2)
        page = site / finding.url[len(base) :] / "index.html"
        assert page.is_file(), finding.url
        assert rule.CODE in page.read_text(encoding="utf-8")
