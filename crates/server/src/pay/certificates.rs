//! `GET /v3/certificates`: the merchant's platform certificate, AES-256-GCM-encrypted under
//! its APIv3 key with associated data `certificate` (reference §1.6).

use axum::extract::State;
use axum::http::StatusCode;
use herald_wire::pay::aead;
use herald_wire::pay::types::{rfc3339_cst, CertificateEntry, EncryptedResource};
use serde_json::json;

use super::{signed, PayError, PayRequest, PayResult};
use crate::state::AppState;

pub async fn list(State(st): State<AppState>, req: PayRequest) -> PayResult {
    let m = &req.merchant;
    let nonce = aead::nonce(&mut rand::thread_rng());
    let ciphertext = aead::encrypt(m.apiv3_key.as_bytes(), &nonce, "certificate", m.platform_certificate.as_bytes())
        .map_err(|e| PayError::new(herald_wire::pay::PayCode::SystemError, e))?;
    let entry = CertificateEntry {
        serial_no: m.platform_serial.clone(),
        effective_time: rfc3339_cst(m.platform_not_before),
        expire_time: rfc3339_cst(m.platform_not_after),
        encrypt_certificate: EncryptedResource {
            algorithm: aead::ALGORITHM.into(),
            nonce,
            associated_data: "certificate".into(),
            ciphertext,
            original_type: None,
        },
    };
    signed(&st, &req, StatusCode::OK, Some(&json!({"data": [entry]}))).await
}
