"""The HTML report: pandas tables, headlines and plotly plots over the store, in one self-contained file."""
