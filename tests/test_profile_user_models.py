"""`accelopt profile` of user models a new user writes (ut_profile): each either profiles or stops with an
`error:` naming the real problem and a `fix:` that solves it (exit 2, no traceback)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_main

FAST = ["--steps", "3", "--warmup", "0", "--catalog-device", "xeon-8480plus"]  # spec roofs: no in-process roofs

MODELS = '''
import dataclasses

import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


def _bundle(name, model, device="cpu", batch_size=2):
    def batches():
        for _ in range(2):
            yield torch.randn(batch_size, 8, device=device), torch.randn(batch_size, 8, device=device)
    return ModelBundle(name=name, model=model, batches=batches, loss_fn=nn.functional.mse_loss,
                       batch_size=batch_size)


def small(batch_size=2):
    return _bundle("small", nn.Linear(8, 8), batch_size=batch_size)


def small_bf16(batch_size=2):
    torch.manual_seed(0)
    model = nn.Linear(8, 8).to(torch.bfloat16)

    def batches():
        for _ in range(2):
            yield torch.randn(batch_size, 8).to(torch.bfloat16), torch.randn(batch_size, 8).to(torch.bfloat16)
    return ModelBundle(name="small-bf16", model=model, batches=batches, loss_fn=nn.functional.mse_loss,
                       batch_size=batch_size)


def small_fp64(batch_size=2):
    torch.manual_seed(0)
    model = nn.Linear(8, 8).double()

    def batches():
        for _ in range(2):
            yield torch.randn(batch_size, 8).double(), torch.randn(batch_size, 8).double()
    return ModelBundle(name="small-fp64", model=model, batches=batches, loss_fn=nn.functional.mse_loss,
                       batch_size=batch_size)


class SparseEmbedding(nn.Module):
    def __init__(self):
        super().__init__()
        self.e = nn.Embedding(100, 4, sparse=True)
        self.l = nn.Linear(4, 2)

    def forward(self, ids):
        return self.l(self.e(ids).mean(1))


def sparse_embedding(batch_size=2):
    def batches():
        for _ in range(2):  # 6 distinct ids: the sparse gradient holds 6 rows
            yield torch.arange(6).reshape(2, 3), torch.randn(2, 2)
    return ModelBundle(name="sparse-embedding", model=SparseEmbedding(), batches=batches,
                       loss_fn=nn.functional.mse_loss, batch_size=2,
                       make_optimizer=lambda p: torch.optim.SGD(p, lr=0.1))  # AdamW takes no sparse gradient


def sparse_embedding_default_optimizer(batch_size=2):
    bundle = sparse_embedding(batch_size)
    bundle.make_optimizer = None
    return bundle


def meta_weights(batch_size=2):
    return _bundle("meta-weights", nn.Linear(8, 8, device="meta"), batch_size=batch_size)


def meta_batches(batch_size=2):
    return _bundle("meta-batches", nn.Linear(8, 8), device="meta", batch_size=batch_size)


@dataclasses.dataclass
class Out:
    scores: torch.Tensor


class NaNInDataclass(nn.Module):
    def __init__(self):
        super().__init__()
        self.l = nn.Linear(8, 8)

    def forward(self, x):
        return Out(self.l(x) * float("nan"))


def nan_in_dataclass(batch_size=2):
    return _bundle("nan-in-dataclass", NaNInDataclass(), batch_size=batch_size)


def fp16_weights(batch_size=2):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 64), nn.GELU(), nn.Linear(64, 8)).half()

    def batches():
        g = torch.Generator().manual_seed(0)
        for _ in range(2):
            yield (torch.randn(batch_size, 8, generator=g).half(), torch.randn(batch_size, 8, generator=g).half())
    return ModelBundle(name="fp16-weights", model=model, batches=batches, loss_fn=nn.functional.mse_loss,
                       batch_size=batch_size)  # no make_optimizer: accelopt's default AdamW(lr=1e-4), eps 1e-8
'''


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("user_models")
    (d / "models.py").write_text(MODELS)
    return d


def _clear_error(code: int, err: str) -> None:
    assert code == 2, err
    assert "error:" in err and "fix:" in err and "Traceback" not in err, err


@pytest.mark.parametrize(("factory", "problem", "fix"), [
    ("meta_weights", "has weights on PyTorch's meta device", "to_empty(device='cpu')"),
    ("meta_batches", "batches() yields tensors on PyTorch's meta device", "make the data on the CPU"),
])
def test_meta_device_is_named(factory: str, problem: str, fix: str, models: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    """A model built on 'meta' (shapes only) stopped with torch's 'Cannot copy out of meta tensor' and a fix about
    shapes and dtypes; the error now says the weights (or data) have no values and how to give them some."""
    code, _, err = run_main(["profile", f"{models}/models.py:{factory}", *FAST], capsys)
    _clear_error(code, err)
    assert problem in err and fix in err, err


def test_fp16_weights_with_adam_eps_that_rounds_to_zero(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A model with fp16 weights, trained with the default AdamW (eps 1e-8, which is 0 in fp16), went NaN after its
    first step; the fix read 'fp16 overflows: try bf16 or fp32'. It now names the eps and a working optimizer."""
    code, _, err = run_main(["profile", f"{models}/models.py:fp16_weights", *FAST], capsys)
    _clear_error(code, err)
    assert "eps = 1e-08 rounds to 0" in err and "eps=1e-4" in err, err


def test_failed_run_with_no_figure_is_listed_as_such(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A profile that failed in its warm-up is recorded with no timed figure: `history list` said 'FAILED in the
    warm-up pass, partial:' and nothing after the colon."""
    code, _, err = run_main(["profile", f"{models}/models.py:fp16_weights", *FAST], capsys)
    assert code == 2, err
    code, out, err = run_main(["history", "list", "--json"], capsys)
    assert code == 0, err
    summary = json.loads(out)["runs"][0]["summary"]
    assert summary == "FAILED in the warm-up pass, partial: no figure measured", summary


def test_nan_output_in_a_dataclass_stops_inference(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A forward returning a dataclass whose tensor is NaN profiled as if finite (rc 0, nothing flagged): the
    non-finite check opened tensors, tuples, lists and dicts only."""
    code, _, err = run_main(["profile", f"{models}/models.py:nan_in_dataclass", "--mode", "inference", *FAST], capsys)
    _clear_error(code, err)
    assert "the output is not finite" in err, err


def test_mfu_vs_a_cpu_socket_says_the_share_of_cores_in_use(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """MFU against a CPU catalog entry divides by the whole socket (xeon-8480plus: 56 cores) while the step runs on
    torch's threads: 0.0016% on 2 threads, with no word that 2 of 56 cores bound it to 4%; the energy estimate beside
    it charged 2/56 of the socket. A note now says the share, in the text and the --json diagnosis."""
    import torch

    threads = torch.get_num_threads()
    if threads >= 56:
        pytest.skip(f"torch runs {threads} threads here: as many as the socket's 56 cores")
    code, out, err = run_main(["profile", f"{models}/models.py:small", "--json", *FAST], capsys)
    assert code == 0, err
    result = json.loads(out)
    notes = [n for n in result["diagnosis"]["notes"] if n.startswith("MFU vs catalog peak divides by the whole")]
    assert len(notes) == 1, result["diagnosis"]["notes"]
    from accelopt.measure.contention import usable_cores

    used = min(threads, usable_cores())  # a cgroup quota or the affinity caps the cores threads can use (utmisc)
    share = used / 56
    assert f"{used}/56" in notes[0] and f"{100 * share:.0f}%" in notes[0], notes[0]
    assert result["mfu_catalog"] < share  # what the note bounds
    # epyc-9654 lists no bf16 peak: a bf16 model's MFU vs it is n/a, and no note qualifies it
    code, out, err = run_main(["profile", f"{models}/models.py:small_bf16", "--json", *FAST[:-2],  # one device
                               "--catalog-device", "epyc-9654"], capsys)
    assert code == 0, err
    result = json.loads(out)
    assert result["mfu_catalog"] is None, result["mfu_catalog"]
    assert not any(n.startswith("MFU vs catalog peak") for n in result["diagnosis"]["notes"]), result["diagnosis"]


def test_simulate_run_model_given_a_profiled_workload_names_its_flag(models: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`profile --save-workload w.json` then `simulate run -m w.json` (the README: a profiled model is a workload for
    plan and simulate) was told to use `plan --model`; simulate's own flag for it, --workload, was not named."""
    wl = tmp_path / "w.json"
    code, _, err = run_main(["profile", f"{models}/models.py:small", "--save-workload", str(wl), *FAST], capsys)
    assert code == 0, err
    code, _, err = run_main(["simulate", "run", "-d", "tpu-v1", "-m", str(wl)], capsys)
    _clear_error(code, err)
    assert f"--workload {wl}" in err, err
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "--workload", str(wl)], capsys)  # the fix works
    assert code == 0, err
    assert f"workload {wl}" in out, out


def test_sparse_embedding_gradient(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """nn.Embedding(sparse=True) trained with SGD runs on its own, but profile blamed the model ('raised
    NotImplementedError while its train step was captured: Cannot access storage of SparseTensorImpl', from accelopt's
    own byte count of the gradients), then the non-finite check had no sparse kernel (a traceback, exit 1)."""
    code, out, err = run_main(["profile", f"{models}/models.py:sparse_embedding", "--json", *FAST], capsys)
    assert code == 0, err
    memory = json.loads(out)["memory"]
    # sparse COO gradient: indices (1, 6) int64 48 B + values (6, 4) fp32 96 B; Linear(4, 2): 32 B + 8 B
    assert memory["gradients_bytes"] == 48 + 96 + 32 + 8, memory
    assert memory["parameters_bytes"] == 100 * 4 * 4 + 32 + 8, memory


def test_sparse_embedding_with_the_default_optimizer(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same model without make_optimizer got accelopt's default AdamW, which refuses sparse gradients: reported as
    the model's own error (torch's 'Adam does not support sparse gradients') with a fix about shapes and dtypes."""
    code, _, err = run_main(["profile", f"{models}/models.py:sparse_embedding_default_optimizer", *FAST], capsys)
    _clear_error(code, err)
    assert "'e' is an embedding with sparse=True" in err and "torch.optim.SGD" in err, err


def test_checkpointed_backward_ops_keep_their_module() -> None:
    """Activation checkpointing (torch.utils.checkpoint, use_reentrant=False) stops its recompute by raising inside
    the forward; the module-path stack kept the modules it left, and every later backward op took the last one: the
    first Linear's dX and dW GEMMs were put on the second ('a.2'), so by_module moved 32,768 FLOPs between them."""
    import torch
    from torch import nn
    from torch.utils.checkpoint import checkpoint

    from accelopt.workload.capture import capture_workload
    from accelopt.workload.userfile import ModelBundle

    class Checkpointed(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 32))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return checkpoint(self.a, x, use_reentrant=False)

    def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        yield torch.randn(4, 32, requires_grad=True), torch.randn(4, 32)

    torch.manual_seed(0)
    bundle = ModelBundle(name="checkpointed", model=Checkpointed(), batches=batches,
                         loss_fn=nn.functional.mse_loss, batch_size=4)
    w = capture_workload(bundle, mode="train")
    backward_mm = {o.shapes: o.module for o in w.ops if o.name == "aten.mm" and o.phase == "backward"}
    # a.0 = Linear(32, 64), weight (64, 32): dX = g (4, 64) @ W, dW = g^T (64, 4) @ x (4, 32)
    assert backward_mm[((4, 64), (64, 32))] == "a.0", backward_mm
    assert backward_mm[((64, 4), (4, 32))] == "a.0", backward_mm
    # a.2 = Linear(64, 32), weight (32, 64): dX = g (4, 32) @ W, dW = g^T (32, 4) @ h (4, 64)
    assert backward_mm[((4, 32), (32, 64))] == "a.2", backward_mm
    assert backward_mm[((32, 4), (4, 64))] == "a.2", backward_mm


def test_an_fp64_model_is_reported_in_fp64_against_the_fp64_peak(models: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A model whose weights are float64 (`.double()`) runs as it is, as a bf16 one does, but profile titled it
    'train step, fp32' and took its MFU against the fp32 peak: 2x too low on xeon-8480plus (fp32 7.168 TFLOP/s,
    fp64 3.584 TFLOP/s, its catalog entry), and its saved workload said fp32 to plan."""
    code, out, err = run_main(["profile", f"{models}/models.py:small_fp64", "--json", *FAST], capsys)
    assert code == 0, err
    result = json.loads(out)
    assert result["dtype"] == "fp64", result["dtype"]
    assert result["peak_dtype"] == "fp64" and result["catalog_peak_flop_per_s"] == 3.584e12
    flop_per_s = result["flops_per_step"] / result["step_time"]["median"]
    assert result["mfu_catalog"] == pytest.approx(flop_per_s / 3.584e12, rel=1e-6)


def test_an_fp64_models_elementwise_roof_is_the_fp64_vector_peak(models: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """profile's roofline judged an fp64 model's elementwise ops against the fp32 vector roof, 'non-matmul ops 7.17
    TFLOP/s (fp32 vector)' on xeon-8480plus: 2x high, its fp64 (AVX-512 FMA) peak being 3.584 TFLOP/s (cpu.toml)."""
    code, out, err = run_main(["profile", f"{models}/models.py:small_fp64", "--json", *FAST], capsys)
    assert code == 0, err
    ceilings = json.loads(out)["ceilings"]
    assert ceilings["vector_peak_flop_per_s"] == 3.584e12, ceilings
    assert ceilings["vector_peak_label"] == "fp64 vector"


def test_a_gpus_fp64_vector_roof_is_said_to_be_the_default_used() -> None:
    """A GPU's catalog fp64 peak is its FP64 Tensor Core (matrix) peak (h100-sxm 67 TFLOP/s; plain FP64 only in the
    entry's notes): the non-matmul roof of an fp64 step takes it, and says it is the default used in place of the
    fp64 vector peak the catalog lacks; a bf16 step's stays the fp32 vector peak."""
    from accelopt.hardware.catalog import get_device
    from accelopt.measure.roofline import ceilings_from_spec
    from accelopt.report.profile_view import roofline_caption

    h100 = get_device("h100-sxm")
    c = ceilings_from_spec(h100, "fp64", "catalog h100-sxm")
    assert c is not None and c.vector_peak_flop_per_s == h100.peak("fp64")
    assert "default" in c.vector_peak_label and "no fp64 vector peak" in c.vector_peak_label
    result = type("R", (), {"ceilings": c, "call_overhead_s": None, "roofline": [], "profiled_step_s": 0.01})()
    caption = roofline_caption(result)
    assert c.vector_peak_label in caption
    bf16 = ceilings_from_spec(h100, "bf16", "catalog h100-sxm")
    assert bf16 is not None and (bf16.vector_peak_flop_per_s, bf16.vector_peak_label) == (h100.peak("fp32"),
                                                                                          "fp32 vector")


def test_an_fp64_workload_on_a_device_without_fp64_is_told_to_give_fp32_weights(
        models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """plan of a saved fp64 workload on a device with no fp64 peak (tpu-v5e lists bf16 and int8) exits 2; its fix
    said only `accelopt profile --dtype bf16 --save-workload`, which runs an fp64 model as it is (autocast casts no
    fp64 tensor; profile warns '--dtype bf16 was not applied') and saves fp64 again. The fix names the weights."""
    saved = tmp_path / "w64.json"
    code, _, err = run_main(["profile", f"{models}/models.py:small_fp64", "--save-workload", str(saved), *FAST],
                            capsys)
    assert code == 0, err
    code, _, err = run_main(["plan", "--model", str(saved), "--hardware", "tpu-v5e", "--devices", "1"], capsys)
    assert code == 2, err
    text = " ".join(err.split())
    assert "has no peak_flop_per_s.fp64" in text, text
    assert "with the model's weights in fp32 (leave out its .double())" in text, text
