"""Twenty handmade questions with their facts and templated answers (in the shape the assistant builds them) for
tuning the prompt and comparing the local models. Written for this benchmark, not taken from the parser's question
set (``tests/analytics/chat/questions*.jsonl``), so the prompt is not tuned on what the parser is scored on."""
from __future__ import annotations

from analytics.chat import Fact, Parse

__all__ = ["CASES"]

M24 = ("2026-03-01", "2026-03-31")
Q1 = ("2026-01-01", "2026-03-31")
NEXT30 = ("2026-04-01", "2026-04-30")
L30 = ("2026-03-02", "2026-03-31")


def _case(question: str, intent: str, template: str, *facts: tuple) -> tuple[Parse, tuple[Fact, ...], str]:
    built = tuple(Fact(name, value, unit, display, period, dict(filters)) for name, value, unit, display, period,
                  filters in facts)
    return Parse(intent, {}, 0.9, question), built, template


CASES = (
    _case("what was revenue in march", "kpi", "Revenue was $1.2M from 2026-03-01 to 2026-03-31.",
          ("revenue", 1204330.5, "currency", "$1.2M", M24, {})),
    _case("how many orders did EMEA have last month", "kpi", "EMEA had 8,912 orders from 2026-03-01 to 2026-03-31.",
          ("orders", 8912, "count", "8,912", M24, {"region": "EMEA"})),
    _case("average order value for SMB customers", "kpi",
          "The average order value for SMB was $134.52 over the last 30 days (2026-03-02 to 2026-03-31).",
          ("average order value", 134.52, "currency", "$134.52", L30, {"segment": "SMB"})),
    _case("active customers in APAC", "kpi", "APAC had 3,405 active customers in the last 30 days.",
          ("active customers", 3405, "count", "3,405", L30, {"region": "APAC"})),
    _case("units sold in electronics in Q1", "kpi", "Electronics sold 41,870 units from 2026-01-01 to 2026-03-31.",
          ("units", 41870, "count", "41,870", Q1, {"category": "Electronics"})),
    _case("forecast revenue next month", "forecast",
          "Revenue is forecast at $1.3M for 2026-04-01 to 2026-04-30 (80% interval $1.1M to $1.5M).",
          ("forecast revenue", 1312000, "currency", "$1.3M", NEXT30, {}),
          ("lower bound (80%)", 1105000, "currency", "$1.1M", NEXT30, {}),
          ("upper bound (80%)", 1518000, "currency", "$1.5M", NEXT30, {})),
    _case("how many orders will LATAM get in the next 30 days", "forecast",
          "LATAM is forecast to place 2,140 orders from 2026-04-01 to 2026-04-30.",
          ("forecast orders", 2140, "count", "2,140", NEXT30, {"region": "LATAM"})),
    _case("what is the churn rate", "churn", "The churn rate is 4.3% over the last 90 days.",
          ("churn rate", 0.043, "percent", "4.3%", ("2026-01-01", "2026-03-31"), {})),
    _case("churn rate for enterprise customers", "churn",
          "Enterprise customers churn at 2.1%, against 4.3% overall.",
          ("churn rate", 0.021, "percent", "2.1%", None, {"segment": "Enterprise"}),
          ("churn rate (all customers)", 0.043, "percent", "4.3%", None, {})),
    _case("how many customers are at risk", "churn", "412 customers have a churn probability of 50% or more.",
          ("customers at risk", 412, "count", "412", None, {}),
          ("risk threshold", 0.5, "percent", "50%", None, {})),
    _case("what is the average customer lifetime value", "clv", "The average customer lifetime value is $842.",
          ("average CLV", 842.1, "currency", "$842", None, {})),
    _case("clv of premium plan customers", "clv", "Premium customers have an average lifetime value of $1,530.",
          ("average CLV", 1530.4, "currency", "$1,530", None, {"plan": "Premium"})),
    _case("which segment spends the most", "segment",
          "Enterprise spends the most: $612 per customer, then SMB at $288.",
          ("spend per customer", 612.0, "currency", "$612", L30, {"segment": "Enterprise"}),
          ("spend per customer", 288.0, "currency", "$288", L30, {"segment": "SMB"})),
    _case("compare revenue in north america and emea", "compare",
          "North America had $684K of revenue and EMEA $402K from 2026-03-01 to 2026-03-31.",
          ("revenue", 684200, "currency", "$684K", M24, {"region": "North America"}),
          ("revenue", 402100, "currency", "$402K", M24, {"region": "EMEA"})),
    _case("web vs mobile orders in march", "compare",
          "Web had 5,102 orders and Mobile 3,377 from 2026-03-01 to 2026-03-31.",
          ("orders", 5102, "count", "5,102", M24, {"channel": "Web"}),
          ("orders", 3377, "count", "3,377", M24, {"channel": "Mobile"})),
    _case("why did revenue drop in march", "explain",
          "Revenue fell $96K (-7.4%) from February to March; APAC explains $61K of the drop.",
          ("revenue change", -96000, "currency", "-$96K", M24, {}),
          ("revenue change", -0.074, "percent", "-7.4%", M24, {}),
          ("revenue change", -61000, "currency", "-$61K", M24, {"region": "APAC"})),
    _case("why is customer 1042 high risk", "explain",
          "Customer 1042 has a 78% churn risk, mostly because of 64 days since the last order.",
          ("churn probability", 0.78, "percent", "78%", None, {"customer": "1042"}),
          ("days since last order", 64, "days", "64", None, {"customer": "1042"})),
    _case("is the system healthy", "health",
          "The store is reachable; dataset version 7 is complete through 2026-03-31.",
          ("dataset version", 7, "count", "7", None, {}),
          ("last complete day", "2026-03-31", "text", "2026-03-31", None, {})),
    _case("revenue for retail in sports last month", "kpi",
          "Retail sold $58,210 of Sports products from 2026-03-01 to 2026-03-31.",
          ("revenue", 58210, "currency", "$58,210", M24, {"channel": "Retail", "category": "Sports"})),
    _case("what share of revenue comes from partner", "kpi",
          "Partner brought 12.5% of revenue ($150K) from 2026-03-01 to 2026-03-31.",
          ("revenue share", 0.125, "percent", "12.5%", M24, {"channel": "Partner"}),
          ("revenue", 150500, "currency", "$150K", M24, {"channel": "Partner"})),
)
