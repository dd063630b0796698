"""Fixtures of the ledger tests: a fixed key and small synthetic lists with known identities."""

from __future__ import annotations

import pytest

from honestcount.ledger import commands
from honestcount.ledger.crypto import Vault

# a throwaway key, only ever used by the tests
TEST_KEY = "1F0sKSbzTzTbqXcH3FZ_2p5jAxm1D6p9q5a3vR8rM4E="


@pytest.fixture(scope="session")
def vault() -> Vault:
    return Vault.from_key(TEST_KEY)


@pytest.fixture(scope="session")
def small_lists(tmp_path_factory):
    """1,500 records over the ten synthetic lists, with truth.csv and manifest.json."""
    out = tmp_path_factory.mktemp("lists")
    commands.ledger_synth(out, seed=11, records=1_500)
    return out
