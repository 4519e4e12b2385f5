"""`evidence search QUERY` and `evidence search reindex`.

``search`` is a click group that also takes a query: ``evidence search
reindex`` runs the subcommand, anything else is searched for
(``evidence search Taraikovsky --type person --json``). A query that is the
single word "reindex" can still be searched with ``evidence search query
reindex``.
"""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import with_appcontext

from evidence.commandline import cli_session
from evidence.search.models import SEARCHED
from evidence.vocabularies import AUDIENCES


class _QueryOrCommand(click.Group):
    """A group whose first argument is a subcommand if it names one, else the query."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["query", *args]
        return super().parse_args(ctx, args)


@click.group("search", cls=_QueryOrCommand)
def search_group() -> None:
    """Search every record for QUERY, in any spelling (see `evidence search query --help`)."""


@search_group.command("query")
@click.argument("words", nargs=-1, required=True)
@click.option(
    "--type", "types", multiple=True, type=click.Choice(SEARCHED), help="Only these record types."
)
@click.option(
    "--audience",
    type=click.Choice(AUDIENCES),
    default="internal",
    show_default=True,
    help="Apply witness protection for this audience.",
)
@click.option("--limit", default=10, show_default=True, help="Results per record type.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@with_appcontext
def search_query_command(
    words: tuple[str, ...], types: tuple[str, ...], audience: str, limit: int, as_json: bool
) -> None:
    """Search for WORDS (names match in any script or transliteration)."""
    from evidence.protection import Protection
    from evidence.search.services import search

    query = " ".join(words)
    with cli_session() as session:
        protection = Protection.load(session, audience)
        results = search(session, query, protection=protection, types=types or None, per_page=limit)
    if as_json:
        click.echo(json.dumps(_as_data(results), ensure_ascii=False, indent=2))
        return
    if not results.groups:
        click.echo(f"Nothing found for {query!r}.")
    for group in results.groups:
        bound = "more than " if group.capped else "at least " if group.at_least else ""
        click.echo(f"{group.entity} ({bound}{group.total})")
        for hit in group.hits:
            click.echo(
                f"  {hit.key or '-'}\t{hit.label}" + (f"\t{hit.detail}" if hit.detail else "")
            )
            if hit.snippet:
                click.echo(f"    {_plain(hit.snippet)}")


def _plain(snippet: Any) -> str:
    return snippet.striptags() if snippet else ""


def _as_data(results: Any) -> dict[str, Any]:
    return {
        "query": results.query,
        "total": results.total,
        "capped": results.capped,
        "at_least": results.at_least,
        "groups": [
            {
                "type": group.entity,
                "total": group.total,
                "capped": group.capped,
                "at_least": group.at_least,
                "hits": [
                    {
                        "key": hit.key,
                        "label": hit.label,
                        "detail": hit.detail,
                        "snippet": _plain(hit.snippet),
                    }
                    for hit in group.hits
                ],
            }
            for group in results.groups
        ],
    }


@search_group.command("reindex")
@with_appcontext
def search_reindex_command() -> None:
    """Rebuild the search index from every record."""
    from evidence.search.indexing import reindex

    with cli_session(write=True) as session:
        counts = reindex(session)
    click.echo(", ".join(f"{count} {entity}" for entity, count in counts.items()) + " indexed.")
