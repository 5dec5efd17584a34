"""Tests of the hall server."""
