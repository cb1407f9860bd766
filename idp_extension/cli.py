"""The ``flask idp`` command group. Each domain adds its commands in its own module."""

from __future__ import annotations

import json

import click

idp_group = click.Group("idp", help="Identity provider administration.")


def summary(data: dict, line: str, as_json: bool) -> None:
    """Print the one-line summary, or the data as JSON with --json."""
    click.echo(json.dumps(data, ensure_ascii=False, default=str) if as_json else line)


def _load_commands() -> None:
    import importlib

    for module in (
        "enrollment.commands",
        "oidc.commands",
        "mail.commands",
        "admin.commands",
        "demo.commands",
        "maintenance_commands",
        "seeding_commands",
    ):
        try:
            importlib.import_module(f"idp_extension.{module}")
        except ModuleNotFoundError as error:
            if error.name != f"idp_extension.{module}":
                raise


_load_commands()
