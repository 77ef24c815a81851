"""`validate --inference --runs` with rows that cannot be reproduced as written: a batch or input size whose input
tensor does not fit this machine (a traceback: torch's allocator error), a dtype the device does not run (edge-tpu
runs int8 only: an 'fp8' row was predicted at int8 without a word), and a published figure faster than the device's
peak (1e-05 ms for a ResNet-50 on an H100, a unit slip, reported as a +3,617,637% error)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

HEADER = "id,hardware,model,input_size,batch,dtype,metric,published,role,source,note"


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], row: str) -> tuple[int, str]:
    p = tmp_path / "inference.csv"
    p.write_text(f"{HEADER}\n{row}\n", encoding="utf-8")
    code, _, err = run_main(["validate", "--inference", "--runs", str(p)], capsys)
    return code, " ".join(err.split())


def test_an_input_too_large_for_this_machine_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import accelopt.workload.inference_zoo as zoo

    def no_memory(*args: object, **kwargs: object) -> None:  # the allocator's own words (torch alloc_cpu.cpp)
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate "
                           "memory: you tried to allocate 60211200000 bytes. Error code 12 (Cannot allocate memory)")

    monkeypatch.setattr(zoo, "_image", no_memory)
    code, err = _run(tmp_path, capsys, "big,h100-sxm,resnet50,224,100000,bf16,latency_ms,2000,test,s,")
    assert code == 2 and "Traceback" not in err
    assert "run 'big'" in err and "batch = 100000" in err and "fix:" in err


def test_a_dtype_the_device_does_not_run_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(tmp_path, capsys, "e1,edge-tpu,mobilenet-v1,224,1,fp8,latency_ms,2.4,test,s,")
    assert code == 2 and "Traceback" not in err
    assert "run 'e1': dtype = 'fp8'" in err and "edge-tpu runs int8" in err and "in the dtype cell" in err


@pytest.mark.parametrize(("metric", "published"), [("latency_ms", "0.00001"), ("throughput_per_s", "1e9")])
def test_a_figure_beyond_the_peak_is_refused(metric: str, published: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(tmp_path, capsys, f"u1,h100-sxm,resnet50,224,1,bf16,{metric},{published},test,s,")
    assert code == 2 and "Traceback" not in err
    assert f"run 'u1': published = '{published}'" in err and "peak" in err and "in the published cell" in err


def test_a_plausible_row_still_reproduces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(tmp_path, capsys, "ok,h100-sxm,resnet50,224,1,bf16,latency_ms,2.0,test,s,")
    assert code == 0, err
