-- Where a stock creator's COUPON.USE notifications go (POST /v3/marketing/favor/callbacks).
CREATE TABLE coupon_callbacks (
    mchid TEXT PRIMARY KEY REFERENCES merchants(mchid),
    notify_url TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    update_time INTEGER NOT NULL
);
-- The merchant whose order used a coupon (consume_information.consume_mchid).
ALTER TABLE coupons ADD COLUMN used_mchid TEXT;
