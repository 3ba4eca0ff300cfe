//! Callback signatures and the AES envelope of safe and compatible mode (reference §4.1, §4.7).
//!
//! - `signature = sha1(sorted([token, timestamp, nonce]).join(""))`
//! - `msg_signature = sha1(sorted([token, timestamp, nonce, encrypt]).join(""))`
//! - AES key = base64(EncodingAESKey + "="), 32 bytes; AES-256-CBC with IV = key[..16];
//!   plaintext = 16 random bytes ‖ u32 big-endian length ‖ message ‖ appid, PKCS#7-padded to a
//!   multiple of 32.

use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha1::{Digest, Sha1};

/// EncodingAESKeys end in a character whose low bits are not zero; the SDKs decode them anyway.
const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

type Enc = cbc::Encryptor<aes::Aes256>;
type Dec = cbc::Decryptor<aes::Aes256>;

/// sha1 hex of the parts sorted and concatenated.
pub fn sha1_sorted(parts: &[&str]) -> String {
    let mut v: Vec<&str> = parts.to_vec();
    v.sort_unstable();
    let mut h = Sha1::new();
    for p in v {
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The `signature` query parameter of every callback (and of URL verification).
pub fn signature(token: &str, timestamp: &str, nonce: &str) -> String {
    sha1_sorted(&[token, timestamp, nonce])
}

/// The `msg_signature` of an encrypted callback or reply.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    sha1_sorted(&[token, timestamp, nonce, encrypt])
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CryptoError {
    BadKey,
    BadBase64,
    BadCiphertext,
    BadPadding,
    BadLength,
    AppIdMismatch { found: String },
    BadUtf8,
}

impl std::fmt::Display for CryptoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CryptoError::BadKey => f.write_str("EncodingAESKey must be 43 characters of base64"),
            CryptoError::BadBase64 => f.write_str("Encrypt is not base64"),
            CryptoError::BadCiphertext => f.write_str("ciphertext is not a whole number of AES blocks"),
            CryptoError::BadPadding => f.write_str("bad PKCS#7 padding"),
            CryptoError::BadLength => f.write_str("message length field out of range"),
            CryptoError::AppIdMismatch { found } => write!(f, "appid in the envelope is {found:?}"),
            CryptoError::BadUtf8 => f.write_str("message is not UTF-8"),
        }
    }
}

impl std::error::Error for CryptoError {}

/// An account's message cipher.
#[derive(Clone)]
pub struct MsgCrypto {
    key: [u8; 32],
    appid: String,
}

impl MsgCrypto {
    pub fn new(encoding_aes_key: &str, appid: &str) -> Result<Self, CryptoError> {
        if encoding_aes_key.len() != 43 {
            return Err(CryptoError::BadKey);
        }
        let raw = LENIENT.decode(format!("{encoding_aes_key}=")).map_err(|_| CryptoError::BadKey)?;
        let key: [u8; 32] = raw.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(MsgCrypto { key, appid: appid.to_string() })
    }

    /// Encrypts `msg` with the given 16 random bytes; returns the base64 `Encrypt` value.
    pub fn encrypt_with(&self, msg: &str, random: &[u8; 16]) -> String {
        let mut plain = Vec::with_capacity(16 + 4 + msg.len() + self.appid.len() + 32);
        plain.extend_from_slice(random);
        plain.extend_from_slice(&(msg.len() as u32).to_be_bytes());
        plain.extend_from_slice(msg.as_bytes());
        plain.extend_from_slice(self.appid.as_bytes());
        let pad = 32 - plain.len() % 32;
        plain.extend(std::iter::repeat_n(pad as u8, pad));
        let len = plain.len();
        let iv: [u8; 16] = self.key[..16].try_into().unwrap_or([0; 16]);
        let ct = Enc::new(&self.key.into(), &iv.into())
            .encrypt_padded_mut::<NoPadding>(&mut plain, len)
            .map(|c| c.to_vec())
            .unwrap_or_default();
        STANDARD.encode(ct)
    }

    /// Encrypts with fresh random bytes.
    pub fn encrypt(&self, msg: &str) -> String {
        self.encrypt_with(msg, &rand::random::<[u8; 16]>())
    }

    /// Decrypts an `Encrypt` value and checks that the envelope names this account.
    pub fn decrypt(&self, encrypt: &str) -> Result<String, CryptoError> {
        let mut buf = STANDARD.decode(encrypt.trim()).map_err(|_| CryptoError::BadBase64)?;
        if buf.is_empty() || buf.len() % 16 != 0 {
            return Err(CryptoError::BadCiphertext);
        }
        let iv: [u8; 16] = self.key[..16].try_into().unwrap_or([0; 16]);
        let plain = Dec::new(&self.key.into(), &iv.into())
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| CryptoError::BadCiphertext)?;
        let pad = *plain.last().ok_or(CryptoError::BadPadding)? as usize;
        if pad == 0 || pad > 32 || pad > plain.len() {
            return Err(CryptoError::BadPadding);
        }
        let body = &plain[..plain.len() - pad];
        if body.len() < 20 {
            return Err(CryptoError::BadLength);
        }
        let n = u32::from_be_bytes([body[16], body[17], body[18], body[19]]) as usize;
        if 20 + n > body.len() {
            return Err(CryptoError::BadLength);
        }
        let msg = std::str::from_utf8(&body[20..20 + n]).map_err(|_| CryptoError::BadUtf8)?;
        let appid = String::from_utf8_lossy(&body[20 + n..]).into_owned();
        if appid != self.appid {
            return Err(CryptoError::AppIdMismatch { found: appid });
        }
        Ok(msg.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known answers from the reference (§4.1 and §4.7), computed with wechatpy and wechat-crypto.
    #[test]
    fn url_verification_signature() {
        assert_eq!(signature("AAAAA", "1714036504", "1514711492"), "f464b24fc39322e44b38aa78f5edd27bd1441696");
        assert_eq!(signature("AAAAA", "1714037059", "486452656"), "899cf89e464efb63f54ddac96b0a0a235f53aa78");
    }

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    const APPID: &str = "wx1234567890abcdef";
    const MSG: &str = "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[oUSER]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content><MsgId>1</MsgId></xml>";
    const ENCRYPT: &str = "Q3stYC6hdFzMh9T8HCvyDM4IgQ4/K7m9dl0ABPZ6CYShGkL0iKNFhwzNQKK+bZnVt19xE/UVS+MXF9BBPBu37ZCWbQ0Ko69o2doT0/rGXQD8hs51ik5MxZclJadpc1shEeT+34nZbuAB+0udLjWEEyU26zdBVACJ0ng7QbBDBoyenz5Jh+4foatv0hTK602g6lwscL2DDQ2K8ZcDj8xv5+/g3yE3HwkmgEn0jcFilxtlqks9O6fOEEYQ3DJRni+xuLaT/7SOsh4TIpb6CRM37GBTgQgQrUI6HYjecazqUOnxyzRXI5SJVaEnlrdGZD1sIb2P7DVbNoQrGLt3fXOj1sar+OWFXfVbXN28IkVHkok13hzsXmtuONAtTSxT3CrT";

    #[test]
    fn aes_envelope_known_answer() {
        let c = MsgCrypto::new(KEY, APPID).unwrap();
        assert_eq!(c.encrypt_with(MSG, b"0123456789abcdef"), ENCRYPT);
        assert_eq!(msg_signature("test_token", "1700000000", "1234567890", ENCRYPT), "85ecb3f942a7a694ec60bf3e69da79a8303bbb3f");
        assert_eq!(c.decrypt(ENCRYPT).unwrap(), MSG);
    }

    #[test]
    fn envelope_round_trips_and_checks_the_appid() {
        let c = MsgCrypto::new(KEY, APPID).unwrap();
        for msg in ["", "x", &"长".repeat(100), &"a".repeat(12)] {
            assert_eq!(c.decrypt(&c.encrypt(msg)).unwrap(), msg);
        }
        let other = MsgCrypto::new(KEY, "wx0000000000000000").unwrap();
        assert!(matches!(other.decrypt(ENCRYPT), Err(CryptoError::AppIdMismatch { .. })));
        assert_eq!(c.decrypt("not base64!").unwrap_err(), CryptoError::BadBase64);
        assert_eq!(c.decrypt("AAAA").unwrap_err(), CryptoError::BadCiphertext);
        assert!(MsgCrypto::new("short", APPID).is_err());
    }
}
