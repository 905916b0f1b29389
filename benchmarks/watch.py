"""Watching the corpus: CPU of an idle chat, and the time from a file saved to the index answering.

    python benchmarks/watch.py                    # 1M passages (100,000 files): about 20 minutes
    python benchmarks/watch.py --size 100k --edits 5 --idle 20

Three ways of keeping up with the corpus folder, each measured at the same size:
- **file events**: what the chat does now (watchfiles; askdoc.watch.FolderWatch);
- **poll fallback**: the same chat told to poll (``ASKDOC_WATCH=poll``), as where events fail;
- **old poll**: the chat as it was at ``--baseline`` (a walk and a stat per file every 2 s),
  run from ``git archive`` of that commit (needs the git history of this checkout).

Idle CPU: ``askdoc chat`` runs in a pseudo-terminal, untouched; once its index is open and the
watch has settled (``--settle`` seconds), its CPU time (user + system, all threads, from
/proc) over ``--idle`` seconds, as a share of one core. Save to answer: the library's loop
(``index.watch()``, or for the old poll the old chat's loop: ``changes()`` every 2 s, then
``refresh()``) in a child process; an article is rewritten with a new word ``--edits`` times
(``--poll-edits`` for the poll fallback, whose every edit waits for a poll: minutes at 1M), a
few seconds apart, and the time from the write to a look finding the change ("seen") and to a
search for the word finding it ("answering") is taken; medians are shown.
The corpus comes from ``../shared/tools/make_scale_corpus.py`` and is kept, with the index, in
``benchmarks/.data/`` (git-ignored). Linux only (/proc, pty).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import random
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
WORK = DATA / "watch"
MAKE_CORPUS = HERE.parent.parent / "shared" / "tools" / "make_scale_corpus.py"
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
BASELINE = "a0af0fd"  # main before issue 20: the chat walked the corpus every 2 s
MODES = ("file events", "poll fallback", "old poll")
TICKS = os.sysconf("SC_CLK_TCK")


def corpus_for(size: str) -> Path:
    """The corpus folder of a size (the one speed.py uses), generated once."""
    folder = DATA / f"corpus-{size}"
    if not folder.is_dir():
        DATA.mkdir(parents=True, exist_ok=True)
        args = [str(folder), "--passages", str(SIZES[size]), "--queries", str(DATA / f"queries-{size}.txt")]
        subprocess.run([sys.executable, str(MAKE_CORPUS), *args], check=True)
    return folder


def env_for(mode: str, baseline_src: Path) -> dict:
    env = {**os.environ, "ASKDOC_CACHE_DIR": str(WORK / "askdoc-cache"), "TERM": "xterm-256color"}
    env.pop("ASKDOC_WATCH", None)
    if mode == "poll fallback":
        env["ASKDOC_WATCH"] = "poll"
    if mode == "old poll":
        env["PYTHONPATH"] = str(baseline_src)
    return env


def baseline_source(revision: str) -> Path:
    """The askdoc package as it was at ``revision`` (git archive), for the old poll."""
    folder = WORK / f"baseline-{revision}"
    if not (folder / "src" / "askdoc").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", revision, "src"], cwd=HERE.parent, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder / "src"


# -- idle CPU of the chat ---------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15 of stat)


def idle_cpu(corpus: Path, env: dict, settle: float, idle: float, timeout: float = 1200) -> dict:
    """Run the chat in a pseudo-terminal; once it shows its index and has settled, its CPU share while idle."""
    main, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # rows, columns
    os.set_blocking(main, False)
    command = [sys.executable, "-m", "askdoc", "chat", "--corpus", str(corpus)]
    chat = subprocess.Popen(command, stdin=secondary, stdout=secondary, stderr=secondary, env=env, close_fds=True)
    os.close(secondary)
    seen = bytearray()
    stop = threading.Event()

    def drain() -> None:  # a terminal that is not read blocks the app's writes
        while not stop.is_set():
            ready, _, _ = select.select([main], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(main, 1 << 16)
                except OSError:
                    return
                if len(seen) < 1 << 20:
                    seen.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        launched = time.monotonic()
        deadline = launched + timeout
        while b" passages" not in seen:  # the header's "N articles · N passages": the index is open
            if chat.poll() is not None or time.monotonic() > deadline:
                return {"error": "the chat did not open its index"}
            time.sleep(0.2)
        opened = time.monotonic() - launched
        time.sleep(settle)
        before, started = cpu_seconds(chat.pid), time.monotonic()
        time.sleep(idle)
        used, elapsed = cpu_seconds(chat.pid) - before, time.monotonic() - started
        return {"cpu_share": used / elapsed, "cpu_seconds": used, "seconds": elapsed, "open_s": opened}
    finally:
        chat.terminate()
        try:
            chat.wait(timeout=10)
        except subprocess.TimeoutExpired:
            chat.kill()
            chat.wait()
        stop.set()
        reader.join(timeout=2)
        os.close(main)


# -- from a file saved to the index answering ---------------------------------------------------


def article_to_edit(corpus: Path) -> Path:
    folders = sorted(path for path in corpus.iterdir() if path.is_dir())
    return sorted(folders[len(folders) // 2].glob("*.txt"))[7]


def save_to_answer(corpus: Path, env: dict, mode: str, edits: int, timeout: float = 3600) -> dict:
    article = article_to_edit(corpus)
    original = article.read_bytes()
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--corpus", str(corpus)]
    command += ["--edits", str(edits)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s"}
    finally:
        article.write_bytes(original)  # the corpus as it was, however the child ended
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:120]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_child(mode: str, corpus: Path, edits: int) -> None:
    """In a child: follow the corpus as ``mode`` does, edit an article ``edits`` times, time each."""
    import queue

    import askdoc

    index = askdoc.open(corpus)
    given: queue.Queue = queue.Queue()
    seen_at: list[float] = []  # when a look found the change: the watch's part of the wait, the rest is the refresh
    look = askdoc.Index.changes

    def timed_look(self, *args, **kwargs):
        found = look(self, *args, **kwargs)
        if found:
            seen_at.append(time.perf_counter())
        return found

    askdoc.Index.changes = timed_look
    stop = threading.Event()

    def follow() -> None:
        if mode == "old poll":  # the old chat's loop (tui/widgets/corpus_watch.py at the baseline)
            current = index
            while not stop.wait(2.0):
                if current.changes():
                    current = current.refresh()
                    given.put(current)
        else:
            for fresh in index.watch(stop=stop, events=mode != "poll fallback"):
                given.put(fresh)

    threading.Thread(target=follow, daemon=True).start()
    time.sleep(5 if mode == "old poll" else 15)  # the watch's first look at the whole folder is done
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # put the article back (finally, below)
    article = article_to_edit(corpus)
    original = article.read_bytes()
    times, seen = [], []
    try:
        for edit in range(edits):
            word = "zqwatch" + "".join(chr(ord("a") + int(digit)) for digit in f"{edit}{os.getpid()}")
            del seen_at[:]
            started = time.perf_counter()
            article.write_bytes(original + f"\nThe harbour council spoke of {word} today.\n".encode())
            while True:
                fresh = given.get(timeout=600)
                if fresh.search(word):
                    times.append(time.perf_counter() - started)
                    seen.append(seen_at[0] - started)
                    break
            time.sleep(random.uniform(1.0, 3.0))  # edits fall anywhere in the old poll's 2-s round
    finally:
        article.write_bytes(original)
        stop.set()
    result = {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}
    print(json.dumps(result | {"seen_median_s": statistics.median(seen), "seen_max_s": max(seen)}))


def table(rows: dict, size: str, idle: float) -> str:
    lines = [
        f"**Watching {size} passages ({SIZES[size] // 10:,} files)**",
        "",
        f"| way | idle chat: CPU over {idle:.0f} s, share of a core | saved → seen, median (max) "
        "| saved → answering, median (min–max) | edits |",
        "|---|---|---|---|---|",
    ]
    for mode, row in rows.items():
        cpu, answer = row.get("idle", {}), row.get("answer", {})
        cpu_text = cpu.get("error") or f"{cpu['cpu_share']:.1%} ({cpu['cpu_seconds']:.2f} s CPU)"
        if "error" in answer:
            seen_text, answer_text = "", answer["error"]
        else:
            seen_text = f"{answer['seen_median_s']:.2f} s ({answer['seen_max_s']:.2f})"
            answer_text = f"{answer['median_s']:.2f} s ({answer['min_s']:.2f}–{answer['max_s']:.2f})"
        lines.append(f"| {mode} | {cpu_text} | {seen_text} | {answer_text} | {answer.get('edits', '')} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1m", choices=list(SIZES))
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated: {', '.join(MODES)}")
    parser.add_argument("--idle", type=float, default=60.0, help="seconds the idle chat is measured")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds after the index shows, before that")
    parser.add_argument("--edits", type=int, default=20, help="edits timed from save to answer")
    parser.add_argument("--poll-edits", type=int, default=3, help="edits timed for the poll fallback (minutes each)")
    parser.add_argument("--baseline", default=BASELINE, help="the commit whose chat is the old poll")
    parser.add_argument("--merge", action="store_true", help="keep the other ways' rows of an earlier run")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, Path(args.corpus), args.edits)
        return
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    if unknown := [mode for mode in modes if mode not in MODES]:
        parser.error(f"unknown mode {unknown[0]!r}; choose from: {', '.join(MODES)}")
    WORK.mkdir(parents=True, exist_ok=True)
    corpus = corpus_for(args.size)
    baseline = baseline_source(args.baseline) if "old poll" in modes else Path()
    askdoc = shutil.which("askdoc", path=str(Path(sys.executable).parent)) or "askdoc"
    subprocess.run([askdoc, "index", "--corpus", str(corpus)], env=env_for("file events", baseline), check=True)
    saved_as = WORK / f"results-{args.size}.json"
    rows: dict = json.loads(saved_as.read_text()) if args.merge and saved_as.is_file() else {}
    for mode in modes:
        env = env_for(mode, baseline)
        rows[mode] = {"idle": idle_cpu(corpus, env, args.settle, args.idle)}
        print(f"{mode}: idle {rows[mode]['idle']}", file=sys.stderr)
        edits = args.poll_edits if mode == "poll fallback" else args.edits
        rows[mode]["answer"] = save_to_answer(corpus, env, mode, edits)
        rows[mode]["answer"]["edits"] = edits
        print(f"{mode}: save to answer {rows[mode]['answer']}", file=sys.stderr)
        saved_as.write_text(json.dumps(rows, indent=1))
    print(table({mode: rows[mode] for mode in MODES if mode in rows}, args.size, args.idle))


if __name__ == "__main__":
    main()
