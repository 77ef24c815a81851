"""How long a sequence a model's positions cover, rope scaling included, read as Hugging Face transformers reads it.

Sources (huggingface/transformers, src/transformers/modeling_rope_utils.py and the `rope_scaling` docstring of
LlamaConfig / RopeParameters):
- `rope_scaling` (transformers v5 also writes it as `rope_parameters`) names a `rope_type` (older configs: `type`,
  read as `rope_type` by `_check_received_keys`); absent or 'default' is plain RoPE: the positions end at
  max_position_embeddings.
- "In most scaling types, a `factor` of x will enable the model to handle sequences of length x * original maximum
  pre-trained length"; `original_max_position_embeddings` is "the original max position embeddings used during
  pretraining" (used by 'yarn', 'longrope' and 'llama3').
- 'yarn' (`_compute_yarn_parameters`): without original_max_position_embeddings the original length is
  max_position_embeddings; so a config such as Qwen2.5/Qwen3's (max_position_embeddings 32768, yarn factor 4,
  original 32768) reaches 4 x 32768 = 131072. DeepSeek-V3's (163840, yarn factor 40, original 4096) already counts
  the extension in max_position_embeddings.
- 'llama3' (`_compute_llama3_parameters`, `_validate_llama3_parameters`): original_max_position_embeddings is
  required and "must be less than max_position_embeddings": Llama 3.1's max_position_embeddings 131072 is already
  the extended figure (factor 8 x original 8192 = 65536 is below it).
- 'longrope' (`_compute_longrope_parameters`): a top-level original_max_position_embeddings (Phi-3) makes
  max_position_embeddings the expanded length; otherwise the expanded length is max_position_embeddings x factor.
- 'linear' divides the frequencies by `factor` with no reference length, and 'dynamic'
  (`_compute_dynamic_ntk_parameters`) recomputes the base for any sequence longer than max_position_embeddings: for
  neither does the config say how far the model reaches, so no extended limit is assumed and the note says so; the
  same for a rope type transformers does not define.
The longest supported sequence is the larger of max_position_embeddings and the extended length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from accelopt.errors import InputError

_UNDEFINED_WHY = {
    "linear": "linear scaling names no pre-trained length, and max_position_embeddings may already be the "
              "extended one",
    "dynamic": "dynamic NTK scaling rescales for any length beyond max_position_embeddings",
}


@dataclass(frozen=True, kw_only=True)
class ContextLimit:
    """The positions a model covers: its max_position_embeddings and, where its rope scaling defines one, the longer
    sequence that scaling reaches."""

    positions: int
    """max_position_embeddings (n_positions / n_ctx), or a model card's native context for a preset."""
    supported_tokens: int | None
    """The longest prompt + output the model supports, rope scaling included (= positions without scaling); None
    where the config's rope scaling extends the positions by an amount it does not define."""
    rope: str = ""
    """The rope scaling read, in words ('yarn, factor 4 x original 32768'); '' for none."""
    basis: str = "its config's max_position_embeddings"
    """Where `positions` comes from, as printed."""
    undefined_why: str = ""
    """Why the rope scaling's reach is not defined (supported_tokens None)."""

    def note(self, prompt_tokens: int, output_tokens: int) -> str | None:
        """The line `plan serve` prints for a request of prompt + output tokens, or None when it fits plainly."""
        total = prompt_tokens + output_tokens
        head = f"--prompt {prompt_tokens} + --output {output_tokens} = {total} tokens"
        if total <= self.positions:
            return None
        if self.supported_tokens is None:
            return (f"{head} is beyond the model's {self.positions} positions ({self.basis}); its rope scaling "
                    f"({self.rope}) may reach further, but how far is not defined ({self.undefined_why}): check the "
                    "model card before trusting the figures for such requests")
        if total <= self.supported_tokens:
            return (f"{head} is beyond the model's {self.positions} positions ({self.basis}) but within the "
                    f"{self.supported_tokens} it supports with rope scaling ({self.rope}): these requests rely on "
                    "the serving engine applying that scaling")
        if self.supported_tokens > self.positions:
            return (f"{head} is beyond the {self.supported_tokens} positions the model supports with rope scaling "
                    f"({self.rope}; {self.basis} {self.positions}): the figures describe requests the model was "
                    "not built for")
        counted = f"; its rope scaling ({self.rope}) is already counted in it" if self.rope else ""
        return (f"{head} is beyond the model's {self.positions} positions ({self.basis}{counted}): the figures "
                "describe requests the model was not built for")

    def beyond(self, seq_len: int) -> str | None:
        """'sequence length N (--seq-len) is beyond the model's P positions (...)' when `seq_len` passes what the
        model supports (rope scaling included), else None."""
        if seq_len <= self.reach():
            return None
        head = f"sequence length {seq_len} (--seq-len) is beyond the model's {self.positions} positions"
        if self.supported_tokens is None:  # as note() says it: the scaling may reach further, by an undefined amount
            return (f"{head} ({self.basis}); its rope scaling ({self.rope}) may reach further, but how far is not "
                    f"defined ({self.undefined_why})")
        scaled = (f", {self.supported_tokens} with its rope scaling ({self.rope})"
                  if self.supported_tokens > self.positions else "")
        return f"{head} ({self.basis}{scaled})"

    def reach(self) -> int:
        """The longest sequence the model supports: rope scaling's reach where defined, else its positions."""
        return self.supported_tokens if self.supported_tokens is not None else self.positions

    def training_note(self, seq_len: int) -> str | None:
        """The line `plan` and `plan explain` print for training sequences of `seq_len` tokens beyond what the model
        supports, or None. Training past it is a context extension (more positions, rope scaling fitted by continued
        training), which the prediction counts as the same architecture at that length."""
        head = self.beyond(seq_len)
        if head is None:
            return None
        within = ("to plan the model as built" if self.supported_tokens is not None else
                  "to stay within the positions it was built with, or check the model card for its reach")
        return (f"{head}: training at this length is a context extension; the figures count the same architecture "
                f"at that length (give --seq-len <= {self.reach()} {within})")

def _number(rope: dict[str, Any], key: str, where: str, *, least: float) -> float | None:
    v = rope.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < least:
        raise InputError(f"{where}: rope_scaling.{key} = {v!r} is not a number >= {least:g}",
                         f"fix rope_scaling.{key} in the config (transformers expects a float >= {least:g})")
    return float(v)


def _rope_table(cfg: dict[str, Any], where: str) -> dict[str, Any] | None:
    """The config's rope scaling table (rope_scaling, or transformers v5's rope_parameters), or None."""
    for key in ("rope_scaling", "rope_parameters"):
        table = cfg.get(key)
        if table is None:
            continue
        if not isinstance(table, dict):
            raise InputError(f"{where}: {key} = {table!r} is not a JSON object",
                             f'give {key} as a table such as {{"rope_type": "yarn", "factor": 4.0}}, or remove it')
        return table
    return None


def _extended(kind: str, rope: dict[str, Any], cfg: dict[str, Any], positions: int, where: str) -> int | None:
    """The length the rope scaling reaches (module docstring), or None where its type does not define one."""
    factor = _number(rope, "factor", where, least=1)
    original = _number(rope, "original_max_position_embeddings", where, least=1)
    if kind == "yarn" and factor is not None:
        return round(factor * (original or positions))
    if kind == "llama3" and factor is not None and original is not None:
        return round(factor * original)
    if kind == "longrope":
        if cfg.get("original_max_position_embeddings") is not None:
            return positions
        return round(factor * positions) if factor is not None else None
    return None


def _describe(kind: str, rope: dict[str, Any]) -> str:
    parts = [kind]
    if rope.get("factor") is not None:
        parts.append(f"factor {rope['factor']:g}")
    if rope.get("original_max_position_embeddings") is not None:
        parts[-1] += f" x original {rope['original_max_position_embeddings']}"
    return ", ".join(parts)


def context_limit(cfg: dict[str, Any], positions: int | None, where: str) -> ContextLimit | None:
    """The positions of a Hugging Face config (None when it gives no max_position_embeddings)."""
    if positions is None:
        return None
    rope = _rope_table(cfg, where)
    if not rope:
        return ContextLimit(positions=positions, supported_tokens=positions)
    if rope and all(isinstance(v, dict) for v in rope.values()):  # per-layer-type tables (Gemma 3 in transformers v5)
        return ContextLimit(positions=positions, supported_tokens=None, rope="one table per layer type",
                            undefined_why="per-layer rope tables are not read")
    kind = rope.get("rope_type", rope.get("type", "default"))
    if not isinstance(kind, str):
        raise InputError(f"{where}: rope_scaling.rope_type = {kind!r} is not a name",
                         "give rope_type one of default, linear, dynamic, yarn, longrope, llama3")
    if kind == "default":
        return ContextLimit(positions=positions, supported_tokens=positions)
    extended = _extended(kind, rope, cfg, positions, where)
    if extended is None:
        known = kind in ("yarn", "llama3", "longrope")
        why = _UNDEFINED_WHY.get(kind, "its factor or original length is missing" if known
                                 else "a rope type this reader does not know")
        return ContextLimit(positions=positions, supported_tokens=None, rope=_describe(kind, rope), undefined_why=why)
    return ContextLimit(positions=positions, supported_tokens=max(positions, extended), rope=_describe(kind, rope))
