"""Reading a user's input file with errors that name the file and the fix (one place for it)."""

from __future__ import annotations

from pathlib import Path

from accelopt.errors import InputError


def read_user_text(path: Path | str, what: str, fix_missing: str, encoding: str = "utf-8") -> str:
    """The text of `path`; `what` names it in messages ('design file'); `fix_missing` is the fix for a
    wrong path ('check the path given to --design')."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} {p} does not exist", fix_missing)
    if not p.is_file():
        raise InputError(f"{what} path {p} is not a file", f"give a {what}, not a folder")
    try:
        return p.read_text(encoding=encoding)
    except UnicodeDecodeError:
        raise InputError(f"{what} {p} is not UTF-8 text", f"save the {what} as UTF-8 text") from None
    except OSError as e:
        raise InputError(f"cannot read {what} {p}: {e.strerror}", "check the file's permissions") from None
