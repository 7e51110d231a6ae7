"""Write a fixed file back without ever losing a byte.

`replace_file` writes the new bytes to a temporary file in the same folder, flushes and fsyncs it,
gives it the original's mode (and owner, where the process may), checks that the file still holds
exactly the bytes errlint read (an edit made meanwhile is never overwritten), and only then renames
it over the original with `os.replace` (atomic on POSIX and Windows). On any error the original is
untouched, the temporary file is removed, and a `WriteError` says why in one line.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Callable, Generic, Optional, Protocol, Sequence, TypeVar

from errlint.fixes import Linted, fix_text
from errlint.source import UnreadableSource, decode_with_format


class LintedSource(Linted, Protocol):
    """A lint result that kept the text it linted (`FileResult` with `keep_source=True`)."""

    @property
    def source(self) -> Optional[str]: ...


S = TypeVar("S", bound=LintedSource)


class WriteError(Exception):
    """The file was not written (and is unchanged); `str()` is the reason, one line."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _reason(err: OSError) -> str:
    return err.strerror or str(err) or type(err).__name__


def replace_file(path: Path, expected: str, data: bytes) -> None:
    """Replace the contents of `path` by `data` if it still has the digest `expected`.

    A symbolic link is followed (the link stays a link). A file without any write permission bit
    is read-only to errlint even for a superuser: it is not replaced.
    """
    target = Path(os.path.realpath(path))
    try:
        info = os.stat(target)
    except OSError as err:
        raise WriteError(f"cannot read it again: {_reason(err)}") from None
    if not stat.S_ISREG(info.st_mode):
        raise WriteError("it is no longer a regular file")
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
        raise WriteError("the file is read-only")
    fd, tmp_name = _temporary(target)
    try:
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
                _copy_metadata(fh.fileno(), tmp_name, info)
            if _current_digest(target) != expected:
                raise WriteError("it changed on disk after errlint read it; run errlint again")
            os.replace(tmp_name, target)
        except OSError as err:
            raise WriteError(_reason(err)) from None
    except BaseException:  # noqa: XH102 - clean up for every failure (also KeyboardInterrupt), then re-raise
        _remove(tmp_name)
        raise
    _sync_directory(target.parent)


def _temporary(target: Path) -> tuple[int, str]:
    try:
        return tempfile.mkstemp(prefix=f".{target.name}.", suffix=".errlint-tmp", dir=target.parent)
    except OSError as err:
        raise WriteError(f"cannot create a temporary file beside it: {_reason(err)}") from None


def _copy_metadata(fd: int, name: str, info: os.stat_result) -> None:
    """Give the temporary file the original's permission bits and, where allowed, its owner."""
    mode = stat.S_IMODE(info.st_mode)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # pragma: no cover - Windows
        os.chmod(name, mode)
    if hasattr(os, "fchown") and (info.st_uid, info.st_gid) != _owner(fd):
        try:
            os.fchown(fd, info.st_uid, info.st_gid)
        except PermissionError:
            pass  # only the superuser may give a file away; the new file keeps this user's ownership


def _owner(fd: int) -> tuple[int, int]:
    info = os.fstat(fd)
    return info.st_uid, info.st_gid


def _current_digest(target: Path) -> str:
    try:
        return digest(target.read_bytes())
    except OSError as err:
        raise WriteError(f"cannot read it again: {_reason(err)}") from None


def _remove(name: str) -> None:
    try:
        os.unlink(name)
    except FileNotFoundError:
        pass  # already renamed or never created


def _sync_directory(directory: Path) -> None:
    """Make the rename durable (POSIX); a folder that cannot be opened or synced is not an error."""
    if not hasattr(os, "O_DIRECTORY"):
        return  # pragma: no cover - Windows
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return  # the rename itself succeeded; durability of the folder entry is best effort
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a folder
    finally:
        os.close(fd)


class FileFix(Generic[S]):
    """The outcome of `fix_file`: the result to report, fixes applied, and what to tell the user."""

    def __init__(self, result: S, applied: int = 0, error: Optional[str] = None, notes: Sequence[str] = ()) -> None:
        self.result = result
        self.applied = applied
        self.error = error  # the file was not written: one line, without the path
        self.notes = list(notes)  # fixes skipped (e.g. not encodable): one line each, with position


def fix_file(path: Path, result: S, relint: Callable[[str], S], *, unsafe: bool) -> FileFix[S]:
    """Apply the fixes of `result` (the lint of `path` with its source kept) and write `path` once.

    The file is read again first: if its text is no longer the one linted, nothing is written. The
    new text is encoded as the file was (PEP 263 coding, BOM) and written with `replace_file`. On an
    error the original `result` is returned (the findings of the file as it still is).
    """
    if result.source is None:
        return FileFix(result)
    try:
        data = path.read_bytes()
        text, fmt = decode_with_format(data)
    except (OSError, UnreadableSource) as err:
        return FileFix(result, error=f"cannot read it again: {err}")
    if text != result.source:
        return FileFix(result, error="it changed on disk after errlint read it; run errlint again")
    outcome = fix_text(text, result, relint, unsafe=unsafe, can_encode=fmt.can_encode)
    notes = [
        f"{f.line}:{f.column}: {f.code} fix not applied: its text cannot be encoded as {fmt.encoding}"
        for f in outcome.unencodable
    ]
    if not outcome.applied or outcome.text == text:
        return FileFix(outcome.result, notes=notes)
    try:
        replace_file(path, digest(data), fmt.encode(outcome.text))
    except (WriteError, UnicodeEncodeError) as err:
        return FileFix(result, error=str(err), notes=notes)
    return FileFix(outcome.result, outcome.applied, notes=notes)


def write_text(path: Path, text: str) -> None:
    """Replace `path` with `text` (newlines as `\n` or as read), encoded as the file is now (PEP 263
    coding, BOM) and written with `replace_file`. Raises `WriteError` (the file unchanged)."""
    try:
        data = path.read_bytes()
        _, fmt = decode_with_format(data)
    except (OSError, UnreadableSource) as err:
        raise WriteError(f"cannot read it again: {err}") from err
    try:
        encoded = fmt.encode(text)
    except UnicodeEncodeError as err:
        raise WriteError(f"the new text cannot be encoded as {fmt.encoding}: {err.reason}") from err
    replace_file(path, digest(data), encoded)
