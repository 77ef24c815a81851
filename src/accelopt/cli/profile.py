"""`accelopt profile MODEL`: where a real PyTorch model's step time, memory and energy go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

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


def _load_bundle(model: str, *, size: str | None, batch_size: int | None, seq_len: int | None) -> Any:
    """Resolve MODEL (zoo name, file.py:factory, HF config) to a ModelBundle with fp32 weights."""
    from accelopt.errors import InputError
    from accelopt.units import MAX_COUNT

    for flag, v in (("--batch-size", batch_size), ("--seq-len", seq_len)):
        if v is not None and not 1 <= v <= MAX_COUNT:
            raise InputError(f"{flag} {v} is not a number 1..{MAX_COUNT:,}", f"pass {flag} 1 or more, or leave it out")
    from accelopt.userio import path_kind

    path_part = model.rpartition(":")[0]
    meant_as_path = path_part.endswith(".py") or model.endswith((".py", ".json")) or "/" in model
    kind = path_kind(model, "model") if meant_as_path else "missing"
    is_path = meant_as_path or kind != "missing"
    if size is not None and is_path:
        raise InputError(f"--size {size} applies to zoo models only, not to {model!r}",
                         "leave out --size; size your own model in its factory or config.json")
    if path_part.endswith(".py") or model.endswith(".py"):  # a bare file.py gets the ":factory" hint
        from accelopt.workload.userfile import load_user_factory

        kwargs = {k: v for k, v in (("batch_size", batch_size), ("seq_len", seq_len)) if v is not None}
        return load_user_factory(model, **kwargs)
    p = Path(model)
    if kind == "folder" or p.name == "config.json" or model.endswith(".json"):
        if kind == "missing":
            raise InputError(f"model config {model!r} does not exist", "pass an existing directory or config.json")
        try:
            from accelopt.workload.hf import build_from_hf_config
        except ImportError as e:
            raise InputError("the Hugging Face builder (accelopt.workload.hf) is not available",
                             "install the hf extra: pip install 'accelopt[hf]'") from e
        return build_from_hf_config(str(p), batch_size=batch_size, seq_len=seq_len)
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
                     dtype="fp32")


def _catalog_spec(name: str | None, device: str) -> Any:
    """--catalog-device, else the catalog entry matched to the detected local device (None where none matches)."""
    from accelopt.hardware.catalog import get_device

    if name:
        return get_device(name)
    from accelopt.hardware.detect import find_device

    found = find_device(device)
    return get_device(found.catalog_name) if found.catalog_name else None


def _probed_spec(path: str | None) -> Any:
    if path is None:
        return None
    from accelopt.errors import InputError
    from accelopt.hardware.catalog import get_device
    from accelopt.userio import path_kind

    if not path.endswith(".toml") or path_kind(path, "--probed file") != "file":
        raise InputError(f"--probed {path!r} is not an existing .toml file",
                         "pass the spec file written by `accelopt probe`")
    return get_device(path)


def register(app: typer.Typer) -> None:
    @app.command("profile", help=HELP)
    def profile_cmd(
        model: str = typer.Argument(..., help="zoo name, path/file.py:factory, or HF config dir/config.json"),
        size: str | None = typer.Option(None, "--size", help="zoo models only: tiny (default), small or "
                                                             "realistic (resnet also resnet18, resnet50)"),
        mode: str = typer.Option("train", "--mode", help="train (forward, backward, optimizer) or inference"),
        batch_size: int | None = typer.Option(None, "--batch-size", help="samples per step (model default)"),
        seq_len: int | None = typer.Option(None, "--seq-len", help="tokens per sample (gpt, bert, HF, a factory "
                                                                   "taking seq_len); image side for resnet"),
        dtype: str = typer.Option("fp32", "--dtype", help="fp32, or bf16/fp16 under torch.autocast"),
        device: str = typer.Option("cpu", "--device", help="cpu or cuda:N"),
        steps: int = typer.Option(20, "--steps", help="timed steps for the headline median/p10/p90 (3 or "
                                                              "more)"),
        warmup: int = typer.Option(3, "--warmup", help="uninstrumented warm-up steps"),
        catalog_device: str | None = typer.Option(None, "--catalog-device",
                                                  help="catalog entry for the peaks, e.g. h100-sxm "
                                                       "(default: the detected device's entry, if any)"),
        probed: str | None = typer.Option(None, "--probed", help="spec TOML written by `accelopt probe`"),
        trace: str | None = typer.Option(None, "--trace", help="write a Chrome trace of the profiled steps here"),
        save_workload: str | None = typer.Option(None, "--save-workload",
                                                 help="write the captured Workload JSON (for plan/simulate)"),
        allow_nonfinite: bool = typer.Option(False, "--allow-nonfinite",
                                             help="profile a step whose loss, output or gradients are NaN/inf "
                                                  "(flagged in the result) instead of stopping with an error"),
        as_json: bool = typer.Option(False, "--json", help="print one JSON document instead of tables"),
        html: str | None = typer.Option(None, "--html", help="also write a self-contained HTML report here"),
        nproc: int | None = typer.Option(None, "--nproc", help="run on N ranks under torchrun (gloo on cpu, NCCL "
                                                               "on cuda) beside the one-process run; see README"),
        parallel: str = typer.Option("ddp", "--parallel", help="with --nproc: ddp, fsdp (fully_shard) or pipeline"),
        schedule: str = typer.Option("1f1b", "--schedule", help="--parallel pipeline: 1f1b or gpipe"),
        microbatches: int | None = typer.Option(None, "--microbatches",
                                                help="--parallel pipeline: micro-batches per step (default: the "
                                                     "largest divisor of the batch up to 2 x stages)"),
        nnodes: int = typer.Option(1, "--nnodes", help="with --nproc: machines in the run (torchrun --nnodes)"),
        node_rank: int = typer.Option(0, "--node-rank", help="with --nnodes: this machine's rank, 0 hosts the "
                                                             "rendezvous"),
        rdzv_endpoint: str | None = typer.Option(None, "--rdzv-endpoint",
                                                 help="with --nnodes: HOST:PORT of node 0 (the same on every node)"),
        timeout_s: float = typer.Option(600.0, "--timeout-s", help="with --nproc: if no rank finishes a step for "
                                                                   "this long, the run is stopped and the stuck rank "
                                                                   "named (start-up gets at least 120 s)"),
    ) -> None:
        if nproc is not None:
            from accelopt.cli.profile_dist import DistOptions, run_distributed

            run_distributed(DistOptions(model=model, size=size, batch_size=batch_size, seq_len=seq_len, mode=mode,
                            dtype=dtype, device=device, steps=steps, warmup=warmup, catalog_device=catalog_device,
                            probed=probed,
                            nproc=nproc, parallel=parallel, schedule=schedule, microbatches=microbatches,
                            nnodes=nnodes, node_rank=node_rank, rdzv_endpoint=rdzv_endpoint, timeout_s=timeout_s,
                            as_json=as_json, html=html,
                            unsupported={"--trace": trace, "--save-workload": save_workload,
                                         "--allow-nonfinite": allow_nonfinite}))
            return
        from accelopt.cli.profile_dist import check_no_distributed_flags

        check_no_distributed_flags({"--parallel": parallel != "ddp", "--schedule": schedule != "1f1b",
                                    "--microbatches": microbatches is not None, "--nnodes": nnodes != 1,
                                    "--node-rank": node_rank != 0, "--rdzv-endpoint": rdzv_endpoint is not None,
                                    "--timeout-s": timeout_s != 600.0})
        from accelopt.measure.diagnose import diagnose
        from accelopt.measure.profiler import capture_for_profile, check_args, profile_step

        check_args(mode=mode, dtype=dtype, device=device, steps=steps, warmup=warmup)
        _check_outputs(trace, save_workload, html)
        if html is not None:
            from accelopt.userio import check_writable

            check_writable(html, "--html", "report.html")  # before the run, not after
        spec = _catalog_spec(catalog_device, device)
        probed_spec = _probed_spec(probed)
        progress = _progress()
        from accelopt.measure.memory import out_of_memory_as_error

        what = f"--batch-size {batch_size}" if batch_size is not None else f"{model}'s default batch"
        with out_of_memory_as_error(what, device):
            progress(f"loading {model}")
            bundle = _load_bundle(model, size=size, batch_size=batch_size, seq_len=seq_len)
            progress("capturing one step's ops (FLOPs and bytes per op)")
            workload = capture_for_profile(bundle, mode, dtype, device)
            result = profile_step(bundle, mode=mode, dtype=dtype, device=device, steps=steps, warmup=warmup,
                                  spec=spec, probed_spec=probed_spec, trace_path=trace, workload=workload,
                                  allow_nonfinite=allow_nonfinite, on_pass=progress)
        diagnose(result, spec=spec, probed_spec=probed_spec)
        from accelopt.report.runs import finish_run

        finish_run("profile", result, html)
        if as_json:
            from accelopt.report.jsonout import emit

            emit(result)
            _write_outputs(result, workload, save_workload, None)  # after the results: nothing measured is lost
            return
        from accelopt.report.console import make_console
        from accelopt.report.profile_view import render

        console = make_console()
        render(result, console)
        _write_outputs(result, workload, save_workload, console)


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
    import os

    from accelopt.errors import InputError
    from accelopt.measure.roofline import check_trace_path
    from accelopt.userio import check_writable

    seen: dict[Path, str] = {}
    for opt, path in (("--trace", trace), ("--save-workload", save_workload), ("--html", html)):
        if path:
            key = Path(os.path.abspath(os.path.expanduser(path)))  # no lookup: a bad path is checked below
            if key in seen:
                raise InputError(f"{seen[key]} and {opt} both name {path}; one would overwrite the other",
                                 "give each output its own file")
            seen[key] = opt

    if trace:
        check_trace_path(trace)
    if save_workload:
        check_writable(save_workload, "--save-workload", "workload.json")


def _write_outputs(result: Any, workload: Any, save_workload: str | None, console: Any) -> None:
    """Write --save-workload, report the trace; after the results are shown, then fail if either did not work.

    `console` None (--json): success notes are left out, so stdout holds only the JSON document."""
    from accelopt.errors import InputError

    problems: list[str] = []
    if save_workload:
        try:
            workload.save(save_workload)
            if console is not None:
                console.print(f"workload written to {save_workload}")
        except OSError as e:
            problems.append(f"cannot write the workload to {save_workload}: {e.strerror or e}")
    if result.trace_path:
        if result.trace_error:
            problems.append(f"the Chrome trace was not written to {result.trace_path}: {result.trace_error}")
        elif console is not None:
            console.print(f"Chrome trace written to {result.trace_path} (open in chrome://tracing or ui.perfetto.dev)")
    if problems:
        raise InputError("; ".join(problems) + " (the results above are complete)",
                         "pass a path in a writable folder with free space and run again")
