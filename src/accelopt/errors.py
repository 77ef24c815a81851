"""One exception root. Every message says what is wrong and what to do about it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager


class AcceloptError(Exception):
    """Root of every error accelopt raises on purpose.

    `problem` says what is wrong (naming the field, value or file); `fix` says what the user
    should do. The CLI prints both and exits with status 2 instead of a traceback.
    """

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} — {fix}" if fix else problem)


class InputError(AcceloptError, ValueError):
    """A user-supplied value, flag or file is invalid."""


class UnknownNameError(InputError, KeyError):
    """A name (device, model preset, design) is not known; the fix lists the closest names."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return Exception.__str__(self)


class UnsupportedError(AcceloptError):
    """The request is valid but this machine or build cannot do it (e.g. no CUDA device)."""


class MeasurementError(AcceloptError):
    """A measurement could not be taken or came out meaningless."""


class InfeasibleError(AcceloptError):
    """A requested configuration cannot run (e.g. does not fit in memory)."""


def close_matches(name: str, known: Sequence[str], *, n: int = 3, cutoff: float = 0.4) -> list[str]:
    """Up to `n` known names closest to `name`, best first, ignoring case and returned as `known` spells them
    (difflib's similarity ratio >= `cutoff`)."""
    import difflib

    by_lower = {k.lower(): k for k in known}
    return [by_lower[c] for c in difflib.get_close_matches(name.lower(), list(by_lower), n=n, cutoff=cutoff)]


LIST_IN_FULL = 40
"""An unknown name's fix lists every known name up to this many; beyond it, the nearest ones and what lists all."""


def unknown_name(kind: str, name: str, known: list[str], *, listed_by: str = "") -> UnknownNameError:
    """Build the error for an unknown name, suggesting the closest known ones. With none close, the fix lists all
    the known names when they are few (LIST_IN_FULL), else the nearest few (difflib's ratio, however low) and
    `listed_by`, the command that lists them all (it cut the list at the first 40 in alphabetical order)."""
    suggestions = close_matches(name, known)
    if suggestions:
        fix = "did you mean " + " or ".join(repr(s) for s in suggestions) + "?"
    elif len(known) <= LIST_IN_FULL:
        fix = f"known {kind}s: " + ", ".join(sorted(known))
    else:
        nearest = close_matches(name, known, n=5, cutoff=0.0)
        fix = (f"nearest of the {len(known)} known {kind}s: " + ", ".join(nearest)
               + (f" (`{listed_by}` lists them all)" if listed_by else ""))
    return UnknownNameError(f"unknown {kind} {name!r}", fix)


# Substrings of the allocators' out-of-memory messages: torch's CPU allocator ("DefaultCPUAllocator: can't
# allocate memory"), the CUDA caching allocator (torch.OutOfMemoryError, "CUDA out of memory"), MPS/XPU.
_OOM_TEXT = ("can't allocate memory", "out of memory", "not enough memory")


def is_out_of_memory(e: BaseException) -> bool:
    """An allocator's out-of-memory failure (MemoryError, or a RuntimeError saying so on CPU or GPU)."""
    return isinstance(e, MemoryError) or (isinstance(e, RuntimeError) and any(t in str(e).lower() for t in _OOM_TEXT))


def first_line(e: BaseException) -> str:
    """The first line of an exception's message, cut to 200 characters (its type's name when the message is empty):
    what an error quotes from a library or an allocator, on one line."""
    text = str(e).strip()
    return text.splitlines()[0][:200] if text else type(e).__name__


@contextmanager
def out_of_memory_as_infeasible(problem: Callable[[str], str], fix: str) -> Iterator[None]:
    """Turn an allocator's out-of-memory failure inside the block (is_out_of_memory) into an InfeasibleError whose
    problem is `problem(what the allocator said)` and whose fix is `fix`, instead of a traceback; any other error
    passes through unchanged. `problem` is called only on a failure (it may look up the device's memory)."""
    try:
        yield
    except (MemoryError, RuntimeError) as e:
        if not is_out_of_memory(e):
            raise
        raise InfeasibleError(problem(first_line(e)), fix) from None
