"""`/openapi.json` of `medatlas serve`, validated as OpenAPI 3.1 by `openapi-spec-validator`
(the JSON Schema of the specification, unique operation ids, path parameters declared, $refs
resolved), and its named examples well-formed.

Run by scripts/test-python.sh; MEDATLAS_BIN names the binary.
"""

import json
import urllib.request

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from medatlas_server import serve


@pytest.fixture(scope="module")
def document():
    with serve() as url, urllib.request.urlopen(url + "/openapi.json", timeout=30) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("application/json")
        yield json.loads(r.read())


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
