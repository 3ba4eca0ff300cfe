-- Faults on purpose (herald fault …): each rule as JSON (herald_domain::fault::FaultSpec) and,
-- for counted rules, the uses left, taken atomically so that every node shares the count.
-- Keep in lockstep with the other backend's 0022_faults.sql.
CREATE TABLE faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    spec TEXT NOT NULL,
    remaining INTEGER,
    created_at INTEGER NOT NULL
);
