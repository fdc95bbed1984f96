"""The report in a real headless Chromium (Debian's package, driven by playwright): it loads with no console errors,
the plots render, the overview table sorts and filters, a model named like a script stays text, and a screenshot is
kept under reports/test-artifacts/. Outside CI it skips, saying why, when the browser is missing; with CI=true it runs.
"""

import os
import shutil
from pathlib import Path

import pytest

from mbench.report.build import render_report
from mbench.results import Measurement
from mbench.spec import Status
from mbench.store import Store

CHROMIUM = os.environ.get("MBENCH_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "reports" / "test-artifacts"
EVIL = "<script>alert('x')</script>"


def _require_browser() -> None:
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install -e '.[test]')")
    if not Path(CHROMIUM).is_file():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium, or set MBENCH_CHROMIUM)")
    if missing and os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true, so the browser test must run, but it lacks " + " and ".join(missing))
    if missing:
        pytest.skip("no headless browser here: missing " + " and ".join(missing))


@pytest.fixture(scope="module")
def chromium() -> str:
    _require_browser()  # before the database is built, so a skip is quick
    return CHROMIUM


@pytest.fixture(scope="module")
def report(chromium, profiled_db, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    shutil.copy(profiled_db, folder / "r.db")
    with Store(folder / "r.db") as store:
        run = store.runs().run_id.iloc[-1]
        store.append(
            run,
            [
                Measurement(
                    EVIL, "onnx", "fp32", "host", "latency", None, "", Status.FAILED, "<img src=x onerror=alert(1)>"
                )
            ],
        )
        return render_report(store, folder / "index.html", pairs=[("test-tiny", EVIL)])


@pytest.fixture(scope="module")
def browser_page(chromium, report):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems = []
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("request", lambda r: r.url.startswith("file:") or problems.append(f"network: {r.url}"))
        page.goto(report.as_uri())
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
        yield page, problems
        browser.close()


def test_loads_without_errors_and_the_plots_render(browser_page):
    page, problems = browser_page
    expected = page.locator("script[data-plot]").count()
    assert expected >= 3  # size vs latency, the Pareto front, latency distributions
    page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {expected}")
    assert page.locator(".js-plotly-plot").count() == expected
    assert page.locator("#plot-distributions .boxlayer .trace").count() == 3  # onnx, tflite, pytorch samples
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
    assert problems == []


def _column(page, title: str) -> list[str]:
    index = page.locator("#comparison-table thead th").all_inner_texts().index(title)
    cells = page.locator(f"#comparison-table tbody tr:not([hidden]) td:nth-child({index + 1})")
    return [c.strip() for c in cells.all_inner_texts()]


def test_the_overview_table_sorts_by_number(browser_page):
    page, problems = browser_page
    header = page.locator("#comparison-table thead th", has_text="median (ms)")
    header.click()
    values = [float(v) for v in _column(page, "median (ms)") if v != "—"]
    assert len(values) >= 3 and values == sorted(values)
    assert _column(page, "median (ms)")[-1] == "—"  # rows without a number go last
    header.click()
    values = [float(v) for v in _column(page, "median (ms)") if v != "—"]
    assert values == sorted(values, reverse=True) and header.get_attribute("data-sort") == "desc"
    assert problems == []


def test_the_overview_table_filters(browser_page):
    page, problems = browser_page
    total = page.locator("#comparison-table tbody tr").count()
    page.select_option("[data-filters='comparison-table'] label:has-text('format') select", "tflite")
    assert set(_column(page, "format")) == {"tflite"}
    assert page.inner_text("[data-filters='comparison-table'] .count") == f"1 of {total} rows shown"
    page.select_option("[data-filters='comparison-table'] label:has-text('format') select", "")
    page.fill("[data-filters='comparison-table'] input", "coreml")
    assert set(_column(page, "format")) == {"coreml"}
    page.fill("[data-filters='comparison-table'] input", "")
    assert page.locator("#comparison-table tbody tr:not([hidden])").count() == total
    assert problems == []


def test_script_names_render_as_text(browser_page):
    page, problems = browser_page
    assert EVIL in page.inner_text("#failures-list")
    assert "<img src=x onerror=alert(1)>" in page.inner_text("#failures-list")
    assert f"test-tiny and {EVIL} have no successful measurements yet." in page.inner_text("#headlines")
    assert page.locator("#failures-list img").count() == 0
    assert problems == []


def test_identical_not_run_rows_are_one_line_that_expands_on_click(browser_page):
    page, problems = browser_page
    group = page.locator("#failures-table tr.group")
    assert group.count() == 1 and "not_run rows (coreml; test-tiny)" in group.inner_text()
    members = page.locator(f"#failures-table tr[data-member='{group.get_attribute('data-group')}']")
    assert members.count() >= 2 and not any(m.is_visible() for m in members.all())
    group.click()
    assert all(m.is_visible() for m in members.all())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#failures-list").screenshot(path=str(ARTIFACTS / "failures-expanded.png"))
    group.click()
    assert not any(m.is_visible() for m in members.all())
    assert problems == []


def test_pareto_points_are_labelled_and_versions_are_a_table(browser_page):
    page, problems = browser_page
    labels = page.locator("#plot-pareto .textpoint").all_text_contents()
    assert any(t.startswith("test-tiny ") for t in labels)
    assert page.locator("#context-table table.kv tr").count() >= 2
    assert "{" not in page.inner_text("#context-table")
    assert problems == []
