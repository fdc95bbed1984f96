"""Accuracy: synthetic document data, edge and corner metrics, plug-in metrics, and evaluation of artifacts."""
