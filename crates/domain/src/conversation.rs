//! Conversations between a follower and an account: what users send, the events they raise,
//! how those reach the developer server as XML, the 48-hour customer-service window, and the
//! messages an account may send back.

use herald_wire::callback::xml::{render, Field};
use herald_wire::ErrCode;
use serde::{Deserialize, Serialize};

use crate::time::UnixTime;

/// After an interaction, the account may send customer-service messages for this long.
pub const WINDOW_SECS: i64 = 48 * 3600;

/// What WeChat shows a user when the developer server fails them.
pub const SERVICE_UNAVAILABLE: &str = "该公众号暂时无法提供服务，请稍后再试";

/// Offset that makes MsgIds look like WeChat's 64-bit ids; the rest is the message's sequence.
pub const MSG_ID_BASE: i64 = 10_000_000_000_000_000;

/// A message a user sends to an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "msgtype", rename_all = "lowercase")]
pub enum UserMessage {
    /// `bizmsgmenuid`: the option of a customer-service menu message (msgmenu) the user tapped;
    /// the text is that option's.
    Text {
        #[serde(default)]
        content: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bizmsgmenuid: Option<String>,
    },
    Image { #[serde(default)] pic_url: String, #[serde(default)] media_id: String },
    Voice { #[serde(default)] media_id: String, #[serde(default = "amr")] format: String, #[serde(default)] recognition: Option<String> },
    Video { #[serde(default)] media_id: String, #[serde(default)] thumb_media_id: String },
    Location { latitude: f64, longitude: f64, #[serde(default = "scale")] scale: i64, #[serde(default)] label: String },
    Link { title: String, #[serde(default)] description: String, url: String },
}

fn amr() -> String {
    "amr".into()
}

fn scale() -> i64 {
    15
}

/// An event a user raises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event")]
pub enum UserEvent {
    #[serde(rename = "subscribe")]
    Subscribe { #[serde(default)] event_key: Option<String>, #[serde(default)] ticket: Option<String> },
    #[serde(rename = "unsubscribe")]
    Unsubscribe,
    #[serde(rename = "SCAN")]
    Scan { event_key: String, #[serde(default)] ticket: Option<String> },
    #[serde(rename = "LOCATION")]
    Location { latitude: f64, longitude: f64, #[serde(default)] precision: f64 },
    #[serde(rename = "CLICK")]
    Click { event_key: String },
    #[serde(rename = "VIEW")]
    View { event_key: String, #[serde(default)] menu_id: Option<String> },
    #[serde(rename = "view_miniprogram")]
    ViewMiniprogram { event_key: String, #[serde(default)] menu_id: Option<String> },
    /// `scancode_push` or `scancode_waitmsg`: the client scanned something for a menu button.
    #[serde(rename = "scancode")]
    ScanCode { kind: ScanCodeKind, event_key: String, scan_type: String, scan_result: String },
    /// `pic_sysphoto`, `pic_photo_or_album` or `pic_weixin`: MD5 sums of the pictures sent.
    #[serde(rename = "pic")]
    Pic { kind: PicKind, event_key: String, pic_md5: Vec<String> },
    #[serde(rename = "location_select")]
    LocationSelect { event_key: String, location_x: f64, location_y: f64, scale: i64, label: String, #[serde(default)] poiname: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanCodeKind {
    ScancodePush,
    ScancodeWaitmsg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PicKind {
    PicSysphoto,
    PicPhotoOrAlbum,
    PicWeixin,
}

/// Anything a user sends or raises.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Message(UserMessage),
    Event(UserEvent),
}

impl UserMessage {
    pub fn msgtype(&self) -> &'static str {
        match self {
            UserMessage::Text { .. } => "text",
            UserMessage::Image { .. } => "image",
            UserMessage::Voice { .. } => "voice",
            UserMessage::Video { .. } => "video",
            UserMessage::Location { .. } => "location",
            UserMessage::Link { .. } => "link",
        }
    }

    /// Rejects messages a client could not have sent.
    pub fn check(&self) -> Result<(), String> {
        let bad = |s: &str| Err(s.to_string());
        match self {
            UserMessage::Text { content, .. } if content.is_empty() => bad("text content is empty"),
            UserMessage::Text { content, .. } if content.chars().count() > 2048 => bad("text content is over 2048 characters"),
            UserMessage::Location { latitude, longitude, .. } if latitude.abs() > 90.0 || longitude.abs() > 180.0 => {
                bad("latitude must be within ±90 and longitude within ±180")
            }
            UserMessage::Link { title, url, .. } if title.is_empty() || url.is_empty() => bad("a link needs a title and a url"),
            _ => Ok(()),
        }
    }
}

impl UserEvent {
    pub fn name(&self) -> &'static str {
        match self {
            UserEvent::Subscribe { .. } => "subscribe",
            UserEvent::Unsubscribe => "unsubscribe",
            UserEvent::Scan { .. } => "SCAN",
            UserEvent::Location { .. } => "LOCATION",
            UserEvent::Click { .. } => "CLICK",
            UserEvent::View { .. } => "VIEW",
            UserEvent::ViewMiniprogram { .. } => "view_miniprogram",
            UserEvent::ScanCode { kind: ScanCodeKind::ScancodePush, .. } => "scancode_push",
            UserEvent::ScanCode { kind: ScanCodeKind::ScancodeWaitmsg, .. } => "scancode_waitmsg",
            UserEvent::Pic { kind: PicKind::PicSysphoto, .. } => "pic_sysphoto",
            UserEvent::Pic { kind: PicKind::PicPhotoOrAlbum, .. } => "pic_photo_or_album",
            UserEvent::Pic { kind: PicKind::PicWeixin, .. } => "pic_weixin",
            UserEvent::LocationSelect { .. } => "location_select",
        }
    }
}

impl Inbound {
    /// Does this restart the 48-hour window? Messages, follows, QR scans and menu taps do;
    /// location reports and unfollows do not.
    pub fn opens_window(&self) -> bool {
        match self {
            Inbound::Message(_) => true,
            Inbound::Event(e) => matches!(
                e,
                UserEvent::Subscribe { .. }
                    | UserEvent::Scan { .. }
                    | UserEvent::Click { .. }
                    | UserEvent::View { .. }
                    | UserEvent::ViewMiniprogram { .. }
                    | UserEvent::ScanCode { .. }
                    | UserEvent::Pic { .. }
                    | UserEvent::LocationSelect { .. }
            ),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Inbound::Message(m) => m.msgtype(),
            Inbound::Event(_) => "event",
        }
    }

    /// The JSON stored for it in the conversation.
    pub fn body_json(&self) -> String {
        match self {
            Inbound::Message(m) => serde_json::to_string(m),
            Inbound::Event(e) => serde_json::to_string(e),
        }
        .unwrap_or_else(|_| "{}".into())
    }

    /// The XML pushed to the developer server (plaintext; the envelope is added per attempt).
    /// `msg_id` is used for messages; events are identified by sender and CreateTime.
    pub fn callback_xml(&self, account_original_id: &str, openid: &str, create_time: UnixTime, msg_id: i64) -> String {
        let mut f = vec![
            Field::Text("ToUserName", account_original_id.to_string()),
            Field::Text("FromUserName", openid.to_string()),
            Field::Num("CreateTime", create_time),
        ];
        match self {
            Inbound::Message(m) => {
                f.push(Field::Text("MsgType", m.msgtype().to_string()));
                match m {
                    UserMessage::Text { content, .. } => f.push(Field::Text("Content", content.clone())),
                    UserMessage::Image { pic_url, media_id } => {
                        f.push(Field::Text("PicUrl", pic_url.clone()));
                        f.push(Field::Text("MediaId", media_id.clone()));
                    }
                    UserMessage::Voice { media_id, format, recognition } => {
                        f.push(Field::Text("MediaId", media_id.clone()));
                        f.push(Field::Text("Format", format.clone()));
                        if let Some(r) = recognition {
                            f.push(Field::Text("Recognition", r.clone()));
                        }
                    }
                    UserMessage::Video { media_id, thumb_media_id } => {
                        f.push(Field::Text("MediaId", media_id.clone()));
                        f.push(Field::Text("ThumbMediaId", thumb_media_id.clone()));
                    }
                    UserMessage::Location { latitude, longitude, scale, label } => {
                        f.push(Field::Float("Location_X", *latitude));
                        f.push(Field::Float("Location_Y", *longitude));
                        f.push(Field::Num("Scale", *scale));
                        f.push(Field::Text("Label", label.clone()));
                    }
                    UserMessage::Link { title, description, url } => {
                        f.push(Field::Text("Title", title.clone()));
                        f.push(Field::Text("Description", description.clone()));
                        f.push(Field::Text("Url", url.clone()));
                    }
                }
                f.push(Field::Num("MsgId", msg_id));
                if let UserMessage::Text { bizmsgmenuid: Some(id), .. } = m {
                    // WeChat's example shows the id bare, as a number.
                    f.push(match id.parse::<i64>() {
                        Ok(n) => Field::Num("bizmsgmenuid", n),
                        Err(_) => Field::Text("bizmsgmenuid", id.clone()),
                    });
                }
            }
            Inbound::Event(e) => {
                f.push(Field::Text("MsgType", "event".into()));
                f.push(Field::Text("Event", e.name().into()));
                match e {
                    UserEvent::Subscribe { event_key, ticket } => {
                        if let Some(k) = event_key {
                            f.push(Field::Text("EventKey", k.clone()));
                        }
                        if let Some(t) = ticket {
                            f.push(Field::Text("Ticket", t.clone()));
                        }
                    }
                    UserEvent::Unsubscribe => f.push(Field::Text("EventKey", String::new())),
                    UserEvent::Scan { event_key, ticket } => {
                        f.push(Field::Text("EventKey", event_key.clone()));
                        if let Some(t) = ticket {
                            f.push(Field::Text("Ticket", t.clone()));
                        }
                    }
                    UserEvent::Location { latitude, longitude, precision } => {
                        f.push(Field::Float("Latitude", *latitude));
                        f.push(Field::Float("Longitude", *longitude));
                        f.push(Field::Float("Precision", *precision));
                    }
                    UserEvent::Click { event_key } => f.push(Field::Text("EventKey", event_key.clone())),
                    UserEvent::View { event_key, menu_id } | UserEvent::ViewMiniprogram { event_key, menu_id } => {
                        f.push(Field::Text("EventKey", event_key.clone()));
                        if let Some(m) = menu_id {
                            f.push(Field::Text("MenuId", m.clone()));
                        }
                    }
                    UserEvent::ScanCode { event_key, scan_type, scan_result, .. } => {
                        f.push(Field::Text("EventKey", event_key.clone()));
                        f.push(Field::Node(
                            "ScanCodeInfo",
                            vec![Field::Text("ScanType", scan_type.clone()), Field::Text("ScanResult", scan_result.clone())],
                        ));
                    }
                    UserEvent::Pic { event_key, pic_md5, .. } => {
                        f.push(Field::Text("EventKey", event_key.clone()));
                        let items = pic_md5.iter().map(|m| Field::Node("item", vec![Field::Text("PicMd5Sum", m.clone())])).collect();
                        f.push(Field::Node("SendPicsInfo", vec![Field::Num("Count", pic_md5.len() as i64), Field::Node("PicList", items)]));
                    }
                    UserEvent::LocationSelect { event_key, location_x, location_y, scale, label, poiname } => {
                        f.push(Field::Text("EventKey", event_key.clone()));
                        f.push(Field::Node(
                            "SendLocationInfo",
                            vec![
                                Field::Float("Location_X", *location_x),
                                Field::Float("Location_Y", *location_y),
                                Field::Num("Scale", *scale),
                                Field::Text("Label", label.clone()),
                                Field::Text("Poiname", poiname.clone()),
                            ],
                        ));
                    }
                }
            }
        }
        render(&f)
    }
}

/// Is the customer-service window open at `now`?
/// Seconds left in the 48-hour window at `now` (0 when closed or never opened).
pub fn window_left(last_interaction: Option<UnixTime>, now: UnixTime) -> i64 {
    last_interaction.map(|t| (t + WINDOW_SECS - now).max(0)).unwrap_or(0)
}

pub fn window_open(last_interaction: Option<UnixTime>, now: UnixTime) -> bool {
    matches!(last_interaction, Some(t) if now < t + WINDOW_SECS)
}

/// Delivery of one callback: 5-second timeout, 3 attempts in all.
pub mod delivery {
    pub const ATTEMPTS: i64 = 3;
    pub const TIMEOUT_MS: u64 = 5_000;
    /// Response bodies are read up to this many bytes; a longer reply is malformed.
    pub const MAX_REPLY_BYTES: usize = 64 * 1024;
    /// A claimed job is another node's to retry if its worker has not finished it by then.
    pub const LEASE_MS: i64 = 15_000;
}

/// A customer-service message (`/cgi-bin/message/custom/send`), checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomMessage {
    pub msgtype: String,
    /// The payload object under the msgtype key, as sent.
    pub payload: serde_json::Value,
}

/// Message types `/cgi-bin/message/custom/send` accepts, with their required payload fields.
const CUSTOM_TYPES: &[(&str, &[&str])] = &[
    ("text", &["content"]),
    ("image", &["media_id"]),
    ("voice", &["media_id"]),
    ("video", &["media_id"]),
    ("music", &["musicurl"]),
    ("news", &["articles"]),
    ("mpnews", &["media_id"]),
    ("mpnewsarticle", &["article_id"]),
    ("msgmenu", &["list"]),
    ("wxcard", &["card_id"]),
    ("miniprogrampage", &["appid", "pagepath"]),
    // A link card (wechatpy's send_link): the mini-program customer-service type, shown as is.
    ("link", &["title", "url"]),
];

/// The text of option `id` of a customer-service menu message's body (`{"head_content",
/// "list": [{"id", "content"}], "tail_content"}`), if it offers one.
pub fn menu_option(msgmenu: &serde_json::Value, id: &str) -> Option<String> {
    let list = msgmenu.get("list")?.as_array()?;
    let option = list.iter().find(|o| match o.get("id") {
        Some(serde_json::Value::String(s)) => s == id,
        Some(serde_json::Value::Number(n)) => n.to_string() == id,
        _ => false,
    })?;
    option.get("content").and_then(serde_json::Value::as_str).map(str::to_string)
}

/// Checks a custom-send body: `{"touser","msgtype", <msgtype>: {...}}`.
pub fn check_custom(msgtype: Option<&str>, body: &serde_json::Value) -> Result<CustomMessage, ErrCode> {
    let msgtype = msgtype.filter(|m| !m.is_empty()).ok_or(ErrCode::InvalidMessageType)?;
    let required = CUSTOM_TYPES.iter().find(|(t, _)| *t == msgtype).map(|(_, r)| *r).ok_or(ErrCode::InvalidMessageType)?;
    let payload = body.get(msgtype).filter(|p| p.is_object()).ok_or(ErrCode::InvalidParameter)?;
    for field in required {
        let v = payload.get(*field);
        let empty = match v {
            None | Some(serde_json::Value::Null) => true,
            Some(serde_json::Value::String(s)) => s.is_empty(),
            Some(serde_json::Value::Array(a)) => a.is_empty(),
            _ => false,
        };
        if empty {
            return Err(if msgtype == "text" { ErrCode::EmptyContent } else { ErrCode::InvalidParameter });
        }
    }
    if msgtype == "text" && payload["content"].as_str().map(|c| c.len() > 2048 * 3).unwrap_or(true) {
        return Err(ErrCode::ContentTooLong);
    }
    if msgtype == "news" && payload["articles"].as_array().map(|a| a.len() > 1).unwrap_or(true) {
        return Err(ErrCode::ArticleCountOutOfLimit);
    }
    Ok(CustomMessage { msgtype: msgtype.to_string(), payload: payload.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn window_lasts_48_hours_from_the_last_interaction() {
        assert!(!window_open(None, 100));
        assert!(window_open(Some(100), 100 + WINDOW_SECS - 1));
        assert!(!window_open(Some(100), 100 + WINDOW_SECS));
    }

    #[test]
    fn which_interactions_open_the_window() {
        assert!(Inbound::Message(UserMessage::Text { content: "hi".into(), bizmsgmenuid: None }).opens_window());
        assert!(Inbound::Event(UserEvent::Subscribe { event_key: None, ticket: None }).opens_window());
        assert!(Inbound::Event(UserEvent::Scan { event_key: "1".into(), ticket: None }).opens_window());
        assert!(Inbound::Event(UserEvent::Click { event_key: "k".into() }).opens_window());
        assert!(!Inbound::Event(UserEvent::Location { latitude: 1.0, longitude: 2.0, precision: 3.0 }).opens_window());
        assert!(!Inbound::Event(UserEvent::Unsubscribe).opens_window());
    }

    #[test]
    fn callback_xml_matches_the_documented_shape() {
        let x = Inbound::Message(UserMessage::Text { content: "this is a test".into(), bizmsgmenuid: None }).callback_xml("toUser", "fromUser", 1348831860, 1234567890123456);
        assert_eq!(
            x,
            "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>\
             <CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[this is a test]]></Content>\
             <MsgId>1234567890123456</MsgId></xml>"
        );
        let e = Inbound::Event(UserEvent::Subscribe { event_key: Some("qrscene_123".into()), ticket: Some("T".into()) }).callback_xml("gh", "o", 1, 0);
        assert!(e.contains("<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_123]]></EventKey><Ticket><![CDATA[T]]></Ticket>"));
        assert!(!e.contains("MsgId"));
    }

    #[test]
    fn a_menu_choice_is_a_text_carrying_bizmsgmenuid() {
        let menu = json!({"head_content": "Rate us", "list": [{"id": "101", "content": "Good"}, {"id": 102, "content": "Bad"}], "tail_content": "Thanks"});
        assert_eq!(menu_option(&menu, "101").as_deref(), Some("Good"));
        assert_eq!(menu_option(&menu, "102").as_deref(), Some("Bad"));
        assert_eq!(menu_option(&menu, "103"), None);
        let tap = Inbound::Message(UserMessage::Text { content: "Good".into(), bizmsgmenuid: Some("101".into()) });
        let x = tap.callback_xml("gh", "o", 1, 7);
        assert!(x.ends_with("<Content><![CDATA[Good]]></Content><MsgId>7</MsgId><bizmsgmenuid>101</bizmsgmenuid></xml>"), "{x}");
        assert_eq!(tap.body_json(), r#"{"msgtype":"text","content":"Good","bizmsgmenuid":"101"}"#);
        let plain = Inbound::Message(UserMessage::Text { content: "hi".into(), bizmsgmenuid: None });
        assert!(!plain.callback_xml("gh", "o", 1, 7).contains("bizmsgmenuid"));
        assert_eq!(plain.body_json(), r#"{"msgtype":"text","content":"hi"}"#);
    }

    #[test]
    fn user_messages_parse_from_platform_json() {
        let m: UserMessage = serde_json::from_value(json!({"msgtype": "location", "latitude": 23.1, "longitude": 113.3, "label": "Guangzhou"})).unwrap();
        assert_eq!(m.msgtype(), "location");
        assert!(m.check().is_ok());
        let bad: UserMessage = serde_json::from_value(json!({"msgtype": "text", "content": ""})).unwrap();
        assert!(bad.check().is_err());
        let e: UserEvent = serde_json::from_value(json!({"event": "CLICK", "event_key": "V1001_TODAY_MUSIC"})).unwrap();
        assert_eq!(e.name(), "CLICK");
    }

    #[test]
    fn custom_messages_are_checked() {
        let ok = json!({"touser": "o", "msgtype": "text", "text": {"content": "hello"}});
        assert_eq!(check_custom(Some("text"), &ok).unwrap().payload, json!({"content": "hello"}));
        assert_eq!(check_custom(Some("text"), &json!({"text": {"content": ""}})), Err(ErrCode::EmptyContent));
        assert_eq!(check_custom(Some("dance"), &json!({})), Err(ErrCode::InvalidMessageType));
        assert_eq!(check_custom(None, &json!({})), Err(ErrCode::InvalidMessageType));
        assert_eq!(check_custom(Some("image"), &json!({"image": {}})), Err(ErrCode::InvalidParameter));
        let two = json!({"news": {"articles": [{"title": "a"}, {"title": "b"}]}});
        assert_eq!(check_custom(Some("news"), &two), Err(ErrCode::ArticleCountOutOfLimit));
        assert!(check_custom(Some("miniprogrampage"), &json!({"miniprogrampage": {"appid": "wx1", "pagepath": "p", "title": "t"}})).is_ok());
    }
}
