"""`profile --nproc N --parallel pipeline --stage-memory-gib G`: the partitioner's memory limit per stage, reachable
from the CLI, checked before launch, and its effect on the split printed."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import run_main

from accelopt.distributed.partition import balanced_bounds, partition
from accelopt.distributed.run import DistConfig
from accelopt.distributed.types import LayerCost
from accelopt.errors import InfeasibleError, InputError
from accelopt.report.distributed_view import split_line
from accelopt.units import GiB


@pytest.fixture
def no_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    def launched(*_: Any, **__: Any) -> None:
        raise AssertionError("torchrun was started")

    monkeypatch.setattr("accelopt.distributed.run.launch_job", launched)


def _layers() -> list[LayerCost]:
    """Four layers of 1 s each; the last holds 60 B of weights, the others 10 B; no activations.
    Stage memory = 4 x weights: [2:4] = 4 x 70 = 280 B, [3:4] = 240 B, [0:3] = 120 B."""
    return [LayerCost(name=str(i), fwd_bwd_s=1.0, activation_bytes=0.0, param_bytes=p)
            for i, p in enumerate([10.0, 10.0, 10.0, 60.0])]


def test_a_binding_limit_moves_the_split_and_the_output_says_so() -> None:
    p = partition(_layers(), 2, memory_limit_bytes=250.0)
    assert p.balanced.bounds == [0, 3, 4]  # [2:4] would need 280 B
    assert p.unlimited is not None and p.unlimited.bounds == [0, 2, 4]
    line = " ".join(split_line(p).split())
    assert "memory limit 250 B per stage (--stage-memory-gib)" in line
    assert "it moved the split; without it stages would start at [0, 2]" in line
    # optimizer_state_bytes None (not measured): AdamW's moments are a default, said as one (the line read 'the
    # default AdamW's two moments' also of a run whose own optimizer could not be stepped on the layers' copies)
    assert ("stage memory (estimate: 4 x weights = weights, gradients and AdamW's two moments (default used: the "
            "optimizer's state was not measured), + activations in flight): 120 B, 240 B") in line
    assert "the equal-layer split exceeds it on stage 1" in line  # [2:4] = 280 B


def test_a_limit_that_does_not_bind_says_no_change() -> None:
    p = partition(_layers(), 2, memory_limit_bytes=1000.0)
    assert p.balanced.bounds == [0, 2, 4]
    assert "no change, the fastest split fits it" in split_line(p)
    assert "memory limit" not in split_line(partition(_layers(), 2))


def test_an_infeasible_limit_names_the_least_limit_that_fits() -> None:
    with pytest.raises(InfeasibleError) as e:
        balanced_bounds(_layers(), 2, memory_limit_bytes=200.0)
    # the split [0:3 | 3:4]: max(120, 240) B, the least over the three splits; 240 / 2**30 = 2.2352e-07 GiB, printed
    # rounded up so that passing it fits (2.235e-07 GiB would be 239.98 B)
    assert "2.236e-07 GiB" in e.value.problem and "--stage-memory-gib 2.236e-07" in e.value.fix
    assert balanced_bounds(_layers(), 2, memory_limit_bytes=2.236e-07 * GiB) == [0, 3, 4]


@pytest.mark.parametrize("gib", [0.0, -1.0, float("nan"), float("inf"), 2.0**21])
def test_a_limit_that_is_not_a_positive_size_is_refused(gib: float) -> None:
    with pytest.raises(InputError, match="--stage-memory-gib"):
        DistConfig(bundle_ref="m.py:f", parallel="pipeline", stage_memory_limit_bytes=gib * GiB)


@pytest.mark.parametrize(("argv", "said"), [
    (["--nproc", "2", "--parallel", "ddp", "--stage-memory-gib", "1"], "--parallel pipeline only"),
    (["--stage-memory-gib", "1"], "distributed runs only"),
    (["--nproc", "2", "--parallel", "pipeline", "--stage-memory-gib", "-2"], "-2 is not a memory size"),
    (["--nproc", "2", "--parallel", "pipeline", "--stage-memory-gib", "nan"], "nan is not a memory size"),
    # 1e308 GiB overflowed to infinite bytes and was refused as '--stage-memory-gib inf'
    (["--nproc", "2", "--parallel", "pipeline", "--stage-memory-gib", "1e308"],
     "1e+308 is not a memory size: it must be positive and at most 1,048,576 GiB"),
    (["--nproc", "2", "--parallel", "pipeline", "--stage-memory-gib", "2e6"], "at most 1,048,576 GiB (1 PiB"),
])
def test_bad_stage_memory_flags_exit_2_before_launch(argv: list[str], said: str, no_launch: None,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["profile", "tests/dist_models.py:mlp", *argv], capsys)
    err = " ".join(err.split())
    assert code == 2 and "--stage-memory-gib" in err and said in err and "Traceback" not in err


def test_a_limit_no_split_fits_exits_2_before_launch(no_launch: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--parallel", "pipeline",
                             "--stage-memory-gib", "1e-9"], capsys)
    err = " ".join(err.split())
    assert code == 2 and "Traceback" not in err
    assert "no split of 5 layers into 2 pipeline stages fits it" in err and "the least limit any split fits is" in err


def test_an_infeasible_limit_says_what_the_machine_allows_for_more_stages() -> None:
    """The fix said 'use more stages (--nproc)' even where the machine could hold no more ranks (ut_dist: a 2-CPU
    machine refuses --nproc 3). It now names the most --nproc the machine and the layers allow, and says more stages
    cannot help where --nproc is already that."""
    # 2 ranks on a 2-CPU machine: already the most
    with pytest.raises(InfeasibleError) as e:
        balanced_bounds(_layers(), 2, memory_limit_bytes=200.0, room=(2, 1, "this machine's 2 logical CPUs"))
    fix = " ".join(e.value.fix.split())
    assert ("(more stages cannot help: --nproc 2 is already the most this machine's 2 logical CPUs and the model's "
            "4 layers allow") in fix
    assert "use more stages" not in fix
    # 16 CPUs, 4 layers: up to 4 stages
    with pytest.raises(InfeasibleError) as e:
        balanced_bounds(_layers(), 2, memory_limit_bytes=200.0, room=(16, 1, "this machine's 16 logical CPUs"))
    assert "use more stages (--nproc up to 4: this machine's 16 logical CPUs, 4 layers)" in e.value.fix
    # two nodes of 2 GPUs, --nproc 1 each: up to --nproc 2 per node
    with pytest.raises(InfeasibleError) as e:
        balanced_bounds(_layers(), 2, memory_limit_bytes=200.0, room=(2, 2, "the 2 GPUs torch sees on this node"))
    assert "use more stages (--nproc up to 2: the 2 GPUs torch sees on this node, 4 layers)" in e.value.fix


def test_the_cli_fix_names_this_machines_cores(no_launch: None, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    code, _, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--parallel", "pipeline",
                             "--stage-memory-gib", "1e-9"], capsys)
    err = " ".join(err.split())
    assert code == 2 and "Traceback" not in err
    assert "--nproc 2 is already the most the 2 usable cores and the model's 5 layers allow" in err
