-- Nothing reads delivery attempts by account (the delivery log is read job by job, through
-- delivery_attempts_job), and each delivery paid for one more index entry. Keep in lockstep
-- with the other backend's 0017_lean_attempts.sql.
DROP INDEX delivery_attempts_account;
