"""One runs-file row as the `accelopt plan explain` command line that reproduces its prediction (`validate --row`).

A row's layout cells are `plan explain` flags (run_query reads them into a LayoutQuery, the same object the command
builds from its flags); its architecture cells are a Hugging Face config.json (`plan explain --model` reads nothing
else), written out by the caller. What neither can say is listed as a gap, never dropped: the config is read back
as `--model` reads it and compared with the row's architecture, and every LayoutQuery field has a flag here or is
named as not coming from a row (RowCommand.gaps).
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from accelopt.errors import InputError, unknown_name
from accelopt.predict.query import LayoutQuery
from accelopt.predict.validation import (
    RunResult,
    check_params,
    read_runs,
    reproduce,
    row_input_notes,
    run_model,
    run_query,
)
from accelopt.workload.transformer import TransformerConfig

# LayoutQuery field -> its `plan explain` flag, printed whatever its value (the row's value, not the flag's default:
# a row's blank zero cell is 0 where the flag's default is 1, its flash cell 0 where the flag's is on).
_ALWAYS = {"devices": "--devices", "tp": "--tp", "pp": "--pp", "cp": "--cp", "vp": "--vp", "mbs": "--mbs",
           "zero": "--zero", "recompute": "--recompute", "seq_len": "--seq-len", "dtype": "--dtype",
           "stack": "--stack"}
# field -> flag, printed only where the row's value differs from the flag's default (LayoutQuery's)
_VALUED = {"ep": "--ep", "schedule": "--schedule", "hsdp": "--hsdp", "etp": "--etp",
           "recompute_layers": "--recompute-layers", "slice_devices": "--slice-devices",
           "attention_kernel": "--attention-kernel", "edge_stage_layers": "--edge-stage-layers",
           "tp_overlap_cfg": "--tp-overlap-cfg", "moe_dispatcher": "--moe-dispatcher",
           "moe_router_dtype": "--moe-router-dtype", "moe_grouped_mlp": "--moe-grouped-mlp",
           "offload_layers": "--offload-layers", "fp8_recipe": "--fp8-recipe", "vocab_tiling": "--vocab-tiling",
           "rope_fusion": "--rope-fusion",
           "optimizer_state_bytes": "--optimizer-bytes", "dp_bucket_params": "--dp-bucket-params",
           "calibration": "--calibration"}
# boolean field -> (flag when True, flag when False); None: the flag's default, nothing printed
_SWITCHES: dict[str, tuple[str | None, str | None]] = {
    "flash": ("--flash", "--no-flash"), "sp": (None, "--no-sp"), "overlap": (None, "--no-overlap"),
    "tp_async": (None, "--no-tp-async"), "attention_unpad": ("--attention-unpad", None),
    "cudnn_before_9_17": ("--cudnn-before-9-17", None),
    "eager_cross_entropy": ("--eager-cross-entropy", None), "p2p_overlap": ("--p2p-overlap", None),
    "te_cross_entropy": ("--te-cross-entropy", None),
    "tp_comm_overlap": ("--tp-comm-overlap", None), "ep_a2a_overlap": ("--ep-a2a-overlap", None),
    "fp8_params": ("--fp8-params", None), "fp8_saved_inputs": ("--fp8-saved-inputs", None),
    "fp8_output_head": ("--fp8-output-head", None), "no_dropout": ("--no-dropout", None)}
# fields written by hand in plan_argv (model: --model; hardware; the global batch in sequences; the lists)
_OWN = ("model", "hardware", "global_batch_seqs", "recompute_modules", "catalog")
NOT_FROM_A_ROW = ("collectives", "tokens", "facility")
"""LayoutQuery fields no runs-file cell sets (run_query leaves them at their defaults): a measured link
(`--collectives`), the tokens to train on and the facility (neither changes the step time)."""

# TransformerConfig fields a config.json read back may differ in without changing a prediction: names and notes
# (the context limit is the config's max_position_embeddings; the step's sequence is the --seq-len flag).
_MODEL_LABELS = ("name", "source", "seq_len", "context", "unused_keys", "config_defaults", "stored_weight_flags",
                 "stored_weights_note", "stored_weights_text")


def unmapped_query_fields() -> list[str]:
    """LayoutQuery fields that neither have a flag here nor are listed in NOT_FROM_A_ROW (empty when complete)."""
    known = {*_ALWAYS, *_VALUED, *_SWITCHES, *_OWN, *NOT_FROM_A_ROW}
    return [f.name for f in dataclasses.fields(LayoutQuery) if f.name not in known]


def plan_argv(query: LayoutQuery, model: str) -> list[str]:
    """The `accelopt plan explain` arguments (after the program name) that build `query`, with `--model model`."""
    default = LayoutQuery(model=query.model, hardware=query.hardware, devices=query.devices)
    argv = ["plan", "explain", "--model", model, "--hardware", query.hardware]
    for name, flag in _ALWAYS.items():
        argv += [flag, str(getattr(query, name))]
    if query.global_batch_seqs is not None:
        argv += ["--global-batch", f"{query.global_batch_seqs}seq"]
    for name, flag in _VALUED.items():
        value = getattr(query, name)
        if value != getattr(default, name) and value is not None:
            argv += [flag, _text(value)]
    for name, (on, off) in _SWITCHES.items():
        chosen = on if getattr(query, name) else off
        if chosen is not None:
            argv.append(chosen)
    if query.recompute_modules:
        argv += ["--recompute-modules", ",".join(query.recompute_modules)]
    for path in query.catalog:
        argv += ["--catalog", path]
    return argv


def _text(value: object) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _file_stem(run_id: str) -> str:
    """The run id as a file name in one folder: a character other than a letter, digit, '.', '_' or '-' (a '/', a
    space) becomes '_', and a leading '.' too (an id '../x' wrote outside --config-dir)."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", run_id)
    return "_" + stem[1:] if stem.startswith(".") else stem


def row_config(row: dict[str, str]) -> dict[str, Any]:
    """A row's architecture cells (validation.run_model) as a Hugging Face config.json, in the key names
    `plan --model` reads (workload.presets.load_hf_config): llama-style, a DeepSeek-V3's multi-head latent attention,
    a Qwen/Mixtral/DeepSeek mixture of experts, transformers >= 4.53 layer_types for the windowed layers, GPT-J's
    model_type for a parallel attention + MLP block, else the declared pre-norm block."""
    from accelopt.workload.presets import DECLARED_BLOCK, DECLARED_BLOCK_KEY

    def num(col: str) -> int:
        return int(row[col].strip())

    def given(col: str) -> bool:
        return bool((row.get(col) or "").strip())

    cfg: dict[str, Any] = {
        "_name_or_path": row["id"], "num_hidden_layers": num("layers"), "hidden_size": num("hidden"),
        "num_attention_heads": num("heads"), "intermediate_size": num("ffn"), "vocab_size": num("vocab"),
        "max_position_embeddings": num("seq"), "hidden_act": "silu" if row["mlp"].strip() == "swiglu" else "gelu",
        "tie_word_embeddings": given("tied") and bool(num("tied"))}
    for col, key in (("kv_heads", "num_key_value_heads"), ("head_dim", "head_dim"),
                     ("sliding_window", "sliding_window"), ("q_lora_rank", "q_lora_rank"),
                     ("kv_lora_rank", "kv_lora_rank"), ("qk_nope_head_dim", "qk_nope_head_dim"),
                     ("qk_rope_head_dim", "qk_rope_head_dim"), ("v_head_dim", "v_head_dim"),
                     ("experts", "num_experts"), ("top_k", "num_experts_per_tok"),
                     ("moe_ffn", "moe_intermediate_size"), ("shared_experts", "n_shared_experts"),
                     ("first_dense", "first_k_dense_replace"), ("moe_every", "decoder_sparse_step")):
        if given(col) and not (col == "kv_heads" and num(col) == 0):  # kv_heads 0: as blank (run_model)
            cfg[key] = num(col)
    if given("sliding_window_layers"):  # each layer's kind: the windowed ones first
        windowed = num("sliding_window_layers")
        cfg["layer_types"] = ["sliding_attention"] * windowed + ["full_attention"] * (num("layers") - windowed)
    if given("moe_expert_bias") and num("moe_expert_bias"):
        # biased routed experts: a GPT-OSS (transformers GptOssExperts has gate_up_proj_bias and down_proj_bias; no
        # config key says them, the model type does: presets.load_hf_config)
        cfg["model_type"] = "gpt_oss"
    elif given("parallel") and num("parallel"):
        cfg["model_type"] = "gptj"  # GPT-J: attention and MLP in parallel on one LayerNorm (PaLM sec. 2's block)
    else:  # the common pre-norm block, declared: read back without the unknown-type note (presets.DECLARED_BLOCK)
        cfg[DECLARED_BLOCK_KEY] = DECLARED_BLOCK
    return cfg


def model_gaps(row_model: TransformerConfig, read_back: TransformerConfig) -> list[str]:
    """The architecture fields in which the config.json, read back as `--model` reads it, differs from the row's
    (each as 'field: row VALUE, config VALUE'); empty when the config says the row's model."""
    def fields_of(m: TransformerConfig) -> dict[str, Any]:
        out = {f.name: getattr(m, f.name) for f in dataclasses.fields(m) if f.name not in _MODEL_LABELS}
        if m.sliding_window is None:  # no window: how many layers use none (None or 0) says nothing
            out.pop("sliding_window_layers")
        elif m.sliding_window_layers is None:  # None: every layer windowed (TransformerConfig)
            out["sliding_window_layers"] = m.layers
        return out

    want, got = fields_of(row_model), fields_of(read_back)
    return [f"{k}: row {want[k]!r}, config {got[k]!r}" for k in want if want[k] != got[k]]


@dataclass(frozen=True, kw_only=True)
class RowCommand:
    """The command that reproduces one row's prediction, and what it cannot say."""

    id: str
    argv: list[str]
    """`accelopt plan explain ...`'s arguments after the program name."""
    config_path: str | None
    """The config.json written for the row's architecture cells (None: the row's model cell names its model)."""
    gaps: list[str] = field(default_factory=list)
    """What the command does not reproduce (empty: all of it)."""

    DERIVED_UNITS: ClassVar[dict[str, str]] = {"command": ""}

    @property
    def command(self) -> str:
        """The command line, quoted for a POSIX shell."""
        return shlex.join(["accelopt", *self.argv])


def write_row_command(row: dict[str, str], folder: Path, calibration: str | None = None,
                      catalog: tuple[str, ...] = ()) -> RowCommand:
    """The `plan explain` command of a runs-file row (validation.run_query's inputs as flags); the row's architecture
    cells written as FOLDER/ID.config.json first (a file already there is kept when it holds the same config, and
    refused otherwise: nothing of the user's is overwritten). A row whose model cell names its model uses the cell."""
    from accelopt.workload.presets import get_model

    query = run_query(row, calibration, catalog)
    unmapped = unmapped_query_fields()
    gaps = [f"the predictor input(s) {', '.join(unmapped)} have no flag here"] if unmapped else []
    cell = (row.get("model") or "").strip()
    if cell:
        return RowCommand(id=row["id"], argv=plan_argv(query, cell), config_path=None, gaps=gaps)
    path = folder / f"{_file_stem(row['id'])}.config.json"
    text = json.dumps(row_config(row), indent=1) + "\n"
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--config-dir {str(folder)!r} is a file, not a folder",
                         "pass --config-dir a folder (it is made when missing)")
    try:
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old is None:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot write the config of run {row['id']!r} to {path}: {e.strerror or e}",
                         "pass --config-dir a folder you can write to") from None
    if old is not None and old != text:
        raise InputError(f"{path} exists and holds another config than run {row['id']!r}'s architecture cells",
                         "pass --config-dir another folder, or move that file away (it is not overwritten)")
    gaps += [f"the config.json does not say the row's {g}" for g in model_gaps(run_model(row), get_model(str(path)))]
    return RowCommand(id=row["id"], argv=plan_argv(query, str(path)), config_path=str(path), gaps=gaps)


@dataclass(frozen=True, kw_only=True)
class RowReproduction:
    """One row's validate result (published vs predicted) and the command that reproduces its prediction."""

    result: RunResult
    command: RowCommand
    notes: list[str] = field(default_factory=list)
    """The report's input notes on this row of a --runs file (validation.row_input_notes: blank cells read as 0, a
    default bucket, a default used, its params_b warning; the command adds its hardware cell's busy-probed spec
    and its model cell's unmodelled config.json keys); [] for the bundled file, as its report has none."""


@dataclass(frozen=True, kw_only=True)
class RowProblem:
    """A run named by --row that cannot be predicted: its id, and the error and fix that name the problem."""

    id: str
    error: str
    fix: str


@dataclass(frozen=True, kw_only=True)
class ValidateRowDocument:
    """`accelopt validate --row ID --json`: each named run's validate result and the `plan explain` command that
    reproduces its prediction. Not a run of its own: not recorded, no HTML page (schema.DOCUMENT_CLASSES)."""

    SCHEMA_KIND: ClassVar[str] = "validate-row"
    SCHEMA_VERSION: ClassVar[int] = 4
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2, 3)
    """Version 2 adds each run's notes (default []: the report's input notes on that row), version 3 input_notes,
    version 4 not_predicted (each default []), so versions 1 to 3 read."""

    runs: list[RowReproduction]
    input_notes: list[str] = field(default_factory=list)
    """The report's input notes on its --calibration file (ValidateResult.input_notes, as `validate --calibration`
    gives them): a [family.NAME] table that drops the bundled stack tables or whose match fits no named run's device,
    a fitted_on id naming no run of the runs file nor of the bundled file, or a named run predicted with another
    table; [] without --calibration. They went to stderr alone (ut4left)."""
    not_predicted: list[RowProblem] = field(default_factory=list)
    """The runs named by --row that cannot be predicted, each with its error and fix (the command exits 2, its stderr
    naming them; the document held only the runs predicted, rev2)."""


def own_file_hint(e: InputError, runs_path: str | None) -> InputError:
    """An unknown --row id's error, with the bundled file read (no --runs): the fix also says where a run of the
    user's own file is found. `validate --row my-run` without --runs offered the five bundled ids nearest by
    spelling, none of them the user's (ut5val)."""
    if runs_path is not None:
        return e
    return type(e)(e.problem, f"{e.fix}; a run of your own runs file: add --runs FILE")


def _serving_ids() -> set[str]:
    """The ids of the bundled serving runs file (serving_validation._training_ids' counterpart)."""
    from accelopt.predict.serving_validation import read_serving_runs

    return {r["id"] for r in read_serving_runs(None)[0]}


def row_commands(ids: tuple[str, ...], folder: Path, runs_path: str | None = None, calibration: str | None = None,
                 catalog: tuple[str, ...] = (), *, failed: list[InputError] | None = None) -> list[RowReproduction]:
    """`validate --row ID ...`: each named row of the runs file (the bundled one when `runs_path` is None) reproduced
    as `validate` does, and its `plan explain` command (write_row_command, configs under `folder`). An id no row
    has is an error naming the nearest ones, before any file is written. A row that cannot be predicted (a layout
    its cells make invalid, a bad params_b) raises its InputError, or with `failed` given is added there and the
    other rows are still reproduced: `--row A --row B` stopped at A's error without B's figures (ut4left)."""
    from accelopt.predict.calibration import load_calibrations

    rows = {r["id"]: r for r in read_runs(runs_path)}
    for rid in ids:
        if rid not in rows and runs_path is None and rid in _serving_ids():
            raise InputError(f"{rid!r} is a serving run (the bundled serving runs file), not a training run",
                             f"add --serving: `accelopt validate --serving --row {rid}` prints its `plan serve` "
                             "command")
        if rid not in rows and runs_path is not None and rid in {r["id"] for r in read_runs(None)}:
            # a bundled run's id with a user's --runs file: 'unknown run id' with the file's ids (ut4left)
            raise InputError(f"{rid!r} is a run of the bundled training runs file, not of --runs {runs_path}",
                             f"leave --runs out for it: `accelopt validate --row {rid}`")
        if rid not in rows:
            raise own_file_hint(unknown_name("run id", rid, list(rows), listed_by="accelopt validate" + (
                f" --runs {runs_path}" if runs_path else "")), runs_path)
    cals = load_calibrations(calibration)
    out = []
    for rid in dict.fromkeys(ids):
        try:
            check_params([rows[rid]])  # a params_b cell the report refuses (utval)
            result = reproduce(rows[rid], cals, catalog)
            out.append(RowReproduction(result=result,
                                       command=write_row_command(rows[rid], folder, calibration, catalog),
                                       notes=row_input_notes(rows[rid], result, cals, catalog) if runs_path else []))
        except InputError as e:
            if failed is None:
                raise
            failed.append(e)
    return out
