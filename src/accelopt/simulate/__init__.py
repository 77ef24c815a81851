"""Systolic-array accelerator simulator: designs, per-layer dataflow model, traffic, energy, sweeps.

    from accelopt.simulate import get_design, resnet50_layers, simulate
    r = simulate(get_design("tpu-v1"), resnet50_layers(batch=1))
    r.totals().latency_s
"""

from accelopt.simulate.design import DATAFLOWS, Design, get_design, load_design_file, load_preset, preset_names
from accelopt.simulate.engine import SimResult, simulate
from accelopt.simulate.layers import Layer, alexnet_conv_layers, resnet50_layers, transformer_layers
from accelopt.simulate.topology import read_topology, write_topology

__all__ = [
    "DATAFLOWS", "Design", "Layer", "SimResult", "alexnet_conv_layers", "get_design", "load_design_file",
    "load_preset", "preset_names", "read_topology", "resnet50_layers", "simulate", "transformer_layers",
    "write_topology",
]
