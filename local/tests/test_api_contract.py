"""The published contract: the OpenAPI document tfgen writes beside the
Terraform is what the local API serves at /openapi.json, and schemathesis
(generated requests, valid and invalid, with a token) finds no server error
and no answer that breaks the document."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "local"))

from localcloud import LocalCloud  # noqa: E402
from orders_api import send, token  # noqa: E402

DOCUMENT = REPO / "terraform" / "local" / "openapi.json"
SCHEMA = schemathesis.openapi.from_path(str(DOCUMENT))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def bearer(cloud: LocalCloud) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(cloud)}"}


def test_the_api_serves_the_document_tfgen_wrote(cloud: LocalCloud) -> None:
    answer = send(f"{cloud.api_url}/openapi.json", None, {}, method="GET")
    assert answer.status == 200
    assert answer.body == json.loads(DOCUMENT.read_text())


@SCHEMA.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_answer_breaks_the_contract(case: Any, cloud: LocalCloud, bearer: dict[str, str]) -> None:
    response = case.call(base_url=cloud.api_url, headers=bearer)
    for _ in range(20):  # the local stage is throttled low on purpose
        if response.status_code != 429:
            break
        time.sleep(0.5)
        response = case.call(base_url=cloud.api_url, headers=bearer)
    case.validate_response(response, checks=CHECKS)
