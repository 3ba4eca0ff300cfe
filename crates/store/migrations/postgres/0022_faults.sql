-- Faults on purpose (herald fault …): each rule as JSON (herald_domain::fault::FaultSpec) and,
-- for counted rules, the uses left, taken atomically so that every node shares the count.
-- Keep in lockstep with the other backend's 0022_faults.sql.
CREATE TABLE faults (
    id BIGSERIAL PRIMARY KEY,
    spec TEXT NOT NULL,
    remaining BIGINT,
    created_at BIGINT NOT NULL
);
