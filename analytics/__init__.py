"""Pure computations over the store's data: no Dash, Plotly or Flask imports here."""
