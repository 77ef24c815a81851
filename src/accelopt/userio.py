"""User files in and out, with errors that name the file and the fix (the one place for it).

Every path a user gives goes through here: looking it up (a name too long for the file system, a NUL
character, a folder where a file goes), reading it (permissions, not UTF-8, I/O errors, a size no input
file has), parsing JSON, and checking that an output path can be written before minutes of work.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from accelopt.errors import InputError

MAX_INPUT_BYTES = 256 * 2**20
"""Largest input file read (256 MiB). The largest file accelopt itself writes, a captured workload of a
big model, is a few tens of MB; anything larger is the wrong file."""


# ECMA-48 control sequences (CSI ... final byte, e.g. colour codes '\x1b[31m'), and OSC ... BEL/ST (hyperlinks)
_TERMINAL_CODES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def exception_text(e: BaseException, limit: int) -> str:
    """An exception's message for a result (text and JSON): terminal colour/format codes that a library wrote into
    it (torch.onnx does) removed, cut to `limit` characters."""
    return _TERMINAL_CODES.sub("", str(e))[:limit]


def _lookup_error(p: Path, what: str, e: OSError | ValueError) -> InputError:
    if isinstance(e, ValueError):  # os.stat refuses embedded NUL characters
        return InputError(f"{what} path {str(p)!r} contains a NUL character", "pass the path without it")
    if e.errno == errno.ENAMETOOLONG:
        return InputError(f"{what} path is too long for the file system ({len(str(p))} characters: "
                          f"{str(p)[:80]!r}...)", "use a shorter file name (at most 255 bytes per name)")
    if e.errno in (errno.EACCES, errno.EPERM):
        return InputError(f"cannot look up {what} {p}: permission denied", "check the folder's permissions")
    return InputError(f"cannot look up {what} {p}: {e.strerror or e}", "check the path")


def path_kind(path: Path | str, what: str) -> str:
    """'file', 'folder', 'missing' or 'other' (a device, a pipe); a path that cannot even be looked up is an
    InputError naming it."""
    p = Path(path)
    try:
        st = p.stat()
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    except (OSError, ValueError) as e:
        raise _lookup_error(p, what, e) from None
    import stat

    if stat.S_ISREG(st.st_mode):
        return "file"
    return "folder" if stat.S_ISDIR(st.st_mode) else "other"


_FILE_SUFFIX = re.compile(r"\.[A-Za-z][A-Za-z0-9]*$")
"""A file extension ('.json', '.jsn', '.tml'): a dot and a letter; preset and device names have dots before digits
only ('llama3.1-8b', 'qwen2.5-0.5b')."""


def looks_like_file(name: str) -> bool:
    """Whether a --model / --hardware value was typed as a path: a folder separator or a file extension."""
    return "/" in name or "\\" in name or bool(_FILE_SUFFIX.search(name.strip()))


def near_files(name: str, n: int = 3) -> list[str]:
    """Up to `n` entries of the folder `name` points into whose names are close to its last part
    (errors.close_matches at 0.75), written as `name` writes its folder: the file a typo meant ('qwen3moe.jsn' ->
    'qwen3moe.json', 'cfg/qwen3moe' -> 'cfg/qwen3moe.json'). [] when the folder cannot be read."""
    from accelopt.errors import close_matches

    p = Path(name.strip())
    folder = p.parent
    try:
        entries = sorted(e.name for e in folder.iterdir())
    except (OSError, ValueError):
        return []
    close = close_matches(p.name, entries, n=n, cutoff=0.75)
    return [str(folder / c) if str(folder) != "." else c for c in close]


def path_exists(path: Path | str) -> bool:
    """True when `path` names anything on disk; never raises (for telling a path from a name: a name too
    long for a path is a name)."""
    try:
        return path_kind(path, "file") != "missing"
    except InputError:
        return False


def looked_in(path: Path | str) -> str:
    """' (relative to the current folder /x)' for a relative path, '' for an absolute one: a runs file's cell
    (hardware = my.toml, model = m/config.json) resolves against the folder the command runs in, not the file's, and
    'my.toml does not exist' did not say where it was looked for."""
    p = Path(path)
    if p.is_absolute():
        return ""
    # '--model=~/m/config.json' (or a quoted '~/...'): the shell expands '~' only at the start of a word, so the
    # path reached here as typed and was looked for in a folder named '~' (uttrial, a user trial)
    tilde = ("; a leading '~' is not expanded here: the shell expands it only at the start of a word (not after "
             "--option= or inside quotes), so write the path with $HOME/ or in full"
             if str(path).startswith("~") else "")
    try:
        return f" (relative to the current folder {Path.cwd()}{tilde})"
    except OSError:  # the current folder was removed
        return f" (relative to the current folder{tilde})"


def read_user_text(path: Path | str, what: str, fix_missing: str, encoding: str = "utf-8") -> str:
    """The text of `path`; `what` names it in messages ('design file'); `fix_missing` is the fix for a
    wrong path ('check the path given to --design')."""
    p = Path(path)
    kind = path_kind(p, what)
    if kind == "missing":
        raise InputError(f"{what} {p} does not exist{looked_in(p)}", fix_missing)
    if kind != "file":
        raise InputError(f"{what} path {p} is a {'folder' if kind == 'folder' else 'device or pipe'}, not a file",
                         f"give the path of a {what} (a regular file)")
    try:
        with open(p, "rb") as f:
            data = f.read(MAX_INPUT_BYTES + 1)
    except OSError as e:
        if e.errno in (errno.EACCES, errno.EPERM):
            raise InputError(f"cannot read {what} {p}: permission denied",
                             f"make it readable (chmod u+r {p}) or pass a copy you can read") from None
        raise InputError(f"cannot read {what} {p}: {e.strerror or e}", "check the file and its permissions") from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{what} {p} is larger than {MAX_INPUT_BYTES // 2**20} MiB; no {what} is that large",
                         f"check that this is the {what} you meant")
    utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig", "utf8-sig")
    try:  # a UTF-8 byte-order mark (Excel's "CSV UTF-8", Notepad) is not part of the text: it hid the first column
        return data.decode("utf-8-sig" if utf8 else encoding)
    except UnicodeDecodeError as e:
        # e.start counts from after the byte-order mark utf-8-sig dropped; the message named no line, so a user
        # hunted the one latin-1 'é' of a long runs file by eye (s32 utval); 'utf-8-sig' (the topology reader's) too
        at = e.start + (len(codecs.BOM_UTF8) if utf8 and data.startswith(codecs.BOM_UTF8) else 0)
        line = data.count(b"\n", 0, at) + 1
        col = at - (data.rfind(b"\n", 0, at) + 1) + 1
        raise InputError(f"{what} {p} is not UTF-8 text: line {line}, byte {col} of the line (byte offset {at} of the "
                         f"file) is 0x{data[at]:02x}", f"save the {what} as UTF-8 text") from None


def _same_json_value(a: Any, b: Any) -> bool:
    """Two parsed JSON values say the same thing: equal, or both NaN (json reads NaN, which is not equal to itself, so
    "x": NaN given twice was refused as two different values instead of read once and judged as a value)."""
    return bool(a == b) or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)


def _one_value_per_key(path: Path | str, what: str) -> Any:
    """A json object_pairs_hook: the object, or an InputError for a key given twice with different values (json keeps
    the last without a word, as transformers' own reading does: "hidden_size": 5120, ..., "hidden_size": 4096 was
    planned at 4096)."""
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out and not _same_json_value(out[key], value):
                raise InputError(f"{what} {path}: key {key!r} is given twice, {out[key]!r} and then {value!r}",
                                 f"keep one {key!r} in the file")
            out[key] = value
        return out
    return hook


def read_user_json(path: Path | str, what: str, fix_missing: str, *, one_value_per_key: bool = False) -> Any:
    """The parsed JSON of `path` (errors name the file, the line and the fix). With `one_value_per_key`, a key that an
    object gives twice with different values is an error (a config a person edits), not the last one read."""
    text = read_user_text(path, what, fix_missing)
    if not text.strip():  # was 'not valid JSON syntax: Expecting value: line 1 column 1 (char 0)'
        raise InputError(f"{what} {path} is empty" + (f" ({len(text)} blank characters)" if text else " (0 bytes)"),
                         f"pass a {what} in JSON (an interrupted download or copy leaves an empty file: fetch it "
                         "again)")
    try:
        if one_value_per_key:
            return json.loads(text, object_pairs_hook=_one_value_per_key(path, what))
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{what} {path} is not JSON (not valid JSON syntax: {e})", f"pass a {what} in JSON") from None
    except RecursionError:
        raise InputError(f"{what} {path} nests too deeply to be a {what}", f"pass a {what} in JSON") from None


def check_writable(path: Path | str, option: str, example: str = "out") -> Path:
    """The one writability check for an output file (`option` names it: '--html', '--save', ...): `path` as
    a Path, after checking it can be opened for writing, found by trying (permission bits alone are not
    enough: root passes os.access, /proc refuses new files). A file created by the try is removed. Call it
    before long work, so that nothing measured is lost to a typo in an output path. `example` is a file name
    suggested when `path` is a folder."""
    import shlex

    if not str(path).strip():  # Path("") is the current folder: 'it is a folder' named a '.' never typed
        raise InputError(f"{option} is empty", f"give a file name, e.g. {option} {example}")
    if str(path) == "-":  # the usual 'standard output', which an output file option here is not
        other = "" if option == "--html" else " (or the full path, e.g. $PWD/-, of a file named '-')"  # not .html
        raise InputError(f"{option} - would write a file named '-': {option} takes a file, not standard output",
                         f"give a file name, e.g. {option} {example}{other}")
    p = Path(path).expanduser()
    kind = path_kind(p, option)
    _refuse_history_store(p, option, example)
    if kind == "folder":
        raise InputError(f"cannot write {option} {str(p)!r}: it is a folder",
                         f"give a file name, e.g. {option} {shlex.quote(str(p / example))}")
    if kind == "other":  # the try below waited forever on a pipe; write_text_whole's os.replace put a file in its place
        raise InputError(f"cannot write {option} {str(p)!r}: it is not a regular file (a device, pipe or socket), "
                         "and the output is written as a file in its place",
                         f"give a file path, e.g. {option} {example}")
    if option == "--html":  # the one rule for every command's --html: replace only accelopt's page; a .html name
        if kind == "file":
            _refuse_foreign_page(p, example)  # first: an existing file of yours is what a slip would lose
        _refuse_non_page_name(str(path), p, example)
    parent = p.parent if str(p.parent) else Path(".")
    if path_kind(parent, option) != "folder":
        raise InputError(f"cannot write {option} {str(p)!r}: folder {str(parent)!r} does not exist",
                         f"create it first (mkdir -p {shlex.quote(str(parent))}) or pass a {option} path in an "
                         "existing, writable folder")
    try:
        with open(p, "a"):
            pass
    except OSError as e:
        raise InputError(f"cannot write {option} {str(p)!r}: {e.strerror or e}",
                         f"pass a {option} path in an existing, writable folder") from None
    if kind == "missing":
        with contextlib.suppress(OSError):
            os.unlink(p)
    return p


def _refuse_history_store(p: Path, option: str, example: str) -> None:
    """An InputError when `p` (a link followed) is the run history's store or a file SQLite keeps beside it:
    writing there would replace every recorded run."""
    from accelopt.paths import history_store_files

    try:
        target = p.resolve()
        hit = next((f for f in history_store_files() if f.resolve() == target), None)
    except (OSError, RuntimeError):  # a link loop or a path that cannot be resolved: the checks below name it
        return
    if hit is not None:
        raise InputError(f"cannot write {option} {str(p)!r}: it is the run history's file {str(hit)!r}, and "
                         "writing it would replace every recorded run",
                         f"give another file name, e.g. {option} {example}")


PAGE_SUFFIXES = (".html", ".htm")
"""The names --html writes (any case): a page under another name (`--html results.json`) is a slip, refused."""


def _refuse_non_page_name(typed: str, p: Path, example: str) -> None:
    """An InputError when the --html path does not end in .html or .htm: `--html results.json` wrote a page under a
    JSON name without a word, and `--html --json` (the flag's value left out) wrote a page named '--json'."""
    if p.suffix.lower() in PAGE_SUFFIXES:
        return
    import shlex

    if typed.startswith("-"):
        raise InputError(f"--html {typed!r} looks like an option, not a file name: --html takes the page's path",
                         f"give the path right after --html, e.g. --html {example} {typed}")
    try:
        named = p.with_suffix(".html")
    except ValueError:  # no name to put a suffix on
        named = Path(example)
    raise InputError(f"--html {typed!r} does not end in .html or .htm: the page would be written under a name "
                     "that says it is something else",
                     f"name the page with .html, e.g. --html {shlex.quote(str(named))}")


_GENERATOR = re.compile(r'<meta\s+name="generator"\s+content="accelopt[\s"]', re.IGNORECASE)
"""What report/html.py's _page puts in the head of every page it writes (`<meta name="generator" content="accelopt
KIND">`, in every version that wrote pages): the mark of a page a rerun may replace."""


def _refuse_foreign_page(p: Path, example: str) -> None:
    """An InputError when `p` holds anything but a page accelopt wrote (or nothing but blanks): a rerun replaces its
    own page, while a hand-written index.html, a page a browser saved, or a slip such as `--html my_model.py` is
    kept. Only the head is read (up to its </head>: the generator <meta> sits before the inline CSS)."""
    try:
        with open(p, "rb") as f:
            head = f.read(1 << 20).decode("utf-8", "replace")
    except OSError:
        return  # unreadable: the open-for-writing check below says why
    if not head.strip(_BLANK):
        return  # empty or blanks only: nothing to lose
    end = head.lower().find("</head>")
    if _GENERATOR.search(head if end < 0 else head[:end]) is None:
        raise InputError(f"cannot write --html {str(p)!r}: the file exists and is not an HTML page accelopt wrote "
                         "(its head has no <meta name=\"generator\" content=\"accelopt ...\">), so the report would "
                         "replace what it holds",
                         f"give a new file name, e.g. --html {example}, or move that file aside (or remove it) first")


_BLANK = "\ufeff \t\r\n\f"


def check_distinct_outputs(outputs: list[tuple[str, Path | str | None]]) -> None:
    """Refuse two output options naming the same file, (option, path) pairs with None for 'not given': the
    second write would replace the first, though both were reported written. Paths are compared as typed and
    absolute ('~' expanded), without touching the file system."""
    seen: dict[Path, str] = {}
    for option, path in outputs:
        if path is None or not str(path):
            continue
        key = Path(os.path.abspath(os.path.expanduser(path)))
        if key in seen:
            raise InputError(f"{seen[key]} and {option} both name {path}; one would overwrite the other",
                             "give each output its own file")
        seen[key] = option


def refuse_foreign_file(path: Path | str, option: str, writer: str, example: str) -> None:
    """An InputError when `path` is a non-empty file that `writer` (e.g. 'accelopt probe') did not write: its
    first line names the writer in every file accelopt writes for --save/--out, so a rerun replaces its own file,
    while a user's own catalog TOML or SCALE-Sim config of the same name is kept. Call it before the work."""
    p = Path(path).expanduser()
    try:
        with open(p, "rb") as f:
            first = f.read(4096).decode("utf-8", "replace").lstrip(_BLANK).split("\n", 1)[0]
    except OSError:
        return  # missing or unreadable: check_writable says why where it matters
    if first and f"`{writer}`" not in first:
        raise InputError(f"cannot write {option} {str(p)!r}: the file exists and was not written by {writer}, so "
                         "this would replace what it holds",
                         f"give a new file name, e.g. {option} {example}, or move that file aside first")
    with contextlib.suppress(OSError):
        if first and edited_since_written(p.read_bytes()[:MAX_INPUT_BYTES]):
            raise InputError(f"cannot write {option} {str(p)!r}: {writer} wrote the file, but it was edited since "
                             "(it no longer matches its '# accelopt-sha256:' line), so this would replace those edits "
                             "(a tdp_w or price added by hand, as the export's note advises)",
                             f"give a new file name, e.g. {option} {example}, or move that file aside first (or "
                             "delete its '# accelopt-sha256:' line to let it be replaced)")


_DIGEST_LINE = re.compile(rb"^# accelopt-sha256: ([0-9a-f]{64})[ \t]*\r?(?:\n|\Z)", re.M)


def with_digest(text: str) -> str:
    """`text` (a file accelopt writes for --save / --out and may replace on a rerun) with a last comment line holding
    the SHA-256 of the rest, so that a rerun tells the file as written from one the user edited since
    (edited_since_written): the export's own note says to add tdp_w to the file, and the rerun's replacement
    dropped that edit without a word (ut3io, 2026-12-06). The line is a '#' comment in TOML and in a SCALE-Sim
    config alike."""
    body = text if text.endswith("\n") else text + "\n"
    return f"{body}# accelopt-sha256: {hashlib.sha256(body.encode('utf-8')).hexdigest()}\n"


def edited_since_written(data: bytes) -> bool:
    """Whether the file `data` carries a with_digest line that the rest of the file no longer matches (an edit
    anywhere, a line appended after it included). A file without the line (one written before 2026-12-06) is not
    known to be edited: False."""
    found = list(_DIGEST_LINE.finditer(data))
    if not found:
        return False
    m = found[-1]
    return hashlib.sha256(data[:m.start()] + data[m.end():]).hexdigest() != m.group(1).decode()


def refuse_non_json_file(path: Path | str, option: str, example: str) -> None:
    """An InputError when `path` is a non-empty file that does not start as a JSON object: --save-workload and
    --trace write JSON, so a slip such as `--trace my_model.py` must not replace the model file (a rerun's own
    JSON is replaced). Call it before the work."""
    p = Path(path).expanduser()
    try:
        with open(p, "rb") as f:
            head = f.read(64).decode("utf-8", "replace").lstrip(_BLANK)
    except OSError:
        return  # missing or unreadable: check_writable says why where it matters
    if head and not head.startswith("{"):
        raise InputError(f"cannot write {option} {str(p)!r}: the file exists and is not a JSON file, so this would "
                         "replace what it holds",
                         f"give a new file name, e.g. {option} {example}, or move that file aside first")


def write_text_whole(path: Path | str, text: str) -> None:
    """Write `text` (UTF-8) to `path` all or nothing: into a hidden file beside it ('.NAME.partial'), then
    os.replace onto it, so a Ctrl-C, a full disk or a killed process mid-write leaves what `path` held (an earlier
    report of the same name) instead of a cut file. A link is followed: its target is replaced, as an open() for
    writing would. The hidden file is removed on any failure; an OSError is raised as open() raises it."""
    target = Path(os.path.realpath(Path(path).expanduser()))
    tmp = target.with_name(f".{target.name}.partial")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
