"""How dbt nodes become Dagster assets: models keep their names (the contract: ``fct_sales``,
``mart_order_kpis``), grouped by their layer folder; dbt sources are the warehouse-load assets,
so lineage runs unbroken from the lake to the marts."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject


def dbt_asset_key(props: Mapping[str, Any]) -> dg.AssetKey:
    if props["resource_type"] == "source":
        return dg.AssetKey(["warehouse", props["source_name"], props["name"]])
    return dg.AssetKey([props["name"]])


def dbt_layer(props: Mapping[str, Any]) -> str:
    """``models/<layer>/...``: the folder is the layer (staging, intermediate, dimensions, facts, marts)."""
    fqn = props.get("fqn", [])
    return fqn[1] if len(fqn) > 2 else "dbt"


class RetailDbtTranslator(DagsterDbtTranslator):
    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        props = self.get_resource_props(manifest, unique_id)
        spec = super().get_asset_spec(manifest, unique_id, project)
        if props["resource_type"] == "source":
            return spec
        return spec.replace_attributes(group_name=dbt_layer(props))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        # The key is read through this method by get_asset_spec (for a node and its deps) and by
        # dagster-dbt's event mapping; one definition serves both.
        return dbt_asset_key(dbt_resource_props)


translator = RetailDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
