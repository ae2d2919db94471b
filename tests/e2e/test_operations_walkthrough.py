"""docs/operations.md's walk-through, run as written: `hpo-guardrail sandbox` in one process, the
commands of the walk-through's terminal-2 blocks in others, with the variables the sandbox printed."""

from __future__ import annotations

import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "operations.md"
# The console script `hpo-guardrail`, from the interpreter running the tests.
COMMAND = [sys.executable, "-c", "import sys; from hpo_guardrail.cli import main; sys.exit(main())"]
# What the walk-through says the commands print; each must be in the doc and in the output.
PROMISED = (
    "recorded evaluated, decision stop, 5 findings; stop stopped, notify sent",
    "dry run: would redrive 1, failed 0, left 1",
    "redriven 1, failed 0, left 0",
    "nlp-alerts: 1 alert",
)


def walkthrough_commands(marker: str) -> list[str]:
    """The `hpo-guardrail` lines of the doc's code blocks under `<!-- walkthrough: MARKER -->`, in order."""
    blocks = re.findall(rf"<!-- walkthrough: {marker} -->\n```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return [line for block in blocks for line in block.splitlines() if line.startswith("hpo-guardrail ")]


def _argv(line: str) -> list[str]:
    return COMMAND + shlex.split(line)[1:]


class _Sandbox:
    """The sandbox process, its output read line by line."""

    def __init__(self, line: str) -> None:
        self.process = subprocess.Popen(
            _argv(line), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_clean_env()
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not any(text in line for line in self.lines):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.process.poll() is not None and self._queue.empty()):
                raise AssertionError(f"the sandbox never printed {text!r}:\n" + "\n".join(self.lines))
            try:
                self.lines.append(self._queue.get(timeout=min(remaining, 1.0)))
            except queue.Empty:
                continue

    def environment(self) -> dict[str, str]:
        """The environment after the `unset` and `export` lines the sandbox printed."""
        env = _clean_env()
        for line in (line.strip() for line in self.lines):
            words = shlex.split(line)
            if words[:1] == ["unset"]:
                for name in words[1:]:
                    env.pop(name, None)
            elif words[:1] == ["export"]:
                env.update(word.split("=", 1) for word in words[1:])
        return env

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=10)
        while not self._queue.empty():
            self.lines.append(self._queue.get())


def _clean_env() -> dict[str, str]:
    # The test session's own emulator variables must not leak into the processes: they get the sandbox's.
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "AUDIT_TABLE_NAME"}


def test_the_walkthrough_delivers_dead_letters_and_redrives_as_the_doc_says():
    (sandbox_line,) = walkthrough_commands("sandbox")
    commands = walkthrough_commands("terminal-2")
    assert any(" redrive " in c for c in commands) and any(" deliver " in c for c in commands)
    text = DOC.read_text(encoding="utf-8")
    assert all(" ".join(promise.split()) in " ".join(text.split()) for promise in PROMISED)

    sandbox = _Sandbox(sandbox_line)
    try:
        sandbox.wait_for("Ctrl-C stops the sandbox", timeout_s=180)
        env = sandbox.environment()
        assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        outputs = []
        for line in commands:
            done = subprocess.run(_argv(line), cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
            assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
            outputs.append(done.stdout)
        sandbox.wait_for("job resnet-lr-linear: evaluated", timeout_s=60)
        sandbox.wait_for("alert: [HPO Guardrail] resnet-lr-linear", timeout_s=60)
    finally:
        sandbox.stop()

    everything = "\n".join(outputs)
    for promise in PROMISED:
        assert promise in everything
    assert "not delivered: the stack's rule does not match this event" in everything
    (received,) = [o for line, o in zip(commands, outputs, strict=True) if " receive nlp-alerts" in line]
    assert "llm-sweep-costly stopped" in received and "team=nlp" in received and "action=stop" in received
    undelivered_list = next(o for line, o in zip(commands, outputs, strict=True) if line.endswith("--list"))
    assert "resnet-lr-linear" in undelivered_list and "THROTTLING" in undelivered_list
    assert "(MaximumRetryAttempts, 4 retries)" in undelivered_list
    assert outputs[-1].count(": 0 messages") == 2  # the last list: both queues empty
    assert any("sandbox stopped" in line for line in sandbox.lines)  # Ctrl-C ends it cleanly
