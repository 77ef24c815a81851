"""Resolve `--model NAME` to layers: built-in CNNs, transformer presets, or a captured zoo model."""

from __future__ import annotations

from accelopt.errors import InputError, unknown_name
from accelopt.simulate.layers import Layer, alexnet_conv_layers, from_workload, resnet50_layers, transformer_layers

BUILTIN = {"resnet50": "ResNet-50, He et al. 2016 Table 1 (built in, no torch needed)",
           "alexnet-conv": "AlexNet's 5 conv layers as run by Eyeriss (built in)"}


def model_layers(name: str, batch: int = 1, seq_len: int | None = None) -> tuple[list[Layer], str]:
    """(layers, description). Names: resnet50, alexnet-conv, a transformer preset ('bert-base',
    'llama2-7b', ...), or a zoo model 'NAME[:SIZE]' ('gpt:tiny'), captured in inference mode with torch."""
    if batch < 1:
        raise InputError(f"batch = {batch} must be >= 1", "pass --batch 1 or more")
    if seq_len is not None and seq_len < 1:
        raise InputError(f"seq_len = {seq_len} must be >= 1", "pass --seq-len 1 or more (or leave it out)")
    key = name.strip().lower()
    if key in BUILTIN and seq_len is not None:
        raise InputError(f"--seq-len does not apply to {key} (a CNN)", "leave --seq-len out for CNNs")
    if key == "resnet50":
        return resnet50_layers(batch), BUILTIN[key]
    if key == "alexnet-conv":
        return alexnet_conv_layers(batch), BUILTIN[key]
    from accelopt.workload import presets

    try:
        cfg = presets.get_model(name)
    except InputError:
        cfg = None
    if cfg is not None:
        return transformer_layers(cfg, batch, seq_len), f"transformer preset {cfg.name} (prefill)"
    from accelopt.workload import zoo

    zname, _, size = key.partition(":")
    if zname in zoo.list_models():
        from accelopt.workload.capture import capture_workload

        bundle = zoo.build(zname, size or "tiny", batch_size=batch, seq_len=seq_len)
        w = capture_workload(bundle, mode="inference")
        layers, skipped = from_workload(w)
        note = f"; {len(skipped)} ops without MACs to map not simulated" if skipped else ""
        return layers, f"zoo model {zname}:{size or 'tiny'} captured in inference mode{note}"
    raise unknown_name("model", name, [*BUILTIN, *presets.list_models(), *zoo.list_models()])
