"""The dbt step's fixed costs: what it overrides in dagster-dbt, and the parse state it keeps."""

import importlib.metadata
import inspect
import os

from dagster_dbt import DbtCliResource
from packaging import version

from retail_platform.defs.warehouse.dbt import WINDOW_END_ENV, WINDOW_START_ENV, ParseStateCache, environment
from retail_platform.warehouse.project import dbt_resource


def test_the_overridden_dagster_dbt_members_still_exist_and_are_still_called():
    # RetailDbtCli replaces two private members; if dagster-dbt renames them, the overrides would
    # silently do nothing and every dbt step would pay ~7 s again.
    source = inspect.getsource(DbtCliResource.cli)
    assert "self._initialize_dbt_core_adapter(" in source and "self._cli_version" in source
    assert isinstance(inspect.getattr_static(DbtCliResource, "_cli_version"), type(DbtCliResource._cli_version))
    dbt = dbt_resource("local")
    assert dbt._cli_version == version.parse(importlib.metadata.version("dbt-core"))
    assert dbt._initialize_dbt_core_adapter(["build"]) is None


def test_the_environment_is_set_for_the_block_only(monkeypatch):
    monkeypatch.setenv("RETAIL_TEST_KEPT", "before")
    monkeypatch.delenv("RETAIL_TEST_NEW", raising=False)
    with environment({"RETAIL_TEST_KEPT": "during", "RETAIL_TEST_NEW": "x"}):
        assert (os.environ["RETAIL_TEST_KEPT"], os.environ["RETAIL_TEST_NEW"]) == ("during", "x")
    assert os.environ["RETAIL_TEST_KEPT"] == "before" and "RETAIL_TEST_NEW" not in os.environ


def test_parse_state_is_kept_per_connection_whatever_the_window(tmp_path):
    def cache(target, path, start):
        env = {"RETAIL_WAREHOUSE_PATH": path, WINDOW_START_ENV: start, WINDOW_END_ENV: start}
        return ParseStateCache(tmp_path / "states", target, env)

    assert cache("local", "/a.duckdb", "2026-01-01").path == cache("local", "/a.duckdb", "2026-02-01").path
    assert cache("local", "/a.duckdb", "2026-01-01").path != cache("local", "/b.duckdb", "2026-01-01").path
    assert cache("local", "/a.duckdb", "2026-01-01").path != cache("dev", "/a.duckdb", "2026-01-01").path

    build = tmp_path / "build-1"
    build.mkdir()
    (build / "partial_parse.msgpack").write_bytes(b"state of build 1")
    cache("local", "/a.duckdb", "2026-01-01").keep(build)
    seeded = tmp_path / "build-2"
    cache("local", "/a.duckdb", "2026-03-01").seed(seeded)
    assert (seeded / "partial_parse.msgpack").read_bytes() == b"state of build 1"
    other = tmp_path / "build-3"
    cache("local", "/b.duckdb", "2026-03-01").seed(other)
    assert not (other / "partial_parse.msgpack").exists()  # dagster-dbt then seeds the prepared state
