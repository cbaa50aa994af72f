"""One module per URL; each registers itself and owns its callbacks."""
