"""`plan serve --engine neuron` (or optimum-habana, sgl-jax, trtllm: engines that run on one vendor's devices only) on
an H100 was accepted without a word and predicted a run no one can make. The engine table (serving.ENGINES' devices,
each cited) now refuses the mismatch: alone, exit 2 naming the engine, the device's vendor and kind, and the engines
that do run there; in a multi-device search the device is skipped with that reason."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.serving import ENGINES, engine_device_mismatch
from accelopt.predict.serving_validation import read_serving_runs

BASE = ["plan", "serve", "--model", "llama3-8b", "--batch", "1"]


@pytest.mark.parametrize(("engine", "device", "family"), [
    ("neuron", "h100-sxm", "NVIDIA GPU"),
    ("optimum-habana", "h100-sxm", "NVIDIA GPU"),
    ("sgl-jax", "h100-sxm", "NVIDIA GPU"),
    ("trtllm", "mi300x", "AMD GPU"),
    ("trtllm-session", "gaudi2", "Intel ASIC"),
    ("neuron", "tpu-v5e", "Google TPU"),
])
def test_an_engine_on_another_vendors_device_exits_2(engine: str, device: str, family: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*BASE, "--hardware", device, "--engine", engine], capsys)
    said = " ".join((out + err).split())
    assert code == 2, said
    assert f"--engine {engine} runs on" in said and f"not on {device} ({family})" in said, said
    assert "fix: give --engine" in said and "vllm" in said, said  # an engine that does run there


def test_a_multi_device_search_skips_the_device_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*BASE, "--hardware", "h100-sxm,inferentia2", "--engine", "neuron", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert [r["device"] for r in doc["results"]] == ["inferentia2"]
    (skipped,) = doc["errors"]
    assert skipped["device"] == "h100-sxm" and "--engine neuron runs on AWS ASICs only" in skipped["problem"]


@pytest.mark.parametrize(("engine", "device"), [("neuron", "inferentia2"), ("optimum-habana", "gaudi2"),
                                                ("sgl-jax", "tpu-v6e"), ("trtllm", "h100-sxm"),
                                                ("vllm", "mi300x"), ("vllm", "gaudi2")])
def test_an_engine_on_its_own_devices_is_taken(engine: str, device: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*BASE, "--hardware", device, "--engine", engine], capsys)
    assert code == 0, err


def test_every_published_serving_row_pairs_its_engine_with_a_device_it_runs_on() -> None:
    rows, _ = read_serving_runs()
    bad = [(r["id"], r["engine"], r["hardware"]) for r in rows
           if not r["hardware"].endswith(".toml") and engine_device_mismatch(r["engine"], get_device(r["hardware"]))]
    assert not bad
    assert {e for e in ENGINES if ENGINES[e].devices} == {"trtllm", "trtllm-session", "optimum-habana", "sgl-jax",
                                                           "neuron", "sglang", "gpt-fast"}


# utserve (s33, 2026-12-06): `--engine sglang --hardware tpu-v6e` was taken, and SGLang's CUDA-graph memory rule was
# printed for a TPU ('default used: SGLang's mem_fraction_static on tpu-v6e ... CUDA graphs 384'); SGLang's TPU
# support is the separate SGLang-JAX engine (docs.sglang.io/platforms/tpu.html), and its hardware list names no Gaudi
# or AWS Neuron device (docs.sglang.io/docs/hardware-platforms/overview). gpt-fast "Supports Nvidia and AMD GPUs"
# (meta-pytorch/gpt-fast README; its generate.py runs on a CPU too): --engine gpt-fast on a TPU was taken too, and
# named as the fix of another engine's mismatch there ('give --engine vllm or gpt-fast or sgl-jax or sglang for
# tpu-v6e').
@pytest.mark.parametrize(("engine", "device", "family"), [
    ("sglang", "tpu-v6e", "Google TPU"),
    ("sglang", "gaudi3", "Intel ASIC"),
    ("sglang", "inferentia2", "AWS ASIC"),
    ("gpt-fast", "tpu-v6e", "Google TPU"),
    ("gpt-fast", "gaudi3", "Intel ASIC"),
])
def test_sglang_and_gpt_fast_off_their_devices_exit_2(engine: str, device: str, family: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*BASE, "--hardware", device, "--engine", engine], capsys)
    said = " ".join((out + err).split())
    assert code == 2, said
    assert f"--engine {engine} runs on" in said and f"not on {device} ({family})" in said, said
    assert "CUDA graphs" not in said, said  # SGLang's GPU memory rule is not applied to the device


def test_a_tpu_mismatch_names_the_tpu_engines_only(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*BASE, "--hardware", "tpu-v6e", "--engine", "sglang"], capsys)
    said = " ".join((out + err).split())
    assert code == 2 and "fix: give --engine vllm or sgl-jax for tpu-v6e" in said, said


@pytest.mark.parametrize(("engine", "device"), [("sglang", "h100-sxm"), ("sglang", "mi300x"),
                                                ("sglang", "xeon-8480plus"), ("gpt-fast", "a100-sxm-80gb"),
                                                ("gpt-fast", "mi250x-gcd"), ("gpt-fast", "xeon-8480plus")])
def test_sglang_and_gpt_fast_on_their_devices_are_taken(engine: str, device: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*BASE, "--hardware", device, "--engine", engine], capsys)
    assert code == 0, err


@pytest.mark.parametrize(("vendor", "kind"), [("Arm", "cpu"), ("AWS", "cpu"), ("", "cpu"), ("Apple", "gpu")])
def test_gpt_fast_is_taken_on_any_cpu_and_an_apple_gpu(vendor: str, kind: str) -> None:
    """gpt-fast's generate.py (pytorch-labs/gpt-fast@0055c42d) runs on 'cpu' whatever the CPU and syncs 'mps' (Apple
    GPUs): a probed Arm or Graviton CPU (hardware.detect.cpu_vendor: 'Arm', 'AWS', or '' when unnamed) or an MPS
    device was refused as 'runs on ... Intel CPUs or AMD CPUs only' (rvA, s33)."""
    from dataclasses import replace
    spec = replace(get_device("xeon-8480plus"), name="probed", vendor=vendor, kind=kind)
    assert engine_device_mismatch("gpt-fast", spec) is None
    assert engine_device_mismatch("sglang", replace(spec, kind="cpu", vendor="Arm")) is not None  # Xeon only
    why = engine_device_mismatch("gpt-fast", get_device("tpu-v6e"))
    assert why is not None and "any vendor's CPUs" in why, why
