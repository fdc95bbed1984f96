"""The HTML report: pandas tables over the store, rendered into one self-contained file."""
