"""Shared fixtures. Tests run on CPU; GPU-only tests carry @pytest.mark.gpu and skip without CUDA."""

from __future__ import annotations

import json
import os
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

_REPORT_INPUTS = ("accelopt.predict", "accelopt.workload", "accelopt.hardware", "accelopt.units")
"""The packages whose code and data a validate report (and a kept capture of a built-in inference example,
inference_zoo.captured_example) is computed from: patching one of them makes the cached bundled reports stale."""


class _Patch(pytest.MonkeyPatch):
    """pytest's monkeypatch, which also forgets the bundled validate reports (validation.validate_report and
    serving_validation.validate_serving keep one per process) when a test patches something a report is computed
    from (an attribute of a module, class or object of _REPORT_INPUTS; an item of any dict but os.environ): a report
    computed before the patch is not the patched code's, and one computed under it is not the real code's after undo.
    (unittest.mock.patch does not come here: a test patching the predictor with it calls _forget_reports itself.)"""

    patched = False

    def setattr(self, target: Any, *args: Any, **kwargs: Any) -> None:
        self._touch(target)
        super().setattr(target, *args, **kwargs)

    def delattr(self, target: Any, *args: Any, **kwargs: Any) -> None:
        self._touch(target)
        super().delattr(target, *args, **kwargs)

    def setitem(self, dic: Any, *args: Any, **kwargs: Any) -> None:
        self._touch(None if dic is not os.environ else "os.environ")  # setenv/delenv come here
        super().setitem(dic, *args, **kwargs)

    def delitem(self, dic: Any, *args: Any, **kwargs: Any) -> None:
        self._touch(None if dic is not os.environ else "os.environ")
        super().delitem(dic, *args, **kwargs)

    def undo(self) -> None:
        super().undo()
        if self.patched:
            _forget_reports()
            self.patched = False

    def _touch(self, target: Any) -> None:
        """Forget the reports when `target` (None: an item of a dict other than os.environ, whose owner is not known)
        may be one they are computed from."""
        if target is None or _module_of(target).startswith(_REPORT_INPUTS):
            _forget_reports()
            self.patched = True


def _module_of(target: Any) -> str:
    """The dotted module name a setattr target belongs to ('accelopt.predict.compute' for the module, a class or
    function of it, an instance of its class, or the string 'accelopt.predict.compute.gemm_s')."""
    if isinstance(target, str):
        return target
    return str(getattr(target, "__name__", "") if isinstance(target, types.ModuleType) else
               getattr(target, "__module__", None) or type(target).__module__)


def _forget_reports() -> None:
    from accelopt.predict import serving_validation, validation
    from accelopt.workload import inference_zoo

    validation.clear_report_cache()
    serving_validation.clear_report_cache()
    inference_zoo.clear_capture_cache()  # the built-in examples' captures (plan infer, validate --inference)


@pytest.fixture
def monkeypatch() -> Iterator[pytest.MonkeyPatch]:
    """pytest's own fixture (undone at teardown), as _Patch: it also forgets the cached validate reports."""
    mp = _Patch()
    yield mp
    mp.undo()


@pytest.fixture(autouse=True)
def _accelopt_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run history and other per-user files go to a temporary ACCELOPT_HOME, never the real home."""
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path_factory.mktemp("accelopt_home")))
    monkeypatch.delenv("ACCELOPT_NO_HISTORY", raising=False)


@pytest.fixture(scope="session")
def result_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every HTML page the CLI can write, with its --json document (tests/_pages.py), made once per session."""
    from _pages import make_pages

    return make_pages(tmp_path_factory.mktemp("pages"))


def explain_terms(doc: dict[str, Any]) -> dict[str, Any]:
    """{term: value} of a `plan explain --json` document (its `terms` are a list of {name, value, unit, ...})."""
    return {t["name"]: t["value"] for t in doc["terms"]}


def plan_explain_terms(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    """{term: value} of `accelopt ARGV` (a `plan explain ... --json` that exits 0)."""
    out, _ = run_main_expect(capsys, *argv)
    return explain_terms(json.loads(out))


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the real `accelopt` entry point in process: (exit status, stdout, stderr).

    Test files import it (`from conftest import run_main`) rather than each writing its own runner."""
    from accelopt.cli.main import main

    code = 0
    try:
        main(argv)
    except SystemExit as e:
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def explain_doc(capsys: pytest.CaptureFixture[str], argv: list[str], codes: tuple[int, ...] = (0,)) -> dict[str, Any]:
    """The `plan explain --json` document of `argv` (run_main), asserting its exit status is one of `codes` (2: a
    layout that overflows memory still prints its terms)."""
    code, out, err = run_main(argv, capsys)
    assert code in codes, err
    return dict(json.loads(out))


def row_explain_argv(row: dict[str, str], folder: Path, catalog: tuple[str, ...] = ()) -> list[str]:
    """The `plan explain --json` arguments of a runs-file row: the command `validate --row ID` prints
    (predict.run_command; the row's architecture cells written as a config.json under `folder`)."""
    from accelopt.predict.run_command import write_row_command

    command = write_row_command(row, folder, catalog=catalog)
    assert command.gaps == [], command.gaps
    return [*command.argv, "--json"]


QWEN3_30B_A3B_CONFIG = {"_name_or_path": "user-qwen3-30b", "num_hidden_layers": 48, "hidden_size": 2048,
                        "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128,
                        "intermediate_size": 6144, "moe_intermediate_size": 768, "num_experts": 128,
                        "num_experts_per_tok": 8, "vocab_size": 151936, "max_position_embeddings": 4096,
                        "hidden_act": "silu", "tie_word_embeddings": False}
"""Qwen3-30B-A3B as a user's config.json (Qwen/Qwen3-30B-A3B config.json: 48 layers, 128 experts, 8 routed per
token, expert width 768), the MoE model the --moe-* flag tests run `plan explain` on."""


@pytest.fixture
def qwen3_cfg(tmp_path: Path) -> Path:
    """tmp_path/config.json holding QWEN3_30B_A3B_CONFIG."""
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(QWEN3_30B_A3B_CONFIG), encoding="utf-8")
    return cfg


def write_hf_config(tmp_path: Path, name: str, cfg: dict[str, Any]) -> Path:
    """`cfg` written as tmp_path/NAME/config.json with `_name_or_path` NAME (the model's name in every result)."""
    path = tmp_path / name / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"_name_or_path": name, **cfg}), encoding="utf-8")
    return path


def run_main_expect(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> tuple[str, str]:
    """run_main, asserting the exit status; (stdout, stderr)."""
    got, out, err = run_main(list(args), capsys)
    assert got == code, err
    return out, err


@pytest.fixture
def tiny_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """`probe` at tiny sizes (one 64^3 fp32 and one 32^3 bf16 matmul, 2 MiB stream arrays, budgets of tens of ms):
    the CLI's tests check what it prints and saves, not the machine's figures."""
    from accelopt.measure import probe
    from accelopt.units import MiB

    def settings_for(device: Any, quick: bool, llc: float | None) -> probe.ProbeSettings:
        return probe.ProbeSettings(shapes={"fp32": [(64, 64, 64)], "bf16": [(32, 32, 32)]}, shape_budget_s=0.02,
                                   max_call_s=1.0, stream_bytes=2 * MiB, stream_budget_s=0.03)

    monkeypatch.setattr(probe, "settings_for", settings_for)


TINY_BERT = {"architectures": ["BertForMaskedLM"], "model_type": "bert", "hidden_size": 32, "intermediate_size": 64,
             "num_attention_heads": 2, "vocab_size": 100, "max_position_embeddings": 16}
"""A Hugging Face BERT config.json small enough to build and step in well under a second (no num_hidden_layers:
the HF-config notes tests add it, or misspell it); written for a test with write_config."""


def machine_cpus(monkeypatch: pytest.MonkeyPatch, count: int, usable: int | None = None,
                 quota_cpus: float | None = None) -> None:
    """This machine as one of `count` logical CPUs (os.cpu_count) of which this process may run on `usable` (its
    CPU affinity, os.sched_getaffinity; default all), under a cgroup CPU quota of `quota_cpus` (default none, whatever
    the machine running the tests has): distributed.launch and measure.contention count the usable ones."""
    from accelopt.measure import cgroups

    monkeypatch.setattr("os.cpu_count", lambda: count)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(count if usable is None else usable)),
                        raising=False)
    quota = None if quota_cpus is None else cgroups.CpuQuota(
        cpus=quota_cpus, source=f"/sys/fs/cgroup/cpu.max: {quota_cpus * 100000:.0f} 100000")
    monkeypatch.setattr(cgroups, "cpu_quota", lambda root=None, self_cgroup=None: quota)


@pytest.fixture
def torch_one_thread() -> Any:
    """torch on one thread for the test (digits_bundle.one_thread: tiny models, where a second OpenMP thread on a
    loaded 2-core machine spins); a file applies it to all its tests with
    `pytestmark = pytest.mark.usefixtures("torch_one_thread")`."""
    from digits_bundle import one_thread

    with one_thread():
        yield


def _cuda_available() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _cuda_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (run benchmarks/gpu.sh on one)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


USER_GPU = """[[device]]
name = "my-gpu"
kind = "gpu"
vendor = "NVIDIA"
memory_bytes = [80e9, "my sheet"]
memory_bandwidth_byte_per_s = [3.35e12, "my sheet"]
peak_flop_per_s = { bf16 = [989e12, "my sheet"] }
scaleup_domain_devices = [8, "my sheet"]
scaleup_bandwidth_byte_per_s = [450e9, "my sheet"]
"""
"""A --catalog spec TOML of an NVIDIA GPU with no compute_capability (an H100's memory and bf16 peak): tests append
`compute_capability = [...]` to it (test_compute_capability.py, test_serve_kv_nvfp4_sglang_hopper.py)."""


def write_config(tmp_path: Any, cfg: dict[str, Any], name: str = "config.json") -> Any:
    """tmp_path/name holding `cfg` as JSON: a Hugging Face config.json a test hands `--model` (the helper each config
    test file wrote for itself)."""
    import json

    path = tmp_path / name
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return path


def edited_runs_csv(tmp_path: Any, name: str, column: str, value: str) -> Any:
    """tmp_path/runs.csv: the header and first row of the bundled runs file `name` (predict/data), with `column` of
    that row set to `value` (how the bad-input tests hand `validate` one bad cell)."""
    import csv
    from importlib import resources

    text = (resources.files("accelopt.predict") / "data" / name).read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    rows = list(csv.DictReader(lines[:2]))
    rows[0][column] = value
    return write_csv(tmp_path / "runs.csv", rows)


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    """`rows` written to `path` (its folder made) as a CSV whose header is the first row's keys."""
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def validate_serving_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str], header: str,
                         *rows: str) -> tuple[str, list[str]]:
    """`validate --serving --json` on tmp_path/serving.csv holding `header` and `rows` (it must exit 0): its stderr
    with whitespace runs made one space, and its report's input_warnings."""
    path = tmp_path / "serving.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    code, out, err = run_main(["validate", "--serving", "--runs", str(path), "--json"], capsys)
    assert code == 0, err
    return " ".join(err.split()), json.loads(out)["input_warnings"]


SMALL_DESIGN_TOML = """[design]
name = "small-os"
rows = 16
cols = 16
dataflow = "os"
ifmap_sram_bytes = 65536
filter_sram_bytes = 65536
ofmap_sram_bytes = 32768
dram_bandwidth_byte_per_s = 12.8e9
clock_hz = 800e6
dtype = "int8"
tech_node_nm = 16
"""
"""A 16 x 16 output-stationary int8 design at 800 MHz and 12.8 GB/s (simulate run tests edit one line of it)."""


FPGA_NO_LINK_NO_TDP = """[sources]
doc = "Our design review rev 1 (2026-11), table 1"

[[device]]
name = "my-fpga"
kind = "fpga"
vendor = "Acme"
peak_flop_per_s = { fp16 = [20e12, "doc"] }
memory_bytes = [16e9, "doc"]
memory_bandwidth_byte_per_s = [512e9, "doc"]
"""
"""A user's spec TOML with neither a TDP nor any link between devices (tests/test_no_link_stops.py,
test_infer_unranked_devices.py)."""


def busy_node_spec(warning: str) -> str:
    """A node's spec TOML whose bf16 peak and bandwidth `probe` saved with the busy-machine `warning` (as spec_toml
    writes them); '' gives the same spec probed on a quiet machine."""
    from accelopt.measure.contention import LINK_WARNING_MARK

    mark = f"{LINK_WARNING_MARK}{warning}" if warning else ""
    return f"""
[[device]]
name = "busy-node"
kind = "gpu"
peak_flop_per_s = {{ bf16 = [989.4e12, "probed{mark}"], fp32 = [60e12, "probed"] }}
memory_bytes = [85899345920, "80 GiB"]
memory_bandwidth_byte_per_s = [3.35e12, "probed{mark}"]
scaleup_domain_devices = [8, "one node"]
scaleup_bandwidth_byte_per_s = [450e9, "one node"]
scaleout_bandwidth_byte_per_s = [50e9, "NDR 400 Gb/s"]
"""


@pytest.fixture
def megablox_width_rate_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module's figures as of before rmegablox (2026-12-05), whose megablox width rate
    (compute.megablox_width_eff) took maxtext-v5p-dsv3-671b-512 within 25% and left its UNEXPLAINED entry
    (test_row_notes_checked.DSV3_ENTRY_BEFORE_RMEGABLOX): the rate is off so the entry's figures stay checked; the
    figures with it are in tests/test_megablox_width.py."""
    from accelopt.predict import compute

    monkeypatch.setattr(compute, "MEGABLOX_WIDTH_EXP", 0.0)


@pytest.fixture
def nki_flash_transposes_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dated Trainium1 records made before s33 rtrn (2026-12-06), which counted the NKI flash kernel's Tensor-Engine
    transposes (compute.NKI_PE_TRANSPOSE_COLS, in compute.nki_flash_work): each record is replayed at its state (no
    transposes), so its figures stay checked; the figures with them are the runs file's 'Examined 2026-12-06 (s33
    rtrn' record (tests/test_validate_trainium.py test_nki_flash_transposes_record)."""
    from accelopt.predict import compute

    monkeypatch.setattr(compute, "NKI_PE_TRANSPOSE_COLS", 0.0)


# rtrn2 (2026-12-06): Trainium1's collective bus bandwidth taken from AWS's NCCOM-TEST measurement (scaleup_bw_eff
# 0.80 -> 0.275), and the three fits that read it re-run by their declared rules (calibration.toml, the 'rtrn2' record):
# (bundled value now, value before) of each cell a record made before it was computed with.
TRN1_LINK_BEFORE_RTRN2 = (
    ("[family.aws-trainium1]\nmatch = [\"trainium1*\", \"trn1*\"]\nmatmul_eff_max = 0.58\n",
     "[family.aws-trainium1]\nmatch = [\"trainium1*\", \"trn1*\"]\nmatmul_eff_max = 0.48\n"),
    ("memory_eff = 0.80\nscaleup_bw_eff = 0.275\n", "memory_eff = 0.80\nscaleup_bw_eff = 0.80\n"),
    ("[family.aws-trainium1.stack.neuron-megatron-lm]\nmatmul_eff_max = 0.46\n",
     "[family.aws-trainium1.stack.neuron-megatron-lm]\nmatmul_eff_max = 0.38\n"),
    ("link_step_latency_s = 6.5e-6\nprefill_compute_efficiency = 0.20\nper_step_overhead_s = 0.0005\n"
     "per_request_overhead_s = 0.001\n",
     "link_step_latency_s = 6.5e-6\nprefill_compute_efficiency = 0.15\nper_step_overhead_s = 0.0005\n"
     "per_request_overhead_s = 0.0\n"),
)


def trn1_link_before_rtrn2_text() -> str:
    """The bundled calibration.toml with the cells rtrn2 changed set back (each found exactly once)."""
    from accelopt.predict import calibration

    text = calibration.bundled_text()
    for now, before in TRN1_LINK_BEFORE_RTRN2:
        assert text.count(now) == 1, now
        text = text.replace(now, before)
    return text


@contextmanager
def trn1_link_before_rtrn2_ctx() -> Iterator[None]:
    """The model at the calibration before rtrn2 (2026-12-06): the bundled text with TRN1_LINK_BEFORE_RTRN2's cells set
    back; the validate caches key on the text, the bundled serving tables and the serving links' training families are
    read again on both sides, as is test_row_notes_checked's every-row table."""
    from accelopt.predict import calibration, serving

    def forget() -> None:
        serving._bundled_serving_calibrations.cache_clear()
        serving._training_families.cache_clear()  # the serving links' scaleup_bw_eff
        _forget_reports()
        notes = sys.modules.get("test_row_notes_checked")  # its every-row table, cached once per process
        if notes is not None:
            notes._rows.cache_clear()

    text = trn1_link_before_rtrn2_text()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(calibration, "bundled_text", lambda: text)
        forget()
        yield
    forget()


@pytest.fixture
def trn1_link_before_rtrn2() -> Iterator[None]:
    """Dated Trainium1 / NeuronCore-v2 records made before rtrn2 (2026-12-06), when the family's collectives ran at
    the catalog's NeuronLink x 0.80 (rule v2 0.48, the Megatron-LM stack 0.38, the serving fit's prefill 0.15 and
    per-request 0 ms): each record is replayed at that calibration (trn1_link_before_rtrn2_ctx), so its figures stay
    checked."""
    with trn1_link_before_rtrn2_ctx():
        yield


@contextmanager
def before_pp_host_loop() -> Iterator[None]:
    """The serving model as it stood before rpphost (2026-12-06): TensorRT-LLM's blocking pipeline-parallel loop not
    charged (EngineRule.pp_host_loop off), so the figures the earlier sessions' notes quote of the --pp rows are
    recomputed as they were made."""
    from dataclasses import replace

    from accelopt.predict import serving

    with pytest.MonkeyPatch.context() as m:
        m.setitem(serving.ENGINES, "trtllm", replace(serving.ENGINES["trtllm"], pp_host_loop=False))
        yield


# rpphost (2026-12-06) declared these three --pp rows the fit rows of its pipeline host-loop cell; before it they
# were held out (role test): a record made before rpphost counts them held out, at the model before_pp_host_loop
RPPHOST_FIT_IDS = frozenset(f"trt10-rtx6k-l33-70b-tp1-pp{pp}-1000-1000" for pp in (2, 4, 8))

# rsrvA (2026-12-06) added these held-out serving rows (vLLM PR #2192's T4 cells); a record of the held-out rows made
# before then counts without them
SERVING_ROWS_ADDED_RSRVA = frozenset(f"vllm2192-t4-l2-7b-tp2-b32-{k}" for k in ("nccl", "custom"))

# rmi355 (2026-12-06) made these two held-out MI355X rows `derived` (the [serving.amd-instinct-cdna4] table's values
# were read off their run's trace); a record of the held-out rows made before then counts them held out, at the
# calibration before that table (before_cdna4_table)
SERVING_ROWS_DERIVED_RMI355 = frozenset(
    f"sglang-mi355x-l31-8b-tp1-b64-8192-1024-{k}" for k in ("tput", "tpot"))


@contextmanager
def before_cdna4_table() -> Iterator[None]:
    """The serving calibrations as they stood before rmi355 (2026-12-06): the MI355X's derived fields at
    [serving.default]'s values and its family 'default', so the earlier records' figures are recomputed as made."""
    from dataclasses import replace

    from accelopt.predict import serving

    tables = serving.serving_calibrations()
    default = tables["default"]
    cdna4 = tables["amd-instinct-cdna4"]
    before = replace(cdna4, family="default", **{k: getattr(default, k) for k in cdna4.derived_fields})
    with pytest.MonkeyPatch.context() as m:
        m.setattr(serving, "_bundled_serving_calibrations", lambda: {**tables, "amd-instinct-cdna4": before})
        yield


def before_pp_host(fn: Any) -> Any:
    """`fn` run under before_pp_host_loop (a note's sentence of the model before rpphost)."""
    import functools

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with before_pp_host_loop():
            return fn(*args, **kwargs)

    return wrapped


def note_before_pp_host_loop(note: str) -> str:
    """A --pp row's note without the sentence rpphost (2026-12-06) opened it with ('Now (rpphost, ...) ... before
    it.'): what the earlier sessions wrote of the model before the PP loop's host cost."""
    head = "Now (rpphost, 2026-12-06) at "
    if note.startswith(head):
        end = "what follows is of the model before it. "
        return note[note.index(end) + len(end):]
    return note


# Two Hugging Face MoE configs' sizes, shared by the config-class default tests (utplan, utcfg; session 33)
QWEN3_30B_A3B = {  # Qwen/Qwen3-30B-A3B config.json (sizes)
    "model_type": "qwen3_moe", "head_dim": 128, "hidden_act": "silu", "hidden_size": 2048, "intermediate_size": 6144,
    "max_position_embeddings": 40960, "moe_intermediate_size": 768, "num_attention_heads": 32, "num_experts": 128,
    "num_experts_per_tok": 8, "num_hidden_layers": 48, "num_key_value_heads": 4, "tie_word_embeddings": False,
    "vocab_size": 151936}
QWEN15_MOE = {  # Qwen/Qwen1.5-MoE-A2.7B config.json (sizes)
    "model_type": "qwen2_moe", "hidden_act": "silu", "hidden_size": 2048, "intermediate_size": 5632,
    "max_position_embeddings": 8192, "moe_intermediate_size": 1408, "num_attention_heads": 16, "num_experts": 60,
    "num_experts_per_tok": 4, "num_hidden_layers": 24, "num_key_value_heads": 16,
    "shared_expert_intermediate_size": 5632, "tie_word_embeddings": False, "vocab_size": 151936}


def dist_tiny_ops() -> list[Any]:
    """100 tiny ops of a distributed prediction's tests: their roofline time is nothing beside their per-op overhead
    (1 FLOP, 8 B each on an H100); 20 forward, 40 backward, 40 optimizer."""
    from accelopt.workload.types import Op

    return [Op(name="aten.add", kind="elementwise", flops=1.0, bytes_read=4.0, bytes_written=4.0, phase=ph)
            for ph in ["forward"] * 20 + ["backward"] * 40 + ["optimizer"] * 40]


@pytest.fixture
def nvml_by_environment(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test faking NVML looks the GPU up as a machine without torch's CUDA does (CUDA_VISIBLE_DEVICES, else the
    index): on a GPU machine energy.nvml_handle_for_cuda asks NVML for torch's own UUID of the device first, which a
    fake NVML does not know. A test marked gpu (real NVML) keeps the real lookup."""
    if request.node.get_closest_marker("gpu") is None:
        from accelopt.measure import energy

        monkeypatch.setattr(energy, "_torch_cuda_uuid", lambda cuda_index: None)


def fixed_step_times(monkeypatch: pytest.MonkeyPatch, technique: Any) -> None:
    """The optimize runner's step timer (runner._timed, the boundary every timed step goes through) reads a fixed
    time: 1 ms a step of the model, 0.1 ms a step that ran the forward of a variant `technique` (a Technique class)
    applied. Each step still runs. A test's speed-ups are then the same on a quiet and a crowded machine (under a load
    average of 15-18 the runner refuses a disturbed recommendation, which is not what such tests are about)."""
    import dataclasses

    from accelopt.optimize import runner

    ran: list[int] = []
    real_apply = technique.apply

    def apply(self: Any, bundle: Any, target: Any, options: dict[str, Any]) -> Any:
        v = real_apply(self, bundle, target, options)
        forward = v.forward

        def counted(x: Any) -> Any:
            ran.append(1)
            return forward(x)

        return dataclasses.replace(v, forward=counted)

    def timed(step: Any, n: int, sync: Any) -> list[float]:
        out = []
        for _ in range(n):
            before = len(ran)
            step()
            out.append(1e-4 if len(ran) > before else 1e-3)
        return out

    monkeypatch.setattr(technique, "apply", apply)
    monkeypatch.setattr(runner, "_timed", timed)


def readme_command_lines(readme: str) -> list[tuple[str, str]]:
    """(command, comment) of each `accelopt ...` in README's indented (4 spaces) and fenced example lines, in order:
    backslash continuations joined, each `accelopt ...` on a line a command of its own (`a; accelopt b`,
    `a && accelopt b`), the line's trailing `# comment` beside it ('' without one). Optional `[...]` parts are kept."""
    import re

    out: list[tuple[str, str]] = []
    fenced, joined = False, ""
    for raw in readme.splitlines():
        if raw.startswith("```"):
            fenced = not fenced
            continue
        if not (fenced or raw.startswith("    ")):
            joined = ""
            continue
        text = joined + raw.strip()
        if text.endswith("\\"):
            joined = text[:-1] + " "
            continue
        joined = ""
        command, *comment = re.split(r"\s#\s", text, maxsplit=1)
        out += [(f"accelopt {part}", " ".join(comment)) for part in re.split(r"\baccelopt ", command)[1:]]
    return out


# A user model file whose backward refuses to run under torch.profiler: the profile's roofline pass fails after
# its timed steps (tests/test_profile_failed_pass_kept.py, tests/test_profile_page_step_memory_rows.py)
PROFILER_REFUSING_MODEL = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


class _NoProfiledBackward(torch.autograd.Function):
    """Identity whose backward refuses to run under torch.profiler (a custom kernel that cannot be traced)."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        if torch.autograd.profiler._is_profiler_enabled:
            raise RuntimeError("my_kernel backward cannot run under the profiler [bad]")
        return g


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc(_NoProfiledBackward.apply(x))


def build() -> ModelBundle:
    def batches():
        g = torch.Generator().manual_seed(0)
        for _ in range(4):
            yield torch.randn(8, 16, generator=g).requires_grad_(), torch.randint(0, 4, (8,), generator=g)
    return ModelBundle(name="late-fail", model=Net(), batches=batches, loss_fn=nn.functional.cross_entropy,
                       batch_size=8, make_optimizer=lambda p: torch.optim.SGD(p, lr=0.1))
'''


# A user's training runs file and a [family] table fitted on its rows (test_validate_user_fitted_on.py,
# test_validate_row_leftovers.py): HEADER + ROWS as the CSV, TABLE.format(fitted_on='["my-fit"]') as the TOML
USER_RUNS_HEADER = ("id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,recompute,"
                    "step_s,mlp,flash,overlap,zero")
USER_RUNS_ROWS = ("my-fit,our lab,h100-sxm,8,32,4096,32,11008,32000,4096,64,1,1,8,none,5.1,swiglu,1,1,1\n"
                  "my-test,our lab,h100-sxm,8,32,4096,32,11008,32000,4096,128,1,1,8,none,10.0,swiglu,1,1,1\n"
                  "my-a100,our lab,a100-sxm-80gb,8,32,4096,32,11008,32000,4096,64,1,1,8,none,15.0,swiglu,1,1,1\n")
USER_FAMILY_TABLE = """[family.my-h100]
match = ["h100-sxm"]
matmul_eff_max = 0.6
matmul_half_flop = 0.5e9
memory_eff = 0.80
scaleup_bw_eff = 0.80
scaleout_bw_eff = 0.80
overlap_eff = 0.80
kernel_overhead_s = 4e-6
framework_overhead_bytes = 2.5e9
fitted_on = {fitted_on}
"""


@pytest.fixture
def run_dirs_in_tmp(tmp_path: Path) -> Iterator[None]:
    """A failed distributed run's folder (kept: its error names its torchrun.log) goes under the test's tmp."""
    import tempfile

    before = tempfile.tempdir
    tempfile.tempdir = str(tmp_path)
    yield
    tempfile.tempdir = before


# A small output-stationary int8 systolic design (16x16 at 800 MHz, 64/64/32 KiB SRAM): plan infer / simulate
# tests of a design of the user's own; .replace('"npu16"', ...) renames it.
SMALL_NPU_DESIGN = """[design]
name = "npu16"
rows = 16
cols = 16
dataflow = "os"
dtype = "int8"
clock_hz = 800e6
ifmap_sram_bytes = 65536
filter_sram_bytes = 65536
ofmap_sram_bytes = 32768
dram_bandwidth_byte_per_s = 12.8e9
tech_node_nm = 28
"""


# gb3 (2026-12-06): [family.nvidia-blackwell]'s fitted GB300 fp8_device_factor (x1.166, calibration.toml) and its two
# declared fit rows (the runs file's gb3 block). Records made before it (the GB300 rows' examinations, rgb300 to rgb3)
# are replayed at the calibration and runs file as they stood: the factor 1 and the two rows left out.
GB3_FACTOR_CELL = ("fp8_device_factor = 1.166\n", "fp8_device_factor = 1.0\n")
GB3_FIT_ROW_IDS = ("mlperf51-gb300-llama31-8b-fp8-72", "mlperf51-gb200-llama31-8b-fp8-72")


def runs_text_without(read: Any, file_name: str, prefixes: tuple[str, ...] | str, dropped: int) -> Any:
    """A bundled_runs_text reader whose `file_name` leaves out the rows whose id starts with `prefixes` (exactly
    `dropped` of them): how a replay context puts a runs file back as it stood before a change added rows."""

    def runs_text(name: str) -> str:
        text = read(name)
        if name != file_name:
            return text
        kept = [ln for ln in text.splitlines(keepends=True) if not ln.startswith(prefixes)]
        assert len(kept) == len(text.splitlines()) - dropped, (file_name, prefixes, dropped)
        return "".join(kept)

    return runs_text


@contextmanager
def gb300_before_gb3_ctx() -> Iterator[None]:
    """The model, calibration and training runs file as they stood before gb3 (2026-12-06): fp8_device_factor set
    back to 1 in the bundled calibration text and the gb3 block's two fit rows dropped from the bundled runs text; the
    cached reports and test_row_notes_checked's every-row table are read again on both sides (as
    trn1_link_before_rtrn2_ctx does)."""
    from accelopt.predict import calibration, validation

    cal_text = calibration.bundled_text()
    now, before = GB3_FACTOR_CELL
    assert cal_text.count(now) == 1, now
    cal_text = cal_text.replace(now, before)
    runs_text = runs_text_without(validation.bundled_runs_text, "published_training_runs.csv", GB3_FIT_ROW_IDS,
                                  len(GB3_FIT_ROW_IDS))

    def forget() -> None:
        _forget_reports()
        validation._bundled_sources.cache_clear()
        notes = sys.modules.get("test_row_notes_checked")
        if notes is not None:
            notes._rows.cache_clear()

    with pytest.MonkeyPatch.context() as m:
        m.setattr(calibration, "bundled_text", lambda: cal_text)
        m.setattr(validation, "bundled_runs_text", runs_text)
        forget()
        yield
    forget()


@pytest.fixture(scope="module")
def gb300_before_gb3() -> Iterator[None]:
    """A module's records made before gb3 (2026-12-06), replayed at gb300_before_gb3_ctx; module-scoped, so a module
    that lists it in pytestmark's usefixtures (or as autouse) computes its module fixtures under it too."""
    with gb300_before_gb3_ctx():
        yield


@contextmanager
def gb300_fp8_factor_ctx(f: float) -> Iterator[None]:
    """GB300's fp8_matmul_eff_max times f (as device_scaled would scale it from a measured rate), as rmix (2026-12-06)
    sized it and rgb3 re-sized it on the MLPerf v5.1 8B FP8 pairs; f 1 leaves the model as it is."""
    from accelopt.predict import calibration as calmod

    orig = calmod.with_fused_attention

    def scaled(cal: Any, spec: Any, **kw: bool) -> Any:
        cal = orig(cal, spec, **kw)
        if spec.name != "gb300":
            return cal
        return calmod.replace(cal, fp8_matmul_eff_max=min(1.0, cal.fp8_matmul_eff_max * f))

    with pytest.MonkeyPatch.context() as mp:
        if f != 1.0:
            mp.setattr(calmod, "with_fused_attention", scaled)
        yield


def before_gb3_for(row: dict[str, str]) -> Any:
    """gb300_before_gb3_ctx() for a GB300 FP8 row (the rows gb3's factor moved), a no-op context for any other: a note
    whose figures were written before gb3 (2026-12-06) is recomputed at the model it was written on."""
    from contextlib import nullcontext

    return gb300_before_gb3_ctx() if row.get("hardware") == "gb300" and row.get("dtype") == "fp8" else nullcontext()


@dataclass
class ProfilerEventStub:
    """A torch.profiler FunctionEvent's fields the roofline's row attribution reads (name, self times, parent,
    device type), for tests that build an event tree by hand."""
    name: str
    self_cpu_time_total: float
    cpu_parent: Any = None
    self_device_time_total: float = 0.0
    device_type: str = "DeviceType.CPU"


PENG_SERVING_ROW_PREFIX = "gs-h100-"
"""The id prefix of the 12 gpustack H100 serving rows peng (session 37, 2026-12-06) added to the bundled runs file."""


@contextmanager
def serving_before_peng_ctx() -> Iterator[None]:
    """The serving model and data as they stood before peng (session 37, 2026-12-06): the `gs-h100-` rows dropped from
    the bundled serving runs text and the `[serving.FAMILY.engine.ENGINE]` overlay tables from the bundled calibration
    text (so every row takes its family's per-step / per-request costs, as before); the cached reports and serving
    tables are read again on both sides (as gb300_before_gb3_ctx does). For the dated records of figures over the
    rows of that time."""
    import re

    from accelopt.predict import calibration, runs_csv, serving, serving_validation

    lines = calibration.bundled_text().splitlines(keepends=True)
    overlay = re.compile(r"^\[serving\.[^\]]+\.engine\.[^\]]+\]")
    kept_cal: list[str] = []
    skipping = False
    for ln in lines:
        if ln.startswith("["):
            skipping = bool(overlay.match(ln))
        if not skipping:
            kept_cal.append(ln)
    assert len(kept_cal) < len(lines), "no [serving.*.engine.*] overlay in the bundled calibration file"
    cal_text = "".join(kept_cal)
    runs_text = runs_text_without(runs_csv.bundled_runs_text, "published_serving_runs.csv", PENG_SERVING_ROW_PREFIX,
                                  12)  # peng's 12 gs-h100- rows

    def forget() -> None:
        _forget_reports()
        clear = getattr(serving._bundled_serving_calibrations, "cache_clear", None)  # before_cdna4_table's is a lambda
        if clear is not None:
            clear()

    with pytest.MonkeyPatch.context() as m:
        m.setattr(calibration, "bundled_text", lambda: cal_text)
        m.setattr(runs_csv, "bundled_runs_text", runs_text)
        m.setattr(serving_validation, "bundled_runs_text", runs_text)
        forget()
        yield
    forget()


def reproduce_at_gb300_factor(f: float) -> dict[str, tuple[float, bool]]:
    """Every bundled training row's (error, fitted) with GB300's fp8 rate x f (gb300_fp8_factor_ctx)."""
    from accelopt.predict.validation import read_runs, reproduce_rows

    with gb300_fp8_factor_ctx(f):
        return {r.id: (r.error, r.fitted) for r in reproduce_rows(read_runs())}


def held_out_figures(res: dict[str, tuple[float, bool]], only: str = "") -> tuple[str, int, int]:
    """(held-out median |error| as 'x.xx%', rows within 6%, rows beyond 25%) of reproduce_at_gb300_factor's rows
    whose id contains `only`."""
    import statistics

    errs = [abs(e) for rid, (e, fitted) in res.items() if not fitted and only in rid]
    return f"{100 * statistics.median(errs):.2f}%", sum(e <= 0.06 for e in errs), sum(e > 0.25 for e in errs)
