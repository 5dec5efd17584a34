"""The demo: a seeded city of service halls and simulated traffic that keeps its screens moving."""
