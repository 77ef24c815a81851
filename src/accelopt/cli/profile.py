"""`accelopt profile MODEL`: where a real PyTorch model's step time, memory and energy go."""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import typer

from accelopt.cli.catalog import CATALOG_HELP
from accelopt.cli.html_first import HTML_RULE
from accelopt.interrupts import stopped_by

HELP = """Run real training or inference steps of MODEL and report step time (median, p10, p90), the
breakdown (data wait, host-to-device copy, forward, backward, optimizer), achieved FLOP/s and MFU,
peak memory by component, energy per step, a per-op roofline and a diagnosis with ranked
recommendations.

\b
MODEL is one of:
  a zoo name           mlp, gpt, bert, resnet (synthetic data, nothing downloaded)
  a trained example    digits, chargpt (real data shipped with scikit-learn / Python)
  path/file.py:factory a function returning accelopt.workload.userfile.ModelBundle
                       (see examples/my_model.py)
  a directory or config.json of a Hugging Face model (random weights; needs the hf extra)
"""


@dataclass(frozen=True)
class DistOptions:
    """`profile --nproc N ...`: a distributed run under torchrun (the flags below apply only with nproc)."""

    nproc: int | None = None
    """Ranks on this machine; None: the one-process run."""
    # None: not given on the command line (the defaults below apply); a flag typed with its default value
    # (`--parallel ddp`) is still given, and refused without --nproc
    parallel: str | None = None
    schedule: str | None = None
    microbatches: int | None = None
    stage_memory_gib: float | None = None
    nnodes: int | None = None
    node_rank: int | None = None
    rdzv_endpoint: str | None = None
    timeout_s: float | None = None
    find_unused_parameters: bool | None = None
    """True when --find-unused-parameters was typed; None: not given."""
    profile_steps: int | None = None
    """--profile-steps: steps traced after the timed ones; None: not given (distributed/limits.py PROFILE_STEPS)."""

    DEFAULTS: ClassVar[dict[str, Any]] = {"parallel": "ddp", "schedule": "1f1b", "nnodes": 1, "node_rank": 0,
                                          "timeout_s": 600.0}

    def given(self) -> dict[str, bool]:
        """Flag -> whether it was typed (for the refusal of distributed flags without --nproc)."""
        return {"--" + f.name.replace("_", "-"): getattr(self, f.name) is not None
                for f in fields(self) if f.name != "nproc"}

    def value(self, name: str) -> Any:
        """The option as given, else its default."""
        given = getattr(self, name)
        return self.DEFAULTS.get(name) if given is None else given


@dataclass(frozen=True)
class ProfileOptions:
    """`accelopt profile MODEL`, as typed."""

    model: str
    size: str | None = None
    mode: str = "train"
    batch_size: int | None = None
    seq_len: int | None = None
    dtype: str = "fp32"
    device: str = "cpu"
    steps: int = 20
    warmup: int = 3
    catalog_device: str | None = None
    catalog: tuple[Path, ...] = ()
    """--catalog: the user's catalog TOML files whose devices --catalog-device may name."""
    probed: str | None = None
    trace: str | None = None
    save_workload: str | None = None
    allow_nonfinite: bool = False
    as_json: bool = False
    html: str | None = None
    threads: int | None = None
    """--threads: torch's intra-op CPU threads for the run (None: torch's default)."""
    dist: DistOptions = DistOptions()


def optimize_command(opts: ProfileOptions) -> str:
    """'accelopt optimize models.py:build --mode train --batch-size 24': the optimize run of the model and step shape
    this profile measured, for the diagnosis's 'test it with' (it printed `accelopt optimize MODEL`, and optimize's
    default --mode inference measured another step than profile's default train). MODEL as typed and the shape flags
    the user gave (the same loader fills the rest from the same defaults), shell-quoted."""
    import shlex

    words = ["accelopt", "optimize", opts.model]
    flags = (("--size", opts.size), ("--mode", opts.mode), ("--batch-size", opts.batch_size),
             ("--seq-len", opts.seq_len), ("--dtype", None if opts.dtype == "fp32" else opts.dtype),
             ("--device", None if opts.device == "cpu" else opts.device), ("--threads", opts.threads))
    for flag, value in flags:
        if value is not None:
            words += [flag, str(value)]
    return shlex.join(words)


def run_profile(opts: ProfileOptions) -> None:
    """`accelopt profile`: a distributed run with --nproc, else the one-process profile."""
    if opts.dist.nproc is not None:
        _run_distributed(opts)
        return
    from accelopt.cli.profile_dist import check_no_distributed_flags

    check_no_distributed_flags(opts.dist.given())
    _run_local(opts)


def _run_distributed(opts: ProfileOptions) -> None:
    from accelopt.cli.profile_dist import DistOptions as RunOptions
    from accelopt.cli.profile_dist import run_distributed

    d = opts.dist
    assert d.nproc is not None
    run_distributed(RunOptions(
        model=opts.model, size=opts.size, batch_size=opts.batch_size, seq_len=opts.seq_len, mode=opts.mode,
        dtype=opts.dtype, device=opts.device, steps=opts.steps, warmup=opts.warmup,
        catalog_device=opts.catalog_device, catalog=opts.catalog, probed=opts.probed, nproc=d.nproc,
        parallel=d.value("parallel"),
        schedule=d.value("schedule"), microbatches=d.microbatches, stage_memory_gib=d.stage_memory_gib,
        nnodes=d.value("nnodes"), node_rank=d.value("node_rank"), rdzv_endpoint=d.rdzv_endpoint,
        timeout_s=d.value("timeout_s"), find_unused_parameters=bool(d.find_unused_parameters),
        profile_steps=d.profile_steps, as_json=opts.as_json, html=opts.html,
        unsupported={"--trace": opts.trace, "--save-workload": opts.save_workload,
                     "--allow-nonfinite": opts.allow_nonfinite, "--threads": opts.threads}))


def _run_local(opts: ProfileOptions) -> None:
    """Load, capture, measure (profile_step), diagnose, record, print; Ctrl-C keeps what was measured."""
    from accelopt.measure.diagnose import diagnose
    from accelopt.measure.profiler import (
        ProfileFailed,
        ProfileInterrupted,
        capture_for_profile,
        check_args,
        profile_step,
    )

    check_args(mode=opts.mode, dtype=opts.dtype, device=opts.device, steps=opts.steps, warmup=opts.warmup)
    set_threads(opts.threads)
    _check_outputs(opts.trace, opts.save_workload, opts.html)
    if opts.html is not None:
        from accelopt.userio import check_writable

        check_writable(opts.html, "--html", "report.html")  # before the run, not after
    spec = _catalog_spec(opts.catalog_device, opts.device, opts.catalog)
    probed_spec = _probed_spec(opts.probed)
    progress = _progress()
    from accelopt.measure.memory import check_training_fits_host, host_memory_capped, out_of_memory_as_error
    from accelopt.measure.profiler import check_trainable

    what = oom_what(opts.model, opts.batch_size, opts.seq_len)
    workload = None
    try:
        # what the model's own code prints goes to stderr: stdout keeps the tables or the --json document only
        with out_of_memory_as_error(what, opts.device, oom_fix(opts.model)), contextlib.redirect_stdout(sys.stderr):
            progress(f"loading {opts.model}")
            bundle = _load_bundle(opts.model, size=opts.size, batch_size=opts.batch_size, seq_len=opts.seq_len)
            # before minutes of measuring a model the file did not describe, or in a dtype not asked for
            first_notes = _warn_first_notes(opts.dtype, bundle)
            if opts.mode == "train" and opts.device == "cpu":  # past it the OOM killer ends the run, unsaid
                check_trainable(bundle, opts.mode)  # before bundle.optimizer(): torch refuses no parameters
                check_training_fits_host(bundle.model, bundle.optimizer(), repr(bundle.name), _big_model_fix())
            progress("capturing one step's ops (FLOPs and bytes per op)")
            # the model is built: what grows now is the step's; an HF causal LM's head on the last token only
            with host_memory_capped(opts.device), _generation_head(bundle, opts.mode) as head:
                workload = capture_for_profile(bundle, opts.mode, opts.dtype, opts.device)
                result = profile_step(bundle, mode=opts.mode, dtype=opts.dtype, device=opts.device,
                                      steps=opts.steps, warmup=opts.warmup, spec=spec, probed_spec=probed_spec,
                                      trace_path=opts.trace, workload=workload,
                                      allow_nonfinite=opts.allow_nonfinite, on_pass=progress)
            if head:
                first_notes.append(head_note(head))
    except ProfileInterrupted as stop:
        _keep_interrupted(stop.partial, workload, opts)
        raise typer.Exit(130) from None  # the shell's status for Ctrl-C, after printing and recording
    except ProfileFailed as failed:  # the model raised in a later pass: what was measured is kept, then exit 2
        _keep_interrupted(failed.partial, workload, opts)
        raise
    except KeyboardInterrupt:  # while loading or capturing: nothing was measured yet
        from accelopt.report.console import make_console, plain

        make_console(stderr=True).print(plain(f"interrupted ({stopped_by()}) before any step was measured: nothing to "
                                              "show or record", "yellow"))
        _write_outputs(None, workload, opts.save_workload, None)
        raise typer.Exit(130) from None
    result.optimize_command = optimize_command(opts)
    diagnose(result, spec=spec, probed_spec=probed_spec)
    _say_spec_kind(result, spec, probed_spec)
    _note_first(result, first_notes)
    from accelopt.report.runs import finish_run

    finish_run("profile", result, opts.html)
    if opts.as_json:
        from accelopt.report.jsonout import emit

        emit(result)
        _write_outputs(result, workload, opts.save_workload, None)  # after the results: nothing measured is lost
        return
    from accelopt.report.console import make_console
    from accelopt.report.profile_view import render

    console = make_console()
    render(result, console)
    _write_outputs(result, workload, opts.save_workload, console)


def check_threads(threads: int | None) -> None:
    """--threads as profile and optimize check it: refused outside 1..this machine's logical CPUs; past the CPUs
    this process may run on (its affinity, a cgroup CPU quota: distributed.launch.usable_cpus) a warning on stderr
    before anything runs, naming what sets them and the --threads to pass. Both commands accepted up to
    os.cpu_count() and suggested that range in the fix, while a 2-CPU container's quota made 3..64 threads
    oversubscribed, which the contention warning said only after the run (utmisc, 2026-12-05)."""
    if threads is None:
        return
    from accelopt.distributed.launch import usable_cpus
    from accelopt.errors import InputError

    cpus = os.cpu_count() or 1
    usable, which = usable_cpus()
    if not 1 <= threads <= cpus:
        raise InputError(f"--threads {threads} is not a count from 1 to this machine's {cpus} logical CPUs",
                         f"pass --threads 1 to {min(usable, cpus)}" + (f", {which}" if usable < cpus else "")
                         + "; 1 is steadier on a shared machine")
    if threads > usable:
        from accelopt.report.console import make_console, plain

        make_console(stderr=True).print(plain(
            f"warning: --threads {threads} is more than {which}: oversubscribed threads time contention, not the "
            f"model; pass --threads 1 to {usable}", "yellow"))


def set_threads(threads: int | None) -> None:
    """torch's intra-op CPU threads set to --threads, checked (check_threads, as optimize checks it). On a busy
    2-core machine a 1,030-parameter model's training step took 163 ms at torch's 2 threads (each op waiting for a
    descheduled thread) and 659 µs at 1, and profile, unlike optimize, had no --threads to say so (OMP_NUM_THREADS=1
    was the only way)."""
    if threads is None:
        return
    check_threads(threads)
    import torch

    torch.set_num_threads(threads)


def _say_spec_kind(result: Any, spec: Any, probed_spec: Any) -> None:
    """A spec of another kind than the measured device (a gpu entry for a cpu step): the first diagnosis notes
    (console, JSON, HTML) and a warning on stderr say so, since MFU, roofs and verdicts then use its peaks."""
    from accelopt.measure.profiler import spec_kind_notes

    notes = spec_kind_notes(result.device, ((spec, "--catalog-device"), (probed_spec, "--probed")))
    if not notes:
        return
    result.diagnosis.notes[:0] = notes
    from accelopt.report.console import make_console, plain

    err = make_console(stderr=True)
    for note in notes:
        err.print(plain(f"warning: {note}", "yellow"))


def _generation_head(bundle: Any, mode: str) -> Any:
    """At --mode inference, a Hugging Face causal LM's output layer on the last position of each sequence
    (workload.inference_zoo.last_token_logits, yielding its name; '' for any other model or mode), as a generation
    prefill runs it and as `plan infer` and `plan serve` charge it (vLLM's logits_indices, transformers' generate's
    logits_to_keep). profile timed and counted the head and its logits for every position (GPT-2 at 1,024 tokens:
    the largest op), so profile and plan infer of one model compared different work."""
    if mode != "inference":
        return contextlib.nullcontext("")
    from accelopt.workload.inference_zoo import last_token_logits

    return last_token_logits(bundle)


def head_note(head: str) -> str:
    """The note beside a profile whose causal LM ran its head on the last token only (_generation_head)."""
    return (f"the output layer ({head}, hidden x vocab) ran on the last token of each sequence only, as a generation "
            "prefill computes it and as plan infer charges it (vLLM gathers the last prompt token's hidden state "
            "before the LM head: logits_indices); the logits of every token, as a training or scoring forward "
            "computes them, are left out of the time, FLOPs and memory")


def _note_first(result: Any, notes: list[str]) -> None:
    """`notes` (_warn_first_notes) as the first diagnosis notes (console, JSON, HTML)."""
    result.diagnosis.notes[:0] = notes


def _warn_first_notes(asked_dtype: str, bundle: Any) -> list[str]:
    """config_notes and profiler.dtype_notes of the loaded model, warned on stderr before the run; returned for the
    diagnosis, whose first notes they become."""
    from accelopt.measure.profiler import dtype_notes
    from accelopt.workload.hf import config_notes

    return warn_notes([*config_notes(bundle.meta, asked_dtype), *dtype_notes(asked_dtype, bundle.model)])


def warn_notes(notes: list[str]) -> list[str]:
    """Print each of `notes` on stderr as a warning (plain text: a config's key is not markup); return them."""
    from accelopt.report.console import make_console, plain

    err = make_console(stderr=True)
    for note in notes:
        err.print(plain(f"warning: {note}", "yellow"))
    return notes


def _keep_interrupted(partial: Any, workload: Any, opts: ProfileOptions) -> None:
    """Print and record (history kind 'profile-partial', interrupted or failed) what the finished passes measured,
    write its HTML page if --html asked for one, and the captured workload if --save-workload asked for it."""
    from accelopt.report import history
    from accelopt.report.console import make_console, plain
    from accelopt.report.runs import current_argv

    saved = history.record("profile-partial", current_argv(), partial)
    if opts.as_json:
        from accelopt.report.jsonout import emit

        emit(partial)
        console = None
    else:
        from accelopt.report.profile_view import render_partial

        console = make_console()
        render_partial(partial, console)
    err = make_console(stderr=True)
    how = "failed" if partial.failed else "interrupted"
    if saved:
        said = how if partial.failed else f"{how} ({stopped_by()})"  # the signal that stopped it: Ctrl-C or SIGTERM
        err.print(plain(f"{said} run recorded: accelopt history show {saved}", "yellow"))
    if opts.html is not None:
        from accelopt.report.html import write_html

        path = write_html(Path(opts.html), "profile-partial", partial, argv=current_argv(), run={"id": saved} if saved
                          else None, title=f"accelopt profile {partial.name} ({how})")
        err.print(plain(f"HTML report written to {path}"))
    if opts.trace and "roofline" in partial.missing:  # the asked-for trace was missing without a word
        err.print(plain(f"no Chrome trace written to {opts.trace}: the run stopped before the roofline pass, which "
                        "records it", "yellow"))
    _write_outputs(None, workload, opts.save_workload, console)


def _model_path_kind(model: str) -> tuple[str, bool]:
    """(path_kind of MODEL, whether it is a path: a file.py:factory, a .py/.json file or a folder), not a zoo name."""
    from accelopt.userio import path_kind

    meant_as_path = (model.rpartition(":")[0].endswith(".py") or model.endswith((".py", ".json")) or "/" in model
                     or _bare_config_folder(model))
    kind = path_kind(model, "model") if meant_as_path else "missing"
    return kind, meant_as_path or kind != "missing"


def _bare_config_folder(model: str) -> bool:
    """A folder of the working directory holding config.json, named without a '/' (`accelopt profile my_llama`),
    whose name is no zoo model or built-in example (those keep their meaning): it was 'unknown model'."""
    from accelopt.workload import examples, zoo

    if model.lower() in {*zoo.list_models(), *examples.list_examples()}:
        return False
    try:
        return (Path(model) / "config.json").is_file()
    except (OSError, ValueError):  # a name no file system takes (too long, a NUL): not a folder here
        return False


def oom_fix(model: str) -> str:
    """The fix a memory error gives, naming only the options that size MODEL: --size sizes zoo models only
    (_load_bundle refuses it for a model file, an HF config or a built-in example)."""
    from accelopt.workload import examples

    zoo_name = not _model_path_kind(model)[1] and model.lower() not in examples.list_examples()
    options = "--seq-len / --size" if zoo_name else "--seq-len"
    return f"use a smaller --batch-size (or {options}), or a device with more memory"


def _big_model_fix() -> str:
    return ("profile it with --mode inference (no gradients or optimizer state), build a smaller model, or run on a "
            "machine with more memory; `accelopt plan` predicts a model of this size without running it")


def oom_what(model: str, batch_size: int | None, seq_len: int | None) -> str:
    """What a memory error names: the options that sized the batch, e.g. '--batch-size 64, --seq-len 4096'."""
    given = [f"{flag} {v}" for flag, v in (("--batch-size", batch_size), ("--seq-len", seq_len)) if v is not None]
    return ", ".join(given) if given else f"{model}'s default batch"


def _load_bundle(model: str, *, size: str | None, batch_size: int | None, seq_len: int | None,
                 meta: bool = False) -> Any:
    """Resolve MODEL (zoo name, file.py:factory, HF config) to a ModelBundle with fp32 weights.

    meta=True (`plan infer`: shapes only) builds a zoo model's, an HF config's or a model file's factory's weights on
    PyTorch's meta device; a factory that raises there (it reads values: .item(), data drawn with a CPU generator)
    is built as usual, with meta['meta_build_error'] saying why. The trained examples (digits, chargpt) are built as
    they are (their own code trains them)."""
    from accelopt.errors import InputError
    from accelopt.units import MAX_COUNT

    for flag, v in (("--batch-size", batch_size), ("--seq-len", seq_len)):
        if v is not None and not 1 <= v <= MAX_COUNT:
            raise InputError(f"{flag} {v} is not a number 1..{MAX_COUNT:,}",
                             f"pass {flag} 1 to {MAX_COUNT:,}, or leave it out")

    path_part = model.rpartition(":")[0]
    kind, is_path = _model_path_kind(model)
    if size is not None and is_path:
        raise InputError(f"--size {size} applies to zoo models only, not to {model!r}",
                         "leave out --size; size your own model in its factory or config.json")
    if path_part.endswith(".py") or model.endswith(".py"):  # a bare file.py gets the ":factory" hint
        from accelopt.workload.meta_build import build_on_meta
        from accelopt.workload.userfile import load_user_factory

        kwargs = {k: v for k, v in (("batch_size", batch_size), ("seq_len", seq_len)) if v is not None}
        bundle, why = build_on_meta(lambda: load_user_factory(model, **kwargs)) if meta else (None, "")
        if bundle is None:
            bundle = load_user_factory(model, **kwargs)
            if why:
                bundle.meta["meta_build_error"] = why  # said in plan infer's notes
        bundle.check_batch_rows()  # samples/s and per-sample figures are counted from batch_size
        return bundle
    p = Path(model)
    if kind == "folder" or p.name == "config.json" or model.endswith(".json"):
        if kind == "missing":
            raise InputError(f"model config {model!r} does not exist", "pass an existing directory or config.json")
        try:
            from accelopt.workload.hf import build_from_hf_config
        except ImportError as e:
            raise InputError("the Hugging Face builder (accelopt.workload.hf) is not available",
                             "install the hf extra: pip install 'accelopt[hf]'") from e
        return build_from_hf_config(str(p), batch_size=batch_size, seq_len=seq_len, meta=meta)
    if kind in ("file", "other"):  # it exists, but is neither file.py:factory nor a .json config
        raise InputError(f"model {model!r} is a {'file' if kind == 'file' else 'device or pipe'} that accelopt "
                         "cannot read as a model",
                         "pass path/file.py:factory, a Hugging Face config.json (or its folder), or a zoo name")
    if "/" in model or "\\" in model:  # meant as a path, not a zoo name
        raise InputError(f"model {model!r}: no such file or folder",
                         "pass an existing folder holding config.json, path/file.py:factory, or a zoo name")
    from accelopt.workload import examples, zoo

    if model.lower() in examples.list_examples():  # trained built-in examples (digits, chargpt)
        if size is not None:
            raise InputError(f"--size applies to zoo models only, not to the built-in example {model!r}",
                             "leave out --size")
        return examples.build(model, batch_size=batch_size, seq_len=seq_len)
    # fp32 weights: --dtype bf16/fp16 runs the step under torch.autocast (mixed precision)
    return zoo.build(model, size if size is not None else "tiny", batch_size=batch_size, seq_len=seq_len,
                     dtype="fp32", meta=meta)


def _catalog_spec(name: str | None, device: str, catalog: tuple[Path, ...] = ()) -> Any:
    """--catalog-device (a built-in device, a device of a --catalog file, or a spec TOML path), else the catalog
    entry matched to the detected local device (None where none matches). --catalog without --catalog-device is
    refused: only that flag reads it."""
    from accelopt.hardware.catalog import get_device

    if catalog and not name:
        from accelopt.errors import InputError

        raise InputError(f"--catalog {', '.join(str(p) for p in catalog)} without --catalog-device: only "
                         "--catalog-device reads it (the detected device's entry comes from the built-in catalog)",
                         "add --catalog-device NAME (a device of that file), or leave --catalog out")
    if name:
        return get_device(name, catalog)
    from accelopt.hardware.detect import find_device

    found = find_device(device)
    return get_device(found.catalog_name) if found.catalog_name else None


def _probed_spec(path: str | None) -> Any:
    if path is None:
        return None
    from accelopt.errors import InputError
    from accelopt.hardware.catalog import get_device
    from accelopt.userio import path_kind

    kind = path_kind(path, "--probed file")
    if kind == "folder":  # was "is not an existing .toml file": it exists
        raise InputError(f"--probed {path!r} is a folder, not a spec file",
                         "pass the spec .toml file written by `accelopt probe` (in it, or `probe --save FILE`)")
    if not path.endswith(".toml") or kind != "file":
        raise InputError(f"--probed {path!r} is not an existing .toml file",
                         "pass the spec file written by `accelopt probe`")
    return get_device(path, catalog_flag=False)


ZOO_SIZE_HELP = "zoo models only: tiny (default), small or realistic (resnet also resnet18, resnet50)"
"""--size of every command that builds a zoo model (profile, optimize, plan infer): the sizes workload.zoo takes."""


def register(app: typer.Typer) -> None:
    from accelopt.distributed.limits import PROFILE_STEPS, STARTUP_S  # imports nothing: the help says the launcher's

    @app.command("profile", help=HELP)
    def profile_cmd(
        model: str = typer.Argument(..., help="zoo name, path/file.py:factory, or HF config dir/config.json"),
        size: str | None = typer.Option(None, "--size", help=ZOO_SIZE_HELP),
        mode: str = typer.Option("train", "--mode", help="train (forward, backward, optimizer) or inference"),
        batch_size: int | None = typer.Option(None, "--batch-size", help="samples per step (model default)"),
        seq_len: int | None = typer.Option(None, "--seq-len", help="tokens per sample (gpt, bert, HF, a factory "
                                                                   "taking seq_len); image side for resnet"),
        dtype: str = typer.Option("fp32", "--dtype", help="fp32, or bf16/fp16 under torch.autocast"),
        device: str = typer.Option("cpu", "--device", help="cpu or cuda:N"),
        steps: int = typer.Option(20, "--steps", help="timed steps for the headline median/p10/p90 (3 or "
                                                              "more)"),
        warmup: int = typer.Option(3, "--warmup", help="uninstrumented warm-up steps (0 still runs one, untimed, "
                                                       "whose loss is checked to be finite)"),
        catalog_device: str | None = typer.Option(None, "--catalog-device",
                                                  help="catalog entry for the peaks, e.g. h100-sxm, a device of a "
                                                       "--catalog file, or a spec TOML path "
                                                       "(default: the detected device's entry, if any); it should "
                                                       "be --device's kind: a gpu entry for a cpu step is warned "
                                                       "about and noted (MFU then describes neither device)"),
        catalog: list[Path] = typer.Option([], "--catalog", help=CATALOG_HELP + " --catalog-device may name its "
                                           "devices."),
        probed: str | None = typer.Option(None, "--probed", help="spec TOML written by `accelopt probe` on "
                                                                 "--device (another kind is warned about)"),
        trace: str | None = typer.Option(None, "--trace", help="write a Chrome trace of the profiled steps here"),
        save_workload: str | None = typer.Option(None, "--save-workload",
                                                 help="write the captured Workload JSON (for plan/simulate)"),
        allow_nonfinite: bool = typer.Option(False, "--allow-nonfinite",
                                             help="profile a step whose loss, output or gradients are NaN/inf "
                                                  "(flagged in the result) instead of stopping with an error"),
        threads: int | None = typer.Option(None, "--threads", help="torch intra-op CPU threads (torch's default; 1 "
                                           "is steadier on a shared machine)"),
        as_json: bool = typer.Option(False, "--json", help="print one JSON document instead of tables"),
        html: str | None = typer.Option(None, "--html", help="also write a self-contained HTML report here"
                                                             + HTML_RULE),
        nproc: int | None = typer.Option(None, "--nproc", help="run on N ranks under torchrun (gloo on cpu, NCCL "
                                                               "on cuda) beside the one-process run; Ctrl-C or "
                                                               "SIGTERM stops every rank and keeps the steps each "
                                                               "finished (printed, --json, recorded; exit 130), "
                                                               "as does a rank that crashes or hangs after a step "
                                                               "(then exit 2); on cpu at most the CPUs this process "
                                                               "may run on; see README"),
        parallel: str | None = typer.Option(None, "--parallel", help="with --nproc: ddp (default), fsdp "
                                                                     "(fully_shard) or pipeline"),
        schedule: str | None = typer.Option(None, "--schedule", help="--parallel pipeline: 1f1b (default) or gpipe"),
        microbatches: int | None = typer.Option(None, "--microbatches",
                                                help="--parallel pipeline: micro-batches per step (default: the "
                                                     "largest divisor of the batch up to 2 x stages; a note says "
                                                     "when that is fewer than the stages)"),
        stage_memory_gib: float | None = typer.Option(
            None, "--stage-memory-gib", help="--parallel pipeline: the most memory the partitioner lets one stage "
                                             "hold, GiB (its estimate: weights, gradients and the "
                                             "optimizer's measured state, frozen weights 1 x, + activations in "
                                             "flight)"),
        nnodes: int | None = typer.Option(None, "--nnodes", help="with --nproc: machines in the run (torchrun "
                                                                  "--nnodes; default 1)"),
        node_rank: int | None = typer.Option(None, "--node-rank", help="with --nnodes: this machine's rank "
                                                                        "(default 0), 0 hosts the rendezvous"),
        rdzv_endpoint: str | None = typer.Option(None, "--rdzv-endpoint",
                                                 help="with --nnodes: HOST:PORT of node 0 (the same on every node)"),
        timeout_s: float | None = typer.Option(None, "--timeout-s", help="with --nproc: if no rank finishes a step "
                                                f"for this long (default {DistOptions.DEFAULTS['timeout_s']:g}), "
                                                f"the run is stopped and the stuck rank named (start-up gets at least "
                                                f"{STARTUP_S:g} s)"),
        find_unused_parameters: bool = typer.Option(
            False, "--find-unused-parameters", help="--parallel ddp: DDP's find_unused_parameters=True every step "
                                                    "(default: on only when the first batch leaves a trainable "
                                                    "parameter without a gradient); for a model whose parameters' use "
                                                    "changes from step to step"),
        profile_steps: int | None = typer.Option(
            None, "--profile-steps", help="with --nproc: steps run under torch.profiler after the timed ones (after "
                                          "its one warm-up step), whose trace gives the measured compute, "
                                          "communication and overlap terms as means over them (default "
                                          f"{PROFILE_STEPS}; 1 or more)"),
    ) -> None:
        from accelopt.hardware.detect import device_name

        run_profile(ProfileOptions(
            model=model, size=size, mode=mode, batch_size=batch_size, seq_len=seq_len, dtype=dtype,
            device=device_name(device),
            steps=steps, warmup=warmup, catalog_device=catalog_device, catalog=tuple(catalog), probed=probed,
            trace=trace,
            save_workload=save_workload, allow_nonfinite=allow_nonfinite, as_json=as_json, html=html,
            threads=threads,
            dist=DistOptions(nproc=nproc, parallel=parallel, schedule=schedule, microbatches=microbatches,
                             stage_memory_gib=stage_memory_gib, nnodes=nnodes, node_rank=node_rank,
                             rdzv_endpoint=rdzv_endpoint, timeout_s=timeout_s,
                             find_unused_parameters=find_unused_parameters or None,
                             profile_steps=profile_steps)))


def _progress() -> Any:
    """Progress lines on stderr (never stdout, which may hold --json), each with the elapsed time."""
    import time

    from accelopt.report.console import make_console, plain

    err = make_console(stderr=True)
    t0 = time.perf_counter()

    def say(text: str) -> None:
        err.print(plain(f"[{time.perf_counter() - t0:5.1f} s] profile: {text}", "dim"))

    return say


def _check_outputs(trace: str | None, save_workload: str | None, html: str | None = None) -> None:
    """Fail before minutes of measuring if an output file cannot be written (tried, not guessed), or if two
    outputs name the same file (the second would overwrite the first, though both were reported written)."""
    from accelopt.measure.roofline import check_trace_path
    from accelopt.userio import check_distinct_outputs, check_writable, refuse_non_json_file

    check_distinct_outputs([("--trace", trace), ("--save-workload", save_workload), ("--html", html)])
    if trace:
        check_trace_path(trace)
        refuse_non_json_file(trace, "--trace", "trace.json")
    if save_workload:
        check_writable(save_workload, "--save-workload", "workload.json")
        refuse_non_json_file(save_workload, "--save-workload", "workload.json")


def _write_outputs(result: Any, workload: Any, save_workload: str | None, console: Any) -> None:
    """Write --save-workload, report the trace; after the results are shown, then fail if either did not work.

    `console` None (--json): success notes are left out, so stdout holds only the JSON document. `result` None:
    an interrupted run (no trace); `workload` None: the capture did not finish (nothing to save)."""
    from accelopt.errors import InputError

    problems: list[str] = []
    if save_workload and workload is not None:
        try:
            workload.save(save_workload)
            if console is not None:
                console.print(f"workload written to {save_workload}")
        except OSError as e:
            problems.append(f"cannot write the workload to {save_workload}: {e.strerror or e}")
    if result is not None and result.trace_path:
        if result.trace_error:
            problems.append(f"the Chrome trace was not written to {result.trace_path}: {result.trace_error}")
        elif console is not None:
            console.print(f"Chrome trace written to {result.trace_path} (open in chrome://tracing or ui.perfetto.dev)")
    if problems:
        raise InputError("; ".join(problems) + " (the results above are complete)",
                         "pass a path in a writable folder with free space and run again")
