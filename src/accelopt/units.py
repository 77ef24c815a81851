"""Unit constants, conversions and human formatting — the one place for them.

SI inside: seconds, bytes, FLOP, FLOP/s, watts, joules, US dollars. Decimal prefixes are
decimal (GB = 1e9 bytes, TB = 1e12); binary prefixes are binary (GiB = 2**30 bytes). We never
label one as the other.
"""

from __future__ import annotations

import math
import re
import typing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from accelopt.errors import InputError, UnreadableNumberError

KB = 1e3
MB = 1e6
GB = 1e9
TB = 1e12
KiB = 2**10
MiB = 2**20
GiB = 2**30
TiB = 2**40

KILO = 1e3
MEGA = 1e6
GIGA = 1e9
TERA = 1e12
PETA = 1e15
EXA = 1e18

MINUTE_S = 60.0
HOUR_S = 3600.0
DAY_S = 86400.0
KWH_J = 3.6e6

GBIT = 1e9 / 8  # bytes per gigabit

_SI_PREFIXES = [(1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
_BINARY_PREFIXES: list[tuple[float, str]] = [(TiB, "Ti"), (GiB, "Gi"), (MiB, "Mi"), (KiB, "Ki")]


def _missing(value: float | None) -> bool:
    """None, NaN or infinity: printed 'n/a' by every formatter, as fmt_quantity, the HTML and JSON (null) show
    them ('$infT', 'inf years', 'inf EB' were the alternatives)."""
    return value is None or not math.isfinite(value)


FIXED_POINT_MAX = 1e15
"""From this magnitude up every formatter prints scientific notation (2.7e+395, not 396 digits filling a table's
column): below it a whole number has at most 15 digits (19 characters with separators), all of them exact in a
float (whole numbers are exact up to 2**53 = 9.0e15); past it the last digits would be float noise."""


def _too_wide(value: float) -> bool:
    """True when `value` is past FIXED_POINT_MAX and must be printed in scientific notation."""
    return abs(value) >= FIXED_POINT_MAX


def _g(value: float, digits: int = 3) -> str:
    """`digits` significant digits without scientific notation for values >= 1 (999.7 -> '1000', not '1e+03'); whole
    with thousands separators from 10,000 up, past the largest prefix (44,387 years, not 44387 years); scientific
    from FIXED_POINT_MAX up (2.7e+395T dollars)."""
    text = f"{value:.{digits}g}"
    if "e" in text and abs(value) >= 1 and not _too_wide(value):
        return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.0f}"
    return text


def _si(value: float, unit: str, digits: int = 3,
        prefixes: list[tuple[float, str]] = _SI_PREFIXES) -> str:
    """`value` in the largest of `prefixes` it reaches (decimal by default), 'n/a' for None or NaN; a value whose
    `digits` significant digits round up to the next prefix reads in that one (999.7e9 FLOP/s: '1 TFLOP/s', not
    '1000 GFLOP/s')."""
    if _missing(value):
        return "n/a"
    steps = [*prefixes, (1.0, "")]  # largest first
    i = next((i for i, (scale, _) in enumerate(steps) if abs(value) >= scale), len(steps) - 1)
    if i > 0 and abs(float(f"{value / steps[i][0]:.{digits}g}")) * steps[i][0] >= steps[i - 1][0]:
        i -= 1
    scale, prefix = steps[i]
    return f"{_g(value / scale, digits)} {prefix}{unit}".rstrip()


def fmt_si_count(value: float) -> str:
    """A count with an SI prefix and no space, for narrow table cells (simulate's cycles): 1.38M, 950k, 12; 1P,
    not 1e+03T, past the tera."""
    return _si(value, "").replace(" ", "")


def fmt_flops(flops: float) -> str:
    """Count of floating-point operations, decimal prefixes (1 GFLOP = 1e9 FLOP)."""
    return _si(flops, "FLOP")


def fmt_macs(macs: float) -> str:
    """Count of multiply-accumulates (1 MAC = 2 FLOP), decimal prefixes, 4 significant digits: the unit model zoos'
    'GFLOPS' columns count (torchvision's ResNet-50: 4.089)."""
    return _si(macs, "MAC", digits=4)


def fmt_flop_per_s(flop_per_s: float) -> str:
    return _si(flop_per_s, "FLOP/s")


def fmt_bytes(n_bytes: float, binary: bool = False) -> str:
    """Bytes with decimal (GB = 1e9) prefixes, or binary (GiB = 2**30) when `binary`."""
    return _si(n_bytes, "B", prefixes=_BINARY_PREFIXES if binary else _SI_PREFIXES)


def fmt_byte_per_s(byte_per_s: float) -> str:
    return _si(byte_per_s, "B/s")


def fmt_seconds(seconds: float) -> str:
    """Durations from nanoseconds to years, in the most readable unit; zero is '0 s' (as fmt_joules prints '0 J'
    and fmt_bytes '0 B': '0 ns' read as a small measured figure beside other tables' '0 s')."""
    if _missing(seconds):
        return "n/a"
    s = abs(seconds)
    if s == 0:
        return "0 s"
    if s < 1e-6:
        return f"{_g(seconds * 1e9)} ns"
    if s < 1e-3:
        return f"{_g(seconds * 1e6)} µs"
    if s < 1:
        return f"{_g(seconds * 1e3)} ms"
    if s < 2 * MINUTE_S:
        return f"{_g(seconds)} s"
    if s < 2 * HOUR_S:
        return f"{_g(seconds / MINUTE_S)} min"
    if s < 2 * DAY_S:
        return f"{_g(seconds / HOUR_S)} h"
    if s < 730 * DAY_S:
        return f"{_g(seconds / DAY_S)} days"
    return f"{_g(seconds / (365.25 * DAY_S))} years"


def fmt_joules(energy_j: float) -> str:
    """kWh/MWh/GWh from 1 kWh up, J with SI prefixes below (down to pJ: a MAC costs ~0.2 pJ)."""
    if _missing(energy_j):
        return "n/a"
    if abs(energy_j) >= KWH_J:
        for scale, unit in ((1e6 * KWH_J, "GWh"), (1e3 * KWH_J, "MWh"), (KWH_J, "kWh")):
            if abs(energy_j) >= scale:
                return f"{_g(energy_j / scale)} {unit}"
    return _below_one(energy_j, "J") or _si(energy_j, "J")


_SUB_PREFIXES = ((1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"))


def _below_one(value: float, unit: str) -> str:
    """`value` (0 < |value| < 1) in mUNIT down to pUNIT, '' otherwise; a value whose 3 significant digits reach the
    next prefix reads in that one, as _si's (0.0009996 W: '1 mW', not '1000 µW'; 0.9996 J: '' for '1 J')."""
    if _missing(value) or not 0 < abs(value) < 1:
        return ""
    i = next((i for i, (scale, _) in enumerate(_SUB_PREFIXES) if abs(value) >= scale), len(_SUB_PREFIXES) - 1)
    if i > 0 and abs(float(f"{value / _SUB_PREFIXES[i][0]:.3g}")) >= 1000:  # the prefixes are 1000 apart
        i -= 1
    if i == 0:
        return ""
    scale, prefix = _SUB_PREFIXES[i]
    return f"{_g(value / scale)} {prefix}{unit}"


def fmt_watts(power_w: float) -> str:
    """W with SI prefixes: kW and up, and mW/µW/nW below 1 W (an edge chip's 266 mW, as its datasheet and the
    Eyeriss paper print it; was 0.266 W), as fmt_joules reads mJ."""
    return _below_one(power_w, "W") or _si(power_w, "W")


def fmt_usd(usd: float) -> str:
    """$1.23k, $4.5M, $15.9T (B = 1e9, T = 1e12 dollars: a 44,000-year run cost $15873774M); the sign before the
    dollar (-$0.5); under a cent, two significant digits in fixed point ($0.000012, not $1.2e-05)."""
    if _missing(usd):
        return "n/a"
    sign, usd = ("-", -usd) if usd < 0 else ("", usd)
    for scale, prefix in ((1e12, "T"), (1e9, "B")):
        if usd >= scale:
            return f"{sign}${_g(usd / scale)}{prefix}"
    if usd >= 1e6:
        return f"{sign}${_g(usd / 1e6)}M"
    if usd >= 1e3:
        return f"{sign}${_g(usd / 1e3)}k"
    if 0 < usd < 0.01:
        return f"{sign}${_two_digits_fixed(usd)}"
    return f"{sign}${_g(usd)}"


def _two_digits_fixed(value: float, digits: int = 2) -> str:
    """A small positive finite value with `digits` significant digits in fixed point (0.000012 at two), or in
    scientific notation past 8 decimals (1.2e-11)."""
    rounded = float(f"{value:.{digits}g}")  # 0.00999 rounds to 0.01: its decimals are counted after rounding
    decimals = digits - 1 - math.floor(math.log10(rounded))  # two significant digits: 0.012 -> 3 decimals
    return f"{value:.{decimals}f}" if decimals <= 8 else f"{value:.1e}"


def _gap_decimals(gap: float) -> int:
    """Decimals that show a gap to 100% (0 < gap <= 0.05 points) at its first digit: 0.04 -> 2, 0.004 -> 3
    (at most 8)."""
    return min(8, -math.floor(math.log10(gap)))


def fmt_pct(fraction: float | None) -> str:
    """A fraction (0..1) as a percentage; None (not applicable) shows as 'n/a'. One decimal from 0.1% up
    (45.3%); below, two significant digits in fixed point (0.012%, not 0.0%: a tiny MFU is not zero); 0 is '0%';
    just under 100%, down to the gap's first digit (99.96%, not 100.0%: 4 in 10,000 top-1 answers changed)."""
    if fraction is None or _missing(fraction):
        return "n/a"
    pct = 100 * fraction
    if pct == 0:
        return "0%"
    if math.isfinite(pct) and 99.95 <= pct < 100:  # one decimal would read 100.0% (top-1 agreement 99.96%)
        decimals = _gap_decimals(100 - pct)
        return f"{math.floor(pct * 10**decimals) / 10**decimals:.{decimals}f}%"  # rounded down: never 100%
    if _too_wide(pct):  # a 1e300 fraction: not 301 digits
        return f"{pct:.3g}%"
    if abs(pct) >= 0.095:  # 0.095 and up rounds to 0.1% with one decimal
        return f"{pct:.1f}%"
    return f"{'-' if pct < 0 else ''}{_two_digits_fixed(abs(pct))}%"


def fmt_accuracy(fraction: float | None) -> str:
    """An accuracy (a fraction 0..1 of held-out answers right) in percent to 0.01 points, 'n/a' for None: optimize's
    quality cell and its 'recommended accuracy' key figure (unit 'accuracy'), one text for both. fmt_pct's one
    decimal printed 97.2% on the page beside the table's 97.22% (1 of 360 test samples is 0.28 points, and changes
    are shown to 0.01 points)."""
    if fraction is None or _missing(fraction):
        return "n/a"
    return f"{100 * fraction:.2f}%"


_NUM = r"[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?"
_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}


def _negative(part: str) -> bool:
    """'-2', ' - 4 ', '-1k': a negative number (parse_count reads no sign), not a malformed one."""
    return re.fullmatch(rf"\s*-\s*{_NUM}\s*[kKmMbBgGtTpP]?\s*", part) is not None


def parse_count(text: str, what: str = "value") -> float:
    """Parse '15e12', '15T', '1.5k', '2B' (billions) into a float."""
    m = re.fullmatch(rf"\s*({_NUM})\s*([kKmMbBgGtTpP]?)\s*", str(text))
    if not m:
        if _negative(str(text)):  # '-5': a number, but no count
            raise InputError(f"{what} {text!r} is negative", "write a positive number such as 512 or 7B")
        raise UnreadableNumberError(f"cannot read {what} {text!r}", "write a number such as 15e12, 15T, 7B or 512")
    value = float(m.group(1)) * _SUFFIX[m.group(2).lower()]
    if not math.isfinite(value):  # '1e400' reads as inf
        raise InputError(f"{what} {text!r} is too large to be a number", "write a finite number such as 15e12")
    return value


# A quantity written with its unit ('80 GiB', '3.35 TB/s', '989 TFLOPS', '2.4 us'), for a file that wants SI numbers:
# prefix -> power of ten (decimal) or of two (binary: 'Gi'); base -> the SI unit it is a count of.
_TEXT_PREFIX: dict[str, tuple[int, int]] = {
    "": (10, 0), "k": (10, 3), "K": (10, 3), "M": (10, 6), "G": (10, 9), "T": (10, 12), "P": (10, 15), "E": (10, 18),
    "m": (10, -3), "u": (10, -6), "\u00b5": (10, -6), "\u03bc": (10, -6), "n": (10, -9),
    "Ki": (2, 10), "Mi": (2, 20), "Gi": (2, 30), "Ti": (2, 40), "Pi": (2, 50)}
_TEXT_BASE = {"B": "B", "byte": "B", "bytes": "B", "B/s": "B/s", "Bps": "B/s", "byte/s": "B/s", "bytes/s": "B/s",
              "FLOP/s": "FLOP/s", "FLOPS": "FLOP/s", "FLOPs": "FLOP/s", "OP/s": "FLOP/s", "OPS": "FLOP/s",
              "s": "s", "sec": "s", "W": "W"}
_TEXT_BASES = "|".join(sorted(map(re.escape, _TEXT_BASE), key=len, reverse=True))  # longest first: 'B/s' before 'B'
# One way to split the digits ([0-9]+ then an optional fraction, or a bare fraction): _NUM's '[0-9]*\.?[0-9]+' can
# split a long run of digits many ways, and a failed match on 5,000 digits took seconds.
_TEXT_NUM = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_TEXT_QUANTITY = re.compile(rf"\s*({_TEXT_NUM})\s*(Ki|Mi|Gi|Ti|Pi|[kKMGTPEmun\u00b5\u03bc]?)\s*({_TEXT_BASES})\s*")
_TEXT_MAX_CHARS = 64
"""Longer text is no quantity a datasheet writes ('3.35 TB/s'): not parsed."""


@dataclass(frozen=True)
class TextQuantity:
    """A quantity read from text with its unit: '80 GiB' -> 85899345920 B."""

    value: float
    """In `unit`, an SI unit: B, B/s, FLOP/s (OP/s too), s or W."""
    unit: str
    literal: str
    """`value` as a number literal that reads back exactly (TOML, Python): '85899345920', '3.35e12', '2.4e-6'."""
    arithmetic: str
    """How the unit was converted: '80 x 2**30' (binary prefix), '3.35e12' (decimal), '700' (none)."""


def parse_quantity(text: str) -> TextQuantity | None:
    """A quantity written with a unit ('80 GiB', '3.35 TB/s', '989 TFLOPS', '2.4 us') in SI units (binary prefixes
    binary: GiB = 2**30; decimal ones decimal: GB = 1e9); None when `text` is not one ('MB' without a number, '80 GB
    per card', a unit other than B, B/s, FLOP/s, OP/s, s or W)."""
    m = _TEXT_QUANTITY.fullmatch(str(text)) if len(str(text)) <= _TEXT_MAX_CHARS else None
    if not m:
        return None
    number, prefix, base = m.groups()
    radix, power = _TEXT_PREFIX[prefix]
    if radix == 2:
        value = float(number) * 2.0**power
        literal, arithmetic = fmt_si_literal(value), f"{number} x 2**{power}"
    else:  # scaleb: exact in decimal, so '2.4 us' is 2.4e-06 and not 2.4 x 1e-6's rounding
        value = float(Decimal(number).scaleb(power))
        # '3.35e12' where it reads as TOML ('.5e9' and '5.e9' do not: digits on both sides of the point)
        plain = re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", number) is not None
        literal = f"{number}e{power}" if power and plain else fmt_si_literal(value)
        arithmetic = literal
    if not math.isfinite(value):
        return None
    return TextQuantity(value=value, unit=_TEXT_BASE[base], literal=literal, arithmetic=arithmetic)


BYTE_UNITS = ("B", "kB", "KiB", "MB", "MiB", "GB", "GiB", "TB", "TiB")
"""The byte units parse_quantity reads (KB reads as kB), each its case-folded spelling's suggestion
(byte_spelling_meant)."""


def byte_spelling_meant(text: str) -> str | None:
    """A byte size refused for its unit's case alone, as parse_quantity reads it: '4mib' -> '4MiB', '64 kib' ->
    '64KiB' (units are case-sensitive: KiB = 1024 B, kB = 1000 B); None where no one spelling is clear (a lone 'b'
    is bits, not bytes). probe --collectives --sizes and a design TOML's byte fields suggest it."""
    m = re.fullmatch(r"\s*([0-9.eE+-]+)\s*([A-Za-z]+)\s*", str(text))
    if m is None:
        return None
    number, letters = m.groups()
    units = [u for u in BYTE_UNITS if u.lower() == letters.lower()]
    if letters == "b" or len(units) != 1 or parse_quantity(number + units[0]) is None:
        return None
    return f"{number}{units[0]}"


FLAG_UNITS = {"-gib": "GiB", "-mib": "MiB", "-kib": "KiB", "-bytes": "B"}
"""The byte unit an option reads by the end of its name (--stage-memory-gib, --sram-kib, --dram-bytes)."""


def unit_in_number(text: str, flag: str) -> tuple[str, str] | None:
    """(problem, fix) for `flag`, which reads a bare number of the byte unit its name ends in (FLAG_UNITS), typed
    with a unit of its own ('10 GB', '1kib'): the number in the flag's unit; None for any other text or flag.
    ('--stage-memory-gib 10 GB' was "not a number", fix "e.g. 0.5", the unit left unsaid.)"""
    unit_name = next((u for end, u in FLAG_UNITS.items() if flag.endswith(end)), None)
    q = parse_quantity(text) or parse_quantity(byte_spelling_meant(text) or "")
    if unit_name is None or q is None or q.unit != "B":
        return None
    n = q.value / {"B": 1, "KiB": KiB, "MiB": MiB, "GiB": GiB}[unit_name]
    shown = fmt_si_literal(n) if n == int(n) else f"{n:.6g}"  # 8000000000, not 8e+09
    return (f"{flag} {text!r} has a unit: {flag} reads a bare number of {unit_name}",
            f"write {flag} {shown} ({text.strip()} = {shown} {unit_name}; GB = 1e9 B, GiB = 2**30 B)")


def fmt_si_literal(value: float) -> str:
    """A float as a number literal that reads back exactly: 85899345920 for a whole number below 2**53, else repr
    (2.4e-06)."""
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


MAX_COUNT = 2**31 - 1
"""Largest count (devices, batch, array rows) read from a flag: past it no machine exists and the
64-bit integer arithmetic of the models overflows."""


RANGE_SYNTAX = "LOW..HIGH doubles from LOW and ends at HIGH (3..9 = 3,6,9; 512..8192 = 512,1024,...,8192)"
"""What parse_int_range does with 'LOW..HIGH' (powers of two only when LOW is one): the help of --devices and of
serve/infer's --batch, and the parser's own errors, say so."""


def parse_int_range(text: str, what: str = "range", maximum: int = MAX_COUNT) -> list[int]:
    """'512..8192' -> doubling from 512 to 8192; '3..9' -> 3, 6, 9 (ends at HIGH); '8,16,64' -> the list; '64' ->
    [64]. Each value is 1..`maximum`."""
    values = _int_range(str(text).strip(), what)
    if max(values) > maximum:  # '1e99' was printed as its 100 digits, float error and all (uttrial)
        big = max(values)
        shown = f"{big:,}" if big < 1e15 else f"{float(big):.3g}"
        raise InputError(f"{what} {text!r}: {shown} is more than {maximum:,}",
                         f"give values up to {maximum:,}")
    return values


def _int_range(text: str, what: str) -> list[int]:
    plain = _ascii_typed(text)
    if plain != text:  # '8–64' (an en dash, as copied from a document) was "cannot read", the dash unsaid
        values = _int_range(plain, what)  # its own error where the ASCII text is wrong too ('−1' is -1)
        raise InputError(f"{what} {text!r} has typographic characters (an en dash, a minus sign or full-width "
                         "digits, as a document or chat copies them)", f"write it in ASCII: {what} {plain}"
                         + (f" ({', '.join(map(str, values[:4]))}{', ...' if len(values) > 4 else ''})"
                            if ".." in plain else ""))
    if any(_negative(p) for p in re.split(r",|\.\.", text)):
        raise InputError(f"{what} {text!r}: every value must be >= 1",
                         "write positive integers, e.g. 8,16,64 or 512..8192")
    if ".." in text:
        lo_s, hi_s = text.split("..", 1)
        try:
            lo_n, hi_n = parse_count(lo_s, what), parse_count(hi_s, what)
        except InputError:  # parse_count's own fix speaks of token counts (15e12, 7B), not of a range
            raise InputError(f"cannot read {what} {text!r}", f"write {RANGE_SYNTAX}, or a list such as 8,16,64"
                             ) from None
        lo, hi = _whole(lo_n, what, text), _whole(hi_n, what, text)
        if lo < 1 or hi < lo:
            fit = f"{hi}..{lo}" if 1 <= hi < lo else f"1..{max(hi, 1)}"  # the user's own values: '64..16' -> '16..64'
            raise InputError(f"bad {what} {text!r}: need 1 <= low <= high", f"write the low end first, e.g. {fit}")
        out, v = [], lo
        while v <= hi:
            out.append(v)
            v *= 2
        if out[-1] != hi:
            out.append(hi)
        return out
    parts = text.split(",")
    if len(parts) > 1 and not all(p.strip() for p in parts):  # '8,,16' or '8,': a value left out
        raise InputError(f"{what} {text!r} has an empty item", "write e.g. 8,16,64")
    try:
        counts = [parse_count(p, what) for p in parts if p.strip()]
    except InputError:
        said = unit_in_number(text, what)
        if said is not None:
            raise InputError(*said) from None
        raise InputError(f"cannot read {what} {text!r}", f"write a list such as 8,16,64, or {RANGE_SYNTAX}") from None
    values = [_whole(c, what, text) for c in counts]
    if not values or any(v < 1 for v in values):
        raise InputError(f"{what} {text!r}: every value must be >= 1",
                         "write positive integers, e.g. 8,16,64 or 512..8192")
    return list(dict.fromkeys(values))  # a repeated value would be evaluated (and listed) twice


def _ascii_typed(text: str) -> str:
    """`text` with the characters a document or chat puts for ASCII ones made ASCII: full-width digits (NFKC), an
    en or em dash between numbers read as a range's '..', a minus sign as '-'."""
    import unicodedata

    plain = unicodedata.normalize("NFKC", text).replace("\u2212", "-")
    return re.sub(r"(?<=\d)\s*[\u2013\u2014]\s*(?=\d)", "..", plain)


def _whole(x: float, what: str, text: str) -> int:
    """`x` as an int; 1.5 devices is an error, not 1 (int() would silently truncate)."""
    if x != x or x in (float("inf"), float("-inf")) or x != int(x):
        raise InputError(f"{what} {text!r}: {x:g} is not a whole number", "write integers, e.g. 8,16,64")
    return int(x)


def parse_duration_s(text: str, what: str = "duration") -> float:
    """'30d', '12h', '90min', '45s', '2w' -> seconds. A bare number is refused: '--deadline 30' was read as 30
    seconds, though a training deadline is days (README's `--deadline 30d`), so every layout missed it."""
    m = re.fullmatch(rf"\s*([+-]?{_NUM})\s*(s|sec|m|min|h|hr|d|day|days|w|wk)?\s*", str(text))
    if not m:
        raise InputError(f"cannot read {what} {text!r} as a duration", "write e.g. 30d, 12h, 90min or 3600s")
    # the number before its unit: '-3d' was "cannot read", and the fix for a bare 1e400 was to write 1e400d
    if not 0 < float(m.group(1)) < math.inf:
        raise InputError(f"{what} {text!r} must be a finite duration > 0", "write e.g. 30d, 12h, 90min or 3600s")
    if m.group(2) is None:
        raise InputError(f"{what} {text!r} has no unit (seconds? days?)",
                         f"write the unit: e.g. {m.group(1)}d for days, {m.group(1)}h, {m.group(1)}min or "
                         f"{m.group(1)}s")
    unit = m.group(2).lower()
    scale = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": DAY_S, "day": DAY_S,
             "days": DAY_S, "w": 7 * DAY_S, "wk": 7 * DAY_S}[unit]
    seconds = float(m.group(1)) * scale
    if not 0 < seconds < math.inf:
        raise InputError(f"{what} {text!r} must be a finite duration > 0", "write e.g. 30d, 12h, 90min or 3600s")
    return seconds


# ---------------------------------------------------------------- units carried by result fields
# A result field declares its unit once (`x_s: float = unit("s")`); JSON schemas, HTML tables and plot axes
# read it from there, never from the field's name. The names below are the display units `fmt_quantity` knows.
COUNT_RATES = ("samples/s", "inferences/s", "inferences/J")
"""Rates of a count (samples per second, inferences per joule): the count's text (`fmt_count`) then the unit,
'19,002 samples/s'. Not 'count' (a rate is not a count) and not 'Hz' (19 kHz of samples reads as a frequency)."""
PUBLISHED_UNITS = ("mW", "ms", "MB", "GMAC")
"""Units of figures kept as a paper printed them (JSSC 2017 Table V: power in mW, MB = 1e6 bytes, G = 1e9 MACs):
declared as such, never as a bare 'count'; new results are SI (W, s, B, OP)."""
UNIT_NAMES = ("s", "B", "B/s", "B/param", "FLOP", "FLOP/s", "FLOP/B", "FLOP/J", "FLOP/USD", "OP", "OP/s", "OP/B",
              "OP/J", "OP/USD",
              "MAC/B", "J", "W", "USD", "USD/h", "fraction", "accuracy", "count", "cycles", "tok/s", "Hz", "kg CO2e",
              "TOPS/W", "V", "nm", "x", "device-h", *COUNT_RATES, *PUBLISHED_UNITS, "")


RateUnit = Literal["FLOP/s", "B/s"]
"""The unit of a measured rate (a probe figure: matmul FLOP/s, memory or link B/s), named as UNIT_NAMES name it, so
that the JSON document, the HTML page and the console all pass it to fmt_quantity as it is."""
RATE_UNITS: tuple[str, ...] = typing.get_args(RateUnit)


def unit(name: str, doc: str = "", **field_kw: Any) -> Any:
    """A dataclass field that carries its display unit (and a one-line meaning) in its metadata."""
    import dataclasses

    if name not in UNIT_NAMES:
        raise ValueError(f"unknown unit {name!r}")  # a programming error, not a user's
    return dataclasses.field(metadata={"unit": name, "doc": doc}, **field_kw)


def unit_of(obj: Any, name: str) -> str:
    """The unit a dataclass (or instance) declares for field or derived property `name` ('' if none)."""
    import dataclasses

    cls = obj if isinstance(obj, type) else type(obj)
    derived = getattr(cls, "DERIVED_UNITS", {})
    if name in derived:
        return str(derived[name])
    for f in dataclasses.fields(cls):
        if f.name == name:
            return str(f.metadata.get("unit", ""))
    raise KeyError(f"{cls.__name__} has no field {name!r}")


def fmt_quantity(value: float | None, unit_name: str) -> str:
    """Display text for `value` in its unit; 'n/a' for None, NaN or infinity."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "n/a" if not isinstance(value, bool) else ("yes" if value else "no")
    formatters = {"s": fmt_seconds, "B": lambda v: fmt_bytes(v, binary=True), "B/s": fmt_byte_per_s,
                  "FLOP/s": fmt_flop_per_s, "J": fmt_joules, "USD": fmt_usd, "fraction": fmt_pct,
                  "accuracy": fmt_accuracy, "W": fmt_watts,
                  "FLOP": fmt_flops, "Hz": lambda v: _si(v, "Hz"), "OP/s": lambda v: _si(v, "OP/s"),
                  "OP": lambda v: _si(v, "OP"), "tok/s": lambda v: _si(v, "tok/s")}
    if unit_name in formatters:
        return formatters[unit_name](value)
    if unit_name in ("count", ""):
        return fmt_count(value)
    if unit_name == "cycles" or unit_name in COUNT_RATES:
        return f"{fmt_count(value)} {unit_name}"
    if unit_name == "x":
        return f"{fmt_ratio(value)}x"  # the one ratio rule (was .3g: 1.23e+03x where the console printed 1234.50x)
    if unit_name == "USD/h":
        return f"{fmt_usd(value)}/h"
    if unit_name in ("FLOP/J", "FLOP/USD", "OP/J", "OP/USD"):  # 1.41 TFLOP/J, as FLOP/s reads (was 1.414e+12 FLOP/J)
        return _si(value, unit_name)
    # the rest as counts are printed (6,375,009,551,164 device-h, as plan explain prints them; was 6.375e+12)
    return f"{fmt_count(value)} {unit_name}"


def fmt_count(value: float | None) -> str:
    """A count, or a rate of counts (samples/s), the one way every table prints it: whole with thousands separators
    from 1,000 up (19,002: '.4g' printed 1.9e+04, a figure to decode), four significant digits below (2.5, 0.0123,
    1.2e-05); scientific from FIXED_POINT_MAX up (1e+30, not 31 digits of which the last 15 are float noise); 'n/a'
    for None or NaN."""
    if value is None or _missing(value):
        return "n/a"
    if not _too_wide(value) and (float(value).is_integer() or abs(value) >= 1000):
        return f"{value:,.0f}"
    return f"{value:.4g}"


@dataclass(frozen=True)
class Quantity:
    """A number with its unit, for results whose unit varies by row (e.g. `plan explain` terms)."""

    value: float | None
    unit: str

    def __str__(self) -> str:
        return fmt_quantity(self.value, self.unit)


_TIME_AXIS = ((365.25 * DAY_S, "years"), (DAY_S, "days"), (HOUR_S, "h"), (MINUTE_S, "min"), (1.0, "s"),
              (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))
_ENERGY_AXIS = ((1e6 * KWH_J, "GWh"), (1e3 * KWH_J, "MWh"), (KWH_J, "kWh"), (1e6, "MJ"), (1e3, "kJ"), (1.0, "J"),
                (1e-3, "mJ"), (1e-6, "µJ"), (1e-9, "nJ"), (1e-12, "pJ"))
_BYTE_AXIS = ((TiB, "TiB"), (GiB, "GiB"), (MiB, "MiB"), (KiB, "KiB"), (1.0, "B"))


def axis_scale(values: list[float | None], unit_name: str) -> tuple[float, str]:
    """(divisor, axis unit) so that the largest |value| reads between 1 and 1000 (or 1 and 60 for times):
    picked from the data, with the same unit names `fmt_quantity` prints (e.g. kJ, not MWh, for 5e4 J)."""
    top = max((abs(v) for v in values if v is not None and math.isfinite(v)), default=1.0) or 1.0
    if unit_name == "s":
        table: tuple[tuple[float, str], ...] = _TIME_AXIS
    elif unit_name == "J":
        table = _ENERGY_AXIS
    elif unit_name == "B":
        table = _BYTE_AXIS
    elif unit_name in ("count", "cycles", "fraction", "accuracy", "x", "USD", "", *COUNT_RATES, *PUBLISHED_UNITS):
        return (100.0, "%") if unit_name in ("fraction", "accuracy") else (1.0, unit_name)
    else:
        table = tuple((s, p + unit_name) for s, p in (*_SI_PREFIXES, (1.0, ""), (1e-3, "m"), (1e-6, "µ")))
    for scale, name in table:
        if top >= scale:
            return scale, name
    return table[-1]


def fmt_ratio(v: float | None) -> str:
    """A ratio's number, the one rule for every ratio printed (speed-ups, their rounds, bounds, scaling):
    two decimals from 1 up (1.37, 123.46); below 1 up to three significant digits in fixed point, trailing zeros
    dropped down to two decimals (0.523, 0.52, 0.0104 where two decimals printed 0.01, 0.0028, not 0.00: a bf16
    variant 360 times slower is not a speed-up of zero); 0 is 0.00."""
    if v is None or math.isnan(v):  # not measured, or 0/0: 'n/a' as every formatter prints it (was 'nan')
        return "n/a"
    if _too_wide(v) and not math.isinf(v):
        return f"{v:.3g}"
    if v == 0 or math.isinf(v) or abs(v) >= 1:  # inf: an unbounded Amdahl bound, 1 / (1 - 1)
        return f"{v:.2f}"
    return f"{'-' if v < 0 else ''}{_three_digits_fixed(abs(v))}"


def _three_digits_fixed(value: float) -> str:
    """0 < value < 1 with up to three significant digits (_two_digits_fixed at three), trailing zeros dropped down
    to two decimals (0.0104, 0.50, 0.001; 0.9996 is 1.00), or in scientific notation past 8 decimals (1.2e-11)."""
    text = _two_digits_fixed(value, 3)
    if "e" in text:
        return text
    text = text.rstrip("0")
    return text + "0" * max(0, 2 - len(text.split(".")[1]))
