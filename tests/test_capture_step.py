"""capture_workload: phases, module paths, GEMM geometry, bytes, dtypes, metadata, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from accelopt.errors import InputError, UnsupportedError  # noqa: E402
from accelopt.workload import zoo  # noqa: E402
from accelopt.workload.capture import capture_workload  # noqa: E402
from accelopt.workload.types import Workload  # noqa: E402


@pytest.fixture(scope="module")
def mlp_workload() -> Workload:
    return capture_workload(zoo.build("mlp", "tiny"))


@pytest.fixture(scope="module")
def gpt_workload() -> Workload:
    return capture_workload(zoo.build("gpt", "tiny"))


def test_backward_matmul_is_twice_forward_for_linear_layers(mlp_workload: Workload) -> None:
    b = 16  # mlp tiny: 64 -> 128 -> 128 -> 10, batch 16
    layers = [(64, 128), (128, 128), (128, 10)]
    fwd = 2 * b * sum(i * o for i, o in layers)
    assert mlp_workload.total_flops("forward", ["matmul"]) == fwd
    # backward computes dX and dW per layer (2x forward), except dX of the first layer: its input
    # does not require grad.
    assert mlp_workload.total_flops("backward", ["matmul"]) == 2 * fwd - 2 * b * 64 * 128
    assert mlp_workload.total_flops("optimizer", ["matmul"]) == 0
    assert mlp_workload.total_flops("optimizer") > 0  # AdamW elementwise updates


def test_phases_in_order(gpt_workload: Workload) -> None:
    phases = [o.phase for o in gpt_workload.ops]
    first_bwd, first_opt = phases.index("backward"), phases.index("optimizer")
    assert 0 < first_bwd < first_opt
    assert set(phases[:first_bwd]) == {"forward"}
    assert set(phases[first_opt:]) == {"optimizer"}


def test_module_paths(gpt_workload: Workload) -> None:
    fwd_mm = {o.module for o in gpt_workload.ops if o.phase == "forward" and o.kind == "matmul"}
    assert {"blocks.0.qkv", "blocks.0.proj", "blocks.1.fc1", "blocks.1.fc2", "head"} <= fwd_mm
    # backward ops carry the module whose forward created the autograd node being executed
    bwd_mm = {o.module for o in gpt_workload.ops if o.phase == "backward" and o.kind == "matmul"}
    assert bwd_mm == fwd_mm
    bwd = [o for o in gpt_workload.ops if o.phase == "backward"]
    assert sorted(o.module for o in bwd if o.name == "aten.embedding_dense_backward") == ["pos", "tok"]
    assert {o.module for o in bwd if o.kind == "attention"} == {"blocks.0", "blocks.1"}
    assert {o.module for o in bwd if o.name == "aten.gelu_backward"} == {"blocks.0", "blocks.1"}
    assert bwd[0].name == "aten.ones_like"  # the gradient seed made by loss.backward() is backward work
    assert {o.module for o in gpt_workload.ops if o.phase == "optimizer"} == {""}
    assert {"tok", "blocks", "head"} <= set(gpt_workload.by_module(1))


def test_gemm_geometry_and_bytes(gpt_workload: Workload) -> None:
    mms = [o for o in gpt_workload.ops if o.name in ("aten.mm", "aten.addmm", "aten.bmm")]
    assert mms and all(o.gemm is not None and 2 * o.gemm.macs == o.flops for o in mms)
    head = next(o for o in mms if o.module == "head" and o.phase == "forward")
    assert head.gemm is not None
    # (B*T, H) @ (H, V): 64 x 64 @ 64 x 256, fp32
    assert (head.gemm.m, head.gemm.k, head.gemm.n) == (64, 64, 256)
    assert head.bytes_read == 4 * (64 * 64 + 64 * 256) and head.bytes_written == 4 * 64 * 256
    views = [o for o in gpt_workload.ops if o.name in ("aten.view", "aten.t", "aten.transpose")]
    assert views and all(o.bytes_total == 0 and o.flops == 0 for o in views)


def test_non_matmul_work_counted(gpt_workload: Workload) -> None:
    kinds = gpt_workload.by_kind()
    for k in ("elementwise", "norm", "softmax", "reduction", "attention", "matmul"):
        assert kinds.get(k, 0) > 0, k
    ln = next(o for o in gpt_workload.ops if o.name == "aten.native_layer_norm")
    assert ln.flops == 7 * 2 * 32 * 64  # 7 per element of (B, T, H)


def test_meta_and_roundtrip(gpt_workload: Workload, tmp_path: Path) -> None:
    m = gpt_workload.meta
    assert (m["model"], m["mode"], m["dtype"], m["batch_size"], m["seq_len"], m["device"]) == (
        "gpt-tiny", "train", "fp32", 2, 32, "cpu")
    assert m["params"] == sum(p.numel() for p in zoo.build("gpt", "tiny").model.parameters())
    assert m["unmodeled_ops"] == {}
    p = tmp_path / "w.json"
    gpt_workload.save(p)
    again = Workload.load(p)
    assert again.total_flops() == gpt_workload.total_flops() and len(again.ops) == len(gpt_workload.ops)


def test_inference_is_forward_only() -> None:
    w = capture_workload(zoo.build("bert", "tiny"), mode="inference")
    assert {o.phase for o in w.ops} == {"forward"}
    assert w.meta["mode"] == "inference"


def test_bf16_autocast_matmuls_in_bf16() -> None:
    w = capture_workload(zoo.build("mlp", "tiny"), dtype="bf16")
    mm = [o for o in w.ops if o.kind == "matmul"]
    assert mm and {o.dtype for o in mm} == {"bf16"}
    assert any(o.name == "aten._to_copy" for o in w.ops)  # autocast casts are captured
    assert w.meta["dtype"] == "bf16"


def test_warmup_skips_optimizer_state_init() -> None:
    cold = capture_workload(zoo.build("mlp", "tiny"))
    warm = capture_workload(zoo.build("mlp", "tiny"), warmup_steps=1)
    assert any(o.name == "aten.zeros_like" and o.phase == "optimizer" for o in cold.ops)
    assert not any(o.name == "aten.zeros_like" and o.phase == "optimizer" for o in warm.ops)


@pytest.mark.parametrize(("kw", "match"), [
    ({"mode": "eval"}, "mode"), ({"dtype": "int8"}, "dtype"), ({"device": "not-a-device"}, "device"),
    ({"warmup_steps": -1}, "warmup_steps"),
])
def test_bad_arguments(kw: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        capture_workload(zoo.build("mlp", "tiny"), **kw)  # type: ignore[arg-type]


def test_cuda_unavailable_is_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(UnsupportedError, match="CUDA"):
        capture_workload(zoo.build("mlp", "tiny"), device="cuda")


def test_non_scalar_loss_rejected() -> None:
    b = zoo.build("mlp", "tiny")
    b.loss_fn = lambda out, y: out  # (B, classes), not a scalar
    with pytest.raises(InputError, match="scalar"):
        capture_workload(b)


@pytest.mark.gpu
def test_capture_on_cuda() -> None:
    w = capture_workload(zoo.build("gpt", "tiny"), device="cuda")
    assert w.meta["device"].startswith("cuda")
    assert w.total_flops("forward", ["attention"]) > 0


def test_model_error_names_the_model() -> None:
    b = zoo.build("mlp", "tiny")
    b.batches = lambda: iter([(torch.zeros(4, 3), torch.zeros(4, dtype=torch.long))])  # wrong width
    with pytest.raises(InputError, match="'mlp-tiny' raised RuntimeError during its train step"):
        capture_workload(b)


class _Boom(torch.nn.Module):
    """A model whose forward meets the allocator's refusal (the CPU allocator's text, or CUDA's error)."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(3, 2)
        self.error = error

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise self.error


_CPU_OOM = "[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory: you tried 512 GB"


@pytest.mark.parametrize("error", [RuntimeError(_CPU_OOM), torch.cuda.OutOfMemoryError("CUDA out of memory")])
def test_out_of_memory_passes_through_to_the_caller_that_knows_the_sizes(error: Exception) -> None:
    """capture had its own guard (an older twin of user_call): a CPU allocator's refusal in the model's forward
    was 'model raised RuntimeError during its train step ... check that model(*inputs) ... run' (the wrong fix);
    now the one user_call passes it through, as profile/optimize do, for out_of_memory_as_error to size."""
    b = zoo.build("mlp", "tiny")
    b.model = _Boom(error)
    with pytest.raises(type(error)) as e:
        capture_workload(b)
    assert e.value is error


def test_capture_errors_are_the_shared_model_code_error() -> None:
    from accelopt.workload.usercode import ModelCodeError

    b = zoo.build("mlp", "tiny")
    b.model = _Boom(ValueError("bad shape"))
    with pytest.raises(ModelCodeError, match="'mlp-tiny' raised ValueError during its train step: bad shape") as e:
        capture_workload(b)
    assert "batches() and eval_batches() yield" in e.value.fix


def test_inputs_yielded_as_a_dict_get_a_fix_that_says_so() -> None:
    """batches() yielding {'input_ids': ..., 'attention_mask': ...} (a Hugging Face habit): model(*inputs) passes the
    dict as one argument, and the model's 'argument indices must be Tensor, not dict' came with the generic fix
    only. The fix now says what to yield instead; inputs that are not a dict keep the generic fix."""
    from torch import nn

    from accelopt.workload.usercode import ModelCodeError
    from accelopt.workload.userfile import ModelBundle

    class KwOnly(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(10, 4)

        def forward(self, input_ids: object = None, attention_mask: object = None) -> object:
            return self.emb(input_ids).mean(1)  # (B, 4)

    data = [({"input_ids": torch.zeros(2, 3, dtype=torch.long), "attention_mask": torch.ones(2, 3)},
             torch.zeros(2, dtype=torch.long))]
    b = ModelBundle(name="kw", model=KwOnly(), batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy,
                    batch_size=2)
    with pytest.raises(ModelCodeError, match="not dict") as e:
        capture_workload(b)
    assert "yields the inputs as a dict" in e.value.fix and "forward's argument order" in e.value.fix
    plain = zoo.build("mlp", "tiny")
    plain.model = _Boom(ValueError("bad shape"))
    with pytest.raises(ModelCodeError) as e:
        capture_workload(plain)
    assert "as a dict" not in e.value.fix


def test_a_forward_needing_more_inputs_than_a_batch_holds_gets_a_fix_that_names_them() -> None:
    """utopt (2026-12-06): a user's forward(x, mask) fed (x, targets) pairs stopped with "forward() missing 1 required
    positional argument: 'mask'" and the generic fix only. The fix now names forward's arguments and what to yield;
    one input too many is said alike, and a forward whose extra arguments have defaults gets no such hint."""
    from torch import nn

    from accelopt.workload.usercode import ModelCodeError
    from accelopt.workload.userfile import ModelBundle

    class Masked(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(8, 4)

        def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            return self.fc(x * mask)  # (B, 4)

    def bundle(model: nn.Module, inputs: object) -> ModelBundle:
        data = [(inputs, torch.zeros(2, dtype=torch.long))]
        return ModelBundle(name="masked", model=model, batches=lambda: iter(data),
                           loss_fn=nn.functional.cross_entropy, batch_size=2)

    with pytest.raises(ModelCodeError, match="missing 1 required positional argument") as e:
        capture_workload(bundle(Masked(), torch.ones(2, 8)))
    assert ("each batch's inputs are 1 tensor(s), called as model(*inputs), but Masked.forward requires 2 (x, mask): "
            "yield ((x, mask), targets)") in e.value.fix, e.value.fix
    with pytest.raises(ModelCodeError, match="positional argument") as e:
        capture_workload(bundle(Masked(), (torch.ones(2, 8), torch.ones(2, 8), torch.ones(2, 8))))
    assert "are 3 tensor(s), called as model(*inputs), but Masked.forward takes at most 2 (x, mask)" in e.value.fix
    plain = zoo.build("mlp", "tiny")
    plain.model = _Boom(ValueError("bad shape"))
    with pytest.raises(ModelCodeError) as e:
        capture_workload(plain)
    assert "called as model(*inputs), but" not in e.value.fix


def test_tuple_inputs_and_default_optimizer() -> None:
    from torch import nn

    from accelopt.workload.userfile import ModelBundle

    class TwoIn(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(8, 4)

        def forward(self, x: object, mask: object) -> object:
            return self.lin(x) * mask  # (B, 4)

    def batches():  # type: ignore[no-untyped-def]
        yield (torch.randn(3, 8), torch.ones(3, 4)), torch.randn(3, 4)

    b = ModelBundle(name="two-in", model=TwoIn(), batches=batches, loss_fn=nn.functional.mse_loss, batch_size=3)
    w = capture_workload(b)
    assert w.total_flops("forward", ["matmul"]) == 2 * 3 * 8 * 4
    assert any(o.name == "aten._fused_adamw_" or o.name.startswith("aten._foreach_") or o.name == "aten.addcdiv_"
               for o in w.ops if o.phase == "optimizer")  # AdamW default
    assert {o.module for o in w.ops if o.kind == "matmul"} == {"lin"}


def test_compact_keeps_totals() -> None:
    from accelopt.workload.capture import compact_ops
    from accelopt.workload.types import Op

    a = Op(name="aten.add", kind="elementwise", flops=4, bytes_read=32, bytes_written=16)
    b = Op(name="aten.mul", kind="elementwise", flops=4, bytes_read=32, bytes_written=16)
    out = compact_ops([a, a, b, a])
    assert [(o.name, o.count) for o in out] == [("aten.add", 2), ("aten.mul", 1), ("aten.add", 1)]
    full = capture_workload(zoo.build("resnet", "tiny"))
    small = capture_workload(zoo.build("resnet", "tiny"), compact=True)
    assert small.total_flops() == full.total_flops() and small.total_bytes() == full.total_bytes()
    assert sum(o.count for o in small.ops) == len(full.ops) == small.meta["aten_calls"]


_OOM_FILE = '''
import torch
import torch.nn.functional as F
from torch import nn
from accelopt.workload.userfile import ModelBundle


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(8, 4)

    def forward(self, x):
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 512 GB")


def make():
    return ModelBundle(name="oom", model=M(), batches=lambda: iter([(torch.randn(8, 8), torch.zeros(8).long())]),
                       loss_fn=F.cross_entropy, batch_size=8)
'''


@pytest.mark.parametrize(("argv", "said"), [
    (["profile", "{f}", "--steps", "3", "--warmup", "0"], "does not fit in the memory of cpu"),
    (["simulate", "run", "--design", "tpu-v1", "--model", "{f}"], "does not fit in this machine's memory"),
])
def test_a_forward_past_memory_is_called_so_by_the_cli(argv: list[str], said: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Both said 'model raised RuntimeError during its ... step' with the fix 'check that model(*inputs) ...
    run on their own' for an allocator's refusal."""
    from conftest import run_main

    f = tmp_path / "oom.py"
    f.write_text(_OOM_FILE)
    code, _, err = run_main([a.replace("{f}", f"{f}:make") for a in argv], capsys)
    assert code == 2 and said in err and "raised RuntimeError" not in err and "Traceback" not in err
