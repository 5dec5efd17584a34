"""Hardware drivers and byte-faithful simulators. Imports nothing else of OneVisit."""
