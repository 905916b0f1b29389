"""Options shared by several askdoc commands (kept apart from cli.py, which holds the commands)."""

from __future__ import annotations

import click

import askdoc


def filter_options(command):
    """--in, --site, --since, --until: the same filter as in:, site:, after:, until: in a question."""
    options = [
        click.option(
            "--in", "within", multiple=True, metavar="ID|FOLDER", help="Only this article or folder (repeatable)."
        ),
        click.option("--site", "sites", multiple=True, help="Only this source or web site (repeatable)."),
        click.option(
            "--since", metavar="DATE", help="Only articles dated on or after DATE (2024, 2024-09, 2024-09-01)."
        ),
        click.option("--until", metavar="DATE", help="Only articles dated on or before DATE."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


shards_option = click.option(
    "--shards",
    type=click.IntRange(1),
    default=None,
    help="Split the index in N shards by file (same answers; a refresh rewrites only the shards whose files "
    "changed). Remembered: later commands use what was built; another N rebuilds; 1 makes it one index again.",
)


def filter_of(within, sites, since, until) -> askdoc.Filter | None:
    where = askdoc.Filter(within=tuple(within), sites=tuple(sites), since=since, until=until)
    return where or None
