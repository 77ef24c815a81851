"""The catalog's cited CUDA compute capability (AcceleratorSpec.compute_capability) and the checks that read it.

Sources (hardware/catalog/data/nvidia_*.toml [sources]): NVIDIA's 'CUDA GPU Compute Capability' page
(https://developer.nvidia.com/cuda-gpus): 12.0 RTX PRO 6000 Blackwell Server Edition, 10.3 GB300 / B300, 10.0 GB200 /
B200, 9.0 H200 / H100, 8.9 L4 / L40S / RTX 4090, 8.7 Jetson AGX Orin; its legacy page: 7.0 V100; the TensorRT support
matrix: 8.0 A100, 7.5 T4. DeepEP's README, 'Requirements': 'Hopper (SM90) GPUs, or other architectures with SM90 PTX
ISA support' (deepseek-ai/DeepEP@0297fc80); HybridEP: TMA instructions, built for '9.0 10.0'
(docs/README_Hybrid-EP.md@41cad944).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import USER_GPU, run_main

from accelopt.errors import InputError
from accelopt.hardware.catalog import default_catalog, load_file

PUBLISHED = {"v100-sxm": "7.0", "a100-sxm-40gb": "8.0", "a100-sxm-80gb": "8.0", "h100-sxm": "9.0",
             "h100-a3-high": "9.0", "h100-a3-mega": "9.0", "h100-pcie": "9.0", "h200": "9.0", "b200": "10.0",
             "gb200": "10.0", "b300": "10.3", "gb300": "10.3", "l4": "8.9", "t4": "7.5", "l40s": "8.9",
             "rtx-pro-6000-server": "12.0", "rtx-4090": "8.9", "jetson-agx-orin": "8.7"}

QWEN3_MOE = {"_name_or_path": "user-qwen3-30b", "num_hidden_layers": 48, "hidden_size": 2048,
             "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128, "intermediate_size": 6144,
             "moe_intermediate_size": 768, "num_experts": 128, "num_experts_per_tok": 8, "vocab_size": 151936,
             "max_position_embeddings": 4096, "hidden_act": "silu", "tie_word_embeddings": False}



def test_every_nvidia_device_cites_its_compute_capability() -> None:
    """Each NVIDIA GPU of the catalog carries the figure NVIDIA publishes for it, with a source; no other device
    carries one."""
    got = {s.name: s.compute_capability for s in default_catalog() if s.compute_capability is not None}
    assert got == PUBLISHED
    for s in default_catalog():
        if s.name in PUBLISHED:
            assert "nvidia" in (s.source_of("compute_capability") or "").lower(), s.name
        else:
            assert s.vendor != "NVIDIA", s.name


def test_capability_orders_as_numbers() -> None:
    """(10, 3) > (9, 0) > (8, 9): read as a pair of numbers, not as text ('10.3' < '9.0' as strings)."""
    cat = default_catalog()
    assert cat.get("b300").cuda_capability() == (10, 3)
    assert cat.get("l40s").cuda_capability() < cat.get("h100-sxm").cuda_capability() < cat.get("b300").cuda_capability()


def _plan(cfg: Path, hardware: str, dispatcher: str, *extra: str) -> list[str]:
    return ["plan", "--model", str(cfg), "--devices", "16", "--moe-dispatcher", dispatcher, "--top", "2",
            "--hardware", hardware, *extra]


@pytest.mark.parametrize("dispatcher", ["hybridep", "deepep"])
@pytest.mark.parametrize(("device", "cc"), [("a100-sxm-80gb", "8.0"), ("l40s", "8.9"), ("v100-sxm", "7.0")])
def test_hierarchical_dispatcher_refused_below_sm90(dispatcher: str, device: str, cc: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --moe-dispatcher hybridep|deepep` on an A100, L40S or V100 was priced at DeepEP / HybridEP's H100 rates:
    both need SM90 or newer. Exit 2 naming the device, its compute capability, the requirement and the fix."""
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(QWEN3_MOE), encoding="utf-8")
    code, _, err = run_main(_plan(cfg, device, dispatcher, "--dtype", "fp16"), capsys)  # v100: no bf16
    assert code == 2, err
    flat = " ".join(err.split())
    assert f"does not run on {device} (compute capability {cc})" in flat, err
    assert "9.0" in flat and "--moe-dispatcher alltoall" in flat, err


def test_search_leaves_pre_hopper_out_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Beside an H100 an A100 is left out of the search, its reason in skipped_devices."""
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(QWEN3_MOE), encoding="utf-8")
    code, out, err = run_main(_plan(cfg, "h100-sxm,a100-sxm-80gb", "hybridep", "--json"), capsys)
    assert code == 0, err
    data = json.loads(out)
    assert {r["hardware"] for r in data["best"]} == {"h100-sxm"}, data["best"]
    assert "compute capability 8.0" in json.dumps(data["skipped_devices"]), data["skipped_devices"]


@pytest.mark.parametrize("device", ["b200", "gb300", "h200"])
def test_hopper_and_newer_still_run(device: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(QWEN3_MOE), encoding="utf-8")
    code, _, err = run_main(_plan(cfg, device, "deepep"), capsys)
    assert code == 0, err


def test_user_spec_without_the_field_is_refused_naming_it(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A --catalog NVIDIA GPU without compute_capability: unknown, so refused naming the field (as --tp-comm-overlap
    is without streaming_multiprocessors), never assumed; with the field it runs."""
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(QWEN3_MOE), encoding="utf-8")
    spec = tmp_path / "my.toml"
    spec.write_text(USER_GPU, encoding="utf-8")
    code, _, err = run_main(_plan(cfg, "my-gpu", "hybridep", "--catalog", str(spec)), capsys)
    assert code == 2, err
    assert "compute_capability" in err, err
    spec.write_text(USER_GPU + 'compute_capability = ["9.0", "my sheet"]\n', encoding="utf-8")
    code, _, err = run_main(_plan(cfg, "my-gpu", "hybridep", "--catalog", str(spec)), capsys)
    assert code == 0, err


@pytest.mark.parametrize(("line", "says"), [
    ('compute_capability = [9.0, "my sheet"]', "is not text"),
    ('compute_capability = ["sm_90", "my sheet"]', "major.minor"),
    ('compute_capability = "9.0"', "is not [\"text\", \"source\"]"),
])
def test_bad_field_is_refused(line: str, says: str, tmp_path: Path) -> None:
    spec = tmp_path / "my.toml"
    spec.write_text(USER_GPU + line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="compute_capability") as e:
        load_file(spec)
    assert says in str(e.value), e.value


def test_field_on_a_non_nvidia_device_is_refused(tmp_path: Path) -> None:
    spec = tmp_path / "my.toml"
    spec.write_text(USER_GPU.replace('"NVIDIA"', '"AMD"') + 'compute_capability = ["9.4", "torch on ROCm"]\n',
                    encoding="utf-8")
    with pytest.raises(InputError, match="not an NVIDIA GPU"):
        load_file(spec)


def test_catalog_show_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["catalog", "show", "b300"], capsys)
    assert code == 0, err
    assert "compute_capability" in out and "10.3" in out, out
    code, out, err = run_main(["catalog", "show", "b300", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["compute_capability"] == "10.3" and "cuda-gpus" in data["compute_capability_source"]
    code, out, err = run_main(["catalog", "list", "--json"], capsys)
    assert code == 0, err
    rows = {r["name"]: r["compute_capability"] for r in json.loads(out)["devices"]}
    assert rows["t4"] == "7.5" and rows["mi300x"] is None


def _user_gpu(tmp_path: Path, extra: str) -> Path:
    """An NVIDIA GPU listing fp16 and fp32 peaks only (no bf16, no int8), as a user may write an A100's sheet."""
    spec = tmp_path / "my.toml"
    spec.write_text(USER_GPU.replace('bf16 = [989e12, "my sheet"]', 'fp16 = [312e12, "my sheet"], fp32 = [19.5e12, '
                                                                    '"my sheet"]') + extra, encoding="utf-8")
    return spec


def test_ampere_is_read_from_the_capability_not_the_peaks(tmp_path: Path) -> None:
    """A spec listing no bf16 peak was taken for a pre-Ampere GPU (flash2 and triton refused, Gemma 2's softcap not
    timed with flash2); with compute_capability 8.0 cited it is Ampere, without it the peaks still tell."""
    from accelopt.predict.compute import attention_kernel_device_problem, nvidia_ampere_or_newer

    (with_cc,) = load_file(_user_gpu(tmp_path, 'compute_capability = ["8.0", "my sheet"]\n'))
    assert nvidia_ampere_or_newer(with_cc)
    assert attention_kernel_device_problem("flash2", with_cc) == ""
    (without,) = load_file(_user_gpu(tmp_path, ""))
    assert not nvidia_ampere_or_newer(without)
    assert "no compute_capability cited" in attention_kernel_device_problem("flash2", without)
    (volta,) = load_file(_user_gpu(tmp_path, 'compute_capability = ["7.0", "my sheet"]\n'))
    assert "compute capability 7.0, below 8.0" in attention_kernel_device_problem("triton", volta)


def test_catalog_generations_unchanged() -> None:
    """Every catalog NVIDIA GPU is told the same by its capability as by its peaks (the switch moves no catalog
    device): Ampere or newer all but v100-sxm and t4; Turing or newer all but v100-sxm."""
    from accelopt.predict.compute import nvidia_ampere_or_newer, nvidia_turing_or_newer

    nv = [s for s in default_catalog() if s.vendor == "NVIDIA"]
    assert {s.name for s in nv if not nvidia_ampere_or_newer(s)} == {"v100-sxm", "t4"}
    assert {s.name for s in nv if not nvidia_turing_or_newer(s)} == {"v100-sxm"}
    for s in nv:
        assert nvidia_ampere_or_newer(s) == (s.peak("bf16") is not None), s.name


def test_mxfp8_is_read_from_the_capability(tmp_path: Path) -> None:
    """--fp8-recipe mxfp8 was allowed by calibration family (its device name): a --catalog B200 named 'my-gpu' fell
    in the default family and was refused, and a 12.0 part in the Blackwell family would have run it, which
    Transformer Engine refuses ('MXFP8 (for all gemm layouts) is not supported on 12.0+ architectures yet',
    check_mxfp8_support, NVIDIA/TransformerEngine@f2b6810c). With the capability cited it decides: 10.x runs it."""
    from accelopt.errors import DeviceUnsupportedError
    from accelopt.predict.compute import fp8_cast_bytes, mxfp8_problem

    spec = tmp_path / "my.toml"
    spec.write_text(USER_GPU + 'compute_capability = ["10.0", "my sheet"]\n', encoding="utf-8")
    (b200_like,) = load_file(spec)
    assert mxfp8_problem("default", b200_like) == ""
    assert fp8_cast_bytes("mxfp8", "default", b200_like) == (2.0 + 2.0 * 33.0 / 32.0, 1.0)
    spec.write_text(USER_GPU + 'compute_capability = ["12.0", "my sheet"]\n', encoding="utf-8")
    (sm120,) = load_file(spec)
    with pytest.raises(DeviceUnsupportedError, match=r"compute capability 12\.0"):
        fp8_cast_bytes("mxfp8", "nvidia-blackwell", sm120)
    cat = default_catalog()
    runs = {s.name for s in cat if s.vendor == "NVIDIA" and not mxfp8_problem("default", s)}
    assert runs == {"b200", "gb200", "b300", "gb300"}
    assert "needs block-scaled FP8 tensor cores" in mxfp8_problem("nvidia-hopper", cat.get("h100-sxm"))
