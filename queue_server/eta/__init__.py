"""Waiting-time prediction: run the hall forward from now with the real call order."""
