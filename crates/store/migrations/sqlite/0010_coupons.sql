-- Coupon stocks (v3 favor) and the coupons sent to users; orders paid partly by a coupon.
-- Keep in lockstep with ../postgres/0010_coupons.sql.
-- How a merchant's refunds settle: auto (SUCCESS at once) or hold (PROCESSING until the
-- operator settles them SUCCESS, CLOSED or ABNORMAL).
ALTER TABLE merchants ADD COLUMN refund_mode TEXT NOT NULL DEFAULT 'auto';
ALTER TABLE pay_orders ADD COLUMN discount INTEGER NOT NULL DEFAULT 0;
-- The order's promotion_detail (JSON array), when a coupon paid part of it.
ALTER TABLE pay_orders ADD COLUMN promotion TEXT;
-- A refund's order discount (what a coupon paid), which decides the payer's share of it.
ALTER TABLE pay_refunds ADD COLUMN discount INTEGER NOT NULL DEFAULT 0;

CREATE TABLE coupon_stocks (
    stock_id TEXT PRIMARY KEY,
    mchid TEXT NOT NULL REFERENCES merchants(mchid),
    out_request_no TEXT NOT NULL,
    stock_name TEXT NOT NULL,
    comment TEXT,
    available_begin_time INTEGER NOT NULL,
    available_end_time INTEGER NOT NULL,
    max_coupons INTEGER NOT NULL,
    max_amount INTEGER NOT NULL,
    max_amount_by_day INTEGER NOT NULL,
    max_coupons_per_user INTEGER NOT NULL,
    coupon_amount INTEGER NOT NULL,
    transaction_minimum INTEGER NOT NULL,
    -- 1: no-cash (the merchant receives less); 0: cash (the budget is funded on start).
    no_cash INTEGER NOT NULL,
    -- unactivated, running, paused or stoped.
    status TEXT NOT NULL,
    distributed_coupons INTEGER NOT NULL DEFAULT 0,
    -- {stock_use_rule, coupon_use_rule, pattern_info} as given (JSON).
    rules TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    create_time INTEGER NOT NULL,
    start_time INTEGER,
    stop_time INTEGER,
    UNIQUE (mchid, out_request_no)
);

CREATE TABLE coupons (
    coupon_id TEXT PRIMARY KEY,
    stock_id TEXT NOT NULL REFERENCES coupon_stocks(stock_id),
    appid TEXT NOT NULL,
    openid TEXT NOT NULL,
    user_id TEXT NOT NULL,
    out_request_no TEXT NOT NULL,
    -- SENDED or USED (EXPIRED is SENDED past the stock's end).
    status TEXT NOT NULL,
    create_time INTEGER NOT NULL,
    used_time INTEGER,
    transaction_id TEXT,
    UNIQUE (stock_id, out_request_no)
);
CREATE INDEX coupons_user ON coupons (user_id, stock_id);
CREATE INDEX coupons_openid ON coupons (openid, create_time);
