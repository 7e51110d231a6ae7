"""Choose what a review sends, and build the requests (no network).

Selection: rank the findings (critical first, then severity, then position), leave out what
`--since`/`--baseline`, a dismissal, `exclude-from-ai` or `# errlint: no-ai` leave out (an
opt-out still counts for the gate), cap at `--max-findings`; group the findings of one function
into one request; redact each file once; build the context, the user block (nonce only there),
the cache key and the system prompt (the cached prefix, sized by how many requests go out).
`Preparer` is the part of `errlint.review.runner.Reviewer` that does this.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

from errlint.engine import module_name_for
from errlint.finding import Finding
from errlint.review import prompt
from errlint.review.cache import ReviewCache, cache_key
from errlint.review.context import CodeContext, FileShape, analyse, build_context
from errlint.review.dismissals import Dismissals
from errlint.review.model import ReviewItem, ReviewRun, Status
from errlint.review.redact import PLACEHOLDER_RE, Policy, Redacted, Redactor, redact_source, redact_text
from errlint.review.rulecontext import rule_text, rules_context
from errlint.review.settings import CONTEXT_LINES, MAX_INPUT_TOKENS_PER_REQUEST, WINDOW_LINES, ReviewSettings
from errlint.rule import rule_by_code
from errlint.source import split_lines

# A function whose request (without the cached prefix) would exceed this is sent as a window.
WINDOW_TRIGGER_TOKENS = 8_000
MAX_FINDINGS_PER_REQUEST = 8  # findings of one function sent in one request
NO_AI_RE = re.compile(r"#[ \t]*errlint:[ \t]*no-ai\b")


@dataclass
class SourceFile:
    """One linted file: its display path, real text and static findings."""

    path: str
    text: str
    findings: list[Finding]
    redacted: Optional[Redacted] = None
    _shape: Optional[FileShape] = None
    _analysed: bool = False

    policy: Optional[Policy] = None

    def redact(self) -> Redacted:
        if self.redacted is None:
            self.redacted = redact_source(self.text, self.policy)
        return self.redacted

    def shape(self) -> Optional[FileShape]:
        """The redacted file's functions, statements and imports (computed once)."""
        if not self._analysed:
            self._shape = analyse(self.redact().text)
            self._analysed = True
        return self._shape


@dataclass
class Prepared:
    item: ReviewItem
    source: SourceFile
    context: CodeContext
    message: str
    user_text: str = ""
    # One request per code block: the leader carries the findings of its function (itself
    # included); the others point to it and are answered by its request.
    members: list[Prepared] = field(default_factory=list)
    leader: Optional[Prepared] = None


@dataclass
class ReviewOptions:
    dry_run: bool = False
    include_all: bool = False
    nonce: Optional[str] = None
    # --since/--baseline: why a finding is left out ("" keeps it); see errlint.review.scope
    skip: Optional[Callable[[Finding], str]] = None



class Preparer:
    """Selection and request building; mixed into `Reviewer`, whose fields these are."""

    settings: ReviewSettings
    cache: ReviewCache
    policy: Policy
    dismissals: Optional[Dismissals]
    _paths: Optional[Redactor]
    _system: str

    def _excluded(self, source: SourceFile) -> Optional[str]:
        rel = source.path.replace("\\", "/")
        candidates = {rel, rel[2:] if rel.startswith("./") else rel}
        try:
            candidates.add(os.path.relpath(os.path.abspath(source.path), os.path.abspath(self.settings.root)).replace("\\", "/"))
        except ValueError:
            pass  # another drive on Windows: the display path is enough
        base = rel.rsplit("/", 1)[-1]
        for pattern in self.settings.exclude_from_ai:
            for path in candidates:
                if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(base, pattern):
                    return f"matches exclude-from-ai pattern {pattern!r}"
                if path.startswith(pattern.rstrip("/") + "/"):
                    return f"under exclude-from-ai path {pattern!r}"
        if NO_AI_RE.search(source.text):
            return "the file is marked `# errlint: no-ai`"
        return None

    def _select(self, files: Sequence[SourceFile], options: ReviewOptions, run: ReviewRun) -> list[Prepared]:
        eligible: list[tuple[ReviewItem, SourceFile]] = []
        for source in files:
            reason = self._excluded(source)
            for finding in source.findings:
                item = ReviewItem(finding, prompt.finding_id(finding, self._sent_path(finding.path)))
                run.items.append(item)
                if finding.code == "XH000":
                    item.reason = "the file cannot be parsed: nothing to review"
                    continue
                dismissal = self.dismissals.get(finding) if self.dismissals is not None else None
                if dismissal is not None:
                    item.status, item.reason = Status.DISMISSED, f"dismissed by a human: {dismissal.reason}"
                    item.dismissal = dismissal.reason
                    continue
                skipped = options.skip(finding) if options.skip is not None else ""
                if skipped:
                    item.reason = skipped
                    continue
                if reason:
                    item.status, item.reason = Status.EXCLUDED, reason
                eligible.append((item, source))  # excluded ones are ranked too: see below
        has_critical = any(item.finding.critical for item, _ in eligible if item.status is not Status.EXCLUDED)
        ranked = sorted(
            eligible,
            key=lambda p: (
                not p[0].finding.critical,
                -p[0].finding.severity.rank,
                p[0].finding.path,
                p[0].finding.line,
                p[0].finding.column,
                p[0].finding.code,
            ),
        )
        chosen: list[tuple[ReviewItem, SourceFile]] = []
        taken = 0
        for item, source in ranked:
            excluded = item.status is Status.EXCLUDED
            if has_critical and not item.finding.critical and not options.include_all:
                if not excluded:
                    item.reason = "not on a business-critical path (--all includes it)"
            elif taken >= self.settings.max_findings:
                if not excluded:
                    item.reason = f"beyond --max-findings ({self.settings.max_findings})"
            elif excluded:
                # It would have been sent: an opt-out skips sending, never the static finding.
                item.opted_out = True
                taken += 1
            else:
                chosen.append((item, source))
                taken += 1
        prepared = []
        for item, source in chosen:
            source.policy = self.policy
            shape = source.shape()
            if shape is None:
                item.status, item.reason = Status.EXCLUDED, "the file does not parse"
                continue
            context = build_context(
                shape, item.finding, context_lines=CONTEXT_LINES, window=WINDOW_LINES, lines=split_lines(source.redact().text)
            )
            message = redact_text(item.finding.message, source.redact(), self.policy)
            prepared.append(Prepared(item, source, context, message))
        groups: dict[tuple[str, int, int], Prepared] = {}
        for p in prepared:
            key = (p.source.path, p.context.start, p.context.end)
            leader = groups.get(key) if p.context.kind == "function" else None
            if leader is not None and len(leader.members) < MAX_FINDINGS_PER_REQUEST:
                p.leader = leader
                leader.members.append(p)
            else:
                p.members = [p]
                groups[key] = p
        return prepared

    def _user_text(self, p: Prepared, nonce: str) -> str:
        """The user block of a leader: every finding of its group, one code block."""
        titles = {}
        for m in p.members:
            rule = rule_by_code(m.item.finding.code)
            titles[m.item.finding.code] = rule.NAME if rule is not None else m.item.finding.name
        lines = split_lines(p.source.redact().text)
        path = self._sent_path(p.source.path)
        scope = p.item.finding.scope
        local_module = module_name_for(p.item.finding.path)
        sent_module = module_name_for(path)
        if scope and local_module and scope.startswith(local_module):
            scope = sent_module + scope[len(local_module) :]  # no directory of this machine
        elif scope and sent_module and scope.startswith(sent_module + "."):
            pass  # named from the project's configuration folder already (as sent)
        elif os.path.isabs(p.item.finding.path):
            scope = ""  # cannot tell the project's part from this machine's: the function name is sent
        scope = self._scrub_path(scope) if scope else scope
        entries = [(m.item.finding, m.item.id, m.message, m.context.region) for m in p.members]
        return prompt.user_block(entries, titles, p.context, lines, nonce, path, scope)

    def _sent_path(self, path: str) -> str:
        """The path as sent: relative to the project, never an absolute path of this machine,
        and redacted (`users/jane.doe@corp.io/app.py` -> `users/[redacted-email-1]/app.py`)."""
        posix = path.replace("\\", "/")
        if os.path.isabs(path):
            try:
                rel = os.path.relpath(path, os.path.abspath(self.settings.root))
            except ValueError:
                rel = ".."  # another drive on Windows
            posix = rel.replace("\\", "/") if not rel.startswith("..") else "/".join(posix.rsplit("/", 3)[-3:])
        return self._scrub_path(posix)

    def _scrub_path(self, text: str) -> str:
        if self._paths is None:
            self._paths = Redactor(policy=self.policy)
        scrubbed = self._paths.scrub(text)
        # `[redacted-email-1]`: no `<` or `"` (the path sits in tag attributes), never restored
        return PLACEHOLDER_RE.sub(lambda m: f"[redacted-{m.group(1)}-{m.group(2)}]", scrubbed)

    def _build_requests(self, prepared: list[Prepared], options: ReviewOptions, run: ReviewRun) -> None:
        followers = [p for p in prepared if p.leader is not None]
        prepared = [p for p in prepared if p.leader is None]
        for p in prepared:
            p.user_text = self._user_text(p, "NONCE")
        nonce = prompt.choose_nonce([p.user_text for p in prepared], options.nonce)
        run.nonce = nonce
        # First the user blocks and the cache keys (which do not depend on the padding of the
        # cached prefix), then the system prompt, sized by how many requests will really go out.
        for p in prepared:
            item = p.item
            item.status = Status.WOULD_SEND
            body = self._body(p, nonce)
            estimate = prompt.estimate_tokens(body)
            shape = p.source.shape()
            if estimate > WINDOW_TRIGGER_TOKENS and p.context.kind == "function" and shape is not None and len(p.members) == 1:
                p.context = build_context(
                    shape, item.finding, context_lines=CONTEXT_LINES, window=WINDOW_LINES, force_window=True,
                    lines=split_lines(p.source.redact().text),
                )  # fmt: skip
                body = self._body(p, nonce)
            item.redactions = p.source.redact().counts_in(p.user_text)
            lines = split_lines(p.source.redact().text)
            sent = "\n".join((p.context.code_text(lines), p.context.imports_text(lines), p.context.names_text(lines), p.message))
            item.injection_heuristic = prompt.looks_like_injection(sent)
            item.cache_key = cache_key(
                self.settings.model, prompt.PROMPT_VERSION,
                prompt.normalised_for_cache(body, nonce, rule_text(item.finding.code)),
            )  # fmt: skip
        sending = sum(1 for p in prepared if not self.cache.contains(p.item.cache_key))
        base = len(prompt.wire_bytes({"tools": [prompt.REVIEW_TOOL]})) + len(prompt.SYSTEM_PROMPT)
        codes = [p.item.finding.code for p in prepared]
        self._system = prompt.system_text(rules_context(codes, self.settings.model, sending, base))
        for p in prepared:
            item = p.item
            body = self._body(p, nonce)
            estimate = prompt.estimate_tokens(body)
            item.body, item.estimated_input_tokens = body, estimate
            if estimate > MAX_INPUT_TOKENS_PER_REQUEST:
                item.status = Status.TOO_LARGE
                item.reason = f"about {estimate:,} input tokens; the limit per request is {MAX_INPUT_TOKENS_PER_REQUEST:,}"
        for f in followers:
            leader = f.leader
            assert leader is not None
            f.user_text = leader.user_text
            f.item.status, f.item.reason = leader.item.status, leader.item.reason
            f.item.cache_key = leader.item.cache_key
            f.item.injection_heuristic = leader.item.injection_heuristic
            f.item.redactions = leader.item.redactions
            if f.item.status is Status.WOULD_SEND:
                f.item.reason = f"sent in the request of {leader.item.id}"

    def _body(self, p: Prepared, nonce: str) -> dict[str, Any]:
        p.user_text = self._user_text(p, nonce)
        return prompt.build_body(self.settings.model, self.settings.max_tokens, p.user_text, self._system)

    # --- sending ---------------------------------------------------------------------------

