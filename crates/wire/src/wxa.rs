//! Mini programs on the wire: the user data `getUserProfile`, `getUserInfo` and
//! `getPhoneNumber` hand a page, sealed with the user's session key as WeChat does
//! (reference mini-programs.md §3):
//!
//! - `signature = sha1(rawData ‖ session_key)` (hex);
//! - `encryptedData = base64(AES-128-CBC(key = base64-decoded session_key, iv, PKCS#7(json)))`,
//!   the JSON carrying `watermark: {appid, timestamp}`.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha1::{Digest, Sha1};

type Enc = cbc::Encryptor<aes::Aes128>;
type Dec = cbc::Decryptor<aes::Aes128>;

/// Why sealed user data could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealError {
    /// The session key is not base64 of 16 bytes.
    BadKey,
    BadIv,
    BadCiphertext,
}

fn key_of(session_key: &str) -> Result<[u8; 16], SealError> {
    STANDARD.decode(session_key.trim()).ok().and_then(|k| k.try_into().ok()).ok_or(SealError::BadKey)
}

/// `sha1(rawData + session_key)`, hex: the `signature` beside `rawData`.
pub fn raw_signature(raw_data: &str, session_key: &str) -> String {
    let mut h = Sha1::new();
    h.update(raw_data.as_bytes());
    h.update(session_key.as_bytes());
    hex::encode(h.finalize())
}

/// Seals `json` with the session key and the given IV; answers base64 ciphertext.
pub fn seal(session_key: &str, iv: &[u8; 16], json: &str) -> Result<String, SealError> {
    let key = key_of(session_key)?;
    let n = json.len();
    let mut buf = vec![0u8; n + 16 - n % 16];
    buf[..n].copy_from_slice(json.as_bytes());
    let ct = Enc::new(&key.into(), &(*iv).into()).encrypt_padded_mut::<Pkcs7>(&mut buf, n).map_err(|_| SealError::BadCiphertext)?;
    Ok(STANDARD.encode(ct))
}

/// Seals `json` with a fresh random IV: `(encryptedData, iv)`, both base64, as a page gets them.
pub fn seal_fresh(session_key: &str, json: &str) -> Result<(String, String), SealError> {
    let iv: [u8; 16] = rand::random();
    Ok((seal(session_key, &iv, json)?, STANDARD.encode(iv)))
}

/// Opens what `seal` made (base64 ciphertext and base64 IV), as a developer server does.
pub fn open(session_key: &str, iv_b64: &str, encrypted: &str) -> Result<String, SealError> {
    let key = key_of(session_key)?;
    let iv: [u8; 16] = STANDARD.decode(iv_b64.trim()).ok().and_then(|v| v.try_into().ok()).ok_or(SealError::BadIv)?;
    let mut ct = STANDARD.decode(encrypted.trim()).map_err(|_| SealError::BadCiphertext)?;
    let plain = Dec::new(&key.into(), &iv.into()).decrypt_padded_mut::<Pkcs7>(&mut ct).map_err(|_| SealError::BadCiphertext)?;
    String::from_utf8(plain.to_vec()).map_err(|_| SealError::BadCiphertext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_with_the_same_key_only() {
        let key = STANDARD.encode([7u8; 16]);
        let iv = [9u8; 16];
        let json = r#"{"nickName":"小明","watermark":{"appid":"wx0123456789abcdef","timestamp":1}}"#;
        let ct = seal(&key, &iv, json).unwrap();
        assert_eq!(open(&key, &STANDARD.encode(iv), &ct).unwrap(), json);
        // The ciphertext is whole blocks: the JSON plus PKCS#7 padding.
        assert_eq!(STANDARD.decode(&ct).unwrap().len() % 16, 0);
        let other = STANDARD.encode([8u8; 16]);
        assert_ne!(open(&other, &STANDARD.encode(iv), &ct).ok().as_deref(), Some(json));
        assert_eq!(seal("short", &iv, json), Err(SealError::BadKey));
    }

    #[test]
    fn the_raw_data_signature_is_sha1_of_data_then_key() {
        // sha1("abc" + "key") computed independently: printf 'abckey' | sha1sum
        assert_eq!(raw_signature("abc", "key"), "9d8012e71d1125f5a0f01ea2469b2bf5df949142");
    }
}
