-- Cash red packets (v2 sendredpack / sendgroupredpack). Keep in lockstep with
-- ../postgres/0009_redpack.sql.
CREATE TABLE red_packets (
    send_listid TEXT PRIMARY KEY,
    mchid TEXT NOT NULL REFERENCES merchants(mchid),
    mch_billno TEXT NOT NULL,
    wxappid TEXT NOT NULL,
    re_openid TEXT NOT NULL,
    -- The user the packet was sent to (re_openid under wxappid).
    user_id TEXT NOT NULL,
    hb_type TEXT NOT NULL,
    total_amount INTEGER NOT NULL,
    total_num INTEGER NOT NULL,
    send_name TEXT NOT NULL,
    wishing TEXT NOT NULL,
    act_name TEXT NOT NULL,
    remark TEXT NOT NULL,
    scene_id TEXT,
    fingerprint TEXT NOT NULL,
    -- SENT, RECEIVED or REFUND (RFUND_ING is SENT past expires_at).
    status TEXT NOT NULL,
    send_time INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    refund_time INTEGER,
    refund_amount INTEGER,
    UNIQUE (mchid, mch_billno)
);
CREATE INDEX red_packets_user ON red_packets (user_id, send_time);

-- The shares of a packet (one for a normal packet), drawn when it is sent; opened by one
-- user each.
CREATE TABLE red_packet_shares (
    send_listid TEXT NOT NULL REFERENCES red_packets(send_listid),
    idx INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    user_id TEXT,
    openid TEXT,
    rcv_time INTEGER,
    PRIMARY KEY (send_listid, idx),
    UNIQUE (send_listid, user_id)
);
