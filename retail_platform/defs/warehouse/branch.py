"""Branch deployments work on a zero-copy clone of the prod database, created on first use by the
warehouse resource. This job drops it when the pull request closes (launch it from the PR-closed
CI hook: ``dagster-cloud job launch --deployment <branch deployment> --location retail_platform
--job drop_branch_clone``)."""

import re

import dagster as dg

from retail_platform.warehouse.resources import WarehouseResource

# What ``deployments.cloud_settings`` names a branch's clone: nothing else is ever dropped here.
BRANCH_DATABASE = re.compile(r"RETAIL_BRANCH_[A-Z0-9_]{1,48}")


@dg.op(description="Drop this branch deployment's clone of the prod database.")
def drop_branch_database(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    database = getattr(warehouse, "database", None)
    if database is not None and not BRANCH_DATABASE.fullmatch(database):
        raise dg.Failure(
            f"refusing to drop {database!r}: only a branch clone (RETAIL_BRANCH_<name>) is dropped by this job",
            allow_retries=False,
        )
    warehouse.drop_database()
    context.log.info(f"dropped branch database {database}")


@dg.job(description="Drop the branch deployment's zero-copy clone of prod (when its pull request closes).")
def drop_branch_clone():
    drop_branch_database()
