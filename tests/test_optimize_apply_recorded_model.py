"""`accelopt optimize --apply RECIPE` without MODEL: the recipe records its model (model_source: MODEL as a path
independent of the working directory, the model flags, the file's sha256), and the model is rebuilt from it. Before,
MODEL was required again (exit 2 'Missing argument MODEL'). A recorded file that is gone, changed or lost its
factory is exit 2 naming it; MODEL given for a recipe of another model keeps today's run with a warning naming both.
MODEL naming the recorded model runs the recorded --batch-size (before: the model's default, unsaid); a note says
which input shape ran."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")

from conftest import run_main

MODEL_FILE = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


def {name}(batch_size: int = 8) -> ModelBundle:
    torch.manual_seed(0)
    data = [(torch.randn(batch_size, 16), torch.randint(0, 4, (batch_size,))) for _ in range(2)]
    return ModelBundle(name="tiny-mlp", model=nn.Sequential(nn.Linear(16, {width}), nn.ReLU(), nn.Linear({width}, 4)),
                       batches=lambda: iter(data), eval_batches=lambda: iter(data), metric="accuracy",
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size)
'''

FAST = ["--rounds", "3", "--block-s", "0.005", "--warmup", "0", "--no-profile-bounds"]


def _write(path: Path, name: str = "build", width: int = 32) -> None:
    path.write_text(MODEL_FILE.format(name=name, width=width))


@pytest.fixture
def saved(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """(the model file, the --save folder) of one optimize run on file.py:build --batch-size 4."""
    model = tmp_path / "my_model.py"
    _write(model)
    out = tmp_path / "out"
    code, _, err = run_main(["optimize", f"{model}:build", "--batch-size", "4", "--only", "prune-unstructured",
                             "--quality-tolerance", "100", "--save", str(out), "--json", *FAST], capsys)
    assert code == 0, err
    return model, out


def test_the_recipe_records_its_model_and_apply_rebuilds_it(saved: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    model, out = saved
    recipe = json.loads((out / "recipe.json").read_text())
    src = recipe["model_source"]
    assert src["model"] == f"{model.resolve()}:build" and src["factory"] == "build" and src["batch_size"] == 4
    assert len(src["sha256"]) == 64
    monkeypatch.chdir(out)  # another working directory: the recorded path is absolute
    code, stdout, err = run_main(["optimize", "--apply", "recipe.json", "--json", *FAST], capsys)
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["name"] == "tiny-mlp" and doc["batch_size"] == 4  # the recorded --batch-size
    # the run says which model it rebuilt and which flags it took from the recipe (it said nothing of either)
    said = (f"MODEL left out: the model the recipe records, {model.resolve()}:build with --batch-size 4 as "
            f"recorded ({model.resolve()} unchanged since the recipe was saved: the same sha256)")
    assert said in doc["notes"], doc["notes"]
    chain = "+".join(t["name"] for t in recipe["techniques"])  # the recommendation: the baseline or the pruned
    assert [v["name"] for v in doc["variants"]] == ["baseline", *([chain] if chain else [])]


@pytest.mark.parametrize(("edit", "said"), [
    ("delete", "no longer exists"),
    ("change", "changed since the recipe was saved"),
    ("rename", "defines no function 'build' any more"),
])
def test_a_recorded_file_gone_or_changed_is_exit_2(edit: str, said: str, saved: tuple[Path, Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    model, out = saved
    if edit == "delete":
        model.unlink()
    else:
        _write(model, name="build" if edit == "change" else "make", width=64)
    code, stdout, err = run_main(["optimize", "--apply", str(out), *FAST], capsys)
    flat = " ".join(err.split())
    assert code == 2 and stdout == "" and said in flat and str(model) in flat and "fix:" in flat
    assert "pass MODEL" in flat


def test_model_given_for_a_recipe_of_another_factory_warns(saved: tuple[Path, Path], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    model, out = saved
    other = tmp_path / "other.py"
    _write(other, name="make")
    code, stdout, err = run_main(["optimize", f"{other}:make", "--apply", str(out), "--json", *FAST], capsys)
    assert code == 0, err
    flat = " ".join(err.split())
    assert "warning:" in flat and f"{model.resolve()}:build" in flat and f"{other.resolve()}:make" in flat
    doc = json.loads(stdout)
    assert any(f"{other.resolve()}:make" in n for n in doc["notes"])
    assert doc["batch_size"] == 8  # make's default: a recorded shape belongs to the recorded model, and is said
    assert ("input shape: batch size 8 (as given for this model; the recipe's --batch-size 4 was for the model it "
            "was made on and is not carried over)") in doc["notes"]


def test_without_model_a_recipe_recording_none_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "recipe.json"
    p.write_text(json.dumps({"accelopt_recipe": 1, "model": "digits", "mode": "inference", "dtype": "fp32",
                             "techniques": [{"name": "bf16", "params": {}}], "measured": {}}))
    code, _, err = run_main(["optimize", "--apply", str(p)], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "records no model_source" in flat and "'digits'" in flat and "pass MODEL" in flat
    code, _, err = run_main(["optimize"], capsys)
    assert code == 2 and "MODEL is missing" in " ".join(err.split())


def _apply_edited_source(tmp_path: Path, field: str, value: object,
                         capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`optimize --apply` of a digits bf16 recipe whose model_source has `field` hand-edited to `value`."""
    p = tmp_path / "recipe.json"
    p.write_text(json.dumps({"accelopt_recipe": 1, "model": "digits", "mode": "inference", "dtype": "fp32",
                             "techniques": [{"name": "bf16", "params": {}}], "measured": {},
                             "model_source": {"model": "digits", field: value}}))
    return run_main(["optimize", "--apply", str(p), *FAST], capsys)


@pytest.mark.parametrize(("field", "value"), [("batch_size", -1), ("seq_len", 0)])
def test_a_recorded_count_below_one_names_the_recipe_field(field: str, value: int, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A hand-edited model_source.batch_size of -1 read '--batch-size -1 is not a number 1..' with the fix 'pass
    --batch-size 1 or more, or leave it out', of a flag the user never typed: it is refused as the recipe's field."""
    code, stdout, err = _apply_edited_source(tmp_path, field, value, capsys)
    flat = " ".join(err.split())
    assert code == 2 and stdout == "" and f"model_source.{field} = {value} is not 1 or more" in flat, flat
    assert f"--{field.replace('_', '-')}" not in flat.split("fix:")[0]


def test_model_given_runs_the_recorded_shape_and_says_so(saved: tuple[Path, Path],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """MODEL named again (the recorded file.py:build) without --batch-size: the recipe's --batch-size 4 runs. Before,
    the factory's default batch 8 ran, and nothing said the shape differed from the recipe's."""
    model, out = saved
    code, stdout, err = run_main(["optimize", f"{model}:build", "--apply", str(out), "--json", *FAST], capsys)
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["batch_size"] == 4
    assert "input shape: batch size 4 (the recipe's --batch-size 4)" in doc["notes"]
    assert "warning:" not in err


def test_a_typed_batch_size_overrides_the_recorded_one_and_is_said(saved: tuple[Path, Path],
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    model, out = saved
    for argv in ([f"{model}:build", "--apply", str(out)], ["--apply", str(out)]):  # with MODEL and without
        code, stdout, err = run_main(["optimize", *argv, "--batch-size", "2", "--json", *FAST], capsys)
        assert code == 0, err
        doc = json.loads(stdout)
        assert doc["batch_size"] == 2
        assert "input shape: batch size 2 (--batch-size given; the recipe ran 4)" in doc["notes"]



@pytest.mark.parametrize(("field", "value", "said"), [("batch_size", "x", "'x' is not a whole number"),
                                                      ("size", 5, "5 is not a string")])
def test_a_recorded_field_of_the_wrong_type_is_named_in_words(field: str, value: object, said: str, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A hand-edited model_source field of the wrong type read "is not a int" / "is not a str" (Python type names)."""
    code, stdout, err = _apply_edited_source(tmp_path, field, value, capsys)
    flat = " ".join(err.split())
    assert code == 2 and stdout == "" and f"model_source.{field} = {said}" in flat, flat


@pytest.mark.parametrize(("source", "flag"), [({"model": "mlp", "seq_len": 16}, "--seq-len 16"),
                                              ({"model": "mlp", "size": "huge"}, "--size huge")])
def test_a_recorded_flag_the_model_refuses_is_named_as_the_recipes(source: dict[str, object], flag: str,
                                                                   tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A hand-edited model_source flag the model refuses (mlp has no sequence length; no mlp size 'huge') read 'mlp
    has no sequence length ... fix: leave out --seq-len for mlp', of a flag nobody typed: the error now says the
    value is the recipe's and where to change it."""
    p = tmp_path / "recipe.json"
    p.write_text(json.dumps({"accelopt_recipe": 1, "model": "mlp", "mode": "inference", "dtype": "fp32",
                             "techniques": [{"name": "bf16", "params": {}}], "measured": {},
                             "model_source": source}))
    code, stdout, err = run_main(["optimize", "--apply", str(p), *FAST], capsys)
    flat = " ".join(err.split())
    key = next(k for k in source if k != "model")
    assert code == 2 and stdout == "" and "Traceback" not in err, err
    assert f"{flag} came from the recipe's model_source" in flat, flat
    assert f"model_source.{key} in {p}" in flat.split("fix:")[1], flat


def test_the_recorded_sha256_is_the_file_the_run_measured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A file edited while the run measures (a 10-minute run) is not what the recipe records: the sha256 was read
    at save time, after the run, so `--apply` rebuilt the edited model saying 'unchanged since the recipe was
    saved', and a file deleted meanwhile recorded no file at all ('fix: check the path')."""
    import hashlib

    import accelopt.optimize.runner as runner

    model = tmp_path / "my_model.py"
    _write(model)
    measured = hashlib.sha256(model.read_bytes()).hexdigest()
    real = runner.run_optimize

    def edit_while_measuring(*args: object, **kwargs: object) -> object:
        _write(model, width=64)  # the user edits the file while the run measures the 32-wide model
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "run_optimize", edit_while_measuring)
    out = tmp_path / "out"
    code, _, err = run_main(["optimize", f"{model}:build", "--only", "prune-unstructured", "--quality-tolerance",
                             "100", "--save", str(out), "--json", *FAST], capsys)
    assert code == 0, err
    src = json.loads((out / "recipe.json").read_text())["model_source"]
    assert src["sha256"] == measured and src["file"] == str(model.resolve())
    monkeypatch.setattr(runner, "run_optimize", real)
    code, _, err = run_main(["optimize", "--apply", str(out), "--json", *FAST], capsys)
    assert code == 2 and "changed since the recipe was saved" in err, err


CSV_MODEL_FILE = '''
import csv
from pathlib import Path

import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


def build() -> ModelBundle:
    rows = list(csv.reader(open(Path(__file__).with_name("data.csv"))))
    x = torch.tensor([[float(v) for v in r[:-1]] for r in rows])
    y = torch.tensor([int(r[-1]) for r in rows])
    data = [(x[:8], y[:8]), (x[8:], y[8:])]
    torch.manual_seed(0)
    return ModelBundle(name="csv-mlp", model=nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)),
                       batches=lambda: iter(data), eval_batches=lambda: iter(data), metric="accuracy",
                       loss_fn=nn.functional.cross_entropy, batch_size=8)
'''


def _write_csv(path: Path, scale: float = 1.0) -> None:
    path.write_text("".join(f"{i * scale},{i % 3},{i % 5},{i % 7},{i % 2}\n" for i in range(16)))


def test_a_data_file_the_factory_reads_is_recorded_and_a_changed_one_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """uttrial2: a factory reading a CSV was recorded by the .py's sha256 alone, so --apply without MODEL rebuilt
    the model on a changed CSV without a word. The recipe now records the sha256 of each file the model's code read
    (the CSV; not torch's or accelopt's own files), and --apply refuses a changed one, exit 2 naming it with the fix."""
    model, data = tmp_path / "csv_model.py", tmp_path / "data.csv"
    model.write_text(CSV_MODEL_FILE)
    _write_csv(data)
    out = tmp_path / "out"
    code, _, err = run_main(["optimize", f"{model}:build", "--only", "prune-unstructured", "--quality-tolerance",
                             "100", "--save", str(out), "--json", *FAST], capsys)
    assert code == 0, err
    recipe = json.loads((out / "recipe.json").read_text())
    assert recipe["accelopt_recipe"] == 2
    assert list(recipe["model_source"]["inputs"]) == [str(data.resolve())], recipe["model_source"]
    code, stdout, err = run_main(["optimize", "--apply", str(out), "--json", *FAST], capsys)
    assert code == 0, err
    assert any("other file(s) its code read unchanged too" in n for n in json.loads(stdout)["notes"])
    _write_csv(data, scale=2.0)
    code, stdout, err = run_main(["optimize", "--apply", str(out), *FAST], capsys)
    flat = " ".join(err.split())
    assert code == 2 and stdout == "", flat
    assert f"read '{data.resolve()}', and that file changed since the recipe was saved" in flat, flat
    assert "fix: pass MODEL" in flat and "accelopt optimize --save" in flat
    data.unlink()
    code, stdout, err = run_main(["optimize", "--apply", str(out), *FAST], capsys)
    assert code == 2 and "that file no longer exists" in " ".join(err.split())


def test_a_version_1_recipe_still_applies_and_says_its_data_files_go_unchecked(
        saved: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """A recipe saved before model_source.inputs (version 1) is not refused: it applies, and says that data files
    the model's code reads are not checked."""
    _, out = saved
    recipe = json.loads((out / "recipe.json").read_text())
    recipe["accelopt_recipe"] = 1
    del recipe["model_source"]["inputs"]
    (out / "recipe.json").write_text(json.dumps(recipe))
    code, stdout, err = run_main(["optimize", "--apply", str(out), "--json", *FAST], capsys)
    assert code == 0, err
    assert any("the recipe is of version 1" in n and "not checked" in n for n in json.loads(stdout)["notes"])


def test_a_version_1_recipe_applied_to_a_given_model_does_not_say_its_data_files_go_unchecked(
        saved: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """review s31 rvfair: with MODEL given, --apply checks no recorded file whatever the recipe's version (the model
    is built from the files as they are now), yet a version 1 recipe printed 'data files ... are not checked against
    the save run's' as if version 2 would have: the note is said only where --apply rebuilds the recorded model."""
    model, out = saved
    recipe = json.loads((out / "recipe.json").read_text())
    recipe["accelopt_recipe"] = 1
    del recipe["model_source"]["inputs"]
    (out / "recipe.json").write_text(json.dumps(recipe))
    code, stdout, err = run_main(["optimize", "--apply", str(out), f"{model}:build", "--json", *FAST], capsys)
    assert code == 0, err
    assert not any("version 1" in n for n in json.loads(stdout)["notes"])
    assert "version 1" not in err


def test_a_data_file_read_by_a_relative_path_from_another_folder_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """review s31 rvfair: a factory reading open('data.csv') recorded the save folder's CSV; --apply without MODEL run
    from another folder rebuilt the model on that folder's data.csv and said the recorded one 'unchanged too'. The
    files the rebuilt model's code reads must be the recorded ones: exit 2 naming the other file and the fix."""
    saved_in, other = tmp_path / "a", tmp_path / "b"
    saved_in.mkdir()
    other.mkdir()
    model = saved_in / "csv_model.py"
    model.write_text(CSV_MODEL_FILE.replace('Path(__file__).with_name("data.csv")', '"data.csv"'))
    _write_csv(saved_in / "data.csv")
    _write_csv(other / "data.csv", scale=3.0)
    out = tmp_path / "out"
    monkeypatch.chdir(saved_in)
    code, _, err = run_main(["optimize", f"{model}:build", "--only", "prune-unstructured", "--quality-tolerance",
                             "100", "--save", str(out), "--json", *FAST], capsys)
    assert code == 0, err
    code, _, err = run_main(["optimize", "--apply", str(out), "--json", *FAST], capsys)
    assert code == 0, err  # the folder it was saved in: the recorded file
    monkeypatch.chdir(other)
    code, stdout, err = run_main(["optimize", "--apply", str(out), *FAST], capsys)
    flat = " ".join(err.split())
    assert code == 2 and stdout == "", flat
    assert f"now read '{(other / 'data.csv').resolve()}', which the run that saved the recipe did not read" in flat
    assert "fix: run --apply from the folder" in flat, flat


def test_a_data_file_the_factory_read_is_hashed_once_at_save(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """review s31 rvfair: --save hashed each file the factory read after the load, and again at the end of the run
    only to drop the second digest (the first is the one recorded): a multi-GB dataset was read twice more, not
    once."""
    from accelopt.optimize import recipe as recipe_module

    model, data = tmp_path / "csv_model.py", tmp_path / "data.csv"
    model.write_text(CSV_MODEL_FILE)
    _write_csv(data)
    hashed: list[str] = []
    real = recipe_module._sha256

    def counted(path: Path) -> str:
        hashed.append(str(Path(path).resolve()))
        return real(path)

    monkeypatch.setattr(recipe_module, "_sha256", counted)
    code, _, err = run_main(["optimize", f"{model}:build", "--only", "prune-unstructured", "--quality-tolerance",
                             "100", "--save", str(tmp_path / "out"), "--json", *FAST], capsys)
    assert code == 0, err
    assert hashed.count(str(data.resolve())) == 1, hashed


def test_the_note_of_many_data_files_names_a_few_and_counts_the_rest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """review s31 rvfair: the --apply note listed every recorded data file ('the 1 other file(s) its code read
    unchanged too (a, b, ...)'): an image folder read file by file made a note of thousands of paths. It names the
    first 3 and counts the others."""
    model = tmp_path / "csv_model.py"
    model.write_text(CSV_MODEL_FILE.replace(
        'rows = list(csv.reader(open(Path(__file__).with_name("data.csv"))))',
        'rows = [r for i in range(6) for r in csv.reader(open(Path(__file__).with_name(f"data{i}.csv")))][:16]'))
    for i in range(6):
        _write_csv(tmp_path / f"data{i}.csv")
    out = tmp_path / "out"
    code, _, err = run_main(["optimize", f"{model}:build", "--only", "prune-unstructured", "--quality-tolerance",
                             "100", "--save", str(out), "--json", *FAST], capsys)
    assert code == 0, err
    assert len(json.loads((out / "recipe.json").read_text())["model_source"]["inputs"]) == 6
    code, stdout, err = run_main(["optimize", "--apply", str(out), "--json", *FAST], capsys)
    assert code == 0, err
    note = next(n for n in json.loads(stdout)["notes"] if "other file(s) its code read" in n)
    assert "the 6 other file(s) its code read unchanged too" in note and "and 3 more" in note, note
    assert str((tmp_path / "data0.csv").resolve()) in note and str((tmp_path / "data5.csv").resolve()) not in note


def test_apply_help_says_data_files_are_checked_too(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """fr3: --apply's help said the rebuilt model is refused 'if that file changed since', the model file alone;
    the recorded data files (changed, or another one read from another folder) are refused too."""
    monkeypatch.setenv("COLUMNS", "400")
    code, out, _ = run_main(["optimize", "--help"], capsys)
    flat = " ".join(out.replace("│", " ").split())
    assert code == 0 and "a data file its code read changed since" in flat, flat
    assert "reads a data file the save run did not" in flat, flat
