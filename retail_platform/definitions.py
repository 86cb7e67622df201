"""The Dagster entry point: assembles the platform, holds no logic.

The definitions live in ``defs/`` (autoloaded: one folder per concern), the deployment's
resources come from ``deployments.py``, and every asset's automation condition and freshness
policy from the service-level table.
"""

import dagster as dg

from retail_platform import defs as defs_folder
from retail_platform.autoload import load_defs_package, long_lived
from retail_platform.deployments import current_deployment, resources_for
from retail_platform.service_levels import with_service_levels

with long_lived():
    defs = dg.Definitions.merge(
        with_service_levels(load_defs_package(defs_folder)),
        # Every run, the UI's included, executes its steps in one process: a step in its own process
        # re-imports the definitions (~6 s) and a range step already uses the cores it needs.
        # Measured, the lake for 3 days: 16 s in process, 179 s with 2 step processes at a time.
        dg.Definitions(resources=resources_for(current_deployment()), executor=dg.in_process_executor),
    )
