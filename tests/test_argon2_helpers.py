"""How many argon2 helper processes each server process keeps: the machine's cores shared out."""

from __future__ import annotations

import pytest

from server.hashing import helpers_per_process


@pytest.mark.parametrize(
    ("cores", "processes", "helpers"),
    [
        pytest.param(2, 1, 2, id="one process on two cores keeps two helpers"),
        pytest.param(2, 2, 1, id="two processes on two cores keep one each"),
        pytest.param(16, 16, 1, id="one process per core: one helper each, not sixteen"),
        pytest.param(16, 4, 4, id="four processes on sixteen cores keep four each"),
        pytest.param(2, 8, 1, id="more processes than cores still keep one each"),
        pytest.param(4, 0, 4, id="an unknown process count counts as one"),
    ],
)
def test_helpers_per_process(cores: int, processes: int, helpers: int) -> None:
    assert helpers_per_process(cores, processes) == helpers
