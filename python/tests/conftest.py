from __future__ import annotations

import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "fixtures" / "afi-fastapi"))


@pytest.fixture
def afi_ir() -> str:
    return (ROOT / "fixtures" / "afi" / "afi.kdl").read_text()
