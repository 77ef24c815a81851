"""`accelopt schema`: the JSON Schema of a command's `--json` document (one per result kind, versioned)."""

from __future__ import annotations

import typer

HELP = ("Print the JSON Schema of a command's --json document; `--list` names the kinds and versions. Every "
        "number carries its unit; docs/schemas.md is generated from these.")


def register(app: typer.Typer) -> None:
    # extra words kept (ctx.args): a command's words ('schema plan serve') are answered with the kind they mean, not
    # with click's 'Got unexpected extra argument(s) (serve)'
    @app.command("schema", help=HELP, context_settings={"allow_extra_args": True})
    def schema_cmd(
        ctx: typer.Context,
        kind: str | None = typer.Argument(None, help="probe, profile, profile-partial, profile-distributed, "
                                          "profile-distributed-partial, optimize, plan, plan-workload, "
                                          "plan-explain, plan-serve, plan-infer, validate, validate-inference, "
                                          "validate-serving, simulate-run, "
                                          "simulate-sweep, simulate-published, catalog-compare, or a listing's "
                                          "document (`--list` names every kind); or the name a document's "
                                          "`schema` field carries, e.g. accelopt.plan"),
        list_kinds: bool = typer.Option(False, "--list", help="list the result kinds with their schema versions"),
        as_json: bool = typer.Option(False, "--json", help="with --list: the list as JSON (a kind's schema is JSON "
                                     "either way)"),
    ) -> None:
        _schema(_one_kind([kind, *ctx.args] if kind is not None else None), list_kinds, as_json)


def _one_kind(words: list[str] | None) -> str | None:
    """The kind typed (or the schema name a document carries, 'accelopt.plan'); the words of a command ('plan serve',
    'history list') are refused naming its kind."""
    from accelopt.errors import InputError
    from accelopt.report import schema

    if not words:
        return None
    if len(words) == 1:  # the name a document carries in its `schema` field ('accelopt.plan') means its kind
        kind = words[0].strip().lower().removeprefix("accelopt.")  # case ignored, as for a command's words below
        return kind if kind in (*schema.KINDS, *schema.DOCUMENT_KINDS) else words[0]
    joined = "-".join(w.strip().lower() for w in words)
    if joined in (*schema.KINDS, *schema.DOCUMENT_KINDS):
        raise InputError(f"{' '.join(words)!r} names a command; the kind of its --json document is one word, "
                         f"{joined!r}", f"run `accelopt schema {joined}` (`accelopt schema --list` names every kind)")
    return " ".join(words)  # one kind of several words: the closest kinds are suggested (schema.result_class)


def _schema(kind: str | None, list_kinds: bool, as_json: bool = False) -> None:
    from accelopt.errors import InputError
    from accelopt.report import schema
    from accelopt.report.jsonout import emit

    if list_kinds and kind is not None:  # one of the two would be dropped without a word
        raise InputError(f"--list and a kind ({kind!r}) were both given",
                         f"run `accelopt schema --list` for the kinds, or `accelopt schema {kind}` for one")
    if list_kinds and as_json:
        from accelopt.report.schema_documents import SchemaKindRow, SchemaListDocument

        rows = [SchemaKindRow(kind=k, schema=schema.schema_name(k), schema_version=schema.result_class(k)[1])
                for k in (*schema.KINDS, *schema.DOCUMENT_KINDS)]
        emit(SchemaListDocument(count=len(rows), kinds=rows))
        return
    if list_kinds:  # result kinds, then the documents that are not results (history, env, catalog list/show)
        for k in (*schema.KINDS, *schema.DOCUMENT_KINDS):
            print(f"{k}\t{schema.schema_name(k)} version {schema.result_class(k)[1]}")
        return
    if kind is None:
        kinds = ", ".join((*schema.KINDS, *schema.DOCUMENT_KINDS))
        raise InputError("name a result kind", f"e.g. `accelopt schema plan`; kinds: {kinds}")
    emit(schema.json_schema(kind))
