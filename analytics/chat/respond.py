"""The templated answer: short sentences per intent, written only from the facts (numbers as their displays).

The template is always written; the language model's text replaces it only when the guard accepts it, so the
template is what the assistant says whenever the model is missing, slow or wrong.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from analytics.chat.facts import Fact, Parse

__all__ = ["ResponseGenerator"]


def _scope(filters: Mapping[str, str]) -> str:
    names = [str(v) for k, v in filters.items() if k != "customer_id" and v]
    return f" for {' · '.join(names)}" if names else ""


def _span(fact: Fact) -> str:
    if not fact.period:
        return ""
    start, end = fact.period
    return f" on {start}" if start == end else f" from {start} to {end}"


def _range(fact: Fact) -> str:
    return f"{fact.period[0]} to {fact.period[1]}" if fact.period else ""


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


# KPI key -> its name in the facts (analytics.chat.answers.kpi.KPI_FACTS)
_NAMES = {"revenue": "revenue", "orders": "orders", "active_customers": "active customers",
          "aov": "average order value", "churn_rate": "churn rate"}


class ResponseGenerator:
    """Writes the templated answer for a parse from its facts (``template``), plus the messages the assistant
    needs when it cannot answer (``not_ready``, ``no_data``, ``unknown``)."""

    def template(self, parse: Parse, facts: Sequence[Fact], extra: Mapping[str, Any] | None = None,
                 table: Sequence[Mapping[str, Any]] = ()) -> str:
        """The answer in a few sentences; every number in it is a fact's display."""
        by_name = {f.name: f for f in facts}
        extra = dict(extra or {})
        writer = getattr(self, f"_{parse.intent}", None)
        if parse.intent == "explain":
            writer = (self._explain_customer if "customer_id" in extra else self._explain_change
                      if "contributors" in extra else self._explain_drivers)
        if writer is None:
            return self.unknown(extra.get("capabilities", ""))
        return writer(by_name, extra, table)

    # -- per intent -------------------------------------------------------------------------------------------------
    def _kpi(self, facts: dict[str, Fact], extra, table) -> str:
        focus = extra.get("focus", "revenue")
        main = facts.get(focus) or facts["revenue"]
        verb = "were" if main.name in ("orders", "units", "active customers") else "was"
        text = f"{_sentence(main.name)}{_scope(main.filters)} {verb} {main.display}{_span(main)}"
        change, previous = facts.get(f"{focus} change"), facts.get(f"{focus} (previous period)")
        if change is not None and previous is not None:
            direction = "up" if change.value > 0 else "down" if change.value < 0 else "flat"
            text += f", {direction} {change.display.lstrip('-')} on the previous period ({previous.display})"
        others = [f"{name} {facts[name].display}" for name in ("orders", "active customers", "average order value",
                                                              "churn rate") if name in facts and name != focus]
        text += ". " + _sentence(", ".join(others)) + "." if others else "."
        if extra.get("dimension") and table:
            dim = extra["dimension"]
            parts = [f"{f.filters[dim]} {f.display}" for f in facts.values() if " · " in f.name and dim in f.filters]
            text += f" By {dim}: " + ", ".join(parts) + "."
        return text

    def _forecast(self, facts: dict[str, Fact], extra, table) -> str:
        metric = extra.get("metric", "revenue")
        total = facts[f"forecast {metric} total"]
        lo80, hi80 = facts[f"forecast {metric} total lower 80%"], facts[f"forecast {metric} total upper 80%"]
        lo95, hi95 = facts[f"forecast {metric} total lower 95%"], facts[f"forecast {metric} total upper 95%"]
        per_day = facts[f"forecast {metric} per day"]
        return (f"{_sentence(metric)}{_scope(total.filters)} is forecast at {total.display} over the next "
                f"{facts['horizon'].display}{_span(total)}, about {per_day.display} a day. Summing the daily "
                f"intervals gives {lo80.display} to {hi80.display} (80%) and {lo95.display} to {hi95.display} (95%).")

    def _churn(self, facts: dict[str, Fact], extra, table) -> str:
        rate, base, auc = facts["churn rate"], facts["churn model base rate"], facts["churn model AUC"]
        text = (f"The churn rate{_scope(rate.filters)} was {rate.display}{_span(rate)}. The churn model's base rate "
                f"is {base.display} and its out-of-time AUC is {auc.display}.")
        drivers = extra.get("drivers") or []
        if drivers:
            text += f" Its strongest drivers: {', '.join(drivers)}."
        if table:
            shown = {f.filters.get("customer_id"): f.display for n, f in facts.items() if n.startswith("churn prob")}
            listed = ", ".join(f"{row['customer']} ({shown.get(str(row['customer']), '')})" for row in table)
            text += f" The {len(table)} customers to act on first: {listed}."
        return text

    def _explain_customer(self, facts: dict[str, Fact], extra, table) -> str:
        customer = facts["customer"].display
        who = f"{facts['segment'].display}, {facts['region'].display}"
        text = f"Customer {customer} ({who}) is {facts['status'].display}."
        if "churn probability" in facts:
            risk = f" ({facts['risk'].display} risk)" if "risk" in facts else ""
            text += (f" Their churn probability is {facts['churn probability'].display}{risk} against a base rate "
                     f"of {facts['churn model base rate'].display}.")
        reasons = [facts[name].display for name in sorted(facts) if name.startswith("reason ")]
        if reasons:
            text += " The model's reasons: " + "; ".join(reasons) + "."
        return text

    def _explain_change(self, facts: dict[str, Fact], extra, table) -> str:
        now, before, change = facts["revenue"], facts["revenue (previous period)"], facts["revenue change"]
        direction = "rose" if change.value > 0 else "fell" if change.value < 0 else "stayed"
        text = (f"Revenue{_scope(now.filters)} {direction} to {now.display} ({_range(now)}) from {before.display} "
                f"({_range(before)})")
        relative = facts.get("revenue change %")
        sign = "+" if change.value > 0 else ""
        text += f", {change.display} ({sign}{relative.display})." if relative else f", {change.display}."
        for dim, members in (extra.get("contributors") or {}).items():
            parts = [f"{m} {facts[f'revenue change · {m}'].display}" for m in members]
            if parts:
                text += f" Largest changes by {dim}: {', '.join(parts)}."
        return text

    def _explain_drivers(self, facts: dict[str, Fact], extra, table) -> str:
        drivers = extra.get("drivers") or []
        text = f"The churn model's strongest drivers are {', '.join(drivers)}." if drivers else ""
        ratios = [f for name, f in facts.items() if name.startswith("hazard ratio · ")]
        if ratios:
            text += " In the Cox model, " + ", ".join(
                f"{f.name.split(' · ', 1)[1]} multiplies the hazard by {f.display}" for f in ratios) + "."
        return text.strip() or "The churn model has no drivers to report."

    def _retention(self, facts: dict[str, Fact], extra, table) -> str:
        shares = [f"{f.display} after {f.name.split('after ', 1)[1]}" for n, f in facts.items()
                  if n.startswith("retention after")]
        text = ""
        if shares:
            listed = ", ".join(shares[:-1]) + (" and " if len(shares) > 1 else "") + shares[-1]
            text = f"Of a signup cohort, on average {listed} were still buying."
        median, year = facts.get("median customer lifetime"), facts.get("survival after one year")
        who = f" for {extra['member']}" if extra.get("member") else ""
        if median is not None:
            text += f" The median customer lifetime{who} is {median.display}"
            text += f", and {year.display} are still subscribed after one year." if year else "."
        return text.strip()

    def _clv(self, facts: dict[str, Fact], extra, table) -> str:
        by = extra.get("by", "segment")
        parts = []
        for row in table:
            name = str(row[by])
            total, mean = facts[f"total CLV · {name}"], facts.get(f"average CLV · {name}")
            parts.append(f"{name} {total.display}" + (f" ({mean.display} per customer)" if mean else ""))
        horizon = facts["CLV horizon"].display
        return f"Lifetime value of active customers over the next {horizon} by {by.replace('_', ' ')}: " + \
            "; ".join(parts) + "."

    def _segment(self, facts: dict[str, Fact], extra, table) -> str:
        parts = [f"{name} {facts[f'share of customers · {name}'].display} of customers and "
                 f"{facts[f'share of value · {name}'].display} of value" for name in extra.get("segments", ())]
        return f"The {len(parts)} RFM segments: " + "; ".join(parts) + "."

    def _compare(self, facts: dict[str, Fact], extra, table) -> str:
        first, second = extra["pair"]
        sentences = []
        for key in extra.get("keys", ()):
            name = _NAMES[key]
            a, b = facts[f"{name} · {first}"], facts[f"{name} · {second}"]
            line = f"{name} {a.display} for {first} against {b.display} for {second}"
            difference = facts.get(f"{name} difference")
            if difference is not None:
                line += f" ({'+' if difference.value > 0 else ''}{difference.display})"
            sentences.append(line)
        return _sentence("; ".join(sentences)) + "."

    def _anomaly(self, facts: dict[str, Fact], extra, table) -> str:
        count, checked = facts["unusual days"], facts["days checked"]
        text = f"{count.display} of {checked.display} days{_scope(count.filters)}{_span(count)} had unusual revenue"
        if table:
            days = []
            for row in table:
                day = row["date"]
                actual, expected = facts["revenue on " + day], facts["expected revenue on " + day]
                days.append(f"{day} ({actual.display} against a usual {expected.display})")
            text += ": " + ", ".join(days)
        return text + f". Method: {extra.get('method', '')}."

    def _health(self, facts: dict[str, Fact], extra, table) -> str:
        return "System health: " + "; ".join(f"{f.name} {f.display}" for f in facts.values()) + "."

    def _navigate(self, facts, extra, table) -> str:
        text = f"Opening the {extra.get('page', 'Overview')} page{_scope(extra.get('scope') or {})}."
        headline = extra.get("headline")
        return f"{text} {getattr(self, '_' + headline)(facts, extra, table)}" if headline and facts else text

    def _help(self, facts, extra, table) -> str:
        return f"I can answer questions about {extra.get('capabilities', 'your data')}. Try one of the suggestions."

    # -- when there is no answer -----------------------------------------------------------------------------------
    def unknown(self, capabilities: str) -> str:
        """Said for a question out of scope (nothing in it is run)."""
        return (f"I did not understand that as a question about your data. I can answer questions about "
                f"{capabilities}. Try one of the suggestions.")

    def not_ready(self, what: str) -> str:
        """Said while a result is being computed."""
        return f"I am computing the {what} right now; ask again in a minute."

    def no_data(self, why: str) -> str:
        """Said when the question is understood but there is nothing to answer it from."""
        return f"I cannot answer that from the data: {why}."
