"""A torch without torchrun (built without torch.distributed, or without the backend the ranks use) is refused before
any rank is started or anything measured, exit 2 with the fix; it used to launch, and torchrun died at once with
'torchrun exited with status 1: ... No module named torch.distributed.run', its fix 'see the log'
(2026-12-06, utdist)."""

from __future__ import annotations

import pytest
from conftest import run_main

from accelopt.distributed.launch import check_torchrun
from accelopt.errors import UnsupportedError


def _never(*a: object, **k: object) -> None:
    raise AssertionError("a rank was launched, or the device measured")


@pytest.fixture
def no_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    # torchrun's Popen, not launch.launch_job: distributed.run binds launch_job when first imported, and a patched
    # one imported here stayed in it for the tests after this one
    monkeypatch.setattr("subprocess.Popen", _never)


@pytest.mark.parametrize("argv", [["profile", "mlp", "--nproc", "2"],
                                  ["probe", "--quick", "--collectives", "--nproc", "2", "--no-save"]])
def test_a_torch_without_distributed_is_refused_before_launch(capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch, no_launch: None,
                                                              argv: list[str]) -> None:
    monkeypatch.setattr("torch.distributed.is_available", lambda: False)
    monkeypatch.setattr("accelopt.measure.probe.run_probe", _never)
    code, out, err = run_main(argv, capsys)
    assert code == 2 and out == ""
    assert "was built without torch.distributed, so it has no torchrun to start the ranks" in err
    assert "fix: install a torch build with torch.distributed" in err
    assert "or run in one process (profile without --nproc, probe without --collectives)" in err
    assert "Traceback" not in err


def test_a_missing_torchrun_module_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)
    with pytest.raises(UnsupportedError, match=r"has no torchrun \(module torch.distributed.run\)"):
        check_torchrun("cpu")


@pytest.mark.parametrize("device, backend, fix", [("cpu", "gloo", "install a torch build"),
                                                  ("cuda:0", "NCCL", "use --device cpu (gloo), or install")])
def test_a_missing_backend_is_named(monkeypatch: pytest.MonkeyPatch, device: str, backend: str, fix: str) -> None:
    monkeypatch.setattr("torch.distributed.is_gloo_available", lambda: False)
    monkeypatch.setattr("torch.distributed.is_nccl_available", lambda: False)
    with pytest.raises(UnsupportedError, match=f"has no {backend} backend, which the ranks on {device} use") as e:
        check_torchrun(device)
    assert e.value.fix.startswith(fix)


def test_this_torch_has_torchrun_and_gloo() -> None:
    check_torchrun("cpu")  # the machine the suite runs on launches gloo ranks: nothing refused
