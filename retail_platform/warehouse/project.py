"""The dbt project as Dagster sees it.

The manifest is prepared at build/deploy time (``make prepare`` = ``dagster-dbt project
prepare-and-package --file retail_platform/warehouse/project.py``) and parsed on the fly only
under ``dagster dev`` / ``dg dev`` (``prepare_if_dev``, called when the dbt definitions load).
The profile's default target (``local``) is the one the manifest is parsed with; each deployment's
``DbtCliResource`` names the target it runs (``deployments.py``).
"""

import sys
from pathlib import Path

from dagster_dbt import DagsterDbtProjectPreparer, DbtCliResource, DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"


def dbt_executable() -> str:
    """dbt from this interpreter's environment, even when its bin folder is not on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


class RetailDbtPreparer(DagsterDbtProjectPreparer):
    """``dbt parse`` with the dbt of this environment (the default preparer looks for ``dbt`` on
    PATH, which an unactivated virtualenv's ``dg``/``dagster dev`` doesn't have). The project has
    no packages to install."""

    def prepare_if_dev(self, project: DbtProject) -> None:
        # Every process of `dagster dev` loads the code, run workers included (they inherit its
        # environment): parsing only when a dbt file changed saves each of them ~10 s, and keeps
        # them from rewriting the manifest while another process reads it.
        if not manifest_is_current(project):
            super().prepare_if_dev(project)

    def prepare(self, project: DbtProject) -> None:
        dbt = DbtCliResource(project_dir=project, dbt_executable=dbt_executable())
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
