"""Start N ranks with torchrun (`python -m torch.distributed.run`) and collect what each rank wrote.

torchrun does the launching and the rendezvous (one node: --standalone on a free port; several nodes: the
static rendezvous at --rdzv-endpoint HOST:PORT of node 0); this module adds what a measuring tool needs
around it: a wall-clock limit, the rank that crashed or hung named in the error with a fix, a port in use
caught before the launch, and no process of the run left behind (torchrun starts each worker in its own
session, so the workers are found by pid and by the run's unique job file and ended one by one).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import ipaddress
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accelopt.distributed.limits import STARTUP_S
from accelopt.distributed.types import TIMES_CHUNK, Job
from accelopt.errors import AcceloptError, InputError, MeasurementError, UnsupportedError, of_kind
from accelopt.interrupts import interrupts_held

POLL_S = 0.1
TERM_GRACE_S = 5.0
"""After SIGTERM, how long torchrun gets to stop its workers before everything left is killed."""
FAIL_GRACE_S = 10.0
"""After a rank reported an error, how long torchrun gets to tear the group down on its own."""


class RankOutOfMemory(InputError):
    """A rank's step did not fit in its memory (the worker's record says so): an input error (the run's size), which a
    caller may keep apart from others (the one-process baseline of a run sharded to fit, run.py)."""


@dataclass(kw_only=True)
class Launch:
    """Where and how the ranks run."""

    nproc: int
    """Ranks on this node (torchrun --nproc-per-node)."""
    nnodes: int = 1
    node_rank: int = 0
    rdzv_endpoint: str | None = None
    """HOST:PORT of node 0 (torchrun's static rendezvous); None on one node (--standalone, a free port)."""
    timeout_s: float = 300.0
    """The longest the run may go without any rank finishing a step; then the ranks still running are reported as
    hung. Until the first step is done (start-up: imports, rendezvous, building the model) the limit is at least
    STARTUP_S."""
    threads_per_rank: int | None = None
    """OMP_NUM_THREADS of each rank; default: this machine's cores / nproc (at least 1)."""

    def __post_init__(self) -> None:
        if self.nproc < 1:
            raise InputError(f"--nproc {self.nproc} must be 1 or more", "pass the number of ranks on this node")
        if self.nnodes < 1:
            raise InputError(f"--nnodes {self.nnodes} must be 1 or more", "pass the number of machines")
        if self.nnodes == 1 and self.node_rank != 0:  # said 'outside 0..0' with a fix that never named --nnodes
            raise InputError(f"--node-rank {self.node_rank} on a one-machine run (--nnodes 1, the default)",
                             "for a run over several machines pass --nnodes M and --rdzv-endpoint HOST:PORT on "
                             "each, numbered --node-rank 0 .. M-1; on one machine leave out --node-rank")
        if not 0 <= self.node_rank < self.nnodes:
            raise InputError(f"--node-rank {self.node_rank} is outside 0..{self.nnodes - 1}",
                             "number the machines 0 .. nnodes-1; node 0 hosts the rendezvous")
        if self.nnodes > 1 and not self.rdzv_endpoint:
            raise InputError(f"--nnodes {self.nnodes} needs --rdzv-endpoint HOST:PORT",
                             "pass node 0's address and a free port, the same on every node")
        if self.rdzv_endpoint is not None:
            split_endpoint(self.rdzv_endpoint)
        check_timeout_s(self.timeout_s, "a hung run",
                        "give the longest a step may take, in s (e.g. --timeout-s 600; a day is 86400)")

    @property
    def world_size(self) -> int:
        return self.nproc * self.nnodes


def check_timeout_s(timeout_s: float, stopped: str, fix: str) -> None:
    """Refuse a --timeout-s that is no finite number of seconds above 0 (InputError with `fix`): the one check of
    `profile --nproc` (Launch) and `probe --collectives`, which differ only in what the limit stops (`stopped`, e.g.
    'a hung run') and in the fix's words. inf was accepted once: a hung rank then held the run for ever."""
    if math.isnan(timeout_s):
        raise InputError("--timeout-s nan is not a number of seconds", fix)
    if not timeout_s > 0:
        raise InputError(f"--timeout-s {timeout_s:g} must be > 0", fix)
    if math.isinf(timeout_s):
        raise InputError(f"--timeout-s inf would never stop {stopped} nor name its stuck rank", fix)


def watchdog_text(timeout_s: float, what: str = "no rank finishes a step") -> str:
    """'stopped if no rank finishes a step for 5 s; start-up, until the first, gets 120 s': how a run's progress line
    states its limit (_wait). Without the start-up clause a --timeout-s under STARTUP_S was said as the limit while a
    rank hung in its imports or its factory held the run for STARTUP_S."""
    said = f"stopped if {what} for {timeout_s:g} s"
    return said if timeout_s >= STARTUP_S else f"{said}; start-up, until the first, gets {STARTUP_S:g} s"


def check_local_ranks(nproc: int, device: str, *, least: int = 1) -> None:
    """Ranks this node can hold, before any is started: on cuda one GPU each (UnsupportedError past the GPUs torch
    sees); on cpu one core each, so at most the logical CPUs this process may run on (usable_cpus; 2 on a 1-core
    machine, the least a collective needs): more ranks time the contention, and a huge --nproc would start that
    many processes.
    `least` is the fewest ranks the caller accepts (2 for a collective or a one-node pipeline): a fix never
    suggests fewer, which the caller would refuse in turn. Then the launcher and backend (check_torchrun)."""
    if device.startswith("cuda"):
        count, _ = local_rank_room(device)
        if count < nproc:
            instead = "--device cpu (gloo: one process per rank)"
            fix = (f"use {_nproc_choice(least, count)} or {instead}" if count >= least else
                   f"use {instead}, or a node with {least} or more GPUs")
            raise UnsupportedError(f"--nproc {nproc} on cuda needs {nproc} GPUs on this node; torch sees {count}",
                                   fix)
        check_torchrun(device)
        return
    check_torchrun(device)
    cores, which = local_rank_room(device)
    if nproc > cores:
        raise InputError(f"--nproc {nproc} is more ranks than {which} (each rank is a process needing a core; more "
                         "would time the contention, not the model)", f"pass {_nproc_choice(max(least, 2), cores)}")


TORCHRUN_FIX = ("install a torch build with torch.distributed (PyTorch's wheels from pytorch.org or PyPI for Linux, "
                "Windows and macOS have it, with gloo; NCCL on Linux CUDA builds), or run in one process (profile "
                "without --nproc, probe without --collectives)")


def check_torchrun(device: str) -> None:
    """torchrun (`python -m torch.distributed.run`, the launcher) and the backend the ranks use on `device` (gloo on
    cpu, NCCL on cuda) are in this torch, before any rank is started. A torch built without distributed support
    (USE_DISTRIBUTED=0: torch.distributed.is_available() is False) has no torchrun: the launcher then died at once
    and the run said only 'torchrun exited with status 1: ... No module named torch.distributed.run', its fix
    'see the log'."""
    import importlib.util

    import torch
    import torch.distributed as dist

    where = f"this torch ({torch.__version__}, {Path(torch.__file__).parent})"
    if not dist.is_available():
        raise UnsupportedError(f"{where} was built without torch.distributed, so it has no torchrun to start the "
                               "ranks", TORCHRUN_FIX)
    try:
        found = importlib.util.find_spec("torch.distributed.run") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise UnsupportedError(f"{where} has no torchrun (module torch.distributed.run) to start the ranks",
                               TORCHRUN_FIX)
    cuda = device.startswith("cuda")
    if not (dist.is_nccl_available() if cuda else dist.is_gloo_available()):
        backend, fix = ("NCCL", f"use --device cpu (gloo), or {TORCHRUN_FIX}") if cuda else ("gloo", TORCHRUN_FIX)
        raise UnsupportedError(f"{where} has no {backend} backend, which the ranks on {device} use", fix)


def usable_cpus() -> tuple[int, str]:
    """(the logical CPUs this process may run on, how to name them): its CPU affinity (measure.contention's
    usable_cores), which taskset, a cgroup cpuset, `docker --cpuset-cpus` or a job scheduler's allocation (Slurm's
    --cpus-per-task) can make fewer than the machine's os.cpu_count(); counting the machine's instead, a job given 4
    of a 64-CPU node's cores was allowed --nproc 8, each rank with 8 threads, 64 threads timed on 4 cores. A cgroup
    CPU quota (a container's CPU limit) lowers it further, rounded up (measure.cgroups). Named as every command names
    them (contention.cores_said: 'the 2 usable cores (cgroup CPU quota 2 CPUs, ...)'): --nproc and --threads said
    'the 2 CPUs of this process's cgroup CPU quota' where env and the busy-machine warning said '2 usable cores'."""
    from accelopt.measure.contention import cores_said, usable_cores

    usable = usable_cores()
    return usable, f"the {cores_said(usable)}"


def threads_per_rank(nproc: int) -> int:
    """Each rank's torch threads (OMP_NUM_THREADS) by default: the usable CPUs shared out, at least 1."""
    return max(1, usable_cpus()[0] // nproc)


def local_rank_room(device: str) -> tuple[int, str]:
    """(the most ranks one node holds, what sets it): on cuda the GPUs torch sees, one per rank; on cpu the logical
    CPUs, one per rank (2 on a 1-core machine, the least a collective needs): check_local_ranks refuses more."""
    if device.startswith("cuda"):
        import torch

        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        return count, f"the {count} GPU{'s' if count != 1 else ''} torch sees on this node"
    usable, which = usable_cpus()
    return (usable, which) if usable >= 2 else (2, f"{which}, counted as 2 (the least a collective needs)")


def _nproc_choice(least: int, most: int) -> str:
    """'--nproc 2' or '--nproc 2 to 4': the values from `least` to `most` (least <= most)."""
    return f"--nproc {most}" if least == most else f"--nproc {least} to {most}"


ENDPOINT_EXAMPLE = "write e.g. --rdzv-endpoint 10.0.0.1:29500, or [fd00::1]:29500 for an IPv6 address"


def split_endpoint(text: str) -> tuple[str, int]:
    """HOST:PORT -> (host, port); an IPv6 address is written in brackets, [ADDRESS]:PORT (RFC 3986 sec. 3.2.2, and
    what torchrun's rendezvous reads), and comes back without them. An unbracketed IPv6 address is refused: in
    '::1:29500' nothing tells the port from the address's last group."""
    bracketed = re.fullmatch(r"\[([^\[\]]*)\]:([0-9]+)", text)
    if bracketed:
        host, port = bracketed.groups()
        if not _is_ipv6(host):
            raise InputError(f"--rdzv-endpoint {text!r}: {host!r} in brackets is not an IPv6 address",
                             ENDPOINT_EXAMPLE)
        if "%" in host:  # torchrun's host check (^[\w\.:-]+$) refuses a zone id after torchrun has started
            raise InputError(f"--rdzv-endpoint {text!r}: the zone id in {host!r} is not accepted by torchrun",
                             "pass a global or unique-local IPv6 address of node 0 (no %zone), or its IPv4 address")
    else:
        host, sep, port = text.rpartition(":")
        if ":" in host or text.startswith("["):
            fix = (f"write the address in brackets: --rdzv-endpoint [{host}]:{port}"
                   if _is_ipv6(host) and re.fullmatch(r"[0-9]{1,5}", port)
                   else "write [ADDRESS]:PORT, e.g. --rdzv-endpoint [fd00::1]:29500")
            raise InputError(f"--rdzv-endpoint {text!r} is not HOST:PORT (an IPv6 address needs brackets around it "
                             "to tell it from the port)", fix)
        if not sep or not host:
            raise InputError(f"--rdzv-endpoint {text!r} is not HOST:PORT", ENDPOINT_EXAMPLE)
    if not re.fullmatch(r"[0-9]{1,5}", port) or not 0 < int(port) < 65536:  # isdigit() took '²'; torchrun: 1-5
        raise InputError(f"--rdzv-endpoint {text!r}: port {port!r} is not a number from 1 to 65535", ENDPOINT_EXAMPLE)
    return host, int(port)


def _is_ipv6(host: str) -> bool:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def join_endpoint(host: str, port: int | str) -> str:
    """(host, port) -> HOST:PORT, an IPv6 address in brackets (the inverse of split_endpoint)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _is_local(host: str) -> bool:
    if host in ("localhost", socket.gethostname(), socket.getfqdn()) or host.startswith("127."):
        return True
    if ":" in host:  # an IPv6 literal (split_endpoint checked it): only its loopback is known to be this machine's
        return ipaddress.IPv6Address(host).is_loopback
    try:
        return socket.gethostbyname(host) in ("127.0.0.1", socket.gethostbyname(socket.gethostname()))
    except OSError:
        return False


def check_port_free(host: str, port: int) -> None:
    """Node 0 hosts the rendezvous store on the port: fail before launching if something holds it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as e:
        raise InputError(f"--rdzv-endpoint host {host!r} is an IPv6 address, and this machine cannot open an IPv6 "
                         f"socket ({e.strerror})", "pass node 0's IPv4 address or name instead") from None
    with sock as s:
        try:
            s.bind(("" if _is_local(host) else host, port))
        except socket.gaierror:
            raise InputError(f"--rdzv-endpoint host {host!r} cannot be resolved to an address",
                             "on node 0 pass this machine's name or IP address (the same on every node)") from None
        except OSError as e:
            if e.errno == errno.EADDRNOTAVAIL:
                raise InputError(f"--rdzv-endpoint host {host!r} is not an address of this machine, and node 0 "
                                 "(--node-rank 0) hosts the rendezvous", "on node 0 pass this machine's own name or "
                                 "IP address (the same on every node)") from None
            if e.errno != errno.EADDRINUSE:
                raise InputError(f"--rdzv-endpoint {join_endpoint(host, port)}: cannot listen there "
                                 f"({e.strerror})", "on node 0 pass a global address or name of this machine (a "
                                 "link-local fe80:: address needs a zone id, which torchrun does not take)") from None
            raise InputError(f"port {port} on {host} is already in use ({e.strerror}); the rendezvous of "
                             "torchrun cannot start there",
                             f"pass --rdzv-endpoint {join_endpoint(host, 'OTHER_PORT')} (the same on every node), "
                             f"or stop the process holding port {port}") from None


# ---- processes ------------------------------------------------------------------------------------------

def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def run_pids(marker: str) -> list[int]:
    """Live processes whose command line holds `marker` (the run's unique job file): the run's own processes."""
    if not Path("/proc").is_dir():
        return []
    me = os.getpid()
    return [int(p.name) for p in Path("/proc").iterdir()
            if p.name.isdigit() and int(p.name) != me and marker in _cmdline(int(p.name))]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not Path(f"/proc/{pid}/stat").exists() or ") Z" not in Path(f"/proc/{pid}/stat").read_text()


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def stop_run(proc: subprocess.Popen[bytes], marker: str, out_dir: Path) -> None:
    """End torchrun and every worker of this run: SIGTERM to torchrun (it stops its workers), then SIGKILL to
    whatever of the run is still alive (workers by their recorded pid and by the job file in their command line)."""
    if proc.poll() is None:
        _signal(proc.pid, signal.SIGTERM)
        try:
            proc.wait(TERM_GRACE_S)
        except subprocess.TimeoutExpired:
            _signal(proc.pid, signal.SIGKILL)
            proc.wait()
    pids = set(run_pids(marker))
    for f in out_dir.glob("rank*.started"):
        pid = int(json.loads(f.read_text())["pid"])
        if marker in _cmdline(pid):  # the pid still belongs to this run (not reused)
            pids.add(pid)
    for pid in pids:
        _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + TERM_GRACE_S
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(POLL_S)


# ---- running ---------------------------------------------------------------------------------------------

def torchrun_command(job_path: Path, launch: Launch) -> list[str]:
    # --log-dir in the run's own folder: without it torchrun's agent makes tempfile.mkdtemp("torchelastic_") in
    # $TMPDIR and never removes it (torch/distributed/elastic/multiprocessing/api.py DefaultLogsSpecs, torch 2.13),
    # one folder left behind per run; here it goes with the run's folder (kept only where an error names it).
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={launch.nproc}",
           f"--nnodes={launch.nnodes}", "--max-restarts=0", "--monitor-interval=0.1",
           f"--log-dir={job_path.parent / 'torchelastic'}"]
    if launch.rdzv_endpoint is None:
        cmd.append("--standalone")
    else:  # torchrun's static rendezvous: node 0 hosts the store at HOST:PORT
        cmd += [f"--node-rank={launch.node_rank}", f"--rdzv-endpoint={launch.rdzv_endpoint}"]
    return [*cmd, "-m", "accelopt.distributed.worker", str(job_path)]


def _env(launch: Launch) -> dict[str, str]:
    import accelopt

    env = dict(os.environ)
    src = str(Path(accelopt.__file__).resolve().parents[1])  # the ranks import this same accelopt
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    env["OMP_NUM_THREADS"] = str(launch.threads_per_rank or threads_per_rank(launch.nproc))
    return env


@dataclass(kw_only=True)
class RawRun:
    """What the ranks of this node wrote: one JSON document per global rank."""

    ranks: list[dict[str, Any]]
    out_dir: Path


def _die_with_parent() -> None:
    """In torchrun's process, before exec: Linux sends it SIGTERM if this process dies (even by SIGKILL), and
    torchrun then stops its workers (prctl PR_SET_PDEATHSIG; elsewhere a no-op)."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """SIGTERM to this process raises SystemExit, so the cleanup in launch_job's `finally` still runs. A handler
    already in place is kept: the CLI's (cli/commands.py _stop_on_term) raises KeyboardInterrupt, which unwinds the same
    way and which `profile --nproc` answers as it answers Ctrl-C (exit 130, said on stderr); replacing it exited 143
    with nothing said, unlike the one-process profile."""
    import threading

    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) not in (
            signal.SIG_DFL, None):
        yield
        return

    def raise_exit(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    before = signal.signal(signal.SIGTERM, raise_exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def launch_job(job: Job, launch: Launch) -> RawRun:
    """Run `job` on `launch.nproc` ranks under torchrun and return what every rank reported.

    Raises InputError (a rank rejected the input, or the port is taken) or MeasurementError (a rank crashed or
    hung), naming the rank and the fix; either way no process of the run remains. An error of the run itself is a
    RunFailed as well, carrying what each rank of this node had measured (read_partial, every process stopped), as
    Ctrl-C's RunInterrupted does: a crash at step 500 kept nothing of the 499 before it."""
    if launch.rdzv_endpoint is not None and launch.node_rank == 0:
        check_port_free(*split_endpoint(launch.rdzv_endpoint))
    out_dir = Path(tempfile.mkdtemp(prefix="accelopt-dist-"))
    job = dataclasses.replace(job, out_dir=str(out_dir))
    job_path = out_dir / "job.json"
    job_path.write_text(json.dumps(dataclasses.asdict(job)))
    log_path = out_dir / "torchrun.log"
    keep = True  # a failure keeps the folder: its error names the torchrun.log there
    with log_path.open("wb") as log, _sigterm_unwinds():
        proc = subprocess.Popen(torchrun_command(job_path, launch), stdout=log, stderr=subprocess.STDOUT,
                                env=_env(launch), start_new_session=True, preexec_fn=_die_with_parent)
        try:
            _wait(proc, launch, out_dir, log_path)
            ranks = _read_results(out_dir, launch)
            keep = job.dump_grads
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM under the CLI (its handler raises KeyboardInterrupt):
            keep = job.dump_grads  # no log is named to anyone, so nothing is left behind
            with interrupts_held("the ranks' steps (stopping every process of the run)"):  # a second Ctrl-C too
                stop_run(proc, str(job_path), out_dir)  # every rank stopped first: their records no longer change
                ranks = read_partial(out_dir, launch)
            raise RunInterrupted(ranks) from None
        except SystemExit:  # SIGTERM without the CLI's handler (_sigterm_unwinds)
            keep = job.dump_grads
            raise
        except AcceloptError as e:  # kept where the error names a file there (a crash's torchrun.log); a rank's
            # out-of-memory or input error names none, and its folder was left in /tmp for nobody
            keep = job.dump_grads or str(out_dir) in f"{e.problem} {e.fix}"
            with interrupts_held("the failed run's steps (stopping every process of the run)"):
                stop_run(proc, str(job_path), out_dir)  # every rank stopped first: their records no longer change
                ranks = read_partial(out_dir, launch)
            raise of_kind(RunFailed, e)(e.problem, e.fix, ranks=ranks, error=e) from e
        finally:
            stop_run(proc, str(job_path), out_dir)
            if not keep:
                shutil.rmtree(out_dir, ignore_errors=True)
    return RawRun(ranks=ranks, out_dir=out_dir)


class RunFailed(AcceloptError):
    """A run ended by an error of its own (a rank crashed, hung, ran out of memory or refused its input): the error's
    problem and fix, and `ranks`, what each rank of this node had measured before it (read_partial). Made of the
    error's class too (errors.of_kind), so a caller catching MeasurementError or RankOutOfMemory still catches it."""

    def __init__(self, problem: str, fix: str = "", *, ranks: list[dict[str, Any]] | None = None,
                 error: AcceloptError | None = None) -> None:
        super().__init__(problem, fix)  # (problem, fix) first: a caller rewording it may rebuild it as type(e)(...)
        self.ranks = ranks or []
        self.error = error if error is not None else AcceloptError(problem, fix)
        """The error as the launcher raised it (its own class)."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM under the CLI) stopped a run: every process of it is gone, and `ranks` holds what each
    rank of this node had measured (read_partial). A KeyboardInterrupt still, for callers that only stop."""

    def __init__(self, ranks: list[dict[str, Any]]) -> None:
        super().__init__()
        self.ranks = ranks


def read_partial(out_dir: Path, launch: Launch) -> list[dict[str, Any]]:
    """What each rank of this node had measured when its run was stopped, in rank order: {'rank', 'started' (it
    wrote its first record), 'progress' (its last step record, with the figures a training rank keeps in it:
    worker.Tally) or None, 'result' (its finished result, where it got that far) or None}. Global ranks
    node_rank x nproc .. + nproc - 1 (torchrun numbers a node's ranks after the nodes before it)."""
    out = []
    first = launch.node_rank * launch.nproc
    for r in range(first, first + launch.nproc):
        records = {}
        for suffix in (".progress", ".json"):
            f = out_dir / f"rank{r}{suffix}"
            try:
                records[suffix] = json.loads(f.read_text()) if f.exists() else None
            except (OSError, ValueError):  # written by rename, so whole; a file system error reads as none
                records[suffix] = None
        progress = records[".progress"]
        if progress is not None and "timed_done" in progress:  # a training rank (worker.Tally): its times
            progress["step_times_s"] = _step_times(out_dir, r, int(progress["timed_done"]))
            progress["losses"] = _step_times(out_dir, r, int(progress.get("losses_done", 0)), "losses")
        out.append({"rank": r, "started": (out_dir / f"rank{r}.started").exists(), "progress": progress,
                    "result": records[".json"]})
    return out


def _step_times(out_dir: Path, rank: int, n: int, what: str = "times") -> list[float]:
    """The first `n` timed step times of `rank`, from its chunks rank<R>.times<K>.json (worker.Tally; `what` =
    'losses': its losses, rank<R>.losses<K>.json). A chunk is written before the count that includes it, so `n` never
    runs past them; a missing chunk ends the list."""
    times: list[float] = []
    for k in range((n + TIMES_CHUNK - 1) // TIMES_CHUNK):
        try:
            times += json.loads((out_dir / f"rank{rank}.{what}{k}.json").read_text())
        except (OSError, ValueError):
            break
    return times[:n]


def _last_progress(out_dir: Path) -> float | None:
    """time.time() of the latest step any rank finished, or None before the first."""
    stamps = [f.stat().st_mtime for f in out_dir.glob("rank*.progress")]
    return max(stamps) if stamps else None


def _wait(proc: subprocess.Popen[bytes], launch: Launch, out_dir: Path, log_path: Path) -> None:
    started = time.time()
    failed_at: float | None = None
    while proc.poll() is None:
        now = time.time()
        last = _last_progress(out_dir)
        deadline = started + max(launch.timeout_s, STARTUP_S) if last is None else last + launch.timeout_s
        if failed_at is None and any(out_dir.glob("rank*.error.json")):
            failed_at = now  # torchrun tears the group down itself; give it a moment, then do it
        if now > deadline or (failed_at is not None and now - failed_at > FAIL_GRACE_S):
            break
        time.sleep(POLL_S)
    errors = _errors(out_dir)
    if not errors and proc.poll() is not None and _complete(out_dir, launch):
        return  # every rank reported its result; a crash in a process's teardown after that loses nothing
    root = _root_cause(log_path, out_dir) if proc.poll() is not None else None
    if root is not None and root[0] not in errors:  # the first rank to fail left no record: a native crash or kill
        raise _silent_error(root, log_path, [r for r in errors if r != root[0]])
    if errors:  # the earliest error first: torchrun may observe several failures at once
        raise _rank_error(errors, out_dir)
    if proc.poll() is None:
        raise _hang_error(out_dir, launch, _stacks(out_dir))
    if proc.returncode != 0:
        raise _exit_error(proc.returncode, log_path, out_dir)


def _complete(out_dir: Path, launch: Launch) -> bool:
    return (out_dir / "all.json").exists() or all((out_dir / f"rank{r}.json").exists()
                                                  for r in range(launch.world_size))


def _errors(out_dir: Path) -> dict[int, dict[str, Any]]:
    out = {}
    for f in out_dir.glob("rank*.error.json"):
        out[int(f.name.split(".")[0].removeprefix("rank"))] = json.loads(f.read_text())
    return dict(sorted(out.items(), key=lambda kv: float(kv[1].get("time", 0.0))))  # first failure first


def _rank_error(errors: dict[int, dict[str, Any]], out_dir: Path) -> Exception:
    rank, rec = next(iter(errors.items()))
    others = _later_ranks(errors, rank)
    if rec.get("type") == "InfeasibleError":
        return RankOutOfMemory(f"rank {rank}{others}: {rec['problem']}", rec.get("fix", ""))
    if rec.get("input"):
        return InputError(f"rank {rank}{others}: {rec['problem']}", rec.get("fix", ""))
    return MeasurementError(f"rank {rank} crashed{others}: {rec['problem']}",
                            f"fix the error in the model or its data on that rank (traceback in "
                            f"{out_dir / 'torchrun.log'}); the run was stopped and no process is left")


def _later_ranks(errors: dict[int, dict[str, Any]], first: int) -> str:
    """' (rank 0 the same; then rank 2 failed in turn)': how the ranks that failed after `first` are said. A rank
    that reported the first's own error met it itself (a factory or a batch that fails on every rank), and was said
    to 'fail in turn', as if the first's exit had felled it; the others failed after it, losing their peer."""
    def ranks(rs: list[int]) -> str:
        return f"rank{'s' if len(rs) > 1 else ''} {', '.join(map(str, rs))}"

    later = [r for r in errors if r != first]
    same = [r for r in later if errors[r].get("problem") == errors[first].get("problem")]
    turn = [r for r in later if r not in same]
    said = ([f"{ranks(same)} the same"] if same else []) + ([f"then {ranks(turn)} failed in turn"] if turn else [])
    return f" ({'; '.join(said)})" if said else ""


def _progress(out_dir: Path, world: int) -> dict[int, int]:
    """Last finished step per rank (-1: started, no step finished; ranks of other nodes are not here)."""
    out = {}
    for r in range(world):
        f = out_dir / f"rank{r}.progress"
        if f.exists():
            out[r] = int(json.loads(f.read_text())["step"])
        elif (out_dir / f"rank{r}.started").exists():
            out[r] = -1
    return out


def _stacks(out_dir: Path) -> dict[int, str]:
    """Where each live rank is: its innermost Python frame 'file:line in function' (faulthandler on SIGUSR1)."""
    pids = {}
    for f in out_dir.glob("rank*.started"):
        pid = int(json.loads(f.read_text())["pid"])
        if str(out_dir) in _cmdline(pid):
            pids[int(f.name.split(".")[0].removeprefix("rank"))] = pid
            _signal(pid, signal.SIGUSR1)
    time.sleep(0.5)
    out = {}
    for rank in pids:
        text = (out_dir / f"rank{rank}.stack").read_text(errors="replace") if (
            out_dir / f"rank{rank}.stack").exists() else ""
        frame = re.search(r'File "([^"]+)", line (\d+) in (\S+)', text)
        if frame:
            out[rank] = f"{frame.group(1)}:{frame.group(2)} in {frame.group(3)}"
    return out


def _in_torch(where: str) -> bool:
    return f"{os.sep}torch{os.sep}" in where


def _hang_error(out_dir: Path, launch: Launch, stacks: dict[int, str]) -> Exception:
    log = out_dir / "torchrun.log"
    outside = {r: w for r, w in stacks.items() if not _in_torch(w)}
    if outside and len(outside) < len(stacks):  # some ranks wait inside torch (a collective) for the others
        names = ", ".join(f"rank {r} at {w}" for r, w in sorted(outside.items()))
        waiting = ", ".join(map(str, sorted(set(stacks) - set(outside))))
        return MeasurementError(f"{names} hung: no step finished within --timeout-s {launch.timeout_s:g} s while "
                                f"rank(s) {waiting} wait for it in a collective",
                                f"fix what blocks there (a loop, a blocking read, a lock), or raise --timeout-s if "
                                f"the step is only slow; the run was stopped and no process is left (log: {log})")
    prog = _progress(out_dir, launch.world_size)
    if not prog:
        return MeasurementError(f"no rank started within {max(launch.timeout_s, STARTUP_S):g} s",
                                "check that every node runs the same command and can reach --rdzv-endpoint, "
                                f"or raise --timeout-s (torchrun's log: {log})")
    low = min(prog.values())
    stuck = [r for r, s in prog.items() if s == low]
    ahead = max(prog.values())
    where = "before its first step" if low < 0 else f"after step {low}"
    detail = f" while others reached step {ahead}" if ahead > low else ""
    names = ", ".join(map(str, stuck))
    return MeasurementError(f"rank{'s' if len(stuck) > 1 else ''} {names} hung: no step finished within "
                            f"--timeout-s {launch.timeout_s:g} s, {where}{detail}",
                            f"if the step is only slow, raise --timeout-s; else look for a deadlock on rank {stuck[0]} "
                            f"(a collective the other ranks never reach, a blocking read); the run was stopped and "
                            f"no process is left (log: {log})")


def _root_cause(log_path: Path, out_dir: Path) -> tuple[int, int] | None:
    """(rank, exit code) of the first failure: a rank torchrun saw fail that left no record (killed by a signal
    other than torchrun's own SIGTERM, or a native crash), else torchrun's 'Root Cause (first observed failure)'.
    torchrun can observe several failures at once, so its root cause may be a rank that only lost its peer."""
    log = log_path.read_text(errors="replace")
    failures = {int(m.group(1)): int(m.group(2)) for m in
                re.finditer(r"^\s+rank\s+:\s*(\d+)[^\n]*\n\s+exitcode\s+:\s*(-?\d+)", log, re.MULTILINE)}
    silent = [(r, c) for r, c in failures.items() if c not in (0, -signal.SIGTERM)
              and not (out_dir / f"rank{r}.error.json").exists() and not (out_dir / f"rank{r}.json").exists()]
    if silent:
        return min(silent)
    root = re.search(r"Root Cause.*?rank\s*:\s*(\d+).*?exitcode\s*:\s*(-?\d+)", log, re.DOTALL)
    return (int(root.group(1)), int(root.group(2))) if root else None


def _silent_error(root: tuple[int, int], log_path: Path, later: list[int]) -> Exception:
    rank, exitcode = root
    how = f"was killed by signal {-exitcode}" if exitcode < 0 else f"exited with status {exitcode}"
    then = f" (then rank{'s' if len(later) > 1 else ''} {', '.join(map(str, later))} failed in turn)" if later else ""
    return MeasurementError(f"rank {rank} {how} without reporting an error (a native crash, the out-of-memory "
                            f"killer, or a kill){then}",
                            f"run the model once in one process to find the crash, check the memory of that machine; "
                            f"the torchrun log is in {log_path}; no process of the run is left")


def _exit_error(code: int, log_path: Path, out_dir: Path) -> Exception:
    log = log_path.read_text(errors="replace")
    if re.search(r"address already in use|EADDRINUSE", log, re.IGNORECASE):
        return InputError("the rendezvous port is already in use",
                          "pass --rdzv-endpoint HOST:OTHER_PORT (the same on every node), or stop the process "
                          "holding the port")
    tail = log.strip().splitlines()[-3:]
    return MeasurementError(f"torchrun exited with status {code}: {' | '.join(tail)}",
                            f"see {log_path}; no process of the run is left")


def _read_results(out_dir: Path, launch: Launch) -> list[dict[str, Any]]:
    gathered = out_dir / "all.json"
    if gathered.exists():  # rank 0's gathering of every node's ranks
        return list(json.loads(gathered.read_text()))
    ranks = []
    for r in range(launch.world_size):
        f = out_dir / f"rank{r}.json"
        if f.exists():
            ranks.append(json.loads(f.read_text()))
    if not ranks:
        raise MeasurementError("the run ended without any rank's result", f"see {out_dir / 'torchrun.log'}")
    return ranks
