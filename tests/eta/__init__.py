"""Tests of the waiting-time predictor and its benchmark."""
