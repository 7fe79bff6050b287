"""The store: SQLite through aiosqlite, its ledger, group commit and migrations."""
