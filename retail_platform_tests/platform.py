"""The platform's definitions as the tests use them: loaded once, the way Dagster loads them."""

import dagster as dg

from retail_platform.definitions import defs
from retail_platform.layers import LAKE_GROUPS


def _in_groups(asset: dg.AssetsDefinition, groups: tuple[str, ...]) -> bool:
    return set(asset.group_names_by_key.values()) <= set(groups)


# Every lake asset (landing .. warehouse load), with its service levels, as `dagster dev` sees it.
lake_assets = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition) and _in_groups(a, LAKE_GROUPS)]
