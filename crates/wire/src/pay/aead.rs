//! AEAD_AES_256_GCM under the merchant's 32-byte APIv3 key (reference §1.8): the platform
//! certificates of `/v3/certificates` and the resources of notifications.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::{engine::general_purpose::STANDARD as B64, Engine};

pub const ALGORITHM: &str = "AEAD_AES_256_GCM";

/// Base64 of ciphertext‖tag. `key` must be 32 bytes and `nonce` 12.
pub fn encrypt(key: &[u8], nonce: &str, associated_data: &str, plaintext: &[u8]) -> Result<String, String> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| "the APIv3 key must be 32 bytes".to_string())?;
    if nonce.len() != 12 {
        return Err("the nonce must be 12 bytes".into());
    }
    let out = cipher
        .encrypt(Nonce::from_slice(nonce.as_bytes()), Payload { msg: plaintext, aad: associated_data.as_bytes() })
        .map_err(|_| "encryption failed".to_string())?;
    Ok(B64.encode(out))
}

pub fn decrypt(key: &[u8], nonce: &str, associated_data: &str, ciphertext_b64: &str) -> Result<Vec<u8>, String> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| "the APIv3 key must be 32 bytes".to_string())?;
    if nonce.len() != 12 {
        return Err("the nonce must be 12 bytes".into());
    }
    let data = B64.decode(ciphertext_b64).map_err(|_| "the ciphertext is not Base64".to_string())?;
    cipher
        .decrypt(Nonce::from_slice(nonce.as_bytes()), Payload { msg: &data, aad: associated_data.as_bytes() })
        .map_err(|_| "decryption failed".to_string())
}

/// A fresh 12-character alphanumeric nonce.
pub fn nonce<R: rand::Rng>(rng: &mut R) -> String {
    (0..12).map(|_| char::from(rng.sample(rand::distributions::Alphanumeric))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdefghijABCDEFGHIJ01";

    #[test]
    fn round_trips_and_checks_the_tag() {
        let c = encrypt(KEY, "61f9c719728a", "certificate", b"-----BEGIN CERTIFICATE-----").unwrap();
        assert_eq!(decrypt(KEY, "61f9c719728a", "certificate", &c).unwrap(), b"-----BEGIN CERTIFICATE-----");
        assert!(decrypt(KEY, "61f9c719728a", "transaction", &c).is_err(), "other associated data");
        assert!(decrypt(b"0123456789abcdefghijABCDEFGHIJ02", "61f9c719728a", "certificate", &c).is_err());
        assert!(encrypt(b"short", "61f9c719728a", "", b"x").is_err());
    }

    #[test]
    fn matches_nist_gcm_test_case_14() {
        // Key 0^256, IV 0^96, plaintext 0^128 (McGrew & Viega, test case 14).
        let nonce = "\0".repeat(12);
        let c = B64.decode(encrypt(&[0u8; 32], &nonce, "", &[0u8; 16]).unwrap()).unwrap();
        assert_eq!(hex::encode(c), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
    }
}
