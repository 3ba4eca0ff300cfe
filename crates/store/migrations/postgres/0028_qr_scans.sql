-- How many times each QR code was scanned (issue 27): the console lists scans beside the
-- follows a code brought. Keep in lockstep with the other backend's 0028_qr_scans.sql.
ALTER TABLE qrcodes ADD COLUMN scans BIGINT NOT NULL DEFAULT 0;
