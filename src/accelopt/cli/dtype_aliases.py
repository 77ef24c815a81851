"""Read the dtype spellings torch users type (`--dtype bfloat16`, `--kv-dtype float8`, `--dtypes float32,half`) as
accelopt's names (bf16, fp8, fp32, fp16: accelopt.dtypes.ALIASES), on every option that takes a dtype. They were
refused ('not a known dtype') on some commands and not others. What was understood is said on stderr."""

from __future__ import annotations

import functools
import sys
from typing import Any

DTYPE_OPTIONS = ("--dtype", "--dtypes", "--weight-dtype", "--kv-dtype", "--expert-weight-dtype", "--moe-router-dtype")
"""The options whose values are accelopt dtype names. Not `simulate --input-dtype`, which takes torch's names."""
LIST_OPTIONS = ("--dtypes",)
"""Those of DTYPE_OPTIONS that take a comma-separated list; every other one takes one dtype."""
KV_SPELLING_KEY = "accelopt.kv_engine_spelling"
"""Where `--kv-dtype` keeps, in the click context's meta, the serving engine's spelling it read (fp8_e5m2 read as
fp8): the engine's rule for that very format (vLLM's fp8_e5m2 on ROCm) is told by it, not by fp8."""


def read_dtype_aliases(command: Any) -> None:
    """Make every DTYPE_OPTIONS option of `command` and its subcommands (click objects) read a torch spelling as
    accelopt's name, each item of a comma-separated list alike, saying each one read so on stderr."""
    for param in getattr(command, "params", ()):
        if set(getattr(param, "opts", ())) & set(DTYPE_OPTIONS) and not getattr(param.process_value, "reads_aliases",
                                                                                 False):
            param.process_value = _reading(param)
    for sub in getattr(command, "commands", {}).values():
        read_dtype_aliases(sub)


def _reading(param: Any) -> Any:
    process = param.process_value

    @functools.wraps(process)
    def process_value(ctx: Any, value: Any) -> Any:
        if isinstance(value, str) and value.strip():
            flag = max(param.opts, key=len)
            # an engine's --kv-cache-dtype spelling first: canonical reads fp8_e4m3 / fp8_e5m2 as fp8 too, but the
            # engine's meaning of it is said, and an engine's rule may name it (typed_kv_spelling)
            read, engines = kv_engine_spelling(value) if flag == "--kv-dtype" else (value, "")
            if engines:
                ctx.meta[KV_SPELLING_KEY] = value.strip().lower()
            else:
                read = canonical_list(value, flag)
            if read != value:
                print(f"{flag} {value} read as {read}{engines}", file=sys.stderr)
            value = read
        return process(ctx, value)

    process_value.reads_aliases = True  # type: ignore[attr-defined]
    return process_value


def canonical_list(value: str, flag: str = "--dtypes") -> str:
    """`value` (one dtype or a comma-separated list) with each torch spelling replaced by accelopt's name; items
    that are not torch spellings are left as typed (the command's own check names them). An empty item beside
    named ones (`--dtypes float32,,half`: a dtype left out) is refused, naming it; a list of nothing but commas is
    left to the command's own check ('names no dtype'). A flag that takes one dtype (not in LIST_OPTIONS) refuses
    a comma beside a named dtype as a list: its fix was 'write each dtype once between commas' (`--dtype bf16,`);
    its example is the first item that is a known dtype (`--dtype bfloat17,fp16` was told 'e.g. --dtype bfloat17')."""
    from accelopt.dtypes import BY_NAME, canonical
    from accelopt.errors import InputError

    items = value.split(",")
    named = [item.strip() for item in items if item.strip()]
    if named and len(items) > 1 and flag not in LIST_OPTIONS:
        known = next((canonical(item) for item in named if canonical(item) in BY_NAME), None)
        raise InputError(f"{flag} {value!r}: {flag} takes one dtype, not a comma-separated list",
                         f"give one dtype, e.g. {flag} {known}" if known is not None else
                         f"give one dtype (the command's --help lists those {flag} takes)")
    if named and len(named) < len(items):
        at = next(i for i, item in enumerate(items, 1) if not item.strip())
        raise InputError(f"{flag} {value!r} has an empty item (item {at} of {len(items)}: nothing between its "
                         "commas)", f"write each dtype once between commas, e.g. {flag} {','.join(named)}")
    read = [canonical(item) for item in items]
    return value if read == items else ",".join(read)


def kv_engine_spelling(value: str) -> tuple[str, str]:
    """(the --kv-dtype name, ': what the engine means by it') of a serving engine's --kv-cache-dtype spelling
    (predict.serving.KV_ENGINE_SPELLINGS: vLLM's fp8_e4m3, SGLang's fp4_e2m1, ...); `value` and '' for any other."""
    from accelopt.predict.serving import KV_ENGINE_SPELLINGS

    read, what = KV_ENGINE_SPELLINGS.get(value.strip().lower(), (value, ""))
    return read, f": {what}" if what else ""


def typed_kv_spelling() -> str | None:
    """The serving engine's --kv-cache-dtype spelling the running command's --kv-dtype was given as (lower case:
    'fp8_e5m2'), None where it was given as a --kv-dtype name or outside a click command."""
    from accelopt.report.runs import current_context  # typer's vendored click, else click (older typer)

    ctx = current_context()
    return None if ctx is None else ctx.find_root().meta.get(KV_SPELLING_KEY)
