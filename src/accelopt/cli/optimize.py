"""`accelopt optimize MODEL`: apply optimization techniques to a real model, measure each, recommend."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import sys
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

from accelopt.cli.html_first import HTML_RULE

if TYPE_CHECKING:
    from accelopt.optimize.recipe import ModelSource

TECHNIQUES = {
    "mixed-precision": ("bf16", "fp16", "tf32"),
    "compilation": ("compile", "compile-max-autotune", "cuda-graphs"),
    "memory-layout": ("channels-last",),
    "quantization": ("int8-weight-only", "int8-dynamic", "int4-weight-only", "float8-dynamic", "onnx-fp32",
                     "onnx-int8", "onnx-int8-static"),
    "pruning": ("prune-structured", "prune-unstructured", "sparse-2-4"),
    "distillation": ("distill",),
    "training-loop": ("activation-checkpointing", "fused-optimizer", "grad-accumulation", "input-pipeline"),
    "power": ("power-limit",),
}
"""The names --only/--skip take, by family, as --help lists them (written out so that --help does not import every
technique module; tests/test_bad_inputs_optimize.py checks them against the registry)."""

HELP = """Measure MODEL's baseline, then every applicable optimization technique (mixed precision,
compilation, channels_last, quantization, pruning, distillation, training-loop techniques, ...) and a
few combinations of compatible ones, side by side: step time p50/p99 (A/B interleaved against the
baseline), throughput, memory, energy per step, model size, quality on the held-out set and agreement
with the baseline's outputs. Prints the Pareto front and recommends the fastest variant inside the
quality tolerance; a technique that does not apply says why. Ctrl-C keeps what was measured.

\b
MODEL is any model `profile` accepts, or a built-in trained example:
  digits               CNN trained on scikit-learn's 8x8 digits (held-out accuracy)
  chargpt              character-level GPT trained on Python's stdlib sources (held-out loss)
  a zoo name, path/file.py:factory, or a Hugging Face config (as for profile)
  left out with --apply RECIPE: the model the recipe records (refused if its file changed)

\b
Techniques (names for --only and --skip; a family's name stands for its techniques), by family:
""" + "\n".join("\n".join(textwrap.wrap(", ".join(names), 76, initial_indent=f"  {family:17}",
                                            subsequent_indent=" " * 19, break_on_hyphens=False))
                for family, names in TECHNIQUES.items())


MAX_ROUNDS = 1000
"""Most A/B rounds per variant accepted (our bound: 1000 rounds of a 10 ms step already take 20 s per variant)."""


@dataclass(kw_only=True)
class OptimizeOptions:
    """The command line, parsed and checked."""

    model: str | None
    """MODEL; None with --apply: the model the recipe's model_source records."""
    size: str | None = None
    mode: str = "inference"
    batch_size: int | None = None
    seq_len: int | None = None
    dtype: str = "fp32"
    device: str = "cpu"
    threads: int | None = None
    only: list[str] | None = None
    skip: list[str] = field(default_factory=list)
    budget_min: float = 10.0
    quality_tolerance: float | None = None
    rounds: int = 5
    block_s: float = 0.1
    warmup: int = 2
    quality_steps: int = 8
    combinations: int = 3
    profile_bounds: bool = True
    save: str | None = None
    apply: str | None = None
    as_json: bool = False
    html: str | None = None
    typed: frozenset[str] = frozenset()
    """Options given on the command line (not defaults): a recipe's mode/dtype must not silently replace them."""


def _names(texts: list[str] | None, flag: str) -> list[str] | None:
    """The technique names of every occurrence of `flag` (`--only bf16 --only tf32` kept bf16 alone: typer let the
    last occurrence replace the earlier ones), each a comma-separated list; None when the flag was not given."""
    from accelopt.errors import InputError

    if not texts:
        return None
    text = ",".join(texts)
    names = list(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise InputError(f"{flag} {text!r} names no technique",
                         f"pass {flag} name1,name2 (the names: `accelopt optimize --help`)")
    return names


def check(o: OptimizeOptions) -> OptimizeOptions:
    """The options checked, with --only/--skip's family names expanded to their techniques: a copy; `o` is left as
    given (check wrote the expanded lists back into the caller's options, so a library caller's object changed and a
    second check of it no longer saw the names typed)."""
    from accelopt.errors import InputError
    from accelopt.measure.profiler import check_args

    check_args(mode=o.mode, dtype=o.dtype, device=o.device, steps=3, warmup=0)
    if not 0 < o.budget_min < math.inf:
        raise InputError(f"--budget-min {o.budget_min:g} is not a finite positive number",
                         "give the run's time budget in minutes, e.g. --budget-min 5")
    if o.rounds < 3:
        raise InputError(f"--rounds {o.rounds} is too few to tell a gain from noise", "use --rounds 3 or more")
    if o.rounds > MAX_ROUNDS:
        raise InputError(f"--rounds {o.rounds} is more than {MAX_ROUNDS} A/B rounds per variant (the budget would "
                         "end the run inside the first variants)", f"use --rounds 3 to {MAX_ROUNDS}")
    if not 0.001 <= o.block_s <= 60.0:  # our bound: a block of a minute times 10 rounds is past any budget
        raise InputError(f"--block-s {o.block_s:g} is outside 0.001..60 seconds per timed block",
                         "give a block duration in seconds, e.g. --block-s 0.1 (the default)")
    for flag, n, top in (("--warmup", o.warmup, 1000), ("--quality-steps", o.quality_steps, 100_000),
                         ("--combinations", o.combinations, 1000)):
        if not 0 <= n <= top:
            raise InputError(f"{flag} {n} is outside 0..{top}", f"give {flag} as a whole number from 0 to {top}")
    from accelopt.cli.profile import check_threads

    check_threads(o.threads)  # as profile: refused past the machine's CPUs, warned past the usable ones
    if o.quality_tolerance is not None and not 0 <= o.quality_tolerance < math.inf:
        raise InputError(f"--quality-tolerance {o.quality_tolerance:g} is not a finite number >= 0",
                         "pass 0 or more (accuracy: points; otherwise percent of the baseline)")
    if o.model is None and not o.apply:
        raise InputError("MODEL is missing", "pass MODEL (digits, chargpt, a zoo name, path/file.py:factory or an "
                                             "HF config), or --apply RECIPE to rebuild the model the recipe records")
    if o.apply and (o.only or o.skip):
        raise InputError("--apply measures exactly the recipe's techniques; --only/--skip do not combine with it",
                         "leave out --only and --skip with --apply")
    from accelopt.optimize.base import expand_families
    from accelopt.optimize.runner import check_only_mode, check_technique_names

    both = sorted(set(o.only or ()) & set(o.skip))  # as typed: `--only quantization --skip onnx-int8` is the family
    if both:                                       # but one
        raise InputError(f"{', '.join(both)} is both in --only and in --skip", "name each technique in one of them")
    only = expand_families(o.only, "--only", o.mode)
    skip = expand_families(o.skip, "--skip", o.mode) or []
    if only is not None and not set(only) - set(skip):  # a family in --skip holding every --only technique
        raise InputError(f"--skip {','.join(o.skip)} leaves out every technique of --only "
                         f"{','.join(o.only or [])}: only the baseline would be measured",
                         "name each technique in one of them")
    check_technique_names(only, skip)
    check_only_mode(only, o.mode)
    return dataclasses.replace(o, only=only, skip=skip)


def _bundle(o: OptimizeOptions) -> Any:
    from accelopt.cli.profile import _load_bundle

    assert o.model is not None  # _use_recorded_model set it
    return _load_bundle(o.model, size=o.size, batch_size=o.batch_size, seq_len=o.seq_len)


def _warn_config_notes(o: OptimizeOptions, bundle: Any) -> list[str]:
    """workload.hf.config_notes of a Hugging Face config's build (keys transformers ignored, sizes from its class's
    defaults, a torch_dtype bfloat16 built in fp32), warned on stderr; returned for the result's first notes. They
    were nowhere but in the model's meta: a misspelt num_hiden_layers measured BertConfig's 12 layers unsaid."""
    from accelopt.cli.profile import warn_notes
    from accelopt.workload.hf import config_notes

    return warn_notes(config_notes(bundle.meta, o.dtype, ran="the baseline, and every variant that does not cast "
                                                            "it, are fp32"))


def _source(o: OptimizeOptions) -> ModelSource:
    """The recipe's model_source of this run's MODEL and model flags."""
    from accelopt.cli.profile import _model_path_kind
    from accelopt.optimize.recipe import model_source

    assert o.model is not None
    return model_source(o.model, is_path=_model_path_kind(o.model)[1], size=o.size, batch_size=o.batch_size,
                        seq_len=o.seq_len)


def _use_recorded_model(o: OptimizeOptions, recipe: Any) -> tuple[str | None, dict[str, Any] | None]:
    """(a note for the result or None, the flags the user typed before the recipe's filled the rest or None).

    Without MODEL: the recipe's recorded model and its flags (those typed win), checked (recorded_model), and a
    note naming them (the run said nothing of which file it rebuilt). With MODEL naming the recorded model: its
    recorded --size/--batch-size/--seq-len where the flag is not typed (before, the model's defaults ran: another
    input shape than the recipe's, unsaid). With MODEL and a recipe recording another: a plain-text warning on stderr
    naming both, returned for the notes; the recorded shape is not carried over (it belongs to the other model). The
    typed flags are returned for the note that says which shape ran."""
    from accelopt.optimize.recipe import few_named, recorded_model

    assert o.apply is not None
    typed = {"size": o.size, "batch_size": o.batch_size, "seq_len": o.seq_len}
    if o.model is None:
        src = recorded_model(recipe, o.apply)
        o.model = src.model
        taken = [f"--{flag.replace('_', '-')} {v}" for flag in ("size", "batch_size", "seq_len")
                 if getattr(o, flag) is None and (v := getattr(src, flag)) is not None]
        _fill_recorded(o, src)
        return (f"MODEL left out: the model the recipe records, {src.model}"
                + (f" with {' '.join(taken)} as recorded" if taken else "")
                + (f" ({src.file} unchanged since the recipe was saved: the same sha256)" if src.sha256 else "")
                + (f"; the {len(src.inputs)} other file(s) its code read unchanged too ({few_named(src.inputs)})"
                   if src.inputs else "")), typed
    if recipe.source is None:
        return None, None
    mine, theirs = _source(o), recipe.source
    if mine.model == theirs.model:
        _fill_recorded(o, theirs)
        mine = _source(o)
        if mine.size == theirs.size:
            return None, typed
    text = (f"warning: the recipe {o.apply!r} was made on {theirs.named()}; MODEL here is {mine.named()}, which is "
            "measured with the recipe's techniques")
    from accelopt.report.console import make_console, plain

    make_console(stderr=True).print(plain(text, "yellow"))
    return text.removeprefix("warning: "), (typed if mine.model == theirs.model else None)


def _fill_recorded(o: OptimizeOptions, src: ModelSource) -> None:
    """The recorded model flags where the user typed none (a typed flag overrides the recipe's)."""
    o.size = o.size if o.size is not None else src.size
    o.batch_size = o.batch_size if o.batch_size is not None else src.batch_size
    o.seq_len = o.seq_len if o.seq_len is not None else src.seq_len


def _recorded_flags_named(e: Any, o: OptimizeOptions, typed: dict[str, Any] | None) -> Any:
    """`e` (an InputError building the model) saying which of the flags it ran with came from the recipe's
    model_source, not typed: a hand-edited seq_len on mlp read 'fix: leave out --seq-len for mlp', of a flag nobody
    typed. `e` itself when none did (typed None: no recipe, or one of another model, whose flags are not taken)."""
    from accelopt.errors import InputError

    if typed is None:
        return e
    taken = [(key, f"--{key.replace('_', '-')} {getattr(o, key)}") for key, v in typed.items()
             if v is None and getattr(o, key) is not None]
    if not taken:
        return e
    keys = " / ".join(f"model_source.{key}" for key, _ in taken)
    return InputError(f"{e.problem} ({', '.join(flag for _, flag in taken)} came from the recipe's model_source, not "
                      "typed)", f"edit or remove {keys} in {o.apply}, or type the flag to override it; {e.fix}")


def _shape_note(recipe: Any, typed: dict[str, Any] | None, bundle: Any) -> str | None:
    """Which input shape this --apply run measured, and where it came from: the recipe's recorded flags, a typed
    flag overriding them, or the model's default (as when the recipe was saved); for a recipe of another model, that
    its recorded shape was not carried over. None for a recipe recording no model_source."""
    src = recipe.source
    if src is None:
        return None
    ran = {"batch_size": bundle.batch_size, "seq_len": bundle.meta.get("seq_len")}
    parts = []
    flags = (("batch_size", "--batch-size", "batch size"), ("seq_len", "--seq-len", "seq len"))
    for key, flag, label in flags:
        recorded, now = getattr(src, key), ran[key]
        if typed is None:  # another model
            parts.append(f"{label} {now}" if now is not None else "")
        elif typed[key] is not None and typed[key] != recorded:
            was = recorded if recorded is not None else "the model's default"
            parts.append(f"{label} {now} ({flag} given; the recipe ran {was})")
        elif recorded is not None:
            parts.append(f"{label} {now} (the recipe's {flag} {recorded})")
        elif now is not None:
            parts.append(f"{label} {now} (the model's default, as when the recipe was saved)")
    shape = ", ".join(p for p in parts if p)
    if typed is None:
        kept = ", ".join(f"{flag} {getattr(src, key)}" for key, flag, _ in flags if getattr(src, key) is not None)
        tail = f"; the recipe's {kept} was for the model it was made on and is not carried over" if kept else ""
        return f"input shape: {shape or 'the model default'} (as given for this model{tail})"
    return f"input shape: {shape}"


def run(o: OptimizeOptions) -> Any:
    """Load the model (and recipe), run the optimize runner, write --save's recipe and model: the
    OptimizeResult (the library call behind `accelopt optimize`); a --save failure is raised after the run."""
    result, save_failed = _run(o)
    if save_failed is not None:
        raise save_failed
    return result


def _run(o: OptimizeOptions) -> tuple[Any, Any]:
    """(the OptimizeResult, the AcceloptError --save raised or None): the result is kept when saving fails."""
    from accelopt.errors import AcceloptError, InputError
    from accelopt.optimize.recipe import (
        FilesRead,
        check_inputs_read,
        check_save_dir,
        check_save_free,
        cut_short,
        load_recipe,
        recipe_output_tolerance,
        recipe_tolerance,
    )
    from accelopt.optimize.runner import RunOptions, run_optimize

    o = check(o)  # a copy: the recipe's mode, dtype and model below change it, not the caller's options
    recipe = load_recipe(o.apply) if o.apply else None
    # rebuilt_notes concern the recorded model: said where MODEL is left out and --apply rebuilds it
    recipe_notes = [*recipe.notes, *(recipe.rebuilt_notes if o.model is None else [])] if recipe is not None else []
    if recipe_notes:  # said before the run's minutes, and kept in its notes below
        from accelopt.report.console import make_console, plain

        for note in recipe_notes:
            make_console(stderr=True).print(plain(f"warning: {note}", "yellow"))
    other_model, typed_shape, recorded = None, None, None
    if recipe is not None:  # the recipe fixes mode and dtype
        _check_recipe_agrees(o, recipe)
        o.mode, o.dtype = recipe.mode, recipe.dtype
        recorded = recipe.source if o.model is None else None  # MODEL left out: the recipe's model is rebuilt
        other_model, typed_shape = _use_recorded_model(o, recipe)
    _check_unused(o)
    if o.save:
        check_save_dir(o.save)
        check_save_free(o.save)
    if o.html:
        from accelopt.userio import check_writable

        check_writable(o.html, "--html", "report.html")  # opens for append: the file is kept as it was
        _check_html_apart(o)
    if o.threads is not None:
        import torch

        torch.set_num_threads(o.threads)
    from accelopt.cli.profile import _catalog_spec, oom_fix, oom_what
    from accelopt.measure.memory import host_memory_capped, out_of_memory_as_error

    # not a traceback; what the model's code or an exporter (torch.onnx) prints goes to stderr: stdout keeps the
    # tables or the --json document only
    assert o.model is not None  # given, or the recipe's (_use_recorded_model)
    # the recipe's model_source (the file's sha256) of the file as the model is loaded from it, not as it is when
    # the run ends: a file edited or deleted while the run measured was recorded as the edited one, or as none
    source = _source(o) if o.save else None
    # --save: the other files the model's code reads (a CSV its factory loads) are recorded too, hashed as the
    # factory read them (those first read while measuring: as they are when the run ends); --apply refuses a changed one
    # --apply without MODEL: the files the rebuilt model's code reads are the recorded ones (check_inputs_read)
    reads = FilesRead() if o.save or recorded is not None else contextlib.nullcontext()
    read_before: dict[str, str] = {}
    with (out_of_memory_as_error(oom_what(o.model, o.batch_size, o.seq_len), o.device, oom_fix(o.model)),
          contextlib.redirect_stdout(sys.stderr), reads):
        try:
            bundle = _bundle(o)
        except InputError as e:
            raise _recorded_flags_named(e, o, typed_shape) from None
        if isinstance(reads, FilesRead) and recorded is not None:
            check_inputs_read(recorded, reads.paths(skip=[recorded.file] if recorded.file else []), o.apply or "")
        if isinstance(reads, FilesRead) and source is not None:
            read_before = reads.inputs(skip=[source.file] if source.file else [])
        first_notes = _warn_config_notes(o, bundle)  # before minutes of measuring a model the file did not describe
        opts = RunOptions(mode=o.mode, device=o.device, dtype=o.dtype, only=_names_or(o.only), skip=o.skip,
                          budget_s=o.budget_min * 60.0, quality_tolerance=o.quality_tolerance, rounds=o.rounds,
                          block_s=o.block_s, warmup=o.warmup, quality_steps=o.quality_steps,
                          combinations=o.combinations, profile_bounds=o.profile_bounds,
                          recipe=recipe.techniques if recipe else None, spec=_catalog_spec(None, o.device),
                          recipe_tolerance=recipe_tolerance(recipe) if recipe else None,
                          recipe_output_tolerance=recipe_output_tolerance(recipe) if recipe else False)
        with host_memory_capped(o.device):  # a step outgrowing the host fails at the allocation, not by OOM kill
            result, variants = run_optimize(bundle, opts)
        if isinstance(reads, FilesRead) and source is not None:
            # those hashed after the load are not hashed again (a multi-GB dataset read once more, not twice)
            source = dataclasses.replace(source, inputs={
                **read_before, **reads.inputs(skip=[*read_before, *([source.file] if source.file else [])])})
    result.notes[:0] = [*recipe_notes, *first_notes]  # first: tables, JSON, HTML
    if other_model is not None:
        result.notes.append(other_model)
    elif recipe is not None and recipe.model and recipe.model != bundle.name:
        result.notes.append(f"the recipe was made on {recipe.model!r}, applied here to {bundle.name!r}")
    shape = _shape_note(recipe, typed_shape, bundle) if recipe is not None else None
    if shape is not None:
        result.notes.append(shape)
    if recipe is not None and not recipe.techniques:
        short = cut_short(recipe)
        result.notes.append("the recipe is the baseline (the run that saved it found no technique faster within its "
                            "quality tolerance): the model was measured as it is" if short is None else
                            f"the recipe is the baseline of a run that {short}: it chose among what it had measured, "
                            "not among every technique; the model was measured as it is (run optimize without "
                            "--apply to measure the rest)")
    save_failed: AcceloptError | None = None
    base = result.get("baseline")
    if o.save and (base is None or not base.measured):
        # a Ctrl-C while the baseline was profiled or measured: nothing to recommend or save (save() asserted a
        # baseline, and the AssertionError's traceback replaced the stopped run's result)
        result.notes.append(f"--save wrote nothing to {o.save}: the run was stopped before the baseline was "
                            "measured, so there is no variant to save (rerun and let it measure the baseline)")
    elif o.save:
        from accelopt.optimize.recipe import save as save_recipe

        try:
            save_recipe(o.save, result, variants, bundle.model, source=source)
        except AcceloptError as e:  # printed after the result, which is recorded and shown first
            save_failed = e
            result.notes.append(f"--save failed: {e.problem}")
    return result, save_failed


def show(result: Any, as_json: bool) -> None:
    """Print the result: one JSON document, or the console tables."""
    if as_json:
        from accelopt.report.jsonout import emit

        emit(result)
    else:
        from accelopt.report.optimize_view import render

        render(result)


def _check_recipe_agrees(o: OptimizeOptions, recipe: Any) -> None:
    from accelopt.errors import InputError

    for flag, mine, theirs in (("--mode", o.mode, recipe.mode), ("--dtype", o.dtype, recipe.dtype)):
        if flag[2:] in o.typed and mine != theirs:
            raise InputError(f"{flag} {mine} disagrees with the recipe {o.apply!r}, which was measured with "
                             f"{flag} {theirs}", f"leave out {flag} (the recipe sets it) or use another recipe")


def _check_unused(o: OptimizeOptions) -> None:
    """Options typed where they do nothing (after a recipe set the mode) were silently ignored: refused instead."""
    from accelopt.errors import InputError

    if "quality_steps" in o.typed and o.mode != "train":
        raise InputError(f"--quality-steps applies to --mode train only (training steps before each variant's quality "
                         f"is scored), and this run is --mode {o.mode}"
                         + (" (the recipe's mode)" if o.apply else ""),
                         "leave out --quality-steps" + ("" if o.apply else ", or pass --mode train"))
    if "combinations" in o.typed and o.apply:
        raise InputError("--combinations does not apply with --apply, which measures exactly the recipe's chain",
                         "leave out --combinations with --apply")


def _check_html_apart(o: OptimizeOptions) -> None:
    """--html must not be the --apply recipe or a file --save writes (recipe.json, model-*): the page written last
    replaced the saved recipe, or the user's own."""
    from pathlib import Path

    from accelopt.errors import InputError
    from accelopt.optimize.recipe import RECIPE_FILE

    html = Path(o.html or "").resolve()
    if o.apply and html == Path(o.apply).resolve():
        raise InputError(f"--html {o.html!r} is the recipe --apply reads: the page would replace it",
                         "pass another --html path, e.g. report.html")
    saved_name = html.name == RECIPE_FILE or html.name.startswith("model-")
    if o.save and html.parent == Path(o.save).resolve() and saved_name:
        raise InputError(f"--html {o.html!r} is a file --save {o.save!r} writes ({RECIPE_FILE} and the model, "
                         "model-VARIANT.pt or .onnx): one would replace the other",
                         f"pass another --html path, e.g. {Path(o.save) / 'report.html'}")


def _names_or(x: list[str] | None) -> list[str] | None:
    return x if x else None


def _typed(ctx: typer.Context, names: tuple[str, ...]) -> frozenset[str]:
    from accelopt.cli.plan import _typed as typed_one

    return frozenset(n for n in names if typed_one(ctx, n))


def register(app: typer.Typer) -> None:
    from accelopt.cli.profile import ZOO_SIZE_HELP

    @app.command("optimize", help=HELP)
    def optimize_cmd(
        ctx: typer.Context,
        model: str | None = typer.Argument(None, help="digits, chargpt, a zoo name, path/file.py:factory, or HF "
                                                      "config; with --apply, default: the model the recipe records"),
        size: str | None = typer.Option(None, "--size", help=ZOO_SIZE_HELP),
        mode: str = typer.Option("inference", "--mode", help="inference (forward only) or train (whole step)"),
        batch_size: int | None = typer.Option(None, "--batch-size", help="samples per step (model default)"),
        seq_len: int | None = typer.Option(None, "--seq-len", help="tokens per sample (as for profile)"),
        dtype: str = typer.Option("fp32", "--dtype", help="the baseline's dtype: fp32, or bf16/fp16 autocast"),
        device: str = typer.Option("cpu", "--device", help="cpu or cuda:N"),
        threads: int | None = typer.Option(None, "--threads", help="torch intra-op CPU threads (torch's default)"),
        only: list[str] | None = typer.Option(
            None, "--only", metavar="<str>", help="comma-separated techniques to try (default: all); repeatable"),
        skip: list[str] | None = typer.Option(
            None, "--skip", metavar="<str>", help="comma-separated techniques to leave out; repeatable"),
        budget_min: float = typer.Option(10.0, "--budget-min", help="wall-clock budget of the whole run, minutes; "
                                                                    "techniques not started by then are listed"),
        quality_tolerance: float | None = typer.Option(
            None, "--quality-tolerance", help="largest quality loss accepted: accuracy in percentage points "
                                              "(default 0.5), a loss in percent of the baseline (default 1); "
                                              "given, it also bounds each output's drift from the baseline's "
                                              "(percent: max|diff| in % of the baseline output's largest |value|; "
                                              "points: top-1 disagreement of class scores; an integer/boolean "
                                              "output's elements changed in either)"),
        rounds: int = typer.Option(5, "--rounds", help="A/B interleaved timing rounds per variant (3 or more)"),
        block_s: float = typer.Option(0.1, "--block-s", help="duration of one timed block of whole steps, seconds "
                                                             "(a round times one baseline and one variant block)"),
        warmup: int = typer.Option(2, "--warmup", help="untimed steps of each variant before its timing"),
        quality_steps: int = typer.Option(8, "--quality-steps", help="--mode train: training steps each variant "
                                                                     "takes before its quality is scored (without "
                                                                     "eval batches: whose loss is checked finite)"),
        combinations: int = typer.Option(3, "--combinations", help="most pairs of compatible techniques measured "
                                                                   "(0: none)"),
        profile_bounds: bool = typer.Option(True, "--profile-bounds/--no-profile-bounds",
                                            help="profile the baseline for each technique's 'gain up to' bound"),
        save: str | None = typer.Option(None, "--save", help="write the recommended variant's model and its "
                                                             "recipe.json into this folder (not one holding an "
                                                             "earlier save, nor a file name such as x.json)"),
        apply: str | None = typer.Option(None, "--apply", help="reproduce a recipe.json written by --save (or "
                                                               "its folder) (measures only its techniques; "
                                                               "without MODEL, on the model it records, refused "
                                                               "if that file or a data file its code read changed "
                                                               "since, or if its code now reads a data file the "
                                                               "save run did not; with the recorded "
                                                               "--size/--batch-size/--seq-len unless typed, also "
                                                               "when MODEL names the recorded model; a technique "
                                                               "that does not apply to the model is skipped and "
                                                               "named, none applying is exit 2)"),
        as_json: bool = typer.Option(False, "--json", help="print one JSON document instead of tables"),
        html: str | None = typer.Option(None, "--html", help="also write a self-contained HTML report here"
                                                             + HTML_RULE),
    ) -> None:
        from accelopt.hardware.detect import device_name

        o = OptimizeOptions(model=model, size=size, mode=mode, batch_size=batch_size, seq_len=seq_len, dtype=dtype,
                            device=device_name(device), threads=threads, only=_names(only, "--only"),
                            skip=_names(skip, "--skip") or [], budget_min=budget_min,
                            quality_tolerance=quality_tolerance, rounds=rounds, block_s=block_s, warmup=warmup,
                            quality_steps=quality_steps, combinations=combinations, profile_bounds=profile_bounds,
                            save=save, apply=apply,
                            as_json=as_json, html=html,
                            typed=_typed(ctx, ("mode", "dtype", "quality_steps", "combinations")))
        optimize_command(o)


def optimize_command(o: OptimizeOptions) -> None:
    """Run, record, render; exit 130 after Ctrl-C (what was measured is kept and shown)."""
    result, save_failed = _run(o)
    from accelopt.interrupts import interrupts_held
    from accelopt.report.runs import finish_run

    with interrupts_held("what was measured") if result.interrupted else contextlib.nullcontext():
        finish_run("optimize", result, o.html)
        show(result, o.as_json)
    if save_failed is not None:
        raise save_failed
    if result.interrupted:
        raise typer.Exit(130)
