"""Project commands (Typer): `uv run manage --help`."""

from pathlib import Path

import typer

from manage.skeleton import ModuleError, create_module

BACKEND = Path(__file__).resolve().parents[1]
app = typer.Typer(help=__doc__, no_args_is_help=True)


@app.command("new-module")
def new_module(
    name: str,
    crud: bool = typer.Option(True, help="With a table, its migration and CRUD routes."),
) -> None:
    """Create src/NAME/ and tests/NAME/ from the module skeleton and register it."""
    try:
        created = create_module(BACKEND, name, crud=crud)
    except ModuleError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    for path in created:
        typer.echo(f"  {path}")
