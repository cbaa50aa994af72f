"""Locust users for ``benchmarks.api``: API clients with a bearer token reading what the pages show, no think time.

    python -m locust -f benchmarks/api_locust.py --headless -u 50 -r 50 -t 30s --host http://127.0.0.1:PORT \
        --api-token TOKEN --customer-id ID --region NAME --csv out/api --only-summary
"""
from __future__ import annotations

import random

from locust import HttpUser, constant, events, task


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--api-token", default="", help="a bearer token (python -m core.users token NAME)")
    parser.add_argument("--customer-id", default="1", help="a customer id of the store")
    parser.add_argument("--region", default="EMEA", help="a region of the store, for the filtered KPIs")


# (weight, name in the statistics, path): the Overview's KPIs most often, then forecasts, retention, the data.
READS = ((4, "/kpis", "/api/v1/kpis?window=30"), (2, "/kpis?region", "/api/v1/kpis?window=7&region={region}"),
         (2, "/forecast", "/api/v1/forecast?metric=revenue&h=30"), (1, "/churn", "/api/v1/churn"),
         (1, "/customers/at-risk", "/api/v1/customers/at-risk?limit=50"),
         (1, "/customers/{id}", "/api/v1/customers/{customer}"), (1, "/clv", "/api/v1/clv?by=segment"),
         (1, "/versions", "/api/v1/versions?limit=20"))


class ApiClient(HttpUser):
    """One client reading in the proportions of ``READS``, with no think time (a seeded choice per client)."""

    wait_time = constant(0)

    def on_start(self) -> None:
        options = self.environment.parsed_options
        self.client.headers["Authorization"] = f"Bearer {options.api_token}"
        self.facts = {"customer": options.customer_id, "region": options.region}
        self.random = random.Random(id(self))

    @task
    def read(self) -> None:
        _weight, name, path = self.random.choices(READS, weights=[r[0] for r in READS])[0]
        self.client.get(path.format(**self.facts), name=name)
