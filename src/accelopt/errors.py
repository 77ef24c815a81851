"""One exception root. Every message says what is wrong and what to do about it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar


class AcceloptError(Exception):
    """Root of every error accelopt raises on purpose.

    `problem` says what is wrong (naming the field, value or file); `fix` says what the user
    should do. The CLI prints both and exits with status 2 instead of a traceback.
    """

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} — {fix}" if fix else problem)


_KEPT_KINDS: dict[tuple[type, type], type] = {}
_Carrier = TypeVar("_Carrier", bound=AcceloptError)


def of_kind(carrier: type[_Carrier], error: AcceloptError) -> type[_Carrier]:
    """`carrier` (an error that carries what was measured before `error`) made of `error`'s class as well, so a
    caller catching the original class (MeasurementError for a NaN loss or a crashed rank, InputError) still catches
    it, while the CLI catches `carrier` to keep the measured part; one class per pair, named 'Carrier[Kind]'."""
    key = (carrier, type(error))
    if key not in _KEPT_KINDS:
        _KEPT_KINDS[key] = type(f"{carrier.__name__}[{type(error).__name__}]", key, {})
    return _KEPT_KINDS[key]


class InputError(AcceloptError, ValueError):
    """A user-supplied value, flag or file is invalid."""


class DeviceUnsupportedError(InputError):
    """A valid request that one device cannot run: an option its hardware lacks (--fp8-recipe mxfp8 off Blackwell,
    --tp-comm-overlap without a cited SM count, a GPU attention kernel off a GPU). `option` names that flag. A search
    over several devices leaves such a device out and says why (predict.search), by this class and its option, not by
    the message's words; any other error in a device's checks is raised. A plan on that device alone exits 2 as any
    InputError does."""

    def __init__(self, problem: str, fix: str = "", *, option: str) -> None:
        super().__init__(problem, fix)
        self.option = option


class UnreadableNumberError(InputError):
    """Text that is no number at all ('lots', '20Q'), as units.parse_count refuses it; a negative or an infinite
    number is a plain InputError. A caller that words its own message for an unreadable value (plan --budget-usd)
    catches this class, not the message's words ('--budget-usd negative' was taken for a negative number)."""


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


def name_key(name: str) -> str:
    """`name` as names are compared: lower-cased, runs of spaces and underscores as one dash ('NVIDIA H100' and
    'nvidia-h100', 'simulate_run' and 'simulate-run' are one name)."""
    return re.sub(r"[\s_]+", "-", name.strip().lower())


def name_similarity(typed: str, known: str) -> float:
    """How close two names (already as `name_key` writes them) are, 0..1: difflib's similarity ratio, or for a
    name that contains the other or is contained in it ('t4-pcie' and 't4', 'mi300' and 'mi300x', 'llama3' and
    'llama3-8b') 0.7 + 0.2 x (shorter / longer length), so that a one-letter typo of a longer name ('h100-sxn':
    'h100-sxm', 0.875) still ranks above the short name inside it ('h100', 0.8). A typed name of 3 or more
    characters that begins a known one ('a100-sxm' of 'a100-sxm-80gb') scores 0.9 + 0.05 x (shorter / longer): a
    name cut short ranks above a one-letter substitution of another name (it suggested 'h100-sxm' and 'v100-sxm',
    0.875, for 'a100-sxm', and never the A100s at 0.82)."""
    import difflib

    ratio = difflib.SequenceMatcher(None, typed, known).ratio()
    shorter = min(len(known), len(typed)) / max(len(known), len(typed))
    if len(typed) >= 3 and known.startswith(typed):
        ratio = max(ratio, 0.9 + 0.05 * shorter)
    elif typed in known or known in typed:
        ratio = max(ratio, 0.7 + 0.2 * shorter)
    return ratio


def close_matches(name: str, known: Sequence[str], *, n: int = 3, cutoff: float = 0.4) -> list[str]:
    """Up to `n` known names closest to `name` (name_similarity >= `cutoff`), best first (ties alphabetical),
    returned as `known` spells them; the one ranking of every "did you mean" (devices, models, designs, kinds)."""
    typed = name_key(name)
    if not typed:
        return []
    by_key = {name_key(k): k for k in known}
    scored = sorted(((name_similarity(typed, k), k) for k in by_key), key=lambda sk: (-sk[0], sk[1]))
    return [by_key[k] for s, k in scored if s >= cutoff][:n]


def case_hint(typed: str, names: Iterable[str]) -> str:
    """' (the names are lower case: NAME)' where `typed` is one of `names` but for its case, else ''. A value refused
    only for its case ('BF16') was told it is not a dtype at all."""
    lower = {n.lower(): n for n in names}
    return f" (the names are lower case: {lower[typed.lower()]})" if typed.lower() in lower else ""


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


def unknown_fields(where: str, unknown: Sequence[str], allowed: Sequence[str]) -> InputError:
    """The error for fields of a user's file that are not allowed: each misspelt one with the field meant
    ('memory_byte' -> 'memory_bytes'), then every allowed field."""
    meant = [f"{close[0]!r} for {u!r}" for u in unknown if (close := close_matches(u, allowed, n=1, cutoff=0.6))]
    return InputError(f"{where}: unknown field(s) {', '.join(unknown)}",
                      (f"did you mean {', '.join(meant)}? " if meant else "")
                      + f"allowed fields: {', '.join(sorted(allowed))}")


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
