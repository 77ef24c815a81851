"""--stack torchtitan left at the default --attention-kernel fused (cuDNN attention): torchtitan's Llama calls PyTorch
SDPA, which runs its flash backend (FlashAttention-2) on Ampere in every release and on Hopper / Blackwell before
torch 2.9 (pytorch/pytorch PR #138522; PR #162073 made cuDNN the SM 9.0 / 10.0 default for 2.9). ut5train
(2026-12-06, an unseen check on torchtitan's H100 tables, docs/performance.md @ eaea6f6, Table 2): the page's
Llama 3.1 8B layout at seq 262144 (FSDP 1, CP 8, full AC, float8) is 20.1 s a step with the default fused kernel
and 35.6 s with flash2, and nothing said which kernel was timed. The prediction now says it, in the text, the
JSON and the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import explain_doc, run_main

EXPLAIN = ["plan", "explain", "--model", "llama3-8b", "--devices", "8", "--mbs", "1", "--global-batch", "8",
           "--seq-len", "8192", "--zero", "3", "--recompute", "full"]
SAID = "SDPA runs its flash backend (FlashAttention-2)"


@pytest.mark.parametrize(("flags", "when"), [
    (["--hardware", "h100-sxm", "--stack", "torchtitan"], "on SM 9.0 before torch 2.9"),
    (["--hardware", "a100-sxm-80gb", "--stack", "torchtitan"], "on SM 8.0 in every PyTorch release"),
    (["--hardware", "b200", "--stack", "torchtitan"], "on SM 10.0 before torch 2.9"),
])
def test_default_fused_on_torchtitan_is_said(flags: list[str], when: str, capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    """The kernel timed, the release it holds for and the flag that gives SDPA's flash backend: text, JSON, page."""
    page = tmp_path / "explain.html"
    code, out, err = run_main([*EXPLAIN, *flags, "--html", str(page)], capsys)
    assert code == 0, err
    notes = " ".join(explain_doc(capsys, [*EXPLAIN, *flags, "--json"])["notes"])
    for where in (" ".join((out + err).split()), notes, " ".join(page.read_text(encoding="utf-8").split())):
        assert SAID in where and when in where and "--attention-kernel flash2" in where, where[-3000:]


@pytest.mark.parametrize("flags", [
    ["--hardware", "h100-sxm", "--stack", "torchtitan", "--attention-kernel", "flash2"],
    ["--hardware", "h100-sxm", "--stack", "torchtitan", "--attention-kernel", "fused"],  # typed: the user's choice
    ["--hardware", "h100-sxm", "--stack", "megatron"],  # Transformer Engine's fused attention: the default is its own
    ["--hardware", "h100-sxm", "--stack", "pytorch-fsdp"],
])
def test_no_note_where_the_kernel_is_the_stacks_or_typed(flags: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*EXPLAIN, *flags], capsys)
    assert code == 0, err
    assert SAID not in " ".join((out + err).split())


def test_plan_search_says_it_per_device(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan` over several devices: one note per NVIDIA GPU, none for a TPU."""
    doc = explain_doc(capsys, ["plan", "--model", "llama3-8b", "--hardware", "h100-sxm,a100-sxm-80gb,tpu-v5p",
                               "--devices", "8", "--stack", "torchtitan", "--top", "2", "--json"])
    said = [n for n in doc["notes"] if SAID in n]
    assert sorted(n.split(":")[0] for n in said) == ["a100-sxm-80gb", "h100-sxm"], said


TP_SAID = "is timed as its async TP"
TP_EXPLAIN = ["plan", "explain", "--model", "llama3-70b", "--hardware", "h100-sxm", "--devices", "256", "--tp", "8",
              "--mbs", "1", "--global-batch", "512", "--seq-len", "8192", "--zero", "3", "--recompute", "full",
              "--attention-kernel", "flash2"]


@pytest.mark.parametrize(("flags", "said"), [
    (["--stack", "torchtitan", "--tp-comm-overlap"], True),
    (["--stack", "torchtitan"], False),
    (["--stack", "megatron", "--tp-comm-overlap"], False),  # userbuffers is Megatron-Core's own overlap
])
def test_tp_comm_overlap_on_torchtitan_is_said(flags: list[str], said: bool,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """ut5train (2026-12-06): torchtitan's async TP (docs/performance.md @ eaea6f6 Table 4: 829 -> 876 tokens/s per
    GPU, +5.7%) was priced as Transformer Engine userbuffers (815 -> 1,015 predicted) under a header that named a
    'userbuffers config of Transformer Engine defaults', with nothing saying torchtitan runs neither. ttasync
    (2026-12-06): the note now names the async-TP model that times it (tests/test_torchtitan_async_tp.py)."""
    code, out, err = run_main([*TP_EXPLAIN, *flags], capsys)
    assert code == 0, err
    notes = " ".join(explain_doc(capsys, [*TP_EXPLAIN, *flags, "--json"])["notes"])
    for where in (" ".join((out + err).split()), notes):
        assert (TP_SAID in where) is said, where[-2000:]
    plan = explain_doc(capsys, ["plan", "--model", "llama3-70b", "--hardware", "h100-sxm", "--devices", "256",
                                "--top", "1", "--json", *flags])
    assert any(TP_SAID in n for n in plan["notes"]) is said
