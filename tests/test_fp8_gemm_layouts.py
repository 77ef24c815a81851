"""One definition of which families' FP8 GEMMs need a transposed FP8 copy (compute.FP8_GEMM_LAYOUTS), used both by the
activation quantize (compute.fp8_cast_bytes) and by FP8 weights (training.fp8_param_bytes). Before it, the two
disagreed: activations paid a transpose on every family but Blackwell, weights kept one only on Hopper, so an MI300X
run kept FP8 weights without the transpose ROCm's Transformer Engine makes (is_non_tn_fp8_gemm_supported is False on
ROCm) and a Gaudi 2 run paid an activation transpose Intel Gaudi's Transformer Engine never writes (its backward GEMMs
take transa/transb flags). Sources: compute.FP8_GEMM_LAYOUTS's docstring."""
import pytest

from accelopt.predict.calibration import load_calibrations
from accelopt.predict.compute import FP8_GEMM_LAYOUTS, fp8_activation_transpose, fp8_cast_bytes, fp8_weight_transpose
from accelopt.predict.training import Setup, fp8_param_bytes
from accelopt.workload.presets import get_model


@pytest.mark.parametrize("family", sorted(FP8_GEMM_LAYOUTS))
def test_settled_family_transposes_activations_and_weights_alike(family: str) -> None:
    # one FP8 GEMM layout per family: the transposed copy is written for both operands or for neither
    assert fp8_activation_transpose(family) == fp8_weight_transpose(family)


@pytest.mark.parametrize(("family", "transposes"), [
    ("nvidia-hopper", True), ("amd-instinct-cdna3", True),
    ("nvidia-blackwell", False), ("intel-gaudi2", False), ("intel-gaudi3", False)])
def test_quantize_bytes_and_weight_bytes_by_hand(family: str, transposes: bool) -> None:
    # delayed scaling per element of a 16-bit GEMM input: read 2 B, write 1 B FP8 (+1 B FP8 transpose where TN-only);
    # fp8_params per GEMM weight: 1 B (+1 B transposed copy where TN-only)
    assert fp8_cast_bytes("delayed", family) == ((4.0 if transposes else 3.0), 1.0)
    cal = load_calibrations()[family]
    setup = Setup(model=get_model("llama3-8b"), seq_len=8192, global_batch=128, dtype="fp8", fp8_params=True)
    assert fp8_param_bytes(setup, cal) == (2.0 if transposes else 1.0)


def test_unsettled_family_keeps_its_former_behaviour() -> None:
    # no source settles e.g. TPU or Trainium: the activation quantize still writes a transpose, FP8 weights keep none
    for family in ("google-tpu-v6e", "aws-trainium1", "default"):
        assert family not in FP8_GEMM_LAYOUTS
        assert fp8_activation_transpose(family) and not fp8_weight_transpose(family)
