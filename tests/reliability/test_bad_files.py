"""Every kind of bad file: each is indexed or skipped with a warning that names it; memory stays bounded."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from reliability_tools import run_askdoc

import askdoc
from askdoc import formats
from conftest import write_corpus

GOOD = "Good news\n\nThe minister opened the harbour festival.\n"
BOMB = "---\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n" for prev, name in zip("abcdefgh", "bcdefghi")
)


@pytest.fixture
def root(tmp_path):
    """Where bad_corpus goes; its 1,900-deep folders are removed here, as shutil.rmtree would recurse too deep."""
    root = tmp_path / "corpus"
    yield root
    deep = os.path.join(str(root), *["a"] * 1900)
    if os.path.isdir(deep):
        os.unlink(os.path.join(deep, "deep.txt"))
        while deep != str(root):
            os.rmdir(deep)
            deep = os.path.dirname(deep)


def bad_corpus(root: Path) -> dict[str, str]:
    """Write a corpus of bad files; returns {file name as warned about: what happens to it}."""
    write_corpus(
        root,
        {
            "good.txt": GOOD,
            "empty.txt": b"",
            "blank.txt": " \n\n\t\n",
            "binary.txt": b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)) * 4,
            "cp1252.txt": "Café owner\n\nThe café’s “minister” of coffee.\n".encode("cp1252"),
            "latin1.txt": b"Odd bytes\n\nThe minister\x81\x8d of undefined cp1252 bytes.\n",
            "cut-utf8.txt": b"Cut\n\nThe minister said ok " + "é".encode()[:1],
            "utf16.txt": "Wide\n\nThe wide minister in UTF-16.\n".encode("utf-16"),
            "front-bomb.md": BOMB + "title: Bomb\n---\n\nThe minister of aliases.\n",
            "front-tag.md": "---\ntitle: !!python/object/apply:os.system ['exit 3']\n---\n\nThe minister of tags.\n",
            "-rf.txt": "Dash\n\nThe minister of dashes.\n",
            " spaces .txt": "Spaces\n\nThe minister of spaces.\n",
            "new\nline.txt": "Newline\n\nThe minister of newlines.\n",
            "esc\x1b]52;c;aGk=\x07.txt": "Escape\n\nThe minister of escapes.\n",
            "bidi\u202eevil.txt": "Bidi\n\nThe minister of bidi.\n",
            "nfd-cafe\u0301.txt": "Nfd\n\nThe minister of accents.\n",
            "x" * 240 + ".txt": "Long\n\nThe minister of long names.\n",
        },
    )
    deep = str(root)
    for _ in range(1900):  # os.makedirs and Path.mkdir(parents=True) recurse: a loop does not
        deep = os.path.join(deep, "a")
        os.mkdir(deep)
    Path(deep, "deep.txt").write_text("Deep\n\nThe minister of deep folders.\n")
    (root / os.fsdecode(b"undecodable-\xff\xfe.txt")).write_text("Bytes\n\nThe minister of bytes.\n")
    (root / "loop-a.txt").symlink_to("loop-b.txt")
    (root / "loop-b.txt").symlink_to("loop-a.txt")
    (root / "self.txt").symlink_to("self.txt")
    (root / "up").symlink_to("..")  # a folder loop
    (root / "dup.txt").symlink_to("good.txt")  # inside the corpus: fine
    outside = root.parent / "outside.txt"
    outside.write_text("Private\n\nThe minister's private notes.\n")
    (root / "escape.txt").symlink_to(outside)
    os.mkfifo(root / "pipe.txt")
    with open(root / "sparse.txt", "wb") as handle:  # 300 MB on paper, nothing on disk
        handle.truncate(300 * 1024 * 1024)
    return {
        "empty.txt": "skipped",
        "blank.txt": "skipped",
        "binary.txt": "skipped",
        "loop-a.txt": "skipped",
        "loop-b.txt": "skipped",
        "self.txt": "skipped",
        "up": "skipped",
        "escape.txt": "skipped",
        "pipe.txt": "skipped",
        "sparse.txt": "skipped",
    }


INDEXED = {
    "good": "harbour festival",
    "cp1252": "café",
    "latin1": "undefined",
    "utf16": "wide",
    "cut-utf8": "said",
    "front-bomb": "aliases",
    "front-tag": "tags",
    "-rf": "dashes",
    " spaces ": "spaces",
    "new\nline": "newlines",
    "esc\x1b]52;c;aGk=\x07": "escapes",
    "bidi\u202eevil": "bidi",
    "nfd-cafe\u0301": "accents",
    "x" * 240: "long names",
    "a/" * 1900 + "deep": "deep folders",
    os.fsdecode(b"undecodable-\xff\xfe"): "bytes",
    "dup": "harbour festival",
}


def test_each_bad_file_is_indexed_or_skipped_with_a_warning_naming_it(root, caplog):
    expected = bad_corpus(root)
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        index = askdoc.open(root)
    warned = "\n".join(r.getMessage() for r in caplog.records)
    for name in expected:
        assert name in warned, name
    ids = {a.id for a in index.articles()}
    assert ids == set(INDEXED)
    for article_id, words in INDEXED.items():
        hits = index.search(words, k=20)
        copies = {"good", "dup"} if article_id in ("good", "dup") else {article_id}  # dup.txt is good.txt: one is shown
        assert copies & {h.article.id for h in hits}, article_id
        for hit in hits:
            assert hit.article.text[hit.quote.start : hit.quote.end] == hit.quote.text
    assert index.article("front-tag").title != "0"  # the YAML tag was refused, never run
    assert askdoc.open(root).location == index.location  # and it all loads again from disk
    print(f"\n{len(expected) + len(INDEXED)} bad files tried: {len(INDEXED)} indexed, {len(expected)} skipped")


@pytest.mark.slow
def test_the_cli_names_bad_files_inertly_and_never_crashes_on_their_names(root, tmp_path):
    expected = bad_corpus(root)
    strict = {"PYTHONIOENCODING": "utf-8:strict"}  # a strict locale: surrogates would raise
    result = run_askdoc("index", "--corpus", str(root), cache=tmp_path / "cache", env=strict)
    assert result.returncode == 0, result.stderr
    *warnings, summary = result.stderr.splitlines()
    assert len(warnings) == len(expected) and all(line.startswith("askdoc: warning: skipped ") for line in warnings), (
        warnings
    )
    assert summary.startswith(f"{len(INDEXED)} articles")
    for bad in ("\x1b", "\x07", "\u202e", "\udcff"):
        assert bad not in result.stderr
    assert "pipe.txt: not a regular file" in result.stderr
    assert "sparse.txt: larger than 200 MB" in result.stderr
    answer = run_askdoc(
        "query", "--corpus", str(root), "--json", "minister", "-k", "30", cache=tmp_path / "cache", env=strict
    )
    assert answer.returncode == 0, answer.stderr
    assert "\x1b" not in answer.stdout and "\u202e" not in answer.stdout
    shown = run_askdoc("query", "--corpus", str(root), "minister", "-k", "30", cache=tmp_path / "cache", env=strict)
    assert shown.returncode == 0 and "Bytes" in shown.stdout and "Escape" in shown.stdout
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout and "\u202e" not in shown.stdout
    for article_id, inert_path in [
        (os.fsdecode(b"undecodable-\xff\xfe"), "undecodable-\\xff\\xfe.txt"),
        ("esc\x1b]52;c;aGk=\x07", "esc\\x1b]52;c;aGk=\\x07.txt"),
        ("bidi\u202eevil", "bidi<U+202E>evil.txt"),
    ]:
        shown = run_askdoc("show", "--corpus", str(root), article_id, cache=tmp_path / "cache", env=strict)
        assert shown.returncode == 0 and inert_path in "".join(shown.stdout.split()), shown.stdout  # Rich wraps it


def test_unreadable_files_and_folders_are_skipped_with_a_warning(tmp_path, monkeypatch, caplog):
    """Root reads anything, so permission errors are simulated where askdoc opens files and folders."""
    root = write_corpus(tmp_path / "corpus", {"good.txt": GOOD, "locked.txt": "x", "closed/inner.txt": "y"})
    real_open, real_scandir, real_os_open = open, os.scandir, os.open

    def guarded_open(path, *args, **kwargs):
        if Path(path).name == "locked.txt":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, *args, **kwargs)

    def guarded_scandir(path="."):
        if not isinstance(path, int) and Path(path).name == "closed":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_scandir(path)

    def guarded_os_open(path, *args, **kwargs):  # the walk opens each folder by descriptor, formats each file
        if Path(path).name in ("closed", "locked.txt"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(formats, "open", guarded_open, raising=False)
    monkeypatch.setattr(os, "scandir", guarded_scandir)
    monkeypatch.setattr(os, "open", guarded_os_open)
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        index = askdoc.open(root)
    assert {a.id for a in index.articles()} == {"good"}
    assert "locked.txt: Permission denied" in caplog.text and "closed: Permission denied" in caplog.text


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to become nobody")
def test_unreadable_files_for_a_real_unprivileged_user(tmp_path):
    base = Path(tempfile.mkdtemp(prefix="askdoc-perm-"))
    try:
        base.chmod(0o755)
        root = write_corpus(base / "corpus", {"good.txt": GOOD, "locked.txt": "Locked\n\nsecret", "closed/x.txt": "y"})
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        (root / "locked.txt").chmod(0)
        (root / "closed").chmod(0)
        cache = base / "cache"
        cache.mkdir(mode=0o777)
        cache.chmod(0o777)
        command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, "-m", "askdoc"]
        env = {**os.environ, "ASKDOC_CACHE_DIR": str(cache), "HOME": str(cache)}
        result = subprocess.run(
            [*command, "query", "--corpus", str(root), "harbour"], capture_output=True, text=True, env=env, timeout=60
        )
        if "Permission denied" in result.stderr and "askdoc" not in result.stderr:
            pytest.skip("the unprivileged user cannot run this Python")
        assert result.returncode == 0, result.stderr
        assert "locked.txt: Permission denied" in result.stderr and "closed: Permission denied" in result.stderr
    finally:
        shutil.rmtree(base, ignore_errors=True)


PEAK = textwrap.dedent("""
    import resource, subprocess, sys
    done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
    print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.stderr.replace("\\n", " | "))
""")


def peak_memory_of(tmp_path, *args) -> tuple[int, int, str]:
    """Exit status and peak resident memory (bytes) of `askdoc ARGS` run in a fresh process."""
    env = {**os.environ, "ASKDOC_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run(
        [sys.executable, "-c", PEAK, sys.executable, "-m", "askdoc", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    ).stdout
    status, kilobytes, stderr = out.split(" ", 2)
    return int(status), int(kilobytes) * 1024, stderr


@pytest.mark.slow
def test_a_100_mb_article_and_a_10_mb_line_are_indexed_in_bounded_memory(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    words = "minister election market shares profit court league match film album phone software".split()
    paragraph = " ".join(words * 5) + ".\n\n"
    with open(root / "huge.txt", "w") as handle:
        handle.write("Huge\n\n")
        for i in range(100 * 1024 * 1024 // len(paragraph)):
            handle.write(paragraph.replace("court", f"court{i % 997}", 1))
        handle.write("The harbour festival closes the huge file.\n")
    with open(root / "line.txt", "w") as handle:
        handle.write("Line\n\n" + " ".join(words * (10 * 1024 * 1024 // 70)) + " harbour festival at the end")
    size = (root / "huge.txt").stat().st_size
    status, peak, stderr = peak_memory_of(tmp_path, "index", "--corpus", str(root))
    assert status == 0, stderr
    print(f"\npeak memory indexing a {size / 2**20:.0f} MB article and a 10 MB line: {peak / 2**20:.0f} MB")
    assert peak < 10 * size  # the bound the README states: under 10x the largest file (the cap is 200 MB)
    index = askdoc.open(root)
    hits = index.search("harbour festival", k=5)
    assert {h.article.id for h in hits} == {"huge", "line"}
    for hit in hits:
        assert hit.article.text[hit.passage.start : hit.passage.end] == hit.passage.text
        assert len(hit.passage.text) <= 1500
