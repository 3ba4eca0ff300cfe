-- WeChat Pay: merchants, orders, refunds, replay protection and notifications.
-- Keep in lockstep with ../postgres/0008_pay.sql.
CREATE TABLE merchants (
    mchid TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- The APIv3 key (AES-256-GCM for certificates and notifications) and the v2 API key.
    apiv3_key TEXT NOT NULL,
    api_key TEXT NOT NULL,
    -- The merchant's API certificate: serial (upper-case hex, no leading zeros) and key.
    mch_serial TEXT NOT NULL,
    mch_public_key TEXT NOT NULL,
    mch_certificate TEXT,
    -- The platform certificate issued to this merchant, and its public-key-mode id.
    platform_serial TEXT NOT NULL,
    platform_certificate TEXT NOT NULL,
    platform_not_before INTEGER NOT NULL,
    platform_not_after INTEGER NOT NULL,
    public_key_id TEXT NOT NULL UNIQUE,
    -- Which key notifications name: certificate or public_key (follows the merchant's SDK).
    key_mode TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE merchant_apps (
    mchid TEXT NOT NULL REFERENCES merchants(mchid),
    appid TEXT NOT NULL REFERENCES accounts(appid),
    PRIMARY KEY (mchid, appid)
);

-- Nonces seen in request signatures (replays are refused); kept for the skew window.
CREATE TABLE pay_nonces (
    mchid TEXT NOT NULL,
    nonce TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (mchid, nonce)
);
CREATE INDEX pay_nonces_at ON pay_nonces (at);

CREATE TABLE pay_orders (
    transaction_id TEXT PRIMARY KEY,
    mchid TEXT NOT NULL REFERENCES merchants(mchid),
    out_trade_no TEXT NOT NULL,
    appid TEXT NOT NULL,
    trade_type TEXT NOT NULL,
    description TEXT NOT NULL,
    attach TEXT,
    notify_url TEXT NOT NULL,
    goods_tag TEXT,
    total INTEGER NOT NULL,
    currency TEXT NOT NULL,
    payer_openid TEXT,
    scene_info TEXT,
    fingerprint TEXT NOT NULL,
    prepay_id TEXT NOT NULL UNIQUE,
    prepay_expires_at INTEGER NOT NULL,
    code_key TEXT UNIQUE,
    state TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    success_time INTEGER,
    payer_user TEXT,
    refunded INTEGER NOT NULL DEFAULT 0,
    UNIQUE (mchid, out_trade_no)
);

CREATE TABLE pay_refunds (
    refund_id TEXT PRIMARY KEY,
    mchid TEXT NOT NULL REFERENCES merchants(mchid),
    out_refund_no TEXT NOT NULL,
    transaction_id TEXT NOT NULL REFERENCES pay_orders(transaction_id),
    out_trade_no TEXT NOT NULL,
    amount INTEGER NOT NULL,
    total INTEGER NOT NULL,
    reason TEXT,
    notify_url TEXT,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    success_time INTEGER,
    payer_user TEXT NOT NULL,
    UNIQUE (mchid, out_refund_no)
);
CREATE INDEX pay_refunds_order ON pay_refunds (transaction_id);

-- Notifications to merchants are jobs (kind pay_notify); this names what each is about.
CREATE TABLE pay_notifications (
    job_id INTEGER PRIMARY KEY,
    mchid TEXT NOT NULL,
    event_type TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX pay_notifications_mchid ON pay_notifications (mchid, job_id);
