"""Security: article content cannot take over the terminal, index files are data only, no writes to the
corpus, no network."""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import askdoc
from askdoc import store
from askdoc.cli import cli
from askdoc.store import checks
from conftest import write_corpus

SRC = Path(askdoc.__file__).parent

EVIL_TEXT = (
    "The [bold red]minister[/] said [link=https://evil.example]click[/link] "
    "\x1b[31mred\x1b[0m \x1b]52;c;ZXZpbA==\x07 \x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ "
    "\x9b31m \x1bP+q\x1b\\ \u202eevil\u202c \u2066iso\u2069 \x08\x08 \r overwritten.\n"
)
EVIL_NAME = "evil\x1b]52;c;aGk=\x07\u202e"


@pytest.fixture
def evil_corpus(tmp_path):
    front = '---\ntitle: "T \\e[31m [b]x[/b]"\nsource: "S \\e]8;;http://x\\a"\nauthor: "A \\u202e"\n---\n\n'
    return write_corpus(
        tmp_path / "corpus",
        {
            f"{EVIL_NAME}.txt": f"Title \x1b[5m[blink]blink[/blink]\u202e\n\n{EVIL_TEXT}",
            "front.md": front + EVIL_TEXT,
        },
    )


STRAY = re.compile("[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
OWN_SGR = re.compile(r"\x1b\[[0-9;]*m")  # the colours Rich itself writes


def assert_inert(output: str) -> None:
    """Only Rich's own colour codes may reach the terminal: no OSC, no other escapes or controls, no bidi."""
    without_own = OWN_SGR.sub("", output)
    assert "\x1b" not in without_own, repr(without_own)
    assert not STRAY.search(without_own), repr(without_own)


@pytest.mark.parametrize("terminal", [False, True], ids=["pipe", "terminal"])
def test_query_and_show_print_article_content_inert(evil_corpus, monkeypatch, terminal):
    if terminal:
        monkeypatch.setenv("FORCE_COLOR", "1")
        monkeypatch.setenv("TTY_COMPATIBLE", "1")
    runner = CliRunner()
    result = runner.invoke(cli, ["query", "--corpus", str(evil_corpus), "minister", "-k", "5"])
    assert result.exit_code == 0
    assert_inert(result.output)
    visible = OWN_SGR.sub("", result.output)
    assert "[bold red]minister[/]" in visible and "\\x1b]52;c;ZXZpbA==\\x07" in visible  # shown, not obeyed
    assert "<U+202E>" in visible
    for article_id in (EVIL_NAME, "front"):
        shown = runner.invoke(cli, ["show", "--corpus", str(evil_corpus), article_id])
        assert shown.exit_code == 0, shown.output
        assert_inert(shown.output)
    header = runner.invoke(cli, ["show", "--corpus", str(evil_corpus), "front"]).output
    assert "[b]x[/b]" in OWN_SGR.sub("", header)  # Rich markup in a front matter title stays literal


def test_json_output_escapes_controls_and_keeps_the_exact_text(evil_corpus):
    result = CliRunner().invoke(cli, ["query", "--corpus", str(evil_corpus), "--json", "minister", "-k", "5"])
    assert result.exit_code == 0
    assert_inert(result.output)
    hits = json.loads(result.output)["hits"]
    index = askdoc.open(evil_corpus)
    assert (
        hits
        and all(  # the data itself is exact: what the article says there, controls and all
            hit["passage"]["text"]
            == index.article(hit["article"]["id"]).text[hit["passage"]["start"] : hit["passage"]["end"]]
            for hit in hits
        )
    )
    assert any("\x1b]52;c;ZXZpbA==\x07" in hit["passage"]["text"] for hit in hits)


def test_warnings_name_files_inertly(tmp_path):
    root = write_corpus(tmp_path / "corpus", {"ok.txt": "Fine\n\nThe minister.", f"{EVIL_NAME}.txt": b""})
    result = CliRunner().invoke(cli, ["index", "--corpus", str(root)])
    assert result.exit_code == 0 and "evil\\x1b]52;c;aGk=\\x07<U+202E>.txt: empty" in result.output
    assert_inert(result.output)


# -- index files are data only --------------------------------------------------------------


def calls_and_imports(path: Path):
    tree = ast.parse(path.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            yield node.func.id
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_the_source_has_no_pickle_eval_download_or_network():
    banned_calls = {"eval", "exec", "compile", "__import__"}
    banned_modules = ("pickle", "marshal", "shelve", "dill", "cloudpickle", "socket", "ssl", "urllib.request")
    banned_modules += ("http.client", "requests", "httpx", "aiohttp", "ftplib", "smtplib", "webbrowser")
    banned_text = ["nltk.download", "allow_pickle=True", "yaml.load(", "unsafe_load", "yaml.Loader", "shell=True"]
    sources = sorted(SRC.rglob("*.py"))
    assert len(sources) > 10
    for path in sources:
        used = {n for n in calls_and_imports(path) if n in banned_calls or n.startswith(banned_modules)}
        if path.parent == SRC / "cluster":  # reaching a Ray cluster (--cluster, askdoc serve) is its job
            used -= {"socket", "socket.create_connection"}
        assert not used, f"{path.relative_to(SRC)} uses {used}"
        text = path.read_text("utf-8")
        for banned in banned_text:
            assert banned not in text, f"{path.relative_to(SRC)} contains {banned}"


class Payload:
    """Runs code when unpickled: it must never be."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def tamper_cases(marker: Path):
    """(name, function that damages a committed generation folder)."""

    def npy(gen, name, array):
        np.save(gen / f"{name}.npy", array, allow_pickle=False)
        meta = json.loads((gen / "meta.json").read_text())
        meta["sizes"][name] = (gen / f"{name}.npy").stat().st_size
        (gen / "meta.json").write_text(json.dumps(meta))

    def swap(a, b):
        def damage(gen):
            first, second = np.load(gen / f"{a}.npy"), np.load(gen / f"{b}.npy")
            npy(gen, a, second)
            npy(gen, b, first)

        return damage

    def edit(file, change):
        def damage(gen):
            value = json.loads((gen / file).read_text())
            change(value)
            (gen / file).write_text(json.dumps(value))

        return damage

    def huge_header(gen):
        path = gen / "post_doc.npy"
        data = path.read_bytes()
        header_end = data.index(b"\n") + 1
        header = data[:header_end].replace(b"(%d,)" % len(np.load(path)), b"(1000000000000,)")
        path.write_bytes(header.ljust(header_end, b" ")[: header_end - 1] + b"\n" + data[header_end:])

    def pickled(gen):
        np.save(gen / "p_len.npy", np.array([Payload(marker)], dtype=object), allow_pickle=True)
        edit("meta.json", lambda m: m["sizes"].update({"p_len": (gen / "p_len.npy").stat().st_size}))(gen)

    def articles_not_objects(gen):
        lines = (gen / "articles.jsonl").read_bytes().split(b"\n")
        (gen / "articles.jsonl").write_bytes(b"\n".join(b"1" for _ in lines))
        npy(gen, "a_meta_ptr", np.arange(len(lines) + 1, dtype=np.int64) * 2)
        edit("meta.json", lambda m: m["sizes"].update({"articles.jsonl": 2 * len(lines) - 1}))(gen)

    def current(text):
        return lambda gen: (gen.parent / "CURRENT").write_text(text)

    return [
        ("swapped p_start and p_end", swap("p_start", "p_end")),
        ("swapped s_start and s_end", swap("s_start", "s_end")),
        ("swapped text starts and ends", swap("a_text_start", "a_text_end")),
        ("swapped p_start and p_heading_start", swap("p_start", "p_heading_start")),
        ("swapped t_ptr and f_ptr", swap("t_ptr", "f_ptr")),
        ("wrong dtype", lambda gen: npy(gen, "p_article", np.load(gen / "p_article.npy").astype(np.int64))),
        ("two-dimensional", lambda gen: npy(gen, "p_len", np.load(gen / "p_len.npy").reshape(1, -1))),
        ("pickled object array", pickled),
        ("huge declared size in meta", edit("meta.json", lambda m: m["sizes"].update({"texts.bin": 10**15}))),
        ("huge shape in an npy header", huge_header),
        ("df out of step with postings", lambda gen: npy(gen, "df", np.load(gen / "df.npy") + 1)),
        ("meta.json a list", lambda gen: (gen / "meta.json").write_text("[1, 2]")),
        ("sizes a list", edit("meta.json", lambda m: m.update(sizes=[1]))),
        ("stats a string", edit("meta.json", lambda m: m.update(stats="x"))),
        ("k1 a string", edit("meta.json", lambda m: m["stats"].update(k1="x"))),
        ("articles not objects", articles_not_objects),
        ("term order not a permutation", lambda gen: npy(gen, "v_order", np.zeros_like(np.load(gen / "v_order.npy")))),
        ("vocabulary offsets past its blob", lambda gen: npy(gen, "v_ptr", np.load(gen / "v_ptr.npy") + 3)),
        ("articles naming files not listed", lambda gen: npy(gen, "a_file", np.load(gen / "a_file.npy") + 5)),
        ("texts.bin truncated", lambda gen: (gen / "texts.bin").write_bytes(b"x")),
        ("CURRENT ../x", current("../x")),
        ("CURRENT gen-../../etc", current("gen-../../etc")),
        ("CURRENT absolute", current("/etc")),
        ("CURRENT missing generation", current("gen-999999")),
        ("CURRENT empty", current("")),
        ("CURRENT 10 MB of junk", current("gen-" + "9" * 10_000_000)),
        ("CURRENT binary", lambda gen: (gen.parent / "CURRENT").write_bytes(b"\xff\x00gen-000001")),
    ]


@pytest.mark.parametrize("rows_at_a_time", [checks.CHECK_ROWS, 1])  # 1: every row its own chunk of the checks
def test_a_tampered_index_is_detected_rebuilt_and_never_executed(tmp_path, caplog, monkeypatch, rows_at_a_time):
    monkeypatch.setattr(checks, "CHECK_ROWS", rows_at_a_time)
    root = write_corpus(
        tmp_path / "corpus",
        {
            "a.txt": "Budget\n\nThe minister presented the budget.",
            "b.txt": "Oil\n\nOil prices rose; the minister spoke.",
        },
    )
    marker = tmp_path / "pickle-ran"
    expected = [(h.article.id, h.quote.text) for h in askdoc.open(root).search("minister budget", k=5)]
    for name, damage in tamper_cases(marker):
        index = askdoc.open(root)
        damage(store.current_generation(index.location) or index.location / "gen-000001")
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="askdoc"):
            again = askdoc.open(root)
        assert [(h.article.id, h.quote.text) for h in again.search("minister budget", k=5)] == expected, name
        if not name.startswith(("CURRENT missing", "CURRENT empty")):
            assert "rebuilding" in caplog.text, name
        assert store.load(again.location) is not None, name  # rebuilt and saved
        assert not marker.exists(), name
    print(f"\n{len(tamper_cases(marker))} kinds of tampering detected and rebuilt")


# -- the corpus is never written, the network never touched -------------------------------------


def snapshot(root: Path) -> dict:
    return {
        p.relative_to(root): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "")
        for p in sorted(root.rglob("*"))
    }


def test_askdoc_never_writes_inside_the_corpus(tmp_path, monkeypatch):
    root = write_corpus(
        tmp_path / "corpus",
        {
            "a.txt": "Budget\n\nThe minister presented the budget.",
            "sub/b.md": "# Oil\n\nOil prices rose.",
            "c.txt": b"",
        },
    )
    before = snapshot(root)
    monkeypatch.chdir(root)  # even when run from inside the corpus
    runner = CliRunner()
    for args in (["index"], ["index", "--rebuild"], ["query", "minister"], ["query", "--json", "-"], ["show", "a"]):
        assert runner.invoke(cli, [*args[:1], "--corpus", str(root), *args[1:]], input="oil\n").exit_code == 0
    askdoc.open(root).search("oil")
    assert snapshot(root) == before
    assert not str(askdoc.open(root).location).startswith(str(root))


NO_NETWORK = textwrap.dedent("""
    import socket, sys
    class NoNetwork(Exception):
        pass
    def refuse(*args, **kwargs):
        raise NoNetwork("askdoc tried to use the network")
    class Socket(socket.socket):
        def __init__(self, *args, **kwargs):
            refuse()
    socket.socket = Socket
    socket.create_connection = socket.getaddrinfo = socket.gethostbyname = refuse
    from askdoc.cli import cli
    for args in sys.argv[1:]:
        try:
            cli(args.split("|"), prog_name="askdoc", standalone_mode=False)
        except NoNetwork:
            raise
        except SystemExit as exit:
            assert exit.code in (0, None), (args, exit.code)
    print("offline ok")
""")


def test_askdoc_never_touches_the_network(tmp_path):
    """In a fresh process (so that every lazy import, NLTK included, happens) with sockets refused."""
    root = write_corpus(
        tmp_path / "corpus",
        {
            "a.txt": "Budget day\n\nMr. Smith, the minister, presented the budget. It was long.\n" * 3,
            "b.md": "---\ntitle: Oil\nurl: https://example.org/oil\n---\n\nOil prices rose. See [this](https://example.org).",
            "c.html": "<html><head><title>Page</title></head><body><p>The minister visited the harbour.</p>"
            '<img src="https://example.org/x.png"></body></html>',
        },
    )
    runs = [
        f"index|--corpus|{root}|--rebuild",
        f"query|--corpus|{root}|what did the minister present?",
        f"query|--corpus|{root}|--engine|rank-bm25|oil prices",
        f"query|--corpus|{root}|--json|harbour",
        f"show|--corpus|{root}|a:1",
    ]
    done = subprocess.run(
        [sys.executable, "-c", NO_NETWORK, *runs],
        capture_output=True,
        text=True,
        env={**os.environ, "ASKDOC_CACHE_DIR": str(tmp_path / "cache")},
        timeout=120,
    )
    assert done.returncode == 0 and "offline ok" in done.stdout, done.stderr[-2000:]
