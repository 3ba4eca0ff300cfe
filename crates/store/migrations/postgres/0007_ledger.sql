-- The money ledger: double entry in integer fen. Keep in lockstep with ../sqlite/0007_ledger.sql.
CREATE TABLE ledger_books (
    book TEXT PRIMARY KEY,
    balance BIGINT NOT NULL
);

-- One row per posted transaction; `reason` is unique, so posting the same movement twice
-- (a retried request, a worker restarted mid-way) moves nothing the second time.
CREATE TABLE ledger_txns (
    id BIGSERIAL PRIMARY KEY,
    reason TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE ledger_entries (
    txn_id BIGINT NOT NULL REFERENCES ledger_txns(id),
    book TEXT NOT NULL,
    delta BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    PRIMARY KEY (txn_id, book)
);
CREATE INDEX ledger_entries_book ON ledger_entries (book, txn_id);
