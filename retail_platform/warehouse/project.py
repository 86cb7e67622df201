"""The dbt project as Dagster sees it.

The manifest is prepared at build/deploy time (``make prepare`` = ``dagster-dbt project
prepare-and-package --file retail_platform/warehouse/project.py``) and parsed on the fly only
under ``dagster dev`` / ``dg dev`` (``prepare_if_dev``, called when the dbt definitions load).
The profile's default target (``local``) is the one the manifest is parsed with; each deployment's
``DbtCliResource`` names the target it runs (``deployments.py``).
"""

import importlib.metadata
import sys
from functools import cached_property
from pathlib import Path

from dagster_dbt import DagsterDbtProjectPreparer, DbtCliResource, DbtProject
from packaging import version

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"


def dbt_executable() -> str:
    """dbt from this interpreter's environment, even when its bin folder is not on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


# The profile's default target: the manifest is parsed with it, and a local run names it too, so
# that dbt's partial-parse state (which includes the target's name) matches and nothing re-parses.
PREPARED_TARGET = "local"


class RetailDbtCli(DbtCliResource):
    """dagster-dbt's dbt resource without two fixed costs per dbt step that this project does not
    use (measured together at ~7 s a step on 2 cores):

    - the dbt version comes from the installed dbt-core package instead of a ``dbt --version``
      subprocess (dbt runs from this environment: ``dbt_executable``);
    - no in-process dbt adapter is opened: it serves dagster-dbt's ``fetch_row_counts`` /
      ``fetch_column_metadata``, and row counts are read once dbt exits (``with_row_counts``).
    Both override private members of dagster-dbt 0.29; a test fails if they disappear."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_resource(target: str) -> RetailDbtCli:
    """The dbt resource of a deployment: this project, the deployment's profile target."""
    return RetailDbtCli(project_dir=retail_dbt_project, target=target, dbt_executable=dbt_executable())


class RetailDbtPreparer(DagsterDbtProjectPreparer):
    """``dbt parse`` with the dbt of this environment (the default preparer looks for ``dbt`` on
    PATH, which an unactivated virtualenv's ``dg``/``dagster dev`` doesn't have). The project has
    no packages to install."""

    def prepare_if_dev(self, project: DbtProject) -> None:
        # Every process of `dagster dev` loads the code, run workers included (they inherit its
        # environment): parsing only when a dbt file changed saves each of them ~10 s, and keeps
        # them from rewriting the manifest while another process reads it. Outside `dagster dev`
        # nothing is parsed, so the dbt files are not even looked at.
        if self.using_dagster_dev() and not manifest_is_current(project):
            super().prepare_if_dev(project)

    def prepare(self, project: DbtProject) -> None:
        dbt = RetailDbtCli(project_dir=project, target=PREPARED_TARGET, dbt_executable=dbt_executable())
        dbt.cli(["parse", "--quiet"], target_path=project.target_path).wait()


DBT_SOURCES = ("models", "macros", "tests", "snapshots", "seeds", "dbt_project.yml", "profiles.yml")


def manifest_is_current(project: DbtProject) -> bool:
    """The manifest exists and is newer than every file it is parsed from."""
    manifest = Path(project.manifest_path)
    if not manifest.exists():
        return False
    root = Path(project.project_dir)
    sources = (p for name in DBT_SOURCES for p in [root / name, *(root / name).rglob("*")] if p.is_file())
    built = manifest.stat().st_mtime
    return all(p.stat().st_mtime <= built for p in sources)


retail_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class DbtManifestMissing(FileNotFoundError):
    """The dbt manifest has not been prepared."""


def prepared_manifest() -> Path:
    """The manifest to build the dbt assets from; parsed now under ``dagster dev``, else a clear
    error naming the command that prepares it."""
    RetailDbtPreparer().prepare_if_dev(retail_dbt_project)
    path = retail_dbt_project.manifest_path
    if not path.exists():
        raise DbtManifestMissing(
            f"dbt manifest not found at {path}. Prepare it once after changing the dbt project: "
            "`make prepare` (dagster-dbt project prepare-and-package --file retail_platform/warehouse/project.py); "
            "`make dev` / `dagster dev` prepare it on the fly."
        )
    return path
