-- The domain a merchant's H5 payments come from (WeChat's H5 payment domain): the cashier
-- links back only to pages there. Keep in lockstep with the other backend's
-- 0020_merchant_h5_domain.sql.
ALTER TABLE merchants ADD COLUMN h5_domain TEXT NOT NULL DEFAULT '';
