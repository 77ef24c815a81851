"""`accelopt validate`: predicted vs published training runs, with the error."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("validate", help="Reproduce published training runs (bundled CSV, cited) and print the error; "
                 "each run uses the calibration of its software stack (the CSV's stack column).")
    def validate(
        runs: str = typer.Option(None, "--runs", help="CSV of runs in the bundled format (default: bundled)"),
        calibration: str = typer.Option(None, "--calibration", help="calibration TOML overriding the bundled one"),
        as_json: bool = typer.Option(False, "--json", help="JSON only on stdout"),
        html: str = typer.Option(None, "--html", help="also write a self-contained HTML report (tables, SVG plots)"),
        inference: bool = typer.Option(False, "--inference", help="reproduce published inference latencies "
                                       "instead (predict/data/published_inference_runs.csv; --runs picks another "
                                       "CSV of that format)"),
        serving: bool = typer.Option(False, "--serving", help="reproduce published LLM serving figures instead "
                                     "(predict/data/published_serving_runs.csv, through plan serve's model): per-row "
                                     "error, held-out median and worst |error| per source, family and precision"),
    ) -> None:
        if serving:
            from accelopt.cli.plan_serve import validate_serving_cmd

            validate_serving_cmd(runs, as_json, html)
            return
        if inference:
            from accelopt.cli.plan_infer import validate_inference_cmd

            validate_inference_cmd(runs, as_json, html)
            return
        from accelopt.predict.validation import ValidateResult, median_abs_error, validate_all
        from accelopt.report.jsonout import emit
        from accelopt.report.runs import finish_run

        results = validate_all(runs, calibration)
        med_test = median_abs_error(results, held_out_only=True)
        med_all = median_abs_error(results, held_out_only=False)
        by_source = {src: median_abs_error([r for r in results if r.source.split()[0] == src], held_out_only=True)
                     for src in sorted({r.source.split()[0] for r in results})}
        data = ValidateResult(runs=results, median_abs_error_held_out=med_test, median_abs_error_all=med_all,
                              median_abs_error_held_out_by_source=by_source)
        finish_run("validate", data, html)
        if as_json:
            emit(data)
            return
        from rich.table import Table

        from accelopt.units import fmt_pct, fmt_seconds

        tb = Table(title="published vs predicted step time (prediction = estimate)")
        for col in ("run", "source", "stack", "hardware", "devices", "published", "predicted", "error", "util.",
                    "pub. util.", "pred. util.", "role"):
            tb.add_column(col)
        for r in results:
            tb.add_row(r.id, r.source, r.stack, r.hardware, str(r.devices), fmt_seconds(r.published_step_s),
                       fmt_seconds(r.predicted_step_s), f"{100 * r.error:+.1f}%", r.utilization,
                       fmt_pct(r.published_mfu), fmt_pct(r.predicted_mfu), "fit" if r.fitted else "test")
        from accelopt.cli.plan import console

        con = console()
        con.print(tb)
        con.print(f"median |error| on runs the calibration was not fitted on: {100 * med_test:.1f}% "
                  f"({sum(not r.fitted for r in results)} runs); all runs: {100 * med_all:.1f}%")
        con.print("held-out median |error| by source: "
                  + ", ".join(f"{src} {100 * v:.1f}%" for src, v in by_source.items() if v == v))
