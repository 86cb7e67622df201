"""Branch deployments work on a zero-copy clone of the prod database, created on first use by the
warehouse resource. This job drops it when the pull request closes (launch it from the PR-closed
CI hook: ``dagster-cloud job launch --job drop_branch_clone``)."""

import dagster as dg

from retail_platform.warehouse.resources import WarehouseResource


@dg.op(description="Drop this branch deployment's clone of the prod database.")
def drop_branch_database(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    warehouse.drop_database()
    context.log.info(f"dropped branch database {warehouse.database}")


@dg.job(description="Drop the branch deployment's zero-copy clone of prod (when its pull request closes).")
def drop_branch_clone():
    drop_branch_database()
