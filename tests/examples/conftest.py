"""Fixtures of the example-config tests: prime-rl HEAD's schemas, narrowed to this taskset."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.prime_rl_schema import (
    SCHEMAS,
    load_schema,
    narrow_head_schema,
)


@pytest.fixture(scope="module")
def head_rl_schema() -> dict[str, Any]:
    if not SCHEMAS.is_dir():
        pytest.skip("../shared/prime-rl/schema is not beside this checkout")
    return narrow_head_schema(load_schema("rl-config.HEAD.schema.json"))[0]


@pytest.fixture(scope="module")
def head_orchestrator_schema() -> dict[str, Any]:
    if not SCHEMAS.is_dir():
        pytest.skip("../shared/prime-rl/schema is not beside this checkout")
    return narrow_head_schema(load_schema("rl-orchestrator.HEAD.schema.json"))[0]
