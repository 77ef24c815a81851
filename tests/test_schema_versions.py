"""A result's JSON shape does not change under the same schema version (accelopt.report.schema: "Bump a kind's
SCHEMA_VERSION whenever its shape changes").

`validate --serving --json` kept declaring version 1 after its rows gained `fits`, `memory_bytes_per_device` and
`usable_memory_bytes_per_device`. SHAPES records each kind's version with a fingerprint of its JSON Schema (field
names, types, units, required fields; descriptions left out): a change of shape without a new version fails here.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from accelopt.report import schema

SHAPES = {  # kind -> (schema version, shape fingerprint at that version)
    "probe": (12, "7c25fbb9b3802b02"),  # 3: collectives figures p10_s/p90_s/spread, collectives.contention;
    # 4: a figure's spread is that of its rates (same shape, new meaning; older documents upgraded);
    # 5: a figure's unit is 'FLOP/s' or 'B/s' (accelopt.units' names, an enum; was a free 'flop_per_s' string);
    # 6: the matmul ladder and the op-size curve fitted on it (ladder_dtype, ladder, curve_*; 5 reads)
    # 7: curve_fit_error, curve_warning (a fit past MEASURED_CURVE_MAX_ERROR is warned of; 5 and 6 read)
    # 8: collectives.link_model_error, link_model_error_size_bytes, link_warning (the link latency from the line
    # through the smallest and largest all-reduce; 5 to 7 read)
    # 9: collectives.figures[].asked_size_bytes (the size asked for where the ranks moved another; 5 to 8 read)
    # 10: core_share, core_share_note (the share of a CPU entry's cores the probe ran on; 5 to 9 read)
    # 11: collectives.link_model_tolerance, other_ops_model_checks (plan's model of the other collectives judged by
    # the +-25% tolerance; 5 to 10 read; utdist, 2026-12-06)
    # 12: collectives.figures[].model_time_s, model_error (plan's model beside each measured collective; 5 to 11
    # read; ut4dist, 2026-12-06)
    "profile": (7, "27113c2c3e73627e"),  # 2: samples_per_s is samples/s (was count); 3: diagnosis.withheld,
    # diagnosis.withheld_recommendations (a withheld diagnosis's recommendations moved there; 1 and 2 read);
    # 4: optimize_command (the optimize run of the model and shape profiled, default null; 1 to 3 read);
    # 5: ceilings.vector_peak_label (which peak the non-matmul roof is, default 'fp32 vector'; 1 to 4 read)
    # 6: memory.buffers_bytes (the model's registered buffers, default 0; 1 to 5 read; ut3misc, 2026-12-06)
    # 7: input_dependence (forward work of two batches compared, default null; 1 to 6 read; ut5prof, 2026-12-06)
    "plan": (21, "8adef3c3982936e1"),  # 2: optimizer_state_bytes is B/param (was B); ep_a2a_overlap (default false);
    # 3: model_figures (params_total, params_active, training_flops_per_token, seq_len); fp8_recipe (default delayed)
    # 4: attention_kernel (default fused); tp_overlap_cfg (--tp-overlap-cfg, default ''); 5: input_warnings;
    # 6: attention_unpad (--attention-unpad, default false); 7: dp_bucket_params (--dp-bucket-params, default null);
    # 8: recompute_modules (--recompute-modules, default []); 9: best[] etc. recompute_modules (the modules a row redoes
    # beyond its recompute mode, default []); 10: closest_to_limits (the layouts that fit memory nearest --deadline /
    # --budget-usd when none meets them, default []); 11: eager_cross_entropy (--eager-cross-entropy, default false)
    # 12: skipped_options (device not searched -> the flag it cannot run; default {})
    # 13: fp8_output_head (--fp8-output-head, default false); 14: moe_dispatcher (--moe-dispatcher, default alltoall)
    # 15: moe_router_dtype (--moe-router-dtype, default bf16); 16: moe_grouped_mlp (--moe-grouped-mlp, default te)
    # 17: cudnn_before_9_17 (--cudnn-before-9-17, default false; rgb300, 2026-12-05)
    # 18: vocab_tiling (--vocab-tiling, MaxText's num_vocab_tiling, default 1; rmemfit, 2026-12-05)
    # 19: rope_fusion (--rope-fusion fused|unfused, default fused; ryarn, 2026-12-05)
    # 20: te_cross_entropy (--te-cross-entropy, default false; rtece, 2026-12-05)
    # 21: axes.recompute (plan --recompute, the recompute modes searched, default null; ut3plan, 2026-12-06)
    "plan-workload": (4, "a9c7fde1161fee3d"),  # 3: input_warnings (default []); 4: notes (defaults used; default [])
    "plan-explain": (19, "fd56d4df68afd0c9"),  # 2: optimizer_state_bytes is B/param; ep_a2a_overlap; 3: model_figures;
    # fp8_recipe; 4: attention_kernel (default fused); tp_overlap_cfg; 5: input_warnings (default []);
    # 6: attention_unpad (default false); 7: dp_bucket_params (default null); 8: recompute_modules (default []);
    # 9: prediction.recompute_modules (default []); 10: eager_cross_entropy (default false)
    # 11: fp8_output_head (--fp8-output-head, default false); 12: moe_dispatcher (--moe-dispatcher, default alltoall)
    # 13: moe_router_dtype (--moe-router-dtype, default bf16); 14: moe_grouped_mlp (--moe-grouped-mlp, default te)
    # 15: cudnn_before_9_17 (--cudnn-before-9-17, default false); 16: vocab_tiling (--vocab-tiling, default 1)
    # 17: rope_fusion (--rope-fusion, default fused) and the term t_rope_unfused_s (ryarn, 2026-12-05)
    # 18: te_cross_entropy (--te-cross-entropy, default false; rtece, 2026-12-05)
    # 19: gemm_curve (the headline's eff(F): eff_max, half_flop, the fp8 linear layers' own; default null; ut2runs)
    "plan-serve": (21, "5a8aa3a560cc054b"),  # 3: calibration.published_runs_of_device; 4: calibration.tp_allreduce;
    # 5: points[].expert_weight_dtype, expert_compute_dtype (--expert-weight-dtype); 6: input_warnings;
    # 7: points[].pp_microbatches (default 1), calibration.pp_microbatches (--pp-microbatches, default null);
    # 8: calibration.max_batch_size_per_microbatch (the --engine's cap rule with --pp, default null);
    # 9: points[].prefill / decode_step.launch_floor_s (a fitted NVIDIA table's launch floor, default 0)
    # 10: calibration.int8_weight_only_bandwidth_ratio (int8 weight-only reads, default 1.0; 9 reads)
    # 11: errors[].memory (the memory terms as numbers where not one request fits, default null; 10 reads)
    # 12: calibration.per_step_overhead_layers (default null), calibration.per_layer_overhead (default false): a
    # host-launched engine's per-forward overhead charged per layer (srvlayer, 2026-12-05; 11 reads)
    # 13: points[].requests, last_wave_batch (--requests: a finite max-load run's waves, rwaves; default null; 12 reads)
    # 14: model (the model's name at the top, also where no device holds it; default ''; 13 reads)
    # 15: calibration.fp4_mla_kv_pools (TensorRT-LLM's FP4 MLA cache layout, --engine trtllm; default false; 14 reads)
    # 16: calibration.pp_host_per_request_s (default 0), pp_host_loop (default false), points[].pp_host_round_s
    # (default 0): TensorRT-LLM's blocking PP loop's host time per request in flight (rpphost; 15 reads)
    # 17: calibration.derived_from, derived_fields, derived_on (a [serving.*] table derived from a measurement, not
    # fitted; defaults '' / []; rmi355, 16 reads)
    # 18: calibration.token_buckets, points[].tpot_p50_s (--token-buckets: each decode step at its bucket's length,
    # the median step beside the mean TPOT; defaults null; rtrn4, 17 reads)
    # 19: points[].lengths_run (--lengths FILE: requests of different lengths, default null; pvar, 2026-12-06)
    # 20: points[].decode_weight_rate (the decode weights read at the device's measured GEMM rate at its batch,
    # predict/data/measured_decode_gemm.csv; default null; rt4, 19 reads)
    # 21: calibration.engine, engine_fitted_on (the [serving.NAME.engine.ENGINE] overlay taken; defaults '' / [];
    # peng, 20 reads)
    "validate": (6, "6aba4d5964ccce72"),  # 3: runs[] memory_bytes_per_device, memory_capacity_bytes, assumed, fits;
    # 4: runs[] calibration_tag, calibration_basis (an uncalibrated --catalog device said so; defaults '')
    # 5: input_notes (a --runs file's blank-cell / +sp / uneven-batch notes, stderr only before; default [])
    # 6: input_files (the runs and calibration files read, with their SHA-256, for history compare; default [])
    "simulate-run": (4, "1621affee4ab55df"),  # 2: roofline.ridge_mac_per_byte is MAC/B (was OP/B); 3:
    # layers[].latency_cycles (the DRAM latency a layer waits, 0 where SCALE-Sim's buffers are replayed)
    # 4: interrupted (Ctrl-C kept the layers done, a partial run; false before, 3 reads)
    "simulate-sweep": (1, "94c9aaca46b0185f"),
    "catalog-compare": (1, "47d86a7e0fa5e8d4"),
    "optimize": (7, "0bd974e73e697f13"),  # 2: samples_per_s is samples/s (was count); 3: baseline_thread_slowdown;
    # 4: contention (what disturbed the timing, as profile records it; 3 reads); 5: quality.own_train_steps,
    # same_budget_baseline, same_budget_steps (the baseline trained as long as the variant; 4 reads); 6: metric and
    # quality.metric null where none was measured (no eval_batches), metric_note (default ''; 5 reads); 7:
    # quality.outputs (each output's drift; default []) and output_tolerance (default false; 6 reads)
    "plan-infer": (4, "235d83b185487f03"),  # 2: throughput_per_s inferences/s (was count),
    # inferences_per_j inferences/J (was none); 3: input_warnings (default ()); 4: unranked (default ())
    "validate-inference": (3, "0996dc92dd8b57d8"),  # 2: by_source, by_family, by_precision (default []), runs[]
    # source_key, dtype, family (default ''; 1 reads); 3: input_warnings (rows whose role the family's fitted_on
    # contradicts; default [])
    "validate-serving": (4, "313ea208188d1006"),  # 2: rows gained fits and the two memory fields; 3: input_warnings
    # 4: input_files (default [])
    "profile-distributed": (11, "9ecd8dfb58b3a42b"),  # 2: prediction_left_out; 3: unused_parameters, contention, notes;
    # 4: partition.unlimited (the split without --stage-memory-gib); 5: partition.naive_cut_ties,
    # partition.layers[].frozen_param_bytes and optimizer_state_bytes; 6: ranks[].step_p10_s and step_p90_s (and
    # single's: the spread of the timed steps); 7: partition.bottleneck_layer and balance_floor (derived: a layer
    # longer than the mean stage, which no split balances); 8: prediction.terms[].tolerance and within_tolerance
    # (2026-12-04, leftovers: the bar each predicted term is judged by); 9: ranks[].comm.own_work_s, busiest_rank and
    # work_straggler_ratio (derived: the rank the others wait for in their collectives; utdist3, 2026-12-05);
    # 10: ranks[].op_overhead_s, op_overhead_ops, p2p_latency_s and prediction.inputs (measured vs assumed; utdist)
    # 11: ranks[].comm.profiled_steps_s, comm_steps_s, compute_steps_s, prediction.terms[].measured_steps,
    # measured_low_s, measured_high_s (the count and spread of the profiled steps; ut2dist, 2026-12-06)
    # profile-partial 2: failed (the error that stopped a later pass; default ""); 3: stopped_by (utcode)
    # 4: memory.buffers_bytes (default 0; ut3misc, 2026-12-06)
    "profile-partial": (4, "566a58d8c16f9d8e"),
    # profile-distributed-partial 1: its first shape (nproc, 2026-12-05); 2: failed (a rank's error that stopped the
    # run after steps were measured, default ""; utdist, 2026-12-05); 3: stopped_by (utcode); 4: ranks[].losses and the
    # derived global_losses (the finished steps' losses kept; 1 to 3 read; ut4dist, 2026-12-06)
    "profile-distributed-partial": (4, "f732bd2574999e63"),
    "simulate-published": (3, "393cede5fe63c345"),  # 3: Eyeriss Table V rows in mW, ms, MB, GMAC
    # (were count)
    # documents that are not results (schema.DOCUMENT_KINDS): 1 = their first declared shape
    "history-list": (2, "e1efcd0ed5e17c0a"),  # 2: runs[].busy_machine (default [], 1 reads)
    "history-show": (1, "0e2fdcbf43066c91"),
    "history-compare": (4, "be9424c8645e387e"),  # 2: a/b subject; 3: inputs_warning; 4: validate (moved runs)
    "history-prune": (1, "0538e9b1e68f10bc"),
    "history-import": (1, "c0a191be4196c8d4"),
    "env": (3, "57abd9c604347e22"),  # 2: usable_cores, usable_cores_note (the cgroup CPU quota or affinity);
    # 3: usable_cores null where a version-1 document did not record it (READS_VERSIONS 1, 2)
    "catalog-list": (2, "a859f6a8f04a7c19"),  # 2: each row's compute_capability (1 reads)
    "catalog-show": (2, "fe5598db4b8b73de"),  # 2: compute_capability, compute_capability_source (1 reads)
    "plan-models": (1, "61e0db5925142efc"),  # plan --list-models --json (a bare list before)
    "plan-infer-models": (1, "00ef6e33a033dcc0"),  # plan infer --list-models --json (a bare list of dicts before)
    "simulate-presets": (1, "faa04652e4f8a8ff"),  # simulate presets --json (a bare list before)
    "simulate-export": (1, "0077af17ed505d93"),  # simulate export --json (an unnamed object before)
    "schema-list": (1, "137a20d11e7747c1"),  # schema --list --json (an unnamed {"kinds": [...]} before)
    "validate-row": (4, "14937cd8a33b1c56"),  # validate --row ID --json (valcmd, 2026-12-04); 2: runs[].notes
    # (default [], 1 reads; utleft5, 2026-12-06); 3: input_notes, the report's --calibration notes (2 reads; ut4left)
    # 4: not_predicted, the runs --row names that cannot be predicted, with their error and fix (3 reads; rev1, rev2)
    "validate-serving-row": (1, "d13667c06959cde5"),  # validate --serving --row ID --json (it exited 2; ut5val)
    "error": (1, "16c86a475cd57ca6"),  # a --json command's bad-input exit 2 (an empty stdout before)
}


def _shape(node: Any) -> Any:
    """The JSON Schema without its prose (description, title) and the version constant."""
    if isinstance(node, dict):
        return {k: _shape(v) for k, v in node.items() if k not in ("description", "title", "schema_version")}
    if isinstance(node, list):
        return [_shape(v) for v in node]
    return node


def fingerprint(kind: str) -> str:
    text = json.dumps(_shape(schema.json_schema(kind)), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_every_kind_is_recorded() -> None:
    assert set(SHAPES) == set(schema.KINDS) | set(schema.DOCUMENT_KINDS)


@pytest.mark.parametrize("kind", [*schema.KINDS, *schema.DOCUMENT_KINDS])
def test_a_new_shape_has_a_new_version(kind: str) -> None:
    version, recorded = SHAPES[kind]
    now = schema.result_class(kind)[1]
    shape = fingerprint(kind)
    assert now >= version, f"{kind}: schema version {now} is below the recorded {version}"
    if now == version:
        assert shape == recorded, (
            f"{kind}'s JSON shape changed under version {now}: bump its SCHEMA_VERSION, list {now} in READS_VERSIONS "
            f"(fields added with defaults) or UPGRADES, regenerate docs/schemas.md, and record "
            f'"{kind}": ({now + 1}, "{shape}") here')
    else:  # a bump not yet recorded
        pytest.fail(f'{kind} is now version {now}: record "{kind}": ({now}, "{shape}") here')


def test_validate_serving_version_1_document_still_loads() -> None:
    from accelopt.predict.serving_validation import GroupError, ServingRunResult, ServingValidateResult

    row = ServingRunResult(id="r", source="s", engine="trtllm", hardware="h100-sxm", family="nvidia-hopper",
                           calibration="nvidia-hopper", model="llama3-8b", tp=1, precision="fp8/fp8", prompt_len=128,
                           output_len=128, batch=8, metric="output_tok_s", published=100.0, predicted=110.0,
                           role="test", memory_bytes_per_device=40e9, usable_memory_bytes_per_device=70e9)
    res = ServingValidateResult(runs=[row], median_abs_error_held_out=0.1, worst_abs_error_held_out=0.1,
                                worst_held_out_id="r", median_abs_error_fit=float("nan"),
                                groups=[GroupError(group="family", name="nvidia-hopper", rows=1, median_abs_error=0.1,
                                                   worst_abs_error=0.1, worst_id="r")], sources={"s": "cited"})
    doc = schema.dump("validate-serving", res)
    assert doc["schema_version"] == 4 and doc["runs"][0]["fits"] is True
    added = ("fits", "memory_bytes_per_device", "usable_memory_bytes_per_device")
    v1 = {**{k: v for k, v in doc.items() if k not in ("input_warnings", "input_files")}, "schema_version": 1,
          "runs": [{k: v for k, v in r.items() if k not in added} for r in doc["runs"]]}
    old = schema.load("validate-serving", v1)
    assert old.runs[0].memory_bytes_per_device is None and old.runs[0].fits is None
    assert old.runs[0].error == pytest.approx(0.1)


def test_validate_version_2_document_still_loads() -> None:
    from accelopt.predict.validation import RunResult, ValidateResult

    row = RunResult(id="r", source="s", hardware="h100-sxm", devices=8, published_step_s=2.0, predicted_step_s=2.2,
                    published_mfu=None, predicted_mfu=0.4, fitted=False, memory_bytes_per_device=90e9,
                    memory_capacity_bytes=80e9)
    res = ValidateResult(runs=[row], median_abs_error_held_out=0.1, median_abs_error_all=0.1,
                         median_abs_error_held_out_by_source={}, by_source=[], by_family=[], by_precision=[])
    doc = schema.dump("validate", res)
    assert doc["schema_version"] == 6 and doc["runs"][0]["fits"] is False
    added = ("fits", "memory_bytes_per_device", "memory_capacity_bytes", "assumed", "calibration_tag",
             "calibration_basis")
    v2 = {**{k: v for k, v in doc.items() if k not in ("input_notes", "input_files")}, "schema_version": 2,
          "runs": [{k: v for k, v in r.items() if k not in added} for r in doc["runs"]]}
    old = schema.load("validate", v2)
    assert old.runs[0].memory_bytes_per_device is None and old.runs[0].fits is None and old.runs[0].assumed == []
    assert old.runs[0].error == pytest.approx(0.1)


# ---------------------------------------------------------------- declared units agree with the field names
# A field's name says what it holds (DESIGN.md: units in names); the unit it declares must be one of these. Written
# by hand from the naming convention, not read from the classes: profile's samples_per_s declared 'count' (a rate
# is not a count), plan infer's inferences_per_j declared nothing, Eyeriss's power_mw a 'count'.
RATES = {"B/s", "FLOP/s", "OP/s", "tok/s", "Hz", "samples/s", "inferences/s"}
SUFFIX_UNITS = (  # (name ending, units it may declare); the first ending that matches decides
    ("_byte_per_s", {"B/s"}), ("_flop_per_s", {"FLOP/s"}), ("_op_per_s", {"OP/s"}), ("tokens_per_s", {"tok/s"}),
    ("tokens_per_s_per_device", {"tok/s"}), ("_per_s", RATES), ("_per_j", {"inferences/J", "FLOP/J"}),
    ("_flop_per_byte", {"FLOP/B"}), ("_mac_per_byte", {"MAC/B"}), ("_per_byte", {"OP/B", "FLOP/B"}),
    ("_per_mac", {"count"}), ("tops_per_w", {"TOPS/W"}),
    ("_bytes", {"B"}), ("_s", {"s"}), ("_j", {"J"}), ("_w", {"W"}), ("_hz", {"Hz"}), ("_usd", {"USD"}),
    ("_mw", {"mW"}), ("_ms", {"ms"}), ("_mb", {"MB"}), ("_fraction", {"fraction"}), ("_nm", {"nm"}),
    ("_v", {"V"}), ("_flops", {"FLOP"}),
)


def _declared_units(kind: str) -> list[tuple[str, str, str]]:
    """(object, field, declared unit) of every field of kind's JSON Schema that declares a unit (derived ones too)."""
    s = schema.json_schema(kind)
    out = []
    for obj, node in [("", s), *s["$defs"].items()]:
        for name, prop in node.get("properties", {}).items():
            if isinstance(prop.get("unit"), str):
                out.append((obj, name, prop["unit"]))
    return out


PER_PARAMETER = {("", "optimizer_state_bytes")}  # plan's --optimizer-bytes: bytes per parameter, not a size


def _allowed(obj: str, name: str) -> set[str] | None:
    if (obj, name) in PER_PARAMETER:
        return {"B/param"}
    for ending, units in SUFFIX_UNITS:
        if name.endswith(ending):
            return units
    return None


@pytest.mark.parametrize("kind", schema.KINDS)
def test_declared_units_match_the_field_names(kind: str) -> None:
    wrong = [f"{obj or kind}.{name}: {u!r}, not one of {sorted(allowed)}" for obj, name, u in _declared_units(kind)
             if (allowed := _allowed(obj, name)) is not None and u not in allowed]
    assert not wrong, wrong


def test_rates_are_not_counts() -> None:
    """A field named per second is a rate on every schema, never a 'count' (profile's and optimize's samples_per_s,
    plan infer's throughput_per_s were)."""
    counts = [(kind, obj, name) for kind in schema.KINDS for obj, name, u in _declared_units(kind)
              if (name.endswith("_per_s") or "_per_s_" in name) and u == "count"]
    assert counts == []


def test_every_field_ending_in_a_unit_declares_one() -> None:
    """inferences_per_j declared no unit ('') though its name says per joule."""
    missing = []
    for kind in schema.KINDS:
        s = schema.json_schema(kind)
        for obj, node in [("", s), *s["$defs"].items()]:
            for name, prop in node.get("properties", {}).items():
                if name.endswith(("_per_s", "_per_j", "_bytes", "_j", "_w")) and not prop.get("unit"):
                    missing.append(f"{kind}:{obj}.{name}")
    assert missing == []


@pytest.mark.parametrize("kind", ["plan", "plan-explain"])
def test_plan_optimizer_bytes_are_per_parameter(kind: str) -> None:
    """--optimizer-bytes is bytes per parameter (12 for Adam's fp32 master copy and moments), declared 'B': a page
    or a reader of the JSON took 12 for the state's size."""
    assert schema.json_schema(kind)["properties"]["optimizer_state_bytes"]["unit"] == "B/param"


@pytest.mark.parametrize(("kind", "old"), [("profile", 1), ("optimize", 1), ("plan-infer", 1),
                                           ("simulate-published", 2), ("plan", 1), ("plan-explain", 1),
                                           ("simulate-run", 1)])
def test_documents_of_the_version_before_the_unit_fix_still_load(kind: str, old: int) -> None:
    """The unit bump changed no value: a document written before it (history, saved --json) still reads."""
    cls, version = schema.result_class(kind)
    assert version > old and old in cls.READS_VERSIONS  # (later bumps may follow: plan 3 added model_figures)
