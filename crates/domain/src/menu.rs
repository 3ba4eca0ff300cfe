//! Custom menus: WeChat's validation of a menu (buttons, sub-buttons, names, the fields each
//! type needs, jump domains), conditional-menu match rules, which menu a user sees, and the
//! event a tap raises.

use std::collections::BTreeSet;

use herald_wire::lenient::int_value;
use serde_json::{json, Map, Value};

use crate::{ErrCode, WxError};

pub const MAX_BUTTONS: usize = 3;
pub const MAX_SUB_BUTTONS: usize = 5;
/// Bytes, UTF-8.
pub const MAX_NAME_BYTES: usize = 16;
pub const MAX_SUB_NAME_BYTES: usize = 60;
pub const MAX_KEY_BYTES: usize = 128;
pub const MAX_URL_BYTES: usize = 1024;
/// Jump domains across all of an account's menus.
pub const MAX_DOMAINS: usize = 3;
/// Conditional menus per account (WeChat documents no number; Herald's choice).
pub const MAX_CONDITIONAL: i64 = 100;

/// Every button type the API accepts.
pub const TYPES: &[&str] = &[
    "click",
    "view",
    "miniprogram",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
    "media_id",
    "view_limited",
    "article_id",
    "article_view_limited",
];

/// The error codes of one button level.
struct Codes {
    ty: ErrCode,
    name: ErrCode,
    key: ErrCode,
    url: ErrCode,
    domain: ErrCode,
    max_name: usize,
}

const TOP: Codes = Codes {
    ty: ErrCode::InvalidButtonType,
    name: ErrCode::InvalidButtonNameSize,
    key: ErrCode::InvalidButtonKeySize,
    url: ErrCode::InvalidButtonUrlSize,
    domain: ErrCode::InvalidButtonDomain,
    max_name: MAX_NAME_BYTES,
};
const SUB: Codes = Codes {
    ty: ErrCode::InvalidSubButtonType,
    name: ErrCode::InvalidSubButtonNameSize,
    key: ErrCode::InvalidSubButtonKeySize,
    url: ErrCode::InvalidSubButtonUrlSize,
    domain: ErrCode::InvalidSubButtonDomain,
    max_name: MAX_SUB_NAME_BYTES,
};

fn err(code: ErrCode, detail: String) -> WxError {
    WxError::with_detail(code, format!("{}: {detail}", code.message()))
}

fn text<'a>(b: &'a Value, f: &str) -> &'a str {
    b.get(f).and_then(Value::as_str).unwrap_or("")
}

/// A http(s) URL's host (with port), or None.
pub fn url_host(u: &str) -> Option<String> {
    let parsed = url::Url::parse(u).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let host = parsed.host_str()?.to_ascii_lowercase();
    Some(match parsed.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

/// One leaf button: its type and the fields that type needs. Returns the stored form.
fn check_leaf(b: &Value, c: &Codes, domains: &mut BTreeSet<String>) -> Result<Value, WxError> {
    let name = text(b, "name");
    if name.is_empty() || name.len() > c.max_name {
        return Err(err(c.name, format!("{name:?} must be 1 to {} bytes", c.max_name)));
    }
    let ty = text(b, "type");
    if !TYPES.contains(&ty) {
        return Err(err(c.ty, format!("{ty:?} in button {name:?}")));
    }
    let mut out = Map::new();
    out.insert("type".into(), json!(ty));
    out.insert("name".into(), json!(name));
    let mut need_url = |out: &mut Map<String, Value>| -> Result<(), WxError> {
        let u = text(b, "url");
        if u.is_empty() || u.len() > MAX_URL_BYTES {
            return Err(err(c.url, format!("button {name:?} needs a url of at most {MAX_URL_BYTES} bytes")));
        }
        let host = url_host(u).ok_or_else(|| err(c.domain, format!("{u:?} is not an http(s) URL")))?;
        domains.insert(host);
        out.insert("url".into(), json!(u));
        Ok(())
    };
    match ty {
        "view" => need_url(&mut out)?,
        "miniprogram" => {
            need_url(&mut out)?;
            let (appid, page) = (text(b, "appid"), text(b, "pagepath"));
            if appid.is_empty() || page.is_empty() {
                return Err(err(ErrCode::ButtonWithoutAction, format!("miniprogram button {name:?} needs appid and pagepath")));
            }
            out.insert("appid".into(), json!(appid));
            out.insert("pagepath".into(), json!(page));
        }
        "media_id" | "view_limited" => {
            let m = text(b, "media_id");
            if m.is_empty() {
                return Err(err(ErrCode::MediaIdMissing, format!("button {name:?} needs media_id")));
            }
            if m.len() > 128 {
                return Err(err(ErrCode::InvalidMediaIdSize, format!("button {name:?}")));
            }
            out.insert("media_id".into(), json!(m));
        }
        "article_id" | "article_view_limited" => {
            let a = text(b, "article_id");
            if a.is_empty() {
                return Err(err(ErrCode::PublishArticleMissing, format!("button {name:?} needs article_id")));
            }
            out.insert("article_id".into(), json!(a));
        }
        _ => {
            let k = text(b, "key");
            if k.is_empty() || k.len() > MAX_KEY_BYTES {
                return Err(err(c.key, format!("button {name:?} needs a key of 1 to {MAX_KEY_BYTES} bytes")));
            }
            out.insert("key".into(), json!(k));
        }
    }
    out.insert("sub_button".into(), json!([]));
    Ok(Value::Object(out))
}

/// Checks `{"button": [...]}` as WeChat does and returns the buttons in their stored form
/// (the shape `menu/get` echoes, with `sub_button: []` on every button), and the jump domains.
pub fn check_menu(body: &Value) -> Result<(Vec<Value>, BTreeSet<String>), WxError> {
    let buttons = body.get("button").and_then(Value::as_array).ok_or_else(|| err(ErrCode::InvalidButtonSize, "no button list".into()))?;
    if buttons.is_empty() || buttons.len() > MAX_BUTTONS {
        return Err(err(ErrCode::InvalidButtonSize, format!("{} top-level buttons (1 to {MAX_BUTTONS})", buttons.len())));
    }
    let mut domains = BTreeSet::new();
    let mut out = Vec::with_capacity(buttons.len());
    for b in buttons {
        let subs = b.get("sub_button").and_then(Value::as_array).filter(|s| !s.is_empty());
        let Some(subs) = subs else {
            if text(b, "type").is_empty() {
                let name = text(b, "name");
                return Err(err(ErrCode::SubButtonsMissing, format!("button {name:?} has neither a type nor sub-buttons")));
            }
            out.push(check_leaf(b, &TOP, &mut domains)?);
            continue;
        };
        let name = text(b, "name");
        if name.is_empty() || name.len() > MAX_NAME_BYTES {
            return Err(err(ErrCode::InvalidButtonNameSize, format!("{name:?} must be 1 to {MAX_NAME_BYTES} bytes")));
        }
        if subs.len() > MAX_SUB_BUTTONS {
            return Err(err(ErrCode::InvalidSubButtonCount, format!("{} sub-buttons under {name:?} (1 to {MAX_SUB_BUTTONS})", subs.len())));
        }
        let mut list = Vec::with_capacity(subs.len());
        for s in subs {
            if s.get("sub_button").and_then(Value::as_array).is_some_and(|a| !a.is_empty()) {
                return Err(err(ErrCode::InvalidSubButtonLevel, format!("sub-button {:?} has sub-buttons", text(s, "name"))));
            }
            list.push(check_leaf(s, &SUB, &mut domains)?);
        }
        out.push(json!({"name": name, "sub_button": list}));
    }
    if domains.len() > MAX_DOMAINS {
        return Err(err(ErrCode::MenuDomainLimit, format!("{} jump domains (at most {MAX_DOMAINS})", domains.len())));
    }
    Ok((out, domains))
}

/// Jump domains of stored buttons.
pub fn domains_of(buttons: &[Value]) -> BTreeSet<String> {
    let mut d = BTreeSet::new();
    for b in buttons {
        let subs = b.get("sub_button").and_then(Value::as_array).cloned().unwrap_or_default();
        for leaf in std::iter::once(b).chain(subs.iter()) {
            if let Some(h) = leaf.get("url").and_then(Value::as_str).and_then(url_host) {
                d.insert(h);
            }
        }
    }
    d
}

/// A conditional menu's match rule. Every field is optional; at least one must be set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchRule {
    pub tag_id: Option<i64>,
    pub sex: Option<i64>,
    pub country: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    /// 1 iOS, 2 Android, 3 other.
    pub client_platform_type: Option<i64>,
    pub language: Option<String>,
}

fn opt_text(v: &Value, f: &str) -> Option<String> {
    v.get(f).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl MatchRule {
    /// Reads `matchrule` as the SDKs send it (numbers may be strings; `group_id` is the old
    /// name of `tag_id`).
    pub fn parse(v: Option<&Value>) -> Result<MatchRule, WxError> {
        let v = v.filter(|v| v.is_object()).ok_or_else(|| err(ErrCode::MatchRuleEmpty, "no matchrule".into()))?;
        let r = MatchRule {
            tag_id: int_value(v.get("tag_id")).or_else(|| int_value(v.get("group_id"))),
            sex: int_value(v.get("sex")),
            country: opt_text(v, "country"),
            province: opt_text(v, "province"),
            city: opt_text(v, "city"),
            client_platform_type: int_value(v.get("client_platform_type")),
            language: opt_text(v, "language"),
        };
        if r == MatchRule::default() {
            return Err(err(ErrCode::MatchRuleEmpty, "every field of the matchrule is empty".into()));
        }
        if r.country.is_none() && (r.province.is_some() || r.city.is_some()) {
            return Err(ErrCode::CountryMissing.into());
        }
        if r.province.is_none() && r.city.is_some() {
            return Err(ErrCode::ProvinceMissing.into());
        }
        if r.sex.is_some_and(|s| !(1..=2).contains(&s)) || r.client_platform_type.is_some_and(|p| !(1..=3).contains(&p)) {
            return Err(WxError::with_detail(ErrCode::InvalidParameter, "sex must be 1 or 2 and client_platform_type 1, 2 or 3"));
        }
        Ok(r)
    }

    /// The rule as `menu/get` shows it (WeChat echoes every field, empty ones as "").
    pub fn to_json(&self) -> Value {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        let n = |o: Option<i64>| o.map(|i| i.to_string()).unwrap_or_default();
        json!({
            "tag_id": n(self.tag_id), "group_id": n(self.tag_id), "sex": n(self.sex), "country": s(&self.country),
            "province": s(&self.province), "city": s(&self.city),
            "client_platform_type": n(self.client_platform_type), "language": s(&self.language),
        })
    }

    /// Does a user with this profile and these tags match?
    pub fn matches(&self, who: &Viewer) -> bool {
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w.eq_ignore_ascii_case(have));
        self.tag_id.is_none_or(|t| who.tag_ids.contains(&t))
            && self.sex.is_none_or(|s| s == who.sex)
            && self.client_platform_type.is_none_or(|p| p == who.platform_type)
            && eq(&self.country, &who.country)
            && eq(&self.province, &who.province)
            && eq(&self.city, &who.city)
            && eq(&self.language, &who.language)
    }
}

/// What a conditional menu is matched against.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub tag_ids: Vec<i64>,
    pub sex: i64,
    pub platform_type: i64,
    pub country: String,
    pub province: String,
    pub city: String,
    pub language: String,
}

/// A stored menu: the default (no rule) or a conditional one.
#[derive(Debug, Clone)]
pub struct MenuDef {
    pub menuid: i64,
    pub buttons: Vec<Value>,
    pub rule: Option<MatchRule>,
}

/// The menu a viewer sees: the newest conditional menu whose rule matches, else the default.
pub fn pick<'a>(menus: &'a [MenuDef], who: &Viewer) -> Option<&'a MenuDef> {
    let mut conditional: Vec<&MenuDef> = menus.iter().filter(|m| m.rule.is_some()).collect();
    conditional.sort_by_key(|m| std::cmp::Reverse(m.menuid));
    conditional
        .into_iter()
        .find(|m| m.rule.as_ref().is_some_and(|r| r.matches(who)))
        .or_else(|| menus.iter().find(|m| m.rule.is_none()))
}

/// The button at `path` (one index for a top-level button, two for a sub-button).
pub fn button_at<'a>(buttons: &'a [Value], path: &[usize]) -> Option<&'a Value> {
    let top = buttons.get(*path.first()?)?;
    match path.len() {
        1 => Some(top),
        2 => top.get("sub_button")?.as_array()?.get(path[1]),
        _ => None,
    }
}

/// `get_current_selfmenu_info`'s shape: parents carry `sub_button: {list: [...]}`.
pub fn selfmenu_json(buttons: &[Value]) -> Value {
    let leaf = |b: &Value| {
        let mut o = b.as_object().cloned().unwrap_or_default();
        o.remove("sub_button");
        if let Some(m) = o.remove("media_id") {
            o.insert("value".into(), m);
        }
        if let Some(a) = o.remove("article_id") {
            o.insert("value".into(), a);
        }
        Value::Object(o)
    };
    let list: Vec<Value> = buttons
        .iter()
        .map(|b| match b.get("sub_button").and_then(Value::as_array).filter(|s| !s.is_empty()) {
            Some(subs) => json!({"name": b["name"], "sub_button": {"list": subs.iter().map(leaf).collect::<Vec<_>>()}}),
            None => leaf(b),
        })
        .collect();
    json!({"button": list})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn click(name: &str) -> Value {
        json!({"type": "click", "name": name, "key": "K"})
    }

    fn code(r: Result<(Vec<Value>, BTreeSet<String>), WxError>) -> i64 {
        r.err().map(|e| e.code.code()).unwrap_or(0)
    }

    #[test]
    fn menus_are_checked_like_wechat() {
        let ok = json!({"button": [click("A"), {"name": "More", "sub_button": [
            {"type": "view", "name": "Site", "url": "http://a.example/x"},
            {"type": "miniprogram", "name": "App", "url": "http://b.example", "appid": "wx1", "pagepath": "pages/i"},
        ]}]});
        let (buttons, domains) = check_menu(&ok).unwrap();
        assert_eq!(buttons[0]["sub_button"], json!([]));
        assert_eq!(buttons[1]["sub_button"][0]["url"], "http://a.example/x");
        assert_eq!(domains.len(), 2);

        assert_eq!(code(check_menu(&json!({"button": []}))), 40016);
        assert_eq!(code(check_menu(&json!({"button": [click("A"), click("B"), click("C"), click("D")]}))), 40016);
        let six: Vec<Value> = (0..6).map(|i| click(&format!("S{i}"))).collect();
        assert_eq!(code(check_menu(&json!({"button": [{"name": "P", "sub_button": six}]}))), 40023);
        assert_eq!(code(check_menu(&json!({"button": [click("seventeen-bytes!!")]}))), 40018);
        assert_eq!(code(check_menu(&json!({"button": [{"name": "P", "sub_button": [click(&"x".repeat(61))]}]}))), 40025);
        assert_eq!(code(check_menu(&json!({"button": [{"type": "dance", "name": "A"}]}))), 40015);
        assert_eq!(code(check_menu(&json!({"button": [{"name": "P", "sub_button": [{"type": "dance", "name": "A"}]}]}))), 40024);
        assert_eq!(code(check_menu(&json!({"button": [{"type": "click", "name": "A"}]}))), 40019);
        assert_eq!(code(check_menu(&json!({"button": [{"type": "click", "name": "A", "key": "k".repeat(129)}]}))), 40019);
        assert_eq!(code(check_menu(&json!({"button": [{"type": "view", "name": "A"}]}))), 40020);
        assert_eq!(code(check_menu(&json!({"button": [{"type": "view", "name": "A", "url": "ftp://x"}]}))), 40054);
        assert_eq!(code(check_menu(&json!({"button": [{"name": "A"}]}))), 41007);
        assert_eq!(code(check_menu(&json!({"button": [{"type": "media_id", "name": "A"}]}))), 41006);
        let deep = json!({"button": [{"name": "P", "sub_button": [{"name": "Q", "sub_button": [click("R")]}]}]});
        assert_eq!(code(check_menu(&deep)), 40022);
        let urls: Vec<Value> = (0..4).map(|i| json!({"type": "view", "name": format!("V{i}"), "url": format!("http://d{i}.example")})).collect();
        assert_eq!(code(check_menu(&json!({"button": [{"name": "P", "sub_button": urls}]}))), 65316);
        // Chinese names count bytes: 5 characters are 15 bytes, 6 are 18.
        assert!(check_menu(&json!({"button": [click("今日歌曲呀")]})).is_ok());
        assert_eq!(code(check_menu(&json!({"button": [click("今日歌曲呀呀")]}))), 40018);
    }

    #[test]
    fn rules_parse_leniently_and_match() {
        assert_eq!(MatchRule::parse(None).unwrap_err().code, ErrCode::MatchRuleEmpty);
        assert_eq!(MatchRule::parse(Some(&json!({"sex": ""}))).unwrap_err().code, ErrCode::MatchRuleEmpty);
        assert_eq!(MatchRule::parse(Some(&json!({"province": "广东"}))).unwrap_err().code, ErrCode::CountryMissing);
        let r = MatchRule::parse(Some(&json!({"group_id": "2", "sex": "1", "client_platform_type": 2}))).unwrap();
        assert_eq!((r.tag_id, r.sex, r.client_platform_type), (Some(2), Some(1), Some(2)));
        let mut who = Viewer { tag_ids: vec![2], sex: 1, platform_type: 2, language: "zh_CN".into(), ..Viewer::default() };
        assert!(r.matches(&who));
        who.platform_type = 1;
        assert!(!r.matches(&who));
    }

    #[test]
    fn the_newest_matching_conditional_menu_wins() {
        let rule = |t| Some(MatchRule { tag_id: Some(t), ..MatchRule::default() });
        let menus = vec![
            MenuDef { menuid: 1, buttons: vec![], rule: None },
            MenuDef { menuid: 5, buttons: vec![], rule: rule(7) },
            MenuDef { menuid: 9, buttons: vec![], rule: rule(7) },
            MenuDef { menuid: 12, buttons: vec![], rule: rule(8) },
        ];
        assert_eq!(pick(&menus, &Viewer { tag_ids: vec![7], ..Viewer::default() }).unwrap().menuid, 9);
        assert_eq!(pick(&menus, &Viewer::default()).unwrap().menuid, 1);
        assert!(pick(&[], &Viewer::default()).is_none());
    }
}
