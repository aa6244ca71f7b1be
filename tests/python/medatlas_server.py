"""`medatlas serve` for the Python tests: started on a free 127.0.0.1 port with a scenarios
folder of its own, given once `/health` answers, stopped afterwards.

MEDATLAS_BIN names the binary (scripts/test-python.sh sets it).
"""

import contextlib
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("MEDATLAS_BIN", REPO / "target" / "debug" / "medatlas"))


@contextlib.contextmanager
def serve(*args, env=None, ready_within=60):
    """Yields the server's base URL; `args` follow `serve`, `env` adds to the environment."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        # Its log goes to a file, not a pipe nobody reads (a full pipe would stall the server
        # under load); a server that exits early is reported with it.
        log_path = Path(tmp) / "serve.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [str(BIN), "serve", "--addr", f"127.0.0.1:{port}", "--scenarios-dir", str(Path(tmp) / "scenarios"), *args],
                env={**os.environ, **(env or {})},
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + ready_within
            while True:
                assert proc.poll() is None, f"medatlas serve exited with {proc.returncode}: {log_path.read_text(errors='replace')}"
                try:
                    with urllib.request.urlopen(url + "/health", timeout=2):
                        break
                except OSError:
                    assert time.monotonic() < deadline, f"medatlas serve did not answer /health within {ready_within} s"
                    time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
