"""The command on a real terminal (a pty): what a person sees when they interrupt it."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time

import pytest

from conftest import write_corpus

FILES = 4_000
WORDS = "minister election market shares profit court league match film album phone software economy bank".split()


def run_in_pty(args: list[str], interrupt_when: bytes, timeout: float = 60) -> tuple[bytes, int]:
    """Run askdoc on a pseudo-terminal; send Ctrl+C (SIGINT) once ``interrupt_when`` has been printed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: askdoc, its output on the terminal
        # as a person's shell starts it: a test run in the background (CI) inherits Ctrl+C ignored
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execv(sys.executable, [sys.executable, "-m", "askdoc", *args])
    out, sent, deadline = b"", False, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            if not sent and interrupt_when in out:
                time.sleep(0.05)  # (the bar drawn, the build far from done: see the test)
                os.kill(pid, signal.SIGINT)
                sent = True
    finally:
        if not sent:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return out, os.waitstatus_to_exitcode(status)


@pytest.mark.slow
def test_ctrl_c_while_indexing_clears_the_progress_bar_so_the_prompt_gets_its_own_line(tmp_path, monkeypatch):
    monkeypatch.setenv("ASKDOC_WORKERS", "1")  # one process: on a quiet machine two built it before Ctrl+C came
    files = {
        f"a{n}.txt": f"Title {n}\n\n" + " ".join(WORDS[(n * 7 + i) % len(WORDS)] for i in range(300))
        for n in range(FILES)
    }
    corpus = write_corpus(tmp_path / "big", files)
    out, status = run_in_pty(["index", "--rebuild", "--corpus", str(corpus)], interrupt_when=f"/{FILES}".encode())
    assert status == 130 and f"/{FILES}".encode() in out, out[-500:]
    assert out.rstrip(b"\r\n").endswith(b"\x1b[2K"), f"the bar's line is erased last: {out[-200:]!r}"
