"""`accelopt plan`: search parallel layouts for training; `plan explain`: one layout's arithmetic."""

from __future__ import annotations

import dataclasses
import importlib.util
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from accelopt.cli.catalog import CATALOG_HELP
from accelopt.cli.html_first import HTML_RULE
from accelopt.errors import InputError, UnreadableNumberError, case_hint
from accelopt.units import RANGE_SYNTAX, fmt_count, fmt_seconds  # RANGE_SYNTAX: --devices/--batch help

if TYPE_CHECKING:  # the CLI imports the predictors lazily (start-up time)
    from accelopt.predict.query import LayoutFlags
    from accelopt.predict.results import ModelFigures

PLAN_HELP = """Predict training time, memory, cost and energy of every parallel layout (predictions = estimates).

\b
  accelopt plan --model llama3-70b --tokens 15e12 --hardware h100-sxm,mi300x,tpu-v5p --devices 512..8192
  accelopt plan explain --model gpt3-175b --hardware h100-sxm --devices 1024 --tp 8 --pp 8
"""


@dataclass(frozen=True)
class SetupOptions:
    """What is trained, as typed on the command line (`plan` and `plan explain` alike); parsed by `_setup`."""

    model: str | None
    """A preset name, a Hugging Face config.json or (for `plan`) a captured workload JSON; None: not given."""
    tokens: str | None = None
    """Tokens to train on, as typed ('15e12'); None: query.DEFAULT_TOKENS, said in a note."""
    seq_len: int | None = None
    """None: the model's."""
    global_batch: str | None = None
    """Sequences ('2048', '2048seq') or tokens ('4194304tok'), as typed; None: ~4M tokens."""
    dtype: str = "bf16"
    flash: bool = True
    attention_kernel: str | None = None
    """--attention-kernel (compute.ATTENTION_KERNELS); None: fused, or unfused with --no-flash."""
    attention_unpad: bool = False
    cudnn_before_9_17: bool = False
    """--cudnn-before-9-17: the run's cuDNN predates 9.17.0 (the fused core at the device's rates under such a one)."""
    eager_cross_entropy: bool = False
    te_cross_entropy: bool = False
    """--te-cross-entropy: the loss is Transformer Engine's Triton cross-entropy (compute.TE_CE_*)."""
    rope_fusion: str = "fused"
    """--rope-fusion (compute.ROPE_FUSIONS): fused, or Megatron-Core's unfused RoPE (t_rope_unfused_s)."""
    dp_bucket_params: str | None = None
    """--dp-bucket-params as written (a count, e.g. 40M); None: Megatron-Core's default bucket."""
    recompute_modules: str = ""
    """--recompute-modules as written (a comma list of Megatron-Core modules); '': none."""
    edge_stage_layers: int | None = None
    p2p_overlap: bool = False
    tp_comm_overlap: bool = False
    tp_overlap_cfg: str = ""
    tp_async: bool = True
    ep_a2a_overlap: bool = False
    moe_dispatcher: str = "alltoall"
    moe_router_dtype: str = "bf16"
    moe_grouped_mlp: str = "te"
    fp8_params: bool = False
    offload_layers: int = 0
    fp8_saved_inputs: bool = False
    fp8_output_head: bool = False
    no_dropout: bool = False
    vocab_tiling: int = 1
    optimizer_state_bytes: float = 12.0
    fp8_recipe: str = "delayed"
    pue: float | None = None
    """None: accelopt.predict.cost.Facility's default (cited there), as for the two fields below."""
    grid_kg_co2_per_kwh: float | None = None
    host_power_w_per_device: float | None = None


@dataclass(frozen=True)
class PlanOptions:
    """`accelopt plan`: the layout search (or, for a captured workload, data parallel x ZeRO)."""

    setup: SetupOptions
    hardware: str = "h100-sxm"
    """Comma-separated catalog devices or spec TOML paths."""
    devices: str = "64..8192"
    """Device counts as typed: '512..8192' (RANGE_SYNTAX) or '8,16,64'."""
    deadline: str | None = None
    """A duration as typed ('30d'); None: no deadline."""
    budget_usd: float | None = None
    objective: str = "time"
    top: int = 10
    calibration: str | None = None
    stack: str = "megatron"
    catalog: tuple[Path, ...] = ()
    schedule: str = "1f1b"
    """Pipeline schedule of every layout searched (predict.training.SCHEDULES)."""
    collectives: Path | None = None
    """Spec TOML of `probe --collectives`: its measured scale-up link replaces the catalog's."""
    hsdp: str = "auto"
    """Hybrid-sharding shard groups searched, as typed: 'auto', 'off' or a list such as '0,8'."""
    etp: str = "auto"
    """Expert tensor-parallel degrees searched, as typed."""
    recompute_layers: str = "auto"
    """Layers per stage full recompute covers, searched, as typed."""
    recompute: str = "auto"
    """Recompute modes searched, as typed: 'auto' (none, selective, full) or a list such as 'none,op'."""
    slice_devices: int = 0
    """Devices per scale-up slice (LayoutFlags.slice_devices), for every layout searched; 0: the whole domain."""
    list_models: bool = False
    as_json: bool = False
    typed_flags: dict[str, str] = field(default_factory=dict)
    """Parameter name -> flag, for the options the user typed (not left at their defaults)."""


@dataclass(frozen=True)
class ExplainOptions:
    """`accelopt plan explain`: one layout's whole arithmetic."""

    setup: SetupOptions
    hardware: str
    layout: LayoutFlags
    calibration: str | None = None
    stack: str = "megatron"
    catalog: tuple[Path, ...] = ()
    collectives: Path | None = None
    """Spec TOML of `probe --collectives`: its measured scale-up link replaces the catalog's."""
    as_json: bool = False




def console() -> Any:
    """The command line's console (accelopt.report.console): plain text, 200 columns when not a terminal."""
    from accelopt.report.console import make_console

    return make_console()


def _global_batch(text: str | None, seq_len: int) -> int:
    """'2048' or '2048seq' -> sequences; '4M', '4e6tok' -> tokens / seq_len. Bare numbers > 65536 are tokens."""
    from accelopt.errors import InputError
    from accelopt.units import parse_count

    if text is None:
        from accelopt.predict.query import default_global_batch

        return default_global_batch(seq_len)
    t = text.strip().lower()
    is_seqs, is_tokens = t.endswith("seq"), t.endswith("tok")
    # 4194304tok, not 4Mtok: 4e6 tokens is no whole number of sequences at any power-of-two --seq-len
    fix = "e.g. 2048seq (sequences) or 4194304tok (tokens); a bare number is sequences up to 65536, tokens above"
    try:
        v = parse_count(t[:-3] if is_seqs or is_tokens else t, "--global-batch")
    except InputError as e:  # its fix gave token counts (15e12, 7B) as the examples
        raise InputError(e.problem, fix) from None
    if is_tokens or (not is_seqs and v > 65536):
        seqs = v / seq_len
        if seqs < 1 or abs(seqs - round(seqs)) > 1e-9:
            # the quotient to the digits that show its fraction: 65537 tokens at 8192 printed '(8 sequences)',
            # a whole number, beside 'is not a whole number'
            raise InputError(f"--global-batch {text!r} tokens is not a whole number of {seq_len}-token sequences "
                             f"({_fraction_shown(v, seq_len)} sequences"
                             + ("; a bare number above 65536 is read as tokens)" if not is_tokens else ")"),
                             _nearest_batches(seqs, seq_len))
        return round(seqs)
    if v < 1 or v != int(v):  # '1.5seq' was cut to 1 sequence, '0seq' refused without naming the flag
        raise InputError(f"--global-batch {text!r} must be a positive whole number of sequences", fix)
    return int(v)


def _fraction_shown(tokens: float, seq_len: int) -> str:
    """tokens / seq_len with as many significant digits (4 to 12) as it takes to show it is not whole."""
    seqs = tokens / seq_len
    for digits in range(4, 13):
        shown = f"{seqs:,.{digits}g}"
        if float(shown.replace(",", "")) != round(seqs):
            return shown
    return f"{tokens:g} / {seq_len}"


def _nearest_batches(seqs: float, seq_len: int) -> str:
    """The fix of a token batch that is no whole number of sequences: the whole counts on either side of it."""
    sides = sorted({max(1, math.floor(seqs)), max(1, math.ceil(seqs))})
    near = " or ".join(f"{n}seq ({n * seq_len}tok)" for n in sides)
    return f"give a multiple of --seq-len ({seq_len}): the nearest are {near}"


def warn_unused_keys(mdl: Any) -> None:
    """A warning on stderr naming each config key the predictor does not model (never dropped silently)."""
    from accelopt.report.plan_warnings import unused_keys_line

    text = unused_keys_line(mdl.name, mdl.unused_keys)  # the page shows the same line (report.plan_warnings)
    if text is not None:
        from accelopt.report.console import make_console, plain

        make_console(stderr=True).print(plain(text, "yellow"))


def busy_spec_lines(specs: Any) -> list[str]:
    """One 'warning: ...' line per --hardware spec TOML that `probe` measured on a busy machine: its peaks and
    bandwidth may be low, so every prediction made from it may be slow. The results carry these lines
    (input_warnings), so the HTML page shows what the console printed."""
    from accelopt.measure.contention import spec_warning_text

    return [f"warning: {text}" for spec in specs if (text := spec_warning_text(spec, "--hardware")) is not None]


def busy_row_lines(rows: list[dict[str, str]], catalog: Any = None) -> list[str]:
    """busy_spec_lines for the spec TOMLs a runs file's hardware cells name (`validate --inference` / `--serving`:
    the rows' devices, as --hardware is plan infer's and plan serve's), one line per spec naming its rows. A spec
    probed on a busy machine was used by validate --inference without a word, where plan infer warned (utleft3).
    `catalog`: training `validate`'s --catalog files, where a cell may name one of their devices (rvlast)."""
    from accelopt.hardware.catalog import get_device
    from accelopt.measure.contention import spec_warning_text
    from accelopt.predict.runs_csv import row_device

    ids: dict[str, list[str]] = {}
    for r in rows:
        ids.setdefault(r["hardware"], []).append(r.get("id") or "?")
    lines = []
    for cell, runs in ids.items():
        spec = row_device(cell) if catalog is None else get_device(cell, catalog)  # an unknown cell failed already
        flag = f"hardware cell of run{'s' if len(runs) > 1 else ''} {', '.join(repr(i) for i in runs)}:"
        if (text := spec_warning_text(spec, flag)) is not None:
            lines.append(f"warning: {text}")
    return lines


def row_specs(rows: list[dict[str, str]], catalog: Any = None) -> list[Any]:
    """The devices a runs file's hardware cells name, once each (as busy_row_lines reads them)."""
    from accelopt.hardware.catalog import get_device
    from accelopt.predict.runs_csv import row_device

    cells = dict.fromkeys(r["hardware"] for r in rows)
    return [row_device(c) if catalog is None else get_device(c, catalog) for c in cells]


def say_warnings(lines: list[str]) -> list[str]:
    """`lines` printed on stderr as plain text (stderr keeps --json valid), returned for the result's
    input_warnings (the HTML page shows what the console printed)."""
    from accelopt.report.console import make_console, plain

    for text in lines:  # one line each: a wrapped warning split a run id, a path or a flag (ut4left)
        make_console(stderr=True).print(plain(text, "yellow"), soft_wrap=True)
    return lines


def warn_busy_specs(specs: Any) -> list[str]:
    """busy_spec_lines, said (say_warnings)."""
    return say_warnings(busy_spec_lines(specs))


def calibration_warning_lines(calibration: str | None, specs: Any, section: str = "family") -> list[str]:
    """dropped_stack_lines (a [family.X] section only), then calibration.unmatched_table_lines for the command's
    devices `specs`: a [SECTION.NAME] table whose match globs fit none of them; unsaid (warn_calibration says them)."""
    from accelopt.predict.calibration import dropped_stack_lines, unmatched_table_lines

    return [*(dropped_stack_lines(calibration) if section == "family" else []),
            *unmatched_table_lines(calibration, specs, section)]


def warn_calibration(calibration: str | None, specs: Any, section: str = "family") -> list[str]:
    """calibration_warning_lines, said (say_warnings)."""
    return say_warnings(calibration_warning_lines(calibration, specs, section))


def warn_busy_hardware(hardware: str, catalog: Any = ()) -> list[str]:
    """warn_busy_specs for a --hardware value (names or spec TOML paths; a bad one fails as the command would)."""
    from accelopt.hardware.catalog import resolve_devices

    return warn_busy_specs(resolve_devices(hardware, catalog))


def _setup(opts: SetupOptions) -> Any:
    from accelopt.predict.compute import attention_kernel_of, canonical_fp8_recipe
    from accelopt.predict.training import Setup, parse_recompute_modules
    from accelopt.workload.presets import get_model

    mdl = get_model(_required_model(opts))
    warn_unused_keys(mdl)
    if opts.seq_len is not None and opts.seq_len < 1:
        from accelopt.errors import InputError

        raise InputError(f"--seq-len {opts.seq_len} must be >= 1",
                         f"give a positive --seq-len (the model's is {mdl.seq_len})")
    s = opts.seq_len if opts.seq_len is not None else mdl.seq_len
    return Setup(model=mdl, seq_len=s, global_batch=_global_batch(opts.global_batch, s),
                 tokens=_tokens(opts.tokens), dtype=opts.dtype, flash=opts.flash,
                 attention_kernel=attention_kernel_of(opts.flash, opts.attention_kernel),
                 attention_kernel_auto=not opts.attention_kernel and opts.flash,
                 attention_unpad=opts.attention_unpad, cudnn_before_9_17=opts.cudnn_before_9_17,
                 eager_cross_entropy=opts.eager_cross_entropy, rope_fusion=opts.rope_fusion,
                 te_cross_entropy=opts.te_cross_entropy,
                 edge_stage_layers=opts.edge_stage_layers, p2p_overlap=opts.p2p_overlap,
                 tp_comm_overlap=opts.tp_comm_overlap, tp_overlap_cfg=opts.tp_overlap_cfg, fp8_params=opts.fp8_params,
                 offload_layers=opts.offload_layers, tp_async=opts.tp_async, fp8_saved_inputs=opts.fp8_saved_inputs,
                 fp8_output_head=opts.fp8_output_head, ep_a2a_overlap=opts.ep_a2a_overlap,
                 moe_dispatcher=opts.moe_dispatcher, moe_router_dtype=opts.moe_router_dtype,
                 moe_grouped_mlp=opts.moe_grouped_mlp,
                 no_dropout=opts.no_dropout, vocab_tiling=opts.vocab_tiling,
                 optimizer_state_bytes=opts.optimizer_state_bytes,
                 fp8_recipe=canonical_fp8_recipe(opts.fp8_recipe), fp8_recipe_given=opts.fp8_recipe,
                 dp_bucket_params=_dp_bucket(opts.dp_bucket_params),
                 recompute_modules=parse_recompute_modules(opts.recompute_modules), facility=_facility(opts))


def _dp_bucket(text: str | None) -> int | None:
    """--dp-bucket-params read as a whole count of parameters (15M, 26214400); None when not given."""
    from accelopt.errors import InputError
    from accelopt.units import parse_count

    if text is None:
        return None
    val = parse_count(text, "--dp-bucket-params")
    if val != int(val):
        raise InputError(f"--dp-bucket-params {text!r} is not a whole number of parameters",
                         "give the bucket in parameters, e.g. 40M or 26214400 (a recipe's MiB / grad sync bytes)")
    return int(val)


def model_notes(setup: Any, seq_len_given: bool, figures: ModelFigures, batch_given: bool = True,
                tokens_given: bool = True) -> list[str]:
    """The notes about the model under `plan` and `plan explain`: its parameters and FLOPs as read from a config.json
    (`figures`, the result's model_figures) and the architecture they are counted from (transformer.architecture_text),
    figures its config leaves out, the training sequence length assumed for
    a config.json, training sequences beyond its positions (workload/context.py), and the global batch taken when
    --global-batch is left out (query.default_batch_note) and the tokens when --tokens is (default_tokens_note)."""
    from accelopt.predict.query import default_batch_note, default_tokens_note
    from accelopt.workload.transformer import architecture_text, read_from_config

    mdl = setup.model
    beyond = mdl.context.training_note(setup.seq_len) if mdl.context is not None else None
    assumed = None if seq_len_given else _train_seq_note(mdl)
    read = _config_read_note(mdl, figures)
    shape = architecture_text(mdl) if read_from_config(mdl) else None  # where the count comes from (layers, heads, ...)
    batch = None if batch_given else default_batch_note(setup.global_batch, setup.seq_len)
    tokens = None if tokens_given else default_tokens_note()
    router = _router_dtype_note(setup)
    stored = getattr(mdl, "stored_weights_note", "")
    defaults = [_trained_quantized_note(mdl) if n and n == stored else n for n in mdl.config_defaults]
    return [*([read] if read else []), *([shape] if shape else []), *defaults,
            *([assumed] if assumed else []),
            *([beyond] if beyond else []), *([batch] if batch else []), *([tokens] if tokens else []),
            *([router] if router else [])]


def _trained_quantized_note(mdl: Any) -> str:
    """The note of a quantized checkpoint's config under `plan` / `plan explain`: its serving note (the config reader's
    stored_weights_note: 'serving is predicted at --weight-dtype ...; pass `plan serve ...`') was printed under a
    training plan, which says nothing of how that plan treats the stored weights (a user trial, utmodels). Its head
    is the reader's stored_weights_text."""
    head = mdl.stored_weights_text
    flags = " ".join(f"{flag} {value}" for flag, value in mdl.stored_weight_flags)
    serve = f"`plan serve {flags}` predicts serving it as stored" if flags else "`plan serve` predicts serving it"
    return (f"{head}: training is planned as full training at --dtype, its weights, gradients and optimizer state "
            "as an unquantized checkpoint's; training adapters over the frozen quantized weights (QLoRA) is not "
            f"modelled; {serve}")


def _router_dtype_note(setup: Any) -> str | None:
    """With --moe-router-dtype fp32: the rate its gradient GEMMs are timed at (training.ROUTER_FP32_ASSUMPTION, an
    assumption printed beside the result), or that it changes nothing for a model without MoE layers."""
    from accelopt.predict.training import ROUTER_FP32_ASSUMPTION

    if setup.moe_router_dtype != "fp32":
        return None
    if not setup.model.is_moe:
        return "--moe-router-dtype fp32 has no effect here: the model has no MoE layer (no router)"
    return ROUTER_FP32_ASSUMPTION


def _tokens(text: str | None) -> float:
    """--tokens as typed, or query.DEFAULT_TOKENS when left out (query.default_tokens_note says so)."""
    from accelopt.predict.query import DEFAULT_TOKENS
    from accelopt.units import parse_count

    return DEFAULT_TOKENS if text is None else parse_count(text, "--tokens")


def _budget_usd(text: str | None) -> float | None:
    """--budget-usd as typed, with the suffixes --tokens reads (20k, 1.5M, 2B): '20M' was refused as 'not a number'
    while --tokens 7B was read (a user trial, s33). A thousands separator or a word is named with how to write it."""
    import re

    from accelopt.units import parse_count

    if text is None:
        return None
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", text.strip()):
        plain = text.strip().replace(",", "")
        whole, dot, frac = plain.partition(".")
        raise InputError(f"--budget-usd {text!r} is not a number: ',' is not read as a thousands separator",
                         f"write --budget-usd {plain} (or --budget-usd {int(whole):_}{dot}{frac}); a suffix "
                         "such as 20k or 1.5M is read too")
    if re.fullmatch(r"\s*-\s*\d*\.?\d+(?:[eE][+-]?\d+)?\s*[kKmMbB]?\s*", text):  # parse_count's examples are counts
        raise InputError(f"--budget-usd {text!r} is negative",
                         "give a positive number of US dollars, e.g. 20000, 20k or 1.5M")
    try:
        return parse_count(text.replace("_", ""), "--budget-usd")
    except UnreadableNumberError:  # a negative or an infinite one keeps parse_count's message
        raise InputError(f"--budget-usd {text!r} is not a number",
                         "give --budget-usd a number of US dollars, e.g. 20000, 20k or 1.5M (k, M, B suffixes "
                         "read as for --tokens)") from None


def _config_read_note(mdl: Any, figures: ModelFigures) -> str | None:
    """The parameters and FLOPs per token the predictors count, to check against the model card: a config.json's as
    read from it (nothing printed them: a misread config planned without a figure to compare), a preset's beside its
    published count (workload/presets.py PUBLISHED_PARAMS; none was printed, so a user checking Llama-2-7B's 6.74B
    or Mixtral's 46.7B / 12.9B against `plan` found no figure). None for a model neither read nor a preset."""
    from accelopt.workload.presets import preset_params_text
    from accelopt.workload.transformer import config_params_text, read_from_config

    count = config_params_text(mdl) if read_from_config(mdl) else preset_params_text(mdl)
    if count is None:
        return None
    from accelopt.units import fmt_count

    f = figures
    return (f"{count}; {fmt_count(f.training_flops_per_token)} training FLOPs per token at sequence {f.seq_len:,} "
            f"({FLOPS_PER_TOKEN_CONVENTION}); compare with the model card")


FLOPS_PER_TOKEN_CONVENTION = (
    "3 x forward, 2 FLOP per multiply-accumulate: 6 x the weights a token multiplies (the output layer in; the input "
    "embedding, a lookup, and norm weights out) + attention scores and values over the whole sequence, not halved "
    "for causal masking (12 x layers x hidden x sequence for multi-head attention): PaLM's 6N + 12LHQT, Chowdhery et "
    "al. 2022 App. B; predict/compute.py model_flops_per_token")
"""How the training FLOPs per token `plan` and `plan explain` print are counted (tests/test_published_model_figures.py
checks them against PaLM's formula and Narayanan et al. 2021 eq. 3)."""


def _train_seq_note(mdl: Any) -> str | None:
    """A config.json's training sequence length when its context is longer: load_hf_config caps it (an assumption,
    printed). A preset's seq_len is its published run's, except the presets that take their context length as it
    (Qwen3's 40,960: its config.json's max_position_embeddings, past the 32,768 native positions by YaRN; Qwen2.5's
    and Mistral 7B v0.2's 32,768): that is an assumption too, printed, where the config.json is planned at 8,192."""
    from accelopt.workload.presets import TRAIN_SEQ_CAP

    ctx = mdl.context
    if not mdl.source.startswith("Hugging Face config"):
        if mdl.seq_len <= TRAIN_SEQ_CAP:
            return None
        return (f"training sequences of {mdl.seq_len:,} tokens assumed (--seq-len left out): the {mdl.name} preset's "
                "sequence length is the longest context the model takes, not a published training run's (its "
                f"config.json is planned at {TRAIN_SEQ_CAP:,}); give --seq-len")
    if ctx is None or ctx.positions <= mdl.seq_len:
        return None
    return (f"training sequences of {mdl.seq_len:,} tokens assumed (--seq-len left out): the config's "
            f"{ctx.positions:,} positions are the longest context the model takes, not the sequence length it "
            "trains on (give --seq-len)")


def _facility(opts: SetupOptions) -> Any:
    """The Facility of the typed flags (defaults for the others); a bad value is an error naming its flag."""
    from accelopt.errors import InputError
    from accelopt.predict.cost import FACILITY_FLAGS, Facility

    given: dict[str, Any] = {k: v for k, v in (("pue", opts.pue), ("grid_kg_co2_per_kwh", opts.grid_kg_co2_per_kwh),
                               ("host_power_w_per_device", opts.host_power_w_per_device)) if v is not None}
    for k, v in given.items():
        try:
            Facility(**{k: v})
        except InputError as e:
            raise InputError(f"{FACILITY_FLAGS[k]} {v!r}: {e.problem}", e.fix) from None
    return Facility(**given, given=frozenset(given))  # the flags typed; the rest are defaults, printed as such


def _required_model(opts: SetupOptions) -> str:
    if opts.model is None:
        from accelopt.errors import InputError

        raise InputError("--model is required", "e.g. --model llama3-70b (see --list-models)")
    return opts.model


def _axis(text: str, flag: str) -> tuple[int, ...] | None:
    """'auto' -> None (the automatic set), 'off' -> (0,), '0,8,16' -> (0, 8, 16)."""
    from accelopt.errors import InputError
    from accelopt.units import MAX_COUNT

    t = text.strip().lower()
    if t == "auto":
        return None
    if t == "off":
        return (0,)
    try:
        vals = tuple(int(v) for v in t.split(",") if v.strip())
    except ValueError:
        vals = ()
    if not vals or any(not 0 <= v <= MAX_COUNT for v in vals):  # past any machine: numpy's int64 would overflow
        raise InputError(f"{flag} {text!r} is not auto, off or a list of counts 0..{MAX_COUNT:,}",
                         f"give {flag} auto, off or a comma-separated list of counts >= 0 (0 = the plain form), "
                         "e.g. 0,8")
    return vals


def _search_axes(opts: PlanOptions) -> Any:
    from accelopt.predict.search import SearchAxes

    return SearchAxes(hsdp=_axis(opts.hsdp, "--hsdp"), etp=_axis(opts.etp, "--etp"),
                      recompute_layers=_axis(opts.recompute_layers, "--recompute-layers"),
                      recompute=_recompute_axis(opts.recompute))


def _recompute_axis(text: str) -> tuple[str, ...] | None:
    """'auto' -> None (none, selective, full); 'none,op' -> ('none', 'op'); anything else exits 2 naming the modes."""
    from accelopt.errors import InputError
    from accelopt.predict.training import RECOMPUTE

    if text.strip() == "auto":
        return None
    modes = tuple(dict.fromkeys(m.strip() for m in text.split(",")))
    unknown = [m for m in modes if m not in RECOMPUTE]
    if unknown or not modes:
        lower = " (the names are lower case)" if any(m.lower() in RECOMPUTE for m in unknown) else ""
        raise InputError(f"--recompute {text!r}: {', '.join(repr(m) for m in unknown) or 'nothing'} is not a "
                         f"recompute mode{lower}",
                         f"give --recompute auto (none, selective, full) or a comma-separated list of "
                         f"{', '.join(RECOMPUTE)}")
    return modes


def _zero_bubble_notes(schedule: str) -> list[str]:
    """The sentence saying that a zero-bubble --schedule orders the pipelined layouts (search.enumerate_layouts)."""
    if schedule == "1f1b":
        return []
    even = ", an even pp and micro-batch count >= 2 pp" if schedule == "dualpipe" else ""
    from accelopt.predict.training import dualpipe_notes

    return [f"--schedule {schedule} applies to the pipelined layouts (pp > 1, vp 1{even}); a layout of pp 1 has no "
            "pipeline and no bubble, and is searched and listed as 1f1b", *dualpipe_notes(schedule)]


def _recompute_axis_notes(axes: Any, setup: Any) -> list[str]:
    """A note per listed --recompute mode this model takes in no layout (the search's model-wide rules), where
    another listed mode was searched (every one refused is an error, search.search_spec)."""
    from accelopt.predict.search import recompute_mode_problems

    if axes.recompute is None:
        return []
    return [f"--recompute {mode}: no layout searched takes it ({why})"
            for mode, why in recompute_mode_problems(setup, axes.recompute).items()]


def _fmt_row(c: Any, i: int, modules: tuple[str, ...]) -> Any:
    """Row i of search result `c`; `modules`: the setup's --recompute-modules (applied to every layout)."""
    from accelopt.predict.results import LayoutRow

    return LayoutRow.of(str(c.hardware[i]), c.layouts.row(i), {k: float(v[i]) for k, v in c.terms.items()}, modules)


def _limits_text(opts: Any) -> str:
    """The --deadline / --budget-usd given, as typed ('--deadline 1h and --budget-usd 1e+04')."""
    given = [f"--deadline {opts.deadline}" if opts.deadline is not None else "",
             f"--budget-usd {opts.budget_usd:g}" if opts.budget_usd is not None else ""]
    return " and ".join(g for g in given if g)


def _none_feasible(c: Any, near_limits: Any, top: int) -> Any:
    """The exit-2 error of a search where no layout is feasible: memory dropped them all (the closest to fitting are
    listed), or some fit memory and --deadline / --budget-usd dropped those (the nearest the limits are listed; the
    memory table listed layouts that fit, titled 'none fits')."""
    import numpy as np

    from accelopt.errors import InfeasibleError

    why = "; ".join(f"{k}: {v:,}" for k, v in c.reasons.items() if v)
    if len(near_limits):
        fit = int(np.count_nonzero(c.fits_memory))
        return InfeasibleError(f"no feasible layout among {len(c):,} evaluated ({why}); {fit:,} fit memory but miss "
                               f"--deadline / --budget-usd: the {len(near_limits)} nearest the limits are listed",
                               "relax --deadline / --budget-usd, raise --devices, or add faster or cheaper --hardware")
    # the rows carry memory per device and capacity (mem/dev; JSON mem_total_bytes, mem_capacity_bytes), not its
    # terms: those are `plan explain`'s (terms.mem_*_bytes), so the fix sends the user there for them
    return InfeasibleError(f"no feasible layout among {len(c):,} evaluated ({why or 'none fits'}); the "
                           f"{min(top, len(c))} closest to fitting memory are listed with their memory per device "
                           "(mem/dev; JSON: closest_by_memory[].mem_total_bytes against mem_capacity_bytes)",
                           "raise --devices, add --hardware with more memory, relax --deadline/--budget-usd, "
                           "or run `accelopt plan explain` on a listed layout (--tp, --pp, --mbs, --zero, ... as its "
                           "row) for its memory terms: weights, gradients, optimizer state, activations")


TABLE_ROWS_MAX = 200
"""Most layout rows a console table of `plan` prints; past it a line says how many more there are and that --json
lists every one. rich renders a 20-column row in about 15-35 ms on one core (benchmarks/bench_plan_table.py), so
`plan --model llama3-8b --devices 8..64 --top 100000` spent 494 s printing its ~3,500 rows (2026-12-05, utplan2)."""

PARETO_ROWS_MAX = 20
"""Most Pareto-front rows the console prints (the JSON's pareto_front holds them all)."""


def _print_table(title: str, rows: list[Any], tags: dict[str, str], extra: list[str],
                 limit: int = TABLE_ROWS_MAX) -> None:
    """`rows` (LayoutRow) under `title`, the first `limit` of them (a line under the table says how many more the
    JSON lists); `tags`: device -> the short basis of its calibration (CurveBasis.tag, '' when fitted), printed beside
    the device name; `extra`: the hsdp / etp columns every table of the result shows (layout_extra_columns)."""
    from rich.table import Table

    from accelopt.report.console import plain
    from accelopt.units import fmt_bytes, fmt_joules, fmt_pct, fmt_seconds, fmt_usd

    left_out = len(rows) - limit
    rows = rows[:limit]

    tb = Table(title=title)
    # recomp 'full 24' = 24 layers per stage recomputed, 'none+mlp' = --recompute-modules mlp on top of recompute none
    # (LayoutRow.recompute_text)
    for col in ("hardware", "n", "tp", "pp", "dp", "cp", "ep", *extra, "vp", "mbs", "m", "zero", "recomp", "step",
                "MFU", "mem/dev", "time (est.)", "cost (est.)", "energy (est.)"):
        tb.add_column(col, justify="right" if col not in ("hardware", "recomp") else "left")
    for r in rows:
        lay = r.layout
        hw = f"{r.hardware} ({tags[r.hardware]})" if tags.get(r.hardware) else r.hardware
        tb.add_row(plain(hw), str(r.devices), str(lay.tp), str(lay.pp), str(lay.dp), str(lay.cp), str(lay.ep),
                   *(str(getattr(lay, c) or "-") for c in extra), str(lay.vp), str(lay.mbs), str(lay.m),
                   str(lay.zero), plain(r.recompute_text), fmt_seconds(r.step_time_s), fmt_pct(r.mfu),
                   fmt_bytes(r.mem_total_bytes, binary=True), fmt_seconds(r.train_time_s), fmt_usd(r.cost_usd),
                   fmt_joules(r.energy_j))
    console().print(tb)
    if left_out > 0:
        console().print(plain(f"{left_out:,} more row(s) not printed: the table shows the first {limit:,} of "
                              f"{limit + left_out:,} — give --json for every row", "yellow"))


def refuse_python_file(model: str, *, serve: bool = False) -> None:
    """An InputError for a PyTorch file (file.py or file.py:factory) given to `plan` (a preset, a config.json or a
    workload JSON) or `plan serve` (a preset or a config.json): it named the file an unknown model or a Hugging Face
    Hub id. The fix is the route through a captured workload (plan) or `plan infer` (serve), with the file's own
    factory name."""
    from accelopt.errors import InputError

    path, _, factory = model.partition(".py:")
    path = path + ".py" if factory else model
    if not path.endswith(".py"):
        return
    spec = f"{path}:{factory or _factory_name(path)}"
    if serve:
        raise InputError(f"--model {model!r} is a Python file: plan serve reads a preset name or a Hugging Face "
                         "config.json (a transformer's shape)", f"predict your PyTorch model's inference with "
                         f"`accelopt plan infer {spec} --hardware ...`, or give its config.json")
    raise InputError(f"--model {model!r} is a Python file: plan reads a preset name, a Hugging Face config.json or a "
                     "workload JSON", f"capture the model first: `accelopt profile {spec} --save-workload w.json`, "
                     "then `--model w.json`")


def _factory_name(path: str) -> str:
    """The file's function that returns a ModelBundle (by its return annotation, read without running the file),
    else 'FACTORY' for the user to fill in."""
    import ast

    from accelopt.userio import path_kind

    if path_kind(path, "--model") != "file":
        return "FACTORY"
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return "FACTORY"
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.returns and "ModelBundle" in ast.unparse(node.returns):
            return node.name
    return "FACTORY"


def _is_workload(model: str) -> bool:
    """A .json --model holding "ops" is a captured Workload (else a Hugging Face config.json); a file that
    cannot be read or parsed is an error naming it."""
    from accelopt.errors import InputError
    from accelopt.userio import path_kind, read_user_json

    if not model.endswith(".json") or path_kind(model, "--model") != "file":
        return False
    fix = "pass a Hugging Face config.json, or a workload JSON written by `accelopt profile --save-workload`"
    try:
        doc = read_user_json(model, "--model file", fix)
    except InputError as e:
        raise InputError(e.problem, fix) from None
    return isinstance(doc, dict) and "ops" in doc


def _listed_overhead_notes(specs: list[Any], cals: Any, stack: str, rows: list[Any],
                           calibration: Path | str | None) -> list[str]:
    """calibration.framework_overhead_notes for the devices of the listed `rows`."""
    from accelopt.predict.calibration import framework_overhead_notes

    listed = {r.hardware for r in rows}
    return framework_overhead_notes([sp for sp in specs if sp.name in listed], cals, stack, calibration)


def _run_workload(opts: PlanOptions) -> None:
    """A profiled Workload: data parallel x ZeRO 0-3 over the device counts (per-op roofline compute)."""
    import numpy as np

    from accelopt.hardware.catalog import resolve_devices
    from accelopt.predict.calibration import calibration_for, load_calibrations
    from accelopt.predict.comm import lists_no_link
    from accelopt.predict.results import WorkloadLayoutRow, WorkloadPlanResult
    from accelopt.predict.training import check_tokens, evaluate_workload
    from accelopt.report.jsonout import emit
    from accelopt.report.runs import finish_run
    from accelopt.units import fmt_bytes, fmt_pct, fmt_quantity, fmt_seconds, parse_int_range
    from accelopt.workload.types import Workload

    model, stack = _required_model(opts.setup), opts.stack
    wl = Workload.load(model)
    if wl.meta.get("mode") == "inference":  # training columns (ZeRO, time to train) mean nothing for it
        from accelopt.errors import InputError

        raise InputError(f"{model} is an inference workload; `plan` plans training",
                         f"use `accelopt plan infer {model}` for latency, throughput, memory and energy per inference")
    counts = parse_int_range(opts.devices, "--devices")
    measured = _measured(opts.collectives)
    dp: np.ndarray = np.repeat(np.asarray(counts, dtype=np.int64), 4)
    zero = np.tile(np.arange(4), len(counts))
    # ZeRO 1-3 over one rank shard nothing: ZeRO 0's layout, predicted the same (the search drops them too,
    # search._zero_shards_nothing); `plan --model W.json --devices 1` listed four equal rows
    one_rank = (dp == 1) & (zero > 0)
    dp, zero = dp[~one_rank], zero[~one_rank]
    cals = load_calibrations(opts.calibration)
    rows: list[WorkloadLayoutRow] = []
    assumed: dict[str, list[Any]] = {}
    if opts.hardware.strip().lower() == "all":  # the workload path evaluates each named device; it skips none
        from accelopt.errors import InputError

        raise InputError("--hardware all plans a model preset or config.json; a profiled workload is planned on "
                         "the devices you name", "name the devices, e.g. --hardware h100-sxm,mi300x")
    tokens = _tokens(opts.setup.tokens)
    check_tokens(tokens)
    workload_specs = resolve_devices(opts.hardware, opts.catalog)
    busy = warn_busy_specs(workload_specs) + warn_calibration(opts.calibration, workload_specs)
    not_planned = _unlinked_not_planned(workload_specs, measured, counts)
    for spec in workload_specs:
        if spec.name in not_planned:
            continue
        cal = calibration_for(spec, cals, stack)
        # a spec that lists no link runs on one device only, as the search plans it (b29991fe): more devices' data
        # parallel all-reduce would run on comm.DEFAULT_SCALEOUT_BW, an assumption, not a cited figure
        one = (dp == 1) if lists_no_link(spec, measured) else np.ones(len(dp), dtype=bool)
        pred = evaluate_workload(wl, spec, dp[one], zero[one], tokens=tokens, cal=cal, measured=measured)
        if pred.assumed:
            assumed[spec.name] = pred.assumed
        for i, (d, z) in enumerate(zip(dp[one], zero[one], strict=True)):
            rows.append(WorkloadLayoutRow.of(spec.name, int(d), int(z), bool(pred.feasible[i]), pred.row(i)))
    rows.sort(key=lambda r: (not r.fits, r.train_time_s))
    if "top" in opts.typed_flags:  # every (device, dp, ZeRO) row unless --top is typed (it was refused for a workload)
        if opts.top < 1:
            from accelopt.errors import InputError

            raise InputError(f"--top {opts.top}", "give --top >= 1")
        rows = rows[:opts.top]
    per_sample = int(wl.meta.get("seq_len") or 1)  # as evaluate_workload counts them
    from accelopt.hardware.spec import max_memory_note
    from accelopt.predict.cost import Facility, energy_defaults_note, host_not_counted_note
    from accelopt.predict.query import default_tokens_note
    from accelopt.predict.training import workload_batch_note, workload_dtype, workload_state_bytes

    listed = {r.hardware for r in rows}  # evaluate_workload's facility: Facility()'s defaults (no flags here)
    listed_specs = [sp for sp in workload_specs if sp.name in listed]
    # evaluate_workload counts each device busy the whole run (u = 1: P = TDP), so no idle draw enters its energy
    energy = energy_defaults_note(listed_specs, Facility(), flags=False, carbon=False, idle_used=False)
    notes = [n for n in (workload_dtype(wl)[1], workload_batch_note(wl), workload_state_bytes(wl)[3], energy,
                         host_not_counted_note(listed_specs, Facility(), flags=False),
                         max_memory_note(listed_specs, "fits"))
             if n]
    notes += _listed_overhead_notes(workload_specs, cals, stack, rows, opts.calibration)
    notes += [*_one_device_notes(workload_specs, measured, counts, not_planned),
              *[f"not planned: {name} ({why})" for name, why in not_planned.items()]]
    notes += [] if opts.setup.tokens is not None else [default_tokens_note()]
    data = WorkloadPlanResult(workload=wl.name, stack=stack, layouts=rows, assumed=assumed, tokens=tokens,
                              tokens_per_sample=per_sample, input_warnings=busy, notes=notes)
    finish_run("plan-workload", data)
    if opts.as_json:
        emit(data)
        return
    from rich.table import Table

    from accelopt.report.console import line, plain

    tb = Table(title=f"{wl.name}: data parallel + ZeRO, {stack} stack (predictions, estimates)")
    # the columns of the --html page and the JSON rows: cost and energy too (they were JSON and HTML only)
    for col in ("hardware", "dp", "zero", "fits", "step", "MFU", "mem/dev", "time", "cost", "energy"):
        tb.add_column(col)
    for r in rows:
        tb.add_row(r.hardware, str(r.dp), str(r.zero), "yes" if r.fits else "no",
                   fmt_seconds(r.step_time_s), fmt_pct(r.mfu), fmt_bytes(r.mem_total_bytes, binary=True),
                   fmt_seconds(r.train_time_s), fmt_quantity(r.cost_usd, "USD"), fmt_quantity(r.energy_j, "J"))
    con = console()
    con.print(tb)
    unit = (f"tokens ({per_sample:,} per sample)" if per_sample > 1 else
            "samples (the workload has no seq_len, so each --tokens counts one sample)")
    con.print(line(f"time = --tokens {fmt_count(tokens)} {unit} / (batch {wl.meta.get('batch_size') or 1} x dp per "
                   "step) x step (estimates)"))
    print_assumed(con, assumed)
    for link in shown_links(measured, workload_specs, any(r.dp > 1 for r in rows)):
        print_measured(con, link)
    for note in data.notes:
        con.print(plain(note, "yellow"))


def _run_search(opts: PlanOptions) -> None:
    """A model preset or config.json: every layout over --hardware x --devices, ranked by --objective."""
    import time

    import numpy as np

    from accelopt.errors import InputError
    from accelopt.hardware.catalog import own_spec_files, resolve_devices
    from accelopt.predict.calibration import STACKS, calibration_for, load_calibrations
    from accelopt.predict.compute import (
        attention_kernel_note,
        check_stack_flags,
        expert_gemm_floor_note,
        softcap_kernel_note,
        stack_attention_kernel_note,
        stack_tp_overlap_note,
    )
    from accelopt.predict.curve_basis import curve_basis
    from accelopt.predict.search import OBJECTIVES, closest_to_limits, pareto_front, rank, search
    from accelopt.report.jsonout import emit
    from accelopt.report.runs import finish_run
    from accelopt.units import parse_duration_s, parse_int_range

    objective, top, stack, devices = opts.objective, opts.top, opts.stack, opts.devices
    if objective not in OBJECTIVES:
        raise InputError(f"--objective {objective!r} is not an objective{case_hint(objective, OBJECTIVES)}",
                         "use time, cost or energy")
    if top < 1:
        raise InputError(f"--top {top} must be >= 1", "give --top >= 1")
    if stack not in STACKS:
        raise InputError(f"--stack: unknown software stack {stack!r}{case_hint(stack, STACKS)}",
                         f"use one of: {', '.join(STACKS)}")
    check_stack_flags(stack, eager_cross_entropy=opts.setup.eager_cross_entropy,
                      tp_comm_overlap=opts.setup.tp_comm_overlap, attention_unpad=opts.setup.attention_unpad,
                      moe_grouped_mlp=opts.setup.moe_grouped_mlp, te_cross_entropy=opts.setup.te_cross_entropy,
                      rope_fusion=opts.setup.rope_fusion, vocab_tiling=opts.setup.vocab_tiling)
    setup = _setup(opts.setup)
    if setup.tokens <= 0:
        raise InputError(f"--tokens {opts.setup.tokens!r} must be > 0", "give the tokens to train on, e.g. 15e12")
    specs = resolve_devices(opts.hardware, opts.catalog)
    busy = warn_busy_specs(specs) + warn_calibration(opts.calibration, specs)
    counts = parse_int_range(devices, "--devices")
    cals = load_calibrations(opts.calibration)
    bases = [curve_basis(sp.name, calibration_for(sp, cals, stack), setup.dtype, cals) for sp in specs]
    deadline_s = parse_duration_s(opts.deadline, "--deadline") if opts.deadline is not None else None
    axes = _search_axes(opts)
    t0 = time.perf_counter()
    measured = _measured(opts.collectives)
    c = search(setup, specs, counts, deadline_s=deadline_s, budget_usd=opts.budget_usd, cals=cals, stack=stack,
               schedule=opts.schedule, measured=measured, axes=axes, slice_devices=opts.slice_devices)
    bases = [b for b in bases if b.device not in c.skipped_devices]  # a device not searched has no efficiency used
    best = rank(c, objective, top)
    unranked = _unranked_devices(c, objective)
    if len(best) == 0 and c.feasible.any():  # every layout that fits lacks the figure ranked by: not 'none fits'
        field = _OBJECTIVE_FIELDS[objective]
        raise InputError(f"--objective {objective}: no layout that fits has a figure to rank by: "
                         f"{', '.join(unranked)} list(s) no {field} in the catalog",
                         f"rank by --objective time, or give {field} in a --catalog TOML for the device")
    _check_budget_has_prices(c, opts.budget_usd)
    front = pareto_front(c)
    elapsed = time.perf_counter() - t0
    if len(c) == 0 and opts.etp.strip().lower() not in ("auto", "off") and len(
            search(setup, specs, counts, cals=cals, stack=stack, schedule=opts.schedule, measured=measured,
                   axes=dataclasses.replace(axes, etp=None), slice_devices=opts.slice_devices)):
        # `--etp 3` on 16 devices was told no layout exists for the global batch, and to change --devices
        raise InputError(f"no layout of {devices} devices takes --etp {opts.etp}: an expert tensor-parallel degree "
                         "is at most a layout's tp, and etp x ep must divide its tp x dp x cp (Megatron-Core's expert "
                         "grid over the ranks of a stage)", "give --etp 0 (= tp) and powers of two below tp, e.g. "
                         "--etp 0,1, or leave --etp out (auto)")
    if len(c) == 0 and setup.vocab_tiling > 1 and len(
            untiled := search(dataclasses.replace(setup, vocab_tiling=1), specs, counts, cals=cals, stack=stack,
                              schedule=opts.schedule, measured=measured, axes=axes,
                              slice_devices=opts.slice_devices)):
        # `--vocab-tiling 3` at seq 8192 was told no layout exists for the global batch, and to change --devices
        from accelopt.predict.search import candidate_axes

        mbs = ", ".join(map(str, candidate_axes(setup)["mbs"]))
        raise InputError(f"--vocab-tiling {setup.vocab_tiling} divides the tokens per device of no layout searched "
                         f"(MaxText's per_device_batch_size x --seq-len {setup.seq_len:,}: mbs x dp (x m with pp > 1) "
                         f"x seq-len / devices, mbs {mbs}): MaxText refuses such a count "
                         "(validate_vocab_tiling: 'Per device batch size times sequence length should be divisible "
                         "by the number of vocab tiles.')",
                         _vocab_tiling_fix(setup.seq_len, untiled.layouts))
    if len(c) == 0:
        raise InputError(f"no layout of {devices} devices exists for a global batch of {setup.global_batch:,} "
                         f"sequences (a layout needs tp x pp x dp x cp = devices and dp <= the batch)",
                         "use fewer --devices or a larger --global-batch")
    from accelopt.predict.results import ModelFigures, PlanResult

    def rows(idx: Any) -> list[Any]:
        return [_fmt_row(c, int(i), setup.recompute_modules) for i in idx]

    closest_rows: list[Any] = []
    limit_rows: list[Any] = []
    none_fits = None
    if len(best) == 0:  # exit 2 after showing the layouts closest to fitting, or to the limits that dropped them
        near = closest_to_limits(c, deadline_s, opts.budget_usd, top)
        none_fits, limit_rows = _none_feasible(c, near, top), rows(near)
        if not limit_rows:  # memory dropped them all: the layouts closest to fitting, with their memory terms
            closest_rows = rows(np.argsort(c.terms["mem_total_bytes"] / c.terms["mem_capacity_bytes"],
                                           kind="stable")[:top])
    best_rows, front_rows = rows(best), rows(front)  # each row built once: the notes read the rows shown
    shown = best_rows + front_rows + closest_rows + limit_rows
    # a spec TOML's own link (and its caveat) said where a collective runs: a layout shown on more than one device
    links = shown_links(measured, [sp for sp in specs if sp.name not in c.skipped_devices],
                        any(r.devices > 1 for r in shown))
    figures = ModelFigures.of(setup.model, setup.seq_len)
    data = PlanResult(model=setup.model.name, seq_len=setup.seq_len, global_batch_seqs=setup.global_batch,
                      tokens=setup.tokens, dtype=setup.dtype, stack=stack, flash=setup.flash, candidates=len(c),
                      feasible=int(c.feasible.sum()), dropped={k: int(v) for k, v in c.reasons.items()},
                      assumed=c.assumed, unused_config_keys=list(setup.model.unused_keys), search_s=elapsed,
                      skipped_devices=dict(c.skipped_devices),
                      skipped_options=dict(c.skipped_options), schedule=opts.schedule,
                      measured_link=links[0] if len(links) == 1 else measured,
                      axes=axes, slice_devices=opts.slice_devices, objective=objective,
                      **_setup_flags(_searched_kernel(setup, c.kernels)),
                      model_figures=figures,
                      notes=[*model_notes(setup, opts.setup.seq_len is not None, figures,
                                          opts.setup.global_batch is not None, opts.setup.tokens is not None),
                             *_unranked_notes(unranked, objective),
                             *[f"{sp.name}: {n}" for sp in specs if sp.name not in c.skipped_devices
                               if (n := attention_kernel_note(c.kernels.get(sp.name, setup.attention_kernel),
                                                              calibration_for(sp, cals, stack)))],
                             *[n for sp in specs if sp.name not in c.skipped_devices
                               if (n := stack_attention_kernel_note(c.kernels.get(sp.name, setup.attention_kernel),
                                                                    stack, sp, setup.attention_kernel_auto))],
                             *[n for n in (stack_tp_overlap_note(setup.tp_comm_overlap, stack),) if n],
                             *_cudnn_before_917_notes(setup, specs, c, cals, stack),
                             *[n for n in (softcap_kernel_note(setup.model, c.kernels)
                                           if setup.attention_kernel_auto else "",) if n],
                             # the expert path asked (--moe-grouped-mlp): left at te, megablox on maxtext read
                             # 'timed as Transformer Engine's per-expert GEMMs (te, the default)'
                             *[n for sp in specs if sp.name not in c.skipped_devices
                               if (n := expert_gemm_floor_note(setup.model, calibration_for(sp, cals, stack),
                                                               sp.name, setup.moe_grouped_mlp))],
                             *([f"measured_link holds one link (null here); the {len(links)} measured scale-up "
                                 "links used, one per device: " + "; ".join(link.text() for link in links)]
                               if len(links) > 1 else []),
                             *_search_notes(specs, measured, opts.slice_devices, setup, best_rows, stack),
                             *_one_device_notes(specs, measured, counts, c.skipped_devices),
                             *_unused_axis_notes(axes, c.layouts), *_recompute_axis_notes(axes, setup),
                             *_zero_bubble_notes(opts.schedule),
                             *_energy_notes(specs, setup.facility, shown, own_spec_files(opts.hardware, opts.catalog)),
                             *_listed_overhead_notes(specs, cals, stack, shown, opts.calibration)],
                      best=best_rows,
                      pareto_front=front_rows, closest_by_memory=closest_rows, closest_to_limits=limit_rows,
                      calibration_basis=bases, input_warnings=busy)
    finish_run("plan", data)
    if opts.as_json:
        emit(data)
        if none_fits:
            raise none_fits
        return
    from accelopt.report.console import line, plain
    from accelopt.report.plan_warnings import flags_text

    con = console()
    dropped = ", ".join(f"{k} {v:,}" for k, v in c.reasons.items() if v) or "none"
    con.print(line((setup.model.name, "bold"), f" {fmt_count(setup.tokens)} tokens, seq {setup.seq_len}, global "
                   f"batch {setup.global_batch:,} seqs, {setup.dtype}{flags_text(setup, stack)}, {stack} stack, "
                   f"{opts.schedule} schedule — "
                   f"{len(c):,} layouts evaluated "
                   f"in {fmt_seconds(elapsed)}, {int(c.feasible.sum()):,} feasible; dropped: {dropped}"))
    from accelopt.report import plan_warnings
    from accelopt.report.plan_warnings import skipped_lines

    for text in skipped_lines(c.skipped_devices, c.skipped_options):  # a device left out must not vanish without a word
        con.print(plain(text, "yellow"))
    tags = {b.device: b.tag for b in bases}
    extra = plan_warnings.layout_extra_columns(data.best, data.pareto_front, data.closest_by_memory,
                                               data.closest_to_limits)
    if none_fits:
        if data.closest_to_limits:
            _print_table(f"closest to {_limits_text(opts)} (they fit memory, none meets it; predictions, estimates)",
                         data.closest_to_limits, tags, extra)
        else:
            _print_table("closest to fitting memory (none fits; predictions, estimates)", data.closest_by_memory,
                         tags, extra)
        print_bases(con, bases)
        print_assumed(con, c.assumed)
        for note in data.notes:
            con.print(plain(note, "yellow"))
        raise none_fits
    _print_table(f"best {len(best)} by {objective} (predictions, estimates)", data.best, tags, extra)
    _print_table("Pareto front: time, cost, energy", data.pareto_front, tags, extra, limit=PARETO_ROWS_MAX)
    print_bases(con, bases)
    print_assumed(con, c.assumed)
    for link in links:
        print_measured(con, link)
    for note in data.notes:
        con.print(plain(note, "yellow"))


# The catalog field behind each objective other than time (a device without it has no cost / energy figure)
_OBJECTIVE_FIELDS = {"cost": "price_usd_per_hour (with price_date)", "energy": "tdp_w"}


def _check_budget_has_prices(c: Any, budget_usd: float | None) -> None:
    """An InputError where --budget-usd is given and no layout that fits memory has a cost (every device unpriced):
    the 'closest to --budget-usd' table listed cost n/a rows, and the fix said to relax the budget (uttrial)."""
    import numpy as np

    if budget_usd is None or c.feasible.any() or not c.fits_memory.any():
        return
    if np.isfinite(c.terms["cost_usd"][c.fits_memory]).any():
        return
    unpriced = sorted({str(h) for h in c.hardware[c.fits_memory]})
    raise InputError(f"--budget-usd {budget_usd:g}: no layout that fits memory has a cost to hold to it: "
                     f"{', '.join(unpriced)} list(s) no price_usd_per_hour in the catalog",
                     "give price_usd_per_hour (with price_date) in a --catalog TOML for the device, add a --hardware "
                     "with a price, or leave --budget-usd out")


def _unranked_devices(c: Any, objective: str) -> list[str]:
    """Devices with a layout that fits but no figure for `objective` (no price, no TDP): `rank` leaves them out."""
    import numpy as np

    from accelopt.predict.search import OBJECTIVES

    key = c.terms[OBJECTIVES[objective]]
    return sorted({str(h) for h in c.hardware[c.feasible & ~np.isfinite(key)]})


_AXIS_RULES = {
    "hsdp": ("--hsdp", "a shard group divides a ZeRO-3 layout's dp x cp and is smaller than it, for a layout that "
             "fits fully sharded, with ep 1", "no fully sharded ZeRO-3 layout"),
    "recompute_layers": ("--recompute-layers", "a count is below the layers of a pipeline stage, for a full-recompute "
                         "layout that fits and would not fit without recompute", "no layout recomputing every layer"),
    "etp": ("--etp", "an expert tensor-parallel degree is at most a layout's tp, and etp x ep must divide its tp x dp "
            "x cp", None)}
"""`plan`'s listed search axes whose values can apply to no layout: the flag, the rule a value must meet, and what a
list without 0 (the plain form) leaves out (None for --etp: its etp = tp layouts are searched, 0 listed or not;
a list of which no value applies is an error, _run_search)."""


def _unused_axis_notes(axes: Any, searched: Any) -> list[str]:
    """A note per listed --hsdp / --recompute-layers / --etp value no layout searched took: `--hsdp 3` on 16 devices
    (3 divides no dp x cp) or `--recompute-layers 100` on a 32-layer model made no such layout, and with no 0 in the
    list the plain form was left out too, without a word; `--etp 3,1` on 16 devices ran etp 1 alone, unsaid."""
    notes = []
    for name, (flag, rule, plain) in _AXIS_RULES.items():
        asked = getattr(axes, name) or ()
        taken = set(getattr(searched, name).tolist())
        unused = [v for v in asked if v > 0 and v not in taken]
        if unused:
            notes.append(f"{flag} {','.join(map(str, unused))}: no layout searched takes "
                         f"{'it' if len(unused) == 1 else 'them'} ({rule})"
                         + (f"; with no 0 in the list, {plain} was searched either"
                            if plain is not None and 0 not in asked else ""))
    return notes


def _unranked_notes(devices: list[str], objective: str) -> list[str]:
    return [f"{name}: no {_OBJECTIVE_FIELDS[objective]} in the catalog, so its layouts have no {objective} figure "
            f"and are not ranked by --objective {objective} (they stay on the Pareto front by time)"
            for name in devices]


def _measured(path: Path | None) -> Any:
    """The scale-up link measured by `probe --collectives` in `path` (None without --collectives)."""
    if path is None:
        return None
    from accelopt.predict.comm import load_measured

    return load_measured(path)


def shown_links(measured: Any, specs: list[Any], collectives_run: bool) -> list[Any]:
    """The measured scale-up links the predictions use: --collectives's, else each device's own (a spec TOML written
    by `probe --collectives` given as --hardware: comm.Links.of uses its link as measured) where a collective runs
    (`collectives_run`: a layout shown spans more than one device), as plan serve says it. The second were used
    without a word, their poor-fit caveat too: a gloo-probed link's FSDP all-gathers and reduce-scatters were charged
    at the all-reduce's bandwidth unsaid (utleftplan, 2026-12-05; utdist2's leftover)."""
    from accelopt.predict.comm import own_links

    if measured is not None:
        return [measured]
    return own_links(specs) if collectives_run else []


def print_measured(con: Any, measured: Any) -> None:
    """The measured link used in place of the catalog's scale-up figures, said beside the result."""
    from accelopt.report.console import plain
    from accelopt.report.plan_warnings import measured_lines

    for i, text in enumerate(measured_lines(measured)):  # the link, then a busy-machine warning saved with it
        con.print(plain(text, "cyan" if i == 0 else "yellow"))


def _searched_kernel(setup: Any, kernels: dict[str, str]) -> Any:
    """`setup` with the attention kernel every searched device was timed with (search.Candidates.kernels: flash2
    for a soft-capped model on NVIDIA Ampere or newer, --attention-kernel left out); `setup` itself when the devices
    differ (the softcap_kernel_note names each one's kernel) or none was searched."""
    chosen = set(kernels.values())
    if len(chosen) != 1:
        return setup
    return dataclasses.replace(setup, attention_kernel=chosen.pop())


def _setup_flags(setup: Any) -> dict[str, Any]:
    """The Setup flags a result records (PlanResult / ExplainResult fields of the same names)."""
    return {k: getattr(setup, k) for k in ("edge_stage_layers", "p2p_overlap", "tp_comm_overlap", "tp_overlap_cfg",
                                           "ep_a2a_overlap", "moe_dispatcher", "moe_router_dtype",
                                           "moe_grouped_mlp",
                                           "fp8_params",
                                           "offload_layers", "tp_async", "fp8_saved_inputs", "fp8_output_head",
                                           "no_dropout", "vocab_tiling",
                                           "optimizer_state_bytes", "fp8_recipe", "attention_kernel",
                                           "attention_unpad", "cudnn_before_9_17", "eager_cross_entropy",
                                           "te_cross_entropy",
                                           "rope_fusion", "dp_bucket_params",
                                           "recompute_modules")}


def _attention_text(kernel: str, cal: Any) -> str:
    """'; flash2 attention at 0.35 x peak' when the run's kernel has a published rate on this family, '; flash2
    attention at 0.73 (forward) / 0.63 (backward) x peak' when its passes have rates of their own ('' otherwise; a
    flash2 kernel without one is a note, compute.attention_kernel_note); the fused kernel's rates where the device
    has measured ones (their source, or why the core stays on the GEMM curve: _fused_attention_notes)."""
    from accelopt.predict.compute import attention_kernel_bwd_rate, attention_kernel_rate

    rate, bwd = attention_kernel_rate(kernel, cal), attention_kernel_bwd_rate(kernel, cal)
    if kernel == "fused" and rate:  # the device's measured rates (their source: _fused_attention_notes)
        return (f"; fused attention at {rate:.3g} (forward) / {bwd:.3g} (backward) x peak, "
                f"{'derived' if cal.fused_attention_derived else 'measured'}")
    if rate and bwd != rate:
        return f"; {kernel} attention at {rate} (forward) / {bwd} (backward) x peak"
    return f"; {kernel} attention at {rate} x peak" if rate else ""


def _cudnn_before_917_notes(setup: Any, specs: list[Any], c: Any, cals: Any, stack: str) -> list[str]:
    """`plan --cudnn-before-9-17`: each searched device's fused-core rate and its basis (_fused_attention_notes), so
    the rate the flag picked (GB200's derived one), or that it changed nothing there, is said beside the ranking."""
    from accelopt.predict.calibration import calibration_for

    if not setup.cudnn_before_9_17:
        return []
    return [f"{sp.name}: {n}" for sp in specs if sp.name not in c.skipped_devices
            for kernel in (c.kernels.get(sp.name, setup.attention_kernel),)
            for n in (_fused_attention_notes(kernel, calibration_for(sp, cals, stack, cudnn_before_9_17=True))
                      or _cudnn_unused_notes(kernel, True))]


def _cudnn_unused_notes(kernel: str, cudnn_before_9_17: bool) -> list[str]:
    """--cudnn-before-9-17 with a core that is not cuDNN's fused kernel (flash2, triton, unfused...): it changes
    nothing, said rather than dropped."""
    if not cudnn_before_9_17 or kernel == "fused":
        return []
    return [f"--cudnn-before-9-17 changes nothing: the attention core runs {kernel}, not cuDNN's fused kernel"]


def _fused_attention_notes(kernel: str, cal: Any) -> list[str]:
    """`plan explain`'s note on the fused attention core's rate (the kernel 'fused' only): the device's measured
    rates and their source, or why the core runs on the GEMM curve (calibration.with_fused_attention)."""
    if kernel != "fused" or not cal.fused_attention_basis:
        return []
    if not cal.fused_attention_eff:
        return [f"attention core (fused kernel): {cal.fused_attention_basis}"]
    return [f"attention core (fused kernel) at {cal.fused_attention_eff:.3g} (forward) / "
            f"{cal.fused_bwd_attention_eff:.3g} (backward) x the 16-bit peak: {cal.fused_attention_basis}"]


def _energy_notes(specs: list[Any], facility: Any, rows: list[Any], files: dict[str, str]) -> list[str]:
    """The defaults under the energy and carbon of the listed `rows` (their devices among `specs`),
    cost.energy_defaults_note, why their cost reads n/a (no catalog price) and why their energy and carbon do (no
    TDP; `files`: _not_available_notes'); [] when none applies."""
    from accelopt.hardware.spec import max_memory_note
    from accelopt.predict.cost import energy_defaults_note, host_not_counted_note

    listed = [sp for sp in specs if sp.name in {r.hardware for r in rows}]
    note = energy_defaults_note(listed, facility)
    host, cap = host_not_counted_note(listed, facility), max_memory_note(listed, "memory fits")
    return [n for n in (note, host, *_not_available_notes(listed, files), cap) if n]


def _not_available_notes(specs: list[Any], files: dict[str, str]) -> list[str]:
    """Why a cost reads n/a (no catalog price) and why an energy and carbon do (no TDP), for `plan`'s listed
    devices and `plan explain`'s one (whose JSON said neither: cost_usd null with no word; uttrialC); `files`: the
    user's files the devices were read from (catalog.own_spec_files), where the fixes send the user."""
    from accelopt.hardware.catalog import missing_figure_note

    price = missing_figure_note("cost (est.) is", "price per device-hour", "price_usd_per_hour (with price_date)",
                                [sp.name for sp in specs if sp.price_usd_per_hour is None], files)
    watts = missing_figure_note("energy (est.) and carbon are", "TDP", "tdp_w",  # cost.py: no TDP, no energy estimate
                                [sp.name for sp in specs if sp.tdp_w is None], files)
    return [n for n in (price, watts) if n]


def _unlinked_not_planned(specs: list[Any], measured: Any, counts: list[int]) -> dict[str, str]:
    """`plan --model WORKLOAD.json`'s devices left out, with the reason and fix: a spec that lists no link between
    devices when 1 is not among --devices (search() lists it as not searched); all of them: an InputError."""
    from accelopt.errors import InputError
    from accelopt.predict.comm import NO_LINK_FIX, lists_no_link, no_link_problem

    if 1 in counts:
        return {}
    gone = {sp.name: no_link_problem(sp, "training", counts) for sp in specs if lists_no_link(sp, measured)}
    if gone and len(gone) == len(specs):
        raise InputError("; ".join(gone.values()), f"include 1 in --devices, or {NO_LINK_FIX}")
    return {name: f"{problem}: it runs on one device only; include 1 in --devices, or {NO_LINK_FIX}"
            for name, problem in gone.items()}


def _one_device_notes(specs: list[Any], measured: Any, counts: list[int], skipped: Any) -> list[str]:
    """A line per searched spec that lists no link between devices (comm.lists_no_link): search() evaluated it at
    --devices 1 only, as plan explain and plan serve refuse it on more; said, so the other counts do not vanish."""
    from accelopt.predict.comm import NO_LINK_FIX, lists_no_link

    many = [n for n in counts if n > 1]
    return [f"{sp.name}: searched at 1 device only, not at {', '.join(map(str, many))}: its spec lists no link "
            f"between devices — {NO_LINK_FIX}" for sp in specs
            if many and 1 in counts and sp.name not in skipped and lists_no_link(sp, measured)]


def _search_notes(specs: list[Any], measured: Any, slice_devices: int, setup: Any,
                  rows: list[Any], stack: str) -> list[str]:
    """The lines under `plan`'s tables (PlanResult.notes): a data-parallel degree among `rows` that does not divide
    the global batch; an interleaved (pp, vp) among them whose chunks split the layers unevenly, counted as an upper
    bound (query.uneven_vp_note); a (device, count) that spans several slices, in the device's words
    (query.slice_note); what a group reaches of a measured link on a switchless domain (query.measured_share_note);
    the distributed optimizer's bucket: the default used on the listed layouts, or --dp-bucket-params with no effect
    on any of them (query.bucket_note)."""
    global_batch, layers, edge_stage_layers = setup.global_batch, setup.model.layers, setup.edge_stage_layers
    from accelopt.predict.comm import slice_spec
    from accelopt.predict.query import (
        bucket_charged,
        bucket_note,
        measured_share_note,
        slice_note,
        uneven_note,
        uneven_vp_note,
    )

    notes = [f"dp={dp}: {n}" for dp in sorted({r.layout.dp for r in rows}) if (n := uneven_note(global_batch, dp))]
    notes += [n for pp, vp in sorted({(r.layout.pp, r.layout.vp) for r in rows})
              if (n := uneven_vp_note(layers, pp, vp, edge_stage_layers))]
    by_name = {sp.name: sp for sp in specs}
    for name, count in sorted({(r.hardware, r.devices) for r in rows}):
        note = slice_note(slice_spec(by_name[name], slice_devices), count, slice_devices) if name in by_name else None
        if note:
            notes.append(f"{name}: {note}")
    charged = [r.layout.dp * r.layout.cp for r in rows if r.hardware in by_name
               and bucket_charged(stack, r.layout.zero, r.layout.dp * r.layout.cp, by_name[r.hardware])]
    notes += [n for n in (bucket_note(setup.dp_bucket_params, charged),) if n]
    return notes + [n for sp in specs if (n := measured_share_note(sp, measured))]


def print_bases(con: Any, bases: list[Any]) -> None:
    """One line per device: where the GEMM efficiencies of its calibration come from (CurveBasis.text)."""
    from accelopt.report.console import plain

    for b in bases:
        con.print(plain(f"{b.device}: {b.text}", "cyan" if b.kind == "fitted" else "yellow"))


def print_assumed(con: Any, assumed: dict[str, list[Any]]) -> None:
    """One line per device naming each default used in place of a figure its spec lacks (replaced by a spec TOML),
    and one for an engine's custom all-reduce (not a spec figure: --tp-allreduce, its text says)."""
    from accelopt.report.console import plain
    from accelopt.report.plan_warnings import assumed_lines

    for text in assumed_lines(assumed):
        con.print(plain(text, "yellow"))


# `plan` options a captured workload cannot use (its dtype, batch and sequence length were fixed at capture)
_NOT_FOR_WORKLOADS = ("seq_len", "global_batch", "deadline", "budget_usd", "objective", "dtype", "pue", "grid",
                      "host_w", "schedule", "hsdp", "etp", "recompute_layers", "recompute", "slice_devices")
_MODEL_FLAGS_NOT_FOR_WORKLOADS = ("flash", "attention_kernel", "attention_unpad", "cudnn_before_9_17",
                                  "eager_cross_entropy", "te_cross_entropy", "rope_fusion",
                                  "edge_stage_layers", "p2p_overlap",
                                  "tp_comm_overlap", "tp_overlap_cfg", "no_tp_async", "ep_a2a_overlap",
                                  "moe_dispatcher", "moe_router_dtype", "moe_grouped_mlp", "fp8_params",
                                  "offload_layers",
                                  "fp8_saved_inputs",
                                  "fp8_output_head", "fp8_recipe", "no_dropout", "vocab_tiling", "dp_bucket_params",
                                  "optimizer_state_bytes", "recompute_modules")
"""Flags of the transformer model's terms (Setup fields) that training.evaluate_workload never reads: its step is
the profiled ops' roofline sum plus a data-parallel all-reduce, its optimizer state 12 bytes per parameter; typed
with a workload they were dropped without a word."""


def run_plan(opts: PlanOptions) -> None:
    """`accelopt plan`: list the presets, plan a captured workload, or search the layouts of a model."""
    if opts.list_models:
        from accelopt.report.jsonout import emit
        from accelopt.report.model_documents import PlanModelsDocument
        from accelopt.workload.presets import list_models

        doc = PlanModelsDocument(count=len(list_models()), models=list_models())
        if opts.as_json:
            emit(doc)
        else:
            print("\n".join(doc.models))
        return
    model = _required_model(opts.setup)
    refuse_python_file(model)
    if _is_workload(model):
        _refuse_typed(opts.typed_flags, _NOT_FOR_WORKLOADS, f"--model {model} is a captured workload, which fixes "
                      "its dtype, batch and sequence length and is planned as data parallel x ZeRO 0-3 ranked by "
                      "time (no deadline, budget, facility or objective)",
                      "leave these options out, or plan a model preset or config.json for the full search")
        _refuse_typed(opts.typed_flags, _MODEL_FLAGS_NOT_FOR_WORKLOADS, f"--model {model} is a captured workload, "
                      "timed as its profiled ops (a roofline sum) plus the data-parallel all-reduce, with 12 bytes of "
                      "optimizer state per parameter: these options set terms of the transformer model it does not "
                      "use", "leave these options out, or plan a model preset or config.json that they apply to")
        _run_workload(opts)
        return
    if importlib.util.find_spec("accelopt.cli.plan_infer") is not None:
        from accelopt.cli.plan_infer import point_to_infer

        point_to_infer(model)  # an inference example (resnet50, ...) is not a training preset
    _run_search(opts)


def typed_flags(ctx: typer.Context) -> dict[str, str]:
    """Parameter name -> the flag the user typed, for each option not left at its default (an on/off pair's off
    spelling, --no-flash, when it was the one typed)."""
    return {p.name: _spelling(p, ctx.params.get(p.name)) for p in ctx.command.params if p.name and _typed(ctx, p.name)}


def _spelling(param: Any, value: Any) -> str:
    """The option's first flag, or its secondary (off) flag for an on/off pair set to False."""
    off = getattr(param, "secondary_opts", None)
    return str(off[0]) if off and value is False else str(param.opts[0])


def _refuse_typed(typed: dict[str, str], names: tuple[str, ...], problem: str, fix: str) -> None:
    """InputError naming the options among `names` that the user typed (`typed`: from `typed_flags`)."""
    from accelopt.errors import InputError

    given = [typed[n] for n in names if n in typed]
    if given:
        raise InputError(f"{', '.join(given)}: {problem}", fix)


def _refuse_before_subcommand(ctx: typer.Context) -> None:
    """`plan --json serve ...`: an option of `plan` typed before a subcommand would be ignored; refuse it."""
    _refuse_typed(typed_flags(ctx), tuple(p.name for p in ctx.command.params if p.name),
                  f"options of `plan` do not apply to `plan {ctx.invoked_subcommand}`",
                  f"put them after the subcommand: accelopt plan {ctx.invoked_subcommand} ... (see "
                  f"`accelopt plan {ctx.invoked_subcommand} --help`)")


def _typed(ctx: typer.Context, name: str) -> bool:
    src = ctx.get_parameter_source(name)
    return src is not None and src.name not in ("DEFAULT", "DEFAULT_MAP")


STACK_HELP = ("software stack the efficiencies are calibrated for: megatron (Megatron-LM-style 3D parallel, "
              "default), pytorch-fsdp (PyTorch FSDP, e.g. llm-foundry), maxtext (JAX MaxText on TPU), "
              "neuron-megatron-lm (AWS's Neuron Reference for Megatron-LM on Trainium) or torchtitan (PyTorch's "
              "torchtitan: FSDP2, modelled as pytorch-fsdp with its own calibration); see "
              "predict/data/calibration.toml")


ATTENTION_KERNEL_HELP = ("the kernel that runs the attention core: fused (cuDNN / Transformer Engine fused attention, "
                         "on the GEMM curve; the default, except for a model with attention-logit soft-capping "
                         "(Gemma 2) on NVIDIA GPUs of Ampere or newer, which left out gets flash2 and typed fused is "
                         "refused: "
                         "Transformer Engine's fused attention takes no softcap), flash2 (FlashAttention-2: TE with "
                         "NVTE_FUSED_ATTN=0, the flash-attn package, PyTorch SDPA's flash backend; at the family's "
                         "published rate), "
                         "triton (FlashAttention in Triton, flash_attn.flash_attn_triton: llm-foundry's attn_impl "
                         "triton; at the family's triton rate), nki_flash (AWS Neuron's NKI flash kernel, NeuronX "
                         "Distributed since Neuron 2.19: causal blocks skipped at its 512 / 2048-key tiles, S "
                         "recomputed in the backward, its P / dS / dO / Q transposes on the Tensor Engine counted; "
                         "on the GEMM curve; Neuron devices and sequences of multiples "
                         "of 2048 only) or unfused (as --no-flash; it scores and keeps every key, on a sliding-window "
                         "layer too: the window is a mask); flash2 and triton are GPU "
                         "kernels of Ampere or newer on NVIDIA (refused on a TPU or other non-GPU device and on a V100 "
                         "or T4; left out of a search over several with the reason); fused on NVIDIA devices, "
                         "flash2 and triton skip the blocks above a causal mask's diagonal and charge a backward of "
                         "2.5x the forward (the FlashAttention-2 algorithm)")
FLASH_HELP = ("fused (flash) attention: no s x s score tensor in memory, one kernel for the attention core "
              "(default); --no-flash for runs without it, e.g. Megatron-LM 2021-22")


P2P_OVERLAP_HELP = ("interleaved schedule (--vp > 1): overlap pipeline sends/receives with the next chunk's compute "
                    "(Megatron-LM --overlap-p2p-comm, its default with interleaving; Llama 3's asynchronous p2p); "
                    "off: every send is on the critical path")
TP_OVERLAP_HELP = ("pipeline the tensor-parallel all-gathers / reduce-scatters with the GEMM each feeds or follows "
                   "(Transformer Engine userbuffers, Megatron-Bridge tp_comm_overlap; with --stack torchtitan its "
                   "async TP: torch symmetric-memory micro-pipelined matmuls on copy engines; needs sequence parallel "
                   "and --tp > 1); off: the forward's collectives and the backward's output-gradient gathers are on "
                   "the critical path (megatron stack: the backward's other gathers and reduce-scatters hide behind "
                   "their GEMMs); a PyTorch library's: refused with --stack maxtext (JAX)")
TP_OVERLAP_CFG_HELP = ("with --tp-comm-overlap: the userbuffers config the run names (NeMo / Megatron-Bridge "
                       "userbuffers_<name>, e.g. bf16_h100_h8192_tp4_mbs1_seqlen8192, or a recipe's inline config "
                       "bundled under the recipe's name, dgxc-gpt3_175b_hydra: per GEMM ring exchange, "
                       "pipelined or bulk overlap and the SMs its communication takes); default: Transformer "
                       "Engine's defaults")
EP_A2A_OVERLAP_HELP = ("mixture of experts with --ep > 1: overlap each micro-batch's expert dispatch/combine "
                       "all-to-alls with another micro-batch's attention or expert-MLP compute in the 1F1B steady "
                       "state (Megatron-Core --overlap-moe-expert-parallel-comm, Megatron-Bridge "
                       "overlap_moe_expert_parallel_comm / moe_a2a_overlap; with --pp > 1 it needs --vp > 1); hidden "
                       "only up to that compute, never in the warmup passes; memory: one layer more in flight, the "
                       "paired forward's, where a forward runs beside a backward; off: every all-to-all on the "
                       "critical path, except under --schedule dualpipe, which pairs its chunks so itself")
TP_ASYNC_HELP = ("the megatron stack's backward tensor-parallel collectives all on the critical path, "
                 "as in Megatron-LM before its asynchronous tensor-parallel all-reduce (Narayanan et al. 2021) and "
                 "in Megatron-DeepSpeed (BLOOM, MT-NLG); default: each column-parallel layer's input-gradient "
                 "all-reduce (or, with sequence parallel, its reduce-scatter and input re-gather) hides behind its "
                 "weight-gradient GEMM (Korthikanti et al. 2022 sec. 6.2)")
FP8_PARAMS_HELP = ("with --dtype fp8: keep the GEMM weights in FP8 (1 byte; +1 for the transposed copy on Hopper), "
                   "their fp32 master copy in the optimizer state (Megatron-LM --fp8-param-gather, Transformer "
                   "Engine fp8_model_init; set by Megatron-Bridge's FP8 current-scaling and MXFP8 recipes); memory "
                   "only")
OFFLOAD_HELP = ("layers per pipeline stage whose saved activations are held in host memory (Megatron-Core/NeMo "
                "cpu_offloading_num_layers; MaxText remat_policy names set to 'offload'); memory only: the copies "
                "are assumed hidden behind compute; at most a stage's layers (`plan explain`; `plan` offloads all "
                "of a stage with fewer); default 0")
FP8_INPUTS_HELP = ("with --dtype fp8: the linear layers keep FP8 copies of their inputs for the backward (1 byte, "
                   "not 2: Transformer Engine's Linear/LayerNormLinear save the quantized input for the weight "
                   "gradient; the out-projection's copy sits beside the fused attention output); memory only")
FP8_HEAD_HELP = ("with --dtype fp8: the output layer (logits GEMM) is a Transformer Engine FP8 Linear / "
                 "LayerNormLinear inside te.fp8_autocast too (e.g. AMD's pytorch-training-benchmark FP8 models), so "
                 "its forward and backward GEMMs are timed at the FP8 linear layers' rate with their quantize pass; "
                 "default: a 16-bit head, as Megatron-Core's ColumnParallelLinear output layer (Megatron-LM, NeMo, "
                 "Megatron-Bridge); time only")
MOE_DISPATCHER_HELP = ("MoE: the token dispatcher the run uses: alltoall (default; Megatron-Core's NCCL all-to-all "
                       "dispatcher, one copy of a token per expert rank it is routed to), hybridep or deepep (its "
                       "flex dispatcher's HybridEP / DeepEP backend: across nodes a token crosses the network once "
                       "per destination node and is forwarded over NVLink there, timed at the published rate, "
                       "DeepEP's README_Hybrid-EP.md H100 table / legacy.md H800 table, scaled by the device's "
                       "scale-out bandwidth over their 400 Gb/s NICs; inside one node: the all-to-all's time); "
                       "hybridep and deepep are CUDA libraries for compute capability 9.0 (SM90, Hopper) or newer: "
                       "refused off an NVIDIA GPU and below 9.0 (the catalog's compute_capability)")
MOE_ROUTER_DTYPE_HELP = ("MoE: the router GEMM's precision, as Megatron-Core's --moe-router-dtype: bf16 (default; "
                         "Megatron-Core's None, the input's dtype: a 16-bit GEMM) or fp32 (its forward writes fp32 "
                         "logits; its data- and weight-gradient GEMMs run in fp32, on the TF32 tensor cores under "
                         "Transformer Engine, timed at the catalog TF32 peak, FP32 where none, on the family's 16-bit "
                         "GEMM efficiency curve, with their fp32 casts); time only")
def _vocab_tiling_fix(seq_len: int, lay: Any) -> str:
    """The fix when --vocab-tiling N divides the per-device tokens of no layout searched: a count dividing the most
    tokens per device of a layout that runs untiled (`lay`: those layouts). 'Dividing --seq-len' was said before
    rvs32d (2026-12-06), which is no fix once tp, pp or cp split the tokens: 16 devices at a global batch of 8 hold
    at most 2,048 of 4,096 per device, so --vocab-tiling 4096 was refused with the fix 'dividing --seq-len 4,096'."""
    from accelopt.predict.training import vocab_tiling_step_tokens

    tokens, devices = vocab_tiling_step_tokens(seq_len, lay)
    whole = tokens[tokens % devices == 0] // devices[tokens % devices == 0]
    if not len(whole):
        return "leave --vocab-tiling out: no layout searched holds a whole number of tokens per device"
    return (f"give a --vocab-tiling dividing {int(whole.max()):,} (the most tokens per device of a layout searched), "
            "or leave it out")


MOE_GROUPED_MLP_HELP = ("MoE: the routed experts' GEMM path: te (default; Transformer Engine's GroupedLinear, one "
                        "cuBLASLt call per local expert, each at least the family's expert_gemm_floor_s) or cutedsl "
                        "(Megatron-Bridge's cutedsl_fused_grouped_mlp: Transformer Engine's CuTe DSL MXFP8 fused "
                        "grouped MLP, one grouped kernel per GEMM, no per-expert floor; with --dtype fp8 --fp8-recipe "
                        "mxfp8 only; a PyTorch library's: refused with --stack maxtext) or megablox (MaxText's "
                        "megablox Pallas grouped matmul, one kernel per GEMM over 512-row tiles, a tile a group "
                        "boundary crosses computed once per group, at the GEMM curve x min(1, (expert width per "
                        "device / 14336)^0.3), MaxText issue #1256's v5p loss at narrow experts, which plan explain "
                        "prints; 16-bit dtypes and TPUs only: a Pallas TPU kernel); time only")
FP8_RECIPE_HELP = ("with --dtype fp8: the linear layers' scaling recipe, what quantizing each GEMM input costs: "
                   "delayed "
                   "(amax history, one fused cast; Megatron-LM's default), current (per-tensor scale from this step's "
                   "amax: one more read of the input; Megatron-Bridge 'FP8-CS'), mxfp8 (32-element block scales, "
                   "row- and column-wise copies; Blackwell only); also read: ds, cs, tensorwise (Megatron-LM's name "
                   "for current), fp8-cs, fp8-mx")
ATTENTION_UNPAD_HELP = ("the fused attention runs through a padded-batch wrapper that gathers Q, K, V to (tokens, "
                        "width) before a varlen FlashAttention call and scatters the output back, every layer "
                        "(llm-foundry's MPT flash_attn_fn): those copies and their backward are charged; a PyTorch "
                        "wrapper: refused with --stack maxtext (JAX)")
CUDNN_BEFORE_917_HELP = ("the run's container carries a cuDNN release before 9.17.0, which added SDPA improvements "
                         "(cudnn-frontend v1.17.0 release notes): a fused attention core runs at the device's rates "
                         "under such a release where the catalog gives them (measured_fused_attention_flop_per_s "
                         "forward/backward_before_cudnn_9_17: GB300 measured under 9.13, GB200 derived), its only "
                         "rates otherwise, and no change on a device with none (plan and plan explain say which)")
TE_CE_HELP = ("the loss is Transformer Engine's Triton parallel_cross_entropy, Megatron-Core's fused loss with "
              "cross_entropy_loss_fusion and cross_entropy_fusion_impl te (Megatron-Bridge's recipes and performance "
              "scripts set it): one read of the 16-bit logits forward, one read + write backward, 6 B per logit "
              "element (default: one fp32 read + write of the logits per pass, 24 B); a PyTorch run's on a GPU: "
              "refused with --stack maxtext, with --eager-cross-entropy, and on a non-GPU device")
EAGER_CE_HELP = ("the loss is PyTorch eager F.cross_entropy on the 16-bit logits computed in fp32 (torch.autocast "
                 "or logits.float(), outside torch.compile: llm-foundry's 2023 MPT examples, torchtitan before its "
                 "2025-04 compiled loss, AMD's pytorch-training-benchmark): its fp32 cast, log_softmax and "
                 "nll_loss passes and their backward are charged, 48 B per logit element (default: one fp32 read + "
                 "write of the logits per pass, 24 B); mem/dev keeps the 4 B fp32 logits per element (the passes' "
                 "other fp32 buffers are not counted); a PyTorch run's on a GPU: refused with --stack maxtext (JAX) "
                 "and on a TPU or other non-GPU device (left out of a search over several with the reason)")
RECOMPUTE_MODULES_HELP = ("Megatron-Core selective-recompute modules, a comma list of core_attn, mlp, moe, "
                          "shared_experts, moe_act, layernorm, mla_up_proj (--recompute-modules, the recipe's "
                          "recompute_modules): each one's forward is redone in the backward and its saved tensors are "
                          "not kept, on top of --recompute none, selective (= core_attn) or mlp; with full it adds "
                          "nothing. `plan` applies the list as given to every layout it searches, with each mode "
                          "its --recompute searches (default none / selective / full); another framework's policy "
                          "among --recompute's modes is left out, said in a note")
DP_BUCKET_HELP = ("the distributed optimizer's bucket in parameters, as the run's recipe sets it (Megatron-Core / "
                  "NeMo 2 ddp bucket_size; NeMo 1's Apex distributed_fused_adam bucket_cap_mb x 2^20 / grad_sync_dtype "
                  "bytes, fp32 when unset): the count of per-bucket reduce-scatters / all-gathers whose ring "
                  "latencies are charged; default: Megatron-Core's max(40M, 1M x dp cp)")
ROPE_FUSION_HELP = ("how RoPE is applied to the queries and keys: fused (Transformer Engine's fused RoPE, the "
                    "default) or unfused (Megatron-Core's eager RoPE, 20 B + 16 B more per query/key element and 15 "
                    "more kernels per call, forward + backward; Megatron-Core runs it whenever a YaRN model's "
                    "concentration factor mscale != 1, e.g. GPT-OSS, since NVIDIA/Megatron-LM PR #2038; on a "
                    "partial-rotary model, only the rotated part; a model without RoPE, learned positions or ALiBi, "
                    "exits 2; a PyTorch run's: refused with --stack maxtext); charged as t_rope_unfused_s")
NO_DROPOUT_HELP = ("the model trains at dropout 0 (Llama in Megatron-Bridge): no dropout masks are kept (PyTorch's "
                   "dropout returns its input at p = 0); memory only")
VOCAB_TILING_HELP = ("MaxText's num_vocab_tiling: the output layer and cross-entropy computed in this many chunks "
                     "along the batch-sequence axis, so the last stage holds 2/N of the fp32 logits at a time "
                     "(a chunk's exp residual and its gradient, MaxText's custom_vjp loss); memory only (1: in one "
                     "piece); N must divide the tokens per device, --mbs x --seq-len x dp (x m with pp > 1) / devices "
                     "(MaxText's per_device_batch_size x max_target_length, validate_vocab_tiling); N > 1 with a "
                     "--stack other than maxtext exits 2")
SEQ_LEN_HELP = ("training sequence length (default: a preset's published one; a config.json's "
                "max_position_embeddings, at most 8192, noted when capped)")
HOST_W_HELP = ("host watts per device (default: the device's catalog host_w, 0 for an edge module such as Jetson, a "
               "CPU (the host itself) or a PCIe card such as L4 or L40S (no PCIe server's figure is cited; a 'not "
               "counted:' note says so), else 575, an upper estimate from the DGX H100 datasheet)")
OPTIM_BYTES_HELP = ("optimizer state bytes per parameter beside the 16-bit weight and gradient: 12 = fp32 master + "
                    "Adam m, v (default); 8 = fp32 master + 16-bit moments; 4 = 16-bit weights with 16-bit moments "
                    "(MaxText weight_dtype bfloat16); memory, and the optimizer step's time: it reads and writes "
                    "this state, reads the gradient and writes the weight, 2 x B + 4 bytes per local parameter "
                    "(28 at the default)")
EDGE_HELP = ("layers on the first and on the last pipeline stage when they hold fewer than the others "
             "(Megatron-LM --decoder-first/last-pipeline-num-layers; Llama 3 405B: 7 of 126 on 16 stages); "
             "needs pp >= 3; with --vp > 1 the middle stages' layers split into vp equal chunks, so vp must divide "
             "them (Llama 3 405B: vp 8); `plan` then searches only such layouts; default: an even split")


SCHEDULE_HELP = ("pipeline schedule: 1f1b (interleaved with --vp > 1; bubble (p-1)/(v m)), zb-h1 or zb-h2 "
                 "(zero-bubble, Qi et al. 2024: bubble (p-1)(T_F+T_B-T_W) / (p-1)(T_F+T_B-2T_W); zb-h2 holds 2p-1 "
                 "micro-batches), dualpipe (DeepSeek-V3 report sec. 3.2.1: bubble (p/2-1)(F&B+B-3W), 2x the "
                 "stage's parameters, p+1 micro-batches held, expert all-to-all and pipeline sends beside the "
                 "paired chunk's compute; needs an even pp and an even micro-batch count >= 2 pp); default 1f1b")


SLICE_HELP = ("devices per scale-up domain / slice (a TPU ICI slice of Multislice, e.g. 256 for v5e-256; a GPU "
              "NVLink domain): collectives cross slices over the scale-out network (DCN on TPUs); --devices must be "
              "a whole number of slices (or fewer devices than one slice); 0 = the device's whole scale-up domain")


COLLECTIVES_HELP = ("spec TOML written by `accelopt probe --collectives --save FILE`: its measured all-reduce bus "
                    "bandwidth and latency replace the catalog's scale-up link (printed as measured)")


def _kg(carbon_kg: float) -> str:
    return "n/a" if carbon_kg != carbon_kg else f"{fmt_count(carbon_kg)} kg CO2e"  # NaN: no TDP in the catalog


# `plan explain` takes one layout; the list syntax of `plan --devices` / `--hardware` was read as one name or number:
# '--devices 64,128' as 64,128 with a thousands separator ('write --devices 64128'), '--hardware h100-sxm,mi300x' as
# an unknown device, '--hardware all' as a misspelt 'coral'.
_ONE_LAYOUT_FIX = "`plan explain` shows one layout; `accelopt plan` searches and ranks layouts over a list or range"


def one_device_count(text: str) -> int:
    """The one device count of `plan explain --devices` (an InputError naming `plan` for a list or range)."""
    t = text.strip()
    if "," in t or ".." in t:
        sep = " (',' is not read as a thousands separator)" if "," in t else ""
        raise InputError(f"--devices {text!r} names more than one device count{sep}",
                         f"give one count, e.g. --devices 64; {_ONE_LAYOUT_FIX} (--devices {t})")
    try:
        return int(t.replace("_", ""))
    except ValueError:
        pass
    try:  # '1e3', '64.0': a whole number in another form, read as `plan --devices` reads it (units.parse_count)
        value = float(t.replace("_", ""))
    except ValueError:
        value = float("nan")
    if value.is_integer() and 0 < value < 1e18:
        return int(value)
    near = f"--devices {round(value)}" if 0 < value < 1e18 else "--devices 64"
    raise InputError(f"--devices {text!r} is not a whole number (--devices takes a count)",
                     f"give one device count, e.g. {near}")


def one_hardware(text: str) -> str:
    """The one device (name or spec TOML path) of `plan explain --hardware`."""
    t = text.strip()
    if "," in t or t.lower() == "all":
        raise InputError(f"--hardware {text!r} names more than one device",
                         f"give one device, e.g. --hardware h100-sxm; {_ONE_LAYOUT_FIX} (--hardware {t})")
    return t


def _explain(opts: ExplainOptions) -> None:
    """One layout: its inputs, every step-time and memory term with its formula, and why it does not fit."""
    from accelopt.errors import InfeasibleError, InputError
    from accelopt.hardware.catalog import own_spec_files, resolve_devices
    from accelopt.predict.calibration import framework_overhead_notes, load_calibrations
    from accelopt.predict.compute import stack_attention_kernel_note, stack_tp_overlap_note
    from accelopt.predict.curve_basis import curve_basis
    from accelopt.predict.query import LayoutQuery, layout_text, predict_layout
    from accelopt.predict.results import ExplainResult, GemmCurve, LayoutRow, ModelFigures, terms_of
    from accelopt.predict.training import dualpipe_notes, explain_inputs, explain_terms, texts_for_stack
    from accelopt.report.jsonout import emit
    from accelopt.report.runs import finish_run
    from accelopt.units import MAX_COUNT, fmt_bytes, fmt_joules, fmt_quantity, fmt_seconds, fmt_usd

    lo, devices = opts.layout, opts.layout.devices
    for flag, val in (("--devices", devices), ("--tp", lo.tp), ("--pp", lo.pp), ("--cp", lo.cp), ("--ep", lo.ep),
                      ("--vp", lo.vp), ("--mbs", lo.mbs)):
        if not 1 <= val <= MAX_COUNT:  # past any machine: numpy's 64-bit arithmetic would overflow
            raise InputError(f"{flag} {val} must be 1..{MAX_COUNT:,}", f"give a positive {flag}")
    for flag, val in (("--hsdp", lo.hsdp), ("--etp", lo.etp), ("--recompute-layers", lo.recompute_layers),
                      ("--slice-devices", lo.slice_devices)):
        if not 0 <= val <= MAX_COUNT:  # 0 = the plain form; past any machine numpy's int64 would overflow
            raise InputError(f"{flag} {val} must be 0..{MAX_COUNT:,}", f"give {flag} 0 or a positive count")
    # The same public path `validate` uses (predict.query): every predictor input is a flag here.
    one_hardware(opts.hardware)
    specs = resolve_devices(opts.hardware, opts.catalog)
    busy = warn_busy_specs(specs) + warn_calibration(opts.calibration, specs)
    base = _setup(opts.setup)
    if base.tokens <= 0:  # time, cost and energy to train on nothing would print as zeros
        raise InputError(f"--tokens {opts.setup.tokens!r} must be > 0", "give the tokens to train on, e.g. 300e9")
    # LayoutFlags' fields are LayoutQuery's layout fields, passed by name (a new layout flag needs no copy here)
    res = predict_layout(LayoutQuery(**dataclasses.asdict(lo), model=base.model, hardware=opts.hardware,
                                     flash=opts.setup.flash,
                                     # left out: predict_layout picks a soft-capped model's kernel for the device
                                     attention_kernel=None if base.attention_kernel_auto else base.attention_kernel,
                                     attention_unpad=opts.setup.attention_unpad,
                                     cudnn_before_9_17=opts.setup.cudnn_before_9_17,
                                     eager_cross_entropy=opts.setup.eager_cross_entropy,
                                     te_cross_entropy=opts.setup.te_cross_entropy,
                                     rope_fusion=opts.setup.rope_fusion,
                                     edge_stage_layers=opts.setup.edge_stage_layers,
                                     p2p_overlap=opts.setup.p2p_overlap,
                                     tp_comm_overlap=opts.setup.tp_comm_overlap,
                                     tp_overlap_cfg=opts.setup.tp_overlap_cfg, tp_async=opts.setup.tp_async,
                                     ep_a2a_overlap=opts.setup.ep_a2a_overlap,
                                     moe_dispatcher=opts.setup.moe_dispatcher,
                                     moe_router_dtype=opts.setup.moe_router_dtype,
                                     moe_grouped_mlp=opts.setup.moe_grouped_mlp,
                                     fp8_params=opts.setup.fp8_params, offload_layers=opts.setup.offload_layers,
                                     fp8_saved_inputs=opts.setup.fp8_saved_inputs, no_dropout=opts.setup.no_dropout,
                                     vocab_tiling=opts.setup.vocab_tiling,
                                     fp8_output_head=opts.setup.fp8_output_head,
                                     fp8_recipe=base.fp8_recipe,
                                     optimizer_state_bytes=opts.setup.optimizer_state_bytes,
                                     dp_bucket_params=base.dp_bucket_params,
                                     recompute_modules=base.recompute_modules,
                                     seq_len=base.seq_len, global_batch_seqs=base.global_batch, tokens=base.tokens,
                                     dtype=opts.setup.dtype, stack=opts.stack, calibration=opts.calibration,
                                     facility=base.facility, catalog=tuple(str(f) for f in opts.catalog),
                                     collectives=str(opts.collectives) if opts.collectives else None))
    setup, spec, lay, cal, row, fits = res.setup, res.spec, res.layout, res.cal, res.terms, res.fits_memory
    basis = curve_basis(spec.name, cal, setup.dtype, load_calibrations(opts.calibration))
    # the texts name the stack that ran where a clause holds for another one only
    formulas, meanings = texts_for_stack(explain_terms(), cal.stack), texts_for_stack(explain_inputs(), cal.stack)
    # the typed result's figures, read back by name from nothing else: the summary and the why line print these
    prediction = LayoutRow.of(spec.name, lay, row, setup.recompute_modules)
    terms = terms_of(row, formulas, meanings)
    term = {t.name: t for t in terms}
    why: list[str] = []
    if not fits:
        why.append(f"needs {fmt_bytes(prediction.mem_total_bytes, binary=True)} per device but {spec.name} has "
                   f"{fmt_bytes(spec.memory_bytes, binary=True)}: weights "
                   f"{fmt_bytes(term['mem_weights_bytes'].value, binary=True)}, grads "
                   f"{fmt_bytes(term['mem_grads_bytes'].value, binary=True)}, optimizer "
                   f"{fmt_bytes(term['mem_optimizer_bytes'].value, binary=True)}, activations "
                   f"{fmt_bytes(term['mem_activations_bytes'].value, binary=True)}"
                   # the calibration's framework overhead is in the total: without it the parts fell GiBs short of it
                   + (f", framework overhead {fmt_bytes(over.value, binary=True)}"
                      if (over := term.get("mem_overhead_bytes")) is not None and over.value else "")
                   + " — try a higher ZeRO stage, more tp/pp, recompute, or a smaller micro-batch")
    infeasible = InfeasibleError(f"layout {layout_text(lay)} does not fit: " + "; ".join(why),
                                 "see the memory terms above (JSON: terms.mem_*_bytes, mem_capacity_bytes)"
                                 ) if why else None
    figures = ModelFigures.of(setup.model, setup.seq_len)
    data = ExplainResult(model=setup.model.name, hardware=spec.name, calibration=cal.family, stack=cal.stack,
                         calibration_fitted_on=list(cal.fitted_on), flash=setup.flash, feasible=not why,
                         infeasible_because=why, prediction=prediction,
                         terms=terms, assumed=list(res.assumed),
                         unused_config_keys=list(setup.model.unused_keys), measured_link=res.measured,
                         model_figures=figures,
                         notes=[*model_notes(setup, opts.setup.seq_len is not None, figures,
                                          opts.setup.global_batch is not None, opts.setup.tokens is not None),
                                *res.notes,
                                *framework_overhead_notes([spec], load_calibrations(opts.calibration),
                                                          opts.stack, opts.calibration),
                                *_fused_attention_notes(setup.attention_kernel, cal),
                                *[n for n in (stack_attention_kernel_note(setup.attention_kernel, cal.stack, spec,
                                                                          setup.attention_kernel_auto),) if n],
                                *[n for n in (stack_tp_overlap_note(setup.tp_comm_overlap, cal.stack),) if n],
                                *dualpipe_notes(lo.schedule),
                                *_cudnn_unused_notes(setup.attention_kernel, setup.cudnn_before_9_17),
                                *_not_available_notes([spec], own_spec_files(opts.hardware, opts.catalog))],
                         calibration_basis=basis, input_warnings=busy,
                         gemm_curve=GemmCurve.of(spec, setup.dtype, cal, setup.fp8_recipe),
                         **_setup_flags(setup))
    finish_run("plan-explain", data)
    if opts.as_json:
        emit(data)
        if infeasible:
            raise infeasible
        return
    from rich.table import Table

    from accelopt.report.console import line, plain
    from accelopt.report.plan_warnings import flags_text, gemm_curve_text

    con = console()
    assert data.gemm_curve is not None  # set above
    con.print(line((setup.model.name, "bold"), f" on {devices} x {spec.name}: {layout_text(lay)}"
                   f"{flags_text(setup, cal.stack)} (calibration family "
                   f"{cal.family}, stack {cal.stack}{f' ({basis.tag})' if basis.tag else ''}; "
                   f"{gemm_curve_text(data.gemm_curve, setup.fp8_recipe)}"
                   f"{_attention_text(setup.attention_kernel, cal)})"))
    tb = Table(title="step-time and memory arithmetic (predictions, estimates)")
    tb.add_column("term")
    tb.add_column("value", justify="right")
    tb.add_column("formula")
    # each value in the unit its Term declares, as JSON and the page give it (the unit was guessed from the name, and
    # the inputs printed as bare counts: 'in_peak_flop_per_s 989,500,000,000,000', 'in_scaleup_latency_s 2.4e-06')
    for k, formula in formulas.items():
        tb.add_row(k, fmt_quantity(term[k].value, term[k].unit), formula)
    inp = Table(title="inputs")
    inp.add_column("input")
    inp.add_column("value", justify="right")
    inp.add_column("meaning")
    for k, meaning in meanings.items():
        inp.add_row(k, fmt_quantity(term[k].value, term[k].unit), meaning)
    con.print(inp)
    con.print(tb)
    p = data.prediction
    con.print(f"tokens/s {fmt_quantity(p.tokens_per_s, 'tok/s')}; time to train {fmt_seconds(p.train_time_s)}; "
              f"device-hours {fmt_count(p.device_hours)}; cost {fmt_usd(p.cost_usd)}; energy "
              f"{fmt_joules(p.energy_j)}; carbon {_kg(p.carbon_kg)} (estimates; n/a = no "
              "catalog price or TDP)")
    print_bases(con, [basis])
    print_assumed(con, {spec.name: res.assumed})
    print_measured(con, res.measured)
    for note in data.notes:
        con.print(plain(note, "yellow"))
    if infeasible:
        raise infeasible
    con.print(plain("feasible", "green"))


def register(app: typer.Typer) -> None:
    plan_app = typer.Typer(help=PLAN_HELP, add_completion=False, no_args_is_help=False)

    @plan_app.callback(invoke_without_command=True)
    def plan(
        ctx: typer.Context,
        model: str = typer.Option(None, "--model", "-m", help="preset (see --list-models), HF config.json, or a "
                                  "workload JSON from `profile --save-workload`"),
        tokens: str = typer.Option(None, "--tokens", help="tokens to train on, e.g. 15e12 (default 300e9, GPT-3's "
                                   "run, said in a note)"),
        hardware: str = typer.Option("h100-sxm", "--hardware", help="comma-separated catalog devices or spec TOML "
                                     "paths (`probe --save`, `simulate export`, your own); 'all' = every catalog "
                                     "device (a preset or config.json; a workload takes named devices)"),
        devices: str = typer.Option("64..8192", "--devices", help=f"a list such as 8,16,64, or {RANGE_SYNTAX}"),
        seq_len: int = typer.Option(None, "--seq-len", help=SEQ_LEN_HELP),
        global_batch: str = typer.Option(None, "--global-batch",
                                         help="sequences ('2048', '2048seq') or tokens ('4194304tok', or any "
                                         "number > 65536); default ~4M tokens"),
        deadline: str = typer.Option(None, "--deadline", help="drop layouts slower than this: a duration with "
                                     "its unit, e.g. 30d, 36h, 2w (a bare number is refused)"),
        budget_usd: str = typer.Option(None, "--budget-usd", help="drop layouts costing more (USD; e.g. 20000, 20k, "
                                       "1.5M: the suffixes --tokens reads)"),
        objective: str = typer.Option("time", "--objective", help="rank by time, cost or energy"),
        top: int = typer.Option(10, "--top", help=f"rows to show (the console table prints at most {TABLE_ROWS_MAX} "
                                "and says how many more; --json lists them all)"),
        dtype: str = typer.Option("bf16", "--dtype", help="bf16, fp16 or fp8"),
        calibration: str = typer.Option(None, "--calibration", help="calibration TOML overriding the bundled one"),
        stack: str = typer.Option("megatron", "--stack", help=STACK_HELP),
        flash: bool = typer.Option(True, "--flash/--no-flash", help=FLASH_HELP),
        attention_kernel: str = typer.Option(None, "--attention-kernel", help=ATTENTION_KERNEL_HELP),
        edge_stage_layers: int = typer.Option(None, "--edge-stage-layers", help=EDGE_HELP),
        p2p_overlap: bool = typer.Option(False, "--p2p-overlap", help=P2P_OVERLAP_HELP),
        tp_comm_overlap: bool = typer.Option(False, "--tp-comm-overlap", help=TP_OVERLAP_HELP),
        tp_overlap_cfg: str = typer.Option("", "--tp-overlap-cfg", help=TP_OVERLAP_CFG_HELP),
        no_tp_async: bool = typer.Option(False, "--no-tp-async", help=TP_ASYNC_HELP),
        ep_a2a_overlap: bool = typer.Option(False, "--ep-a2a-overlap", help=EP_A2A_OVERLAP_HELP),
        moe_dispatcher: str = typer.Option("alltoall", "--moe-dispatcher", help=MOE_DISPATCHER_HELP),
        moe_router_dtype: str = typer.Option("bf16", "--moe-router-dtype", help=MOE_ROUTER_DTYPE_HELP),
        moe_grouped_mlp: str = typer.Option("te", "--moe-grouped-mlp", help=MOE_GROUPED_MLP_HELP),
        fp8_params: bool = typer.Option(False, "--fp8-params", help=FP8_PARAMS_HELP),
        offload_layers: int = typer.Option(0, "--offload-layers", help=OFFLOAD_HELP),
        fp8_saved_inputs: bool = typer.Option(False, "--fp8-saved-inputs", help=FP8_INPUTS_HELP),
        fp8_output_head: bool = typer.Option(False, "--fp8-output-head", help=FP8_HEAD_HELP),
        fp8_recipe: str = typer.Option("delayed", "--fp8-recipe", help=FP8_RECIPE_HELP),
        no_dropout: bool = typer.Option(False, "--no-dropout", help=NO_DROPOUT_HELP),
        vocab_tiling: int = typer.Option(1, "--vocab-tiling", help=VOCAB_TILING_HELP),
        attention_unpad: bool = typer.Option(False, "--attention-unpad", help=ATTENTION_UNPAD_HELP),
        cudnn_before_9_17: bool = typer.Option(False, "--cudnn-before-9-17", help=CUDNN_BEFORE_917_HELP),
        eager_cross_entropy: bool = typer.Option(False, "--eager-cross-entropy", help=EAGER_CE_HELP),
        te_cross_entropy: bool = typer.Option(False, "--te-cross-entropy", help=TE_CE_HELP),
        rope_fusion: str = typer.Option("fused", "--rope-fusion", help=ROPE_FUSION_HELP),
        dp_bucket_params: str = typer.Option(None, "--dp-bucket-params", help=DP_BUCKET_HELP),
        recompute_modules: str = typer.Option("", "--recompute-modules", help=RECOMPUTE_MODULES_HELP),
        optimizer_state_bytes: float = typer.Option(12.0, "--optimizer-bytes", help=OPTIM_BYTES_HELP),
        pue: float = typer.Option(None, "--pue", help="facility PUE (default 1.10, Google 2023)"),
        grid: float = typer.Option(None, "--grid-kg-per-kwh", help="grid carbon intensity, kg CO2/kWh "
                                                                  "(default 0.367, US EIA 2023 average)"),
        host_w: float = typer.Option(None, "--host-w", help=HOST_W_HELP),
        catalog: list[Path] = typer.Option([], "--catalog", help=CATALOG_HELP),
        schedule: str = typer.Option("1f1b", "--schedule", help=SCHEDULE_HELP),
        collectives: Path = typer.Option(None, "--collectives", help=COLLECTIVES_HELP),
        hsdp: str = typer.Option("auto", "--hsdp", help="hybrid-sharding shard groups searched for ZeRO-3 layouts: "
                                 "auto (every power of two dividing dp x cp, where it can win), off, or a list "
                                 "such as 0,8 (0 = shard over all of dp x cp)"),
        etp: str = typer.Option("auto", "--etp", help="expert tensor-parallel degrees searched (MoE): auto (0 = tp, "
                                "and powers of two below tp), off, or a list such as 0,1 (values above tp are "
                                "skipped)"),
        recompute_layers: str = typer.Option("auto", "--recompute-layers",
                                             help="layers per stage that full recompute covers, searched: auto (all, "
                                                  "and the fewest that fit), off, or a list such as 0,8 (0 = all)"),
        recompute: str = typer.Option("auto", "--recompute",
                                      help="recompute modes searched: auto (none, selective and full) or a list "
                                           "such as none,op of the modes `plan explain --recompute` takes (minimal, "
                                           "minimal_flash and save_dot_except_mlpwi: MaxText's; op: torchtitan's "
                                           "selective op AC; mlp: Megatron-Core's)"),
        slice_devices: int = typer.Option(0, "--slice-devices", help=SLICE_HELP + " (every --devices count)"),
        list_models: bool = typer.Option(False, "--list-models", help="print the model presets and exit"),
        as_json: bool = typer.Option(False, "--json", help="JSON only on stdout"),
        html: str = typer.Option(None, "--html", help="also write a self-contained HTML report (tables, SVG plots)"
                                                      + HTML_RULE),
    ) -> None:
        if ctx.invoked_subcommand is not None:
            _refuse_before_subcommand(ctx)
            return
        run_plan(PlanOptions(
            setup=SetupOptions(model=model, tokens=tokens, seq_len=seq_len, global_batch=global_batch, dtype=dtype,
                               flash=flash, attention_kernel=attention_kernel, attention_unpad=attention_unpad,
                               cudnn_before_9_17=cudnn_before_9_17,
                               eager_cross_entropy=eager_cross_entropy, rope_fusion=rope_fusion,
                               te_cross_entropy=te_cross_entropy,
                               dp_bucket_params=dp_bucket_params, recompute_modules=recompute_modules,
                               edge_stage_layers=edge_stage_layers, p2p_overlap=p2p_overlap,
                               tp_comm_overlap=tp_comm_overlap, tp_overlap_cfg=tp_overlap_cfg,
                               tp_async=not no_tp_async, fp8_params=fp8_params,
                               ep_a2a_overlap=ep_a2a_overlap, moe_dispatcher=moe_dispatcher,
                               moe_router_dtype=moe_router_dtype, moe_grouped_mlp=moe_grouped_mlp,
                               offload_layers=offload_layers, fp8_saved_inputs=fp8_saved_inputs,
                               fp8_output_head=fp8_output_head,
                               no_dropout=no_dropout, vocab_tiling=vocab_tiling,
                               optimizer_state_bytes=optimizer_state_bytes,
                               fp8_recipe=fp8_recipe,
                               pue=pue, grid_kg_co2_per_kwh=grid,
                               host_power_w_per_device=host_w),
            hardware=hardware, devices=devices, deadline=deadline, budget_usd=_budget_usd(budget_usd),
            objective=objective,
            top=top, calibration=calibration, stack=stack, catalog=tuple(catalog), schedule=schedule,
            collectives=collectives, hsdp=hsdp, etp=etp, recompute_layers=recompute_layers, recompute=recompute,
            slice_devices=slice_devices, list_models=list_models,
            as_json=as_json, typed_flags=typed_flags(ctx)))

    @plan_app.command("explain", help="Show one layout's whole arithmetic (estimates). A layout that breaks a rule "
                      "(tp not dividing the heads, devices not a multiple of tp x pp x cp, ...) or does not fit "
                      "memory ends in an error listing every reason (exit status 2).")
    def explain(
        model: str = typer.Option(..., "--model", "-m", help="preset or HF config.json (see `plan --list-models`)"),
        hardware: str = typer.Option(..., "--hardware", help="one catalog device or spec TOML path"),
        devices: str = typer.Option(..., "--devices", help="one device count; dp = devices / (tp x pp x cp) (a "
                                    "list or range is searched by `accelopt plan`)"),
        tp: int = typer.Option(1, "--tp", help="tensor-parallel degree (must divide the attention heads)"),
        pp: int = typer.Option(1, "--pp", help="pipeline stages"),
        cp: int = typer.Option(1, "--cp", help="context-parallel degree (must divide --seq-len); above 1 with "
                               "--attention-kernel flash2 the ring attention's measured loss against its kernel is "
                               "charged (terms in_ring_attention_fwd_factor / _bwd_factor, with their source)"),
        ep: int = typer.Option(1, "--ep", help="expert-parallel degree (MoE models)"),
        vp: int = typer.Option(1, "--vp", help="interleaved chunks per device (1 = 1F1B); when pp x vp chunks do "
                               "not split the layers evenly, the busiest rank is counted with ceil(L / (pp vp)) x vp "
                               "layers, an upper bound (noted under the result)"),
        mbs: int = typer.Option(1, "--mbs", help="micro-batch size (sequences)"),
        zero: int = typer.Option(1, "--zero", help="ZeRO stage 0-3 (3 = FSDP)"),
        recompute: str = typer.Option("selective", "--recompute",
                                      help="none, selective, full, minimal (MaxText remat_policy 'minimal': only "
                                           "the Q/K/V, out-projection and MLP-up outputs and the layer input kept), "
                                           "minimal_flash (MaxText's: minimal's set plus the attention output "
                                           "'context', so a fused attention kernel is not rerun), "
                                           "save_dot_except_mlpwi (MaxText's: the Q/K/V and out-projection outputs "
                                           "and the layer input kept; the attention core and the MLP block "
                                           "recomputed), "
                                           "mlp (the MLP block only: Megatron-Core --recompute-modules mlp) or op "
                                           "(torchtitan's selective op AC: every second matmul of a layer recomputed; "
                                           "its 'selective layer' AC is full with --recompute-layers L/2)"),
        no_sp: bool = typer.Option(False, "--no-sp", help="disable sequence parallelism"),
        no_overlap: bool = typer.Option(False, "--no-overlap", help="do not overlap data-parallel communication"),
        schedule: str = typer.Option("1f1b", "--schedule", help=SCHEDULE_HELP),
        hsdp: int = typer.Option(0, "--hsdp", help="hybrid sharding: shard ZeRO/FSDP state over this many ranks "
                                 "(e.g. 8 = one node) and replicate across the rest of dp x cp; 0 = shard over all"),
        etp: int = typer.Option(0, "--etp", help="expert tensor-parallel degree (Megatron-Core expert grid etp x ep "
                                "over the tp x dp x cp ranks of a stage, so ep may exceed dp; MoE models only; at most "
                                "--tp: each expert's GEMMs split its width etp ways over tp/etp x more tokens); "
                                "0 = tp"),
        recompute_layers: int = typer.Option(0, "--recompute-layers",
                                             help="with --recompute full: recompute only this many layers per "
                                                  "pipeline stage (Megatron-LM --recompute-method block); 0 = all"),
        slice_devices: int = typer.Option(0, "--slice-devices", help=SLICE_HELP),
        seq_len: int = typer.Option(None, "--seq-len", help=SEQ_LEN_HELP),
        global_batch: str = typer.Option(None, "--global-batch", help="as for `plan` (dp need not divide it: "
                                         "ranks then take ceil/floor shares); default ~4M tokens"),
        tokens: str = typer.Option(None, "--tokens", help="tokens to train on, for time, cost, energy (default "
                                   "300e9, GPT-3's run, said in a note)"),
        dtype: str = typer.Option("bf16", "--dtype", help="bf16, fp16 or fp8"),
        calibration: str = typer.Option(None, "--calibration", help="calibration TOML overriding the bundled one"),
        stack: str = typer.Option("megatron", "--stack", help=STACK_HELP),
        flash: bool = typer.Option(True, "--flash/--no-flash", help=FLASH_HELP),
        attention_kernel: str = typer.Option(None, "--attention-kernel", help=ATTENTION_KERNEL_HELP),
        edge_stage_layers: int = typer.Option(None, "--edge-stage-layers", help=EDGE_HELP),
        p2p_overlap: bool = typer.Option(False, "--p2p-overlap", help=P2P_OVERLAP_HELP),
        tp_comm_overlap: bool = typer.Option(False, "--tp-comm-overlap", help=TP_OVERLAP_HELP),
        tp_overlap_cfg: str = typer.Option("", "--tp-overlap-cfg", help=TP_OVERLAP_CFG_HELP),
        no_tp_async: bool = typer.Option(False, "--no-tp-async", help=TP_ASYNC_HELP),
        ep_a2a_overlap: bool = typer.Option(False, "--ep-a2a-overlap", help=EP_A2A_OVERLAP_HELP),
        moe_dispatcher: str = typer.Option("alltoall", "--moe-dispatcher", help=MOE_DISPATCHER_HELP),
        moe_router_dtype: str = typer.Option("bf16", "--moe-router-dtype", help=MOE_ROUTER_DTYPE_HELP),
        moe_grouped_mlp: str = typer.Option("te", "--moe-grouped-mlp", help=MOE_GROUPED_MLP_HELP),
        fp8_params: bool = typer.Option(False, "--fp8-params", help=FP8_PARAMS_HELP),
        offload_layers: int = typer.Option(0, "--offload-layers", help=OFFLOAD_HELP),
        fp8_saved_inputs: bool = typer.Option(False, "--fp8-saved-inputs", help=FP8_INPUTS_HELP),
        fp8_output_head: bool = typer.Option(False, "--fp8-output-head", help=FP8_HEAD_HELP),
        fp8_recipe: str = typer.Option("delayed", "--fp8-recipe", help=FP8_RECIPE_HELP),
        no_dropout: bool = typer.Option(False, "--no-dropout", help=NO_DROPOUT_HELP),
        vocab_tiling: int = typer.Option(1, "--vocab-tiling", help=VOCAB_TILING_HELP),
        attention_unpad: bool = typer.Option(False, "--attention-unpad", help=ATTENTION_UNPAD_HELP),
        cudnn_before_9_17: bool = typer.Option(False, "--cudnn-before-9-17", help=CUDNN_BEFORE_917_HELP),
        eager_cross_entropy: bool = typer.Option(False, "--eager-cross-entropy", help=EAGER_CE_HELP),
        te_cross_entropy: bool = typer.Option(False, "--te-cross-entropy", help=TE_CE_HELP),
        rope_fusion: str = typer.Option("fused", "--rope-fusion", help=ROPE_FUSION_HELP),
        dp_bucket_params: str = typer.Option(None, "--dp-bucket-params", help=DP_BUCKET_HELP),
        recompute_modules: str = typer.Option("", "--recompute-modules", help=RECOMPUTE_MODULES_HELP),
        optimizer_state_bytes: float = typer.Option(12.0, "--optimizer-bytes", help=OPTIM_BYTES_HELP),
        pue: float = typer.Option(None, "--pue", help="facility PUE (default 1.10, Google 2023)"),
        grid: float = typer.Option(None, "--grid-kg-per-kwh", help="grid carbon intensity, kg CO2/kWh "
                                                                  "(default 0.367, US EIA 2023 average)"),
        host_w: float = typer.Option(None, "--host-w", help=HOST_W_HELP),
        catalog: list[Path] = typer.Option([], "--catalog", help=CATALOG_HELP),
        collectives: Path = typer.Option(None, "--collectives", help=COLLECTIVES_HELP),
        as_json: bool = typer.Option(False, "--json", help="JSON only on stdout (exit 2 if infeasible)"),
        html: str = typer.Option(None, "--html", help="also write a self-contained HTML report (tables, SVG plots)"
                                                      + HTML_RULE),
    ) -> None:
        from accelopt.predict.query import LayoutFlags

        _explain(ExplainOptions(
            setup=SetupOptions(model=model, tokens=tokens, seq_len=seq_len, global_batch=global_batch, dtype=dtype,
                               flash=flash, attention_kernel=attention_kernel, attention_unpad=attention_unpad,
                               cudnn_before_9_17=cudnn_before_9_17,
                               eager_cross_entropy=eager_cross_entropy, rope_fusion=rope_fusion,
                               te_cross_entropy=te_cross_entropy,
                               dp_bucket_params=dp_bucket_params, recompute_modules=recompute_modules,
                               edge_stage_layers=edge_stage_layers, p2p_overlap=p2p_overlap,
                               tp_comm_overlap=tp_comm_overlap, tp_overlap_cfg=tp_overlap_cfg,
                               tp_async=not no_tp_async, fp8_params=fp8_params,
                               ep_a2a_overlap=ep_a2a_overlap, moe_dispatcher=moe_dispatcher,
                               moe_router_dtype=moe_router_dtype, moe_grouped_mlp=moe_grouped_mlp,
                               offload_layers=offload_layers, fp8_saved_inputs=fp8_saved_inputs,
                               fp8_output_head=fp8_output_head,
                               no_dropout=no_dropout, vocab_tiling=vocab_tiling,
                               optimizer_state_bytes=optimizer_state_bytes,
                               fp8_recipe=fp8_recipe,
                               pue=pue, grid_kg_co2_per_kwh=grid,
                               host_power_w_per_device=host_w),
            hardware=hardware, calibration=calibration, stack=stack, catalog=tuple(catalog), as_json=as_json,
            collectives=collectives,
            layout=LayoutFlags(devices=one_device_count(devices), tp=tp, pp=pp, cp=cp, ep=ep, vp=vp, mbs=mbs, zero=zero,
                               recompute=recompute, sp=not no_sp, overlap=not no_overlap, schedule=schedule,
                               hsdp=hsdp, etp=etp, recompute_layers=recompute_layers,
                               slice_devices=slice_devices)))

    if importlib.util.find_spec("accelopt.cli.plan_serve") is not None:
        from accelopt.cli import plan_serve

        plan_serve.register_serve(plan_app)
    if importlib.util.find_spec("accelopt.cli.plan_infer") is not None:
        from accelopt.cli import plan_infer

        plan_infer.register_infer(plan_app)

    app.add_typer(plan_app, name="plan", help="predict training time, memory, energy, cost and search layouts; "
                                               "`plan explain` one layout, `plan serve` LLM serving, `plan infer` "
                                               "inference of any model")
