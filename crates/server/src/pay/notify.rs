//! Notifications to merchants' notify_url (reference §5) and refund settlement, both run by
//! the delivery worker from the durable queue. A notification's body is fixed when it is
//! queued (its resource encrypted under the APIv3 key); each attempt signs it anew. Retries
//! follow WeChat's schedule until the merchant answers 200 or 204; every attempt is
//! recorded in the delivery log.

use std::time::Instant;

use herald_domain::pay::{notify_retry_after, RefundStatus, NOTIFY_TIMEOUT_MS};
use herald_store::pay::{Merchant, NewNotification, Order, Refund};
use herald_store::{Attempt, Job, JobOutcome};
use herald_wire::pay::aead;
use herald_wire::pay::types::{rfc3339_cst, Notification, NotificationResource};
use serde_json::{json, Value};

use crate::clock::system_now_ms;
use crate::delivery::{Outgoing, SendError};
use hyper::Method;
use crate::state::AppState;

fn event_id() -> String {
    let b: [u8; 16] = rand::random();
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// A notification of `resource` (JSON) to `url`, encrypted for the merchant; `event` is
/// (event_type, summary, original_type).
pub fn build(m: &Merchant, appid: &str, url: &str, subject: &str, event: (&str, &str, &str), resource: &Value, now: i64) -> Option<NewNotification> {
    let original_type = event.2;
    let nonce = aead::nonce(&mut rand::thread_rng());
    let plaintext = resource.to_string();
    let ciphertext = aead::encrypt(m.apiv3_key.as_bytes(), &nonce, original_type, plaintext.as_bytes()).ok()?;
    let n = Notification {
        id: event_id(),
        create_time: rfc3339_cst(now),
        resource_type: "encrypt-resource".into(),
        event_type: event.0.into(),
        summary: event.1.into(),
        resource: NotificationResource {
            original_type: original_type.into(),
            algorithm: aead::ALGORITHM.into(),
            ciphertext,
            associated_data: original_type.into(),
            nonce,
        },
    };
    let body = serde_json::to_string(&n).ok()?;
    Some(NewNotification {
        appid: appid.into(),
        mchid: m.mchid.clone(),
        event_type: event.0.into(),
        subject: subject.into(),
        payload: json!({"url": url, "mchid": m.mchid, "body": body}).to_string(),
    })
}

/// TRANSACTION.SUCCESS for a paid order.
pub fn paid(o: &Order, m: &Merchant) -> Option<NewNotification> {
    let now = o.success_time.unwrap_or(o.created_at);
    let resource = super::orders::transaction_json(o, now);
    build(m, &o.appid, &o.notify_url, &o.out_trade_no, ("TRANSACTION.SUCCESS", "支付成功", "transaction"), &resource, now)
}

/// REFUND.SUCCESS / CLOSED / ABNORMAL for a settled refund with a notify_url.
pub fn refunded(r: &Refund, m: &Merchant, appid: &str) -> Option<NewNotification> {
    let url = r.notify_url.as_deref()?;
    let event = r.status.event()?;
    let now = r.success_time.unwrap_or(r.created_at);
    let mut resource = json!({
        "mchid": r.mchid,
        "transaction_id": r.transaction_id,
        "out_trade_no": r.out_trade_no,
        "refund_id": r.refund_id,
        "out_refund_no": r.out_refund_no,
        "refund_status": r.status.wire(),
        "user_received_account": "支付用户零钱",
        "amount": {"total": r.total, "refund": r.amount, "payer_total": r.total - r.discount, "payer_refund": r.split().0},
    });
    if let Some(t) = r.success_time {
        resource["success_time"] = rfc3339_cst(t).into();
    }
    build(m, appid, url, &r.out_refund_no, (event.0, event.1, "refund"), &resource, now)
}

/// Settles a refund (the worker's `refund_settle` job): SUCCESS, money into the payer's
/// wallet, and its notification; for a merchant whose refunds are on hold, nothing (the
/// operator settles it). The job is marked done in the same transaction.
pub async fn settle(st: &AppState, job: &Job) {
    let now = match st.clock.now().await {
        Ok(n) => n,
        Err(e) => return tracing::warn!(error = %e, "reading the clock failed; the lease will expire"),
    };
    let appid = job.appid.0.clone();
    let notify = move |r: &Refund, m: &Merchant| refunded(r, m, &appid);
    // A merchant on hold: the job ends and the refund stays PROCESSING for the operator.
    let hold = match st.store.refund_by_id(&job.payload).await {
        Ok(Some(r)) => matches!(st.store.merchant(&r.mchid).await, Ok(Some(m)) if m.refund_mode == "hold"),
        Ok(None) => false,
        Err(e) => return tracing::warn!(job = job.id, error = %e, "reading a refund failed; the lease will expire"),
    };
    let status = if hold { RefundStatus::Processing } else { RefundStatus::Success };
    match st.store.settle_refund(&job.payload, status, now, system_now_ms(), Some(job.id), &notify).await {
        Ok(_) => st.wake.notify_one(),
        Err(e) => tracing::warn!(job = job.id, error = %e, "settling a refund failed; the lease will expire and it runs again"),
    }
}

/// One delivery attempt of a notification.
pub async fn attempt(st: &AppState, job: &Job) -> (Attempt, JobOutcome) {
    let payload: Value = serde_json::from_str(&job.payload).unwrap_or_default();
    let url = payload["url"].as_str().unwrap_or_default().to_string();
    let body = payload["body"].as_str().unwrap_or_default().to_string();
    let started = Instant::now();
    let at = system_now_ms();
    let result = send(st, job, &url, &body).await;
    let mut record = Attempt {
        id: 0,
        job_id: job.id,
        appid: job.appid.clone(),
        attempt: job.attempts,
        url: url.clone(),
        request: body,
        status: None,
        response: None,
        latency_ms: started.elapsed().as_millis() as i64,
        error: None,
        at,
    };
    let failure = match result {
        Ok((status, text)) => {
            record.status = Some(status as i64);
            record.response = Some(text);
            if status == 200 || status == 204 {
                return (record, JobOutcome::Done { reply: None });
            }
            format!("the merchant answered HTTP {status}")
        }
        Err(e) => e,
    };
    record.error = Some(failure.clone());
    let outcome = match notify_retry_after(job.attempts) {
        // Counted from the attempt's start: the store moves it forward by any advance of the
        // simulated clock since the job was claimed, including one made while it was in flight.
        Some(secs) => JobOutcome::Retry { run_at: at + secs * 1000, error: failure },
        None => JobOutcome::Failed { error: failure, notice: None },
    };
    (record, outcome)
}

/// The longest answer read from a notify_url; only its status counts.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

async fn send(st: &AppState, job: &Job, url: &str, body: &str) -> Result<(u16, String), String> {
    let m = merchant_of(st, job).await?;
    let key = super::platform_key(st).await.map_err(|e| e.to_string())?;
    let serial = if m.key_mode == "public_key" { m.public_key_id.clone() } else { m.platform_serial.clone() };
    let signed = super::signature_headers(&key, &serial, body.as_bytes());
    let mut headers = vec![("Content-Type", "application/json"), ("User-Agent", "Mozilla/4.0")];
    headers.extend(signed.iter().map(|(name, value)| (*name, value.as_str())));
    let out = Outgoing {
        method: Method::POST,
        url,
        query: &[],
        headers: &headers,
        body: body.to_string().into(),
        timeout: std::time::Duration::from_millis(NOTIFY_TIMEOUT_MS),
        limit: MAX_ANSWER_BYTES,
    };
    let answer = st.http.send(out).await.map_err(|e| match e {
        SendError::Refused(why) => why,
        SendError::Timeout => format!("the notify_url did not answer within {NOTIFY_TIMEOUT_MS} ms"),
        SendError::Failed(why) => format!("the notify_url did not answer: {why}"),
    })?;
    let text = match &answer.body {
        Some(b) => String::from_utf8_lossy(b).chars().take(2048).collect(),
        None => format!("(an answer longer than {MAX_ANSWER_BYTES} bytes)"),
    };
    Ok((answer.status, text))
}

async fn merchant_of(st: &AppState, job: &Job) -> Result<Merchant, String> {
    let payload: Value = serde_json::from_str(&job.payload).unwrap_or_default();
    let mchid = payload["mchid"].as_str().ok_or_else(|| "the notification names no merchant".to_string())?;
    st.store.merchant(mchid).await.map_err(|e| e.to_string())?.ok_or_else(|| "the notification's merchant is gone".to_string())
}
