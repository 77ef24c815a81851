"""The one dtype table (accelopt.dtypes) against torch itself, and the modules that read it."""

from __future__ import annotations

import pytest
import torch

from accelopt import dtypes
from accelopt.errors import InputError


@pytest.mark.parametrize("d", [d for d in dtypes.TABLE if d.torch_name], ids=lambda d: d.name)
def test_bytes_and_torch_dtype_agree_with_torch(d: dtypes.DType) -> None:
    t = dtypes.torch_dtype(d.name)
    assert torch.empty(0, dtype=t).element_size() == d.bytes  # torch's own size of one element
    assert dtypes.from_torch(t) == ("fp32" if d.name == "tf32" else d.name)


def test_subsets_and_errors() -> None:
    from accelopt.hardware.spec import DTYPES
    from accelopt.predict import serving, training
    from accelopt.simulate.design import DTYPE_BITS
    from accelopt.workload.types import DTYPE_BYTES

    assert DTYPES == ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4", "fp4")
    assert training.DTYPE_BYTES == {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0}
    assert serving.DTYPE_BYTES["int4"] == 0.5 and DTYPE_BITS["int16"] == 16 and DTYPE_BYTES["int64"] == 8
    assert dtypes.from_torch(torch.float8_e5m2) == "fp8" and dtypes.from_torch(torch.uint8) == "int8"
    with pytest.raises(InputError, match="bf16"):
        dtypes.get("bf61")
    with pytest.raises(InputError, match="no torch dtype"):
        dtypes.torch_dtype("int4")
    with pytest.raises(InputError):
        dtypes.torch_dtype("fp8", ("fp32", "bf16"))
