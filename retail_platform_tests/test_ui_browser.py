"""The UI as a person reads it: headless Chromium on `dagster dev`, after a backfill of every asset
for two days.

Debian's `chromium` package, driven by Playwright (`playwright install` would download a browser
from outside the package registries; `.ci/run` installs the package). Each test opens a page the
way a person gets there, asserts on what they look for, checks that no error is shown, and saves a
screenshot into `RETAIL_SCREENSHOTS_DIR` (default: a temporary folder; `docs/screenshots/` holds
the README's). Selectors are visible text and roles; the few CSS class prefixes used are Dagster's
own component names, where the UI offers no role.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from retail_platform_tests.dagster_dev import (
    BACKFILL_SUCCEEDED,
    LOCATION,
    REPO_ROOT,
    DagsterDev,
    running_dagster_dev,
)

pytestmark = pytest.mark.xdist_group("dagster_dev")

DAYS = ["2026-03-02", "2026-03-03"]
ONE_MORE_DAY = "2026-03-04"
BACKFILL_TIMEOUT = 900
# The layers a person expects as groups on the global lineage page.
LAYER_GROUPS = [
    "landing",
    "bronze",
    "silver",
    "gold",
    "warehouse",
    "staging",
    "intermediate",
    "dimensions",
    "facts",
    "marts",
]
# Dagster's error boundary, GraphQL error toast and Next.js crash page; a Python error panel.
ERROR_TEXTS = (
    "Something went wrong",
    "Unexpected GraphQL error",
    "An unexpected error",
    "Application error",
    "PythonError",
)
VIEWPORT = {"width": 1400, "height": 900}
TIMEOUT_MS = 60_000
MANIFEST = REPO_ROOT / "dbt_project" / "target" / "manifest.json"

INSTIGATORS_QUERY = """
query Instigators($selector: RepositorySelector!) {
  repositoryOrError(repositorySelector: $selector) {
    __typename
    ... on Repository {
      schedules { name scheduleState { status } }
      sensors { name sensorState { status } }
    }
  }
}
"""


@dataclass
class Backfilled:
    dev: DagsterDev
    backfill_id: str
    run_id: str
    asset_count: int


@dataclass
class UI:
    """One browser page on the running UI, with what each test needs around it."""

    page: Page
    dev: DagsterDev
    shots: Path
    errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> Page:
        self.page.goto(self.dev.url + path)
        return self.page

    def assert_no_error(self) -> None:
        body = self.page.inner_text("body")
        shown = [text for text in ERROR_TEXTS if text in body]
        assert not shown, f"the page {self.page.url} shows an error: {shown}\n{body[:3000]}"
        assert not self.errors, f"errors in the page {self.page.url}: {self.errors}"

    def screenshot(self, name: str, full_page: bool = False) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=path, full_page=full_page)
        print(f"\nscreenshot: {path}")
        return path


def chromium_path() -> str:
    path = shutil.which("chromium")
    if not path:
        pytest.fail(
            "Debian's chromium is not installed: `apt-get install -y chromium` (as `.ci/run` does). "
            "The browser test drives it through Playwright; `playwright install` is not used."
        )
    return path


@pytest.fixture(scope="module")
def screenshots_dir(tmp_path_factory) -> Iterator[Path]:
    configured = os.environ.get("RETAIL_SCREENSHOTS_DIR")
    path = Path(configured).resolve() if configured else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    yield path
    print(f"\nscreenshots in {path}: {sorted(p.name for p in path.glob('*.png'))}")


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory) -> Iterator[Backfilled]:
    """`dagster dev` on a fresh instance, every asset backfilled for `DAYS` (one backfill, as the
    UI's "Materialize all…" launches it) and every run finished."""
    if not MANIFEST.exists():
        subprocess.run(["make", "prepare"], cwd=REPO_ROOT, check=True)
    with running_dagster_dev(tmp_path_factory.mktemp("dagster_dev")) as dev:
        keys = dev.materializable_asset_keys()
        started = time.monotonic()
        backfill_id = dev.launch_backfill(keys, DAYS, title="every asset, two days")
        backfill = dev.wait_for_backfill(backfill_id, timeout=BACKFILL_TIMEOUT)
        runs = dev.backfill_runs(backfill_id)
        print(
            f"\nbackfill {backfill_id}: {backfill['status']} in {time.monotonic() - started:.0f} s, {len(runs)} run(s)"
        )
        assert backfill["status"] in BACKFILL_SUCCEEDED, f"backfill {backfill_id}: {backfill}\nruns: {runs}"
        assert [r["status"] for r in runs] == ["SUCCESS"], f"runs of backfill {backfill_id}: {runs}"
        dev.wait_until_idle()
        yield Backfilled(dev, backfill_id, runs[0]["runId"], len(keys))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()  # before `dagster dev` starts: a missing browser fails at once
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"], headless=True)
        try:
            expect.set_options(timeout=TIMEOUT_MS)
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def first_visit(browser, backfilled) -> None:
    """A person's first visit: the "Join the Dagster community" modal, skipped (the instance
    remembers it, so later pages open without it)."""
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(backfilled.dev.url + "/asset-groups")
        skip = page.get_by_role("button", name="Skip")
        try:
            skip.click(timeout=20_000)
        except PlaywrightTimeout:  # no modal: already dismissed on this instance
            pass
    finally:
        page.close()


@pytest.fixture
def ui(browser, backfilled, first_visit, screenshots_dir) -> Iterator[UI]:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    ui = UI(page, backfilled.dev, screenshots_dir)
    page.on("pageerror", lambda error: ui.errors.append(f"uncaught: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            print(f"console error on {page.url}: {message.text[:500]}")
            if "GraphQL" in message.text:
                ui.errors.append(message.text)

    page.on("console", on_console)
    # should the modal come back, it must not hide what a test looks at
    page.add_locator_handler(
        page.get_by_text("Join the Dagster community"), lambda: page.get_by_role("button", name="Skip").click()
    )
    try:
        yield ui
    finally:
        context.close()


def zoom_lineage_to_fit(page: Page, first: str, last: str) -> None:
    """Ctrl+wheel zooms at the cursor: from the left of `first`, until `last` nears the right edge."""
    start = page.get_by_text(first, exact=True).last.bounding_box()
    end = page.get_by_text(last, exact=True).last
    page.mouse.move(max(start["x"] - 15, 1), start["y"])
    for _ in range(6):
        page.keyboard.down("Control")
        page.mouse.wheel(0, -100)
        page.keyboard.up("Control")
        page.wait_for_timeout(400)
        if end.bounding_box()["x"] > VIEWPORT["width"] - 160:
            page.keyboard.down("Control")
            page.mouse.wheel(0, 100)
            page.keyboard.up("Control")
            page.wait_for_timeout(400)
            break


def select_partitions(dialog: Locator, selection: str) -> None:
    """Type a partition selection into the launch dialog, as a person does."""
    show_all = dialog.get_by_text("Show all partitions")
    typed = dialog.get_by_placeholder(re.compile(r"^ex: "))
    expect(show_all.or_(typed).first).to_be_visible()
    if show_all.is_visible():  # the days are older than the dialog's default window (the last 90 days)
        show_all.click()
    typed.fill(selection)
    typed.press("Enter")


def test_the_global_lineage_shows_every_layer_group(ui, backfilled):
    page = ui.open("/asset-groups")
    expect(page.get_by_text("Global asset lineage")).to_be_visible()
    groups = sorted({n["groupName"] for n in backfilled.dev.asset_nodes()})
    assert set(LAYER_GROUPS) <= set(groups), f"asset groups: {groups}"
    for group in groups:  # in the sidebar's list and as a (collapsed) node of the graph
        expect(page.get_by_role("button", name=group)).to_be_visible()
        expect(page.get_by_text(group, exact=True).last).to_be_visible()
    page.get_by_role("button", name="Hide navigation").click()
    page.locator("button:has([aria-label=panel_show_right])").last.click()  # hide the group list
    for group in groups:
        expect(page.get_by_text(group, exact=True).last).to_be_visible()
    zoom_lineage_to_fit(page, "landing", "marts")
    ui.assert_no_error()
    ui.screenshot("lineage")


def test_materialize_all_offers_a_backfill_of_every_asset_over_a_range(ui, backfilled):
    page = ui.open("/asset-groups")
    page.get_by_role("button", name="Materialize all…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text(f"Launch runs to materialize {backfilled.asset_count} assets")).to_be_visible()
    select_partitions(dialog, f"[{DAYS[0]}...{DAYS[-1]}]")
    expect(dialog.get_by_text(f"{len(DAYS)} partitions", exact=True)).to_be_visible()
    expect(dialog.get_by_role("button", name="Launch backfill")).to_be_enabled()
    ui.assert_no_error()
    ui.screenshot("launch_backfill")
    dialog.get_by_role("button", name="Cancel", exact=True).click()
    expect(dialog).to_have_count(0)


def test_the_backfill_page_shows_it_completed(ui, backfilled):
    page = ui.open("/runs")
    page.get_by_role("tab", name="Backfills").click()
    page.get_by_role("link", name=backfilled.backfill_id).first.click()
    expect(page).to_have_url(re.compile(f"/runs/b/{backfilled.backfill_id}"))
    expect(page.get_by_text("Status", exact=True).locator("..")).to_contain_text("Succeeded")
    expect(page.get_by_text(re.compile(rf"{DAYS[0]}\s*(\.\.\.|…)\s*{DAYS[-1]}"))).to_be_visible()
    expect(page.get_by_text("landing / orders", exact=True).first).to_be_visible()
    progress = page.get_by_text(re.compile(r"^\d+% completed$"))  # the rows in view (the table is virtualized)
    expect(progress.first).to_be_visible()
    assert set(progress.all_inner_texts()) == {"100% completed"}, progress.all_inner_texts()
    ui.assert_no_error()
    ui.screenshot("backfill")


def test_the_backfill_run_page_shows_success(ui, backfilled):
    page = ui.open(f"/runs/b/{backfilled.backfill_id}")
    page.get_by_role("tab", name="Runs").click()
    page.get_by_role("link", name=backfilled.run_id[:8]).first.click()
    expect(page).to_have_url(re.compile(f"/runs/{backfilled.run_id}"))
    expect(page.get_by_text("Success", exact=True).first).to_be_visible()
    expect(page.get_by_text(f"{backfilled.asset_count} assets", exact=True).first).to_be_visible()
    expect(page.get_by_text("Errored (0)")).to_be_visible()
    expect(page.get_by_text("RUN_SUCCESS", exact=True)).to_be_visible()
    ui.assert_no_error()
    ui.screenshot("run")


def test_the_partitions_of_silver_orders_show_the_backfilled_days(ui, backfilled):
    page = ui.open("/assets/silver/orders")
    page.get_by_role("tab", name="Partitions").click()
    expect(page.get_by_text(f"Materialized ({len(DAYS)})", exact=True)).to_be_visible()
    expect(page.get_by_text("Failed (0)", exact=True)).to_be_visible()
    page.get_by_text(re.compile(r"^Missing \(")).click()  # show only what exists
    expect(page.get_by_text(f"{len(DAYS)} Partitions Selected")).to_be_visible()
    for day in DAYS:
        expect(page.get_by_text(day, exact=True).first).to_be_visible()
    page.get_by_text(DAYS[-1], exact=True).first.click()
    expect(page.get_by_text("Materialized", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=backfilled.run_id[:8])).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^dagster\/row_count"))).to_be_visible()
    ui.assert_no_error()
    ui.screenshot("partitions")


def test_the_checks_tab_shows_the_blocking_checks_passed_per_day(ui, backfilled):
    key = ["silver", "pos_transaction_lines"]
    blocking = sorted(c["name"] for c in backfilled.dev.asset_checks(key) if c["blocking"])
    assert "row_conservation" in blocking, blocking
    page = ui.open("/assets/" + "/".join(key))
    page.get_by_role("tab", name="Checks").click()
    for name in blocking:
        row = page.locator("[class*=checkRow]").filter(has=page.get_by_text(name, exact=True))
        expect(row).to_contain_text("Succeeded")
    page.locator("[class*=checkRow]").filter(has=page.get_by_text("row_conservation", exact=True)).click()
    page.get_by_role("tab", name="Execution history").click()
    for day in DAYS:
        expect(page.get_by_role("row", name=re.compile(day))).to_contain_text("Passed")
    ui.assert_no_error()
    ui.screenshot("checks")


def test_a_days_quarantine_is_in_the_partition_metadata_and_the_lake(ui, backfilled):
    page = ui.open("/assets/silver/pos_transaction_lines")
    page.get_by_role("tab", name="Partitions").click()
    page.get_by_placeholder(re.compile(r"^Filter by name")).fill(DAYS[-1])
    page.get_by_text(DAYS[-1], exact=True).first.click()

    def value(name: str) -> str:
        row = page.get_by_role("row", name=re.compile(rf"^{name}\b"))
        expect(row).to_be_visible()
        return row.inner_text().removeprefix(name).strip()

    quarantined = int(value("rows_quarantined"))
    uri = value("quarantine_uri").replace("\n", "")
    assert f"silver/_quarantine/pos_transaction_lines/dt={DAYS[-1]}/" in uri, uri
    rejected = pl.read_parquet(uri)
    assert quarantined > 0 and rejected.height == quarantined, (quarantined, rejected.height)
    # the reasons table counts the day's quarantined rows by their first reason, without the value
    first_reason = pl.col("_quarantine_reason").str.split("; ").list.first().str.replace(r": .*$", "")
    in_lake = dict(rejected.group_by(first_reason).len().iter_rows())
    reasons = page.get_by_role("row", name=re.compile(r"^quarantine_reasons\b")).get_by_role("row")
    expect(reasons.first).to_be_visible()
    shown = {}
    for row in reasons.all()[1:]:  # after the header
        reason, rows = row.get_by_role("cell").all_inner_texts()
        shown[reason.strip()] = int(rows)
    assert shown and all(in_lake.get(reason) == rows for reason, rows in shown.items()), (shown, in_lake)
    page.get_by_role("row", name=re.compile(r"^rows_quarantined\b")).evaluate(
        "row => row.scrollIntoView({block: 'start'})"
    )
    ui.assert_no_error()
    ui.screenshot("quarantine")


def test_the_automation_page_turns_the_daily_schedule_on_and_off(ui, backfilled):
    dev = backfilled.dev

    def states() -> dict[str, str]:
        selector = {"repositoryName": dev.repository, "repositoryLocationName": LOCATION}
        repo = dev.graphql(INSTIGATORS_QUERY, {"selector": selector})["repositoryOrError"]
        assert repo["__typename"] == "Repository", repo
        return {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]} | {
            s["name"]: s["sensorState"]["status"] for s in repo["sensors"]
        }

    page = ui.open("/automation")

    def switch(name: str) -> tuple[Locator, Locator]:
        row = page.locator("[class*=VirtualizedTable_row]").filter(has=page.get_by_text(name, exact=True))
        return row.locator("label[class*=formatSwitch]"), row.locator("[class*=formatSwitch] input")

    before = states()
    for name in ("retail_daily_schedule", "landing_files_sensor", "retail_automation"):
        _, state = switch(name)
        if before[name] == "RUNNING":
            expect(state).to_be_checked()
        else:
            expect(state).not_to_be_checked()
    toggle, state = switch("retail_daily_schedule")
    if before["retail_daily_schedule"] == "RUNNING":  # stopped locally by default; start from off
        toggle.click()
        dev.wait_until("the schedule to stop", lambda: states()["retail_daily_schedule"] == "STOPPED", timeout=30)
    toggle.click()
    expect(state).to_be_checked()
    dev.wait_until("the schedule to run", lambda: states()["retail_daily_schedule"] == "RUNNING", timeout=30)
    ui.assert_no_error()
    ui.screenshot("automation")
    toggle.click()  # leave the instance as the fixture found it
    expect(state).not_to_be_checked()
    dev.wait_until("the schedule to stop", lambda: states()["retail_daily_schedule"] == "STOPPED", timeout=30)
    if before["retail_daily_schedule"] == "RUNNING":
        toggle.click()


def test_materialize_one_day_of_one_asset_from_its_page(ui, backfilled):
    """The asset page's "Materialize…": one more day of `landing/stores`, launched by the button."""
    dev = backfilled.dev
    page = ui.open("/assets/landing/stores")
    page.get_by_role("button", name="Materialize…").first.click()
    dialog = page.get_by_role("dialog")
    select_partitions(dialog, ONE_MORE_DAY)
    expect(dialog.get_by_text("1 partition", exact=True)).to_be_visible()
    ui.assert_no_error()
    ui.screenshot("materialize_a_day")
    dialog.get_by_role("button", name="Launch 1 run").click()

    def launched() -> list[dict]:
        return dev.runs({"tags": [{"key": "dagster/partition", "value": ONE_MORE_DAY}]})

    runs = dev.wait_until(f"a run for {ONE_MORE_DAY}", launched, timeout=60)
    assert [[k["path"] for k in r["assetSelection"]] for r in runs] == [[["landing", "stores"]]], runs
    run = dev.wait_for_run(runs[0]["runId"])
    assert run["status"] == "SUCCESS", run
    page.get_by_role("tab", name="Partitions").click()
    expect(page.get_by_text(f"Materialized ({len(DAYS) + 1})", exact=True)).to_be_visible()
    ui.assert_no_error()
