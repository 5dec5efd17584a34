"""The hall server: tickets, windows, calling and live events for one or more halls."""
