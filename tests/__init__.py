"""OneVisit tests."""
