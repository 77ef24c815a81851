"""--moe-grouped-mlp and --stack that disagree: MaxText runs its routed experts through megablox (base.yml's
sparse_matmul and megablox true), Transformer Engine's per-expert GEMMs run on the Megatron / PyTorch stacks. A
MaxText MoE plan left at the default te, or megablox asked for on another stack, was priced without a word (the
expert GEMMs can differ by tens of percent: maxtext-v5p-dsv3-671b-512 +40.4% with te, -20.7% with megablox); the
prediction now says which kernel it timed and the flag that gives the stack's own."""

from __future__ import annotations

import pytest
from conftest import explain_doc, run_main

EXPLAIN = ["plan", "explain", "--model", "mixtral-8x7b", "--devices", "256", "--ep", "8", "--global-batch", "256",
           "--seq-len", "4096"]


@pytest.mark.parametrize(("flags", "said", "not_said"), [
    # maxtext left at the default te: the kernel MaxText does not run, and the flag that gives its own
    (["--hardware", "tpu-v5p", "--stack", "maxtext"],
     ["Transformer Engine's per-expert GEMMs", "--moe-grouped-mlp megablox"], ["does not run it"]),
    (["--hardware", "tpu-v5p", "--stack", "maxtext", "--moe-grouped-mlp", "megablox"],
     ["one megablox Pallas kernel each"], ["does not run it", "which runs them through its megablox"]),
    # megablox off a TPU is refused (test_megablox_off_a_tpu_is_refused): the stack note on a TPU
    (["--hardware", "tpu-v5p", "--stack", "megatron", "--moe-grouped-mlp", "megablox"],
     ["on stack 'megatron', which does not run it", "--stack maxtext"], []),
    (["--hardware", "h100-sxm"], [], ["does not run it", "which runs them through its megablox"]),
])
def test_expert_gemm_note_in_text_and_json(flags: list[str], said: list[str], not_said: list[str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The note that says which expert kernel was timed, in the text and in the --json notes alike."""
    code, out, err = run_main([*EXPLAIN, *flags], capsys)
    assert code == 0, err
    text = " ".join((out + err).split())
    notes = " ".join(explain_doc(capsys, [*EXPLAIN, *flags, "--json"])["notes"])
    for where in (text, notes):
        assert all(s in where for s in said) and not any(s in where for s in not_said), where


@pytest.mark.parametrize("command", [EXPLAIN, ["plan", "--model", "mixtral-8x7b", "--devices", "256"]])
def test_cutedsl_with_maxtext_is_refused(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """small (2026-12-04): `--stack maxtext --moe-grouped-mlp cutedsl` (on a Blackwell, fp8 mxfp8) printed 'one CuTe DSL
    MXFP8 grouped kernel each (Transformer Engine's fused grouped MLP)' for a JAX MaxText run, with no note, while
    the other PyTorch-library flags are refused with --stack maxtext (compute.check_stack_flags)."""
    args = [*command, "--hardware", "b200", "--stack", "maxtext", "--moe-grouped-mlp", "cutedsl", "--dtype", "fp8",
            "--fp8-recipe", "mxfp8"]
    code, out, err = run_main(args, capsys)
    assert code == 2, out + err
    assert "--moe-grouped-mlp cutedsl" in err and "not a PyTorch stack" in err and "megablox" in err, err
    code, out, err = run_main([*args[:args.index("--stack")], "--stack", "megatron", *args[args.index("cutedsl") - 1:]],
                              capsys)
    assert code == 0, err


@pytest.mark.parametrize("stack", ["maxtext", "megatron"])
@pytest.mark.parametrize("command", [EXPLAIN, ["plan", "--model", "mixtral-8x7b", "--devices", "256"]])
def test_megablox_off_a_tpu_is_refused(command: list[str], stack: str, capsys: pytest.CaptureFixture[str]) -> None:
    """rvs32b (2026-12-05): `--moe-grouped-mlp megablox` on h100-sxm was priced (with --stack maxtext without a word),
    though MaxText's megablox gmm is 'Grouped matrix multiplication kernels for TPU written in Pallas' on
    jax.experimental.pallas.tpu (AI-Hypercomputer/maxtext@01164e14 MaxText/kernels/megablox/gmm.py)."""
    code, out, err = run_main([*command, "--hardware", "h100-sxm", "--stack", stack, "--moe-grouped-mlp", "megablox"],
                              capsys)
    flat = " ".join(err.split())
    assert code == 2, out + err
    assert "--moe-grouped-mlp megablox is MaxText's Pallas TPU kernel" in flat and "h100-sxm is a gpu" in flat, flat
    assert "fix: give --moe-grouped-mlp te (the default) or cutedsl" in flat and "TPU" in flat.split("fix:")[1], flat


def test_megablox_leaves_the_gpus_out_of_a_search_with_a_tpu(capsys: pytest.CaptureFixture[str]) -> None:
    """A search over a GPU and a TPU keeps the TPU and names the GPU left out, as --eager-cross-entropy does."""
    code, out, err = run_main(["plan", "--model", "mixtral-8x7b", "--devices", "256", "--hardware", "h100-sxm,tpu-v5p",
                               "--stack", "maxtext", "--moe-grouped-mlp", "megablox"], capsys)
    flat = " ".join((out + err).split())
    assert code == 0, flat
    assert "not searched: h100-sxm (--moe-grouped-mlp megablox is MaxText's Pallas TPU kernel" in flat, flat


def test_plan_names_the_expert_path_asked(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --stack maxtext --moe-grouped-mlp megablox` (a search) printed 'routed expert GEMMs timed as Transformer
    Engine's per-expert GEMMs (--moe-grouped-mlp te, the default)' beside a header saying 'megablox grouped mlp':
    the search's note was made for te whatever the flag (utleft5, 2026-12-06)."""
    code, out, err = run_main(["plan", "--model", "mixtral-8x7b", "--devices", "256", "--hardware", "tpu-v5p",
                               "--stack", "maxtext", "--moe-grouped-mlp", "megablox"], capsys)
    flat = " ".join((out + err).split())
    assert code == 0, flat
    assert "one megablox Pallas kernel each" in flat and "(--moe-grouped-mlp te, the default)" not in flat, flat
