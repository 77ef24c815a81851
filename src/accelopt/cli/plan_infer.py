"""`accelopt plan infer MODEL`: predicted inference latency, throughput, memory, energy and cost per device.

`cli/plan.py` calls `register_infer(plan_app)` to add the subcommand to its `plan` group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import typer

from accelopt.cli.html_first import HTML_RULE

INFER_HELP = """Predict inference of any model on edge and data-center devices: latency per request (batch 1 =
single stream), throughput (larger batches = offline), memory (weights + activations + runtime workspace; no
gradients or optimizer state), energy per inference, inferences per joule, cost per million inferences, and
which op classes bound it (roofline). Each device runs the precision it has (int8 on the Edge TPU), printed with
the quality risk; ops a device cannot run are counted on the host with the transfer; weights beyond an
accelerator's on-chip memory stream from the host every inference (the Edge TPU's 8 MB). All figures are
estimates (accelopt.predict.inference).

\b
MODEL is one of:
  a built-in example   resnet50 (v1.5; resnet50-v1 is the paper's), resnet152, mobilenet-v1, mobilenet-v2,
                       vgg16, vgg19 (vision), kws-dscnn (speech), bert-base (text)
  a zoo name           mlp, gpt, bert, resnet (with --size)
  path/file.py:factory a function returning accelopt.workload.userfile.ModelBundle
  a HF config dir      or config.json (built on the meta device: shapes only, no weights; needs the hf extra;
                       token ids in, or pixels for a ViT-style config with image_size and patch_size)
  a workload JSON      saved by `accelopt profile MODEL --mode inference --save-workload FILE`

MODEL may also be given as --model MODEL (-m), as `plan` and `plan serve` take it.

\b
  accelopt plan infer resnet50 --hardware jetson-agx-orin,edge-tpu,h100-sxm --batch 1,8,64
  accelopt plan infer mobilenet-v2 --latency-budget-ms 33 --objective energy
"""


DEFAULT_BATCHES = "1,8,64"
"""Batches planned when --batch is not given (a saved workload JSON: its own, the one batch it holds)."""


@dataclass(kw_only=True)
class InferOptions:
    """The `plan infer` command line, as typed (checked by run_infer)."""

    model: str | None
    hardware: str = "all"
    batch: str | None = None
    """None: not typed (DEFAULT_BATCHES, or a saved workload's own batch)."""
    dtype: str = "fp16"
    latency_budget_ms: float | None = None
    objective: str = "energy"
    host: str | None = None
    catalog: tuple[Path, ...] = ()
    """Extra catalog TOML files whose devices --hardware and --host may name (as `plan`, `plan serve`)."""
    input_size: int | None = None
    size: str | None = None
    runtimes: str | None = None
    list_models: bool = False
    as_json: bool = False
    html: str | None = None


def register_infer(plan_app: typer.Typer) -> None:
    """Add `infer` to the `plan` command group."""
    from accelopt.cli.catalog import CATALOG_HELP
    from accelopt.cli.plan import RANGE_SYNTAX
    from accelopt.cli.profile import ZOO_SIZE_HELP

    @plan_app.command("infer", help=INFER_HELP)
    def infer(
        model: str = typer.Argument(None, help="built-in example, zoo name, file.py:factory, HF config, or an "
                                               "inference workload JSON"),
        model_option: str = typer.Option(None, "--model", "-m", help="MODEL given as an option, as `plan` and "
                                                                     "`plan serve` take it (the same meaning)"),
        hardware: str = typer.Option("all", "--hardware", help="comma-separated catalog devices or spec TOML "
                                                               "paths; 'all' = every catalog device"),
        batch: str = typer.Option(None, "--batch", help=f"batch sizes, a list such as 1,8,64, or {RANGE_SYNTAX}; "
                                                        "batch 1 gives the single-stream latency (default "
                                                        f"{DEFAULT_BATCHES}; a workload JSON: its own batch)"),
        dtype: str = typer.Option("fp16", "--dtype", help="precision asked for: int8, fp16, bf16, fp32 (tf32, "
                                                          "fp8, int4); a device without it runs the one it has"),
        latency_budget_ms: float = typer.Option(None, "--latency-budget-ms",
                                                help="keep devices whose latency at the smallest --batch (batch 1, "
                                                     "the single stream, by default) meets this (e.g. 33 for "
                                                     "30 frames/s) and rank them by --objective"),
        objective: str = typer.Option("energy", "--objective", help="rank by energy (J/inference), cost ($/M "
                                                                    "inferences), power (W) or latency"),
        host: str = typer.Option(None, "--host", help="catalog CPU that runs the ops a device cannot (default: "
                                                      "the device family's, see predict/data/inference.toml)"),
        input_size: int = typer.Option(None, "--input-size", help="image side (vision), frames (speech) or "
                                                                  "tokens (text, zoo, HF); a FILE.py:factory gets "
                                                                  "it as seq_len=; default: the model's (an HF "
                                                                  "config: 128 tokens, or its positions if fewer, "
                                                                  "printed as 'default used:')"),
        size: str = typer.Option(None, "--size", help=ZOO_SIZE_HELP),
        runtimes: str = typer.Option(None, "--runtimes", help="inference runtime TOML replacing the bundled "
                                                              "predict/data/inference.toml"),
        catalog: list[Path] = typer.Option([], "--catalog", help=CATALOG_HELP),
        list_models: bool = typer.Option(False, "--list-models", help="print the built-in examples and exit"),
        as_json: bool = typer.Option(False, "--json", help="JSON only on stdout"),
        html: str = typer.Option(None, "--html", help="also write a self-contained HTML report (tables, SVG plots)"
                                                      + HTML_RULE),
    ) -> None:
        o = InferOptions(model=one_model(model, model_option), hardware=hardware, batch=batch, dtype=dtype,
                         latency_budget_ms=latency_budget_ms, objective=objective, host=host, input_size=input_size,
                         size=size, runtimes=runtimes, list_models=list_models, as_json=as_json, html=html,
                         catalog=tuple(catalog))
        infer_command(o)


def infer_command(o: InferOptions) -> None:
    """`plan infer`: list the models, or predict, record and render."""
    if o.list_models:
        _check_list_alone(o)
        _list_models(o.as_json)
        return
    plan, specs = _run_infer(o)
    from accelopt.predict.inference import unfit_error
    from accelopt.report.runs import finish_run

    finish_run("plan-infer", plan, o.html)
    if o.as_json:
        from accelopt.report.jsonout import emit

        emit(plan)
    else:
        print_plan(plan)
    # a batch no device holds: exit 2 after the figures, as `plan serve` does for a batch that does not fit
    if (err := unfit_error(plan, {s.name: s.memory_bytes for s in specs})) is not None:
        raise err


def one_model(argument: str | None, option: str | None) -> str | None:
    """The model of `plan infer MODEL` or `plan infer --model MODEL` (`plan` and `plan serve` take --model, which
    `plan infer` refused as 'No such option'); both given and different is an error naming both."""
    if argument is not None and option is not None and argument != option:
        from accelopt.errors import InputError

        raise InputError(f"two models given: MODEL {argument!r} and --model {option!r}",
                         f"give the model once, as MODEL or as --model: `accelopt plan infer {argument}` or "
                         f"`accelopt plan infer --model {option}`")
    return argument if argument is not None else option


def point_to_infer(model: str) -> None:
    """`plan --model X` where X is a built-in inference example and no training preset: say to use `plan infer`."""
    from accelopt.workload.inference_zoo import EXAMPLES
    from accelopt.workload.presets import list_models

    if model in EXAMPLES and model not in list_models():
        from accelopt.errors import InputError

        raise InputError(f"{model} is a built-in inference example; `plan` plans training of the model presets",
                         f"use `accelopt plan infer {model}` (latency, throughput, memory, energy per inference)")


def _check_list_alone(o: InferOptions) -> None:
    """--list-models prints the examples and exits: a model or plan option beside it (--html x.html) was dropped
    without a word."""
    import dataclasses

    from accelopt.errors import InputError

    ignored = [f.name for f in dataclasses.fields(o) if f.name not in ("list_models", "as_json")
               and getattr(o, f.name) != (f.default if f.default is not dataclasses.MISSING else None)]
    if ignored:
        flags = ", ".join("MODEL" if n == "model" else "--" + n.replace("_", "-") for n in ignored)
        raise InputError(f"--list-models prints the built-in examples only; {flags} would be ignored",
                         "run `accelopt plan infer --list-models` alone (with --json for JSON), then plan a model")


def _list_models(as_json: bool) -> None:
    from accelopt.report.model_documents import InferExampleRow, InferModelsDocument
    from accelopt.workload.inference_zoo import EXAMPLES

    rows = [InferExampleRow(name=e.name, domain=e.domain, input=e.input_desc, source=e.source)
            for e in EXAMPLES.values()]
    doc = InferModelsDocument(count=len(rows), models=rows)
    if as_json:
        from accelopt.report.jsonout import emit

        emit(doc)
        return
    for r in doc.models:
        print(f"{r.name:<14} {r.domain:<7} {r.input:<36} {r.source}")


def _is_workload_file(model: str) -> bool:
    from accelopt.cli.plan import _is_workload

    return _is_workload(model)


def _workloads(model: str, batches: list[int] | None, input_size: int | None, size: str | None) -> dict[int, Any]:
    """batch -> inference Workload, captured per batch (or the saved workload at its own batch; batches None:
    --batch not typed, which a saved workload takes as its own and a model as DEFAULT_BATCHES)."""
    from accelopt.errors import InputError
    from accelopt.workload.inference_zoo import EXAMPLES, capture_inference, captured_example

    if _is_workload_file(model):
        from accelopt.predict.inference import check_inference_workload
        from accelopt.workload.types import Workload

        wl = Workload.load(model)
        check_inference_workload(wl)
        own = int(wl.meta.get("batch_size") or 1)
        if batches is not None and batches != [own]:
            raise InputError(f"a saved workload holds one batch size ({own}); --batch asks for "
                             f"{','.join(map(str, batches))}",
                             f"pass --batch {own}, or give the model itself (zoo name, file.py:factory, HF config) "
                             "so that each batch is captured")
        return {own: wl}
    if batches is None:
        batches = _batch_list(DEFAULT_BATCHES)
    if model in EXAMPLES:
        if size is not None:
            raise InputError("--size applies to zoo models only", "use --input-size for the built-in examples")
        return {b: captured_example(model, b, input_size) for b in batches}  # kept per process: built-in code only
    from accelopt.workload import examples, zoo

    looks_like_path = "/" in model or "\\" in model or ":" in model or model.endswith((".py", ".json"))
    from accelopt.userio import path_exists

    trained = examples.list_examples()  # digits, chargpt: built by _load_bundle like the zoo
    if not looks_like_path and model.lower() not in [*zoo.list_models(), *trained]:
        if not path_exists(model):
            from accelopt.errors import unknown_name

            raise unknown_name("model", model, [*EXAMPLES, *zoo.list_models(), *trained])
        _check_bare_path(model)
    from accelopt.cli.profile import _load_bundle

    out = {}
    for b in batches:
        def make(b: int = b, meta: bool = False) -> Any:
            return _load_bundle(model, size=size, batch_size=b, seq_len=input_size, meta=meta)

        try:
            # weights on the meta device (the capture counts shapes); real random weights only for the CPU capture
            # of a model that cannot run on meta
            shapes = make(meta=True)
            out[b] = capture_inference(shapes, rebuild=partial(_rebuild_on_cpu, make, b, shapes.param_count()))
        except InputError as e:
            # the zoo's and the trained examples' messages name profile's --seq-len; plan infer's flag for the same
            # value is --input-size (it has no --seq-len)
            problem, fix = (t.replace("--seq-len", "--input-size") for t in (e.problem, e.fix))
            if input_size is not None and re.search(r"takes no .*\bseq_len argument", problem):
                # a factory without seq_len was told 'or do not pass that option', an option plan infer does not have
                fix = (f"plan infer passes --input-size {input_size} to a model file's factory as seq_len=: "
                       f"{fix.replace('or do not pass that option', 'or leave --input-size out')}")
            raise InputError(problem, fix) from None
    return out


def _rebuild_on_cpu(make: Any, batch: int, params: int) -> Any:
    """make(batch) (the model with random weights, for a capture on the CPU), said first on stderr: a forward that
    does not run on PyTorch's meta device (GPT-NeoX's and BERT's on transformers 4.31) rebuilt EleutherAI/pythia-2.8b's
    2.8B weights and ran them without a word, over ten minutes on a busy 2-core machine that looked hung (a user
    trial, utmodels)."""
    from accelopt.cli.plan import say_warnings

    say_warnings([f"note: the model does not run on PyTorch's meta device: building its {params:,} parameters with "
                  f"random weights on the CPU and capturing batch {batch} there, which takes far longer than on meta "
                  "for a large model (the notes say why)"])
    return make(batch)


def _check_bare_path(model: str) -> None:
    """A folder or file of the working directory named without a '/' and no model name: a folder is read for its
    config.json; one without it, or a file, was told 'unknown model' with profile's zoo list as the fix (no built-in
    example of plan infer in it), where `./NAME` said what the path lacks."""
    from accelopt.errors import InputError
    from accelopt.userio import path_kind

    kind = path_kind(model, "model")
    config = path_kind(Path(model) / "config.json", "model") if kind == "folder" else "missing"
    if config == "other":  # a named pipe or a device: 'a folder without a config.json' sent the user looking for one
        raise InputError(f"model {model!r} is a folder whose config.json is not a regular file (a named pipe or a "
                         "device)", "replace it with the Hugging Face config.json file (cp, not mkfifo), or give the "
                         "config's path")
    if kind == "folder" and config != "file":
        raise InputError(f"model {model!r} is a folder without a config.json",
                         "give a folder holding a Hugging Face config.json (or the config's path), a built-in example "
                         "(`accelopt plan infer --list-models`) or a zoo name (mlp, gpt, bert, resnet)")
    if kind != "folder":
        raise InputError(f"model {model!r} is a {'file' if kind == 'file' else 'device or pipe'} that plan infer "
                         "cannot read as a model", "pass path/file.py:factory, a Hugging Face config.json (or its "
                         "folder), a saved inference workload JSON, or a built-in example (`accelopt plan infer "
                         "--list-models`)")


def _captured(model: str, batches: list[int] | None, input_size: int | None, size: str | None) -> dict[int, Any]:
    """_workloads, with a batch of inputs too large for this machine's memory (capture makes one on the CPU) named
    as the options that asked for it, not a torch allocator traceback."""
    from accelopt.measure.memory import out_of_memory_as_error

    size_text = f", --input-size {input_size}" if input_size is not None else ""
    largest = (batches or _batch_list(DEFAULT_BATCHES))[-1]
    with out_of_memory_as_error(f"one batch of inputs (--batch up to {largest}{size_text})", "cpu",
                                "use a smaller --batch (or --input-size), or run on a machine with more memory"):
        return _workloads(model, batches, input_size, size)


def run_infer(o: InferOptions) -> Any:
    """Check the options, capture the model at each batch and plan (the library call behind `plan infer`):
    an InferencePlan."""
    return _run_infer(o)[0]


def _run_infer(o: InferOptions) -> tuple[Any, list[Any]]:
    """run_infer's plan and the device specs it planned on."""
    from accelopt.cli.plan import warn_busy_specs
    from accelopt.errors import InputError
    from accelopt.hardware.catalog import get_device, resolve_devices
    from accelopt.predict.inference import (
        OBJECTIVES,
        check_latency_budget,
        load_runtimes,
        plan_inference,
        run_precision,
    )
    if o.model is None:
        raise InputError("MODEL is required", "e.g. `accelopt plan infer resnet50` or `accelopt plan infer --model "
                         "resnet50` (see --list-models)")
    if o.objective not in OBJECTIVES:
        raise InputError(f"--objective {o.objective!r} is not an objective of plan infer",
                         f"use one of {', '.join(OBJECTIVES)}")
    if o.input_size is not None and o.input_size < 1:
        raise InputError(f"--input-size {o.input_size} must be >= 1", "give a positive size, or leave it out")
    batches = _batch_list(o.batch) if o.batch is not None else None
    specs = resolve_devices(o.hardware, o.catalog)
    for s in specs[:1]:
        run_precision(s, o.dtype)  # a bad --dtype fails before any capture
    rts = load_runtimes(o.runtimes)
    def device(name: str) -> Any:  # a --host or a family's host CPU: the --catalog files' devices too
        return get_device(name, o.catalog)

    host_spec = device(o.host) if o.host else None
    busy = warn_busy_specs([*specs, *([host_spec] if host_spec is not None else [])])
    if host_spec is not None and host_spec.kind != "cpu":
        raise InputError(f"--host {o.host!r} is a {host_spec.kind}, not a CPU",
                         "name a catalog CPU, e.g. xeon-8480plus")
    budget_s = o.latency_budget_ms / 1e3 if o.latency_budget_ms is not None else None
    check_latency_budget(budget_s)  # a bad budget is refused before the capture, not after it
    wls = _captured(o.model, batches, o.input_size, o.size)
    plan = plan_inference(wls, specs, dtype=o.dtype, latency_budget_s=budget_s, objective=o.objective, runtimes=rts,
                          host=host_spec, host_resolver=device)
    plan = _say_simulated_uncalibrated(plan, specs, o.model)
    plan = _say_simulated_buffers(plan, specs, wls, o.model)
    plan = _say_which_example(plan, o.model)
    plan = _say_config_notes(plan, wls)
    import dataclasses

    from accelopt.workload.fast_path import fast_path_note

    if (fast := fast_path_note(wls[min(wls)])) is not None:
        plan = dataclasses.replace(plan, notes=(*plan.notes, fast))
    if (unfused := unfused_attention_note(wls[min(wls)])) is not None:
        plan = dataclasses.replace(plan, notes=(*plan.notes, unfused))

    plan = dataclasses.replace(plan, input_warnings=tuple(busy))
    if batches is None and _is_workload_file(o.model):
        own = f"batch {min(wls)}: the one the saved workload holds (no --batch given; a model file or name is " \
              "captured at any --batch)"
        plan = dataclasses.replace(plan, notes=(*plan.notes, own))
    return plan, specs


SOFTMAX_OPS = ("aten._softmax", "aten.softmax", "aten._safe_softmax")


def unfused_attention_note(wl: Any) -> str | None:
    """The note on a workload whose attention was captured unfused: softmax ops over (..., T, T) scores, T its
    sequence length (an HF config under transformers' eager attention). Each is timed and sized
    as the captured op, its T x T scores written to and read from memory, where an inference engine's fused
    attention kernel keeps them on chip (FlashAttention, Dao et al. 2022, sec. 3.1: the scores never reach HBM), so
    their memory-bound time and working set are upper bounds for such an engine; nothing said so. None when no such
    op was captured (a CNN; a fused scaled_dot_product_attention op)."""
    seq = wl.meta.get("seq_len")
    if not isinstance(seq, int) or seq < 2:
        return None
    scores = [o for o in wl.ops if o.name in SOFTMAX_OPS and o.shapes and len(o.shapes[0]) >= 2
              and tuple(o.shapes[0][-2:]) == (seq, seq)]
    if not scores:
        return None
    return (f"attention as captured: {len(scores)} softmax op(s) over {seq} x {seq} scores per head (shape "
            f"{tuple(scores[0].shapes[0])} in {scores[0].module or 'the model'}), the model's unfused attention: its "
            "scores are written to and read from memory and counted in the working set, where an engine's fused "
            "attention kernel keeps them on chip (FlashAttention, Dao et al. 2022, sec. 3.1); for such an engine "
            "those ops' time and memory are upper bounds")


def _say_config_notes(plan: Any, wls: dict[int, Any]) -> Any:
    """The notes of a Hugging Face config.json's build (workload/hf.py _config_notes: keys transformers ignored,
    sizes it took from its defaults), which were dropped without a word."""
    import dataclasses

    said = [str(n) for n in wls[min(wls)].meta.get("config_notes") or []]
    return dataclasses.replace(plan, notes=(*plan.notes, *said)) if said else plan


SIMULATED_NOTE = "uncalibrated: a simulated design"
"""How the note on an exported design's latency begins; the table marks that device's latency '(u)'."""


def _say_simulated_uncalibrated(plan: Any, specs: list[Any], model: str) -> Any:
    """A design exported by `simulate export` falls into an inference family not fitted on it (most often
    'default', whose op-size curve, half of peak at matmul_half_flop FLOP per op, was set on large GPUs: ResNet-50's
    0.1-0.2 GFLOP convs run at ~15-20% of a 410 GOP/s array's peak there, where the cycle-level simulation keeps
    ~80%). Its latency gets a note saying so, and which command gives the cycle-level figure."""
    import dataclasses

    from accelopt.simulate.design import is_simulated_spec

    simulated = {s.name: s for s in specs if is_simulated_spec(s)}
    devices = []
    for d in plan.devices:
        if d.device in simulated and not d.fitted_on:
            note = (f"{SIMULATED_NOTE} on family {d.family!r}, whose op-size curve is not fitted on this design "
                    f"(a rough estimate); `accelopt simulate run -d {_design_arg(simulated[d.device])} -m "
                    f"{_simulate_name(model)}` gives its cycle-level latency")
            d = dataclasses.replace(d, notes=(*d.notes, note))
        devices.append(d)
    return dataclasses.replace(plan, devices=tuple(devices) if isinstance(plan.devices, tuple) else devices)


BUFFERS_NOTE = "buffers not modelled"
"""How the note on an exported design whose on-chip buffers are smaller than an op's tensors begins."""


def _say_simulated_buffers(plan: Any, specs: list[Any], wls: dict[int, Any], model: str) -> Any:
    """A design exported by `simulate export` whose SRAM (sram_bytes: ifmap + filter + ofmap) is smaller than the
    largest op's tensors gets a note on its latency: plan infer reads and writes each op's tensors from DRAM once
    (roofline bytes) and its op-size curve was fitted at unlimited DRAM bandwidth, while `simulate run` tiles each
    layer to the buffers, re-reading operands and spilling partial sums (simulate/memory.py). A ResNet-50 v1.5 at
    batch 1 on a design of 256 + 256 + 128 B buffers (exported with its curve) reads 28.9 ms here and 47 ms there
    (601 MB of DRAM traffic there against the 62 MB counted here), and nothing said the buffers were left out."""
    import dataclasses

    from accelopt.simulate.design import is_simulated_spec
    from accelopt.units import fmt_quantity

    by_name = {s.name: s for s in specs if is_simulated_spec(s) and s.sram_bytes}
    largest = {b: max((op.bytes_total for op in wl.ops if op.flops > 0), default=0.0) for b, wl in wls.items()}
    devices = []
    for d in plan.devices:
        spec = by_name.get(d.device)
        batch = max((b for b in largest if largest[b] > spec.sram_bytes), default=None) if spec else None
        if spec is not None and batch is not None:
            # a design exported with --no-calibration has no curve of its own (the uncalibrated note says so)
            curve = ", and the design's op-size curve was fitted at unlimited DRAM bandwidth" if d.fitted_on else ""
            note = (f"{BUFFERS_NOTE}: the latency reads and writes each op's tensors from DRAM once{curve}; its "
                    f"on-chip SRAM "
                    f"({fmt_quantity(spec.sram_bytes, 'B')}) holds less than its largest op's "
                    f"{fmt_quantity(largest[batch], 'B')} (batch {batch}): the DRAM traffic of re-read operands and "
                    "spilled partial sums, which `simulate run`'s tiling to the buffers counts, is not in this "
                    f"latency; `accelopt simulate run -d {_design_arg(spec)} -m {_simulate_name(model)} -b {batch}` "
                    "gives the buffer-aware latency")
            d = dataclasses.replace(d, notes=(*d.notes, note))
        devices.append(d)
    return dataclasses.replace(plan, devices=tuple(devices) if isinstance(plan.devices, tuple) else devices)


def _design_arg(spec: Any) -> str:
    """`simulate run`'s -d for a spec `simulate export` wrote: the built-in design it was exported from, where its
    peak's source names one and that design's peak is the spec's (a design of one's own named after a preset is not
    it), else DESIGN.toml, the user's file, which the spec does not record. The notes said `-d DESIGN.toml` for a
    spec exported from tpu-v1 too, and simulate refuses the spec itself (ut4sim's note; rev2)."""
    import math

    from accelopt.simulate.design import SIMULATED_SOURCE, load_preset, preset_names
    from accelopt.simulate.published import nvdla_by_name, nvdla_names

    prefix = f"{SIMULATED_SOURCE} "
    name = next((str(v)[len(prefix):].split(": ", 1)[0] for k, v in spec.sources.items()
                 if k.startswith("peak_flop_per_s.") and str(v).startswith(prefix)), "")
    if name in nvdla_names():
        design = nvdla_by_name(name)
    elif name in preset_names():
        design = load_preset(name)
    else:
        return "DESIGN.toml"
    peak = spec.peak_flop_per_s.get(design.dtype)
    return name if peak is not None and math.isclose(peak, design.peak_op_per_s, rel_tol=1e-9) else "DESIGN.toml"


def _simulate_name(model: str) -> str:
    """`simulate run`'s name for plan infer's `model`: a built-in example whose name means another model there names
    it (Example.simulate_name: resnet50 is v1.5 here, `simulate run -m resnet50-v1.5`; `-m resnet50` is v1); else the
    same. It was read back out of the example's source text by a pattern."""
    from accelopt.workload.inference_zoo import EXAMPLES

    ex = EXAMPLES.get(model)
    return (ex.simulate_name if ex is not None else "") or model


def _say_which_example(plan: Any, model: str) -> Any:
    """A built-in example's note says which model it is (resnet50 is v1.5 here and v1 in `simulate run`)."""
    import dataclasses

    from accelopt.workload.inference_zoo import EXAMPLES

    ex = EXAMPLES.get(model)
    if ex is None or "simulate" not in ex.source:  # only the names whose model differs between the two commands
        return plan
    return dataclasses.replace(plan, notes=(f"model {model}: {ex.source}", *plan.notes))


def _batch_list(text: str) -> list[int]:
    """--batch as sorted distinct positive sizes."""
    from accelopt.errors import InputError
    from accelopt.units import parse_int_range

    batches = sorted(set(parse_int_range(text, "--batch")))
    if not batches or batches[0] < 1:
        raise InputError(f"--batch {text!r} must list positive batch sizes", "e.g. --batch 1,8,64")
    return batches


def print_plan(plan: Any) -> None:
    from rich.table import Table

    from accelopt.cli.plan import console as make_console
    from accelopt.report.console import line
    from accelopt.report.infer_view import NOT_ASKED, dtype_cell
    from accelopt.units import fmt_count, fmt_flops, fmt_joules, fmt_quantity, fmt_seconds, fmt_usd, fmt_watts

    con = make_console()
    budget = (f", latency budget {plan.latency_budget_s * 1e3:g} ms" if plan.latency_budget_s is not None else "")
    con.print(line((plan.model, "bold"), f" inference: {fmt_count(plan.params)} parameters, "
                   f"{fmt_flops(plan.flops_per_inference)} per inference, {plan.requested_dtype} asked{budget} "
                   "(predictions = estimates)"))
    order = {name: i for i, name in enumerate((*plan.ranked, *plan.unranked))}
    devs = sorted(plan.devices, key=lambda d: (order.get(d.device, len(order)), d.points[0].latency_s))
    tb = Table(title="per device and batch (estimates; batch 1 latency = single stream, larger batch = offline)")
    for col in ("device", "runs", "batch", "latency", "inf/s", "memory", "fits", "J/inf", "inf/J", "W",
                "$/M inf", "bound by", "host ops"):
        tb.add_column(col, justify="left" if col in ("device", "runs", "bound by") else "right")
    for d in devs:
        for p in d.points:
            top = p.op_classes[0] if p.op_classes else None
            bound = f"{top.op_class} ({top.bound})" if top is not None else "-"
            tb.add_row(d.device, dtype_cell(p.dtype, d.precision.requested),
                       fmt_count(p.batch), fmt_seconds(p.latency_s) + (" (u)" if _uncalibrated(d) else ""),
                       fmt_count(p.throughput_per_s),
                       fmt_quantity(p.memory_total_bytes, "B"), "yes" if p.fits else "NO",
                       fmt_joules(p.energy_per_inference_j) if p.energy_per_inference_j is not None else "n/a",
                       fmt_count(p.inferences_per_j) if p.inferences_per_j is not None else "n/a",
                       fmt_watts(p.power_w) if p.power_w is not None else "n/a",
                       fmt_usd(p.cost_usd_per_million) if p.cost_usd_per_million is not None else "n/a",
                       bound, fmt_count(p.host_ops))
    con.print(tb)
    _print_precision(con, plan)
    _print_notes(con, devs)
    for n in plan.notes:
        con.print(f"note: {n}")
    if any(_uncalibrated(d) for d in devs):
        con.print("(u) = latency of a simulated design on an uncalibrated curve: see its note; `accelopt simulate "
                  "run -d DESIGN.toml -m MODEL` gives the cycle-level figure")
    _print_budget(con, plan)
    shown = [d for d in devs if d.device in plan.ranked[:1]] or devs[:1]
    if len(plan.devices) <= 3:
        shown = devs
    for d in shown:
        _print_classes(con, d)
    con.print("Energy = device power at its busy fraction (its ops' compute and memory time, not their launch gaps) "
              "x latency (+ host TDP x host time), no PUE; memory = "
              f"weights + largest op working set + runtime workspace; {NOT_ASKED}. "
              "All figures are estimates (accelopt.predict.inference).")


def _uncalibrated(d: Any) -> bool:
    return any(n.startswith(SIMULATED_NOTE) for n in d.notes)


def _print_precision(con: Any, plan: Any) -> None:
    from accelopt.report.console import line


    changed = [d for d in plan.devices if d.precision.run != d.precision.requested]
    risks: dict[str, list[str]] = {}
    for d in changed:
        risks.setdefault(d.precision.quality_risk, []).append(f"{d.device} runs {d.precision.run} "
                                                              f"({d.precision.reason})")
    for risk, who in risks.items():
        con.print(line(("precision:", "yellow"),
                       f" {'; '.join(who)}. Quality risk: {risk or 'none (a wider dtype)'}"))


def _print_notes(con: Any, devs: list[Any]) -> None:
    """Each default or assumption once, with the devices it applies to."""
    from accelopt.report.infer_view import device_notes

    for n, names in device_notes(devs).items():
        con.print(f"note: {n} (for {', '.join(names)})")


def _print_budget(con: Any, plan: Any) -> None:
    from accelopt.report.console import line
    from accelopt.report.infer_view import ranking_batch

    at = f"at batch {ranking_batch(plan)}"  # the smallest planned: 1 unless --batch leaves it out
    if plan.latency_budget_s is None:
        if plan.unranked:  # the table's order is the ranking: a device without the objective's figure sorted last
            from accelopt.predict.inference import ranked_text  # without a word but its n/a cells (ut3io)

            con.print(line(f"order: best first by {plan.objective} {at}: {ranked_text(plan)}"))
        return
    ms = plan.latency_budget_s * 1e3
    miss = [d.device for d in plan.devices if not d.meets_budget]
    if plan.ranked or plan.unranked:  # those without the objective's figure meet it too
        from accelopt.predict.inference import ranked_text

        con.print(line((f"meet {ms:g} ms {at}", "green"),
                       f", best first by {plan.objective}: {ranked_text(plan)}"))
    else:
        con.print(line((f"no device meets {ms:g} ms {at}", "red")))
    if miss:
        con.print(f"miss the budget (or do not fit): {', '.join(miss)}")


def _print_classes(con: Any, d: Any) -> None:
    from rich.table import Table

    from accelopt.units import fmt_bytes, fmt_count, fmt_flops, fmt_pct, fmt_quantity, fmt_seconds

    p = d.points[0]
    tb = Table(title=f"{d.device} at batch {p.batch}, {p.dtype}: where the time goes (roofline per op class)")
    for col in ("op class", "where", "ops", "time", "share", "FLOPs", "bytes", "FLOP/byte", "bound"):
        tb.add_column(col, justify="left" if col in ("op class", "where", "bound") else "right")
    for c in p.op_classes:
        inten = c.intensity_flop_per_byte
        tb.add_row(c.op_class, c.where, str(c.ops), fmt_seconds(c.time_s), fmt_pct(c.time_s / p.latency_s),
                   fmt_flops(c.flops), fmt_quantity(c.bytes, "B"), "-" if inten == float("inf") else fmt_count(inten),
                   c.bound)
    con.print(tb)
    if p.onchip_weights_bytes is not None:
        con.print(f"weights {fmt_bytes(p.weights_bytes)}: {fmt_bytes(p.onchip_weights_bytes)} on chip, "
                  f"{fmt_bytes(p.streamed_weights_bytes)} streamed from the host every inference "
                  f"({fmt_seconds(p.weight_stream_s)})")


__all__ = ["INFER_HELP", "print_plan", "register_infer", "run_infer"]


def validate_inference_cmd(runs: str | None, as_json: bool, html: str | None) -> None:
    """`accelopt validate --inference`: published inference figures vs `plan infer`, held-out error."""
    from accelopt.predict.inference_validation import validate_inference_result
    from accelopt.report.runs import finish_run

    result = validate_inference_result(runs)
    import dataclasses

    from accelopt.cli.plan import busy_row_lines, say_warnings
    from accelopt.predict.inference_validation import read_inference_runs

    busy = busy_row_lines(read_inference_runs(runs)[0])  # plan infer's --hardware warning, per hardware cell
    result = dataclasses.replace(result, input_warnings=[*busy, *result.input_warnings])
    say_warnings(result.input_warnings)  # stderr (stdout stays one JSON document); the result carries them too
    finish_run("validate-inference", result, html)
    if as_json:
        from accelopt.report.jsonout import emit

        emit(result)
        return
    print_validation(result)


def print_validation(result: Any) -> None:
    """The console view of a ValidateInferenceResult."""
    from rich.table import Table

    from accelopt.cli.plan import console
    from accelopt.units import fmt_count, fmt_pct

    tb = Table(title="published vs predicted inference (prediction = estimate)")
    for col in ("run", "hardware", "model", "metric", "published", "predicted", "error", "role", "note"):
        tb.add_column(col)
    for r in result.runs:
        tb.add_row(r.id, r.hardware, r.model, r.metric, fmt_count(r.published), fmt_count(r.predicted),
                   f"{100 * r.error:+.1f}%", "fit" if r.fitted else "test", r.note)
    con = console()
    con.print(tb)
    con.print(f"median |error| on held-out rows: {fmt_pct(result.median_abs_error_held_out)} "
              f"({sum(not r.fitted for r in result.runs)} rows); all rows: {fmt_pct(result.median_abs_error_all)}")
    bad = next((r for r in result.runs if r.id == result.worst_held_out), None)
    if bad is not None:
        con.print(f"worst held-out row: {bad.id} {100 * bad.error:+.1f}% ({bad.note or 'no note'})")
    from accelopt.cli.validate import print_error_groups

    print_error_groups(con, result, "rows")
    for src in sorted({r.source for r in result.runs}):
        con.print(f"source: {src}")
