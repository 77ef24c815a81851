#!/usr/bin/env bash
# Run HERE (a machine with pip and a package index), before `bash benchmarks/gpu.sh` on a lent GPU machine, which
# reaches no package index: fetches into .gpu-wheels/ (git-ignored) the wheels that machine's image lacks, and
# gpu.sh installs them there offline into a private folder (never over the image's torch). Name .gpu-wheels in the
# device tool's `carry`.
#   tomli-w        `accelopt probe --save` writes its measured spec with it (a project dependency)
#   torchao        int8/int4/fp8 techniques of gpu_compress.py and the gpu tests; 0.18.0 is the release built for
#                  the image's torch 2.11 (the image holds torch 2.11.0, /work/.library/device/KINDS.md)
#   torch-pruning  structured pruning (pure Python)
# Platform tags: the device README's recipe for a Python 3.12 x86-64 machine.
set -eu
cd "$(dirname "$0")/.." || exit 1
PY="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
DEST="${WHEELS_DIR:-.gpu-wheels}"
mkdir -p "$DEST"
"$PY" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 -d "$DEST" tomli-w==1.2.0 torchao==0.18.0 torch-pruning==1.6.1
ls -l "$DEST"
