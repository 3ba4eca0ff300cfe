-- An account's API IP allow-list (issue 27): addresses and CIDR ranges, comma-separated; empty
-- allows every address. /cgi-bin/token and /cgi-bin/stable_token answer 40164 to others. Keep
-- in lockstep with the postgres backend's 0025_ip_allow_list.sql.
ALTER TABLE accounts ADD COLUMN ip_allow_list TEXT NOT NULL DEFAULT '';
