"""`plan explain` formula texts name the stack that ran. With --stack maxtext the Megatron distributed optimizer's
bucket latency read 'stack megatron, zero 1/2, NCCL / RCCL: 2 x in_dp_buckets x ...' beside 0 ns, as though Megatron
ran (uttools, 2026-12-05; session 24's leftover). The term that exists only under another stack now opens '0 with
stack maxtext', a mixed one says which of its clauses do not apply, and the stack's own run keeps the plain text."""

from __future__ import annotations

import pytest
from conftest import explain_doc, run_main

EXPLAIN = ["plan", "explain", "--model", "llama3-8b", "--devices", "8"]


@pytest.mark.parametrize(("flags", "stack"), [
    (["--hardware", "tpu-v5p", "--stack", "maxtext"], "maxtext"),
    (["--hardware", "h100-sxm", "--stack", "pytorch-fsdp", "--zero", "3"], "pytorch-fsdp"),
])
def test_a_term_of_another_stack_names_the_stack_that_ran(flags: list[str], stack: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    doc = explain_doc(capsys, [*EXPLAIN, *flags, "--json"])
    terms = {t["name"]: t for t in doc["terms"]}
    for name in ("t_dp_latency_s", "in_dp_buckets"):  # Megatron's distributed optimizer only
        assert terms[name]["value"] == 0
        assert terms[name]["formula"].startswith(f"0 with stack {stack} (counted only with stack megatron)")
    assert f"[stack {stack} ran: its 'stack megatron' clauses do not apply]" in terms["t_dp_comm_s"]["formula"]
    code, out, err = run_main([*EXPLAIN, *flags], capsys)
    assert code == 0, err
    assert f"0 with stack {stack} (counted only with stack megatron)" in " ".join(out.split())


def test_the_stacks_own_terms_keep_their_text(capsys: pytest.CaptureFixture[str]) -> None:
    """On megatron itself (and FSDP's terms on pytorch-fsdp) the formula is the plain one: nothing is added."""
    doc = explain_doc(capsys, [*EXPLAIN, "--hardware", "h100-sxm", "--tp", "2", "--json"])
    megatron = {t["name"]: t["formula"] for t in doc["terms"]}
    assert megatron["t_dp_latency_s"].startswith("stack megatron, zero 1/2")
    assert "ran:" not in megatron["t_dp_comm_s"]
    fsdp = {t["name"]: t["formula"] for t in explain_doc(capsys, [*EXPLAIN, "--hardware", "h100-sxm", "--stack",
                                                                  "pytorch-fsdp", "--zero", "3", "--json"])["terms"]}
    assert fsdp["t_fsdp_latency_s"].startswith("stack pytorch-fsdp or torchtitan, zero 2/3")
