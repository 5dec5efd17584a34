"""Tests of the devices package."""
