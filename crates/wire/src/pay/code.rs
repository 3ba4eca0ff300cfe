//! The one table of WeChat Pay APIv3 error codes Herald answers with: `{code, message}` with
//! the HTTP status WeChat uses (reference §4.1, §6).

macro_rules! paycodes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $status:literal => $msg:literal, )*) => {
        /// A v3 error `code` with its HTTP status and default message.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum PayCode {
            $( $(#[$doc])* $variant, )*
        }

        impl PayCode {
            pub const ALL: &'static [PayCode] = &[$(PayCode::$variant,)*];

            pub const fn code(self) -> &'static str {
                match self { $( PayCode::$variant => $code, )* }
            }

            pub const fn status(self) -> u16 {
                match self { $( PayCode::$variant => $status, )* }
            }

            pub const fn message(self) -> &'static str {
                match self { $( PayCode::$variant => $msg, )* }
            }
        }
    };
}

paycodes! {
    ParamError = "PARAM_ERROR", 400 => "参数错误",
    InvalidRequest = "INVALID_REQUEST", 400 => "无效请求",
    AppidMchidNotMatch = "APPID_MCHID_NOT_MATCH", 400 => "AppID和mch_id不匹配",
    MchNotExists = "MCH_NOT_EXISTS", 400 => "商户号不存在",
    /// The order was closed (paying or re-ordering it).
    OrderClosed = "ORDER_CLOSED", 400 => "订单已关闭",
    SignError = "SIGN_ERROR", 401 => "签名错误，请检查后再试",
    NoAuth = "NO_AUTH", 403 => "商户无权限",
    OutTradeNoUsed = "OUT_TRADE_NO_USED", 403 => "商户订单号重复",
    /// Closing or re-paying a paid order.
    OrderPaid = "ORDERPAID", 403 => "订单已支付",
    NotEnough = "NOT_ENOUGH", 403 => "余额不足",
    /// A coupon stock's limits (all sent, or the user holds as many as allowed).
    RuleLimit = "RULE_LIMIT", 403 => "超出发放限制",
    UserAccountAbnormal = "USER_ACCOUNT_ABNORMAL", 403 => "退款请求失败，用户账户异常",
    OrderNotExist = "ORDER_NOT_EXIST", 404 => "订单不存在",
    ResourceNotExists = "RESOURCE_NOT_EXISTS", 404 => "资源不存在",
    /// No bill for that day (none yet, too old, or nothing happened).
    NoStatementExist = "NO_STATEMENT_EXIST", 400 => "账单不存在",
    FrequencyLimited = "FREQUENCY_LIMITED", 429 => "频率超限",
    SystemError = "SYSTEM_ERROR", 500 => "系统异常，请稍后重试",
}

/// A v3 error response body: `{"code":…, "message":…}` (plus `detail` where it helps).
pub fn body(code: PayCode, message: Option<&str>, detail: Option<serde_json::Value>) -> serde_json::Value {
    let mut v = serde_json::json!({"code": code.code(), "message": message.unwrap_or(code.message())});
    if let Some(d) = detail {
        v["detail"] = d;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_with_error_statuses() {
        let mut seen = std::collections::HashSet::new();
        for c in PayCode::ALL {
            assert!(seen.insert(c.code()), "duplicate {}", c.code());
            assert!((400..600).contains(&c.status()));
        }
        assert_eq!(PayCode::SignError.status(), 401);
        assert_eq!(body(PayCode::OrderNotExist, None, None).to_string(), r#"{"code":"ORDER_NOT_EXIST","message":"订单不存在"}"#);
    }
}
