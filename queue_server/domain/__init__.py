"""Pure domain rules: numbering, ticket states, call order, schedules. Stdlib only."""
