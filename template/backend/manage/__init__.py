"""Project commands: `uv run manage --help`. Kept in sync with the template by `copier update`."""
