"""The only package that touches SQLite."""

from queue_server.store.db import Database, ReadTx, WriteTx

__all__ = ["Database", "ReadTx", "WriteTx"]
