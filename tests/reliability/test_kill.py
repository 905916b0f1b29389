"""SIGKILL `askdoc index` at random moments: every later run works and equals a clean build.

The suite runs a few trials; set ASKDOC_KILL_TRIALS (and ASKDOC_KILL_ARTICLES) for the full
campaign, e.g. ``ASKDOC_KILL_TRIALS=60 pytest -s -m slow tests/reliability/test_kill.py``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from reliability_tools import (
    askdoc_command,
    assert_same_as_clean_build,
    generations,
    leftovers,
    mutate,
    run_askdoc,
    write_articles,
)

import askdoc
from askdoc import store

TRIALS = int(os.environ.get("ASKDOC_KILL_TRIALS", "4"))
ARTICLES = int(os.environ.get("ASKDOC_KILL_ARTICLES", "2000"))


def timed_index(root, cache, *extra) -> float:
    started = time.perf_counter()
    result = run_askdoc("index", "--corpus", str(root), *extra, cache=cache)
    assert result.returncode == 0, result.stderr
    return time.perf_counter() - started


def what_the_kill_left(folder) -> str:
    """Which phase the writer died in, judged by what it left behind."""
    names = leftovers(folder)
    if any(n.startswith("gen-") for n in names):
        return "while writing a generation"
    if names:
        return "between generation and CURRENT"
    if len(generations(folder)) > 1:
        return "after commit, before cleanup"
    return "before saving (or after finishing)"


@pytest.mark.slow
def test_sigkill_at_random_moments_never_loses_or_corrupts_the_index(tmp_path, isolated_cache):
    rng = random.Random(int(os.environ.get("ASKDOC_KILL_SEED", "2024")))
    root = write_articles(tmp_path / "corpus", ARTICLES)
    folder = store.index_dir_for(root, isolated_cache)
    durations = {"rebuild": timed_index(root, isolated_cache, "--rebuild")}
    mutate(root, rng)
    durations["refresh"] = timed_index(root, isolated_cache)
    env = {**os.environ, "ASKDOC_CACHE_DIR": str(isolated_cache)}
    outcomes: Counter[str] = Counter()
    for _ in range(TRIALS):
        mode = "rebuild" if rng.random() < 0.4 else "refresh"
        if mode == "refresh":
            mutate(root, rng)
        extra = ["--rebuild"] if mode == "rebuild" else []
        writer = subprocess.Popen(
            askdoc_command("index", "--corpus", str(root), *extra),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        aim = rng.random()
        if aim < 0.4:  # anywhere: reading, analysing, writing, committing, cleaning up
            time.sleep(rng.uniform(0.0, 1.1) * durations[mode])
        elif aim < 0.7:  # the last stretch
            time.sleep(rng.uniform(0.7, 1.1) * durations[mode])
        else:  # once the new generation's folder appears: mid-write, between the renames, mid-cleanup
            deadline = time.monotonic() + 2 * durations[mode] + 5
            while not leftovers(folder) and writer.poll() is None and time.monotonic() < deadline:
                time.sleep(0.001)
            time.sleep(rng.uniform(0.0, 0.15))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        outcomes[what_the_kill_left(folder) if writer.returncode == -signal.SIGKILL else "finished first"] += 1

        after = run_askdoc("index", "--corpus", str(root), cache=isolated_cache)
        assert after.returncode == 0 and "Traceback" not in after.stderr, after.stderr
        assert "unusable" not in after.stderr  # a kill never leaves a committed index damaged
        store.tidy(folder)  # what a no-op refresh does (the CLI run above already did it)
        assert leftovers(folder) == [] and len(generations(folder)) == 1
        answer = run_askdoc("query", "--corpus", str(root), "--json", "minister budget", cache=isolated_cache)
        assert answer.returncode == 0 and json.loads(answer.stdout)["hits"], answer.stderr
        assert_same_as_clean_build(askdoc.open(root, refresh=False), root)
    print(f"\n{TRIALS} SIGKILL trials on {ARTICLES} articles, all recovered; where the kill landed: {dict(outcomes)}")


DIE_AT = """
import os, signal, sys
import numpy as np
import askdoc
from askdoc.store import generations

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

point = sys.argv[2]
real_rename, real_replace, real_save = os.rename, os.replace, np.lib.format.write_array
saves = []
if point == "mid-write":
    np.lib.format.write_array = lambda *a, **k: die() if len(saves) == 7 else (saves.append(1), real_save(*a, **k))
elif point == "before-rename":  # (the generation's rename and CURRENT's replace: not the walk's listing's)
    os.rename = lambda *a: die() if "gen-" in str(a[1]) else real_rename(*a)
elif point == "after-rename":
    os.rename = lambda *a: (real_rename(*a), die() if "gen-" in str(a[1]) else None)
elif point == "after-current":
    os.replace = lambda *a: (real_replace(*a), die() if str(a[1]).endswith("CURRENT") else None)
elif point == "before-cleanup":
    generations.remove_stale = die
askdoc.open(sys.argv[1])
"""


@pytest.mark.parametrize("point", ["mid-write", "before-rename", "after-rename", "after-current", "before-cleanup"])
def test_sigkill_at_each_step_of_a_commit(tmp_path, isolated_cache, point):
    """Kills placed exactly: inside each window of save() that a random kill rarely hits."""
    root = write_articles(tmp_path / "corpus", 50)
    folder = askdoc.open(root).location
    committed = store.current_generation(folder)
    mutate(root, random.Random(1))
    env = {**os.environ, "ASKDOC_CACHE_DIR": str(isolated_cache)}
    dying = subprocess.run([sys.executable, "-c", DIE_AT, str(root), point], env=env, capture_output=True, timeout=60)
    assert dying.returncode == -signal.SIGKILL, dying.stderr
    moved_on = point in ("after-current", "before-cleanup")
    assert (store.current_generation(folder) != committed) == moved_on  # CURRENT is old or new, never broken
    assert leftovers(folder) or len(generations(folder)) > 1  # it did leave something behind
    if moved_on:  # the new generation was committed whole (and this no-op refresh tidies up after it)
        assert_same_as_clean_build(askdoc.open(root), root)
    after = run_askdoc("index", "--corpus", str(root), cache=isolated_cache)
    assert after.returncode == 0 and "unusable" not in after.stderr, after.stderr
    assert leftovers(folder) == [] and len(generations(folder)) == 1
    assert_same_as_clean_build(askdoc.open(root), root)
