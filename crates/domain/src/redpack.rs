//! Cash red packets (v2 `sendredpack` / `sendgroupredpack` / `gethbinfo`): what a send
//! request must hold, how a fission packet is split, who may open a packet and when, and the
//! 24-hour return of what nobody opened. Money moves through the ledger: merchant →
//! `Book::RedPacket(send_listid)` on sending, → wallets on opening, → merchant on return.

use herald_wire::pay::v2::{Fields, V2Code};
use rand::Rng;

use crate::ledger::Fen;

/// A refusal: the v2 code and the reason given in `err_code_des`.
pub type V2Refusal = (V2Code, String);

/// Unopened packets go back to the merchant this long after sending.
pub const REFUND_AFTER_SECS: i64 = 24 * 3600;

/// A packet's amount per person without a `scene_id`: 1 to 200 yuan.
const PLAIN_RANGE: std::ops::RangeInclusive<Fen> = 100..=20_000;
/// With a `scene_id`: 0.30 to 4,999 yuan.
const SCENE_RANGE: std::ops::RangeInclusive<Fen> = 30..=499_900;
/// A fission packet is shared by 3 to 20 people.
const GROUP_NUM: std::ops::RangeInclusive<i64> = 3..=20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HbType {
    Normal,
    Group,
}

impl HbType {
    pub fn wire(self) -> &'static str {
        match self {
            HbType::Normal => "NORMAL",
            HbType::Group => "GROUP",
        }
    }

    pub fn from_wire(s: &str) -> Option<HbType> {
        match s {
            "NORMAL" => Some(HbType::Normal),
            "GROUP" => Some(HbType::Group),
            _ => None,
        }
    }
}

/// A packet's status as `gethbinfo` reports it (WeChat spells the refunding state `RFUND_ING`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedPackStatus {
    /// Sent, not (fully) opened yet.
    Sent,
    /// Every share opened.
    Received,
    /// Past 24 hours, the return not yet made.
    Refunding,
    /// What was left went back to the merchant.
    Refund,
}

impl RedPackStatus {
    pub fn wire(self) -> &'static str {
        match self {
            RedPackStatus::Sent => "SENT",
            RedPackStatus::Received => "RECEIVED",
            RedPackStatus::Refunding => "RFUND_ING",
            RedPackStatus::Refund => "REFUND",
        }
    }

    pub fn from_wire(s: &str) -> Option<RedPackStatus> {
        [RedPackStatus::Sent, RedPackStatus::Received, RedPackStatus::Refunding, RedPackStatus::Refund].into_iter().find(|x| x.wire() == s)
    }

    /// The status at `now`: a sent packet past its time is being returned.
    pub fn effective(self, expires_at: i64, now: i64) -> RedPackStatus {
        if self == RedPackStatus::Sent && now >= expires_at {
            RedPackStatus::Refunding
        } else {
            self
        }
    }
}

/// A checked send request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedPackSpec {
    pub mch_billno: String,
    pub wxappid: String,
    pub re_openid: String,
    pub hb_type: HbType,
    pub total_amount: Fen,
    pub total_num: i64,
    pub send_name: String,
    pub wishing: String,
    pub act_name: String,
    pub remark: String,
    pub scene_id: Option<String>,
    /// Same billno, same fingerprint: the same packet (answered again, sent once).
    pub fingerprint: String,
}

fn param(msg: impl Into<String>) -> V2Refusal {
    (V2Code::ParamError, msg.into())
}

fn text<'a>(f: &'a Fields, name: &str, max_chars: usize) -> Result<&'a str, V2Refusal> {
    let v = f.get(name).map(String::as_str).unwrap_or("");
    if v.is_empty() {
        return Err(param(format!("{name} 参数必填")));
    }
    if v.chars().count() > max_chars {
        return Err(param(format!("{name} 超过 {max_chars} 个字符")));
    }
    Ok(v)
}

fn number(f: &Fields, name: &str) -> Result<i64, V2Refusal> {
    let v = text(f, name, 12)?;
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(param(format!("{name} 必须是整数")));
    }
    v.parse().map_err(|_| param(format!("{name} 必须是整数")))
}

/// Checks a `sendredpack` (`group` false) or `sendgroupredpack` request. The merchant, its
/// signature and the appid's binding are the handler's to check.
pub fn check_send(f: &Fields, group: bool) -> Result<RedPackSpec, V2Refusal> {
    let mch_billno = text(f, "mch_billno", 28)?;
    if !mch_billno.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(param("mch_billno 只能是字母或数字"));
    }
    let wxappid = text(f, "wxappid", 32)?;
    let re_openid = text(f, "re_openid", 64)?;
    let send_name = text(f, "send_name", 32)?;
    let wishing = text(f, "wishing", 128)?;
    let act_name = text(f, "act_name", 32)?;
    let remark = text(f, "remark", 256)?;
    let total_amount = number(f, "total_amount")?;
    let total_num = number(f, "total_num")?;
    if !group {
        text(f, "client_ip", 15)?
            .parse::<std::net::Ipv4Addr>()
            .map_err(|_| param("client_ip 不是合法的 IP 地址"))?;
    }
    let scene_id = match f.get("scene_id").map(String::as_str).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let ok = s.strip_prefix("PRODUCT_").is_some_and(|n| matches!(n, "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8"));
            if !ok {
                return Err(param("scene_id 取值为 PRODUCT_1 至 PRODUCT_8"));
            }
            Some(s.to_string())
        }
    };
    if group {
        if f.get("amt_type").map(String::as_str) != Some("ALL_RAND") {
            return Err(param("amt_type 只能是 ALL_RAND"));
        }
        if !GROUP_NUM.contains(&total_num) {
            return Err(param("裂变红包的 total_num 必须在 3 到 20 之间"));
        }
    } else if total_num != 1 {
        return Err(param("普通红包的 total_num 只能是 1"));
    }
    if total_amount < total_num {
        return Err((V2Code::MoneyLimit, V2Code::MoneyLimit.message().into()));
    }
    let per_person = total_amount / total_num;
    let range = if scene_id.is_some() { SCENE_RANGE } else { PLAIN_RANGE };
    if !range.contains(&per_person) {
        return Err((V2Code::MoneyLimit, V2Code::MoneyLimit.message().into()));
    }
    let hb_type = if group { HbType::Group } else { HbType::Normal };
    let body = serde_json::json!({
        "wxappid": wxappid, "re_openid": re_openid, "total_amount": total_amount, "total_num": total_num,
        "send_name": send_name, "wishing": wishing, "act_name": act_name, "remark": remark, "scene_id": scene_id,
    });
    Ok(RedPackSpec {
        mch_billno: mch_billno.into(),
        wxappid: wxappid.into(),
        re_openid: re_openid.into(),
        hb_type,
        total_amount,
        total_num,
        send_name: send_name.into(),
        wishing: wishing.into(),
        act_name: act_name.into(),
        remark: remark.into(),
        scene_id,
        fingerprint: crate::pay::body_hash(hb_type.wire(), &body),
    })
}

/// Splits a fission packet into `n` random shares (`ALL_RAND`): they sum to `total`, and each
/// is at least 1 yuan, or an equal share when the total cannot give everyone that much.
/// Each share is drawn up to twice the mean of what is left, so no share is far above the rest.
pub fn split(total: Fen, n: i64, rng: &mut impl Rng) -> Vec<Fen> {
    assert!(n >= 1 && total >= n, "split needs at least one fen per share");
    let floor = (total / n).min(100);
    let mut left = total;
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let people = n - i;
        if people == 1 {
            out.push(left);
            break;
        }
        let max_here = left - floor * (people - 1);
        let cap = (2 * left / people).clamp(floor, max_here);
        let amount = rng.gen_range(floor..=cap);
        out.push(amount);
        left -= amount;
    }
    out
}

/// Why a user cannot open a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenRefusal {
    /// A normal packet is only for the user it was sent to.
    NotForYou,
    /// Every share is taken.
    Empty,
    /// Past 24 hours: it is being (or was) returned.
    Expired,
}

/// May a user open a packet now? `recipient` is whether they are the one it was sent to;
/// `shares_left` how many shares nobody has opened.
pub fn check_open(hb_type: HbType, status: RedPackStatus, expires_at: i64, now: i64, recipient: bool, shares_left: i64) -> Result<(), OpenRefusal> {
    match status.effective(expires_at, now) {
        RedPackStatus::Refunding | RedPackStatus::Refund => return Err(OpenRefusal::Expired),
        RedPackStatus::Received => return Err(OpenRefusal::Empty),
        RedPackStatus::Sent => {}
    }
    if hb_type == HbType::Normal && !recipient {
        return Err(OpenRefusal::NotForYou);
    }
    if shares_left <= 0 {
        return Err(OpenRefusal::Empty);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn request(group: bool) -> Fields {
        let mut f: Fields = [
            ("mch_billno", "190000010920261121000001"),
            ("mch_id", "1900000109"),
            ("wxappid", "wx1"),
            ("re_openid", "o1"),
            ("send_name", "商户"),
            ("total_amount", "300"),
            ("total_num", if group { "3" } else { "1" }),
            ("wishing", "恭喜发财"),
            ("act_name", "新年"),
            ("remark", "快来抢"),
            ("client_ip", "127.0.0.1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        if group {
            f.insert("amt_type".into(), "ALL_RAND".into());
            f.remove("client_ip");
        }
        f
    }

    #[test]
    fn a_good_request_passes_and_is_fingerprinted() {
        let s = check_send(&request(false), false).unwrap();
        assert_eq!((s.hb_type, s.total_amount, s.total_num), (HbType::Normal, 300, 1));
        let mut other = request(false);
        other.insert("nonce_str".into(), "different".into());
        assert_eq!(check_send(&other, false).unwrap().fingerprint, s.fingerprint, "the nonce is not part of the packet");
        other.insert("total_amount".into(), "301".into());
        assert_ne!(check_send(&other, false).unwrap().fingerprint, s.fingerprint);
        let g = check_send(&request(true), true).unwrap();
        assert_eq!((g.hb_type, g.total_num), (HbType::Group, 3));
    }

    #[test]
    fn bad_requests_are_refused() {
        let (long_no, long_name) = ("1".repeat(29), "活".repeat(33));
        let cases: Vec<(&str, Option<&str>, bool, V2Code)> = vec![
            ("mch_billno", Some("bad-no"), false, V2Code::ParamError),
            ("mch_billno", Some(&long_no), false, V2Code::ParamError),
            ("re_openid", None, false, V2Code::ParamError),
            ("total_amount", Some("1.5"), false, V2Code::ParamError),
            ("total_amount", Some("99"), false, V2Code::MoneyLimit),
            ("total_amount", Some("20001"), false, V2Code::MoneyLimit),
            ("total_num", Some("2"), false, V2Code::ParamError),
            ("client_ip", Some("nowhere"), false, V2Code::ParamError),
            ("scene_id", Some("PRODUCT_9"), false, V2Code::ParamError),
            ("act_name", Some(&long_name), false, V2Code::ParamError),
            ("total_num", Some("21"), true, V2Code::ParamError),
            ("amt_type", Some("FIXED"), true, V2Code::ParamError),
            ("total_amount", Some("290"), true, V2Code::MoneyLimit),
        ];
        for (field, value, group, code) in cases {
            let mut f = request(group);
            match value {
                Some(v) => f.insert(field.into(), v.into()),
                None => f.remove(field),
            };
            assert_eq!(check_send(&f, group).map(|_| ()).unwrap_err().0, code, "{field}={value:?}");
        }
        // A scene widens the range.
        let mut f = request(false);
        f.insert("total_amount".into(), "50".into());
        f.insert("scene_id".into(), "PRODUCT_2".into());
        assert!(check_send(&f, false).is_ok());
        f.insert("total_amount".into(), "29".into());
        assert_eq!(check_send(&f, false).unwrap_err().0, V2Code::MoneyLimit);
    }

    #[test]
    fn splits_sum_to_the_total_with_every_share_at_least_the_floor() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..2000 {
            let n = rng.gen_range(3..=20);
            let total = rng.gen_range(n..=n * 20_000);
            let shares = split(total, n, &mut rng);
            assert_eq!(shares.len() as i64, n);
            assert_eq!(shares.iter().sum::<Fen>(), total);
            let floor = (total / n).min(100);
            assert!(shares.iter().all(|s| *s >= floor), "{total}/{n}: {shares:?}");
        }
        assert_eq!(split(300, 3, &mut rng), vec![100, 100, 100]);
    }

    #[test]
    fn who_may_open_and_when() {
        let (t, exp) = (1000, 1000 + REFUND_AFTER_SECS);
        assert_eq!(check_open(HbType::Normal, RedPackStatus::Sent, exp, t, true, 1), Ok(()));
        assert_eq!(check_open(HbType::Normal, RedPackStatus::Sent, exp, t, false, 1), Err(OpenRefusal::NotForYou));
        assert_eq!(check_open(HbType::Group, RedPackStatus::Sent, exp, t, false, 2), Ok(()));
        assert_eq!(check_open(HbType::Group, RedPackStatus::Sent, exp, t, false, 0), Err(OpenRefusal::Empty));
        assert_eq!(check_open(HbType::Group, RedPackStatus::Received, exp, t, true, 0), Err(OpenRefusal::Empty));
        assert_eq!(check_open(HbType::Normal, RedPackStatus::Sent, exp, exp - 1, true, 1), Ok(()));
        assert_eq!(check_open(HbType::Normal, RedPackStatus::Sent, exp, exp, true, 1), Err(OpenRefusal::Expired));
        assert_eq!(RedPackStatus::Sent.effective(exp, exp), RedPackStatus::Refunding);
        assert_eq!(RedPackStatus::Received.effective(exp, exp + 5), RedPackStatus::Received);
        assert_eq!(RedPackStatus::from_wire("RFUND_ING"), Some(RedPackStatus::Refunding));
    }
}
