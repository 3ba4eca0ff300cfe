//! Passive replies: what a developer server answers to a pushed message (reference §4.6).

use super::xml::{parse, Element};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub title: String,
    pub description: String,
    pub pic_url: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Text { content: String },
    Image { media_id: String },
    Voice { media_id: String },
    Video { media_id: String, title: String, description: String },
    Music { title: String, description: String, music_url: String, hq_music_url: String, thumb_media_id: String },
    /// 1 to 8 articles; more are dropped, as WeChat does.
    News { articles: Vec<Article> },
    TransferCustomerService { kf_account: Option<String> },
}

/// What a reply body turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `success` or an empty body: nothing to show the user.
    Nothing,
    Reply(Reply),
    /// An encrypted envelope, to be checked and decrypted with the account's key.
    Encrypted { encrypt: String, msg_signature: String, timestamp: String, nonce: String },
}

pub const MAX_NEWS_ARTICLES: usize = 8;

fn need<'a>(e: &'a Element, name: &str) -> Result<&'a str, String> {
    e.get(name).ok_or_else(|| format!("missing <{name}>"))
}

fn opt(e: &Element, name: &str) -> String {
    e.get(name).unwrap_or_default().to_string()
}

fn media(e: &Element, node: &str) -> Result<String, String> {
    let n = e.child(node).ok_or_else(|| format!("missing <{node}>"))?;
    let id = need(n, "MediaId")?;
    if id.is_empty() {
        return Err(format!("empty <{node}><MediaId>"));
    }
    Ok(id.to_string())
}

/// Reads a reply body. Errors describe why the body is malformed (the user is then shown
/// WeChat's "cannot provide service" notice).
pub fn parse_answer(body: &str) -> Result<Answer, String> {
    let t = body.trim();
    if means_no_reply(t) {
        return Ok(Answer::Nothing);
    }
    let root = parse(t)?;
    if root.name != "xml" {
        return Err(format!("root element is <{}>, not <xml>", root.name));
    }
    if let Some(encrypt) = root.get("Encrypt") {
        return Ok(Answer::Encrypted {
            encrypt: encrypt.to_string(),
            msg_signature: opt(&root, "MsgSignature"),
            timestamp: opt(&root, "TimeStamp"),
            nonce: opt(&root, "Nonce"),
        });
    }
    parse_reply_element(&root).map(Answer::Reply)
}

/// Reads what an encrypted reply decrypts to: an `<xml>` reply, or `success` or nothing (None),
/// which SDKs encrypt too (WeRoBot's SuccessReply in safe mode).
pub fn parse_reply(xml: &str) -> Result<Option<Reply>, String> {
    let t = xml.trim();
    if means_no_reply(t) {
        return Ok(None);
    }
    parse_reply_element(&parse(t)?).map(Some)
}

/// `success` or nothing: the developer server has no reply, plain or encrypted.
fn means_no_reply(trimmed: &str) -> bool {
    trimmed.is_empty() || trimmed == "success"
}

fn parse_reply_element(root: &Element) -> Result<Reply, String> {
    need(root, "ToUserName")?;
    need(root, "FromUserName")?;
    let ct = need(root, "CreateTime")?;
    ct.parse::<i64>().map_err(|_| format!("CreateTime {ct:?} is not a number"))?;
    let ty = need(root, "MsgType")?;
    Ok(match ty {
        "text" => Reply::Text { content: need(root, "Content")?.to_string() },
        "image" => Reply::Image { media_id: media(root, "Image")? },
        "voice" => Reply::Voice { media_id: media(root, "Voice")? },
        "video" => {
            let v = root.child("Video").ok_or("missing <Video>")?;
            Reply::Video { media_id: media(root, "Video")?, title: opt(v, "Title"), description: opt(v, "Description") }
        }
        "music" => {
            let m = root.child("Music").ok_or("missing <Music>")?;
            Reply::Music {
                title: opt(m, "Title"),
                description: opt(m, "Description"),
                music_url: opt(m, "MusicUrl"),
                hq_music_url: opt(m, "HQMusicUrl"),
                thumb_media_id: opt(m, "ThumbMediaId"),
            }
        }
        "news" => {
            let items = root.child("Articles").map(|a| a.children.as_slice()).unwrap_or_default();
            let articles: Vec<Article> = items
                .iter()
                .filter(|i| i.name == "item")
                .take(MAX_NEWS_ARTICLES)
                .map(|i| Article { title: opt(i, "Title"), description: opt(i, "Description"), pic_url: opt(i, "PicUrl"), url: opt(i, "Url") })
                .collect();
            if articles.is_empty() {
                return Err("a news reply needs at least one article".into());
            }
            Reply::News { articles }
        }
        "transfer_customer_service" => Reply::TransferCustomerService {
            kf_account: root.child("TransInfo").and_then(|t| t.get("KfAccount")).map(str::to_string),
        },
        other => return Err(format!("unknown reply MsgType {other:?}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_and_text() {
        assert_eq!(parse_answer("").unwrap(), Answer::Nothing);
        assert_eq!(parse_answer("success").unwrap(), Answer::Nothing);
        let x = "<xml><ToUserName><![CDATA[o1]]></ToUserName><FromUserName><![CDATA[gh]]></FromUserName>\
                 <CreateTime>1700000000123</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content></xml>";
        assert_eq!(parse_answer(x).unwrap(), Answer::Reply(Reply::Text { content: "hi".into() }));
    }

    #[test]
    fn an_encrypted_success_or_empty_body_is_no_reply() {
        assert_eq!(parse_reply("success").unwrap(), None);
        assert_eq!(parse_reply(" ").unwrap(), None);
        let x = "<xml><ToUserName>o</ToUserName><FromUserName>g</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>a</Content></xml>";
        assert_eq!(parse_reply(x).unwrap(), Some(Reply::Text { content: "a".into() }));
        assert!(parse_reply("hello").is_err());
    }

    #[test]
    fn news_is_capped_at_eight() {
        let items: String = (0..10).map(|i| format!("<item><Title>t{i}</Title><Url>http://x/{i}</Url></item>")).collect();
        let x = format!("<xml><ToUserName>o</ToUserName><FromUserName>g</FromUserName><CreateTime>1</CreateTime><MsgType>news</MsgType><ArticleCount>10</ArticleCount><Content></Content><Articles>{items}</Articles></xml>");
        match parse_answer(&x).unwrap() {
            Answer::Reply(Reply::News { articles }) => assert_eq!(articles.len(), 8),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_replies_are_errors() {
        for bad in [
            "{\"msgtype\":\"text\"}",
            "hello",
            "<xml><ToUserName>o</ToUserName></xml>",
            "<xml><ToUserName>o</ToUserName><FromUserName>g</FromUserName><CreateTime>x</CreateTime><MsgType>text</MsgType><Content>a</Content></xml>",
            "<xml><ToUserName>o</ToUserName><FromUserName>g</FromUserName><CreateTime>1</CreateTime><MsgType>image</MsgType></xml>",
            "<xml><ToUserName>o</ToUserName><FromUserName>g</FromUserName><CreateTime>1</CreateTime><MsgType>dance</MsgType></xml>",
        ] {
            assert!(parse_answer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn encrypted_envelope() {
        let x = "<xml><Encrypt><![CDATA[abc]]></Encrypt><MsgSignature><![CDATA[sig]]></MsgSignature><TimeStamp>1</TimeStamp><Nonce><![CDATA[n]]></Nonce></xml>";
        assert_eq!(
            parse_answer(x).unwrap(),
            Answer::Encrypted { encrypt: "abc".into(), msg_signature: "sig".into(), timestamp: "1".into(), nonce: "n".into() }
        );
    }
}
