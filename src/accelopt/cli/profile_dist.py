"""`accelopt profile MODEL --nproc N --parallel ddp|fsdp|pipeline`: parse into typed objects, call the library."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accelopt.interrupts import stopped_by

BUNDLE_REF = "accelopt.cli.profile:_load_bundle"
"""Every rank resolves MODEL exactly as `profile` does (zoo name, file.py:factory, HF config)."""


def _spec(catalog_device: str | None, probed: str | None, device: str, catalog: tuple[Path, ...] = ()) -> Any:
    """The spec plan predicts on: --probed (measured, with its collectives), else --catalog-device (of the built-in
    catalog or a --catalog file), else the detected device's catalog entry; None where there is none (the
    prediction is then left out, and said so)."""
    from accelopt.cli.profile import _catalog_spec, _probed_spec

    return _probed_spec(probed) or _catalog_spec(catalog_device, device, catalog)


INTERRUPTED = ("interrupted ({by}) before any rank finished a step: nothing was measured to show or record, and "
               "none of its processes is left")
"""Said (`by`: interrupts.stopped_by, the signal) when the stop came while the model was loaded, its layers timed
for the pipeline split, or the ranks started (torch imports, the rendezvous, the first step)."""


def check_no_distributed_flags(given: dict[str, bool]) -> None:
    """Distributed flags without --nproc would be silently ignored: say so instead."""
    from accelopt.errors import InputError

    used = [flag for flag, set_ in given.items() if set_]
    if used:
        raise InputError(f"{', '.join(used)} appl{'y' if len(used) > 1 else 'ies'} to distributed runs only",
                         f"add --nproc N (e.g. --nproc 2), or leave {'them' if len(used) > 1 else 'it'} out")


@dataclass(kw_only=True)
class DistOptions:
    """`profile MODEL --nproc N ...`: the options a distributed run uses, as typed (checked by `measure`)."""

    model: str
    size: str | None
    batch_size: int | None
    seq_len: int | None
    mode: str
    dtype: str
    device: str
    steps: int
    warmup: int
    catalog_device: str | None
    catalog: tuple[Path, ...] = ()
    probed: str | None
    nproc: int
    parallel: str
    schedule: str
    microbatches: int | None
    stage_memory_gib: float | None
    """--stage-memory-gib: the pipeline partitioner's memory limit per stage, GiB (2**30 bytes); None: none."""
    nnodes: int
    node_rank: int
    rdzv_endpoint: str | None
    timeout_s: float
    find_unused_parameters: bool = False
    """--find-unused-parameters: DDP's find_unused_parameters=True whatever the first batch shows."""
    profile_steps: int | None = None
    """--profile-steps: steps under torch.profiler after the timed ones; None: DistConfig's default."""
    as_json: bool
    html: str | None
    unsupported: dict[str, Any] = field(default_factory=dict)
    """Single-process flags given with --nproc (flag -> value): refused when set."""


def run_distributed(o: DistOptions) -> None:
    """Check the options, run and measure the distributed job (one library call), record it and render it."""
    import typer

    from accelopt.distributed.run import DistributedFailed, DistributedInterrupted, MeasuredInterrupted

    try:
        # what the model's own code prints while this process loads it goes to stderr: stdout keeps the tables or
        # the --json document only (as for the one-process profile)
        with contextlib.redirect_stdout(sys.stderr):
            result = measure(o)
    except DistributedInterrupted as stop:  # every rank is stopped (launch_job); what they measured is here
        keep_interrupted(stop.partial, o)
        raise typer.Exit(130) from None  # the shell's status for Ctrl-C, as the one-process profile exits
    except DistributedFailed as failed:  # a rank crashed or hung after steps were measured: they are kept, then exit 2
        keep_interrupted(failed.partial, o)
        raise
    except MeasuredInterrupted as stop:  # stopped after the N-rank run: the whole result, less what was cut short
        from accelopt.interrupts import interrupts_held
        from accelopt.report.console import make_console, plain

        with interrupts_held("what the ranks measured"):
            _finish(stop.result, o)
            make_console(stderr=True).print(plain(f"interrupted ({stopped_by()}) {stop.when}; none of the "
                                                  "run's processes is left", "yellow"))
        raise typer.Exit(130) from None
    except KeyboardInterrupt:  # before any rank finished a step (run.profile_distributed): nothing measured
        from accelopt.report.console import make_console, plain

        make_console(stderr=True).print(plain(INTERRUPTED.format(by=stopped_by()), "yellow"))
        raise typer.Exit(130) from None  # the shell's status for Ctrl-C
    _finish(result, o)


def _finish(result: Any, o: DistOptions) -> None:
    """Record, then print (tables, or the --json document) a measured DistributedResult."""
    from accelopt.report.runs import finish_run

    finish_run("profile-distributed", result, o.html)
    if o.as_json:
        from accelopt.report.jsonout import emit

        emit(result)
        return
    from accelopt.report.console import make_console
    from accelopt.report.distributed_view import render

    render(result, make_console())


def keep_interrupted(partial: Any, o: DistOptions) -> None:
    """Record (history kind 'profile-distributed-partial'), print (--json: its document) and write the --html page
    of what the ranks of a stopped (interrupted or failed) run measured; a second Ctrl-C or SIGTERM meanwhile is put
    off, not obeyed."""
    from accelopt.interrupts import interrupts_held
    from accelopt.report.console import make_console, plain
    from accelopt.report.distributed_view import interrupted_line
    from accelopt.report.runs import finish_run

    with interrupts_held("what the ranks measured"):
        finish_run("profile-distributed-partial", partial, o.html)
        if o.as_json:
            from accelopt.report.jsonout import emit

            emit(partial)
        else:
            from accelopt.report.distributed_view import render_partial

            render_partial(partial, make_console())
        if not partial.failed:  # a failed run's error (printed next) says what was kept and that no process is left
            make_console(stderr=True).print(plain(interrupted_line(partial), "yellow"))


def _check(o: DistOptions) -> None:
    from accelopt.errors import InputError

    for flag, value in o.unsupported.items():
        if value:
            raise InputError(f"{flag} does not apply to a distributed run (--nproc)",
                             f"leave out {flag}, or run without --nproc for it")
    if o.mode != "train":
        raise InputError(f"--mode {o.mode} with --nproc: distributed runs measure training steps",
                         "leave out --mode (train) or --nproc")
    if o.dtype != "fp32":
        raise InputError(f"--dtype {o.dtype} with --nproc: distributed runs are measured in fp32 for now",
                         "leave out --dtype")
    if o.html is not None:
        from accelopt.userio import check_writable

        check_writable(o.html, "--html", "report.html")


def measure(o: DistOptions) -> Any:
    """The DistributedResult of the run `o` describes (accelopt.distributed.run.profile_distributed)."""
    from accelopt.distributed.launch import Launch
    from accelopt.distributed.limits import PROFILE_STEPS
    from accelopt.distributed.run import DistConfig, profile_distributed, stage_memory_limit_bytes

    _check(o)
    launch = Launch(nproc=o.nproc, nnodes=o.nnodes, node_rank=o.node_rank, rdzv_endpoint=o.rdzv_endpoint,
                    timeout_s=o.timeout_s)
    cfg = DistConfig(bundle_ref=BUNDLE_REF,
                     bundle_kwargs={"model": o.model, "size": o.size, "batch_size": o.batch_size,
                                    "seq_len": o.seq_len},
                     parallel=o.parallel, schedule=o.schedule, microbatches=o.microbatches, steps=o.steps,
                     warmup=o.warmup, device="cuda" if o.device.startswith("cuda") else o.device,
                     stage_memory_limit_bytes=stage_memory_limit_bytes(o.stage_memory_gib),
                     find_unused_parameters=o.find_unused_parameters,
                     profile_steps=PROFILE_STEPS if o.profile_steps is None else o.profile_steps)
    from accelopt.cli.profile import _progress

    spec = _spec(o.catalog_device, o.probed, o.device, o.catalog)
    progress = _progress()
    progress(f"loading {o.model}")
    return profile_distributed(cfg, launch, spec=spec, on_pass=progress)
