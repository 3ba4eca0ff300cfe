-- Bills (trade, fund flow, coupon use flow) read a merchant's payments and refunds of one day
-- and a stock's used coupons. Keep in lockstep with the other backend's 0013_bills.sql.
CREATE INDEX pay_orders_paid ON pay_orders (mchid, success_time) WHERE success_time IS NOT NULL;
CREATE INDEX pay_refunds_made ON pay_refunds (mchid, created_at);
CREATE INDEX coupons_used ON coupons (stock_id, used_time) WHERE status = 'USED';
