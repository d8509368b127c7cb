"""Child processes that tests wait on by signal, never by the clock: a line read from a
pipe (with a generous deadline that only a hung child reaches), a server's ``PORT`` line,
and a stop that cannot leave a child behind."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO

from tests.support.paths import STUB_SERVER

DEADLINE = 300.0
"""Seconds a wait may take before the test fails: only a hung child gets near it."""


class LineReader:
    """Every line of a child's text pipe, read by a thread, so a test can wait for one."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float = DEADLINE) -> str | None:
        """The next line matching `pattern` (a regex, searched); None if the pipe closes
        first. A child that neither prints it nor exits within `timeout` fails the test."""
        wanted = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r} in {timeout:.0f} s; got:\n{self.text()}") from None
            if line is None:
                self._queue.put(None)  # closed stays closed for the next wait
                return None
            self.lines.append(line)
            if wanted.search(line):
                return line

    def text(self) -> str:
        return "".join(self.lines)


def stop(process: subprocess.Popen) -> None:
    """Terminate, and kill if it does not go within the deadline."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def stub_server(args: Sequence[str]) -> Iterator[str]:
    """The OpenAI-compatible stub with these flags; yields its base URL once it listens."""
    process = subprocess.Popen(
        [sys.executable, str(STUB_SERVER), "--port", "0", *args], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = LineReader(process.stdout).wait_for(r"^PORT \d+")
        assert line is not None, f"the stub server exited with {process.wait()} before it listened"
        yield f"http://127.0.0.1:{line.split()[1]}/v1"
    finally:
        stop(process)
