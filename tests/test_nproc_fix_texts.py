"""A refused `--nproc` (probe --collectives, profile --nproc) suggests a value that is then accepted.

`probe --device cuda --collectives` on a node with no or one GPU said "use --nproc 1", which probe then refused
(a collective needs 2 ranks); `profile --nproc 2 --device cuda` on a node without a GPU said "use --nproc 1", refused
again for the same reason. Each case below takes the fix text, applies every value it suggests, and checks that the
command then gets past all option checks (to a stand-in for the measurement).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import machine_cpus, run_main

PASSED = 99
"""Exit status of the stand-in for the measurement: every option check passed."""


def _passed(*a: Any, **k: Any) -> Any:
    raise SystemExit(PASSED)


@pytest.fixture
def node(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A node with `gpus` CUDA devices and 4 logical CPUs, whose measurements are stand-ins."""
    import torch

    import accelopt.cli.probe as probe_cli
    import accelopt.distributed.run as dist_run

    monkeypatch.setattr(probe_cli, "_run", _passed)
    monkeypatch.setattr(dist_run, "load_bundle", _passed)
    machine_cpus(monkeypatch, 4)

    def set_gpus(gpus: int) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: gpus > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: gpus)

    return set_gpus


def _suggested(fix: str) -> list[tuple[str, str]]:
    """The option values a fix text suggests: both ends of '--nproc 2 to 4', '--nproc 4', '--device cpu'."""
    m = re.search(r"--nproc (\d+)(?: to (\d+))?", fix)
    values = [("--nproc", v) for v in (m.groups() if m else ()) if v]
    return values + ([("--device", "cpu")] if "--device cpu" in fix else [])


def _with(argv: list[str], flag: str, value: str) -> list[str]:
    i = argv.index(flag)
    return [*argv[:i + 1], value, *argv[i + 2:]]


PROFILE_CUDA = ["profile", "mlp", "--device", "cuda", "--catalog-device", "h100-sxm"]  # named: nothing detected
CASES = [  # (GPUs on the node, the refused command)
    (0, ["probe", "--device", "cuda", "--collectives", "--nproc", "2"]),
    (1, ["probe", "--device", "cuda", "--collectives", "--nproc", "2"]),
    (4, ["probe", "--device", "cuda", "--collectives", "--nproc", "8"]),
    (0, ["probe", "--device", "cpu", "--collectives", "--nproc", "64"]),
    (1, [*PROFILE_CUDA, "--nproc", "2"]),
    (1, [*PROFILE_CUDA, "--nproc", "2", "--parallel", "pipeline"]),
    (3, [*PROFILE_CUDA, "--nproc", "4", "--parallel", "pipeline"]),
    (0, ["profile", "mlp", "--device", "cpu", "--nproc", "64"]),
    (0, ["profile", "mlp", "--device", "cpu", "--nproc", "1", "--parallel", "pipeline"]),
]


@pytest.mark.parametrize(("gpus", "argv"), CASES)
def test_every_suggested_nproc_is_accepted(gpus: int, argv: list[str], node: Any,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    node(gpus)
    code, _, err = run_main(argv, capsys)
    assert code == 2, err  # refused, with a fix
    fix = err.split("fix:", 1)[1]
    suggested = _suggested(fix)
    assert suggested, f"the fix suggests no --nproc or --device value: {fix}"
    for flag, value in suggested:
        retry = _with(argv, flag, value)
        code, _, err = run_main(retry, capsys)
        if code != PASSED:  # a suggestion may need a second step; that one must then be accepted
            follow = _suggested(err.split("fix:", 1)[1]) if code == 2 and "fix:" in err else []
            assert follow, f"{' '.join(retry)} (suggested by {fix.strip()!r}) is refused: {err}"
            code, _, err = run_main(_with(retry, *follow[0]), capsys)
        assert code == PASSED, f"{' '.join(retry)} (suggested by {fix.strip()!r}) is refused: {err}"


@pytest.mark.parametrize("least", [1, 2])
def test_no_gpu_suggests_cpu_not_fewer_ranks(least: int, node: Any) -> None:
    """On a node without a GPU no --nproc works on cuda (profile's own device check refuses cuda there first; the
    library call is what this covers)."""
    from accelopt.distributed.launch import check_local_ranks
    from accelopt.errors import UnsupportedError

    node(0)
    with pytest.raises(UnsupportedError) as e:
        check_local_ranks(2, "cuda", least=least)
    assert _suggested(e.value.fix) == [("--device", "cpu")], e.value.fix
