"""askdoc add, the library side: copies once, updates what changed, adds only regular files, leaves no debris."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import askdoc
from askdoc.adding import add_to_corpus
from conftest import write_corpus


def visible_files(corpus: Path) -> list[str]:
    return sorted(
        p.relative_to(corpus).as_posix()
        for p in corpus.rglob("*")
        if p.is_file() and "/." not in f"/{p.relative_to(corpus)}"
    )


def test_an_edited_folder_added_again_updates_its_files_instead_of_copying_them_beside(tmp_path):
    notes = write_corpus(tmp_path / "notes", {"plain.txt": "Plain\n\nHerons nest.", "other.md": "# Other\n\nEgrets."})
    corpus = tmp_path / "corpus"
    add_to_corpus(corpus, [notes])
    (notes / "plain.txt").write_text("Plain\n\nHerons nest in the reeds now.")
    again = add_to_corpus(corpus, [notes])
    assert again.updated == ["notes/plain.txt"] and again.copied == [] and again.unchanged == ["notes/other.md"]
    assert visible_files(corpus) == ["notes/other.md", "notes/plain.txt"]
    assert (corpus / "notes/plain.txt").read_text() == "Plain\n\nHerons nest in the reeds now."


def test_identical_content_is_not_added_twice_under_another_name(tmp_path):
    one = write_corpus(tmp_path / "a", {"story.txt": "Story\n\nThe ferry sank."})
    two = write_corpus(tmp_path / "b", {"copy-of-story.txt": "Story\n\nThe ferry sank."})
    corpus = tmp_path / "corpus"
    add_to_corpus(corpus, [one / "story.txt"])
    added = add_to_corpus(corpus, [two / "copy-of-story.txt", one])
    assert added.copied == [] and added.unchanged == ["story.txt", "story.txt"]
    assert visible_files(corpus) == ["story.txt"]


def test_a_different_file_of_the_same_name_is_added_beside_or_replaces_it_when_asked(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", {"story.txt": "Story\n\nThe ferry sank."})
    other = write_corpus(tmp_path / "other", {"story.txt": "Story\n\nThe ferry floated."})
    assert add_to_corpus(corpus, [other / "story.txt"]).copied == ["story-2.txt"]
    third = write_corpus(tmp_path / "third", {"story.txt": "Story\n\nThe ferry was towed."})
    assert add_to_corpus(corpus, [third / "story.txt"], replace=True).updated == ["story.txt"]
    assert (corpus / "story.txt").read_text() == "Story\n\nThe ferry was towed."


def test_a_failed_add_creates_no_corpus_folder(tmp_path):
    with pytest.raises(askdoc.CorpusError, match="does not exist"):
        add_to_corpus(tmp_path / "corpus", [tmp_path / "nosuchfile.md"])
    assert not (tmp_path / "corpus").exists()


BOUNDED = """
import resource, signal, sys
from askdoc.adding import add_to_corpus
from askdoc.errors import CorpusError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as past a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
try:
    print(add_to_corpus(sys.argv[2], sys.argv[3:]))
except CorpusError as err:
    print(err)
"""


def add_bounded(limit: int, corpus: Path, *paths: Path) -> subprocess.CompletedProcess:
    """add_to_corpus in a process that cannot write a file past ``limit`` bytes (nor run a minute): a
    regression that copies /dev/zero fails the test instead of filling the disk."""
    return subprocess.run(
        [sys.executable, "-c", BOUNDED, str(limit), str(corpus), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_link_to_a_device_given_by_name_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    done = add_bounded(10_000_000, tmp_path / "corpus", tmp_path / "zero.txt")
    assert "is not a regular file" in done.stdout, done.stdout + done.stderr
    assert not (tmp_path / "corpus").exists()


def test_in_a_folder_links_pipes_and_devices_are_left_out_and_said_why(tmp_path):
    secret = write_corpus(tmp_path / "secret", {"private.txt": "Private\n\nThe safe code is 1234."})
    folder = write_corpus(tmp_path / "folder", {"good.txt": "Good\n\nHerons nest."})
    (folder / "evil.txt").symlink_to(secret / "private.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "linked").symlink_to(secret)
    os.mkfifo(folder / "pipe.txt")
    done = add_bounded(10_000_000, tmp_path / "corpus", folder)  # /dev/zero copied would not fill the disk
    assert "copied=['folder/good.txt']" in done.stdout, done.stdout + done.stderr
    added = add_to_corpus(tmp_path / "corpus2", [folder])
    assert added.copied == ["folder/good.txt"]
    why = {Path(name).name: reason for name, reason in added.left_out}
    assert set(why) == {"evil.txt", "zero.txt", "linked", "pipe.txt"}
    assert why["evil.txt"].startswith("a symbolic link") and why["pipe.txt"].startswith("not a regular file")
    assert visible_files(tmp_path / "corpus2") == ["folder/good.txt"]


def test_a_named_pipe_given_by_name_is_a_one_line_error_and_leaves_nothing(tmp_path):
    from click.testing import CliRunner

    from askdoc.cli import cli

    os.mkfifo(tmp_path / "big.txt")
    result = CliRunner().invoke(cli, ["add", "--corpus", str(tmp_path / "c"), str(tmp_path / "big.txt")])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "not a regular file" in result.output
    assert not (tmp_path / "c").exists()


def test_a_copy_that_cannot_be_written_is_one_line_and_its_partial_file_is_removed(tmp_path):
    small = write_corpus(tmp_path / "in", {"a.txt": "A\n\nHerons."})
    big = tmp_path / "in" / "big.txt"
    big.write_text("Big\n\n" + "herons nest in the reeds. " * 20_000)
    corpus = tmp_path / "corpus"
    done = add_bounded(100_000, corpus, small / "a.txt", big)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout.startswith("could not add to") and "File too large" in done.stdout
    assert "1 file(s) were added before it" in done.stdout
    assert sorted(p.name for p in corpus.rglob("*") if not p.name.startswith(".askdoc-added")) == ["a.txt"]


@pytest.fixture
def full_disk(tmp_path):
    """A 1 MB tmpfs: a real full disk (needs the right to mount, as root in a container has)."""
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_onto_a_full_disk_the_error_is_one_line_and_no_partial_copy_stays(tmp_path, full_disk):
    big = tmp_path / "big.txt"
    big.write_text("Big\n\n" + "herons nest in the reeds. " * 80_000)  # 2 MB
    with pytest.raises(askdoc.CorpusError, match="No space left on device"):
        add_to_corpus(full_disk / "corpus", [big])
    assert not (full_disk / "corpus").exists() or not any((full_disk / "corpus").iterdir())


KILLED = """
import os, sys, time
from askdoc import adding
real_write = os.write
def slow_write(fd, data):
    time.sleep(30)  # killed here, mid-copy
    return real_write(fd, data)
adding.os.write = slow_write
adding.add_to_corpus(sys.argv[1], sys.argv[2:])
"""


def test_a_partial_copy_left_by_a_killed_add_is_removed_by_the_next(tmp_path):
    source = write_corpus(tmp_path / "in", {"a.txt": "A\n\nHerons.", "b.txt": "B\n\nEgrets."})
    corpus = write_corpus(tmp_path / "corpus", {"old.txt": "Old\n\nGulls."})
    child = subprocess.Popen([sys.executable, "-c", KILLED, str(corpus), str(source / "a.txt")])
    deadline = time.monotonic() + 30
    while not list(corpus.glob(".a.txt.adding-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert list(corpus.glob(".a.txt.adding-*")), "the killed add left its partial copy"
    add_to_corpus(corpus, [source / "b.txt"])
    assert not list(corpus.glob(".*.adding*")) and visible_files(corpus) == ["b.txt", "old.txt"]


def test_a_file_growing_past_the_limit_while_copied_is_not_added(tmp_path, monkeypatch):
    from askdoc import adding

    monkeypatch.setattr(adding, "MAX_FILE_BYTES", 1000)
    source = write_corpus(tmp_path / "in", {"a.txt": "A\n\n" + "herons " * 300})
    monkeypatch.setattr(adding, "_not_addable", lambda path, follow: "")  # as if it grew after being looked at
    with pytest.raises(askdoc.CorpusError, match="larger than"):
        add_to_corpus(tmp_path / "corpus", [source / "a.txt"])
    assert not (tmp_path / "corpus").exists()


def test_a_script_of_a_folder_with_a_fifo_swapped_in_after_the_check_does_not_hang(tmp_path):
    code = textwrap.dedent(
        """
        import os, sys
        from pathlib import Path
        from askdoc import adding
        real = adding._not_addable
        def check_then_swap(path, follow):
            why = real(path, follow)
            if path.name == "a.txt":
                path.unlink(); os.mkfifo(path)  # swapped for a pipe between the look and the copy
            return why
        adding._not_addable = check_then_swap
        try:
            adding.add_to_corpus(sys.argv[1], [sys.argv[2]])
        except adding.CorpusError as err:
            print(err)
        """
    )
    source = write_corpus(tmp_path / "in", {"a.txt": "A\n\nHerons."})
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "corpus"), str(source)], capture_output=True, text=True, timeout=30
    )
    assert "not a regular file" in done.stdout, done.stderr
