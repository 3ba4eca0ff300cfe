//! Mass messages and their quotas, as the seeds state them:
//! - a subscription account sends at most one mass message per calendar day;
//! - each follower receives at most 4 of a service account's mass messages per calendar month;
//!   followers over quota are filtered out and the rest receive it.
//!
//! Who received what is kept as sets of follower numbers (roaring bitmaps), never as one row
//! per follower per message: a month's quota is four sets, "received at least 1, 2, 3, 4", and
//! a send to all followers is a handful of set operations however many followers there are.

use herald_wire::callback::xml::{render, Field};
use herald_wire::{ErrCode, WxError};
use roaring::RoaringTreemap;
use serde_json::{json, Value};

use crate::account::{AccountKind, AccountType};
use crate::time::{civil_from_days, UnixTime, CST_OFFSET};

/// Mass messages a follower may receive from one service account per calendar month.
pub const PER_FOLLOWER_PER_MONTH: usize = 4;
/// Mass messages a subscription account may send per calendar day.
pub const SUBSCRIPTION_PER_DAY: i64 = 1;
/// Articles in one message.
pub const MAX_ARTICLES: usize = 8;
/// `clientmsgid` length limit, in bytes.
pub const MAX_CLIENT_MSG_ID: usize = 64;
/// Openids in one `mass/send`.
pub const MAX_OPENIDS: usize = 10_000;
/// Mass speeds 0..=4, in units of 10,000 messages a minute.
pub const SPEEDS: [i64; 5] = [80, 60, 45, 30, 10];

/// `year * 100 + month` of the calendar month containing `t` in China Standard Time.
pub fn month_key(t: UnixTime) -> i64 {
    let (y, m, _) = civil_from_days((t + CST_OFFSET).div_euclid(86_400));
    y * 100 + m
}

/// Where an account's mass messages land for its followers.
pub fn lands_in_folder(ty: AccountType) -> bool {
    ty == AccountType::Subscription
}

/// `sendall` (to all or to a tag): verified accounts of either type. `mass/send` (a list of
/// openids): verified service accounts only.
pub fn permit(kind: AccountKind, by_list: bool) -> Result<(), WxError> {
    let ok = kind.verified && (!by_list || kind.ty == AccountType::Service);
    if ok {
        Ok(())
    } else {
        Err(WxError::new(ErrCode::ApiUnauthorized))
    }
}

/// A subscription account's daily allowance: 45028 once today's message is sent.
pub fn check_daily(ty: AccountType, sent_today: i64) -> Result<(), WxError> {
    if ty == AccountType::Subscription && sent_today >= SUBSCRIPTION_PER_DAY {
        return Err(WxError::with_detail(ErrCode::NoMassQuota, "has no masssend quota: a subscription account sends one mass message a day"));
    }
    Ok(())
}

/// A validated mass message body.
#[derive(Debug, Clone, PartialEq)]
pub struct MassContent {
    /// `text`, `image`, `voice`, `mpvideo`, `mpnews`, `wxcard`.
    pub msgtype: String,
    /// The type's own object, as sent (`{"content":..}`, `{"media_id":..}`, ...).
    pub payload: Value,
    /// The media id it refers to, if any (checked by the caller).
    pub media_id: Option<String>,
}

/// Checks the msgtype and its object: 40008 for an unknown type, 44004 for empty content,
/// 40007 for a missing media_id.
pub fn check_content(body: &Value) -> Result<MassContent, WxError> {
    let msgtype = body.get("msgtype").and_then(Value::as_str).unwrap_or("");
    let msgtype = if msgtype == "video" { "mpvideo" } else { msgtype };
    let obj = body.get(msgtype).or_else(|| if msgtype == "mpvideo" { body.get("video") } else { None });
    let obj = match (msgtype, obj) {
        ("text" | "image" | "voice" | "mpvideo" | "mpnews" | "wxcard", Some(o)) if o.is_object() => o.clone(),
        ("text" | "image" | "voice" | "mpvideo" | "mpnews" | "wxcard", _) => return Err(WxError::new(ErrCode::EmptyContent)),
        _ => return Err(WxError::new(ErrCode::InvalidMessageType)),
    };
    let str_of = |k: &str| obj.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let media_id = match msgtype {
        "text" => {
            let content = str_of("content").ok_or(WxError::new(ErrCode::EmptyContent))?;
            if content.chars().count() > 10_000 {
                return Err(WxError::new(ErrCode::ContentTooLong));
            }
            None
        }
        "wxcard" => {
            str_of("card_id").ok_or(WxError::new(ErrCode::EmptyContent))?;
            None
        }
        _ => Some(str_of("media_id").ok_or(WxError::new(ErrCode::InvalidMediaId))?),
    };
    Ok(MassContent { msgtype: msgtype.to_string(), payload: obj, media_id })
}

/// Checks a `clientmsgid`: at most 64 bytes (45067).
pub fn check_client_msg_id(id: Option<&str>) -> Result<Option<String>, WxError> {
    match id.filter(|s| !s.is_empty()) {
        Some(s) if s.len() > MAX_CLIENT_MSG_ID => Err(WxError::new(ErrCode::ClientMsgIdTooLong)),
        other => Ok(other.map(str::to_string)),
    }
}

/// Checks the number of articles in one message: 1 to 8.
pub fn check_article_count(n: usize) -> Result<(), WxError> {
    match n {
        0 => Err(WxError::with_detail(ErrCode::EmptyContent, "articles is empty")),
        n if n > MAX_ARTICLES => Err(WxError::new(ErrCode::ArticleCountOutOfLimit)),
        _ => Ok(()),
    }
}

/// One calendar month of an account's mass-message quota: `levels[i]` holds the followers who
/// have received more than `i` of its mass messages this month.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonthQuota {
    levels: [RoaringTreemap; PER_FOLLOWER_PER_MONTH],
}

/// What one send did.
#[derive(Debug, Clone, PartialEq)]
pub struct SendResult {
    /// Followers who receive the message.
    pub recipients: RoaringTreemap,
    /// Followers targeted but already at their monthly quota.
    pub filtered: u64,
}

impl MonthQuota {
    /// Applies a send to `target` (follower numbers): those at quota are filtered out, the rest
    /// receive it and move up one level.
    pub fn apply(&mut self, target: &RoaringTreemap) -> SendResult {
        let full = &self.levels[PER_FOLLOWER_PER_MONTH - 1];
        let filtered = target.intersection_len(full);
        let recipients = target - full;
        for i in (1..PER_FOLLOWER_PER_MONTH).rev() {
            let up = &self.levels[i - 1] & &recipients;
            self.levels[i] |= up;
        }
        self.levels[0] |= &recipients;
        SendResult { recipients, filtered }
    }

    /// How many of `target` a send now would filter out (those already at their quota),
    /// changing nothing: the console's preview.
    pub fn filtered(&self, target: &RoaringTreemap) -> u64 {
        target.intersection_len(&self.levels[PER_FOLLOWER_PER_MONTH - 1])
    }

    /// How many mass messages follower `n` has received this month.
    pub fn received(&self, n: u64) -> usize {
        self.levels.iter().filter(|l| l.contains(n)).count()
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for l in &self.levels {
            let mut b = Vec::with_capacity(l.serialized_size());
            l.serialize_into(&mut b).expect("writing to a Vec cannot fail");
            out.extend_from_slice(&(b.len() as u64).to_le_bytes());
            out.extend_from_slice(&b);
        }
        out
    }

    pub fn decode(mut bytes: &[u8]) -> Result<Self, String> {
        let mut q = MonthQuota::default();
        if bytes.is_empty() {
            return Ok(q);
        }
        for l in &mut q.levels {
            if bytes.len() < 8 {
                return Err("truncated quota".into());
            }
            let (len, rest) = bytes.split_at(8);
            let len = u64::from_le_bytes(len.try_into().map_err(|_| "bad length")?) as usize;
            if rest.len() < len {
                return Err("truncated quota".into());
            }
            *l = RoaringTreemap::deserialize_from(&rest[..len]).map_err(|e| e.to_string())?;
            bytes = &rest[len..];
        }
        Ok(q)
    }
}

/// Follower numbers per stored piece of a set (2^16): a follower's membership is read from
/// one small piece, never from a whole set of millions.
pub const CHUNK_BITS: u32 = 16;

/// Splits a set into pieces of `1 << CHUNK_BITS` consecutive numbers: (piece number, members).
/// Works container by container, never value by value.
pub fn split_chunks(set: &RoaringTreemap) -> Vec<(i64, RoaringTreemap)> {
    let mut out = Vec::new();
    let mut done = 0u64;
    while let Some(v) = set.select(done) {
        let chunk = v >> CHUNK_BITS;
        let mut range = RoaringTreemap::new();
        range.insert_range((chunk << CHUNK_BITS)..((chunk + 1) << CHUNK_BITS));
        let part = &range & set;
        done += part.len();
        out.push((chunk as i64, part));
    }
    out
}

/// The piece a follower number is stored in.
pub fn chunk_of(n: i64) -> i64 {
    n >> CHUNK_BITS
}

/// Whether article `idx` (from 1) is in a list of deleted articles (`*`: all of them).
pub fn is_deleted(deleted: &str, idx: usize) -> bool {
    deleted == "*" || deleted.split(',').any(|d| d == idx.to_string())
}

/// Adds article `idx` (from 1; 0 or less: all) to a list of deleted articles. With `count`,
/// a list that holds every article becomes `*`.
pub fn mark_deleted(deleted: &str, idx: i64, count: Option<usize>) -> String {
    if idx <= 0 || deleted == "*" {
        return "*".into();
    }
    let mut list: Vec<&str> = deleted.split(',').filter(|s| !s.is_empty()).collect();
    let me = idx.to_string();
    if !list.contains(&me.as_str()) {
        list.push(&me);
    }
    if count.is_some_and(|n| list.len() >= n) {
        return "*".into();
    }
    list.join(",")
}

/// Serializes a set of follower numbers.
pub fn encode_set(s: &RoaringTreemap) -> Vec<u8> {
    let mut b = Vec::with_capacity(s.serialized_size());
    s.serialize_into(&mut b).expect("writing to a Vec cannot fail");
    b
}

pub fn decode_set(b: &[u8]) -> Result<RoaringTreemap, String> {
    if b.is_empty() {
        return Ok(RoaringTreemap::new());
    }
    RoaringTreemap::deserialize_from(b).map_err(|e| e.to_string())
}

/// The MASSSENDJOBFINISH `Status` for a finished send.
pub fn finish_status(sent: u64, total: u64) -> &'static str {
    if total > 0 && sent == 0 {
        "send fail"
    } else {
        "send success"
    }
}

/// A short text shown for a message in a follower's chat list.
pub fn preview(msgtype: &str, payload: &Value, first_title: Option<&str>) -> String {
    match msgtype {
        "text" => payload.get("content").and_then(Value::as_str).unwrap_or("").chars().take(60).collect(),
        "mpnews" | "news" => first_title.unwrap_or("[Article]").to_string(),
        "image" => "[Image]".into(),
        "voice" => "[Voice]".into(),
        "mpvideo" | "video" => "[Video]".into(),
        "wxcard" => "[Card]".into(),
        "template" => payload.get("title").and_then(Value::as_str).unwrap_or("[Notification]").to_string(),
        other => format!("[{other}]"),
    }
}

/// The speed setting answer: `{"speed":n,"realspeed":m}` (m in 10,000 a minute).
pub fn speed_json(speed: i64) -> Value {
    json!({"speed": speed, "realspeed": SPEEDS.get(speed as usize).copied().unwrap_or(SPEEDS[0])})
}

/// The FromUserName of platform events about an account's own jobs.
pub const SYSTEM_SENDER: &str = "mphelper";

/// Counts reported in MASSSENDJOBFINISH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MassCounts {
    pub total: i64,
    pub filtered: i64,
    pub sent: i64,
    pub errors: i64,
}

/// The MASSSENDJOBFINISH event for the developer server. FilterCount counts the followers left
/// out for being over quota (see docs/DECISIONS.md).
pub fn mass_finish_xml(original_id: &str, msg_id: i64, c: MassCounts, create_time: UnixTime) -> String {
    let status = finish_status(c.sent as u64, c.total as u64);
    render(&[
        Field::Text("ToUserName", original_id.to_string()),
        Field::Text("FromUserName", SYSTEM_SENDER.to_string()),
        Field::Num("CreateTime", create_time),
        Field::Text("MsgType", "event".into()),
        Field::Text("Event", "MASSSENDJOBFINISH".into()),
        Field::Num("MsgID", msg_id),
        Field::Text("Status", status.into()),
        Field::Num("TotalCount", c.total),
        Field::Num("FilterCount", c.filtered),
        Field::Num("SentCount", c.sent),
        Field::Num("ErrorCount", c.errors),
        Field::Node("CopyrightCheckResult", vec![Field::Num("Count", 0), Field::Node("ResultList", vec![]), Field::Num("CheckState", 1)]),
    ])
}

/// The TEMPLATESENDJOBFINISH event: `status` is `success`, `failed:user block` or
/// `failed: system failed`.
pub fn template_finish_xml(original_id: &str, openid: &str, msg_id: i64, status: &str, create_time: UnixTime) -> String {
    render(&[
        Field::Text("ToUserName", original_id.to_string()),
        Field::Text("FromUserName", openid.to_string()),
        Field::Num("CreateTime", create_time),
        Field::Text("MsgType", "event".into()),
        Field::Text("Event", "TEMPLATESENDJOBFINISH".into()),
        Field::Num("MsgID", msg_id),
        Field::Text("Status", status.into()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(r: std::ops::Range<u64>) -> RoaringTreemap {
        r.collect()
    }

    #[test]
    fn months_are_calendar_months_in_cst() {
        // 2026-01-31T23:59:59+08:00 and one second later.
        let end_jan = 1_769_875_199;
        assert_eq!(month_key(end_jan), 202601);
        assert_eq!(month_key(end_jan + 1), 202602);
        assert_eq!(month_key(0), 197001);
        // 2024-02-29 (leap day), midday CST.
        assert_eq!(month_key(1_709_179_200), 202402);
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn the_fifth_send_of_a_month_is_filtered() {
        let mut q = MonthQuota::default();
        let all = set(0..10);
        for _ in 0..4 {
            let r = q.apply(&all);
            assert_eq!((r.recipients.len(), r.filtered), (10, 0));
        }
        // A newcomer still receives; the others are at quota.
        let mut with_new = all.clone();
        with_new.insert(10);
        let r = q.apply(&with_new);
        assert_eq!((r.recipients.iter().collect::<Vec<_>>(), r.filtered), (vec![10], 10));
        assert_eq!(q.received(3), 4);
        assert_eq!(q.received(10), 1);
        assert_eq!(q.received(99), 0);
    }

    #[test]
    fn partial_targets_count_per_follower() {
        let mut q = MonthQuota::default();
        q.apply(&set(0..5));
        q.apply(&set(0..5));
        q.apply(&set(3..8));
        assert_eq!(q.received(4), 3);
        assert_eq!(q.received(7), 1);
        let r = q.apply(&set(0..8));
        assert_eq!(r.filtered, 0);
        let r = q.apply(&set(0..8));
        assert_eq!(r.filtered, 2, "3 and 4 had four");
        let back = MonthQuota::decode(&q.encode()).unwrap();
        assert_eq!(back, q);
        assert!(MonthQuota::decode(&q.encode()[..5]).is_err());
    }

    #[test]
    fn deleted_articles_are_listed() {
        assert_eq!(mark_deleted("", 2, None), "2");
        assert_eq!(mark_deleted("2", 2, None), "2");
        assert_eq!(mark_deleted("2", 1, None), "2,1");
        assert_eq!(mark_deleted("2", 0, None), "*");
        assert_eq!(mark_deleted("*", 1, None), "*");
        assert_eq!(mark_deleted("1", 2, Some(2)), "*");
        assert!(is_deleted("2,1", 1) && !is_deleted("2,1", 3) && is_deleted("*", 7));
    }

    #[test]
    fn sets_split_into_pieces() {
        let mut s = set(0..200_000);
        s.insert(1 << 40);
        s.remove(70_000);
        let parts = split_chunks(&s);
        assert_eq!(parts.iter().map(|(c, _)| *c).collect::<Vec<_>>(), vec![0, 1, 2, 3, (1 << 40) >> 16]);
        assert_eq!(parts.iter().map(|(_, p)| p.len()).sum::<u64>(), s.len());
        assert!(!parts[1].1.contains(70_000) && parts[1].1.contains(70_001));
        assert_eq!(chunk_of(70_001), 1);
        assert!(split_chunks(&RoaringTreemap::new()).is_empty());
    }

    #[test]
    fn permissions_and_daily_limit() {
        let k = |ty, verified| AccountKind { ty, verified };
        assert!(permit(k(AccountType::Subscription, true), false).is_ok());
        assert_eq!(permit(k(AccountType::Subscription, true), true).unwrap_err().code, ErrCode::ApiUnauthorized);
        assert_eq!(permit(k(AccountType::Service, false), false).unwrap_err().code, ErrCode::ApiUnauthorized);
        assert!(permit(k(AccountType::Service, true), true).is_ok());
        assert!(check_daily(AccountType::Subscription, 0).is_ok());
        assert_eq!(check_daily(AccountType::Subscription, 1).unwrap_err().code, ErrCode::NoMassQuota);
        assert!(check_daily(AccountType::Service, 100).is_ok());
    }

    #[test]
    fn finish_events_have_the_documented_fields() {
        let x = mass_finish_xml("gh_1", 1000001, MassCounts { total: 5, filtered: 1, sent: 4, errors: 0 }, 1_700_000_000);
        for part in ["<Event><![CDATA[MASSSENDJOBFINISH]]></Event>", "<MsgID>1000001</MsgID>", "<Status><![CDATA[send success]]></Status>",
            "<TotalCount>5</TotalCount>", "<FilterCount>1</FilterCount>", "<SentCount>4</SentCount>", "<ErrorCount>0</ErrorCount>"] {
            assert!(x.contains(part), "{part} in {x}");
        }
        let t = template_finish_xml("gh_1", "o1", 7, "success", 1);
        assert!(t.contains("<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>") && t.contains("<MsgID>7</MsgID>"));
    }

    #[test]
    fn content_is_checked() {
        let ok = check_content(&json!({"msgtype":"text","text":{"content":"hi"}})).unwrap();
        assert_eq!(ok.msgtype, "text");
        assert_eq!(check_content(&json!({"msgtype":"text","text":{"content":""}})).unwrap_err().code, ErrCode::EmptyContent);
        assert_eq!(check_content(&json!({"msgtype":"fax","fax":{}})).unwrap_err().code, ErrCode::InvalidMessageType);
        assert_eq!(check_content(&json!({"msgtype":"mpnews","mpnews":{}})).unwrap_err().code, ErrCode::InvalidMediaId);
        let v = check_content(&json!({"msgtype":"mpvideo","mpvideo":{"media_id":"m1"}})).unwrap();
        assert_eq!(v.media_id.as_deref(), Some("m1"));
        assert_eq!(check_client_msg_id(Some(&"x".repeat(65))).unwrap_err().code, ErrCode::ClientMsgIdTooLong);
        assert_eq!(check_article_count(9).unwrap_err().code, ErrCode::ArticleCountOutOfLimit);
        assert!(check_article_count(8).is_ok());
    }
}
