"""The Data page in headless Chromium: sources, upload → preview → mapping → ingest, quarantine."""
from __future__ import annotations

import csv

from sqlalchemy import text

from components import ids
from tests.browser.helpers import assert_clean_console, scroll_to

HEADER = ["Customer ID", "name", "email", "signup_date", "segment", "region", "channel", "plan"]


def _customers_csv(path, store_engine, bad_region_row: int) -> tuple[int, int]:
    """A customers file with new ids, one row (1-based data row ``bad_region_row``) in an unknown region."""
    with store_engine.connect() as conn:
        first = conn.execute(text("SELECT max(customer_id) + 1 FROM customers")).scalar()
    rows = []
    for i in range(5):
        region = "Mars" if i + 1 == bad_region_row else "EMEA"
        rows.append([first + i, f"Test Person {i}", f"p{i}@example.com", "2026-10-01", "SMB", region, "Web", "Plus"])
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return first, len(rows)


def _upload(dash_duo, path) -> None:
    dash_duo.find_element(f"#{ids.DATA_UPLOAD} input[type=file]").send_keys(str(path))


def test_data_page_lists_the_store_tables(dash_duo, nf_app, store_engine):
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(dash_duo.server_url + "/data?from=test")
    dash_duo.wait_for_contains_text(f"#{ids.DATA_SOURCES}", "order_lines", timeout=15)
    with store_engine.connect() as conn:
        customers = conn.execute(text("SELECT count(*) FROM customers")).scalar()
    dash_duo.wait_for_contains_text(f"#{ids.DATA_SOURCES}", f"{customers:,}", timeout=10)  # thousands separators
    # The sample company's three source systems are listed with their status and score.
    for system in ("sample CRM", "sample ERP", "sample marketing"):
        dash_duo.wait_for_contains_text(f"#{ids.DATA_SOURCES_GRID}", system, timeout=10)
    assert_clean_console(dash_duo)


def test_upload_preview_map_ingest_and_quarantine(dash_duo, nf_app, store_engine, tmp_path):
    first, n = _customers_csv(tmp_path / "new_customers.csv", store_engine, bad_region_row=3)
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(dash_duo.server_url + "/data")
    dash_duo.wait_for_element(f"#{ids.DATA_UPLOAD}")
    _upload(dash_duo, tmp_path / "new_customers.csv")
    dash_duo.wait_for_contains_text(f"#{ids.DATA_UPLOAD_STATUS}", "new_customers.csv: 5 data rows", timeout=15)
    dash_duo.wait_for_contains_text(f"#{ids.DATA_PREVIEW}", "Test Person 0", timeout=10)
    # "Customer ID" is matched to customer_id although its name differs in case and spacing.
    dash_duo.wait_for_contains_text(f"#{ids.DATA_MAPPING}", "Customer ID", timeout=10)
    dash_duo.find_element(f"#{ids.DATA_INGEST}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.DATA_INGEST_SUMMARY}-accepted", f"{n - 1}", timeout=60)
    assert dash_duo.find_element(f"#{ids.DATA_INGEST_SUMMARY}-quarantined").text == "1"
    with store_engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM customers WHERE customer_id >= :f"), {"f": first}).scalar()
        reason, row_number = conn.execute(text(
            "SELECT reason, row_number FROM quarantine WHERE source_name = 'new_customers.csv'")).one()
    assert stored == n - 1
    assert row_number == 3 and "Mars" in reason
    dash_duo.wait_for_contains_text(f"#{ids.DATA_QUARANTINE}", "Mars", timeout=10)
    dash_duo.wait_for_contains_text(f"#{ids.DATA_SOURCES}", "new_customers.csv", timeout=10)
    # Every source is in view: the grid grows with its rows instead of hiding the newest behind a scrollbar.
    sources = dash_duo.find_elements(f"#{ids.DATA_SOURCES_GRID} .ag-center-cols-container .ag-row")
    assert len(sources) >= 4 and all(row.is_displayed() for row in sources)
    assert dash_duo.driver.execute_script(
        "const v = document.querySelector(arguments[0]); return v.scrollHeight <= v.clientHeight + 1;",
        f"#{ids.DATA_SOURCES_GRID} .ag-body-viewport")
    # After the ingest the preview and mapping are gone and Ingest is disabled: no double ingestion by accident.
    dash_duo._wait_for(lambda _: dash_duo.find_element(f"#{ids.DATA_INGEST}").get_attribute("disabled") == "true",
                       timeout=15, msg="Ingest stayed enabled after the ingest")
    assert dash_duo.find_element(f"#{ids.DATA_PREVIEW}").text == ""
    assert dash_duo.find_element(f"#{ids.DATA_MAPPING}").text == ""
    # Uploading the same file again on purpose: nothing new is written, every valid row is a duplicate.
    # (a copy: the browser fires no change event for the very same path in the same file input)
    copy = tmp_path / "new_customers_again.csv"
    copy.write_bytes((tmp_path / "new_customers.csv").read_bytes())
    _upload(dash_duo, copy)
    dash_duo.wait_for_contains_text(f"#{ids.DATA_PREVIEW}", "Test Person 0", timeout=15)
    dash_duo._wait_for(lambda _: dash_duo.find_element(f"#{ids.DATA_INGEST}").get_attribute("disabled") is None,
                       timeout=15, msg="Ingest not enabled for the new upload")
    dash_duo.find_element(f"#{ids.DATA_INGEST}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.DATA_INGEST_SUMMARY}-duplicates", f"{n - 1}", timeout=60)
    assert dash_duo.find_element(f"#{ids.DATA_INGEST_SUMMARY}-accepted").text == "0"
    assert_clean_console(dash_duo)


def test_a_binary_file_gets_a_clear_message(dash_duo, nf_app, tmp_path):
    fake = tmp_path / "report.csv"
    fake.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(dash_duo.server_url + "/data")
    dash_duo.wait_for_element(f"#{ids.DATA_UPLOAD}")
    _upload(dash_duo, fake)
    dash_duo.wait_for_contains_text(f"#{ids.DATA_UPLOAD_STATUS}", "PDF", timeout=15)
    assert "Traceback" not in dash_duo.find_element("#nf-main").text
    assert dash_duo.find_element(f"#{ids.DATA_INGEST}").get_attribute("disabled") == "true"
    assert_clean_console(dash_duo)


def test_adjusting_the_mapping_reads_day_first_dates(dash_duo, nf_app, store_engine, tmp_path):
    from selenium.webdriver.common.keys import Keys

    with store_engine.connect() as conn:
        first = conn.execute(text("SELECT max(customer_id) + 100 FROM customers")).scalar()
    path = tmp_path / "crm_export.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "email", "joined", "segment", "region", "channel", "plan"])
        writer.writerow([first, "Day First", "d@example.com", "31/10/2026", "Consumer", "APAC", "Mobile", "Basic"])
        writer.writerow([first + 1, "Day Second", "e@example.com", "01/09/2026", "Consumer", "LATAM", "Retail", "Basic"])
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(dash_duo.server_url + "/data")
    dash_duo.wait_for_element(f"#{ids.DATA_UPLOAD}")
    _upload(dash_duo, path)
    dash_duo.wait_for_contains_text(f"#{ids.DATA_PREVIEW}", "31/10/2026", timeout=15)

    def choose(column: str, source: str) -> None:
        selector = f'[id*="data-mapping-source"][id*="\\"{column}\\""]'
        dropdown = dash_duo.find_element(selector)
        scroll_to(dash_duo, dropdown)
        dropdown.click()
        # Dash 4's dropdown opens its search box focused; type to narrow the options, then pick one.
        dash_duo.driver.switch_to.active_element.send_keys(source)
        pick = ("const o = [...document.querySelectorAll('[role=option]')].find(e => e.textContent.trim() === arguments[0]);"
                "if (o) { o.click(); return true; } return false;")
        dash_duo._wait_for(lambda _: dash_duo.driver.execute_script(pick, source), timeout=5,
                           msg=f"option {source} not offered")
        dash_duo._wait_for(lambda _: source in dash_duo.find_element(selector).text, timeout=5,
                           msg=f"{column} not mapped to {source}")

    choose("customer_id", "id")
    choose("signup_date", "joined")
    date_format = dash_duo.find_element('[id*="data-mapping-format"][id*="signup_date"]')
    date_format.clear()
    date_format.send_keys("%d/%m/%Y", Keys.TAB)
    dash_duo.find_element(f"#{ids.DATA_INGEST}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.DATA_INGEST_SUMMARY}-accepted", "2", timeout=60)
    assert dash_duo.find_element(f"#{ids.DATA_INGEST_SUMMARY}-quarantined").text == "0"
    with store_engine.connect() as conn:
        signup = conn.execute(text("SELECT signup_date FROM customers WHERE customer_id = :i"), {"i": first}).scalar()
    assert str(signup)[:10] == "2026-10-31"
    assert_clean_console(dash_duo)


def test_conflicts_are_visible_and_a_source_can_be_drilled_into(dash_duo, nf_app, store_engine, tmp_path):
    with store_engine.connect() as conn:
        row = conn.execute(text(
            "SELECT customer_id, name, email, signup_date, segment, region, channel, plan FROM customers "
            "WHERE plan != 'Premium' ORDER BY customer_id LIMIT 1")).one()
    path = tmp_path / "crm_plan_changes.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "name", "email", "signup_date", "segment", "region", "channel", "plan",
                         "updated_at"])
        writer.writerow([*row[:3], str(row[3])[:10], *row[4:7], "Premium", "2026-11-20T00:00:00"])
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(dash_duo.server_url + "/data")
    dash_duo.wait_for_element(f"#{ids.DATA_UPLOAD}")
    _upload(dash_duo, path)
    dash_duo.wait_for_contains_text(f"#{ids.DATA_PREVIEW}", "Premium", timeout=15)
    dash_duo.find_element(f"#{ids.DATA_INGEST}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.DATA_INGEST_SUMMARY}-conflicts", "1", timeout=60)
    dash_duo.wait_for_contains_text(f"#{ids.DATA_CONFLICTS}", "crm_plan_changes.csv", timeout=10)
    assert "Premium" in dash_duo.find_element(f"#{ids.DATA_CONFLICTS}").text
    with store_engine.connect() as conn:
        plan = conn.execute(text("SELECT plan FROM customers WHERE customer_id = :i"), {"i": row[0]}).scalar()
    assert plan == "Premium"  # the newer updated_at won
    # Drill into the source: its detail names it and shows the newest batch's empty cells.
    dash_duo.wait_for_contains_text(f"#{ids.DATA_SOURCES}", "crm_plan_changes.csv", timeout=10)
    cell = next(c for c in dash_duo.find_elements(f"#{ids.DATA_SOURCES_GRID} .ag-cell")
                if c.text == "crm_plan_changes.csv")
    scroll_to(dash_duo, cell)
    cell.click()
    dash_duo.wait_for_contains_text(f"#{ids.DATA_DETAIL}", "Empty cells in the newest batch", timeout=10)
    assert "crm_plan_changes.csv" in dash_duo.find_element(f"#{ids.DATA_DETAIL}").text.lower()
    assert_clean_console(dash_duo)


def test_the_drilled_source_and_the_upload_entity_live_in_the_url(dash_duo, nf_app, store_engine):
    with store_engine.connect() as conn:
        source, entity = conn.execute(text(
            "SELECT source_name, entity FROM ingest_runs ORDER BY started_at, run_id LIMIT 1")).one()
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(dash_duo.server_url + f"/data?source={source}&entity={entity}&upload=orders")
    dash_duo.wait_for_contains_text(f"#{ids.DATA_DETAIL}", source, timeout=15)
    assert dash_duo.find_element(f"#{ids.DATA_ENTITY}").text.strip().startswith("orders")
    assert not dash_duo.find_element(f"#{ids.VIEW_SWITCH}").is_displayed()  # the Data page has no 3D view
    # A bookmarked source that no longer exists says so and how to go on, instead of failing.
    dash_duo.driver.get(dash_duo.server_url + "/data?source=%3Cscript%3Egone&entity=orders")
    dash_duo.wait_for_contains_text(f"#{ids.DATA_DETAIL}", "pick one in the sources grid above", timeout=15)
    # Picking a source in the grid puts it in the URL, so the view can be shared.
    cell = dash_duo.wait_for_element(f"#{ids.DATA_SOURCES_GRID} .ag-row .ag-cell")
    scroll_to(dash_duo, cell)
    cell.click()
    dash_duo._wait_for(lambda d: "source=" in d.current_url and "%3Cscript" not in d.current_url, timeout=10,
                       msg="the picked source did not reach the URL")
    assert_clean_console(dash_duo)


def test_a_file_over_the_limit_is_named_with_its_size_not_dropped(dash_duo, nf_app, tmp_path):
    big = tmp_path / "big.csv"
    with open(big, "wb") as handle:
        handle.truncate(60 * 1024 * 1024)  # 60 MB of nothing: the browser only looks at the size
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(dash_duo.server_url + "/data")
    dash_duo.wait_for_element(f"#{ids.DATA_UPLOAD}")
    _upload(dash_duo, big)
    dash_duo.wait_for_contains_text(f"#{ids.DATA_UPLOAD_STATUS}",
                                    "big.csv is 60 MB, over the 50 MB limit for one file (FORESIGHT_MAX_FILE_MB)",
                                    timeout=15)
    # The same for a corrected quarantine file.
    resubmit = dash_duo.find_element(f"#{ids.DATA_RESUBMIT} input[type=file]")
    resubmit.send_keys(str(big))
    dash_duo.wait_for_contains_text(f"#{ids.DATA_RESUBMIT_SUMMARY}", "big.csv is 60 MB, over the 50 MB limit",
                                    timeout=15)
    assert_clean_console(dash_duo)


def test_a_utf16_upload_is_told_to_choose_utf16_and_lands_once_chosen(dash_duo, nf_app, store_engine, tmp_path):
    from components.data_page import UPLOAD_ENCODING

    path = tmp_path / "excel_unicode.csv"
    first, n = _customers_csv(path, store_engine, bad_region_row=0)
    path.write_bytes(path.read_text().replace("Test Person 0", "Zoë Café").encode("utf-16"))
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(dash_duo.server_url + "/data")
    dash_duo.wait_for_element(f"#{ids.DATA_UPLOAD}")
    _upload(dash_duo, path)
    dash_duo.wait_for_contains_text(f"#{ids.DATA_UPLOAD_STATUS}", 'is UTF-16 text; choose the encoding "utf-16"',
                                    timeout=15)
    scroll_to(dash_duo, dash_duo.find_element(f"#{UPLOAD_ENCODING}"))
    dash_duo.select_dcc_dropdown(f"#{UPLOAD_ENCODING}", value="UTF-16")
    dash_duo.wait_for_contains_text(f"#{ids.DATA_PREVIEW}", "Zoë Café", timeout=15)
    dash_duo.find_element(f"#{ids.DATA_INGEST}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.DATA_INGEST_SUMMARY}-accepted", f"{n}", timeout=60)
    with store_engine.connect() as conn:
        name = conn.execute(text("SELECT name FROM customers WHERE customer_id = :i"), {"i": first}).scalar()
    assert name == "Zoë Café"
    assert_clean_console(dash_duo)


def test_a_dropped_file_of_another_type_is_named_not_dropped(dash_duo, nf_app):
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(dash_duo.server_url + "/data")
    zone = dash_duo.wait_for_element(f"#{ids.DATA_UPLOAD}")
    dash_duo.driver.execute_script(
        "const transfer = new DataTransfer();"
        "transfer.items.add(new File(['%PDF-1.7'], 'slides.pdf', {type: 'application/pdf'}));"
        "arguments[0].dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));",
        zone)
    dash_duo.wait_for_contains_text(f"#{ids.DATA_UPLOAD_STATUS}", "slides.pdf is not a file this page reads; upload "
                                    "a .csv, .tsv, .txt, .xlsx, .xlsm, .json or .jsonl file", timeout=15)
    assert_clean_console(dash_duo)
