//! The v2 WeChat Pay API (XML), as red packets use it: flat `<xml>` request bodies, MD5 or
//! HMAC-SHA256 signatures keyed with the merchant's API key, the `return_code`/`result_code`
//! answer and its error codes. Pure: no I/O.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;

use crate::callback::xml;

/// A request's fields by name (`sign` included).
pub type Fields = BTreeMap<String, String>;

/// How a v2 body is signed: `sign_type` absent or `MD5`, or `HMAC-SHA256`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignType {
    Md5,
    HmacSha256,
}

impl SignType {
    pub fn of(fields: &Fields) -> Result<SignType, String> {
        match fields.get("sign_type").map(String::as_str) {
            None | Some("") | Some("MD5") => Ok(SignType::Md5),
            Some("HMAC-SHA256") => Ok(SignType::HmacSha256),
            Some(other) => Err(format!("sign_type {other:?} is neither MD5 nor HMAC-SHA256")),
        }
    }
}

/// Parses a flat `<xml>…</xml>` body: each child's text (CDATA or escaped text).
pub fn parse(body: &str) -> Result<Fields, String> {
    let body = body.trim_start_matches('\u{feff}');
    let root = xml::parse(body)?;
    if root.name != "xml" {
        return Err(format!("the root element is <{}>, not <xml>", root.name));
    }
    let mut out = Fields::new();
    for c in root.children {
        if !c.children.is_empty() {
            return Err(format!("<{}> has child elements", c.name));
        }
        if out.insert(c.name.clone(), c.text).is_some() {
            return Err(format!("<{}> appears twice", c.name));
        }
    }
    Ok(out)
}

/// The string v2 signs: every non-empty field but `sign`, sorted by name, `k=v` joined with
/// `&`, then `&key=<api key>`.
pub fn string_to_sign(fields: &Fields, api_key: &str) -> String {
    let mut s = String::with_capacity(256);
    for (k, v) in fields.iter().filter(|(k, v)| *k != "sign" && !v.is_empty()) {
        s.push_str(k);
        s.push('=');
        s.push_str(v);
        s.push('&');
    }
    s.push_str("key=");
    s.push_str(api_key);
    s
}

/// The upper-case hex signature of `fields`.
pub fn sign(fields: &Fields, api_key: &str, how: SignType) -> String {
    let s = string_to_sign(fields, api_key);
    match how {
        SignType::Md5 => hex::encode_upper(Md5::digest(s.as_bytes())),
        SignType::HmacSha256 => {
            let mut mac = Hmac::<Sha256>::new_from_slice(api_key.as_bytes()).expect("HMAC takes any key length");
            mac.update(s.as_bytes());
            hex::encode_upper(mac.finalize().into_bytes())
        }
    }
}

/// Does the body's `sign` match, under its own `sign_type`? (Case-insensitive hex.)
pub fn verify(fields: &Fields, api_key: &str) -> bool {
    let Ok(how) = SignType::of(fields) else { return false };
    let Some(given) = fields.get("sign") else { return false };
    let expected = sign(fields, api_key, how);
    given.len() == expected.len() && given.eq_ignore_ascii_case(&expected)
}

/// The key the v2 sandbox (`sandboxnew/pay/getsignkey`) hands out for a merchant: derived
/// from its API key, so every node answers the same without storing it.
pub fn sandbox_signkey(api_key: &str) -> String {
    hex::encode(Md5::digest(format!("herald-sandbox:{api_key}").as_bytes()))
}

/// One element of a v2 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Leaf(String),
    /// A list: each item an element named by the first string, with leaf children.
    List(&'static str, Vec<Vec<(&'static str, String)>>),
}

impl From<String> for Node {
    fn from(s: String) -> Self {
        Node::Leaf(s)
    }
}

impl From<&str> for Node {
    fn from(s: &str) -> Self {
        Node::Leaf(s.to_string())
    }
}

fn leaf(out: &mut String, name: &str, v: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        out.push_str(v);
    } else {
        out.push_str("<![CDATA[");
        out.push_str(&v.replace("]]>", "]]]]><![CDATA[>"));
        out.push_str("]]>");
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// `<xml>` with the fields in order: numbers bare, other text in CDATA, as WeChat writes it.
pub fn render(fields: &[(&str, Node)]) -> String {
    let mut out = String::with_capacity(512);
    out.push_str("<xml>");
    for (name, node) in fields {
        match node {
            Node::Leaf(v) => leaf(&mut out, name, v),
            Node::List(item, rows) => {
                out.push('<');
                out.push_str(name);
                out.push('>');
                for row in rows {
                    out.push('<');
                    out.push_str(item);
                    out.push('>');
                    for (k, v) in row {
                        leaf(&mut out, k, v);
                    }
                    out.push_str("</");
                    out.push_str(item);
                    out.push('>');
                }
                out.push_str("</");
                out.push_str(name);
                out.push('>');
            }
        }
    }
    out.push_str("</xml>");
    out
}

/// v2 error codes of the red-packet API: the `err_code` and its `err_code_des`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V2Code {
    XmlError,
    SignError,
    ParamError,
    NoAuth,
    IllegalAppid,
    OpenidError,
    MoneyLimit,
    NotEnough,
    FatalError,
    NotFound,
    SystemError,
}

impl V2Code {
    pub fn code(self) -> &'static str {
        match self {
            V2Code::XmlError => "XML_ERROR",
            V2Code::SignError => "SIGN_ERROR",
            V2Code::ParamError => "PARAM_ERROR",
            V2Code::NoAuth => "NO_AUTH",
            V2Code::IllegalAppid => "ILLEGAL_APPID",
            V2Code::OpenidError => "OPENID_ERROR",
            V2Code::MoneyLimit => "MONEY_LIMIT",
            V2Code::NotEnough => "NOTENOUGH",
            V2Code::FatalError => "FATAL_ERROR",
            V2Code::NotFound => "NOT_FOUND",
            V2Code::SystemError => "SYSTEMERROR",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            V2Code::XmlError => "输入xml参数格式错误",
            V2Code::SignError => "签名错误",
            V2Code::ParamError => "参数错误",
            V2Code::NoAuth => "商户无此接口权限",
            V2Code::IllegalAppid => "非法appid，请确认是否为公众号的appid，且已与商户号绑定",
            V2Code::OpenidError => "openid和appid不匹配",
            V2Code::MoneyLimit => "每个红包的金额必须在[1.00元, 200.00元]之间，超出范围请填写scene_id",
            V2Code::NotEnough => "帐号余额不足，请到商户平台充值后再重试",
            V2Code::FatalError => "已存在该单号，并且参数不一致",
            V2Code::NotFound => "指定单号数据不存在",
            V2Code::SystemError => "系统繁忙，请稍后再试",
        }
    }

    /// Whether the request failed before reaching the business (bad XML, bad signature, no
    /// such merchant): `return_code` is then FAIL too, not only `result_code`.
    pub fn is_communication(self) -> bool {
        matches!(self, V2Code::XmlError | V2Code::SignError | V2Code::NoAuth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn known_answers_from_wechatpy() {
        // Reference §1.10.
        let f = fields(&[("test1", "test1"), ("test2", "test2")]);
        let key = "192006250b4c09247ec02edce69f6a2d";
        assert_eq!(string_to_sign(&f, key), "test1=test1&test2=test2&key=192006250b4c09247ec02edce69f6a2d");
        assert_eq!(sign(&f, key, SignType::Md5), "1E3A8D73B5A4AEE787C0F68B5DAB8520");
        assert_eq!(sign(&f, key, SignType::HmacSha256), "EDAC6D70D2FDF5A2382F8204FC96A1918017E46ACC5297F565ED1A7610ACF659");
    }

    #[test]
    fn verify_follows_sign_type_and_skips_empty_fields() {
        let key = "192006250b4c09247ec02edce69f6a2d";
        let mut f = fields(&[("test1", "test1"), ("test2", "test2"), ("empty", "")]);
        f.insert("sign".into(), "1e3a8d73b5a4aee787c0f68b5dab8520".into());
        assert!(verify(&f, key));
        f.insert("test2".into(), "changed".into());
        assert!(!verify(&f, key));
        let mut h = fields(&[("a", "1"), ("sign_type", "HMAC-SHA256")]);
        let s = sign(&h, key, SignType::HmacSha256);
        assert_eq!(s.len(), 64);
        h.insert("sign".into(), s);
        assert!(verify(&h, key));
        assert!(!verify(&h, "another key"));
        h.insert("sign_type".into(), "RSA".into());
        assert!(!verify(&h, key));
        assert!(!verify(&fields(&[("a", "1")]), key), "no sign, no match");
    }

    #[test]
    fn parses_what_wechatpy_writes() {
        let body = "<xml>\n<act_name><![CDATA[新年]]></act_name>\n<mch_id>1900000109</mch_id>\n<total_amount>100</total_amount>\n\
                    <wishing><![CDATA[a < b & c]]></wishing>\n<sign><![CDATA[ABC]]></sign>\n</xml>";
        let f = parse(body).unwrap();
        assert_eq!(f["act_name"], "新年");
        assert_eq!(f["mch_id"], "1900000109");
        assert_eq!(f["total_amount"], "100");
        assert_eq!(f["wishing"], "a < b & c");
        assert_eq!(f["sign"], "ABC");
        assert!(parse("<root><a>1</a></root>").is_err());
        assert!(parse("<xml><a><b>1</b></a></xml>").is_err());
        assert!(parse("<xml><a>1</a><a>2</a></xml>").is_err());
        assert!(parse("not xml").is_err());
    }

    #[test]
    fn renders_numbers_bare_and_lists() {
        let x = render(&[
            ("return_code", "SUCCESS".into()),
            ("total_amount", "100".into()),
            ("empty", "".into()),
            ("hblist", Node::List("hbinfo", vec![vec![("openid", "o1".into()), ("amount", "100".into())]])),
        ]);
        assert_eq!(
            x,
            "<xml><return_code><![CDATA[SUCCESS]]></return_code><total_amount>100</total_amount><empty><![CDATA[]]></empty>\
             <hblist><hbinfo><openid><![CDATA[o1]]></openid><amount>100</amount></hbinfo></hblist></xml>"
        );
        let back = xml::parse(&x).unwrap();
        assert_eq!(back.child("hblist").unwrap().child("hbinfo").unwrap().get("amount"), Some("100"));
    }

    #[test]
    fn sandbox_key_is_stable_and_not_the_key() {
        let k = sandbox_signkey("192006250b4c09247ec02edce69f6a2d");
        assert_eq!(k.len(), 32);
        assert_eq!(k, sandbox_signkey("192006250b4c09247ec02edce69f6a2d"));
        assert_ne!(k, "192006250b4c09247ec02edce69f6a2d");
        assert_ne!(k, sandbox_signkey("292006250b4c09247ec02edce69f6a2d"));
    }
}
