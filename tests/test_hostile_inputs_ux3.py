"""A demanding user's hostile inputs to `optimize` (recipe options), `profile`, `probe`, `env`, `report`, `schema`,
`simulate` and `plan infer`: each is refused with `error:` + `fix:` and exit 2, before anything is measured, and
user text is printed as plain text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import machine_cpus, run_main

from accelopt.errors import InputError


def _recipe(tmp_path: Path, technique: str, params: dict[str, Any]) -> str:
    doc = {"accelopt_recipe": 1, "model": "digits", "mode": "inference", "dtype": "fp32",
           "techniques": [{"name": technique, "params": params}]}
    p = tmp_path / "recipe.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    return str(p)


@pytest.mark.parametrize(("technique", "params", "named"), [
    ("prune-structured", {"ratoi": 0.3}, "'ratoi'"),  # misspelt: used to run the default ratio 0.5 silently
    ("distill", {"temprature": 2.0}, "'temprature'"),
    ("bf16", {"mode": "fast"}, "'mode'"),  # bf16 takes no option at all
    ("prune-structured", {"ratio": 7.0}, "ratio = 7.0"),  # out of range: used to fail after the baseline was measured
    ("prune-unstructured", {"sparsity": float("nan")}, "sparsity = nan"),
    ("compile", {"mode": "banana"}, "mode = 'banana'"),  # went to torch.compile, a 'failed' row after the baseline
    ("grad-accumulation", {"micro_batches": "4"}, "micro_batches = '4'"),
    ("power-limit", {"limits_w": [300, -5]}, "limits_w"),
])
def test_recipe_option_refused_before_measuring(technique: str, params: dict[str, Any], named: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["optimize", "digits", "--apply", _recipe(tmp_path, technique, params)], capsys)
    assert code == 2, err
    assert "error:" in err and "fix:" in err and named in err and technique in err
    assert "measuring" not in err and out == ""


def test_misspelt_option_lists_the_valid_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["optimize", "digits", "--apply", _recipe(tmp_path, "prune-structured", {"ratoi": 1})],
                            capsys)
    flat = " ".join(err.split())
    assert code == 2 and "did you mean 'ratio' for 'ratoi'?" in flat and "finetune_steps, ratio" in flat


def test_every_default_option_passes_its_own_check() -> None:
    """A recipe that gives each technique its defaults loads (the specs and the defaults agree)."""
    from accelopt.optimize.base import all_techniques

    for tech in all_techniques().values():
        tech.check_options({n: s.default for n, s in tech.option_specs.items() if s.default is not None})


def test_recorded_params_load_back(tmp_path: Path) -> None:
    """What --save writes beside the options (sparsity reached, parameter counts) reads back without an error."""
    from accelopt.optimize.recipe import load_recipe

    params = {"sparsity": 0.5, "sparsity_reached": 0.49, "finetune_steps": 0}
    recipe = load_recipe(_recipe(tmp_path, "prune-unstructured", params))
    assert recipe.techniques == [("prune-unstructured", params)]


# ------------------------------------------------------------------ profile --nproc, probe --collectives
@pytest.mark.parametrize(("extra", "named"), [
    (["--parallel", "ddp", "--schedule", "gpipe"], "--schedule applies to --parallel pipeline only"),
    (["--parallel", "fsdp", "--microbatches", "4"], "--microbatches applies to --parallel pipeline only"),
])
def test_pipeline_flags_without_pipeline_are_refused(extra: list[str], named: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """They were silently ignored: a DDP run measured as if the user's schedule had been used."""
    code, out, err = run_main(["profile", "mlp", "--nproc", "2", *extra], capsys)
    assert code == 2 and named in err and "fix:" in err and out == ""


@pytest.mark.parametrize("argv", [["profile", "mlp", "--nproc", "{n}"],
                                  ["probe", "--device", "cpu", "--collectives", "--nproc", "{n}", "--no-save"]])
def test_more_ranks_than_cores_refused_before_anything_runs(argv: list[str], monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """--nproc 1000000 started the launch (a million processes asked for); probe refused it only after measuring."""
    import accelopt.cli.probe as probe_cli

    def no_measuring(*a: Any, **k: Any) -> Any:
        raise AssertionError("measured before the options were checked")

    monkeypatch.setattr(probe_cli, "_run", no_measuring)
    machine_cpus(monkeypatch, 4)
    code, _, err = run_main([a.replace("{n}", "1000000") for a in argv], capsys)
    assert code == 2 and "--nproc 1000000 is more ranks than the 4 usable cores" in err, err
    assert "pass --nproc 2 to 4" in err


def test_probe_keeps_the_device_figures_when_collectives_fail(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    import accelopt.cli.probe as probe_cli
    from accelopt.errors import MeasurementError
    from accelopt.measure import probe
    from accelopt.units import MiB

    monkeypatch.setattr(probe, "settings_for", lambda device, quick, llc: probe.ProbeSettings(
        shapes={"fp32": [(32, 32, 32)]}, shape_budget_s=0.01, max_call_s=1.0, stream_bytes=1 * MiB,
        stream_budget_s=0.02))

    def failing(*a: Any, **k: Any) -> Any:
        raise MeasurementError("rank 1 exited with status 1 before reporting", "see the rank's log")

    monkeypatch.setattr(probe_cli, "_collectives", failing)
    saved = tmp_path / "spec.toml"
    code, out, err = run_main(["probe", "--device", "cpu", "--dtypes", "fp32", "--collectives", "--save", str(saved),
                               "--json"], capsys)
    assert code == 2 and "rank 1 exited" in err
    doc = json.loads(out)
    assert doc["figures"] and saved.is_file()  # measured, printed and saved before the error


@pytest.mark.parametrize(("endpoint", "named"), [("nonexistent.invalid:29511", "cannot be resolved"),
                                                 ("192.0.2.1:29511", "is not an address of this machine")])
def test_rendezvous_host_problem_is_named(endpoint: str, named: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Both used to read 'port 29511 ... is already in use' (the port was free; the host was the problem)."""
    code, _, err = run_main(["profile", "mlp", "--nproc", "2", "--rdzv-endpoint", endpoint], capsys)
    assert code == 2 and named in err and "already in use" not in err


# ------------------------------------------------------------------ model paths, plan infer sizes
@pytest.mark.parametrize("cmd", [["profile"], ["optimize"], ["plan", "infer"]])
def test_an_existing_file_that_is_no_model_is_not_called_missing(cmd: list[str], tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """It read 'no such file or folder' for a file the user could see with ls."""
    f = tmp_path / "weights.bin"
    f.write_bytes(b"\x00\xff\xfe binary")
    code, out, err = run_main([*cmd, str(f)], capsys)
    assert code == 2 and "is a file that accelopt cannot read as a model" in err and "no such" not in err and out == ""
    assert "file.py:factory" in err


def test_infer_input_size_past_memory_is_an_error_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    """--input-size 100000000 on an image model asked torch for 1.2e17 bytes: a RuntimeError traceback. Since
    ut_readme2 (2026-12-02) a built-in model's inputs are drawn on the meta device for the capture, so this machine's
    memory no longer decides: the prediction runs and says the layout does not fit the H100."""
    code, out, err = run_main(["plan", "infer", "resnet50", "--hardware", "h100-sxm", "--batch", "1",
                               "--input-size", "100000000", "--json"], capsys)
    assert code in (0, 2) and "Traceback" not in err
    points = [p for d in json.loads(out)["devices"] for p in d["points"]]
    assert points and not any(p["fits"] for p in points)


@pytest.mark.parametrize(("argv", "named"), [
    (["optimize", "mlp", "--batch-size", "2000000000", "--rounds", "3"], "--batch-size 2000000000"),
    (["profile", "resnet", "--seq-len", "100000000", "--steps", "3", "--warmup", "0"], "--seq-len 100000000"),
])
def test_a_batch_past_memory_names_the_options_that_sized_it(argv: list[str], named: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """(inputs of 512 GB and 1.2e17 B: past any host) optimize: a RuntimeError traceback; profile blamed
    "resnet's default batch" for a --seq-len (image side)."""
    code, _, err = run_main(argv, capsys)
    assert code == 2 and "does not fit in the memory of cpu" in err and named in err and "Traceback" not in err


# ------------------------------------------------------------------ simulate
def test_input_dtype_alone_is_not_silently_ignored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--input-dtype int64 on a built-in model, or on a factory returning a ModelBundle, ran as if not given."""
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "-m", "alexnet-conv", "--input-dtype", "int64"],
                              capsys)
    assert code == 2 and "--input-dtype applies to a model file" in err and out == ""
    f = tmp_path / "models.py"
    f.write_text("import torch\nfrom accelopt.workload.userfile import ModelBundle\n\n"
                 "def build():\n    m = torch.nn.Linear(8, 4)\n    x = torch.zeros(2, 8)\n"
                 "    return ModelBundle(name='lin', model=m, batches=lambda: iter([((x,), x[:, :4])]), batch_size=2,\n"
                 "                       loss_fn=torch.nn.functional.mse_loss)\n", encoding="utf-8")
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "-m", f"{f}:build", "--input-dtype", "int64"],
                              capsys)
    assert code == 2 and "brings its own inputs" in err and "--input-dtype" in err, err


@pytest.mark.parametrize(("argv", "named"), [
    (["--mode", "train", "--only", "onnx-fp32"], "onnx-fp32 applies to --mode inference only"),
    (["--only", "bf16,grad-accumulation"], "grad-accumulation applies to --mode train only"),
])
def test_only_a_technique_of_the_other_mode_is_refused_before_measuring(argv: list[str], named: str,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The baseline was trained and measured, then the one technique asked for was listed as 'not applicable'."""
    code, out, err = run_main(["optimize", "mlp", *argv], capsys)
    assert code == 2 and named in err and "fix:" in err and "measuring" not in err and out == ""


SWEEP = ["simulate", "sweep", "-m", "alexnet-conv", "--rows", "16,32", "--cols", "16,32", "--sram-kib", "64",
         "--dataflow", "os"]


@pytest.mark.parametrize("as_json", [True, False])
def test_sweep_interrupted_keeps_the_designs_simulated(as_json: bool, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C in a long sweep lost every design simulated (a bare 'aborted', exit 1)."""
    from accelopt.simulate import sweep

    real, calls = sweep.simulate, []

    def stop_at_third(*a: Any, **k: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(sweep, "simulate", stop_at_third)
    code, out, err = run_main([*SWEEP, *(["--json"] if as_json else [])], capsys)
    assert code == 130, err
    if as_json:
        doc = json.loads(out)
        assert doc["interrupted"] is True and doc["evaluated"] == 2 and doc["pareto_front"]
    else:
        assert "interrupted (Ctrl-C) after 2 of 4 designs" in " ".join(out.split())


def test_sweep_repeated_values_are_simulated_once(capsys: pytest.CaptureFixture[str]) -> None:
    """--bandwidth-gbps 100,100 simulated the same design twice ('2 designs'; the other lists were already
    deduplicated)."""
    code, out, err = run_main([*SWEEP[:4], "--rows", "16", "--cols", "16", "--sram-kib", "64", "--dataflow", "os",
                               "--bandwidth-gbps", "100,100", "--json"], capsys)
    assert code == 0 and json.loads(out)["evaluated"] == 1, err


def test_more_ranks_than_gpus_is_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    """probe --collectives on cuda launched NCCL ranks past the GPUs (profile --nproc already refused them)."""
    import torch

    from accelopt.distributed.launch import check_local_ranks
    from accelopt.errors import UnsupportedError

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(UnsupportedError, match="needs 2 GPUs on this node; torch sees 1"):
        check_local_ranks(2, "cuda")
    monkeypatch.setattr("torch.distributed.is_nccl_available", lambda: True)  # a CUDA build's NCCL, faked too
    check_local_ranks(1, "cuda:0")


def test_library_recipe_options_are_checked_too() -> None:
    """run_optimize(recipe=...) is what --apply calls: a misspelt option there is refused before any measuring."""
    from accelopt.errors import InputError
    from accelopt.optimize.runner import RunOptions, run_optimize

    with pytest.raises(InputError, match=r"prune-structured's params: unknown field\(s\) ratoi"):
        opts = RunOptions(mode="inference", device="cpu", recipe=[("prune-structured", {"ratoi": 0.3})])
        run_optimize(None, opts)  # type: ignore[arg-type]  # no model: it must stop before needing one


def test_recipe_without_techniques_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """'techniques': [] measured the baseline alone, exit 0, as if the recipe had been reproduced."""
    p = tmp_path / "recipe.json"
    p.write_text(json.dumps({"accelopt_recipe": 1, "model": "digits", "mode": "inference", "dtype": "fp32",
                             "techniques": []}), encoding="utf-8")
    code, out, err = run_main(["optimize", "digits", "--apply", str(p)], capsys)
    assert code == 2 and "techniques is empty" in err and out == ""


@pytest.mark.parametrize(("technique", "params", "said"), [
    ("distill", {"width": 10**400}, "option width"),  # float() overflowed: a traceback
    ("power-limit", {"limits_w": [10**400]}, "option limits_w"),
    ("distill", {"seed": 10**30}, "option seed"),  # failed only after the baseline was measured
    ("grad-accumulation", {"micro_batches": 2}, "applies to --mode train only"),  # was measured, then 'not applicable'
])
def test_recipe_values_refused_when_loaded(tmp_path: Path, technique: str, params: dict[str, Any],
                                           said: str) -> None:
    from accelopt.optimize.recipe import load_recipe

    with pytest.raises(InputError) as e:
        load_recipe(_recipe(tmp_path, technique, params))
    assert said in e.value.problem


def test_input_pipeline_workers_are_bounded(tmp_path: Path) -> None:
    """1,000,000 DataLoader workers passed the check and were forked after the baseline (the run hung)."""
    from accelopt.optimize.base import get_technique

    with pytest.raises(InputError, match="option workers"):
        get_technique("input-pipeline").check_options({"workers": 1_000_000})
    assert "an integer in [0, 256]" in get_technique("input-pipeline").option_specs["workers"].describe()


@pytest.mark.parametrize("argv", [
    ["run", "-d", "tpu-v1", "-m", "alexnet-conv", "--input-dtype", "float32", "--max-rows", "0"],
    ["run", "-d", "tpu-v1", "--topology", "x.csv", "--input-dtype", "float32"],
    ["sweep", "-d", "tpu-v1", "-m", "alexnet-conv", "--rows", "8", "--cols", "8", "--input-dtype", "float32"],
])
def test_input_dtype_float32_given_is_not_silently_ignored(argv: list[str],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """utreadme (2026-12-05): README says --input-dtype float32|int64 is 'refused for any other model' than a
    FILE.py:Class, but an explicit float32 (the option's default value) ran as if not given: the default could not
    be told from the value typed. Left out, the option is now None (float32 for a plain module)."""
    code, out, err = run_main(["simulate", *argv], capsys)
    assert code == 2 and "--input-dtype" in err and "appl" in err and out == "", err
