//! APIv3 request authentication and response signing (reference §1.2–§1.5): the
//! `Authorization: WECHATPAY2-SHA256-RSA2048 k="v",...` header, the strings that are signed,
//! and the comparison of certificate serials.

/// The longest `nonce_str` accepted (the SDKs send 32 characters; WeChat documents 32).
pub const MAX_NONCE_LEN: usize = 32;

/// The only scheme Herald speaks (the 国密 SM2 scheme is out of scope).
pub const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

/// A parsed `Authorization` header. Fields may come in any order (every SDK orders them
/// differently).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeader {
    pub mchid: String,
    pub nonce_str: String,
    pub signature: String,
    pub timestamp: String,
    pub serial_no: String,
}

/// Why an `Authorization` header was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No header, or not the WECHATPAY2-SHA256-RSA2048 scheme.
    Scheme,
    /// A required field is missing or malformed: its name.
    Field(&'static str),
}

impl AuthHeader {
    pub fn parse(header: &str) -> Result<AuthHeader, AuthError> {
        let rest = header.trim().strip_prefix(SCHEME).ok_or(AuthError::Scheme)?;
        if !rest.starts_with(' ') {
            return Err(AuthError::Scheme);
        }
        let (mut mchid, mut nonce, mut sig, mut ts, mut serial) = (None, None, None, None, None);
        let mut s = rest.trim_start();
        while !s.is_empty() {
            let eq = s.find('=').ok_or(AuthError::Field("signature"))?;
            let key = s[..eq].trim();
            let after = &s[eq + 1..];
            let (value, next) = if let Some(q) = after.strip_prefix('"') {
                let end = q.find('"').ok_or(AuthError::Field("signature"))?;
                (&q[..end], &q[end + 1..])
            } else {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim(), &after[end..])
            };
            let slot = match key {
                "mchid" => &mut mchid,
                "nonce_str" => &mut nonce,
                "signature" => &mut sig,
                "timestamp" => &mut ts,
                "serial_no" => &mut serial,
                _ => &mut None,
            };
            *slot = Some(value.to_string());
            s = next.trim_start().strip_prefix(',').unwrap_or(next).trim_start();
        }
        let need = |v: Option<String>, name: &'static str| v.filter(|v| !v.is_empty()).ok_or(AuthError::Field(name));
        let h = AuthHeader {
            mchid: need(mchid, "mchid")?,
            nonce_str: need(nonce, "nonce_str")?,
            signature: need(sig, "signature")?,
            timestamp: need(ts, "timestamp")?,
            serial_no: need(serial, "serial_no")?,
        };
        if h.timestamp.parse::<i64>().is_err() {
            return Err(AuthError::Field("timestamp"));
        }
        Ok(h)
    }

    pub fn timestamp(&self) -> i64 {
        self.timestamp.parse().unwrap_or(0)
    }

    /// Builds the header a client sends (what the SDKs do; used by Herald's tests and bench).
    pub fn render(&self) -> String {
        format!(
            "{SCHEME} mchid=\"{}\",nonce_str=\"{}\",signature=\"{}\",timestamp=\"{}\",serial_no=\"{}\"",
            self.mchid, self.nonce_str, self.signature, self.timestamp, self.serial_no
        )
    }
}

/// The string a request signature covers: method, raw request target (path and query as
/// sent), timestamp, nonce and the raw body, each line ending in `\n`.
pub fn request_message(method: &str, target: &str, timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(method.len() + target.len() + body.len() + 64);
    for part in [method.as_bytes(), target.as_bytes(), timestamp.as_bytes(), nonce.as_bytes(), body] {
        m.extend_from_slice(part);
        m.push(b'\n');
    }
    m
}

/// The wechatpay-node-v3 variant for a POST without a body (its `getSignature` leaves the
/// body line out): accepted too, since that SDK's users cannot change it.
pub fn request_message_without_body_line(method: &str, target: &str, timestamp: &str, nonce: &str) -> Vec<u8> {
    format!("{method}\n{target}\n{timestamp}\n{nonce}\n").into_bytes()
}

/// The string a response or notification signature covers: `timestamp\nnonce\nbody\n` (an
/// empty body for a 204).
pub fn response_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(body.len() + 48);
    for part in [timestamp.as_bytes(), nonce.as_bytes(), body] {
        m.extend_from_slice(part);
        m.push(b'\n');
    }
    m
}

/// A certificate serial in canonical form: upper-case hex without leading zeros (what
/// `/v3/certificates` and `Wechatpay-Serial` carry). None if it is not hex.
pub fn canonical_serial(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let t = s.trim_start_matches('0');
    Some(if t.is_empty() { "0".into() } else { t.to_ascii_uppercase() })
}

/// Two serials name the same certificate when they are the same number: the Node SDK sends
/// lower case with a leading `00`, wechatpayv3 what its user typed.
pub fn same_serial(a: &str, b: &str) -> bool {
    matches!((canonical_serial(a), canonical_serial(b)), (Some(x), Some(y)) if x == y)
}

/// Requests whose timestamp is further than this from now are refused (the official guide's
/// five minutes).
pub const MAX_SKEW_SECS: i64 = 300;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_in_any_order() {
        let py = r#"WECHATPAY2-SHA256-RSA2048 mchid="1230000109",nonce_str="ABC",signature="c2ln",timestamp="1700000000",serial_no="5157F09E""#;
        let node = r#"WECHATPAY2-SHA256-RSA2048 mchid="1230000109",nonce_str="ABC",timestamp="1700000000",serial_no="5157F09E",signature="c2ln""#;
        let postman = r#"WECHATPAY2-SHA256-RSA2048 mchid="1230000109", serial_no="5157F09E", nonce_str="ABC", timestamp="1700000000", signature="c2ln""#;
        let a = AuthHeader::parse(py).unwrap();
        assert_eq!(a, AuthHeader::parse(node).unwrap());
        assert_eq!(a, AuthHeader::parse(postman).unwrap());
        assert_eq!(a.mchid, "1230000109");
        assert_eq!(a.signature, "c2ln");
        assert_eq!(AuthHeader::parse(&a.render()).unwrap(), a);
    }

    #[test]
    fn refuses_bad_headers() {
        assert_eq!(AuthHeader::parse("Bearer x"), Err(AuthError::Scheme));
        assert_eq!(AuthHeader::parse(r#"WECHATPAY2-SHA256-RSA2048 mchid="1""#), Err(AuthError::Field("nonce_str")));
        let bad_ts = r#"WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",signature="s",timestamp="soon",serial_no="AB""#;
        assert_eq!(AuthHeader::parse(bad_ts), Err(AuthError::Field("timestamp")));
    }

    #[test]
    fn messages_end_every_line() {
        assert_eq!(
            request_message("GET", "/v3/certificates", "1", "n", b""),
            b"GET\n/v3/certificates\n1\nn\n\n".to_vec()
        );
        assert_eq!(response_message("1", "n", b""), b"1\nn\n\n".to_vec());
        assert_eq!(response_message("1", "n", b"{}"), b"1\nn\n{}\n".to_vec());
    }

    #[test]
    fn serials_compare_as_numbers() {
        assert!(same_serial("00c4f4ab", "C4F4AB"));
        assert!(!same_serial("C4F4AB", "C4F4AC"));
        assert!(!same_serial("PUB_KEY_ID_01", "01"));
        assert_eq!(canonical_serial("000a"), Some("A".into()));
    }
}
