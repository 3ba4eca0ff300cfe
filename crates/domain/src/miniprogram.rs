//! Mini programs' rules: login codes and session keys, wxacode requests, the public library
//! of subscribe-message templates and the values their keywords accept, URL schemes and links,
//! and the text-content check.

use std::collections::BTreeMap;

use base64::Engine;
use rand::Rng;
use serde::Serialize;

use crate::{ErrCode, WxError};

/// A `wx.login` code and a phone-number code live five minutes and are used once.
pub const CODE_TTL: i64 = 300;
/// Templates a mini program may add to its own list.
pub const MAX_TEMPLATES: usize = 50;
/// `wx.requestSubscribeMessage` takes at most three template ids at a time.
pub const MAX_SUBSCRIBE_AT_ONCE: usize = 3;

/// A fresh session key: 16 random bytes, base64.
pub fn session_key(rng: &mut impl Rng) -> String {
    base64::engine::general_purpose::STANDARD.encode(rng.gen::<[u8; 16]>())
}

/// A `wx.login` code: 32 characters, like WeChat's.
pub fn login_code(rng: &mut impl Rng) -> String {
    const ABC: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..32).map(|_| ABC[rng.gen_range(0..ABC.len())] as char).collect()
}

/// A template id of the mini program's own list: 43 characters of base64url, like WeChat's.
pub fn pri_tmpl_id(rng: &mut impl Rng) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rng.gen::<[u8; 32]>())
}

/// A code's width: 430 by default, kept within 280–1280 as WeChat does.
pub fn code_width(width: Option<i64>) -> u32 {
    width.unwrap_or(430).clamp(280, 1280) as u32
}

/// `getwxacodeunlimit`'s scene: 1 to 32 visible characters of digits, letters and
/// ``!#$&'()*+,/:;=?@-._~`` (40169 otherwise).
pub fn check_scene(scene: &str) -> Result<(), WxError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "!#$&'()*+,/:;=?@-._~".contains(c);
    if scene.is_empty() || scene.len() > 32 || !scene.chars().all(ok_char) {
        return Err(WxError::new(ErrCode::InvalidScene));
    }
    Ok(())
}

/// A page path as `getwxacodeunlimit` takes it: no leading slash, no query (41030).
pub fn check_page(page: &str) -> Result<(), WxError> {
    let bad = page.is_empty() || page.starts_with('/') || page.contains('?') || page.len() > 256 || page.contains("..");
    if bad || !page.chars().all(|c| c.is_ascii_alphanumeric() || "/_-.".contains(c)) {
        return Err(WxError::with_detail(ErrCode::InvalidPage, format!("invalid page hint: [{page}]")));
    }
    Ok(())
}

/// A path as `getwxacode` and `createwxaqrcode` take it: a page with an optional query, at
/// most 1024 bytes; a leading slash is tolerated.
pub fn split_path(path: &str) -> Result<(String, String), WxError> {
    if path.is_empty() || path.len() > 1024 {
        return Err(WxError::with_detail(ErrCode::InvalidPage, format!("invalid page hint: [{path}]")));
    }
    let path = path.trim_start_matches('/');
    let (page, query) = path.split_once('?').unwrap_or((path, ""));
    check_page(page)?;
    Ok((page.to_string(), query.to_string()))
}

/// The kinds of value a template keyword takes (WeChat's `rule`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Thing,
    Number,
    Letter,
    Symbol,
    CharacterString,
    Time,
    Date,
    Amount,
    PhoneNumber,
    CarNumber,
    Name,
    Phrase,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Thing => "thing",
            Rule::Number => "number",
            Rule::Letter => "letter",
            Rule::Symbol => "symbol",
            Rule::CharacterString => "character_string",
            Rule::Time => "time",
            Rule::Date => "date",
            Rule::Amount => "amount",
            Rule::PhoneNumber => "phone_number",
            Rule::CarNumber => "car_number",
            Rule::Name => "name",
            Rule::Phrase => "phrase",
        }
    }

    pub fn parse(s: &str) -> Option<Rule> {
        [
            Rule::Thing,
            Rule::Number,
            Rule::Letter,
            Rule::Symbol,
            Rule::CharacterString,
            Rule::Time,
            Rule::Date,
            Rule::Amount,
            Rule::PhoneNumber,
            Rule::CarNumber,
            Rule::Name,
            Rule::Phrase,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    /// Does `v` fit this rule? (the limits WeChat documents for subscribeMessage.send)
    pub fn accepts(self, v: &str) -> bool {
        let n = v.chars().count();
        let digits_with = |v: &str, extra: &str| v.chars().all(|c| c.is_ascii_digit() || extra.contains(c));
        match self {
            Rule::Thing => n <= 20,
            Rule::Number => n <= 32 && digits_with(v, ".") && v.chars().any(|c| c.is_ascii_digit()),
            Rule::Letter => n <= 32 && v.chars().all(|c| c.is_ascii_alphabetic()),
            Rule::Symbol => n <= 5 && v.chars().all(|c| c.is_ascii_punctuation()),
            Rule::CharacterString => n <= 32 && v.chars().all(|c| c.is_ascii_graphic()),
            Rule::PhoneNumber => n <= 17 && digits_with(v, "+-() "),
            Rule::CarNumber => n <= 8,
            Rule::Name => n <= 10 || (n <= 20 && v.chars().all(|c| c.is_ascii_alphabetic() || c == ' ')),
            Rule::Phrase => n <= 5 && !v.chars().any(|c| c.is_ascii_digit()),
            Rule::Amount => {
                let t = v.trim_start_matches(['¥', '￥', '$']).trim_end_matches('元');
                !t.is_empty() && t.len() <= 13 && digits_with(t, ".") && t.chars().filter(|c| *c == '.').count() <= 1
            }
            Rule::Date => looks_like_date(v),
            Rule::Time => looks_like_time(v) || looks_like_date(v),
        }
    }
}

fn has_digits_and(v: &str, seps: &str) -> bool {
    !v.is_empty() && v.chars().any(|c| c.is_ascii_digit()) && v.chars().all(|c| c.is_ascii_digit() || seps.contains(c))
}

fn looks_like_date(v: &str) -> bool {
    v.chars().count() <= 32 && has_digits_and(v, "-/.年月日 :~")
}

fn looks_like_time(v: &str) -> bool {
    v.chars().count() <= 32 && v.contains(':') && has_digits_and(v, "-/.年月日 :~")
}

/// A keyword of a public template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyword {
    pub kid: u32,
    pub name: &'static str,
    pub rule: Rule,
    pub example: &'static str,
}

impl Keyword {
    /// The key a message's `data` uses for this keyword, e.g. `thing1`.
    pub fn key(&self) -> String {
        format!("{}{}", self.rule.as_str(), self.kid)
    }
}

/// A public template of the library (`tid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicTemplate {
    pub tid: u32,
    pub title: &'static str,
    /// 2: one-time; 3: long-term.
    pub kind: u8,
    pub category_id: u32,
    pub keywords: &'static [Keyword],
}

const fn kw(kid: u32, name: &'static str, rule: Rule, example: &'static str) -> Keyword {
    Keyword { kid, name, rule, example }
}

/// The categories of the public library (`getcategory`).
pub const CATEGORIES: &[(u32, &str)] = &[(307, "服务/生活服务"), (612, "商业服务/软件服务提供商"), (670, "教育/在线教育")];

/// The public library: what `getpubtemplatetitles` lists and `addtemplate` picks from.
pub const LIBRARY: &[PublicTemplate] = &[
    PublicTemplate {
        tid: 1207,
        title: "订单发货通知",
        kind: 2,
        category_id: 307,
        keywords: &[
            kw(1, "订单号", Rule::CharacterString, "20261207001"),
            kw(2, "商品名称", Rule::Thing, "保温杯"),
            kw(3, "发货时间", Rule::Time, "2026年12月7日 15:01"),
            kw(4, "快递公司", Rule::Thing, "顺丰速运"),
            kw(5, "收货人", Rule::Name, "张三"),
        ],
    },
    PublicTemplate {
        tid: 1211,
        title: "支付成功通知",
        kind: 2,
        category_id: 307,
        keywords: &[
            kw(1, "支付金额", Rule::Amount, "¥100.00"),
            kw(2, "商品名称", Rule::Thing, "会员月卡"),
            kw(3, "支付时间", Rule::Time, "2026-12-07 15:01"),
            kw(4, "订单号", Rule::CharacterString, "4200001234202612070001"),
        ],
    },
    PublicTemplate {
        tid: 2325,
        title: "预约成功提醒",
        kind: 2,
        category_id: 307,
        keywords: &[
            kw(1, "预约项目", Rule::Thing, "洗车"),
            kw(2, "预约时间", Rule::Time, "2026年12月8日 10:00"),
            kw(3, "门店地址", Rule::Thing, "科技园店"),
            kw(4, "预约状态", Rule::Phrase, "已确认"),
            kw(5, "联系电话", Rule::PhoneNumber, "0755-86013388"),
        ],
    },
    PublicTemplate {
        tid: 3117,
        title: "课程开课提醒",
        kind: 2,
        category_id: 670,
        keywords: &[
            kw(1, "课程名称", Rule::Thing, "Rust 入门"),
            kw(2, "开课日期", Rule::Date, "2026年12月8日"),
            kw(3, "上课人数", Rule::Number, "30"),
            kw(4, "温馨提示", Rule::Thing, "请提前十分钟进入教室"),
        ],
    },
    PublicTemplate {
        tid: 5102,
        title: "工单进度通知",
        kind: 3,
        category_id: 612,
        keywords: &[
            kw(1, "工单编号", Rule::CharacterString, "T-2026-0042"),
            kw(2, "处理进度", Rule::Phrase, "处理中"),
            kw(3, "更新时间", Rule::Time, "15:01"),
            kw(4, "处理人", Rule::Name, "Alice"),
        ],
    },
];

pub fn public_template(tid: u32) -> Option<&'static PublicTemplate> {
    LIBRARY.iter().find(|t| t.tid == tid)
}

/// A template a mini program chose from the library: its keywords in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenTemplate {
    pub tid: u32,
    pub title: &'static str,
    pub kind: u8,
    pub keywords: Vec<Keyword>,
}

impl ChosenTemplate {
    /// `商品名称:{{thing2.DATA}}\n…`, as gettemplate answers `content`.
    pub fn content(&self) -> String {
        self.keywords.iter().map(|k| format!("{}:{{{{{}.DATA}}}}\n", k.name, k.key())).collect()
    }

    pub fn example(&self) -> String {
        self.keywords.iter().map(|k| format!("{}:{}\n", k.name, k.example)).collect()
    }

    /// The keys, for storage: `thing2,time3`.
    pub fn kids(&self) -> Vec<u32> {
        self.keywords.iter().map(|k| k.kid).collect()
    }
}

/// `addtemplate`: a known tid, 2 to 5 distinct keywords of it, a scene description of at most 15 characters
/// (200014, 200020, 200021 otherwise).
pub fn choose(tid: u32, kids: &[u32], scene_desc: &str) -> Result<ChosenTemplate, WxError> {
    let t = public_template(tid).ok_or_else(|| WxError::new(ErrCode::TemplateTidInvalid))?;
    if kids.len() < 2 || kids.len() > 5 {
        return Err(WxError::new(ErrCode::KeywordListInvalid));
    }
    let mut keywords = Vec::with_capacity(kids.len());
    for (i, kid) in kids.iter().enumerate() {
        if kids[..i].contains(kid) {
            return Err(WxError::new(ErrCode::KeywordListInvalid));
        }
        keywords.push(*t.keywords.iter().find(|k| k.kid == *kid).ok_or_else(|| WxError::new(ErrCode::KeywordListInvalid))?);
    }
    if scene_desc.chars().count() > 15 {
        return Err(WxError::new(ErrCode::SceneDescInvalid));
    }
    Ok(ChosenTemplate { tid, title: t.title, kind: t.kind, keywords })
}

/// A stored template read back: the tid and the keyword ids in order.
pub fn chosen(tid: u32, kids: &[u32]) -> Option<ChosenTemplate> {
    let t = public_template(tid)?;
    let keywords = kids.iter().map(|kid| t.keywords.iter().find(|k| k.kid == *kid).copied()).collect::<Option<Vec<_>>>()?;
    Some(ChosenTemplate { tid, title: t.title, kind: t.kind, keywords })
}

/// Checks a subscribe message's `data` against the template: every keyword present with a
/// value its rule accepts (47003 naming the key otherwise). Keys the template lacks are
/// ignored, as WeChat does. Returns the values in the template's order.
pub fn check_data(t: &ChosenTemplate, data: &BTreeMap<String, String>) -> Result<Vec<(String, String, String)>, WxError> {
    let mut out = Vec::with_capacity(t.keywords.len());
    for k in &t.keywords {
        let key = k.key();
        let bad = |why: &str| WxError::with_detail(ErrCode::ArgumentInvalid, format!("argument invalid! data.{key}.value {why}"));
        let v = data.get(&key).map(|s| s.trim()).unwrap_or("");
        if v.is_empty() {
            return Err(bad("is empty"));
        }
        if !k.rule.accepts(v) {
            return Err(bad("invalid"));
        }
        out.push((key, k.name.to_string(), v.to_string()));
    }
    Ok(out)
}

/// `miniprogram_state` of a subscribe message: developer, trial or formal (the default).
pub fn check_state(state: Option<&str>) -> Result<&'static str, WxError> {
    match state.unwrap_or("formal") {
        "developer" => Ok("developer"),
        "trial" => Ok("trial"),
        "formal" | "" => Ok("formal"),
        other => Err(WxError::with_detail(ErrCode::ArgumentInvalid, format!("argument invalid! miniprogram_state {other}"))),
    }
}

/// What the text-content check finds. WeChat's own documented test string is risky, as is
/// any text holding `herald:risky`; anything else passes.
pub fn text_is_risky(content: &str) -> bool {
    const RISKY: &[&str] = &["特3456书yuuo莞6543李zxcz蒜7782法fgnv级", "herald:risky"];
    RISKY.iter().any(|r| content.contains(r))
}

/// An id for a URL scheme (`weixin://dl/business/?t=…`) or a URL link (`…/wxa/l/…`).
pub fn link_id(rng: &mut impl Rng) -> String {
    const ABC: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..14).map(|_| ABC[rng.gen_range(0..ABC.len())] as char).collect()
}

/// How long a scheme or link lives: until `expire_time` (type 0) or for `expire_interval`
/// days (type 1, at most 30); links that do not expire last 30 days since 2023, as WeChat's.
pub fn link_expiry(now: i64, is_expire: bool, expire_type: i64, expire_time: Option<i64>, expire_interval: Option<i64>) -> Result<i64, WxError> {
    const MAX: i64 = 30 * 86_400;
    if !is_expire {
        return Ok(now + MAX);
    }
    let bad = |what: &str| WxError::with_detail(ErrCode::InvalidParameter, format!("invalid args {what}"));
    match expire_type {
        0 => {
            let t = expire_time.ok_or_else(|| bad("expire_time"))?;
            if t <= now || t > now + MAX {
                return Err(bad("expire_time"));
            }
            Ok(t)
        }
        1 => {
            let d = expire_interval.ok_or_else(|| bad("expire_interval"))?;
            if !(1..=30).contains(&d) {
                return Err(bad("expire_interval"));
            }
            Ok(now + d * 86_400)
        }
        _ => Err(bad("expire_type")),
    }
}

/// A mini program's testers (who may open its trial and develop versions).
pub const MAX_TESTERS: usize = 100;

/// At most this many request domains, as WeChat allows.
pub const MAX_REQUEST_DOMAINS: usize = 200;
/// wx.setStorage: a user's storage for one mini program holds at most 10 MB, one value 1 MB.
pub const MAX_STORAGE: usize = 10 * 1024 * 1024;
pub const MAX_STORAGE_VALUE: usize = 1024 * 1024;

/// A server domain as a mini program lists it: `https://host[:port]` (http is taken too, for
/// development servers), lower-cased, without a path. None when it is not one.
pub fn normalize_domain(d: &str) -> Option<String> {
    let u = url::Url::parse(d.trim()).ok()?;
    if !matches!(u.scheme(), "https" | "http") || u.host_str().is_none() || !(u.path() == "/" || u.path().is_empty()) || u.query().is_some() {
        return None;
    }
    Some(u.origin().ascii_serialization())
}

/// May wx.request reach `url`? Only when its origin is one of the listed domains.
pub fn request_allowed(url: &str, domains: &[String]) -> bool {
    let Ok(u) = url::Url::parse(url) else { return false };
    let origin = u.origin().ascii_serialization();
    matches!(u.scheme(), "https" | "http") && domains.contains(&origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenes_and_pages() {
        assert!(check_scene("a=1&b=2").is_ok());
        assert!(check_scene(&"x".repeat(32)).is_ok());
        assert_eq!(check_scene(&"x".repeat(33)).unwrap_err().code, ErrCode::InvalidScene);
        assert_eq!(check_scene("中文").unwrap_err().code, ErrCode::InvalidScene);
        assert!(check_page("pages/index/index").is_ok());
        assert_eq!(check_page("/pages/index/index").unwrap_err().code, ErrCode::InvalidPage);
        assert_eq!(check_page("pages/a?x=1").unwrap_err().code, ErrCode::InvalidPage);
        assert_eq!(split_path("/pages/a/a?id=3").unwrap(), ("pages/a/a".to_string(), "id=3".to_string()));
        assert_eq!(code_width(Some(10)), 280);
        assert_eq!(code_width(Some(5000)), 1280);
        assert_eq!(code_width(None), 430);
    }

    #[test]
    fn rules_take_what_wechat_documents() {
        assert!(Rule::Thing.accepts("保温杯"));
        assert!(!Rule::Thing.accepts(&"长".repeat(21)));
        assert!(Rule::Amount.accepts("¥100.00"));
        assert!(Rule::Amount.accepts("100元"));
        assert!(!Rule::Amount.accepts("a lot"));
        assert!(Rule::Time.accepts("2026年12月7日 15:01"));
        assert!(Rule::Time.accepts("15:01"));
        assert!(!Rule::Time.accepts("soon"));
        assert!(Rule::Date.accepts("2026-12-07"));
        assert!(Rule::Number.accepts("30"));
        assert!(!Rule::Number.accepts("thirty"));
        assert!(Rule::Phrase.accepts("已确认"));
        assert!(!Rule::Phrase.accepts("非常非常非常好"));
        assert!(Rule::CharacterString.accepts("T-2026-0042"));
        assert!(!Rule::CharacterString.accepts("有中文"));
        for t in LIBRARY {
            for k in t.keywords {
                assert!(k.rule.accepts(k.example), "{} {}", t.title, k.name);
            }
        }
    }

    #[test]
    fn choosing_and_filling_a_template() {
        let t = choose(1207, &[2, 3], "发货").unwrap();
        assert_eq!(t.content(), "商品名称:{{thing2.DATA}}\n发货时间:{{time3.DATA}}\n");
        assert_eq!(choose(9999, &[1, 2], "").unwrap_err().code, ErrCode::TemplateTidInvalid);
        assert_eq!(choose(1207, &[1], "").unwrap_err().code, ErrCode::KeywordListInvalid);
        assert_eq!(choose(1207, &[1, 1], "").unwrap_err().code, ErrCode::KeywordListInvalid);
        assert_eq!(choose(1207, &[1, 42], "").unwrap_err().code, ErrCode::KeywordListInvalid);
        assert_eq!(chosen(1207, &[2, 3]), Some(t.clone()));
        let mut data = BTreeMap::new();
        data.insert("thing2".to_string(), "保温杯".to_string());
        let e = check_data(&t, &data).unwrap_err();
        assert_eq!(e.code, ErrCode::ArgumentInvalid);
        assert_eq!(e.detail.as_deref(), Some("argument invalid! data.time3.value is empty"));
        data.insert("time3".to_string(), "tomorrow".to_string());
        assert_eq!(check_data(&t, &data).unwrap_err().detail.as_deref(), Some("argument invalid! data.time3.value invalid"));
        data.insert("time3".to_string(), "2026-12-07 15:01".to_string());
        data.insert("extra9".to_string(), "ignored".to_string());
        let filled = check_data(&t, &data).unwrap();
        assert_eq!(filled[1], ("time3".to_string(), "发货时间".to_string(), "2026-12-07 15:01".to_string()));
    }

    #[test]
    fn link_lifetimes() {
        assert_eq!(link_expiry(100, false, 0, None, None).unwrap(), 100 + 30 * 86_400);
        assert_eq!(link_expiry(100, true, 1, None, Some(2)).unwrap(), 100 + 2 * 86_400);
        assert!(link_expiry(100, true, 1, None, Some(31)).is_err());
        assert!(link_expiry(100, true, 0, Some(50), None).is_err());
        assert_eq!(link_expiry(100, true, 0, Some(500), None).unwrap(), 500);
    }

    #[test]
    fn request_domains() {
        assert_eq!(normalize_domain("https://API.example.com/"), Some("https://api.example.com".into()));
        assert_eq!(normalize_domain("http://127.0.0.1:8080"), Some("http://127.0.0.1:8080".into()));
        assert_eq!(normalize_domain("https://x.com/path"), None);
        assert_eq!(normalize_domain("ftp://x.com"), None);
        let list = vec!["https://api.example.com".to_string()];
        assert!(request_allowed("https://api.example.com/v1/items?x=1", &list));
        assert!(!request_allowed("https://api.example.com:8443/v1", &list));
        assert!(!request_allowed("https://evil.example.com/", &list));
        assert!(!request_allowed("not a url", &list));
    }

    #[test]
    fn the_content_check() {
        assert!(text_is_risky("特3456书yuuo莞6543李zxcz蒜7782法fgnv级"));
        assert!(!text_is_risky("hello"));
    }
}
