import pytest

from retail_platform.lake.storage import LocalLake
from retail_platform.sources.simulator import SourceSimulator
from retail_platform.warehouse.resources import DuckDBWarehouse

TEST_VOLUME = 300


@pytest.fixture
def lake(tmp_path) -> LocalLake:
    return LocalLake(root=str(tmp_path / "lake"))


@pytest.fixture
def warehouse(tmp_path) -> DuckDBWarehouse:
    return DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb"))


@pytest.fixture
def resources(lake, warehouse) -> dict:
    return {"lake": lake, "sources": SourceSimulator(seed=11, volume=TEST_VOLUME), "warehouse": warehouse}
