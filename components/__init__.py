"""Pure layout and figure builders: data in, component trees or Plotly figures out."""
