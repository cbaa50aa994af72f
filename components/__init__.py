"""Pure layout and figure builders: data in, component trees or Plotly figures out.

Shared by every page: ``primitives`` (cards, stat tiles, segmented controls, the figure basics), ``charts``
(a Graph with its CSV export), ``ids`` (every id, and the helpers that derive child ids), ``theme``, ``format``,
``glossary``, ``grid``, ``jobs``, ``kpi``, ``loading``, ``messages`` and ``layout`` (the app shell).
Per page: ``overview`` and ``overview_figures``; ``forecast`` and ``forecast_figures``; ``retention``,
``customers``, ``retention_figures`` and ``churn_figures``; ``data_page``.
"""
