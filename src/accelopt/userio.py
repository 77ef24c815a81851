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


def check_writable(path: Path | str, option: str, example: str = "out") -> None:
    """The one writability check for an output file (`option` names it: '--html', '--save', ...): InputError
    unless `path` can be opened for writing, found by trying (permission bits are not enough: root passes
    os.access, /proc refuses new files). A file created by the try is removed. Called before long work.
    `example` is a file name suggested when `path` is a folder."""
    import shlex

    p = Path(path).expanduser()
    folder = p.resolve().parent
    if p.is_dir():
        raise InputError(f"cannot write {option} {str(path)!r}: it is a folder",
                         f"give a file name, e.g. {option} {shlex.quote(str(p / example))}")
    if not folder.is_dir():
        raise InputError(f"cannot write {option} {str(path)!r}: folder {str(folder)!r} does not exist",
                         f"create it (mkdir -p {shlex.quote(str(folder))}) or write the file elsewhere")
    existed = p.exists()
    try:
        with open(p, "a"):
            pass
    except OSError as e:
        raise InputError(f"cannot write {option} {str(path)!r}: {e.strerror or e}",
                         f"pass a {option} path in an existing folder you can write to") from None
    if not existed:
        p.unlink(missing_ok=True)
