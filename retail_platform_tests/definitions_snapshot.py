"""The definitions as readable text: every asset, check, job, schedule and sensor with what shapes
runs (group, deps, partitions, backfill policy, automation condition, freshness, blocking).
``test_definitions_snapshot`` compares it with the committed file, so a graph change is a diff.

Regenerate after an intended change: ``python -m retail_platform_tests.definitions_snapshot``.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

SNAPSHOT = Path(__file__).with_name("snapshots") / "definitions.txt"


def _partitions(partitions_def) -> str:
    if partitions_def is None:
        return "-"
    if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        return f"daily from {partitions_def.start:%Y-%m-%d} {partitions_def.timezone}"
    return type(partitions_def).__name__


def _deps(graph, key: dg.AssetKey) -> str:
    node = graph.get(key)
    parts = []
    for parent in sorted(node.parent_keys, key=lambda k: k.to_user_string()):
        mapping = node.partition_mappings.get(parent) if hasattr(node, "partition_mappings") else None
        suffix = ""
        if isinstance(mapping, dg.TimeWindowPartitionMapping):
            suffix = f" (offset {mapping.start_offset}..{mapping.end_offset})"
        parts.append(parent.to_user_string() + suffix)
    return ", ".join(parts) or "-"


def render(defs: dg.Definitions) -> str:
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    lines = ["# assets: key | group | partitions | backfill | automation | freshness", ""]
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        if not node.is_materializable:
            continue
        policy = node.backfill_policy
        automation = node.automation_condition
        freshness = node.freshness_policy
        lines.append(
            f"{key.to_user_string()} | {node.group_name} | {_partitions(node.partitions_def)} | "
            f"{policy.policy_type.value if policy else '-'} | "
            f"{automation.get_label() or type(automation).__name__ if automation else '-'} | "
            f"{getattr(freshness, 'deadline_cron', '-') if freshness else '-'}"
        )
        lines.append(f"    deps: {_deps(graph, key)}")
    lines += ["", "# checks: asset:check | blocking | partitioned", ""]
    for check_key in sorted(graph.asset_check_keys, key=lambda k: k.to_user_string()):
        spec = graph.get_check_spec(check_key)
        partitioned = "partitioned" if getattr(spec, "partitions_def", None) else "-"
        lines.append(f"{check_key.to_user_string()} | {'blocking' if spec.blocking else 'warn'} | {partitioned}")
    lines += ["", "# jobs: name | partitions | assets", ""]
    for job in sorted(repo.get_all_jobs(), key=lambda j: j.name):
        if job.name.startswith("__"):
            continue
        keys = sorted(k.to_user_string() for k in job.asset_layer.selected_asset_keys) if job.asset_layer else []
        lines.append(f"{job.name} | {_partitions(job.partitions_def)} | {len(keys)} assets")
        lines += [f"    {k}" for k in keys]
    lines += ["", "# schedules: name | cron | job | default", ""]
    for schedule in sorted(repo.schedule_defs, key=lambda s: s.name):
        lines.append(
            f"{schedule.name} | {schedule.cron_schedule} | {schedule.job_name} | {schedule.default_status.value}"
        )
    lines += ["", "# sensors: name | kind | default", ""]
    for sensor in sorted(repo.sensor_defs, key=lambda s: s.name):
        lines.append(f"{sensor.name} | {sensor.sensor_type.value} | {sensor.default_status.value}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from retail_platform.definitions import defs

    SNAPSHOT.write_text(render(defs))
    print(f"wrote {SNAPSHOT} ({len(SNAPSHOT.read_text().splitlines())} lines)")
