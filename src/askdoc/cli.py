"""The askdoc command: parse arguments, call the library, hand hits to render; errors become exit codes."""

from __future__ import annotations

import functools
import gc
import io
import logging
import os
import sys
import time
from pathlib import Path

import click

import askdoc

from . import answering, render, targets, timing
from .cli_cluster import cluster_option, index_on_cluster, serve, served
from .cli_options import filter_of, filter_options, shards_option
from .progress import progress_bar

EXIT_NO_MATCH = 1
EXIT_ERROR = 2
EXIT_SOME_UNANSWERED = 3  # askdoc query -: some lines were answered, others not


class _StderrHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        level = "warning" if record.levelno >= logging.WARNING else "info"
        click.echo(f"askdoc: {level}: {render.inert(record.getMessage())}", err=True)


def _setup_logging() -> None:
    logger = logging.getLogger("askdoc")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        logger.addHandler(_StderrHandler())
    logger.setLevel(logging.WARNING)


def _fail(message: str) -> None:
    raise click.exceptions.Exit(_echo_error(message))


def _echo_error(message: str) -> int:
    click.echo(f"askdoc: error: {render.inert(message)}", err=True)
    return EXIT_ERROR


def handle_errors(command):
    """Library errors become one line on stderr and exit status 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except askdoc.AskdocError as err:
            _fail(str(err))
        except BrokenPipeError:  # `askdoc query ... | head`: the reader left, that's fine
            sys.stderr.close()
            raise click.exceptions.Exit(0) from None

    return wrapper


corpus_option = click.option(
    "--corpus",
    "-c",
    type=click.Path(path_type=Path),
    envvar="ASKDOC_CORPUS",
    help="Folder of articles (default: $ASKDOC_CORPUS, ./corpus, or the bundled sample).",
)
engine_option = click.option(
    "--engine",
    type=click.Choice(askdoc.ENGINES),
    default="askdoc",
    show_default=True,
    help="Scoring engine: askdoc's posting lists, or rank-bm25's BM25Okapi (same hits, slower).",
)


def _open(corpus: Path | None, engine: str = "askdoc", rebuild: bool = False, walk=None, **writer) -> askdoc.Index:
    if corpus is None and askdoc.default_corpus() == askdoc.sample_corpus():
        click.echo(f"askdoc: {SAMPLE_NOTICE}", err=True)
    progress = progress_bar()
    try:
        return askdoc.open(corpus, engine=engine, rebuild=rebuild, progress=progress, walk=walk, **writer)
    finally:
        if progress is not None:
            progress.stop()  # also when interrupted (Ctrl+C): the prompt comes back on a line of its own


SAMPLE_NOTICE = (
    "no ./corpus here and no --corpus or $ASKDOC_CORPUS: answering from the bundled sample (one article); "
    "askdoc add PATH copies your articles into ./corpus, or give --corpus DIR"
)


def _walk_ahead(corpus: Path | None):
    """Start checking the corpus files in a child process while numpy and the index load (see PendingScan)."""
    from .corpus import default_corpus, scan_in_background

    root = corpus if corpus is not None else default_corpus()
    return scan_in_background(root) if root.is_dir() else None


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(askdoc.__version__, prog_name="askdoc")
@corpus_option
@cluster_option
@click.pass_context
def cli(ctx: click.Context, corpus: Path | None, cluster: str | None) -> None:
    """Ask questions of a folder of articles; get verbatim quotes with citations.

    With no command, opens the chat on the corpus (askdoc --corpus DIR).
    """
    _setup_logging()
    if corpus is not None:  # askdoc --corpus DIR query ...: the corpus of every command, as $ASKDOC_CORPUS is
        os.environ["ASKDOC_CORPUS"] = os.fspath(corpus)
    if cluster is not None:  # askdoc --cluster auto query ...: as $ASKDOC_CLUSTER
        os.environ["ASKDOC_CLUSTER"] = cluster
    if ctx.invoked_subcommand is None:
        ctx.invoke(chat, corpus=corpus, cluster=cluster)


@cli.command()
@corpus_option
@engine_option
@cluster_option
@handle_errors
def chat(corpus: Path | None, engine: str = "askdoc", cluster: str | None = None) -> None:
    """Open the chat: ask questions, read the cited articles."""
    from .tui.app import run

    run(corpus, engine=engine, **served(cluster))


@cli.command()
@corpus_option
@engine_option
@click.option("-k", "k", type=click.IntRange(1, 1000), default=5, show_default=True, help="Number of hits.")
@click.option("--max-per-article", type=click.IntRange(1), default=None, help="At most this many hits per article.")
@click.option("--json", "json_", is_flag=True, help="Print JSON (one object per line when reading stdin).")
@click.option("--full", is_flag=True, help="Print each hit's whole paragraph, its quote in bold, not the quote alone.")
@filter_options
@click.option("--profile", is_flag=True, help="Print how long each stage took on stderr (or set ASKDOC_PROFILE=1).")
@shards_option
@cluster_option
@click.argument("words", metavar="QUESTION", nargs=-1, required=True)
@handle_errors
def query(
    corpus, engine, k, max_per_article, json_, full, within, sites, since, until, profile, shards, cluster, words
) -> None:
    """Answer QUESTION with quoted passages; '-' reads one question a line from stdin.

    The question may be one argument or several words (askdoc query what did Volodin warn).
    It may carry filters: site:bbc.co.uk after:2024-09-01 before:2024-10-01 in:FOLDER.
    Exit status: 0 answered, 1 nothing matches (like grep), 2 usage or corpus error;
    with '-': 3 when some lines were answered and others not.
    """
    if "-" in words and len(words) > 1:
        _fail("'-' reads the questions from stdin, one a line: give it alone, or quote a question holding ' - '")
    question = " ".join(words)
    if not question.strip():
        _fail("the question is empty: ask something, or give - to read questions from stdin")
    walk = _walk_ahead(corpus) if cluster is None else None  # (a served index answers without a walk)
    where = filter_of(within, sites, since, until)
    if profile:
        timing.enable()
    timing.since_start("after askdoc import")
    index = _open(corpus, engine, walk=walk, **({"shards": shards} if shards else {}), **served(cluster))
    if question != "-":
        answered = answering.answer(
            index, question, None, answering.Answer(k, max_per_article, where, json_, full, _terminal())
        )
        timing.since_start("total since import")
        if not answered:
            raise click.exceptions.Exit(EXIT_NO_MATCH)
        return
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")  # undecodable bytes become U+FFFD, not a traceback
    how = answering.Answer(k, max_per_article, where, json_, full, _terminal())
    outcomes = [
        answering.answer(index, text, number, how) for number, line in enumerate(sys.stdin, 1) if (text := line.strip())
    ]
    timing.since_start("total since import")
    if None in outcomes:
        raise click.exceptions.Exit(EXIT_ERROR)
    if not any(outcomes):
        raise click.exceptions.Exit(EXIT_NO_MATCH)
    if not all(outcomes):
        raise click.exceptions.Exit(EXIT_SOME_UNANSWERED)


@cli.command()
@corpus_option
@click.option("--rebuild", is_flag=True, help="Build from scratch instead of refreshing.")
@shards_option
@cluster_option
@handle_errors
def index(corpus: Path | None, rebuild: bool, shards: int | None, cluster: str | None) -> None:
    """Build or refresh the index of the corpus (with --cluster: its shards as Ray tasks)."""
    if cluster is not None:
        return index_on_cluster(corpus, shards, cluster, rebuild)
    started = time.perf_counter()
    writer = {"shards": shards} if shards else {"wait": True, "verify": True}  # it waits, and checks every byte
    built = _open(corpus, rebuild=rebuild, **writer)
    if not built.saved:
        _fail(f"the index was built but could not be saved in {built.location} (see the warning above)")
    click.echo(
        f"{built.n_articles} articles, {built.n_passages} passages, "
        f"ready in {time.perf_counter() - started:.2f} s (index at {built.location}"
        + (f", in {len(built.shards)} shards)" if hasattr(built, "shards") else ")"),
        err=True,
    )


@cli.command()
@corpus_option
@click.argument("target", metavar="ARTICLE_ID[:PARAGRAPH]")
@handle_errors
def show(corpus: Path | None, target: str) -> None:
    """Print an article, or one of its paragraphs as cited (¶N)."""
    built = _open(corpus)
    article_id, paragraph = targets.target_of(built, target)
    try:
        article = built.article(article_id)
    except askdoc.ArticleNotFound as err:
        raise askdoc.ArticleNotFound(f"{err}{targets.did_you_mean(built, article_id)}") from None
    from rich.console import Console

    passages = []
    if paragraph:
        passages = [p for p in built.passages(article_id) if p.paragraph == int(paragraph)]
        if not passages:
            count = max((p.paragraph for p in built.passages(article_id)), default=0)
            raise askdoc.ArticleNotFound(f"article '{article_id}' has no paragraph {paragraph} (it has {count})")
    console = Console(highlight=False)
    header, body = render.article_view(article, passages, paragraph or "")
    if not console.is_terminal:  # piped: the text as it is, its lines not wrapped at 80 columns
        click.echo(f"{header.plain}\n\n{body.plain}")
        return
    console.print(header)
    console.print()
    console.print(body)


@cli.command()
@corpus_option
@click.option(
    "--replace", is_flag=True, help="Replace a different file of the same name instead of adding it as NAME-2."
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@handle_errors
def add(corpus: Path | None, replace: bool, paths: tuple[Path, ...]) -> None:
    """Copy files or folders of articles into the corpus and index them.

    Without --corpus or $ASKDOC_CORPUS, the corpus is ./corpus (created when missing). Content
    already there is not copied again; a file added before and changed since updates its copy.
    """
    if corpus is None:
        corpus = askdoc.default_corpus()
        if corpus == askdoc.sample_corpus():
            corpus = Path("corpus")
    created = not corpus.exists()
    added = askdoc.add_to_corpus(corpus, paths, replace=replace)
    for name, why in added.left_out:
        click.echo(f"askdoc: warning: left out {render.printed_id(name)}: {why}", err=True)
    if created and corpus.exists():
        click.echo(f"askdoc: created the corpus folder {render.inert(str(corpus.absolute()))}", err=True)
    if not corpus.exists():
        _fail(f"nothing to add: {render.nothing_added(added)}")
    index = _open(corpus, wait=True)  # a writer: what it added is indexed, even after another writer
    new = set(added.copied) | set(added.updated)
    articles = sum(1 for row in index.catalog() if row["file"] in new)
    skipped = sorted(rel for rel in index.skipped() if rel in new)
    report = f"added {len(added.copied)} file(s)"
    if added.updated:
        report += f", updated {len(added.updated)} ({', '.join(map(render.printed_id, added.updated[:3]))}"
        report += ", …)" if len(added.updated) > 3 else ")"
    report += f": {articles} article(s)"
    if added.unchanged:
        report += f"; {len(added.unchanged)} already there ({', '.join(map(render.printed_id, added.unchanged[:3]))}"
        report += ", …)" if len(added.unchanged) > 3 else ")"
    if added.ignored:
        report += f"; ignored {len(added.ignored)} file(s) that are not articles"
    if added.left_out:
        report += f"; left out {len(added.left_out)} (see the warnings)"
    if skipped:
        report += f"; {len(skipped)} gave no article (see the warnings)"
    where = render.inert(str(corpus.absolute()))
    click.echo(f"{report}. {where} now has {index.n_articles} articles, {index.n_passages} passages.", err=True)


@cli.command()
@corpus_option
@filter_options
@click.option("--json", "json_", is_flag=True, help="Print one JSON object per article, one a line.")
@click.argument("filters", nargs=-1, metavar="[WORDS] [in:FOLDER site:SITE after:DATE ...]")
@handle_errors
def articles(corpus: Path | None, within, sites, since, until, json_: bool, filters: tuple[str, ...]) -> None:
    """List the articles: id, date, title, source and number of passages.

    WORDS keep the articles whose title or id holds every one of them (askdoc articles Ferguson);
    filter words as in a question (in:sport after:2005-01) work as well as the options.
    """
    from .filters import filter_words, split_question

    rest, written = split_question(filter_words(filters))
    where = filter_of(within, sites, since, until)
    scope = (written & where if where else written) or None
    index = _open(corpus)
    rows = index.catalog(scope)
    if words := rest.casefold().split():
        rows = [row for row in rows if all(w in f"{row['title']} {row['id']}".casefold() for w in words)]
        if not rows:
            within_scope = f" within {render.inert(scope.describe())}" if scope else ""
            click.echo(
                f"askdoc: no article's title or id holds: {render.inert(' '.join(words))}{within_scope}", err=True
            )
            raise click.exceptions.Exit(EXIT_NO_MATCH)
    if json_:
        for row in rows:
            click.echo(render.json_line(row))
    else:
        _print_articles(rows)
        for rel, reason in sorted(index.skipped().items()):
            click.echo(f"askdoc: skipped {render.printed_id(rel)}: {render.inert(reason)}", err=True)
        if rows or not scope:
            click.echo(f"{len(rows)} of {index.n_articles} articles", err=True)
    if scope and not rows:
        click.echo(f"askdoc: {render.no_article_within(scope.describe(), answering.folders(index, True))}", err=True)
        raise click.exceptions.Exit(EXIT_NO_MATCH)


cli.add_command(serve)


def _terminal():
    """A Rich console when stdout is a terminal (or Rich is told to treat it as one), else None.

    Rich is imported only then: printing to a pipe does not pay for it.
    """
    forced = any(os.environ.get(name) for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"))
    if not (forced or sys.stdout.isatty()):
        return None
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False)
    return console if console.is_terminal else None


def _print_articles(rows: list[dict]) -> None:
    from rich.console import Console

    console = Console(highlight=False)
    if console.is_terminal:
        console.print(render.articles_table(rows))
        return
    for line in render.articles_plain(rows):
        click.echo(line)


def main() -> None:
    # askdoc does no linear algebra, and OpenBLAS (in numpy's wheels) otherwise starts a thread per core
    # when numpy is imported, which spins on the other core: ~50 ms of CPU in every one-shot query,
    # taken from the walkers (and from the build's worker processes, which inherit the setting).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        status = cli.main(prog_name="askdoc", standalone_mode=False)
    except click.UsageError as err:  # one line, as every other error, with where to read more
        command = err.ctx.command_path if err.ctx else "askdoc"
        message = err.format_message().rstrip(".")
        if isinstance(err, click.NoSuchOption):  # "-foo" is reported as click read it, "-f": name the word typed
            typed = next((a for a in sys.argv[1:] if a.startswith(err.option_name) and "=" not in a), None)
            if typed and typed != err.option_name and not typed.startswith("--"):
                message = message.replace(f"'{err.option_name}'", f"'{typed}'")
                err.option_name = typed  # type: ignore[misc]  # (click's Final: the message names what was typed)
        if isinstance(err, click.NoSuchOption) and command.endswith(" query"):
            message += f"; a question word starting with '-' goes after --, as in askdoc query -- {err.option_name} ..."
        click.echo(f"askdoc: error: {render.inert(message)} (see {command} --help)", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as err:
        click.echo(f"askdoc: error: {render.inert(err.format_message())}", err=True)
        sys.exit(EXIT_ERROR)
    except (KeyboardInterrupt, click.Abort):
        sys.exit(130)
    else:
        sys.exit(status if isinstance(status, int) else 0)
    finally:
        # the process is ending: Python's last garbage collection need not walk every object that numpy
        # and the index made (~15 ms of a one-shot query); they are freed all the same
        gc.freeze()
