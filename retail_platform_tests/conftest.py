import pytest

from retail_platform.lake.landing import SourceSimulator
from retail_platform.lake.storage import LocalLake

TEST_VOLUME = 300


@pytest.fixture
def lake(tmp_path) -> LocalLake:
    return LocalLake(root=str(tmp_path / "lake"))


@pytest.fixture
def resources(lake) -> dict:
    return {"lake": lake, "sources": SourceSimulator(seed=11, volume=TEST_VOLUME)}
