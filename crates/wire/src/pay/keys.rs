//! RSA keys and X.509 certificates: RustCrypto's `rsa` and `x509-cert` make and read keys,
//! PEM and certificates; `ring` signs and verifies SHA256-RSA2048 (PKCS#1 v1.5) on the hot
//! path, where it is several times faster (every v3 request is verified and every answer
//! signed; see docs/PERFORMANCE.md).

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPublicKey};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::{DecodePem, EncodePem};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

/// A private key that signs (the platform's, or in tests a merchant's).
#[derive(Clone)]
pub struct PrivateKey {
    key: RsaPrivateKey,
    /// For certificates (x509-cert signs through RustCrypto's traits).
    signer: SigningKey<Sha256>,
    /// For everything else.
    fast: Arc<ring::signature::RsaKeyPair>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(..)")
    }
}

impl PrivateKey {
    /// A fresh RSA-2048 key.
    pub fn generate<R: rand::CryptoRng + rand::RngCore>(rng: &mut R) -> Result<PrivateKey, String> {
        let key = RsaPrivateKey::new(rng, 2048).map_err(|e| e.to_string())?;
        Self::from_key(key)
    }

    fn from_key(key: RsaPrivateKey) -> Result<PrivateKey, String> {
        let der = key.to_pkcs8_der().map_err(|e| e.to_string())?;
        let fast = ring::signature::RsaKeyPair::from_pkcs8(der.as_bytes()).map_err(|e| format!("unusable RSA key: {e}"))?;
        Ok(PrivateKey { signer: SigningKey::<Sha256>::new(key.clone()), key, fast: Arc::new(fast) })
    }

    /// PKCS#8 PEM (`BEGIN PRIVATE KEY`), or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    pub fn from_pem(pem: &str) -> Result<PrivateKey, String> {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        let key = RsaPrivateKey::from_pkcs8_pem(pem.trim())
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem.trim()))
            .map_err(|e| format!("not an RSA private key: {e}"))?;
        Self::from_key(key)
    }

    pub fn to_pem(&self) -> String {
        self.key.to_pkcs8_pem(LineEnding::LF).map(|p| p.to_string()).unwrap_or_default()
    }

    pub fn public(&self) -> PublicKey {
        PublicKey::from_key(self.key.to_public_key())
    }

    /// Base64 of the SHA256-RSA2048 signature of `msg`.
    pub fn sign(&self, msg: &[u8]) -> String {
        let mut sig = vec![0u8; self.fast.public().modulus_len()];
        // ring fails only for a buffer of the wrong size or a broken RNG.
        self.fast.sign(&ring::signature::RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), msg, &mut sig).expect("RSA signing");
        B64.encode(sig)
    }

    /// A self-signed certificate for this key: `serial` (big-endian bytes), `cn`, valid over
    /// [not_before, not_after] (Unix seconds). PEM.
    pub fn self_signed_certificate(&self, serial: &[u8], cn: &str, not_before: i64, not_after: i64) -> Result<String, String> {
        let serial = SerialNumber::new(serial).map_err(|e| e.to_string())?;
        let at = |t: i64| Time::try_from(UNIX_EPOCH + Duration::from_secs(t.max(0) as u64)).map_err(|e| e.to_string());
        let validity = Validity { not_before: at(not_before)?, not_after: at(not_after)? };
        let subject = Name::from_str(&format!("CN={cn},O=Herald,C=CN")).map_err(|e| e.to_string())?;
        let spki = SubjectPublicKeyInfoOwned::from_key(self.key.to_public_key()).map_err(|e| e.to_string())?;
        let builder = CertificateBuilder::new(Profile::Root, serial, validity, subject, spki, &self.signer).map_err(|e| e.to_string())?;
        let cert = builder.build::<rsa::pkcs1v15::Signature>().map_err(|e| e.to_string())?;
        cert.to_pem(LineEnding::LF).map_err(|e| e.to_string())
    }
}

/// A public key that verifies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    key: RsaPublicKey,
    /// PKCS#1 DER, what ring verifies with.
    der: Vec<u8>,
}

impl PublicKey {
    fn from_key(key: RsaPublicKey) -> PublicKey {
        let der = key.to_pkcs1_der().map(|d| d.as_bytes().to_vec()).unwrap_or_default();
        PublicKey { key, der }
    }

    /// SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`).
    pub fn from_pem(pem: &str) -> Result<PublicKey, String> {
        let key = RsaPublicKey::from_public_key_pem(pem.trim())
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem.trim()))
            .map_err(|e| format!("not an RSA public key: {e}"))?;
        Ok(Self::from_key(key))
    }

    /// SubjectPublicKeyInfo PEM, what `pub_key.pem` holds.
    pub fn to_pem(&self) -> String {
        self.key.to_public_key_pem(LineEnding::LF).unwrap_or_default()
    }

    /// Checks a Base64 SHA256-RSA2048 signature of `msg`.
    pub fn verify(&self, msg: &[u8], signature_b64: &str) -> bool {
        let Ok(bytes) = B64.decode(signature_b64.trim()) else { return false };
        ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, &self.der).verify(msg, &bytes).is_ok()
    }
}

/// What Herald reads from a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Upper-case hex, no leading zeros.
    pub serial: String,
    pub public_key: PublicKey,
    pub not_before: i64,
    pub not_after: i64,
}

/// Reads an X.509 certificate (PEM).
pub fn read_certificate(pem: &str) -> Result<CertInfo, String> {
    use x509_cert::der::Encode;
    let cert = Certificate::from_pem(pem.trim().as_bytes()).map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let tbs = &cert.tbs_certificate;
    let serial = super::auth::canonical_serial(&hex::encode(tbs.serial_number.as_bytes())).unwrap_or_default();
    let spki = tbs.subject_public_key_info.to_der().map_err(|e| e.to_string())?;
    let key = RsaPublicKey::from_public_key_der(&spki).map_err(|e| format!("the certificate's key is not RSA: {e}"))?;
    Ok(CertInfo {
        serial,
        public_key: PublicKey::from_key(key),
        not_before: tbs.validity.not_before.to_unix_duration().as_secs() as i64,
        not_after: tbs.validity.not_after.to_unix_duration().as_secs() as i64,
    })
}

/// 20 random serial bytes whose hex has no leading zero and whose number is positive, so
/// the serial is always 40 upper-case hex characters like WeChat's.
pub fn random_serial<R: rand::RngCore>(rng: &mut R) -> [u8; 20] {
    let mut s = [0u8; 20];
    rng.fill_bytes(&mut s);
    s[0] = 0x10 + (s[0] % 0x70);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn key() -> PrivateKey {
        // One key for every test here: generation is the slow part.
        static KEY: std::sync::OnceLock<PrivateKey> = std::sync::OnceLock::new();
        KEY.get_or_init(|| PrivateKey::generate(&mut rand::rngs::StdRng::seed_from_u64(7)).unwrap()).clone()
    }

    #[test]
    fn signs_and_verifies() {
        let k = key();
        let sig = k.sign(b"hello\n");
        assert!(k.public().verify(b"hello\n", &sig));
        assert!(!k.public().verify(b"hello", &sig));
        assert!(!k.public().verify(b"hello\n", "not base64!"));
        let again = PublicKey::from_pem(&k.public().to_pem()).unwrap();
        assert!(again.verify(b"hello\n", &sig));
        let k2 = PrivateKey::from_pem(&k.to_pem()).unwrap();
        assert_eq!(k2.sign(b"x"), k.sign(b"x"), "PKCS#1 v1.5 signatures are deterministic");
    }

    #[test]
    fn issues_and_reads_certificates() {
        let k = key();
        let serial = random_serial(&mut rand::rngs::StdRng::seed_from_u64(1));
        let pem = k.self_signed_certificate(&serial, "1900000109", 1_700_000_000, 1_900_000_000).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let info = read_certificate(&pem).unwrap();
        assert_eq!(info.serial, hex::encode_upper(serial));
        assert_eq!(info.serial.len(), 40);
        assert_eq!(info.public_key, k.public());
        assert_eq!((info.not_before, info.not_after), (1_700_000_000, 1_900_000_000));
        assert!(read_certificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----").is_err());
    }
}
