"""An ONNX export both exporters refuse because of an operator ONNX has no export for names that operator: a user CNN
calling torch.linalg.eigvalsh read, as onnx-fp32's and onnx-int8-static's not-applicable reason, only torch.export's
'Error when translating node %_linalg_eigh ... See the stack trace for more information' (a trace it does not
print), with the fix 'make the model exportable (no data-dependent Python control flow)', which the model did not
have. The TorchScript exporter's 'Exporting the operator 'aten::linalg_eigvalsh' to ONNX opset version 20 is not
supported' was dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from torch import nn  # noqa: E402

from accelopt.errors import UnsupportedError  # noqa: E402
from accelopt.optimize.onnx_runtime import export_onnx  # noqa: E402


class _Eigen(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(8, 8)

    def forward(self, x: Any) -> Any:
        h = self.a(x)  # (B, 8)
        return torch.linalg.eigvalsh(h[:, :, None] * h[:, None, :] + torch.eye(8))  # (B, 8)


def test_an_operator_onnx_cannot_export_is_named_with_its_fix(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedError) as err:
        export_onnx(_Eigen().eval(), (torch.randn(4, 8),), tmp_path / "m.onnx")
    assert "'aten::linalg_eigvalsh'" in err.value.problem, err.value.problem
    assert "--skip onnx-fp32,onnx-int8,onnx-int8-static" in err.value.fix
    assert "control flow" not in err.value.fix
