//! Rules for uploaded files and articles: media types and their size limits, how long
//! temporary media live, and what an article must contain.

use herald_wire::{ErrCode, WxError};
use rand::distributions::{Alphanumeric, DistString};
use rand::Rng;
use serde_json::{json, Map, Value};

/// Temporary media are kept three days.
pub const TEMP_MEDIA_SECS: i64 = 3 * 86_400;
/// `media/uploadimg` images: at most 1 MB.
pub const ARTICLE_IMAGE_MAX: usize = 1 << 20;
/// Characters of an article's text a missing digest is made of.
pub const DIGEST_CHARS: usize = 54;
/// Items per `batchget` page.
pub const MAX_PAGE: i64 = 20;

/// The size limit of each media type (WeChat's documented limits), or 40004 for an unknown type.
pub fn max_size(media_type: &str) -> Result<usize, WxError> {
    match media_type {
        "image" | "video" => Ok(10 << 20),
        "voice" => Ok(2 << 20),
        "thumb" => Ok(64 << 10),
        _ => Err(WxError::new(ErrCode::InvalidMediaType)),
    }
}

/// Checks an upload: a known type, some bytes (41005), within the limit (40006).
pub fn check_upload(media_type: &str, size: usize) -> Result<(), WxError> {
    let max = max_size(media_type)?;
    if size == 0 {
        return Err(WxError::new(ErrCode::MediaDataMissing));
    }
    if size > max {
        return Err(WxError::new(ErrCode::InvalidFileSize));
    }
    Ok(())
}

/// A fresh media id in WeChat's shape (64 URL-safe characters).
pub fn media_id(rng: &mut impl Rng) -> String {
    Alphanumeric.sample_string(rng, 64)
}

/// A fresh article id.
pub fn article_id(rng: &mut impl Rng) -> String {
    format!("{}_{}", Alphanumeric.sample_string(rng, 12), Alphanumeric.sample_string(rng, 16))
}

/// The visible text of some HTML, tags removed.
pub fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn int_flag(v: Option<&Value>) -> i64 {
    i64::from(herald_wire::lenient::flag_value(v))
}

/// Checks one article and returns it in the stored shape. Title and content are required
/// (44004); a news article needs a cover (`thumb_media_id`, checked by the caller).
pub fn check_article(v: &Value) -> Result<Value, WxError> {
    let o = v.as_object().ok_or_else(|| WxError::with_detail(ErrCode::DataFormatError, "an article must be an object"))?;
    let s = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let title = s("title");
    if title.trim().is_empty() {
        return Err(WxError::with_detail(ErrCode::EmptyContent, "title is empty"));
    }
    if title.chars().count() > 64 {
        return Err(WxError::with_detail(ErrCode::ContentTooLong, "title is longer than 64 characters"));
    }
    let content = s("content");
    if content.trim().is_empty() {
        return Err(WxError::with_detail(ErrCode::EmptyContent, "content is empty"));
    }
    if content.chars().count() > 20_000 {
        return Err(WxError::with_detail(ErrCode::ContentTooLong, "content is longer than 20,000 characters"));
    }
    let content = crate::sanitize::article_html(&content);
    let source = s("content_source_url");
    if !source.trim().is_empty() && !crate::sanitize::is_http_url(&source) {
        return Err(WxError::with_detail(ErrCode::InvalidParameter, "invalid args: content_source_url must be an http or https URL"));
    }
    let mut digest = s("digest");
    if digest.is_empty() {
        digest = text_of(&content).chars().take(DIGEST_CHARS).collect();
    }
    let mut out = Map::new();
    out.insert("article_type".into(), json!(o.get("article_type").and_then(Value::as_str).unwrap_or("news")));
    out.insert("title".into(), json!(title));
    out.insert("author".into(), json!(s("author")));
    out.insert("digest".into(), json!(digest));
    out.insert("content".into(), json!(content));
    out.insert("content_source_url".into(), json!(source.trim()));
    out.insert("thumb_media_id".into(), json!(s("thumb_media_id")));
    out.insert("show_cover_pic".into(), json!(int_flag(o.get("show_cover_pic"))));
    out.insert("need_open_comment".into(), json!(int_flag(o.get("need_open_comment"))));
    out.insert("only_fans_can_comment".into(), json!(int_flag(o.get("only_fans_can_comment"))));
    Ok(Value::Object(out))
}

/// Checks a list of 1–8 articles.
pub fn check_articles(v: Option<&Value>) -> Result<Vec<Value>, WxError> {
    let list = v.and_then(Value::as_array).ok_or_else(|| WxError::with_detail(ErrCode::EmptyContent, "articles is empty"))?;
    crate::broadcast::check_article_count(list.len())?;
    list.iter().map(check_article).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_checked() {
        assert!(check_upload("image", 10).is_ok());
        assert_eq!(check_upload("gif", 10).unwrap_err().code, ErrCode::InvalidMediaType);
        assert_eq!(check_upload("image", 0).unwrap_err().code, ErrCode::MediaDataMissing);
        assert_eq!(check_upload("thumb", 65 * 1024).unwrap_err().code, ErrCode::InvalidFileSize);
        assert_eq!(media_id(&mut rand::thread_rng()).len(), 64);
    }

    #[test]
    fn articles_are_normalised() {
        let a = check_article(&json!({"title": "T", "content": "<p>Hello <b>world</b></p><script>alert(1)</script>", "show_cover_pic": true})).unwrap();
        assert_eq!(a["digest"], "Hello world");
        assert_eq!(a["show_cover_pic"], 1);
        assert!(!a["content"].as_str().unwrap().contains("script"));
        let hostile = check_article(&json!({"title": "T", "content": "<p>a</p><img src=x onerror=alert(1)><a href=\"javascript:pay()\">b</a>"})).unwrap();
        assert_eq!(hostile["content"], "<p>a</p><img><a rel=\"noopener noreferrer nofollow\">b</a>");
        assert_eq!(check_article(&json!({"title": "T", "content": "x", "content_source_url": "javascript:alert(1)"})).unwrap_err().code, ErrCode::InvalidParameter);
        assert_eq!(check_article(&json!({"title": "T", "content": "x", "content_source_url": " https://a.example/x "})).unwrap()["content_source_url"], "https://a.example/x");
        assert_eq!(check_article(&json!({"title": "", "content": "x"})).unwrap_err().code, ErrCode::EmptyContent);
        let nine: Vec<Value> = (0..9).map(|_| json!({"title": "t", "content": "c"})).collect();
        assert_eq!(check_articles(Some(&json!(nine))).unwrap_err().code, ErrCode::ArticleCountOutOfLimit);
        assert_eq!(check_articles(Some(&json!([]))).unwrap_err().code, ErrCode::EmptyContent);
    }
}
