"""`/metrics`: what a Prometheus server scraping one node sees.

Counters live in this test process for all tests, so each test compares a figure
before and after what it does, never an absolute count.
"""

from __future__ import annotations

import dataclasses

import pytest
from prometheus_client.parser import text_string_to_metric_families

from eakte import create_app
from eakte.config import Settings
from tests.api.support import search, upload_text

CASE_FILE_ROUTE = "/api/v1/case-files/<uuid:case_file_id>"


def scrape(client, **environ) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of one scrape."""
    response = client.get("/metrics", environ_base=environ)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_per_route_and_status_with_their_latency(town) -> None:
    case_file = town.case_file()
    before = scrape(town.client)
    for _ in range(3):
        assert town.anna.get(f"/case-files/{case_file['id']}").status_code == 200
    assert town.ben.get(f"/case-files/{case_file['id']}").status_code in (403, 404)
    after = scrape(town.client)

    ok = {"method": "GET", "endpoint": CASE_FILE_ROUTE, "status": "200"}
    assert (
        value(after, "eakte_http_requests_total", **ok)
        - value(before, "eakte_http_requests_total", **ok)
        == 3
    )
    denied = [
        key
        for key in after
        if key[0] == "eakte_http_requests_total"
        and dict(key[1])["endpoint"] == CASE_FILE_ROUTE
        and dict(key[1])["status"] in ("403", "404")
    ]
    assert denied, "the denied read is counted under its status"
    timing = {"method": "GET", "endpoint": CASE_FILE_ROUTE}
    assert (
        value(after, "eakte_http_request_duration_seconds_count", **timing)
        - value(before, "eakte_http_request_duration_seconds_count", **timing)
        == 4
    )
    assert value(after, "eakte_http_request_duration_seconds_sum", **timing) > value(
        before, "eakte_http_request_duration_seconds_sum", **timing
    )


def test_upload_bytes_and_queue_lags_show_up(town, ports) -> None:
    case_file = town.case_file()
    before = scrape(town.client)
    text = "Gewerbeanmeldung für den Marktstand am Rathausplatz.\n" * 40
    upload_text(town.anna, case_file["id"], text)
    after = scrape(town.client)

    assert value(after, "eakte_upload_bytes_total") - value(
        before, "eakte_upload_bytes_total"
    ) == len(text.encode())
    # No worker runs in this test: the upload waits in the outbox, its events unsealed.
    assert value(after, "eakte_outbox_pending") >= 1
    assert value(after, "eakte_audit_unsealed_events") >= 1
    assert value(after, "eakte_database_up") == 1


def test_labels_carry_routes_never_query_texts_or_names(town) -> None:
    search(town.anna, "Schwarzarbeit Meierhofer")
    town.admin.get("/principals/anna")
    text = town.client.get("/metrics").get_data(as_text=True)
    assert "Meierhofer" not in text
    assert "/principals/anna" not in text
    assert 'endpoint="/api/v1/search"' in text
    assert 'endpoint="/api/v1/principals/<username>"' in text


def test_only_the_monitoring_host_may_scrape(town) -> None:
    response = town.client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.30.40"})
    assert response.status_code == 403
    assert "EAKTE_METRICS_ALLOW" in response.get_data(as_text=True)


def test_an_allowed_network_may_scrape_and_loopback_then_may_not(app, ports) -> None:
    ports.settings = dataclasses.replace(ports.settings, metrics_allow=("10.20.0.0/16",))
    client = app.test_client()
    assert scrape(client, REMOTE_ADDR="10.20.30.40")
    assert client.get("/metrics").status_code == 403  # 127.0.0.1 is not listed any more


def test_a_bad_allow_list_is_a_configuration_error(tmp_path) -> None:
    from eakte.errors import ConfigError

    with pytest.raises(ConfigError, match="EAKTE_METRICS_ALLOW"):
        Settings.from_env(
            {"EAKTE_INSTANCE_PATH": str(tmp_path), "EAKTE_METRICS_ALLOW": "10.0.0.0/33"}
        )


def test_database_down_is_a_zero_not_a_failed_scrape(tmp_path) -> None:
    from tests.processes import free_port as closed_port  # nothing listens there

    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/eakte"
    app = create_app(
        Settings.from_env({"EAKTE_INSTANCE_PATH": str(tmp_path), "EAKTE_DATABASE_URL": url})
    )
    try:
        samples = scrape(app.test_client())
        assert value(samples, "eakte_database_up") == 0
        assert ("eakte_outbox_pending", ()) not in samples
    finally:
        app.extensions["eakte"].session_factory.kw["bind"].dispose()
