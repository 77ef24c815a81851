"""Reproduce published LLM serving figures (predict/data/published_serving_runs.csv) with `plan serve`'s model.

Each row names a device, a model preset, the layout, the precisions, the prompt/output lengths, a static batch or
`max` (a max-load run: the concurrency is the largest batch the engine's KV-cache pool holds, capped by its
max_batch_size), the metric and the published figure. Each row is predicted through the same library call
`accelopt plan serve` makes (`serving.predict_serving` with the engine's memory rule). Rows with role 'fit' are
those the `[serving.*]` tables of predict/data/calibration.toml were fitted on (declared in the CSV before
fitting); the error that matters is over the 'test' rows. 'gap' rows are regimes the model cannot express yet:
shown with their reason, never in a median.
"""

from __future__ import annotations

import functools
import math
import re
import shlex
import statistics
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

from accelopt.errors import AcceloptError, InfeasibleError, InputError
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.predict import decode_gemm, serving
from accelopt.predict.calibration import load_serving_tables
from accelopt.predict.run_command import RowProblem, own_file_hint
from accelopt.predict.runs_csv import (
    PATH_COLUMNS,
    InputFile,
    as_written,
    bundled_header,
    bundled_runs_text,
    cell_error,
    choice_cell,
    each_row,
    flags_as_cells,
    kept_copy,
    missing_path_cell,
    naming_file,
    positive_cell,
    read_runs_csv,
    role_lines_of,
    row_device,
    runs_named,
    whole_cell,
)
from accelopt.predict.serving import ENGINES
from accelopt.predict.serving_moe import MoELayout
from accelopt.predict.serving_plan import (
    STEADY_WAVES_NOTE,
    ServeOptions,
    batch_cap_note,
    cap_binds,
    check_batch_cap,
    default_cap_note,
    int4_group_note,
    not_generative,
    pp_microbatches_note,
)
from accelopt.predict.training import MAX_SEQ_LEN
from accelopt.units import MAX_COUNT, unit
from accelopt.workload.presets import get_model
from accelopt.workload.transformer import TransformerConfig

_REQUIRED = ("id", "source", "engine", "hardware", "model", "tp", "pp", "weight_dtype", "kv_dtype", "prompt_len",
             "output_len", "batch", "metric", "published", "role")
METRICS = ("output_tok_s", "output_tok_s_per_device", "decode_tok_s", "ttft_ms", "tpot_ms", "decode_tok_s_per_device",
           "prefill_tok_s_per_device")
ROLES = ("fit", "test", "gap", "derived")
"""fit: a [serving.*] table was fitted on the row; test: held out; gap: a regime the model cannot express as
published; derived: a [serving.*] table's values were derived from a measurement of the row's own run (its
`derived_on`), so the row judges nothing and counts in no median."""
_DECODE_METRICS = ("tpot_ms", "decode_tok_s", "decode_tok_s_per_device")
"""Metrics of the decode steps: a run with output_len 1 has none."""


@dataclass(frozen=True, kw_only=True)
class ServingRunResult:
    """One published serving figure and its prediction."""

    id: str
    source: str
    engine: str
    hardware: str
    family: str
    """The device family (the training calibration's family name, e.g. nvidia-hopper)."""
    calibration: str
    """The `[serving.NAME]` table used; 'NAME.engine.ENGINE' where the row's engine took that table's
    `[serving.NAME.engine.ENGINE]` overlay (its per-step / per-request costs)."""
    model: str
    """The model cell as written in the runs file (a preset, or a config.json path relative to the file's folder)."""
    tp: int = unit("count")
    precision: str
    """weight dtype / KV-cache dtype, e.g. 'fp8/fp8'."""
    prompt_len: int = unit("count")
    output_len: int = unit("count")
    batch: int = unit("count", "static batch, or the predicted concurrency of a max-load row (0: not predicted)")
    metric: str
    published: float = unit("", "in the row's metric (tok/s or ms)")
    predicted: float | None = unit("", "in the row's metric; None for a 'gap' row the model cannot express")
    role: str = ""
    note: str = ""
    memory_bytes_per_device: float | None = unit("B", "the model's weights + KV cache + workspace per device at "
                                                      "`batch`; None where the row cannot be predicted", default=None)
    usable_memory_bytes_per_device: float | None = unit("B", "what the engine's memory rule lets it use; None for a "
                                                             "row that cannot be predicted", default=None)

    @property
    def fits(self) -> bool | None:
        """Whether the model fits the run it reproduces (a published run did run: False is a memory-model miss, or
        a row framed as a static batch the engine never held at once); None for a 'gap' row (one the model does not
        express as published) and a row not predicted."""
        if self.role == "gap" or self.memory_bytes_per_device is None or self.usable_memory_bytes_per_device is None:
            return None
        return self.memory_bytes_per_device <= self.usable_memory_bytes_per_device

    @property
    def error(self) -> float | None:
        """predicted / published - 1 (positive: predicted faster for a rate, slower for a time)."""
        return None if self.predicted is None else self.predicted / self.published - 1.0

    DERIVED_UNITS: ClassVar[dict[str, str]] = {"error": "fraction", "fits": ""}

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {**asdict(self), "error": self.error, "fits": self.fits}


def serving_memory_line(runs: list[ServingRunResult]) -> str:
    """The line naming the rows the model puts over their engine's usable memory ('' when none), as the console and
    the HTML page print it. Published runs did run: each is a memory-model miss or a row framed as a batch never held
    at once."""
    over = [f"{r.id} ({r.memory_bytes_per_device / 2**30:.1f} of {r.usable_memory_bytes_per_device / 2**30:.1f} GiB)"
            for r in runs if r.fits is False and r.memory_bytes_per_device and r.usable_memory_bytes_per_device]
    if not over:
        return ""
    return (f"memory: {len(over)} row(s) ran as published but the model puts them over the engine's usable memory "
            f"(weights + KV cache + workspace per device): {', '.join(over)}")


@dataclass(frozen=True, kw_only=True)
class GroupError:
    """Held-out |error| over the rows of one source, device family or precision."""

    group: str
    """'source', 'family', 'engine' or 'precision'."""
    name: str
    rows: int = unit("count")
    median_abs_error: float = unit("fraction")
    worst_abs_error: float = unit("fraction")
    worst_id: str


@dataclass(frozen=True, kw_only=True)
class ServingValidateResult:
    """`accelopt validate --serving`: published serving figures reproduced by `plan serve`'s model."""

    SCHEMA_KIND: ClassVar[str] = "validate-serving"
    SCHEMA_VERSION: ClassVar[int] = 4
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2, 3)
    """Version 2: each row gained `memory_bytes_per_device`, `usable_memory_bytes_per_device` (defaults None) and
    the derived `fits`; a version-1 document (without them) still loads. Version 3 adds input_warnings (a default:
    []), version 4 input_files (a default: [])."""

    runs: list[ServingRunResult]
    median_abs_error_held_out: float = unit("fraction", "over 'test' rows")
    worst_abs_error_held_out: float = unit("fraction")
    worst_held_out_id: str
    median_abs_error_fit: float = unit("fraction", "over 'fit' rows")
    groups: list[GroupError]
    sources: dict[str, str]
    """source key -> citation (the CSV's '# key = citation' lines)."""
    input_warnings: list[str] = field(default_factory=list)
    """Warnings about the command's inputs that nothing else in the result shows, as the console prints them on
    stderr: a --calibration file's [family.*] tables (serving reads only its [serving.*] tables), a row's config.json
    keys the predictor does not model; from `validate --serving`, first, a hardware cell's spec TOML probed on a busy
    machine (cli.plan.busy_row_lines)."""
    input_files: list[InputFile] = field(default_factory=list)
    """The runs file and calibration file the report read, each with its SHA-256 (added by `validate --serving`):
    `history compare` says when two reports read different ones; [] in a report of before version 4."""
    estimate: bool = True


def read_serving_runs(path: Path | str | None = None) -> tuple[list[dict[str, str]], dict[str, str]]:
    """(rows, sources) of a serving runs CSV (the bundled one by default); InputError naming a bad row."""
    twice: dict[int, InputError] = {}  # a repeated id named with the other rows' bad values (fix5a)
    rows, sources = read_runs_csv(path, "published_serving_runs.csv", "serving runs file", _REQUIRED, twice)
    with naming_file("serving runs file", path):
        each_row(rows, _check_row, twice)  # every bad row named at once
    return rows, sources


@functools.cache
def published_runs_of(device: str) -> int:
    """Rows of the bundled serving runs file (any role: a `gap` row is a public run the model cannot express yet)
    measured on `device`; the per-NeuronCore devices (NAME-core, NAME-lncN: a half or quarter of chip NAME, catalog
    aws_neuron.toml) run on the chip NAME, so their rows count for it."""
    return sum(1 for r in read_serving_runs()[0]
               if r["hardware"] == device or r["hardware"].startswith((f"{device}-core", f"{device}-lnc")))


_WHAT = "serving run"  # how a cell error names the row (runs_csv.cell_error)


def _check_row(r: dict[str, str]) -> None:
    """Each cell of a row, before any prediction: a bad one is an InputError naming the row's id, the column, the
    value and what to write there (on a 'gap' row too: it is the CSV's error, not the model's)."""
    if None in r:  # csv.DictReader puts surplus cells under the key None
        raise InputError(f"serving run {r.get('id')!r} has more cells than the header", "quote a cell holding a comma")
    if not (r.get("source") or "").strip():  # docs/runs_files.md: required; the training runs file refuses it too
        raise cell_error(_WHAT, r, "source", "is blank: every published row names where its figure comes from",
                         "give a source key (a '# key = citation' line) or the citation (document, table or section)")
    for col, allowed in (("metric", METRICS), ("role", ROLES), ("engine", tuple(ENGINES)),
                         ("weight_dtype", serving.WEIGHT_DTYPES), ("kv_dtype", serving.KV_DTYPES)):
        choice_cell(_WHAT, r, col, allowed)
    positive_cell(_WHAT, r, "published")
    # past these bounds no request or machine comes near, and numpy's arrays would not fit
    for col in ("tp", "pp"):
        whole_cell(_WHAT, r, col, 1, MAX_COUNT)
    for col in ("prompt_len", "output_len"):
        whole_cell(_WHAT, r, col, 1, MAX_SEQ_LEN, unit="tokens (the bound of prompt and output lengths)")
    if int(r["output_len"]) == 1 and r["metric"] in _DECODE_METRICS:  # it was compared with a decode step that
        # never runs: one output token is the prefill's, so TPOT = (E2E - TTFT) / (output - 1) is 0 / 0
        raise cell_error(_WHAT, r, "metric", "with output_len 1: a one-token request runs no decode step (its token "
                         "comes from the prefill; vLLM's benchmark, vllm/benchmarks/serve.py calculate_metrics, "
                         "counts TPOT only for outputs > 1 token), so there is no published figure to compare",
                         "give the run's output_len (> 1), or a prefill metric (ttft_ms, prefill_tok_s_per_device) "
                         "for a one-token run")
    if r["batch"] != "max":
        try:
            whole_cell(_WHAT, r, "batch", 1, MAX_COUNT)
        except InputError as e:
            raise InputError(e.problem, e.fix.replace("write a whole number", "write max (the engine's maximum "
                                                      "load) or a whole number", 1)) from None
    row_tp_allreduce(r)
    if row_token_buckets(r) is not None and r["engine"] != "neuron":  # as plan serve --token-buckets refuses it
        raise cell_error(_WHAT, r, "token_buckets", f"is given for engine {r['engine']!r}: the buckets are "
                         "transformers-neuronx's (engine neuron)", "leave it blank, or write neuron in engine")
    row_memory_fraction(r)
    limit = row_max_batch_size(r)
    if row_requests(r) is not None and r["batch"] != "max":  # plan serve refuses --requests without --batch max
        raise cell_error(_WHAT, r, "requests", f"is given for batch {r['batch']!r}: a finite dataset's waves are "
                         "those of a max-load run", "leave it blank, or write max in batch")
    if row_int4_group_size(r) is not None and r["weight_dtype"] != "int4":  # plan serve refuses the same flags
        raise cell_error(_WHAT, r, "int4_group_size", f"is given for weight_dtype {r['weight_dtype']!r}: no weights "
                         "are int4, so no group size applies", "leave it blank, or write int4 in weight_dtype")
    moe = row_moe_layout(r)
    if limit is not None and r["batch"] != "max":  # as plan serve --batch N --max-batch-size M refuses N > M
        try:
            check_batch_cap([int(r["batch"])], "--batch", limit, moe.attention_dp)
        except InputError as e:
            raise InputError(f"serving run {r.get('id')!r}: {e.problem}",
                             e.fix + flags_as_cells(e.problem + " " + e.fix, r.get("id") or "?", _RENAMED_FLAGS,
                                                    _columns())) from None


def _family(spec: AcceleratorSpec) -> str:
    from accelopt.predict.calibration import calibration_for

    return calibration_for(spec, serving._training_families()).family


def row_calibration(row: dict[str, str], spec: AcceleratorSpec,
                    cals: dict[str, serving.ServingCalibration] | None = None,
                    path: str | None = None) -> serving.ServingCalibration:
    """The spec's `[serving.*]` calibration (from `cals` when given: the fit's trial values; else of the calibration
    file `path` over the bundled tables, as `plan serve --calibration`), with the row's engine memory rule."""
    cal = serving.calibration_for_spec(spec, path=path, engine=row["engine"])  # with its engine's overlay
    if cals is not None:
        cal = cals.get(cal.family, cal)
    rule = ENGINES[row["engine"]]
    given = row_memory_fraction(row)
    share = rule.memory_utilization if given is None else given
    if given is None and rule.per_device:  # SGLang's default for the row's device and layout, as plan serve's
        share = serving.engine_memory_fraction(row["engine"], spec, tp=int(row["tp"]), pp=int(row["pp"]),
                                               attention_dp=row_moe_layout(row).attention_dp,
                                               mla=get_model(row["model"]).mla is not None)[0]
    cal = replace(cal, memory_basis=rule.memory_basis, memory_utilization=share,
                  tp_allreduce=row_tp_allreduce(row) or rule.tp_allreduce, token_buckets=row_token_buckets(row),
                  max_batch_size_per_microbatch=rule.batch_cap_per_microbatch,
                  per_layer_overhead=rule.host_launched_layers, fp4_mla_kv_pools=rule.fp4_mla_pools,
                  pp_host_loop=rule.pp_host_loop)
    if (group := row_int4_group_size(row)) is not None:
        cal = replace(cal, int4_group_size=group)
    limit = row_max_batch_size(row)  # blank: the engine's own default where cited (vLLM's max_num_seqs on a GPU)
    limit = limit if limit is not None else serving.engine_default_max_batch_size(row["engine"], spec, path)
    return cal if limit is None else replace(cal, max_batch_size=limit)


def _check_int4_group(row: dict[str, str], spec: AcceleratorSpec, model: TransformerConfig,
                      cals: dict[str, serving.ServingCalibration] | None, path: str | None) -> None:
    """The row's int4 group (its int4_group_size cell; empty: the [serving.*] table's default, 128) must fit the
    model's int4 layer inputs per tensor-parallel rank, as `plan serve` checks the given or default group
    (serving_plan.check_int4_group; the check itself is serving.int4_group_problem)."""
    moe = row_moe_layout(row)
    if not serving.int4_input_widths(model, row["weight_dtype"], moe):
        return
    given = row_int4_group_size(row)
    cal = row_calibration(row, spec, cals, path)  # its int4_group_size is the cell's, or the table's default
    why = serving.int4_group_problem(model, cal.int4_group_size, row["weight_dtype"], moe, int(row["tp"]))
    if why is not None:
        problem = why[0] if given is not None else (
            f"is empty, so the default group {cal.int4_group_size} (int4_group_size of the [serving.{cal.family}] "
            f"table, AutoAWQ / GPTQ's default) is used, and it {why[0]}")
        raise cell_error(_WHAT, row, "int4_group_size", problem, why[1])  # as plan serve refuses the group


def row_tp_allreduce(row: Mapping[str, str | None]) -> str | None:
    """The run's tensor-parallel all-reduce, as `plan serve --tp-allreduce` (optional column tp_allreduce: nccl or
    custom; empty: the engine's, serving.ENGINES)."""
    v = (row.get("tp_allreduce") or "").strip()
    if v and v not in serving.TP_ALLREDUCES:  # its own words: tests/test_validate_user_csv.py quotes them
        raise InputError(f"serving run {row.get('id')!r}: tp_allreduce {v!r} is neither nccl nor custom",
                         "write nccl or custom, or leave the cell empty for the engine's")
    return v or None


def row_token_buckets(row: Mapping[str, str | None]) -> str | None:
    """The engine's static token buckets the run used, as `plan serve --token-buckets` (optional column token_buckets:
    neuronx, transformers-neuronx's; empty: none). A row with buckets reads its tpot_ms at the median step (the AWS
    Neuron tables publish 'TPOT Latency P50'), the prediction's tpot_p50_s."""
    return choice_cell(_WHAT, row, "token_buckets", serving.TOKEN_BUCKETS, blank_ok=True) or None


def row_memory_fraction(row: Mapping[str, str | None]) -> float | None:
    """The share of memory the run's engine may use, as `plan serve --memory-fraction` (optional column
    memory_fraction, in (0, 1], on the engine's basis: vLLM's --gpu-memory-utilization, SGLang's --mem-fraction-static,
    TensorRT-LLM's kv_cache_free_gpu_mem_fraction; empty: the engine's, serving.ENGINES). A published launch command
    that sets it is the run's own figure, not the engine's default."""
    v = (row.get("memory_fraction") or "").strip()
    if not v:
        return None
    try:
        f = float(v)
    except ValueError:
        f = math.nan
    if not 0 < f <= 1:  # NaN fails too
        raise cell_error(_WHAT, row, "memory_fraction", "is not in (0, 1]",
                         "write the share the launch command gives the engine (e.g. 0.9 for vLLM's "
                         "--gpu-memory-utilization 0.9), or leave it blank for the engine's")
    return f


def row_max_batch_size(row: Mapping[str, str | None]) -> int | None:
    """The engine's max_batch_size the run used (optional column max_batch_size; empty: the calibration's
    default, 2048), as `plan serve --max-batch-size`. trtllm-bench rows carry the value its heuristic computed."""
    n = whole_cell(_WHAT, row, "max_batch_size", 1, MAX_COUNT, blank=0, blank_means="the engine's default")
    return n or None


def row_requests(row: Mapping[str, str | None]) -> int | None:
    """The requests of a max-load run's finite dataset (optional column requests; empty: unknown, the model's
    steady waves), as `plan serve --batch max --requests`: a trtllm-bench row's is its page's $num_requests (the
    bundled rows leave it blank: the runs file says why)."""
    n = whole_cell(_WHAT, row, "requests", 1, MAX_COUNT, blank=0, blank_means="steady waves (an endless run)")
    return n or None


def row_int4_group_size(row: Mapping[str, str | None]) -> int | None:
    """Weights per scale of the run's int4 checkpoint (optional column int4_group_size; empty: the calibration's,
    128), as `plan serve --int4-group-size`."""
    n = whole_cell(_WHAT, row, "int4_group_size", 1, MAX_COUNT, blank=0,
                   blank_means="the calibration's 128 (AWQ/GPTQ's group)")
    return n or None


def row_moe_layout(row: Mapping[str, str | None]) -> MoELayout:
    """The expert / attention-data-parallel layout of a row: the optional columns ep, attention_dp,
    redundant_experts (integers, empty: 1, 1, 0), two_batch_overlap and dense_experts ('yes' or empty)."""
    tbo = choice_cell(_WHAT, row, "two_batch_overlap", ("yes",), blank_ok=True)
    dense = choice_cell(_WHAT, row, "dense_experts", ("yes",), blank_ok=True)
    return MoELayout(ep=whole_cell(_WHAT, row, "ep", 1, MAX_COUNT, blank=1),
                     attention_dp=whole_cell(_WHAT, row, "attention_dp", 1, MAX_COUNT, blank=1),
                     redundant_experts=whole_cell(_WHAT, row, "redundant_experts", 0, MAX_COUNT, blank=0),
                     two_batch_overlap=tbo == "yes", dense_experts=dense == "yes")


def predict_row(row: dict[str, str], cals: dict[str, serving.ServingCalibration] | None = None,
                path: str | None = None) -> tuple[float, int]:
    """(predicted figure in the row's metric, batch or concurrency used) -- `plan serve`'s library call."""
    value, p = _predict_row(row, cals, path)
    return value, p.batch


def _predict_row(row: dict[str, str], cals: dict[str, serving.ServingCalibration] | None,
                 path: str | None) -> tuple[float, serving.ServingPrediction]:
    for col in PATH_COLUMNS:  # a relative path joined to the CSV's folder that names nothing: both paths said
        missing = missing_path_cell(_WHAT, row, col)
        if missing is not None:
            raise missing
    spec = row_device(row["hardware"])
    model = get_model(row["model"])
    cal = row_calibration(row, spec, cals, path)
    common: dict[str, Any] = {"tp": int(row["tp"]), "pp": int(row["pp"]), "prompt_len": int(row["prompt_len"]),
                              "output_len": int(row["output_len"]), "weight_dtype": row["weight_dtype"],
                              "kv_dtype": row["kv_dtype"], "calibration": cal, "moe": row_moe_layout(row)}
    if row["batch"] == "max":
        # The max-load rows come from closed loops of fixed-length requests (trtllm-bench throughput, vLLM / SGLang
        # bench_serving with --random-range-ratio 1 or --ignore-eos at a --max-concurrency): the C requests that
        # start together finish together and the next C are prefilled together, so they move in waves, i.e. a
        # static batch of C: the other requests' prefills fall in TTFT, and TPOT is the decode step. (Staggered
        # arrivals, `plan serve --concurrency`, put those prefills in TPOT instead; throughput is the same. With
        # pp > 1 a wave's prefill enters a pipeline the other micro-batches keep full: scheduling 'waves'.)
        batch = serving.max_load_concurrency(model, spec, **common)
        p = serving.predict_serving(model, spec, batch=max(batch, 1), scheduling="waves", **common)
        if (n := row_requests(row)) is not None:  # a finite dataset: its waves, the last a partial one
            p = serving.finite_run(model, spec, p, n, **common)
    else:
        p = serving.predict_serving(model, spec, batch=int(row["batch"]), allow_oom=True, **common)
    value = {"output_tok_s": p.output_tokens_per_s, "output_tok_s_per_device": p.output_tokens_per_s_per_device,
             "decode_tok_s": p.decode_tokens_per_s, "ttft_ms": p.ttft_s * 1e3,
             "tpot_ms": (p.tpot_s if p.tpot_p50_s is None else p.tpot_p50_s) * 1e3,  # a bucketed row's P50
             "decode_tok_s_per_device": p.decode_tokens_per_s / p.n_devices,
             "prefill_tok_s_per_device": p.batch * p.prompt_len / p.prefill.total_s / p.n_devices}
    return value[row["metric"]], p


def _named_cell(row: dict[str, str], col: str, lookup: Any) -> Any:
    """lookup(row[col]) (the catalog's device, the model preset), an unknown name naming the row and column too; a
    relative path joined to the CSV's folder that names nothing, named as written and as joined."""
    missing = missing_path_cell(_WHAT, row, col)
    if missing is not None:
        raise missing
    try:
        return lookup(row[col])
    except InputError as e:
        raise cell_error(_WHAT, row, col, e.problem, e.fix) from None


_UNIT_FIX = {"ttft_ms": "give milliseconds (a figure in seconds is 1000x too small)",
             "tpot_ms": "give milliseconds (a figure in seconds is 1000x too small)"}


def _roofline_share(row: dict[str, str], spec: AcceleratorSpec, model: TransformerConfig) -> float | None:
    """The published figure as a share of what the devices can do whatever the engine (1.0: the bound itself):
    TTFT against the prompts' linear-layer FLOPs (2 per weight per token, embeddings left out) at the device's
    highest peak; TPOT against one read of the active weights at its memory bandwidth; tokens/s against that peak's
    rate for those FLOPs. None for a max-load TTFT row (its batch is the model's; the bound needs the run's)."""
    published, metric = float(row["published"]), row["metric"]
    n = int(row["tp"]) * int(row["pp"]) * row_moe_layout(row).attention_dp
    linear_flop_per_token = 2.0 * (model.params_active() - model.vocab * model.hidden * (1 if model.tied_embeddings
                                                                                         else 2))
    peak = max(v for v in spec.peak_flop_per_s.values() if v)
    if metric == "ttft_ms":
        if row["batch"] == "max":
            return None
        least_s = linear_flop_per_token * int(row["batch"]) * int(row["prompt_len"]) / (n * peak)
        share = least_s / (published * 1e-3)
    elif metric == "tpot_ms":
        least_s = (model.params_active() * serving.weight_bytes_per_param(row["weight_dtype"]) / n
                   / spec.memory_bandwidth_byte_per_s)
        share = least_s / (published * 1e-3)
    else:
        share = published * linear_flop_per_token / ((1 if metric.endswith("_per_device") else n) * peak)
    return share


def _check_below_roofline(row: dict[str, str], spec: AcceleratorSpec, model: TransformerConfig) -> None:
    """An InputError when the published figure is faster than the devices can go whatever the engine (a unit slip:
    seconds in a _ms column, a whole run's tokens/s in a per-device one): its _roofline_share above 1. The least
    work, the fastest rate: bundled rows reach at most 65% of these bounds."""
    share = _roofline_share(row, spec, model)
    n = int(row["tp"]) * int(row["pp"]) * row_moe_layout(row).attention_dp
    metric = row["metric"]
    if share is not None and share > 1.0:
        raise cell_error(_WHAT, row, "published", f"is {share:.0%} of what {n} x {spec.name} can do for {metric} "
                         "(the least work at the device's peak rates): faster than any engine",
                         _UNIT_FIX.get(metric, "give tokens per second (per device where the metric says so)"))


def reproduce(row: dict[str, str], sources: dict[str, str] | None = None,
              cals: dict[str, serving.ServingCalibration] | None = None, path: str | None = None) -> ServingRunResult:
    return _reproduce(row, cals, path)[0]


def _reproduce(row: dict[str, str], cals: dict[str, serving.ServingCalibration] | None,
               path: str | None) -> tuple[ServingRunResult, list[str]]:
    """(the row's result, the lines `plan serve` prints beside its prediction that the row's cells decide: the
    launch-floor line, serving.launch_floor_points_note, a 'default used:' floor deciding a phase or a device with no
    sourced floor; the per-forward overhead of an engine that launches every layer from the host,
    ServingCalibration.step_overhead_note, as 'DEVICE: note')."""
    spec = _named_cell(row, "hardware", row_device)
    model = _named_cell(row, "model", get_model)  # unknown: the CSV's error, not a 'gap' the model cannot express
    if (why := not_generative(model)) is not None:  # as plan serve --model refuses it
        raise cell_error(_WHAT, row, "model", *why)
    # an int8 / nvfp4 KV cache the row's engine does not run (for this model), as plan serve refuses it; the fix names
    # the cells
    refused = serving.kv_engine_refusal(model, row["kv_dtype"], row["engine"], kv="kv_dtype", engine_flag="engine")
    if refused is not None:
        raise cell_error(_WHAT, row, "kv_dtype", f"with engine {row['engine']}: {refused[0]}", refused[1])
    _check_int4_group(row, spec, model, cals, path)
    _check_below_roofline(row, spec, model)
    note = row.get("note", "") or ""
    predicted: float | None = None
    p: serving.ServingPrediction | None = None
    row_tp_allreduce(row)  # a bad cell is the CSV's error, with its own fix, even on a 'gap' row
    try:
        # an NVFP4 KV cache on a part the row's engine does not run it on (TensorRT-LLM / vLLM off SM100), as plan
        # serve --engine lists that device as not served
        serving.check_kv_device(spec, row["kv_dtype"], row["engine"] or None)
        if (fp4 := serving.engine_fp4_weight_problem(spec, row["weight_dtype"], None, row["engine"] or None,
                                                     moe=model.is_moe)) is not None:
            raise InfeasibleError(*fp4)  # TensorRT-LLM's FP4 / SGLang's NVFP4 off Blackwell, as plan serve does
        predicted, p = _predict_row(row, cals, path)
    except AcceloptError as e:
        if row["role"] != "gap":
            raise InputError(f"serving run {row['id']!r} cannot be predicted: {e.problem}",
                             f"{e.fix}{flags_as_cells(e.problem + ' ' + e.fix, row['id'], _RENAMED_FLAGS, _columns())}"
                             "; or make it a 'gap' "
                             "row with the reason in its note") from None
    said = [serving.launch_floor_points_note([p], spec, model) if p is not None else None,
            serving.kv_engine_note(model, row["kv_dtype"], row["engine"])]  # plan serve's note on the engine
    if p is not None and (over := p.calibration.step_overhead_note(model.layers, path)):  # plan serve's words
        said.append(f"{spec.name}: {over}")
    if p is not None and (host := p.calibration.pp_host_note(p.pp, None, path)):  # plan serve's words
        said.append(f"{spec.name}: {host}")
    if p is not None:  # the measured decode weight-read rate, as plan serve says it (decode_gemm)
        said.append(decode_gemm.sweep_note([p.decode_weight_rate]))
    cal = row_calibration(row, spec, cals, path)
    said.append(serving.engine_overlay_note(cal, row["engine"]))  # plan serve's words: another engine's host costs
    return ServingRunResult(
        id=row["id"], source=row["source"], engine=row["engine"], hardware=spec.name, family=_family(spec),
        calibration=cal.table_name, model=as_written(row["model"]), tp=int(row["tp"]),
        precision=f"{row['weight_dtype']}/{row['kv_dtype']}", prompt_len=int(row["prompt_len"]),
        output_len=int(row["output_len"]), batch=p.batch if p else 0, metric=row["metric"],
        published=float(row["published"]), predicted=predicted, role=row["role"], note=note,
        memory_bytes_per_device=p.memory_bytes_per_device if p else None,
        usable_memory_bytes_per_device=p.usable_memory_bytes_per_device if p else None), [n for n in said if n]


_RENAMED_FLAGS = {"--prompt": "prompt_len", "--output": "output_len"}
"""`plan serve` flags whose runs-file cell has another name (docs/runs_files.md); any other --a-b is the cell a_b."""


@functools.cache
def _columns() -> frozenset[str]:
    return frozenset(bundled_header("published_serving_runs.csv"))


def _abs_errors(results: list[ServingRunResult], role: str) -> list[tuple[float, str]]:
    return [(abs(r.error), r.id) for r in results if r.role == role and r.error is not None]


def _groups(results: list[ServingRunResult]) -> list[GroupError]:
    out: list[GroupError] = []
    for group, key in (("source", lambda r: r.source), ("family", lambda r: r.family),
                       ("engine", lambda r: r.engine), ("precision", lambda r: r.precision)):
        for name in sorted({key(r) for r in results}):
            errs = _abs_errors([r for r in results if key(r) == name], "test")
            if errs:
                worst = max(errs)
                out.append(GroupError(group=group, name=name, rows=len(errs),
                                      median_abs_error=statistics.median(e for e, _ in errs),
                                      worst_abs_error=worst[0], worst_id=worst[1]))
    return out


_BUNDLED_REPORT: dict[Hashable, ServingValidateResult] = {}
"""The report of the bundled serving runs file under the bundled calibration, by (runs text, calibration text): the
last one only, as validation._BUNDLED_REPORT keeps the training report."""


def clear_report_cache() -> None:
    """Forget the bundled report (validate_serving): needed only after patching the predictor's code in process
    (tests/conftest.py's monkeypatch does it); a changed bundled file is a new key of its own."""
    _BUNDLED_REPORT.clear()


def validate_serving(runs_path: Path | str | None = None, calibration: str | None = None) -> ServingValidateResult:
    """Every row of the runs file predicted (with the `[serving.*]` tables of the file `calibration` replacing the
    bundled ones by name, when given); held-out median and worst |error|, overall and per group. The bundled file's
    report under the bundled calibration is computed once per process (its texts are the key) and returned as a
    copy: the caller may change it."""
    if runs_path is not None or calibration is not None:
        return _validate_serving(runs_path, calibration)
    from accelopt.predict import calibration as bundled  # by attribute: a patched bundled_text is a new key

    key = (bundled_runs_text("published_serving_runs.csv"), bundled.bundled_text())
    return kept_copy(_BUNDLED_REPORT, key, lambda: _validate_serving(None, None))


def _validate_serving(runs_path: Path | str | None, calibration: str | None) -> ServingValidateResult:
    twice: dict[int, InputError] = {}  # a repeated id, named with the other rows' bad values (fix5a)
    rows, sources = read_runs_csv(runs_path, "published_serving_runs.csv", "serving runs file", _REQUIRED, twice)
    if calibration is not None:  # a bad file fails once, named, before any row
        serving.serving_calibrations(calibration)
    with naming_file("serving runs file", runs_path):  # an unknown device or model names the user's file too
        # each row checked (read_serving_runs' _check_row) and reproduced in one pass: a bad cell in one row and an
        # unknown device in another are named in one error (each_row), not one run after the other
        reproduced = each_row(rows, lambda r: _checked_reproduce(r, calibration), twice)
    results = [r for r, _ in reproduced]
    floors: dict[str, list[str]] = {}  # plan serve's launch-floor / overhead line -> the rows it concerns
    for r, said in reproduced:
        for line in said:
            floors.setdefault(line, []).append(r.id)
    test, fit = _abs_errors(results, "test"), _abs_errors(results, "fit")
    worst = max(test) if test else (math.nan, "")
    cited = {r["source"] for r in rows}  # a '# key = text' comment line that no row cites is prose, not a source
    return ServingValidateResult(
        runs=results, median_abs_error_held_out=statistics.median(e for e, _ in test) if test else math.nan,
        worst_abs_error_held_out=worst[0], worst_held_out_id=worst[1],
        median_abs_error_fit=statistics.median(e for e, _ in fit) if fit else math.nan, groups=_groups(results),
        sources={k: v for k, v in sources.items() if k in cited},
        input_warnings=[*unused_key_lines(rows), *([line] if (line := slow_serving_line(results)) else []),
                        *default_lines(rows, results, calibration), *role_lines(rows, calibration),
                        *unknown_id_lines(rows, calibration),
                        *uncalibrated_lines(rows, calibration),
                        *(f"{floor} — in {runs_named(ids, 'serving run')}" for floor, ids in floors.items())])


def _checked_reproduce(row: dict[str, str], calibration: str | None) -> tuple[ServingRunResult, list[str]]:
    """_check_row, then _reproduce: a row's cells and its prediction checked in one pass of the file."""
    _check_row(row)
    return _reproduce(row, None, calibration)


def uncalibrated_lines(rows: list[dict[str, str]], path: str | None) -> list[str]:
    """A note per [serving.*] table that predicts rows without being fitted on published runs of their family, or of
    their device (its values carried), in the words `plan serve` prints beside such a result
    (ServingCalibration.uncalibrated_caveat): the report gave those rows' errors beside fitted ones without a word
    (utval, 2026-12-05)."""
    by_caveat: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for row in rows:
        spec = row_device(row["hardware"])
        cal = row_calibration(row, spec, None, path)
        if caveat := cal.uncalibrated_caveat(spec.name):
            ids, devices = by_caveat.setdefault((cal.family, caveat), ([], []))
            ids.append(row["id"])
            if spec.name not in devices:
                devices.append(spec.name)
    return [f"note: {runs_named(ids, 'serving run')} on {', '.join(devices)}: [serving.{family}]{caveat}, as `plan "
            "serve` says beside them"
            for (family, caveat), (ids, devices) in by_caveat.items()]


def role_lines(rows: list[dict[str, str]], path: str | None) -> list[str]:
    """Warnings for the rows whose role cell the calibration they are predicted with contradicts: 'fit' on a row its
    [serving.*] table was not fitted on (its fitted_on: the row counts in no held-out figure), 'test' on one it was
    fitted on (its error counts in the held-out median as if unseen). The bundled file agrees with its tables; a
    user's file said nothing of either (utval, 2026-12-05). runs_csv.role_lines_of builds them."""
    def fitted(row: dict[str, str]) -> tuple[str, tuple[str, ...]]:
        cal = row_calibration(row, row_device(row["hardware"]), None, path)
        return cal.family, cal.fitted_on

    return [*role_lines_of([r for r in rows if r["role"] != "derived"], "serving run", fitted,
                          lambda family: f"[serving.{family}]",
                          lambda family: f", or list them in fitted_on of the [serving.{family}] table of the "
                                         "--calibration file fitted on them"),
            *_derived_role_lines(rows, path)]


def unknown_id_lines(rows: list[dict[str, str]], path: str | None) -> list[str]:
    """Warnings on the ids a --calibration file's [serving.*] tables list in fitted_on / derived_on that are in
    neither the runs validated nor the bundled file (a typo, with the closest id): the run the user meant stays
    held out without a word, as training's fitted_on_lines says for [family.*] tables (rev1, 2026-12-06)."""
    if path is None:
        return []
    from accelopt.errors import close_matches
    from accelopt.predict.calibration import BUNDLED_TABLE_FILE, load_serving_tables

    ids = [r["id"] for r in rows]
    known = set(ids) | {r["id"] for r in read_serving_runs()[0]}
    out = []
    for name, table in load_serving_tables(path).items():
        if table.where == BUNDLED_TABLE_FILE:
            continue
        for key in ("fitted_on", "derived_on"):
            for rid in getattr(table, key):
                if rid not in known:
                    close = close_matches(rid, ids, n=1)
                    meant = f" (did you mean {close[0]!r}?)" if close else ""
                    out.append(f"warning: [serving.{name}] {key} names {rid!r}, a run in neither the runs validated "
                               f"nor the bundled file{meant} — write the run's id as its id cell spells it")
    return out


def _derived_role_lines(rows: list[dict[str, str]], path: str | None) -> list[str]:
    """Warnings for the rows whose 'derived' role the table they are predicted with contradicts: 'derived' on a row
    its table's derived_on does not list (it counts in no figure, unexplained), or another role on one it lists (a
    run judged by values taken from its own profile)."""
    wrong: dict[tuple[bool, str], list[str]] = {}
    for row in rows:
        if row["role"] == "gap":
            continue
        cal = row_calibration(row, row_device(row["hardware"]), None, path)
        if (row["role"] == "derived") != (row["id"] in cal.derived_on):
            wrong.setdefault((row["role"] == "derived", cal.family), []).append(row["id"])
    return [f"warning: role derived in {runs_named(ids, 'serving run')} that [serving.{family}] was not derived "
            "from (its derived_on does not list them): they count in no figure — write test (held out), or list "
            f"them in derived_on of the [serving.{family}] table of the --calibration file derived from their run"
            if derived else
            f"warning: role {'/'.join(sorted({r['role'] for r in rows if r['id'] in ids}))} in "
            f"{runs_named(ids, 'serving run')} whose own run [serving.{family}]'s values were derived from (its "
            "derived_on lists them): they are judged by their own measurement — write derived"
            for (derived, family), ids in wrong.items()]


def default_lines(rows: list[dict[str, str]], results: list[ServingRunResult], path: str | None) -> list[str]:
    """`plan serve`'s 'default used:' lines for what the rows' blank cells leave to a default (int4_group_size: the
    [serving.*] table's group; memory_fraction: SGLang's per-device rule; max_batch_size, where its cap and not the
    KV cache set a max-load row's requests in flight; requests: a max-load row's steady waves) and for a --pp > 1
    row's micro-batches in flight (no column: one per stage), one line per note with the rows it concerns; the same
    row typed as `plan serve` printed them, the report did not (utval, 2026-12-05). A row the model could not
    predict (a 'gap' row) used none."""
    predicted = {r.id for r in results if r.predicted is not None}
    by_note: dict[str, list[str]] = {}
    for row in rows:
        if row["id"] in predicted:
            for note in _row_defaults(row, path, next(r.batch for r in results if r.id == row["id"])):
                by_note.setdefault(note, []).append(row["id"])
    return [f"{note} — in {runs_named(ids, 'serving run')}"
            f"{flags_as_cells(note, None, _RENAMED_FLAGS, _columns())}{_no_cell(note)}"
            for note, ids in by_note.items()]


def _no_cell(note: str) -> str:
    """' (--pp-microbatches: no column of a runs file, `plan serve` only)' for the flags `note` names that no
    column of the serving runs file sets: its advice to give one cannot be followed in a runs file."""
    flags = [f for f in dict.fromkeys(re.findall(r"--[a-z][a-z0-9-]*", note))
             if _RENAMED_FLAGS.get(f, f[2:].replace("-", "_")) not in _columns()]
    return f" ({', '.join(flags)}: no column of a runs file, `plan serve` only)" if flags else ""


def _row_defaults(row: dict[str, str], path: str | None, batch: int) -> list[str]:
    """The 'default used:' notes `plan serve` prints for `row` typed as its flags (serving_plan.plan_serve's), its
    result's `batch` (static, or a max-load row's waves) prefilled together."""
    tokens = int(row["prompt_len"]) * batch  # a forward's prompt tokens, as plan serve's vllm_prefill_chunk_note
    vllm_chunk = row["engine"] == "vllm"  # the chunk `vllm serve` takes on the row's GPU (rev1: plan serve said it)
    blank_int4 = row["weight_dtype"] == "int4" and row_int4_group_size(row) is None
    per_device_share = ENGINES[row["engine"]].per_device and row_memory_fraction(row) is None
    default_cap = row["batch"] == "max" and row_max_batch_size(row) is None
    steady = row["batch"] == "max" and row_requests(row) is None  # plan serve's STEADY_WAVES_NOTE
    if not (blank_int4 or per_device_share or default_cap or steady or vllm_chunk or int(row["pp"]) > 1):
        return []
    spec, model, moe = row_device(row["hardware"]), get_model(row["model"]), row_moe_layout(row)
    cal = row_calibration(row, spec, None, path)
    opts = ServeOptions(model=row["model"], hardware=row["hardware"], tp=int(row["tp"]), pp=int(row["pp"]),
                        batch=row["batch"], prompt=int(row["prompt_len"]), output=int(row["output_len"]),
                        weight_dtype=row["weight_dtype"], kv_dtype=row["kv_dtype"], engine=row["engine"],
                        memory_fraction=row_memory_fraction(row), max_batch_size=row_max_batch_size(row),
                        int4_group_size=row_int4_group_size(row), tp_allreduce=row_tp_allreduce(row), ep=moe.ep,
                        attention_dp=moe.attention_dp, redundant_experts=moe.redundant_experts,
                        two_batch_overlap=moe.two_batch_overlap, dense_experts=moe.dense_experts, calibration=path)
    notes = [int4_group_note(opts, {cal.int4_group_size}), pp_microbatches_note(opts)]
    if per_device_share:
        notes.append(serving.engine_memory_fraction(row["engine"], spec, tp=opts.tp, pp=opts.pp,
                                                    attention_dp=moe.attention_dp, mla=model.mla is not None)[1])
    if row["batch"] == "max" and cap_binds(model, spec, opts, cal, moe, [], False):
        cap = serving.batch_cap_requests(cal, opts.pp) * moe.attention_dp
        engine_cap = serving.engine_default_max_batch_size(row["engine"], spec, path) is not None
        notes += [batch_cap_note(opts, True),
                  default_cap_note(opts, {spec.name: cap}, {spec.name} if engine_cap else frozenset())]
    if steady:
        notes.append(STEADY_WAVES_NOTE)
    notes.append(serving.vllm_prefill_chunk_note(row["engine"], spec, cal.max_prefill_chunk_tokens, tokens, path))
    return [n for n in notes if n]


SLOW_SERVING = 20.0
"""A published serving figure this many times slower than `plan serve`'s prediction (tok/s below 1/20 of it, a
TTFT or TPOT above 20x it) is likely a figure in another unit, as validation.SLOW_FIGURE judges a training step:
the bundled rows' slowest is 7.4x (wmx-l4-q25-05b-256-128-c2-ttft, 2026-12-03); a figure in thousands of tokens
per second (19.7 for 19,694) or microseconds in an _ms cell is 1000x."""
BUNDLED_MOST_SLOWDOWN = 7.4
"""The bundled rows' largest slowdown (wmx-l4-q25-05b-256-128-c2-ttft, 7.36x, 2026-12-03), which the warning quotes;
tests/test_leftovers4_validate.py recomputes it."""


def slowdown(r: ServingRunResult) -> float | None:
    """How many times slower the published figure is than the prediction (None for a 'gap' row)."""
    if not r.predicted or r.published <= 0:
        return None
    return r.published / r.predicted if r.metric.endswith("_ms") else r.predicted / r.published


def slow_serving_line(runs: list[ServingRunResult]) -> str:
    """A warning naming the rows whose published figure is more than SLOW_SERVING times slower than predicted, or ''.
    Not refused: an engine can be that slow (a debug build, a CPU fallback); the training check's wording
    (validation.slow_figure_line)."""
    slow = [(r, x) for r in runs if (x := slowdown(r)) is not None and x > SLOW_SERVING]
    if not slow:
        return ""
    return (f"warning: {len(slow)} serving row(s) whose published figure is more than {SLOW_SERVING:g}x slower than "
            f"the prediction (the bundled rows' most is {BUNDLED_MOST_SLOWDOWN:g}x): "
            + ", ".join(f"{r.id} ({r.published:g} {r.metric}, {x:.3g}x)" for r, x in slow)
            + ": a figure in another unit? _tok_s metrics are tokens per second (per device only where the metric "
            "ends in _per_device), ttft_ms / tpot_ms are milliseconds")


def unused_key_lines(rows: list[dict[str, str]]) -> list[str]:
    """One warning per model cell naming a config.json with keys the predictor does not model (as `plan serve
    --model` warns), with the rows that use it: never ignored without a word."""
    by_model: dict[str, list[str]] = {}
    for r in rows:
        by_model.setdefault(r["model"], []).append(r["id"])
    return [f"warning: model {cell!r} of serving run(s) {', '.join(ids)}: config key(s) not modelled by the "
            f"predictor, ignored: {', '.join(keys)}" for cell, ids in by_model.items()
            if (keys := get_model(cell).unused_keys)]


def fit_serving(family: str, grid: dict[str, list[float]], runs_path: Path | str | None = None,
                rounds: int = 3, start: serving.ServingCalibration | None = None, engine: str | None = None
                ) -> tuple[serving.ServingCalibration, float]:
    """Coordinate search over `grid` (ServingCalibration field -> values) of one `[serving.NAME]` table: each round
    sets each field in turn to its grid value minimising the mean |log(predicted / published)| over the 'fit' rows on
    that table's devices, the others held. How the bundled values were made (see calibration.toml); never run per
    plan. The search starts from `start` (the declared rule's starting values), else from the table's bundled values.
    `engine`: the rule of the table's `[serving.NAME.engine.ENGINE]` overlay, over the 'fit' rows of that engine
    only (grid: its fields, calibration.ENGINE_FIELDS); without it the table's own rule, over its 'fit' rows of the
    engines it has no overlay for. Returns (best calibration, its mean |log error|)."""
    rows, _ = read_serving_runs(runs_path)
    overlaid = set(load_serving_tables().get(family, load_serving_tables()["default"]).engines)
    mine = [r for r in rows if r["role"] == "fit"
            and serving.calibration_for_spec(row_device(r["hardware"])).family == family
            and (r["engine"] == engine if engine else r["engine"] not in overlaid)]
    if not mine:
        what = f" of engine {engine}" if engine else ""
        raise InputError(f"no 'fit' row{what} on a device of [serving.{family}]", "declare fit rows in the runs CSV")

    def loss(cal: serving.ServingCalibration) -> float:
        return statistics.mean(abs(math.log(predict_row(r, {family: cal})[0] / float(r["published"]))) for r in mine)

    best = start or serving.calibration_for_spec(row_device(mine[0]["hardware"]), engine=engine)
    best_loss = loss(best)
    for _ in range(rounds):
        for name, values in grid.items():
            for v in values:
                change: dict[str, Any] = {name: v}
                cand = replace(best, **change)
                c_loss = loss(cand)
                if c_loss < best_loss:
                    best, best_loss = cand, c_loss
    return best, best_loss


# runs-file column -> the `plan serve` flag that takes the same value (given where the cell is not blank)
_VALUED_FLAGS = (("ep", "--ep"), ("attention_dp", "--attention-dp"), ("redundant_experts", "--redundant-experts"),
                 ("max_batch_size", "--max-batch-size"), ("tp_allreduce", "--tp-allreduce"),
                 ("memory_fraction", "--memory-fraction"), ("int4_group_size", "--int4-group-size"),
                 ("requests", "--requests"), ("token_buckets", "--token-buckets"))
# 'yes' column -> its `plan serve` switch
_YES_FLAGS = (("two_batch_overlap", "--two-batch-overlap"), ("dense_experts", "--dense-experts"))
METRIC_FIELDS = {"output_tok_s": "output_tokens_per_s", "output_tok_s_per_device": "output_tokens_per_s_per_device",
                 "decode_tok_s": "decode_tokens_per_s", "decode_tok_s_per_device": "decode_tokens_per_s / n_devices",
                 "ttft_ms": "ttft_s x 1000", "tpot_ms": "tpot_s x 1000",
                 "prefill_tok_s_per_device": "batch x prompt_len / prefill.total_s / n_devices"}
"""A row's metric as the fields of `plan serve --json`'s results[0].points[0] it is computed from (_predict_row)."""


def serving_row_argv(row: Mapping[str, str | None], calibration: str | None = None) -> list[str]:
    """The `accelopt plan serve` arguments that predict the row's figure as `validate --serving` does (_predict_row
    reads the same cells): --engine applies the engine's memory rule, --batch max a max-load row's waves; a blank
    optional cell is the flag left out (its default is the blank cell's meaning, docs/runs_files.md)."""
    argv = ["plan", "serve", "--model", str(row["model"]), "--hardware", str(row["hardware"]),
            "--tp", str(row["tp"]), "--pp", str(row["pp"]), "--prompt", str(row["prompt_len"]),
            "--output", str(row["output_len"]), "--weight-dtype", str(row["weight_dtype"]),
            "--kv-dtype", str(row["kv_dtype"]), "--engine", str(row["engine"]), "--batch", str(row["batch"])]
    for col, flag in _VALUED_FLAGS:
        if v := (row.get(col) or "").strip():
            argv += [flag, v]
    argv += [flag for col, flag in _YES_FLAGS if (row.get(col) or "").strip() == "yes"]
    return argv + ([] if calibration is None else ["--calibration", calibration])


@dataclass(frozen=True)
class ServingRowCommand:
    """`validate --serving --row ID`: the row's figures and the `plan serve` command that reproduces them."""

    result: ServingRunResult
    command: str
    """One shell line: `accelopt plan serve ...`."""
    role_warning: str = ""
    """The report's `warning:` line when the row's role cell contradicts its table's fitted_on (role_lines), else
    ''; printed on stderr, as the report prints it (utval, 2026-12-06)."""
    notes: tuple[str, ...] = ()
    """The report's notes on the row (default_lines: a 'default used:' of a blank cell; uncalibrated_lines: a table
    not fitted on its family or device); printed on stderr, as the report prints them (utleft5, 2026-12-06)."""

    DERIVED_UNITS: ClassVar[dict[str, str]] = {"argv": ""}

    @property
    def argv(self) -> list[str]:
        """The command's arguments after the program name (as validate-row's command.argv), unquoted."""
        return shlex.split(self.command)[1:]


@dataclass(frozen=True, kw_only=True)
class ValidateServingRowDocument:
    """`accelopt validate --serving --row ID --json`: each named serving run's validate result and the `plan serve`
    command that reproduces its prediction, as `validate --row ID --json`'s validate-row document is for training
    runs (the serving --row was text only; ut5val, 2026-12-06). Not a run of its own: not recorded, no HTML page
    (schema.DOCUMENT_CLASSES)."""

    SCHEMA_KIND: ClassVar[str] = "validate-serving-row"
    SCHEMA_VERSION: ClassVar[int] = 1

    runs: list[ServingRowCommand]
    input_notes: list[str] = field(default_factory=list)
    """The serving report's warnings on its --calibration file that concern the named runs (a [serving.NAME] table
    fitting none of their devices, a fitted_on / derived_on id naming no run, [family.NAME] tables serving does not
    read); [] without --calibration. Also on stderr, as the report says them."""
    not_predicted: list[RowProblem] = field(default_factory=list)
    """The runs named by --row that cannot be predicted, each with its error and fix (the command exits 2, its stderr
    naming them)."""


def _training_ids() -> set[str]:
    from accelopt.predict.validation import read_runs

    return {r["id"] for r in read_runs(None)}


def serving_row_commands(ids: tuple[str, ...], runs_path: str | None = None, calibration: str | None = None, *,
                         failed: list[InputError] | None = None) -> list[ServingRowCommand]:
    """`validate --serving --row ID ...`: each named row of the serving runs file (the bundled one when `runs_path`
    is None) predicted as `validate --serving` does, and its `plan serve` command. An id no row has is an error
    naming the nearest ones, before any prediction. A row that cannot be predicted raises its InputError, or with
    `failed` given is added there and the other rows are still predicted (as run_command.row_commands)."""
    from accelopt.errors import unknown_name

    rows = {r["id"]: r for r in read_serving_runs(runs_path)[0]}
    for rid in ids:
        if rid not in rows and runs_path is None and rid in _training_ids():
            raise InputError(f"{rid!r} is a training run (the bundled training runs file), not a serving run",
                             f"leave --serving out: `accelopt validate --row {rid}` prints its `plan explain` command")
        if rid not in rows and runs_path is not None and rid in {r["id"] for r in read_serving_runs(None)[0]}:
            # a bundled row's id with a user's --runs file: 'unknown serving run id' with the file's ids (ut4left)
            raise InputError(f"{rid!r} is a run of the bundled serving runs file, not of --runs {runs_path}",
                             f"leave --runs out for it: `accelopt validate --serving --row {rid}`")
        if rid not in rows:
            raise own_file_hint(unknown_name("serving run id", rid, list(rows), listed_by="accelopt validate "
                                             "--serving" + (f" --runs {runs_path}" if runs_path else "")), runs_path)
    if calibration is not None:  # a bad file fails once, named, before any row (as the report)
        serving.serving_calibrations(calibration)
    out = []
    for rid in dict.fromkeys(ids):
        try:
            with naming_file("serving runs file", runs_path):  # an unknown device or model names the user's file
                row, (result, said) = rows[rid], _reproduce(rows[rid], None, calibration)
                out.append(ServingRowCommand(
                    result=result, command=shlex.join(["accelopt", *serving_row_argv(row, calibration)]),
                    role_warning="\n".join(role_lines([row], calibration)),
                    notes=(*default_lines([row], [result], calibration), *uncalibrated_lines([row], calibration),
                           *(n for n in said if n.startswith("measured:")))))
        except InputError as e:
            if failed is None:
                raise
            failed.append(e)
    return out
