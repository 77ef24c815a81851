"""The accelerator catalog: cited TOML data, one file per device family, plus user files.

File format (see data/nvidia_datacenter.toml):

    [sources]                       # short key -> full citation (document, table/page, URL)
    h100-ds = "NVIDIA H100 Tensor Core GPU datasheet (2023) ..."

    [[device]]
    name = "h100-sxm"
    display_name = "NVIDIA H100 SXM5 80GB"
    kind = "gpu"                    # gpu | tpu | asic | fpga | npu | cpu
    vendor = "NVIDIA"
    aliases = ["h100"]
    memory_bytes = [80e9, "h100-ds"]          # [value, source key]: every number has a source
    peak_flop_per_s = { bf16 = [989.4e12, "h100-ds"], ... }
    price_usd_per_hour = [2.49, "lambda-2024"]
    price_date = "2024-06"

A value may also be `{ value = ..., source = "..." }`; a source may be a key of [sources] or a
full citation string.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shlex
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from accelopt.errors import InputError, UnknownNameError, close_matches, name_key, unknown_fields
from accelopt.hardware.spec import NUMERIC_FIELDS, AcceleratorSpec, check_units
from accelopt.units import parse_quantity
from accelopt.userio import looks_like_file, near_files, path_kind, read_user_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_TEXT_FIELDS = ("name", "display_name", "kind", "vendor", "price_date", "notes")
_PER_DTYPE = ("peak_flop_per_s", "measured_matmul_flop_per_s")
"""Fields given per dtype, each value with its source: { bf16 = [989.4e12, "h100-ds"] }."""
_PER_KEY = (*_PER_DTYPE, "measured_fused_attention_flop_per_s", "inference_curve")
"""Tables of sourced numbers: the per-dtype fields, and inference_curve (keys of spec.INFERENCE_CURVE_KEYS:
{ matmul_eff_max = [0.8, "fitted on ..."] }, written by `simulate export`)."""
_SOURCED_TEXT = ("compute_capability",)
"""Text figures cited like numbers: compute_capability = ["9.0", "cuda-gpus"] (NVIDIA's 'major.minor')."""
_FLAGS = ("measured", "memory_is_max_supported", "pcie_card")
"""true/false fields (AcceleratorSpec's docstrings)."""
_ALLOWED = set(_TEXT_FIELDS) | set(NUMERIC_FIELDS) | {"aliases", *_FLAGS, *_PER_KEY, *_SOURCED_TEXT}


def _value_and_source(raw: Any, path: str, sources: dict[str, str], where: str) -> tuple[float, str]:
    if isinstance(raw, list) and len(raw) == 2:
        value, src = raw
    elif isinstance(raw, dict) and set(raw) == {"value", "source"}:
        value, src = raw["value"], raw["source"]
    elif isinstance(raw, str):  # "48 GB": read as a number without a source, which named the wrong problem
        raise InputError(f"{where}: field {path} = {raw!r} is text, not a number with its source",
                         _text_fix(raw, path, "source"))
    else:
        raise _not_a_pair(raw, path, where)
    if isinstance(value, str):
        raise InputError(f"{where}: field {path} value {value!r} is not a number", _text_fix(value, path, src))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: field {path} value {value!r} is not a number",
                         f'give a plain number in SI units, e.g. {path} = [48e9, "my datasheet"] for 48 GB')
    if not isinstance(src, str) or not src.strip():
        raise InputError(f"{where}: field {path} has an empty source", "name the document the number comes from")
    _check_source_key(src, path, sources, where)
    return float(value), sources.get(src, src)


def _text_and_source(raw: Any, path: str, sources: dict[str, str], where: str) -> tuple[str, str]:
    """A cited text figure, [text, source] or { value = text, source = ... }: compute_capability = ["9.0", "src"]. A
    number in its place (9.0 unquoted) is refused: 10.30 and 10.3 would read alike, and 12 has no minor."""
    if isinstance(raw, list) and len(raw) == 2:
        value, src = raw
    elif isinstance(raw, dict) and set(raw) == {"value", "source"}:
        value, src = raw["value"], raw["source"]
    else:
        raise InputError(f"{where}: field {path} = {raw!r} is not [\"text\", \"source\"]",
                         f'write {path} = ["9.0", "NVIDIA CUDA GPUs page"]: the figure in quotes, then its source')
    if not isinstance(value, str):
        raise InputError(f"{where}: field {path} = {value!r} is not text",
                         f'write it in quotes as NVIDIA does, e.g. {path} = ["9.0", "{src}"]')
    if not isinstance(src, str) or not src.strip():
        raise InputError(f"{where}: field {path} has an empty source", "name the document the figure comes from")
    _check_source_key(src, path, sources, where)
    return value, sources.get(src, src)


def _check_source_key(src: str, path: str, sources: dict[str, str], where: str) -> None:
    """One word beside a [sources] table is a key, misspelt: it printed as the citation itself ('h100-dss')."""
    if sources and src not in sources and not any(c.isspace() for c in src.strip()):
        raise InputError(f"{where}: field {path} cites {src!r}, which is not a key of [sources] "
                         f"({', '.join(sorted(sources))})", "use one of those keys, or write the citation out in words")


def _not_a_pair(raw: Any, path: str, where: str) -> InputError:
    """The error for a number not written as [value, "source"] or { value = ..., source = "..." }: a dict with other
    keys (a `unit` key was refused as 'has no source', its unit unread), or a list of other than two items."""
    fix = f'write {path} = [value, "source"] — every number needs its source'
    if isinstance(raw, dict) and "value" in raw and "source" in raw:
        extra = ", ".join(sorted(set(raw) - {"value", "source"}))
        q = parse_quantity(f"{raw['value']} {raw['unit']}") if isinstance(raw.get("unit"), str) else None
        if q is not None and q.unit == _si_unit(path):  # { value = 80, unit = "GiB" }: say what it is in bytes
            fix = (f'write {path} = {{ value = {q.literal}, source = "{raw["source"]}" }}: {raw["value"]} '
                   f'{raw["unit"]} = {q.arithmetic} {q.unit} (SI units, no unit key)')
        else:
            fix = f"{fix}, its value in {_si_unit(path) or 'SI units'}"
        return InputError(f"{where}: field {path} has key(s) {extra} beside value and source; a number is "
                          "{ value = ..., source = \"...\" } in SI units", fix)
    if isinstance(raw, list) and len(raw) > 2:
        return InputError(f"{where}: field {path} = {raw!r} has {len(raw)} items, not [value, \"source\"]",
                          f"{fix}; put remarks in the source text or in notes")
    return InputError(f"{where}: field {path} = {raw!r} has no source", fix)


def _si_unit(path: str) -> str:
    """The SI unit of a catalog field (path 'peak_flop_per_s.bf16' or 'memory_bytes'); '' for a count or a price."""
    name = path.split(".")[0]
    if name in (*_PER_DTYPE, "measured_fused_attention_flop_per_s"):
        return "FLOP/s"
    return next((u for end, u in (("_byte_per_s", "B/s"), ("_bytes", "B"), ("_s", "s"), ("_w", "W"))
                 if name.endswith(end)), "")


def _text_fix(text: str, path: str, src: str) -> str:
    """The fix for a number written as text: the SI number it reads as, where the text is a quantity in the field's
    unit ('80 GiB' -> 85899345920, GiB being 2**30 bytes and GB 1e9); else an example."""
    q = parse_quantity(text)
    unit = _si_unit(path)
    try:  # '4.8e10' in quotes: the number is right, TOML reads it as text (the fix was the generic example)
        plain = float(text.replace("_", ""))
    except ValueError:
        plain = math.nan
    if math.isfinite(plain):
        return f'write {path} = [{text.strip()}, "{src}"]: the number without quotes (quoted, TOML reads it as text)'
    if q is None or q.unit != unit:
        wrong = f" ({text!r} is in {q.unit}, {path} in {unit})" if q is not None and unit else ""
        return (f'write {path} = [number in SI units, "source"], e.g. [48e9, "my datasheet"] for 48 GB (GB = 1e9 '
                f"bytes, GiB = 2**30){wrong}")
    return f'write {path} = [{q.literal}, "{src}"]: {text.strip()} = {q.arithmetic} {unit} (SI units, no unit text)'


_COUNT_FIELDS = ("scaleup_domain_devices", "cores", "streaming_multiprocessors")


def _whole(v: float, fname: str, where: str) -> int:
    """A count field's value: a whole number >= 1 (int() turned 8.5 devices into 8 and took 0 cores as 'not
    given')."""
    if not (math.isfinite(v) and v >= 1 and v == int(v)):
        raise InputError(f"{where}: {fname} = {v:g} is not a whole number >= 1", f"give {fname} as a count, e.g. 8")
    return int(v)


_PRICE_DATE = re.compile(r"\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?")


def _check_price_not_future(text: str, where: str) -> None:
    """A price_date after today is a slip (price_date = "2031-10" for 2021-10 loaded, printed beside every cost as
    the price's date): the date says when the price was read."""
    year, month = int(text[:4]), int(text[5:7])
    day = int(text[8:10]) if len(text) > 7 else 1
    try:
        when = dt.date(year, month, day)
    except ValueError:  # 2026-02-31: no such day
        raise InputError(f"{where}: price_date = {text!r} is not a day of the calendar",
                         'write the month the price was read, e.g. price_date = "2026-11"') from None
    today = dt.date.today()
    if when > today:
        raise InputError(f"{where}: price_date = {text!r} is after today ({today.isoformat()}): the date says when the "
                         "price was read", f'write the month it was read, e.g. price_date = "{today:%Y-%m}"')


# The figures of a scale-up link, which only a domain of 2+ devices uses (predict/comm.py Links.pick).
_SCALEUP_LINK_FIELDS = ("scaleup_bandwidth_byte_per_s", "scaleup_peer_bandwidth_byte_per_s", "scaleup_latency_s")


def _check_scaleup_domain(table: dict[str, Any], domain: int | None, where: str) -> None:
    """A scale-up link given without its domain size: scaleup_domain_devices took its default 1 (no scale-up link), so
    the link was never used and every collective ran on the scale-out figure (or its printed default), unsaid; the
    same with the domain written out as 1 (`domain`, the file's value; None: not given)."""
    given = [f for f in _SCALEUP_LINK_FIELDS if f in table]
    fix = ("add scaleup_domain_devices = [N, \"source\"]: the devices the link joins (8 for an HGX node), or remove "
           "the scale-up figures")
    if given and domain is None:
        raise InputError(f"{where}: {', '.join(given)} given without scaleup_domain_devices, so the scale-up link "
                         "would never be used (a domain of 1 device)", fix)
    if given and domain == 1:
        raise InputError(f"{where}: {', '.join(given)} given with scaleup_domain_devices = 1, so the scale-up link "
                         "would never be used (a domain of 1 device has no scale-up peer)",
                         fix.replace("add scaleup_domain_devices", "give scaleup_domain_devices"))


def _check_nameable(where: str, name: str, aliases: list[str]) -> None:
    """A device name or alias that `--hardware` can name: not blank, no space, tab or control character (one shell
    word), no comma (`--hardware a,b` is a list of two
    devices: a device named 'a,b' loaded, and `plan --hardware a,b` then said "unknown device 'a': did you mean
    'a,b'?")."""
    for label in (name, *aliases):
        if not label.strip() or "," in label:
            kind = "alias" if label is not name else "name"
            raise InputError(f"{where}: device {kind} {label!r} cannot be given to --hardware (a comma separates "
                             "devices there; a blank names none)",
                             f"rename it without commas, e.g. {label.replace(',', '-').strip() or 'my-device'!r}")
        if any(c.isspace() or not c.isprintable() for c in label):  # no bundled name or alias has one (2026-12-03)
            kind = "alias" if label is not name else "name"
            word = "-".join("".join(c if c.isprintable() else " " for c in label).split())
            raise InputError(f"{where}: device {kind} {label!r} holds a space or other blank, which --hardware "
                             "cannot take as one word (the shell splits it, and `catalog show` could not name it)",
                             f"rename it as one word, e.g. {word!r} (display_name may hold spaces)")
        _check_not_reserved(where, label, "alias" if label is not name else "name")


def _check_not_reserved(where: str, label: str, kind: str) -> None:
    """A name --hardware reads as something else: 'all' (every device: a device named 'all' loaded and could never be
    picked alone) or a '.toml' ending (a file path: 'unknown file')."""
    key = label.strip().lower()
    if key == "all" or key.endswith(".toml"):
        meaning = "every catalog device" if key == "all" else "the path of a spec file"
        raise InputError(f"{where}: device {kind} {label!r} cannot be given to --hardware, which reads it as "
                         f"{meaning}", f"rename it, e.g. {'my-' + key.removesuffix('.toml').replace('.', '-')!r}")


def _text(value: Any, fname: str, where: str) -> str:
    """A text field's value; an InputError for any other type (vendor = ["a"] was shown as "['a']", notes = 5 as
    '5'). A TOML date (price_date = 2026-01-15, unquoted) reads as its ISO text."""
    if isinstance(value, str):
        return value
    if fname == "price_date" and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    example = '"2026-11" (the month the price was read)' if fname == "price_date" else '"..." in quotes'
    raise InputError(f"{where}: {fname} = {value!r} is not text", f"write {fname} = {example}")


def spec_from_table(table: dict[str, Any], sources: dict[str, str], where: str) -> AcceleratorSpec:
    """Build one AcceleratorSpec from a parsed [[device]] table, naming any bad field."""
    name = table.get("name")
    if name is None or name == "":
        raise InputError(f"{where}: a [[device]] has no name", 'add name = "my-device"')
    if not isinstance(name, str):  # name = 123 was reported as no name at all
        raise InputError(f"{where}: a [[device]] has name = {name!r}, which is not text",
                         f'write the name in quotes, e.g. name = "{name}"')
    file_where, where = where, f"{where}, device {name!r}"
    unknown = sorted(set(table) - _ALLOWED)
    if unknown:
        raise unknown_fields(where, unknown, sorted(_ALLOWED))
    for req in ("kind", "memory_bytes", "memory_bandwidth_byte_per_s", "peak_flop_per_s"):
        if req not in table:
            raise InputError(f"{where}: missing field {req!r}", f"add {req} (see `accelopt catalog show h100-sxm`)")
    cited: dict[str, str] = {}
    kwargs: dict[str, Any] = {}
    for fname in _PER_KEY:
        if fname not in table:
            continue
        if not isinstance(table[fname], dict):
            example = {"inference_curve": "matmul_eff_max = [0.8, \"src\"]",
                       "measured_fused_attention_flop_per_s": 'forward = [1.2e15, "src"], backward = [0.9e15, "src"]'
                       }.get(fname, 'bf16 = [1e15, "src"]')
            raise InputError(f"{where}: {fname} must be a table", f"write {fname} = {{ {example} }}")
        per: dict[str, float] = {}
        for dtype, raw in table[fname].items():
            path = f"{fname}.{dtype}"
            per[dtype], cited[path] = _value_and_source(raw, path, sources, where)
        kwargs[fname] = per
    for fname in NUMERIC_FIELDS:
        if fname in table:
            v, cited[fname] = _value_and_source(table[fname], fname, sources, where)
            kwargs[fname] = _whole(v, fname, where) if fname in _COUNT_FIELDS else v
    for fname in _TEXT_FIELDS:
        if fname in table:
            kwargs[fname] = _text(table[fname], fname, where)
    for fname in _SOURCED_TEXT:
        if fname in table:
            kwargs[fname], cited[fname] = _text_and_source(table[fname], fname, sources, where)
    kwargs.setdefault("display_name", name)
    kwargs.setdefault("vendor", "")
    aliases = table.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise InputError(f"{where}: aliases must be a list of strings", 'write aliases = ["h100"]')
    _check_nameable(file_where, name, aliases)
    flags = {f: table.get(f, False) for f in _FLAGS}
    for fname, flag in flags.items():
        if not isinstance(flag, bool):
            raise InputError(f"{where}: {fname} = {flag!r} must be true or false",
                             f"write {fname} = true or remove it")
    _check_scaleup_domain(table, kwargs.get("scaleup_domain_devices"), where)
    if "price_usd_per_hour" in table and "price_date" not in table:
        raise InputError(f"{where}: price_usd_per_hour has no price_date", 'add price_date = "YYYY-MM"')
    if "price_date" in table and not _PRICE_DATE.fullmatch(str(table["price_date"])):  # printed as the price's date
        raise InputError(f"{where}: price_date = {table['price_date']!r} is not a date YYYY-MM (or YYYY-MM-DD)",
                         'write the month the price was read, e.g. price_date = "2026-11"')
    if "price_date" in table:
        _check_price_not_future(str(table["price_date"]), where)
    try:
        spec = AcceleratorSpec(aliases=tuple(aliases), sources=cited, **flags, **kwargs)
        check_units(spec)  # a file's number in the wrong unit (989 meaning TFLOP/s) would run as a real device
        return spec
    except InputError as e:  # validate_spec does not know the file: name it here (its problem names the device)
        named = e.problem.startswith(f"device {name!r}")
        raise InputError(f"{file_where}, {e.problem}" if named else f"{where}: {e.problem}", e.fix) from None


def load_file(path: Path | str, text: str | None = None, *, flag: str = "") -> list[AcceleratorSpec]:
    """Parse one catalog TOML file; errors name the file (after `flag`, the option that gave it), device and field."""
    path = Path(path)
    where = f"{flag} {path}" if flag else str(path)
    if text is None:
        fix = ("check the path given to --catalog" if flag else
               "check the path (a device spec .toml, given as a device name or with --catalog / --hardware / --probed)")
        text = read_user_text(path, f"{flag} file" if flag else "catalog file", fix)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"catalog file {where} is not valid TOML: {e}", "fix the TOML syntax at that line") from None
    sources = _sources_table(doc.get("sources", {}), where)
    extra = sorted(set(doc) - {"sources", "device"})
    if extra and "device" in doc:  # a misspelt [sources] header, or a field above the first [[device]]
        raise InputError(f"{where}: unknown table(s) or top-level key(s) {', '.join(extra)}",
                         "a catalog file holds a [sources] table and [[device]] tables only; put each field under "
                         "its [[device]]")
    devices = doc.get("device", [])
    if not isinstance(devices, list) or not devices:
        what = ("is empty" if not doc else f"has no [[device]] table{_holds(extra)}" if "device" not in doc
                else f"has device = {devices!r}, not [[device]] tables")
        leave_out = f", or leave out {flag} {path} to use the built-in catalog alone" if flag else ""
        raise InputError(f"{where}: the catalog file {what}, so it adds no device",
                         "add a [[device]] table with name, kind, memory_bytes, memory_bandwidth_byte_per_s and "
                         "peak_flop_per_s (examples/my_accelerator.toml; `accelopt catalog show h100-sxm` shows every "
                         f"field){leave_out}")
    return [spec_from_table(t, sources, where) for t in devices]


def _sources_table(sources: Any, where: str) -> dict[str, str]:
    """The [sources] table, key -> citation text; an InputError naming a key whose citation is not text (`a = 1`
    loaded, and `catalog show` crashed printing the number 1 as a source)."""
    if not isinstance(sources, dict):
        raise InputError(f"{where}: [sources] must be a table of key = \"citation\"", "see data/nvidia_datacenter.toml")
    for key, text in sources.items():
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{where}: [sources] {key} = {text!r} is not a citation",
                             f'write {key} = "the document, its table or page, and URL" in quotes')
    return sources


def _holds(names: list[str]) -> str:
    """' (it holds devices, ...)': what a file without [[device]] holds instead, a misspelt [[devices]] among them."""
    return f" (it holds {', '.join(names)})" if names else ""


def _builtin_texts() -> Iterator[tuple[str, str]]:
    data = resources.files("accelopt.hardware.catalog") / "data"
    for entry in sorted(data.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            yield f"<catalog>/{entry.name}", entry.read_text(encoding="utf-8")


@dataclass
class Catalog:
    """Name -> spec, with aliases; unknown names raise with suggestions."""

    specs: dict[str, AcceleratorSpec] = field(default_factory=dict)
    _alias: dict[str, str] = field(default_factory=dict)
    user_files: list[str] = field(default_factory=list)
    """The --catalog files loaded beside the built-in ones, as given (`catalog list` lists their devices only with
    them)."""

    def add(self, spec: AcceleratorSpec, replace: bool = False) -> None:
        key = spec.name.lower()
        if key in self.specs and not replace:
            raise InputError(f"device {spec.name!r} is defined twice", "rename one of them")
        for a in (spec.name, *spec.aliases):
            owner = self._alias.get(a.lower())
            if owner is not None and owner != key:
                raise InputError(f"name or alias {a!r} of device {spec.name!r} is already used by {owner!r}",
                                 "choose a different name or alias")
        self.specs[key] = spec
        for a in (spec.name, *spec.aliases):
            self._alias[a.lower()] = key

    def get(self, name: str, *, catalog_flag: bool = True, own: str | None = None) -> AcceleratorSpec:
        """The spec of a name or alias; an UnknownNameError with the closest names (`catalog_flag`: whether the
        command takes --catalog FILE, which the error then offers for a device of the user's own file; `own`:
        unknown_device's)."""
        key = self._alias.get(name.strip().lower())
        if key is None:  # names and aliases, each once
            raise unknown_device(name, sorted(self._alias), len(self.specs), catalog_flag=catalog_flag,
                                 user_files=self.user_files, own=own)
        return self.specs[key]

    def __contains__(self, name: str) -> bool:
        return name.strip().lower() in self._alias

    def __iter__(self) -> Iterator[AcceleratorSpec]:
        return iter(self.specs.values())

    def __len__(self) -> int:
        return len(self.specs)

    def by_kind(self, kind: str | None) -> list[AcceleratorSpec]:
        return [s for s in self if kind is None or s.kind == kind]


# Words a user may put before a catalog name ("nvidia-a100", "google tpu-v5e"): the catalog names leave them out.
_VENDOR_WORDS = re.compile(r"^(nvidia|amd|google|intel|habana|aws|qualcomm|apple|groq|cerebras)[-_ ]+")


def _normalized(name: str) -> str:
    """`name` lower-cased, spaces and underscores as dashes, without a leading vendor word."""
    return _VENDOR_WORDS.sub("", name_key(name))


def closest_devices(name: str, known: list[str], n: int = 3) -> list[str]:
    """Up to `n` known device names closest to `name`, best first: errors.close_matches (the one ranking) on the
    name without a vendor word ('nvidia-a100' -> 'a100'), at a cutoff of 0.5 ('a100' for 'v100' and the like are
    not offered)."""
    return close_matches(_normalized(name), known, n=n, cutoff=0.5)


def _product_entry(name: str, known: list[str]) -> str | None:
    """The catalog entry that `name`, a product name as the driver prints it ('NVIDIA H100 80GB HBM3', what
    nvidia-smi and torch.cuda.get_device_name say), maps to in detect.PRODUCT_TO_CATALOG, the table env and probe
    read; None for any other name. Offered first, not taken: a lookup by name stays exact (user trial ut3prof: that
    H100's name was offered 'h100-80gb-8', a Google Cloud VM's entry, first; 'AMD Instinct MI250X' the package)."""
    from accelopt.hardware.detect import PRODUCT_TO_CATALOG, normalize_product

    target = PRODUCT_TO_CATALOG.get(normalize_product(name))
    return target if target in known else None


def unknown_device(name: str, known: list[str], n_devices: int, *, catalog_flag: bool = True,
                   user_files: Iterable[str] = (), own: str | None = None) -> UnknownNameError:
    """The error for a device name not in the catalog: the closest names (not the alphabet's first ones), and where
    the full list is (`accelopt catalog list`). `catalog_flag`: the command takes --catalog FILE (a flag such as
    `profile --probed`, which reads one spec file and no catalog, passes False). `own`: how the caller reads a device
    of the user's own, where that is not a command's argument (a runs row's hardware cell); None: the command's."""
    # the count includes the --catalog files' devices: `catalog list` alone lists fewer
    files = "".join(f" --catalog {shlex.quote(f)}" for f in user_files)
    full_list = f"`accelopt catalog list{files}` lists all {n_devices} devices"
    close = closest_devices(name, known)
    product = _product_entry(name, known)
    if product:  # the name the driver prints: the entry env and probe map it to, first
        close = [product, *[c for c in close if c != product]][:3]
    own = own or ("pass a spec TOML path (`accelopt catalog show h100-sxm` shows its fields), or --catalog FILE for "
                  "a device of your own catalog file" if catalog_flag else
                  "pass the path of a spec TOML that holds one device, your own included (this command takes no "
                  "--catalog; `accelopt catalog show h100-sxm` shows the fields)")
    # a near name is offered first, but the device may be the user's own, which no catalog name is near ('my-tpu' was
    # offered 'edge-tpu' or 'tpu-v4' alone, without the --catalog FILE that would have read it: uttrial3, 2026-12-05)
    said = (f" (the entry `accelopt env` maps the product name {name!r} to)" if product else "")
    fix = (f"did you mean {' or '.join(repr(c) for c in close)}?{said} ({full_list}); for a device of your own, {own}"
           if close else f"{full_list}; or {own}")
    if _is_folder(name):  # 'specs/' was "no file of that name", fix: "did you mean the file 'specs'?" (ut5fuzz)
        return UnknownNameError(f"unknown device {name!r}: {name!r} is a folder, not a spec file",
                                f"give the path of a spec .toml file (one in that folder, or one written by `accelopt "
                                f"probe --save` or `accelopt simulate export`), or a device name ({full_list})")
    # a mistyped spec path ('mygpu.tml') was offered catalog names only (a user trial, uttrialC)
    near = near_files(name) if looks_like_file(name) else []
    if near:
        return UnknownNameError(f"unknown device {name!r}, and no file of that name",
                                f"did you mean the file {' or '.join(repr(f) for f in near)}? ({full_list})")
    return UnknownNameError(f"unknown device {name!r}", fix)


def _is_folder(name: str) -> bool:
    """Whether `name` is the path of a folder; False for a name no path can be (too long, a NUL byte)."""
    try:
        return bool(name.strip()) and path_kind(name, "device") == "folder"
    except InputError:
        return False


def _same_file_key(path: Path | str) -> str:
    """One key per file however it is spelled (relative, absolute, through a link)."""
    try:
        return str(Path(path).resolve())
    except (OSError, ValueError, RuntimeError):  # a path that cannot resolve: load_file reports it
        return str(path)


def load_catalog(extra_files: Iterable[Path | str] = ()) -> Catalog:
    """The built-in catalog plus user files. A user entry may not take a built-in name or alias: it would
    silently change every result for that name (rename it, e.g. h100-sxm-ours, and use that name)."""
    cat = Catalog()
    for where, text in _builtin_texts():
        for spec in load_file(where, text):
            cat.add(spec)
    builtin = dict(cat._alias)
    seen: set[str] = set()
    origin: dict[str, Path | str] = {}  # a user device (lower case) -> the --catalog file it came from
    for path in extra_files:
        same = _same_file_key(path)
        if same in seen:  # else "device X is defined twice; rename one of them", of one file given twice
            raise InputError(f"catalog file {path} is given twice", "pass each --catalog file once")
        seen.add(same)
        cat.user_files.append(str(path))
        for spec in load_file(path, flag="--catalog"):
            _refuse_builtin_name(path, spec, builtin, "pass the new name")
            try:
                cat.add(spec)
            except InputError as e:  # name the user's file in the message, and the other file where one holds it
                raise _clash_in_files(path, spec, e, cat, origin) from None
            origin[spec.name.lower()] = path
    return cat


def _clash_in_files(path: Path | str, spec: AcceleratorSpec, e: InputError, cat: Catalog,
                    origin: dict[str, Path | str]) -> InputError:
    """`e` (a device defined twice, or a name or alias taken) said of `path`; where the other device came from an
    earlier --catalog file, that file is named too: 'c2.toml: device 'my-asic' is defined twice' named one file of
    the two, and 'rename one of them' did not say where the other one was."""
    taken = next((cat._alias[a.lower()] for a in (spec.name, *spec.aliases) if a.lower() in cat._alias), None)
    other = origin.get(taken) if taken is not None else None
    if other is None or str(other) == str(path):
        return InputError(f"{path}: {e.problem}", e.fix)
    assert taken is not None  # other is set
    return InputError(f"{path}: {e.problem} ({cat.specs[taken].name!r} is in --catalog {other})",
                      f"{e.fix}, or pass only one of {other} and {path}")


def _refuse_builtin_name(path: Path | str, spec: AcceleratorSpec, builtin: dict[str, str], use: str) -> None:
    """An InputError when a user file's device takes the name or an alias of a built-in device (`builtin`: the
    built-in catalog's names and aliases, lower case -> device): it would stand in for that device unsaid (its
    calibration family and its published runs included). `use`: how to use the renamed device."""
    taken = [a for a in (spec.name, *spec.aliases) if a.strip().lower() in builtin]
    if taken:
        owner = builtin[taken[0].strip().lower()]
        raise InputError(f"{path}: device {spec.name!r} uses the name {taken[0]!r} of the built-in device "
                         f"{owner!r}; it would replace it silently",
                         f"rename it (e.g. name = \"{spec.name}-ours\", without that alias) and {use}; see the "
                         f"built-in one with `accelopt catalog show {owner}`")


_DEFAULT: Catalog | None = None


def default_catalog() -> Catalog:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_catalog()
    return _DEFAULT


def get_device(name: str, extra_files: Iterable[Path | str] = (), *, catalog_flag: bool = True,
               own: str | None = None) -> AcceleratorSpec:
    """Resolve a device name (or a path to a measured/user spec TOML) to a spec. `catalog_flag`: whether the command
    takes --catalog FILE (its errors offer the flag only then; `profile --probed`, one spec file, passes False);
    `own`: unknown_device's."""
    p = Path(name)
    if name.strip().lower().endswith(".toml"):  # a path, never a device name: a missing file says so
        specs = load_file(p)
        if len(specs) != 1:
            names = ", ".join(s.name for s in specs)
            raise InputError(f"{p} holds {len(specs)} devices ({names})",
                             "pass it with --catalog and name the device" if catalog_flag else
                             "this command takes one device per file: copy the device's [[device]] table (and the "
                             "[sources] it cites) into a .toml file of its own and pass that path")
        _refuse_builtin_name(p, specs[0], default_catalog()._alias, "pass the file's path again")
        return specs[0]
    extra = list(extra_files)
    cat = load_catalog(extra) if extra else default_catalog()
    return cat.get(name, catalog_flag=catalog_flag, own=own)


def own_spec_files(hardware: str, extra_files: Iterable[Path | str] = ()) -> dict[str, str]:
    """Device name -> 'PATH (the --hardware file)' or 'PATH (a --catalog file)' for each device read from a file of
    the user's (a spec TOML in the --hardware value `hardware`, or one of the --catalog `extra_files`), not from the
    built-in catalog: where a fix for a figure the device lacks sends the user (missing_figure_note)."""
    out = {spec.name: f"{f} (a --catalog file)" for f in extra_files for spec in load_file(f, flag="--catalog")}
    for name in (h.strip() for h in hardware.split(",")):
        if name.lower().endswith(".toml"):  # a path, as get_device reads it
            out[load_file(name)[0].name] = f"{name} (the --hardware file)"
    return out


def missing_figure_note(lead: str, lacks: str, fields: str, devices: Iterable[str], files: dict[str, str], *,
                        flag: str = "") -> str | None:
    """Why a figure ('cost (est.) is') reads n/a on `devices`, which lack `lacks` ('TDP'), and where to give `fields`
    ('tdp_w'): a --catalog TOML for a catalog device; for one read from a file of the user's (`files`:
    own_spec_files), its [[device]] table in that file (the fix said 'in a --catalog TOML' for a device given as
    --hardware FILE: uttrialC). `flag`: an option that gives the figure on the command line, offered first. None
    when `devices` is empty; one clause per file, joined by '; '."""
    names = list(devices)
    builtin = [d for d in names if d not in files]
    by_file: dict[str, list[str]] = {}
    for d in names:
        if d in files:
            by_file.setdefault(files[d], []).append(d)
    parts = []
    if builtin:
        fix = f"{fields} in a --catalog TOML"
        parts.append(f"{lead} n/a on {', '.join(builtin)}: no {lacks} in the catalog — "
                     + (f"give {flag} (or {fix})" if flag else f"give {fix}"))
    for path, on in by_file.items():
        fix = (f"add {fields} to the [[device]] table of {', '.join(on)} in {path}, written as [value, source] like "
               "the table's other figures")
        parts.append(f"{lead} n/a on {', '.join(on)}: no {lacks} in its spec — "
                     + (f"give {flag} (or {fix})" if flag else fix))
    return "; ".join(parts) or None


def resolve_devices(text: str, extra_files: Iterable[Path | str] = ()) -> list[AcceleratorSpec]:
    """A --hardware value: comma-separated device names or spec TOML paths, or 'all' (every catalog device, the
    --catalog files' included). Empty, or a device named twice (names or aliases: every row would be listed
    twice), is an InputError."""
    names = [h.strip() for h in text.split(",") if h.strip()]
    if not names:
        raise InputError(f"--hardware {text!r} names no device", "write e.g. --hardware h100-sxm,mi300x, or all")
    if [n.lower() for n in names] == ["all"]:
        return list(load_catalog(extra_files))
    specs = [get_device(n, extra_files) for n in names]  # unknown names fail before any work
    dup = sorted({sp.name for sp in specs if [x.name for x in specs].count(sp.name) > 1})
    if dup:
        raise InputError(f"--hardware names {', '.join(dup)} more than once (names or aliases)",
                         "name each device once")
    return specs
