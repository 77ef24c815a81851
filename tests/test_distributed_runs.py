"""Real 2-process runs on CPU over gloo (torchrun): DDP, FSDP and a 2-stage pipeline against one process.

Tolerances, stated before measuring: the same global batch and initial weights give the same loss up to float
reassociation (a sum split over ranks or micro-batches), so each step's loss must match the one-process run
within a relative 1e-4 over 5 steps of SGD(lr=0.5); DDP's averaged gradients after one step within 1e-5 of the
largest gradient. A failure names the rank, exits 2, and leaves no process of the run behind."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.distributed.launch import Launch, run_pids
from accelopt.distributed.run import DistConfig, profile_distributed
from accelopt.distributed.types import DistributedResult
from accelopt.distributed.worker import PROFILE_STEPS
from accelopt.errors import InputError, MeasurementError

MODELS = str(Path(__file__).with_name("dist_models.py"))
REF = f"{MODELS}:mlp"
LOSS_RTOL = 1e-4
GRAD_RTOL = 1e-5
STEPS = 1 + 3 + 1 + 1  # warm-up, timed, the profiler's warm-up (worker.PROFILER_WARMUP_STEPS), profiled


@pytest.fixture(scope="module", autouse=True)
def _run_dirs_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The runs' folders (kept on failure, and with dump_grads) go under pytest's tmp, not the system's /tmp."""
    import tempfile

    before = tempfile.tempdir
    tempfile.tempdir = str(tmp_path_factory.mktemp("runs"))
    yield
    tempfile.tempdir = before


def _cfg(parallel: str, **kw: Any) -> DistConfig:
    return DistConfig(bundle_ref=REF, parallel=parallel, steps=3, warmup=1, profile_steps=1, **kw)


@pytest.fixture(scope="module")
def ddp_run() -> DistributedResult:
    return profile_distributed(_cfg("ddp"), Launch(nproc=2, timeout_s=240), dump_grads=True)


def _assert_same_losses(got: list[float], want: list[float]) -> None:
    assert len(got) == len(want) == STEPS
    # step 4 sees step 0's batch again (4 batches cycle): the gap is what training moved, far above the tolerance
    assert abs(want[4] - want[0]) > 100 * LOSS_RTOL * want[0]
    assert got == pytest.approx(want, rel=LOSS_RTOL)


def test_ddp_matches_one_process_losses_and_gradients(ddp_run: DistributedResult) -> None:
    import torch

    r = ddp_run
    assert r.single is not None and [x.rank for x in r.ranks] == [0, 1]
    for rank in r.ranks:
        _assert_same_losses(rank.losses, r.single.losses)
    ddp_dir, one_dir = (Path(d) for d in r.environment["run_dirs"])
    g_ddp, g_one = torch.load(ddp_dir / "grads_rank0.pt"), torch.load(one_dir / "grads_rank0.pt")
    assert set(g_ddp) == set(g_one) and len(g_one) == 6  # 3 Linear layers x (weight, bias)
    for name, want in g_one.items():
        assert (g_ddp[name] - want).abs().max() <= GRAD_RTOL * want.abs().max(), name


def test_ddp_measures_each_rank(ddp_run: DistributedResult) -> None:
    r = ddp_run
    for rank in r.ranks:
        assert len(rank.step_times_s) == 3 and all(t > 0 for t in rank.step_times_s)
        assert rank.comm.comm_s > 0  # DDP all-reduces the gradients: gloo's events are in the trace
        assert 0 <= rank.comm.overlapped_s <= rank.comm.comm_s
        assert rank.peak_memory_bytes > 0
        assert rank.op_overhead_s is not None and rank.op_overhead_s > 0  # measured for the prediction (utdist)
        assert rank.p2p_latency_s is None  # a pipeline's figure only
    slow = max(x.step_median_s for x in r.ranks)
    assert r.step_median_s == slow and r.straggler_ratio >= 1.0
    assert r.scaling_efficiency == pytest.approx(r.single.step_median_s / (2 * slow))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return int(s.getsockname()[1])


def test_fsdp_matches_one_process(ddp_run: DistributedResult) -> None:
    # through an explicit --rdzv-endpoint: the static rendezvous a multi-node run uses, here with one node
    launch = Launch(nproc=2, timeout_s=240, nnodes=1, node_rank=0, rdzv_endpoint=f"127.0.0.1:{_free_port()}")
    r = profile_distributed(_cfg("fsdp", baseline=False), launch)
    assert r.single is None
    import io

    from accelopt.report.console import make_console
    from accelopt.report.distributed_view import render

    buf = io.StringIO()
    render(r, make_console(file=buf, width=160))
    text = buf.getvalue()
    assert "fsdp on 2 ranks on 1 node (gloo, cpu)" in text and "straggler: rank" in text
    assert "plan's prediction: left out" in text  # no spec given: said, not silently skipped
    for rank in r.ranks:
        _assert_same_losses(rank.losses, ddp_run.single.losses)  # same model, seed and batches
        assert rank.comm.comm_s > 0  # all-gathers and reduce-scatters


def test_pipeline_cli_matches_one_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "dist.html"
    code, out, err = run_main(["profile", REF, "--nproc", "2", "--parallel", "pipeline", "--schedule", "gpipe",
                               "--steps", "3", "--warmup", "1", "--json", "--html", str(page),
                               "--catalog-device", "xeon-8480plus"], capsys)
    assert code == 0, err
    r = json.loads(out)
    assert r["parallel"] == "pipeline" and r["microbatches"] == 4  # largest divisor of 16 up to 2 x 2 stages
    assert [x["stage"] for x in r["ranks"]] == [0, 1]
    # utdist: the ranks measure what the prediction used to assume; rvC: the prediction uses them only for the
    # machine the run ran on (a --probed spec or the detected device's catalog entry), so a --catalog-device of
    # another CPU keeps the assumed figures and says so
    assert r["ranks"][0]["p2p_latency_s"] > 0 and r["ranks"][1]["p2p_latency_s"] is None  # rank 0 -> 1
    assert all(x["op_overhead_s"] > 0 for x in r["ranks"])
    assert {i["name"]: i["measured"] for i in r["prediction"]["inputs"]} == {"per-op cost": False,
                                                                              "p2p latency": False}
    want = r["single"]["losses"]
    for rank in r["ranks"]:
        assert len(rank["losses"]) == 1 + 3 + 1 + PROFILE_STEPS  # warm-up, timed, the profiler's warm-up, profiled
        assert rank["losses"] == pytest.approx(want, rel=LOSS_RTOL)
    bounds = r["partition"]["balanced"]["bounds"]
    assert bounds[0] == 0 and bounds[-1] == 5 and 0 < bounds[1] < 5
    text = page.read_text()
    assert "per-rank time per step" in text and "balanced and the equal-layer split" in text
    code, out, err = run_main(["history", "list", "--json"], capsys)
    assert code == 0 and '"profile-distributed"' in out, err


def _marker(e: BaseException) -> str:
    found = re.search(r"(/\S+?)/torchrun\.log", str(e))
    assert found, f"the error names no log of the run: {e}"
    return f"{found.group(1)}/job.json"


def test_crashing_rank_is_named_exit_2_no_orphans(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["profile", f"{MODELS}:crashing", "--nproc", "2", "--steps", "3"], capsys)
    assert code == 2
    assert "rank 1 crashed" in err and "injected failure" in err and "fix:" in err
    log = re.search(r"(/\S+?)/torchrun\.log", err)
    assert log and run_pids(f"{log.group(1)}/job.json") == []


def test_killed_rank_is_named_not_the_rank_that_lost_it() -> None:
    cfg = DistConfig(bundle_ref=f"{MODELS}:killed", parallel="ddp", steps=3, warmup=1, baseline=False)
    with pytest.raises(MeasurementError) as e:
        profile_distributed(cfg, Launch(nproc=2, timeout_s=60))
    # rank 1 dies by SIGKILL and writes nothing; rank 0 then fails on the closed connection
    assert e.value.problem.startswith("rank 1 was killed by signal 9"), e.value.problem
    assert run_pids(_marker(e.value)) == []


def test_hanging_rank_is_named_after_timeout_no_orphans() -> None:
    cfg = DistConfig(bundle_ref=f"{MODELS}:hanging", parallel="ddp", steps=3, warmup=1, baseline=False)
    with pytest.raises(MeasurementError) as e:
        profile_distributed(cfg, Launch(nproc=2, timeout_s=5))  # rank 1 blocks in its third step
    assert "rank 1 at" in e.value.problem and "dist_models.py" in e.value.problem and "hung" in e.value.problem
    assert run_pids(_marker(e.value)) == []


def test_port_in_use_is_an_input_error() -> None:
    with socket.socket() as s:
        s.bind(("", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(InputError) as e:
            profile_distributed(_cfg("ddp"), Launch(nproc=2, rdzv_endpoint=f"localhost:{port}"))
    assert f"port {port}" in e.value.problem and "--rdzv-endpoint" in e.value.fix


@pytest.mark.gpu
def test_nccl_ddp_on_one_gpu_matches_one_process() -> None:
    r = profile_distributed(_cfg("ddp", device="cuda"), Launch(nproc=1, timeout_s=240))
    assert r.backend == "nccl" and r.single is not None
    assert r.ranks[0].losses == pytest.approx(r.single.losses, rel=LOSS_RTOL)
    assert r.ranks[0].memory_source == "torch.cuda.max_memory_allocated"


LAUNCHER = """
import sys
from accelopt.distributed.launch import Launch, launch_job
from accelopt.distributed.types import Job
launch_job(Job(bundle_ref=sys.argv[1], parallel="ddp", steps=3, warmup=1), Launch(nproc=2, timeout_s=600))
"""


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_killed_launcher_leaves_no_rank_behind(sig: str, tmp_path: Path) -> None:
    """The launcher itself is stopped (a CI cancel, a kill -9) while rank 1 hangs: nothing of the run survives."""
    import os
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, f"{MODELS}:hanging"], env=env)
    job = tmp_path / "none"
    try:
        deadline = time.monotonic() + 180
        while not list(tmp_path.glob("accelopt-dist-*/rank1.progress")) and time.monotonic() < deadline:
            time.sleep(0.2)  # rank 1 finished a step, then it hangs in its next
        (job,) = tmp_path.glob("accelopt-dist-*/job.json")
        assert run_pids(str(job)), "the ranks should be running now"
        proc.send_signal(getattr(signal, sig))
        proc.wait(30)
        deadline = time.monotonic() + 30
        while run_pids(str(job)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert run_pids(str(job)) == []
    finally:  # a failing test must not leave the run behind either
        proc.kill()
        for pid in run_pids(str(job)):
            os.kill(pid, signal.SIGKILL)


def _matches_one_process(model: str, parallel: str) -> DistributedResult:
    """A 2-rank run of tests/dist_models.py's `model` under `parallel`, every rank's losses checked against the
    one-process run's."""
    r = profile_distributed(DistConfig(bundle_ref=f"{MODELS}:{model}", parallel=parallel, steps=3, warmup=1,
                                       profile_steps=1), Launch(nproc=2, timeout_s=240))
    assert r.single is not None
    for rank in r.ranks:
        _assert_same_losses(rank.losses, r.single.losses)
    return r


def test_fsdp_of_tied_weights_matches_one_process() -> None:
    _matches_one_process("tied", "fsdp")


def test_ddp_of_a_model_with_unused_parameters_matches_one_process() -> None:
    # DDP without find_unused_parameters waited for gradients that never came and every rank crashed in step 2
    r = _matches_one_process("unused", "ddp")
    for rank in r.ranks:
        assert rank.unused_parameters == ["spare.weight", "spare.bias"]
    assert r.unused_parameters == ["spare.weight", "spare.bias"]


def test_pipeline_of_a_two_input_model_matches_one_process() -> None:
    # a stage was nn.Sequential(*layers), whose forward takes one input: rank 0 crashed on model(x, z)
    _matches_one_process("two_inputs", "pipeline")


@pytest.mark.parametrize("parallel", ["ddp", "pipeline"])
def test_dict_targets_match_one_process(parallel: str) -> None:
    # DDP: "Expected input batch_size (4) to match target batch_size (8)" on every rank; pipeline: the partitioner
    # timed the last layer against the whole batch's targets and refused the model
    _matches_one_process("dict_targets", parallel)


def test_pipeline_of_a_dict_input_model_matches_one_process() -> None:
    # the partitioner crashed ('dict' object has no attribute 'to'), then every stage refused its dict argument
    # (torch: "All stage args must be tensors"); a dict input and a dict between stages now cross flat
    r = _matches_one_process("dict_inputs", "pipeline")
    assert r.partition is not None and r.partition.balanced.bounds == [0, 1, 2]


def test_pipeline_of_a_model_returning_a_dataclass_matches_one_process() -> None:
    # rank 1 crashed: torch's last stage takes tensors only ("Stage args must be a tensor ... got _Out"); the output
    # now leaves the stage as its tensors and is rebuilt for the user's loss
    _matches_one_process("dataclass_output", "pipeline")


def test_pipeline_input_holding_a_non_tensor_is_refused_before_launch() -> None:
    cfg = DistConfig(bundle_ref=f"{MODELS}:dict_inputs_float", parallel="pipeline", steps=3, warmup=1)
    with pytest.raises(InputError, match=r"the model's inputs holds? a float beside tensors") as e:
        profile_distributed(cfg, Launch(nproc=2, timeout_s=60))
    assert "--parallel ddp or fsdp" in e.value.fix


def test_a_rank_out_of_memory_names_the_options_that_size_the_run() -> None:
    # it said "rank 0 crashed: RuntimeError: ... can't allocate memory", fix "fix the error in the model"
    cfg = DistConfig(bundle_ref=f"{MODELS}:too_big", parallel="ddp", steps=3, warmup=1, baseline=False)
    with pytest.raises(InputError) as e:
        profile_distributed(cfg, Launch(nproc=2, timeout_s=120))
    assert "does not fit in memory: the allocator said" in e.value.problem and "can't allocate" in e.value.problem
    assert "--batch-size" in e.value.fix and "--parallel fsdp or pipeline" in e.value.fix
    assert "fix the error in the model" not in e.value.fix


def test_pipeline_of_non_contiguous_activations_matches_one_process() -> None:
    # an LSTM(batch_first=True) stage's output is a transposed view: rank 0 crashed in torch's pipelining with
    # gloo's 'RuntimeError: input tensor has to be contiguous' (its receive buffer for the gradient took the
    # output's strides); the tensors crossing a stage edge, both ways, are now made contiguous
    _matches_one_process("transposed_edges", "pipeline")
