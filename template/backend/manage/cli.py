"""`manage`: the project's management commands (run `manage --help`)."""

import json
from pathlib import Path
from typing import Annotated

import typer

# The backend directory: paths printed and checked are relative to it.
BACKEND = Path(__file__).resolve().parents[1]

app = typer.Typer(
    help="Management commands of this backend: module skeletons and guideline checks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def new_module(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Module name: a Python identifier, like billing.")
    ],
    crud: Annotated[
        bool,
        typer.Option(
            "--crud/--no-crud",
            help="With a table, its migration and CRUD routes (--no-crud: an empty module).",
        ),
    ] = True,
    private: Annotated[
        bool,
        typer.Option(
            "--private",
            help="Reads need a logged-in user too, who lists and reads only their own rows.",
        ),
    ] = False,
) -> None:
    """Create src/NAME/ and tests/NAME/ from the module skeleton and register it.

    With users (src/auth/), each row has an owner: creating needs a logged-in user,
    changing and deleting need the owner.
    """
    from manage.skeleton import ModuleError, create_module

    try:
        created = create_module(BACKEND, name, crud=crud, private=private)
    except ModuleError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"module {name}: files written")
    for path in created:
        typer.echo(f"  {path.as_posix()}")
    if any(path.parts[:1] == ("alembic",) for path in created):
        typer.echo("next: uv run alembic upgrade head")


@app.command()
def routes() -> None:
    """List every route with its status code, response model and documentation state.

    Exits with 1 when a route breaks a documentation rule.
    """
    from manage.routes import inspection_app, route_rows

    rows = route_rows(inspection_app())
    table = [("METHOD", "PATH", "STATUS", "RESPONSE MODEL", "DOCUMENTED")]
    table += [(r.method, r.path, r.status, r.response_model, r.documented) for r in rows]
    widths = [max(len(row[column]) for row in table) for column in range(len(table[0]) - 1)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        typer.echo("  ".join([*cells, row[-1]]).rstrip())
    if any(row.documented != "yes" for row in rows):
        raise typer.Exit(1)


@app.command()
def openapi(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of standard output."),
    ] = None,
) -> None:
    """Write the OpenAPI schema as JSON, even where the environment hides the docs.

    Built from the code with testing settings, so it needs no secret, database or .env
    (a CI job generating clients has none); environment variables such as APP_VERSION
    still apply.
    """
    from manage.routes import inspection_app

    text = json.dumps(inspection_app().openapi(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        typer.echo(f"error: cannot write {output}: {error.strerror}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {output}", err=True)


@app.command()
def check(
    list_rules: Annotated[
        bool, typer.Option("--list", help="List the rules with what each asks for, and exit.")
    ] = False,
) -> None:
    """Check the code against the guidelines; exits with 1 on findings.

    Blocking calls and CPU-heavy work in async code, route documentation, module layout,
    cross-domain imports and database naming. One line per finding: path:line: rule:
    message. A comment `# noqa: <code>` (see --list) silences that rule on its line.
    """
    from manage.checks import CODES, RULES, ToolError, static_findings, unsilenced

    if list_rules:
        width = max(map(len, RULES))
        for rule, (code, meaning) in RULES.items():
            typer.echo(f"{code:<10}  {rule.ljust(width)}  {meaning}")
        return

    try:
        findings = static_findings(BACKEND)
    except ToolError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    try:
        from manage.routes import api_routes, inspection_app, route_findings

        app_ = inspection_app()
    except Exception as error:  # the route rules need the app: say why it does not import
        typer.echo(f"error: the app does not import: {type(error).__name__}: {error}", err=True)
        raise typer.Exit(2) from None
    findings, silenced = unsilenced(
        sorted({*findings, *route_findings(app_, BACKEND)}), BACKEND, CODES
    )
    for finding in findings:
        typer.echo(str(finding))
    note = f" ({silenced} silenced by # noqa)" if silenced else ""
    if findings:
        typer.echo(f"{len(findings)} finding(s){note}", err=True)
        raise typer.Exit(1)
    typer.echo(f"OK: src/ and its {len(api_routes(app_))} routes follow the guidelines{note}")


if __name__ == "__main__":
    app()
