"""`accelopt profile` with wrong inputs, as a user would type them: each ends in `error: ... fix: ...`
(exit 2), never a traceback, and output files that fail after the measurement keep the results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main as _run

FAST = ["--steps", "3", "--warmup", "0"]
H100 = ["--catalog-device", "h100-sxm"]  # spec roofs: skips the quick in-process roof measurement

MODELS = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


def _batches(batch_size):
    def batches():
        g = torch.Generator().manual_seed(0)
        for _ in range(2):
            yield torch.randn(batch_size, 8, generator=g), torch.randn(batch_size, 2, generator=g)
    return batches


def build(batch_size=4, seq_len=None):
    return ModelBundle(name="tiny-linear", model=nn.Linear(8, 2), batches=_batches(batch_size),
                       loss_fn=nn.functional.mse_loss, batch_size=batch_size)


def no_args():
    return build()


def raises(batch_size=4):
    raise RuntimeError("boom in the factory")


def wrong_type(batch_size=4):
    return nn.Linear(8, 2)


class Net(nn.Module):  # a plain module class, as `simulate run -m models.py:Net --input-shape 8` takes it
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(x)


def non_scalar(batch_size=4):
    return ModelBundle(name="non-scalar", model=nn.Linear(8, 2), batches=_batches(batch_size),
                       loss_fn=lambda out, t: (out - t) ** 2, batch_size=batch_size)


def empty(batch_size=4):
    return ModelBundle(name="empty", model=nn.Linear(8, 2), batches=lambda: iter([]),
                       loss_fn=nn.functional.mse_loss, batch_size=batch_size)
'''


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("models")
    (d / "models.py").write_text(MODELS)
    (d / "broken.py").write_text("def build(:\n    pass\n")
    (d / "notjson").mkdir()
    (d / "notjson" / "config.json").write_text("{not json")
    (d / "nomodeltype").mkdir()
    (d / "nomodeltype" / "config.json").write_text('{"vocab_size": 10}')
    (d / "bad.toml").write_text("this is [not toml\n")
    return d


def _assert_clear_error(code: int, err: str, match: str) -> None:
    assert code == 2, err
    assert "error:" in err and "fix:" in err, err
    assert match in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(("argv", "match"), [
    (["gtp"], "did you mean 'gpt'"),
    (["gpt", "--size", "huge"], "size 'huge'"),
    (["gpt", "--batch-size", "0"], "--batch-size 0"),
    (["gpt", "--batch-size", "-1"], "--batch-size -1"),
    # too large: the fix said 'pass --batch-size 1 or more' of a number that is more than 1
    (["gpt", "--batch-size", "99999999999"], "fix: pass --batch-size 1 to 2,147,483,647"),
    (["gpt", "--seq-len", "0"], "--seq-len 0"),
    (["gpt", "--seq-len", "4096"], "1024 positions"),  # GPT-2's context
    (["bert", "--seq-len", "513"], "512 positions"),  # BERT's
    (["mlp", "--seq-len", "8"], "no sequence length"),
    (["gpt", "--dtype", "fp8"], "dtype 'fp8'"),
    (["gpt", "--dtype", "int8"], "dtype 'int8'"),
    (["gpt", "--device", "mps"], "'mps'"),
    (["gpt", "--device", "cuda:x"], "cuda:x"),
    (["gpt", "--steps", "0"], "steps = 0"),
    (["gpt", "--catalog-device", "h100-sxmm"], "h100-sxm"),
    (["gpt", "--probed", "missing.toml"], "--probed"),
])
def test_bad_flags(argv: list[str], match: str, capsys: pytest.CaptureFixture[str]) -> None:
    fast = FAST[2:] if "--steps" in argv else FAST  # an option typed twice is an error of its own
    code, _, err = _run(["profile", *fast, *argv], capsys)
    _assert_clear_error(code, err, match)


def test_cuda_on_a_cpu_machine(capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    code, _, err = _run(["profile", "gpt", "--device", "cuda:0", *FAST], capsys)
    _assert_clear_error(code, err, "no CUDA device")


def test_cuda_index_past_the_devices(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    code, _, err = _run(["profile", "gpt", "--device", "cuda:3", *FAST], capsys)
    _assert_clear_error(code, err, "1 CUDA device")


@pytest.mark.parametrize(("spec", "extra", "match"), [
    ("nope.py:build", [], "does not exist"),
    ("broken.py:build", [], "SyntaxError"),
    ("models.py:raises", [], "boom in the factory"),
    ("models.py:wrong_type", [], "not a ModelBundle"),
    # a module class (simulate run's -m FILE.py:Class) read 'factory 'Net' ... returned a Net, not a ModelBundle'
    ("models.py:Net", [], "gave a plain nn.Module (Net), not a ModelBundle: a step needs the model's batches and loss"),
    ("models.py:non_scalar", [], "not a scalar Tensor"),
    ("models.py:empty", [], "yielded nothing"),
    ("models.py:no_args", ["--batch-size", "2"], "takes no batch_size"),
    ("models.py:missing", [], "no function 'missing'"),
    ("models.py", [], "path/to/file.py:factory"),  # the factory name left out
    ("no-such-folder/", [], "no such file or folder"),  # a path, not a zoo name
    ("models.py:build", ["--size", "small"], "zoo models only"),  # would be silently ignored
])
def test_bad_user_files(spec: str, extra: list[str], match: str, models: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["profile", f"{models}/{spec}", *extra, *FAST], capsys)
    _assert_clear_error(code, err, match)


@pytest.mark.parametrize(("path", "match"), [("notjson", "not valid JSON"), ("notjson/config.json", "not valid JSON"),
                                             ("nomodeltype", "no 'model_type'")])
def test_bad_hugging_face_configs(path: str, match: str, models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("transformers")
    code, _, err = _run(["profile", str(models / path), *FAST], capsys)
    _assert_clear_error(code, err, match)


def test_malformed_probed_toml(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["profile", "gpt", "--probed", str(models / "bad.toml"), *FAST], capsys)
    _assert_clear_error(code, err, "not valid TOML")


@pytest.mark.parametrize(("flag", "path", "match"), [
    ("--trace", "missing-dir/t.json", "does not exist"),
    ("--save-workload", "missing-dir/w.json", "does not exist"),
    ("--save-workload", "/proc/accelopt-w.json", "cannot write --save-workload"),  # unwritable even for root
    ("--trace", ".", "it is a folder"),
])
def test_unwritable_outputs_fail_before_measuring(flag: str, path: str, match: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    target = path if path.startswith("/") else str(tmp_path / path)
    code, out, err = _run(["profile", "gpt", flag, target, *FAST], capsys)
    _assert_clear_error(code, err, match)
    assert out == ""  # failed before any measurement


def test_bf16_runs_on_cpu(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["profile", f"{models}/models.py:build", "--dtype", "bf16", *FAST, "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["dtype"] == "bf16" and d["ceilings"]["dtype"] == "bf16"
    # no catalog or probed peak for this CPU: MFU is not applicable rather than made up
    assert d["mfu_catalog"] is None and d["mfu_probed"] is None


def test_save_failing_after_the_measurement_keeps_the_results(models: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.workload.types import Workload

    def disk_full(self: Workload, path: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Workload, "save", disk_full)
    code, out, err = _run(["profile", f"{models}/models.py:build", *FAST, *H100, "--json",
                           "--save-workload", str(tmp_path / "w.json")], capsys)
    _assert_clear_error(code, err, "No space left on device")
    assert json.loads(out)["step_time"]["n"] == 3  # the results came out first, whole


def test_trace_failing_after_the_measurement_keeps_the_results(models: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from torch.profiler import profile

    monkeypatch.setattr(profile, "export_chrome_trace", lambda self, path: None)  # torch only logs its failures
    from accelopt.measure import profiler

    # the machine's load is not under test here: a busy machine would (rightly) withhold the verdict
    monkeypatch.setattr(profiler, "check_passes", lambda *args: None)
    code, out, err = _run(["profile", f"{models}/models.py:build", *FAST, *H100,
                           "--trace", str(tmp_path / "t.json")], capsys)
    _assert_clear_error(code, err, "Chrome trace was not written")
    assert "roofline" in out and "verdict" in out  # tables printed before the error


def test_hugging_face_seq_len_past_its_positions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("transformers")
    cfg = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_layer": 1, "n_embd": 32, "n_head": 2,
           "vocab_size": 128, "n_positions": 64}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    code, _, err = _run(["profile", str(tmp_path), "--seq-len", "65", *FAST], capsys)
    _assert_clear_error(code, err, "64 positions")
