"""The one dtype table: accelopt's dtype names with their bytes per element, torch dtype and catalog peak key.

Every module that needs the size of a dtype, its torch counterpart or the AcceleratorSpec peak it runs at reads
it from here (before, seven modules each kept their own map). Each command still accepts only the dtypes it
supports (training: bf16/fp16/fp8; serving weights: bf16/fp16/fp8/int8/int4; ...): those subsets are names
from this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accelopt.errors import InputError, unknown_name


@dataclass(frozen=True)
class DType:
    name: str
    """accelopt's name, as on the command line and in catalog TOML: 'bf16'."""
    bytes: float
    """Bytes per stored element (int4 packs two per byte: 0.5; group scales are counted by their users)."""
    torch_name: str | None
    """Attribute of the torch module holding the dtype ('bfloat16'); None where torch stores it otherwise
    (int4 has no torch dtype; tf32 is fp32 storage with TF32 matmul math)."""
    peak_key: str | None
    """Key of AcceleratorSpec.peak_flop_per_s for matmuls in this dtype; None where datasheets give no peak."""


TABLE: tuple[DType, ...] = (
    DType("fp64", 8.0, "float64", "fp64"),
    DType("fp32", 4.0, "float32", "fp32"),
    DType("tf32", 4.0, "float32", "tf32"),  # TF32: fp32 storage, 19-bit tensor-core math (NVIDIA A100 whitepaper)
    DType("bf16", 2.0, "bfloat16", "bf16"),
    DType("fp16", 2.0, "float16", "fp16"),
    DType("fp8", 1.0, "float8_e4m3fn", "fp8"),  # E4M3, the forward-pass fp8 of Micikevicius et al. 2022
    DType("int8", 1.0, "int8", "int8"),
    DType("int4", 0.5, None, "int4"),
    # FP4 (E2M1) values, two per byte; the block scales of NVFP4/MXFP4 are counted by predict.compute (OCP MX v1.0)
    DType("fp4", 0.5, None, "fp4"),
    DType("int16", 2.0, "int16", None),
    DType("int32", 4.0, "int32", None),
    DType("int64", 8.0, "int64", None),
    DType("bool", 1.0, "bool", None),
)
BY_NAME: dict[str, DType] = {d.name: d for d in TABLE}
PEAK_KEYS: tuple[str, ...] = tuple(d.peak_key for d in TABLE if d.peak_key)
"""The dtypes an AcceleratorSpec can list a peak for, in the catalog's order."""


ALIASES: dict[str, str] = {
    **{d.torch_name: d.name for d in reversed(TABLE) if d.torch_name and d.torch_name.startswith(("float", "bfloat"))},
    # torch's own short names (torch.half is float16, torch.float float32, torch.double float64: torch/_C/__init__.pyi)
    "half": "fp16", "float": "fp32", "double": "fp64",
    # every float8 variant runs at the fp8 peak (from_torch below reads them all as fp8)
    "float8": "fp8", "float8_e5m2": "fp8", "float8_e4m3fnuz": "fp8", "float8_e5m2fnuz": "fp8",
    "e4m3": "fp8", "e5m2": "fp8",
    # the serving engines' and checkpoints' spellings of the same formats: vLLM's --kv-cache-dtype fp8_e4m3 /
    # fp8_e5m2 (vllm/config/cache.py CacheDType), Hugging Face's quantization_config fmt 'e4m3' and torch's
    # float8_e4m3fn (above); a user typed `--weight-dtype fp8_e4m3` and was refused (ut4srv)
    "fp8_e4m3": "fp8", "fp8_e5m2": "fp8", "fp8_e4m3fn": "fp8",
}
"""The spellings torch users type for a dtype ('bfloat16', 'torch.float16', 'half') -> accelopt's name; float32 is
fp32 (tf32 is fp32 storage too, but asked for by its own name). Read by every option that takes a dtype."""


FORMATS: tuple[str, ...] = ("w8a8", "nvfp4", "mxfp4")
"""Names the weight options take beyond TABLE (predict.serving.WEIGHT_DTYPES: int8 weights with int8 activations,
the 4-bit block-scaled formats), read case-insensitively as TABLE's names are (canonical)."""


def canonical(name: str) -> str:
    """accelopt's name of `name` (case, surrounding blanks and a 'torch.' prefix ignored): a spelling of ALIASES
    ('bfloat16', 'fp8_e4m3', 'half') or a name of TABLE / FORMATS in any case ('BF16', 'NVFP4'); else `name`
    unchanged, for the command's own check to refuse (naming what was typed, with accepted_spellings). The one
    parser of every dtype option (cli.dtype_aliases) and dtype cell of the runs files (predict.runs_csv)."""
    key = name.strip().lower().removeprefix("torch.")
    if key in ALIASES:
        return ALIASES[key]
    return key if key in BY_NAME or key in FORMATS else name


def accepted_spellings(allowed: tuple[str, ...]) -> str:
    """What a refusal of a dtype adds to the names `allowed`: the other spellings canonical reads as them ('also
    read: bfloat16 as bf16; float16, half as fp16; ...; any case')."""
    by_name: dict[str, list[str]] = {}
    for spelling, name in ALIASES.items():
        if name in allowed:
            by_name.setdefault(name, []).append(spelling)
    read = "; ".join(f"{', '.join(sorted(by_name[n], key=lambda a: (len(a), a)))} as {n}" for n in allowed
                     if n in by_name)
    return f"also read: {read}; any case" if read else "any case"


def get(name: str, allowed: tuple[str, ...] | None = None, what: str = "dtype") -> DType:
    """The table row of `name`; InputError with close matches when unknown or not among `allowed`."""
    choices = list(allowed) if allowed is not None else list(BY_NAME)
    if name not in choices:
        raise unknown_name(what, name, choices)
    return BY_NAME[name]


def bytes_of(name: str) -> float:
    return get(name).bytes


def bytes_map(names: tuple[str, ...]) -> dict[str, float]:
    """{name: bytes per element} for a command's supported subset."""
    return {n: get(n).bytes for n in names}


def torch_dtype(name: str, allowed: tuple[str, ...] | None = None) -> Any:
    """The torch dtype of `name` (torch imported here, lazily)."""
    import torch

    d = get(name, allowed)
    if d.torch_name is None:
        raise InputError(f"dtype {name!r} has no torch dtype", "use fp32, bf16 or fp16")
    return getattr(torch, d.torch_name)


def from_torch(dt: Any) -> str | None:
    """accelopt's name of a torch dtype (uint8 counts as int8, every float8 variant as fp8); None if none."""
    text = str(dt).removeprefix("torch.")
    if text.startswith("float8"):
        return "fp8"
    if text == "uint8":
        return "int8"
    return next((d.name for d in TABLE if d.torch_name == text and d.name != "tf32"), None)
