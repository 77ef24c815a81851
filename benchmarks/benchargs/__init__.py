"""argparse value types for the benchmark scripts: a bad argument ends in argparse's `usage: ... error: argument
--rounds: ...` and exit status 2, before anything is measured (`bench_history.py 0` divided by zero after filling
the store: a traceback and exit 1). The scripts import it as `benchargs` (their folder is on sys.path when run as
`python benchmarks/NAME.py`)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterable
from pathlib import Path


def count(low: int = 1) -> Callable[[str], int]:
    """A whole number >= `low` ('0' for a count of rounds, steps or ranks is refused)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (give one >= {low})") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is below {low}: give a whole number >= {low}")
        return value

    parse.__name__ = "count"  # argparse names the type in its 'invalid count value' message
    return parse


def positive_seconds(text: str) -> float:
    """A finite number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} must be a finite number of seconds > 0")
    return value


def names_from(known: Iterable[str], what: str) -> Callable[[str], str]:
    """A comma-separated list whose every name is one of `known` (kept as typed: the script splits it)."""
    choices = list(known)

    def parse(text: str) -> str:
        names = [n for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n.strip() not in choices]
        if not names or unknown:
            said = f"unknown {what} {', '.join(map(repr, unknown))}" if unknown else f"no {what} given"
            raise argparse.ArgumentTypeError(f"{said}: choose from {', '.join(choices)} (comma-separated)")
        return text

    parse.__name__ = what
    return parse


def out_file(text: str) -> Path:
    """A file to write the results to: not a folder, in a folder that exists (checked before measuring, so a typo
    does not lose minutes of measurements at the end)."""
    path = Path(text)
    if not text.strip():
        raise argparse.ArgumentTypeError("the path is empty: give a file name")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder: give a file name in it")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"folder {path.parent} does not exist: create it, or write elsewhere")
    return path
