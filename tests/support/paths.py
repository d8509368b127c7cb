"""Where things are: the checkout, the read-only `../shared` beside it, and markers
that skip a test cleanly where `../shared` is absent."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
LAUNCH = EXAMPLES / "launch_with_ledger.sh"
"""The launch script of examples/README.md: prime-rl with `ledger follow` beside it."""
SUPPORT = Path(__file__).resolve().parent
STUB_SERVER = SUPPORT / "stub_openai_server.py"
"""The OpenAI-compatible stub server, run as a script."""
CLI = Path(sys.executable).with_name("dakota-grammar")
"""The installed console script of the environment the tests run in."""

SHARED = REPO.parent / "shared"
REFERENCE_DIR = SHARED / "reference" / "dakota1890"
REFERENCE_FILES = [REFERENCE_DIR / f"grammar_tasks_{level}.jsonl" for level in ("easy", "medium", "hard")]
PRIME_RL = SHARED / "prime-rl"
PRIME_RL_FIXTURES = PRIME_RL / "fixtures"
NEWEST = PRIME_RL / "newest"

needs_reference = pytest.mark.skipif(
    not REFERENCE_DIR.is_dir(), reason="../shared/reference/dakota1890 is not beside this checkout"
)
needs_fixtures = pytest.mark.skipif(
    not PRIME_RL_FIXTURES.is_dir(), reason="../shared/prime-rl/fixtures is not beside this checkout"
)
