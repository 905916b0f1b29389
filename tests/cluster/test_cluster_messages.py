"""Without a cluster askdoc never loads Ray, and each way a cluster can be missing is one line, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import write_corpus

ARTICLE = "Herons return\n\nHerons nested in the marsh again this spring, the warden said.\n"


def _askdoc(code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``askdoc ARGS`` in a fresh Python, after ``code`` (run first), reporting whether Ray was imported."""
    script = (
        "import atexit, sys\n"
        f"{code}\n"
        "atexit.register(lambda: print('ray imported' if 'ray' in sys.modules else 'no ray', file=sys.stderr))\n"
        f"sys.argv = ['askdoc', *{list(args)!r}]\n"
        "from askdoc.cli import main\n"
        "main()\n"
    )
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_import_askdoc_and_a_query_never_import_ray(tmp_path):
    corpus = write_corpus(tmp_path / "news", {"herons.txt": ARTICLE})
    done = _askdoc("", "query", "--corpus", str(corpus), "herons", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Herons nested" in done.stdout
    assert done.stderr.strip().endswith("no ray")
    library = subprocess.run(
        [sys.executable, "-c", "import sys, askdoc; askdoc.open(sys.argv[1]).search('warden'); "
         "import askdoc.cli; print('ray' in sys.modules)", str(corpus)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert library.stdout.strip() == "False", library.stderr


def test_without_ray_every_cluster_command_says_how_to_install_it(tmp_path):
    corpus = write_corpus(tmp_path / "news", {"herons.txt": ARTICLE})
    no_ray = "sys.modules['ray'] = None  # as if Ray were not installed: importing it raises ImportError"
    for args in (
        ["query", "--corpus", str(corpus), "--cluster", "auto", "herons"],
        ["serve", "--corpus", str(corpus), "--shards", "2"],
        ["serve", "--corpus", str(corpus), "--stop"],
        ["index", "--corpus", str(corpus), "--shards", "2", "--cluster", "auto"],
    ):
        done = _askdoc(no_ray, *args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        first = done.stderr.splitlines()[0]
        assert first == "askdoc: error: the cluster needs Ray, which is not installed: pip install 'askdoc[cluster]'"
        assert "Traceback" not in done.stderr


def test_no_cluster_at_the_address_is_one_line(tmp_path):
    corpus = write_corpus(tmp_path / "news", {"herons.txt": ARTICLE})
    done = _askdoc("", "query", "--corpus", str(corpus), "--cluster", "127.0.0.1:1", "herons", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("askdoc: error: no Ray cluster answers at 127.0.0.1:1 (")
    assert "ray start --head" in done.stderr and "Traceback" not in done.stderr
