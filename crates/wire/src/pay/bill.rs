//! Bills on the wire: the CSV files behind `/v3/bill/tradebill`, `/v3/bill/fundflowbill` and
//! a coupon stock's use flow, as WeChat writes them (every value after a backtick, amounts in
//! yuan with two decimals, a summary block at the end); their SHA-1 (of the uncompressed
//! file, as WeChat's `hash_value`); gzip for `tar_type=GZIP`; and the signed token of a
//! `/v3/billdownload/file` URL, so any node can serve a download without storing it.

use std::io::Write;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use sha2::Sha256;

use super::types::rfc3339_cst;

/// `yyyy-mm-dd HH:MM:SS` in China time, as bills write times.
pub fn bill_time(unix: i64) -> String {
    let t = rfc3339_cst(unix);
    format!("{} {}", &t[..10], &t[11..19])
}

/// Fen as yuan with two decimals (`-1.50` for -150).
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.unsigned_abs() / 100, fen.unsigned_abs() % 100)
}

/// One CSV line: each value after a backtick (WeChat's guard against spreadsheets reading
/// numbers); a comma inside a value becomes a full-width one so the columns stay put.
fn line(out: &mut String, values: &[&str]) {
    let cells: Vec<String> = values.iter().map(|v| format!("`{}", v.replace(',', "，").replace(['\r', '\n'], " "))).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

fn header(out: &mut String, names: &str) {
    out.push_str(names);
    out.push_str("\r\n");
}

/// Which rows a trade bill holds (`bill_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TradeBillType {
    All,
    Success,
    Refund,
}

impl TradeBillType {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ALL" => Some(Self::All),
            "SUCCESS" => Some(Self::Success),
            "REFUND" => Some(Self::Refund),
            _ => None,
        }
    }
}

/// A payment in a trade bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidRow {
    pub time: i64,
    pub appid: String,
    pub mchid: String,
    pub transaction_id: String,
    pub out_trade_no: String,
    pub openid: String,
    pub trade_type: String,
    pub total: i64,
    /// The part a coupon paid.
    pub coupon: i64,
    /// A no-cash coupon's part, which the merchant does not receive.
    pub no_cash: i64,
    pub description: String,
    pub attach: String,
}

/// A refund in a trade bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRow {
    pub time: i64,
    pub order: PaidRow,
    pub refund_id: String,
    pub out_refund_no: String,
    pub amount: i64,
    /// The part of `amount` that returns to a coupon rather than to the payer.
    pub coupon_part: i64,
    pub status: String,
}

const TRADE_ALL: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
const TRADE_SUCCESS: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注";
const TRADE_SUMMARY: &str = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";
/// Herald charges no fees: every bill says so.
const RATE: &str = "0.00%";

/// A trade bill: the day's payments and/or refunds, then the summary.
pub fn trade_bill(kind: TradeBillType, paid: &[PaidRow], refunds: &[RefundRow]) -> String {
    let mut out = String::new();
    header(&mut out, if kind == TradeBillType::Success { TRADE_SUCCESS } else { TRADE_ALL });
    let (mut count, mut settle, mut refunded, mut coupon_refunded, mut ordered, mut asked) = (0i64, 0i64, 0i64, 0i64, 0i64, 0i64);
    if kind != TradeBillType::Refund {
        for p in paid {
            let (t, settle_amount, coupon) = (bill_time(p.time), yuan(p.total - p.no_cash), yuan(p.coupon));
            let total = yuan(p.total);
            let common = [t.as_str(), &p.appid, &p.mchid, "0", "", &p.transaction_id, &p.out_trade_no, &p.openid, &p.trade_type, "SUCCESS", "OTHERS", "CNY", &settle_amount, &coupon];
            if kind == TradeBillType::Success {
                line(&mut out, &[&common[..], &[&p.description, &p.attach, "0.00", RATE, &total, ""]].concat());
            } else {
                line(&mut out, &[&common[..], &["", "", "0.00", "0.00", "", "", &p.description, &p.attach, "0.00", RATE, &total, "0.00", ""]].concat());
            }
            count += 1;
            settle += p.total - p.no_cash;
            ordered += p.total;
        }
    }
    if kind != TradeBillType::Success {
        for r in refunds {
            let o = &r.order;
            let (t, settle_amount, coupon, total) = (bill_time(r.time), yuan(o.total - o.no_cash), yuan(o.coupon), yuan(o.total));
            let (back, coupon_back, asked_amount) = (yuan(r.amount - r.coupon_part), yuan(r.coupon_part), yuan(r.amount));
            line(
                &mut out,
                &[
                    t.as_str(), &o.appid, &o.mchid, "0", "", &o.transaction_id, &o.out_trade_no, &o.openid, &o.trade_type, "REFUND", "OTHERS", "CNY",
                    &settle_amount, &coupon, &r.refund_id, &r.out_refund_no, &back, &coupon_back, "ORIGINAL", &r.status, &o.description, &o.attach,
                    "0.00", RATE, &total, &asked_amount, "",
                ],
            );
            count += 1;
            refunded += r.amount - r.coupon_part;
            coupon_refunded += r.coupon_part;
            asked += r.amount;
        }
    }
    header(&mut out, TRADE_SUMMARY);
    let count = count.to_string();
    line(&mut out, &[&count, &yuan(settle), &yuan(refunded), &yuan(coupon_refunded), "0.00", &yuan(ordered), &yuan(asked)]);
    out
}

/// One movement of a merchant's balance in a fund flow bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundRow {
    pub time: i64,
    /// The business id (transaction, refund, red packet, stock).
    pub business_id: String,
    /// The ledger transaction's id.
    pub flow_id: String,
    /// 业务名称 and 业务类型.
    pub name: String,
    pub kind: String,
    pub delta: i64,
    pub balance_after: i64,
    pub remark: String,
}

const FUND: &str = "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,资金变更提交申请人,备注,业务凭证号";
const FUND_SUMMARY: &str = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额";

/// A fund flow bill of the basic account.
pub fn fund_flow_bill(rows: &[FundRow]) -> String {
    let mut out = String::new();
    header(&mut out, FUND);
    let (mut ins, mut in_sum, mut outs, mut out_sum) = (0i64, 0i64, 0i64, 0i64);
    for r in rows {
        let direction = if r.delta >= 0 { "收入" } else { "支出" };
        if r.delta >= 0 {
            ins += 1;
            in_sum += r.delta;
        } else {
            outs += 1;
            out_sum -= r.delta;
        }
        line(
            &mut out,
            &[&bill_time(r.time), &r.business_id, &r.flow_id, &r.name, &r.kind, direction, &yuan(r.delta.abs()), &yuan(r.balance_after), "system", &r.remark, &r.business_id],
        );
    }
    header(&mut out, FUND_SUMMARY);
    line(&mut out, &[&rows.len().to_string(), &ins.to_string(), &yuan(in_sum), &outs.to_string(), &yuan(out_sum)]);
    out
}

/// One coupon of a stock used at payment, in the stock's use flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponUseRow {
    pub stock_id: String,
    pub coupon_id: String,
    pub no_cash: bool,
    pub amount: i64,
    pub order_total: i64,
    pub trade_type: String,
    pub transaction_id: String,
    pub time: i64,
    pub mchid: String,
}

const USE_FLOW: &str = "批次id,优惠id,优惠类型,优惠金额（元）,订单总金额（元）,交易类型,支付单号,消耗时间,消耗商户号,设备号,银行流水号";

/// A stock's type as its flows name it: a no-cash coupon is 免充值, a cash one 预充值.
fn coupon_kind(no_cash: bool) -> &'static str {
    if no_cash {
        "免充值"
    } else {
        "预充值"
    }
}

/// A coupon stock's use flow.
pub fn coupon_use_flow(rows: &[CouponUseRow]) -> String {
    let mut out = String::new();
    header(&mut out, USE_FLOW);
    for r in rows {
        line(
            &mut out,
            &[&r.stock_id, &r.coupon_id, coupon_kind(r.no_cash), &yuan(r.amount), &yuan(r.order_total), &r.trade_type, &r.transaction_id, &bill_time(r.time), &r.mchid, "", ""],
        );
    }
    out
}

/// A refund that gave back part of a stock's coupon, in the stock's refund flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponRefundRow {
    pub stock_id: String,
    pub coupon_id: String,
    pub no_cash: bool,
    /// The part of the refund that returned to the coupon rather than to the payer.
    pub amount: i64,
    pub order_total: i64,
    pub trade_type: String,
    pub transaction_id: String,
    pub refund_id: String,
    pub time: i64,
    pub mchid: String,
}

const REFUND_FLOW: &str = "批次id,优惠id,优惠类型,退款优惠金额（元）,订单总金额（元）,交易类型,支付单号,微信退款单号,退款时间,消耗商户号,设备号,银行流水号";

/// A coupon stock's refund flow: the coupon's part of each refund of an order it paid for.
pub fn coupon_refund_flow(rows: &[CouponRefundRow]) -> String {
    let mut out = String::new();
    header(&mut out, REFUND_FLOW);
    for r in rows {
        line(
            &mut out,
            &[&r.stock_id, &r.coupon_id, coupon_kind(r.no_cash), &yuan(r.amount), &yuan(r.order_total), &r.trade_type, &r.transaction_id, &r.refund_id, &bill_time(r.time), &r.mchid, "", ""],
        );
    }
    out
}

/// WeChat's `hash_value`: SHA-1 of the uncompressed file, lower-case hex.
pub fn sha1_hex(file: &[u8]) -> String {
    hex::encode(Sha1::digest(file))
}

/// The file as served for `tar_type=GZIP`.
pub fn gzip(file: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(file);
    enc.finish().unwrap_or_default()
}

/// What a download URL's token names: whose file, which one, as of when, until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillToken {
    /// The merchant that may download it.
    pub mchid: String,
    /// `trade`, `fund` or `coupon_use`.
    pub kind: String,
    /// The bill date (`yyyy-mm-dd`) or the stock id.
    pub subject: String,
    /// The trade bill's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_type: Option<TradeBillType>,
    pub gzip: bool,
    /// The platform time the file describes (a use flow lists what was used by then).
    pub as_of: i64,
    /// Real Unix time after which the URL no longer works.
    pub expires: i64,
}

type HmacSha256 = Hmac<Sha256>;

impl BillToken {
    /// `base64url(json).hex(hmac)`, keyed with `secret`.
    pub fn seal(&self, secret: &[u8]) -> String {
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default());
        format!("{body}.{}", mac(secret, &body))
    }

    /// The token's content, if `secret` sealed it.
    pub fn open(token: &str, secret: &[u8]) -> Option<BillToken> {
        let (body, tag) = token.split_once('.')?;
        let mut m = HmacSha256::new_from_slice(secret).ok()?;
        m.update(body.as_bytes());
        m.verify_slice(&hex::decode(tag).ok()?).ok()?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()
    }
}

fn mac(secret: &[u8], body: &str) -> String {
    let mut m = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(body.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paid(no: &str, total: i64) -> PaidRow {
        PaidRow {
            time: 1_767_240_000, // 2026-01-01 12:00:00 CST
            appid: "wx1".into(),
            mchid: "1900000109".into(),
            transaction_id: format!("42000{no}"),
            out_trade_no: no.into(),
            openid: "o1".into(),
            trade_type: "NATIVE".into(),
            total,
            coupon: 0,
            no_cash: 0,
            description: "Tea, green".into(),
            attach: String::new(),
        }
    }

    #[test]
    fn a_refund_flow_lists_the_coupons_part_of_each_refund() {
        let row = CouponRefundRow {
            stock_id: "9800".into(),
            coupon_id: "c1".into(),
            no_cash: true,
            amount: 15,
            order_total: 300,
            trade_type: "JSAPI".into(),
            transaction_id: "4200".into(),
            refund_id: "5000".into(),
            time: 1_767_243_600,
            mchid: "1900".into(),
        };
        let file = coupon_refund_flow(&[row]);
        let lines: Vec<&str> = file.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], REFUND_FLOW);
        assert_eq!(lines[1], "`9800,`c1,`免充值,`0.15,`3.00,`JSAPI,`4200,`5000,`2026-01-01 13:00:00,`1900,`,`");
        assert_eq!(coupon_refund_flow(&[]).lines().count(), 1, "a header and no rows");
    }

    #[test]
    fn amounts_are_yuan_with_two_decimals() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(12_345), "123.45");
        assert_eq!(yuan(-150), "-1.50");
        assert_eq!(bill_time(1_767_240_000), "2026-01-01 12:00:00");
    }

    #[test]
    fn trade_bills_list_rows_after_backticks_and_sum_them() {
        let p = vec![paid("A1", 100), PaidRow { coupon: 20, no_cash: 20, ..paid("A2", 250) }];
        let r = vec![RefundRow { time: 1_767_243_600, order: paid("A1", 100), refund_id: "50001".into(), out_refund_no: "R1".into(), amount: 40, coupon_part: 0, status: "SUCCESS".into() }];
        let all = trade_bill(TradeBillType::All, &p, &r);
        let lines: Vec<&str> = all.split("\r\n").collect();
        assert_eq!(lines[0], TRADE_ALL);
        assert_eq!(lines[1].split(',').count(), TRADE_ALL.split(',').count());
        assert!(lines[1].starts_with("`2026-01-01 12:00:00,`wx1,`1900000109,"), "{}", lines[1]);
        // The comma in the description does not split a column.
        assert!(lines[1].contains("`Tea， green"));
        assert!(lines[2].contains("`2.30,`0.20,"), "settled amount excludes the no-cash coupon: {}", lines[2]);
        assert!(lines[3].contains("`REFUND,") && lines[3].contains("`50001,`R1,`0.40,"), "{}", lines[3]);
        assert_eq!(lines[4], TRADE_SUMMARY);
        assert_eq!(lines[5], "`3,`3.30,`0.40,`0.00,`0.00,`3.50,`0.40");
        let success = trade_bill(TradeBillType::Success, &p, &r);
        assert_eq!(success.lines().count(), 5);
        assert!(!success.contains("REFUND"));
        let refunds = trade_bill(TradeBillType::Refund, &p, &r);
        assert_eq!(refunds.lines().count(), 4);
        assert!(refunds.ends_with("`1,`0.00,`0.40,`0.00,`0.00,`0.00,`0.40\r\n"));
    }

    #[test]
    fn fund_flow_bills_split_income_and_spending() {
        let row = |delta, balance_after| FundRow {
            time: 1_767_240_000,
            business_id: "4200".into(),
            flow_id: "7".into(),
            name: "交易".into(),
            kind: "交易".into(),
            delta,
            balance_after,
            remark: String::new(),
        };
        let b = fund_flow_bill(&[row(500, 500), row(-120, 380)]);
        let lines: Vec<&str> = b.split("\r\n").collect();
        assert!(lines[1].contains("`收入,`5.00,`5.00,"));
        assert!(lines[2].contains("`支出,`1.20,`3.80,"));
        assert_eq!(lines[4], "`2,`1,`5.00,`1,`1.20");
    }

    #[test]
    fn hashes_are_of_the_plain_file_and_gzip_round_trips() {
        let file = trade_bill(TradeBillType::All, &[paid("A1", 100)], &[]);
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        let z = gzip(file.as_bytes());
        let mut back = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&z[..]), &mut back).unwrap();
        assert_eq!(back, file);
    }

    #[test]
    fn tokens_open_only_with_their_secret_and_unchanged() {
        let t = BillToken { mchid: "1900000109".into(), kind: "trade".into(), subject: "2026-01-01".into(), bill_type: Some(TradeBillType::All), gzip: true, as_of: 5, expires: 9 };
        let sealed = t.seal(b"secret");
        assert_eq!(BillToken::open(&sealed, b"secret"), Some(t.clone()));
        assert_eq!(BillToken::open(&sealed, b"other"), None);
        let forged = BillToken { mchid: "1900000110".into(), ..t };
        let (_, tag) = sealed.split_once('.').unwrap();
        let body = forged.seal(b"x");
        let (fbody, _) = body.split_once('.').unwrap();
        assert_eq!(BillToken::open(&format!("{fbody}.{tag}"), b"secret"), None);
        assert_eq!(BillToken::open("garbage", b"secret"), None);
    }
}
