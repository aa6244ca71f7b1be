"""`/openapi.json` of `medatlas serve`, validated as OpenAPI 3.1 by `openapi-spec-validator`
(the JSON Schema of the specification, unique operation ids, path parameters declared, $refs
resolved), and its named examples well-formed.

Run by scripts/test-python.sh; MEDATLAS_BIN names the binary.
"""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("MEDATLAS_BIN", REPO / "target" / "debug" / "medatlas"))


@pytest.fixture(scope="module")
def document():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as scenarios:
        proc = subprocess.Popen(
            [str(BIN), "serve", "--addr", f"127.0.0.1:{port}", "--scenarios-dir", scenarios],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, f"medatlas serve exited with {proc.returncode}"
                try:
                    with urllib.request.urlopen(url + "/health", timeout=2):
                        break
                except OSError:
                    assert time.monotonic() < deadline, "medatlas serve did not answer /health within 60 s"
                    time.sleep(0.2)
            with urllib.request.urlopen(url + "/openapi.json", timeout=30) as r:
                assert r.status == 200
                assert r.headers["Content-Type"].startswith("application/json")
                yield json.loads(r.read())
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_the_document_validates_as_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)


def test_the_validator_rejects_a_broken_copy(document):
    # The validation above can fail: the same document with a dangling $ref is refused.
    broken = json.loads(json.dumps(document))
    broken["paths"]["/health"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/NoSuchSchema"
    }
    with pytest.raises(Exception):
        validate(broken, cls=OpenAPIV31SpecValidator)


def test_every_named_example_has_a_summary_and_its_parameters(document):
    examples = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                for content in response.get("content", {}).values():
                    for name, example in content.get("examples", {}).items():
                        examples += 1
                        assert example.get("summary"), f"{method} {path} {status} {name}"
                        for p in operation.get("parameters", []):
                            if p["in"] == "path":
                                assert name in p.get("examples", {}), f"{method} {path}: {name} gives no {p['name']}"
    assert examples >= 15
