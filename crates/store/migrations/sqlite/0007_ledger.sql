-- The money ledger: double entry in integer fen. Keep in lockstep with ../postgres/0007_ledger.sql.
CREATE TABLE ledger_books (
    book TEXT PRIMARY KEY,
    balance INTEGER NOT NULL
);

-- One row per posted transaction; `reason` is unique, so posting the same movement twice
-- (a retried request, a worker restarted mid-way) moves nothing the second time.
CREATE TABLE ledger_txns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reason TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE ledger_entries (
    txn_id INTEGER NOT NULL REFERENCES ledger_txns(id),
    book TEXT NOT NULL,
    delta INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    PRIMARY KEY (txn_id, book)
);
CREATE INDEX ledger_entries_book ON ledger_entries (book, txn_id);
