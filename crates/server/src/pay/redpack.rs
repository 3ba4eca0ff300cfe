//! Cash red packets on the v2 API (XML): `mmpaymkttransfers/sendredpack`,
//! `sendgroupredpack` and `gethbinfo`, also under the v2 sandbox prefix `sandboxnew/` (signed
//! with the key `sandboxnew/pay/getsignkey` hands out). Answers are unsigned XML, as
//! WeChat's red-packet answers are; a failure before the business (bad XML, bad signature,
//! unknown merchant) has `return_code` FAIL, a business refusal `result_code` FAIL.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, Uri};
use axum::response::{IntoResponse, Response};
use herald_domain::redpack::{self, HbType, RedPackSpec, V2Refusal, REFUND_AFTER_SECS};
use herald_domain::pay::ids;
use herald_store::pay::Merchant;
use herald_store::redpack::{RedPack, SendResult};
use herald_store::{Direction, NewMessage};
use herald_wire::pay::types::rfc3339_cst;
use herald_wire::pay::v2::{self, Fields, Node, V2Code};
use herald_wire::AppId;
use serde_json::json;

use crate::clock::system_now_ms;
use crate::state::AppState;

/// The path prefix of the v2 sandbox.
const SANDBOX: &str = "/sandboxnew/";

/// A v2 failure: the code, its reason, and the request fields echoed back.
struct Fail {
    code: V2Code,
    reason: String,
    echo: Vec<(&'static str, String)>,
}

impl From<V2Code> for Fail {
    fn from(code: V2Code) -> Self {
        Fail { code, reason: code.message().into(), echo: Vec::new() }
    }
}

impl From<V2Refusal> for Fail {
    fn from((code, reason): V2Refusal) -> Self {
        Fail { code, reason, echo: Vec::new() }
    }
}

impl From<herald_store::StoreError> for Fail {
    fn from(e: herald_store::StoreError) -> Self {
        tracing::error!(error = %e, "storage failed");
        V2Code::SystemError.into()
    }
}

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let return_code = if self.code.is_communication() { "FAIL" } else { "SUCCESS" };
        let mut fields: Vec<(&str, Node)> = vec![
            ("return_code", return_code.into()),
            ("return_msg", self.reason.clone().into()),
            ("result_code", "FAIL".into()),
            ("err_code", self.code.code().into()),
            ("err_code_des", self.reason.into()),
        ];
        fields.extend(self.echo.into_iter().map(|(k, v)| (k, Node::Leaf(v))));
        xml(v2::render(&fields))
    }
}

/// A v2 refusal of a request that never reached its handler (a body over the limit).
pub(crate) fn refused(code: V2Code, reason: &str) -> Response {
    Fail { code, reason: reason.into(), echo: Vec::new() }.into_response()
}

/// `yyyy-mm-dd HH:MM:SS` in China time, as v2 writes times.
fn v2_time(t: i64) -> String {
    rfc3339_cst(t)[..19].replace('T', " ")
}

/// Parses and authenticates a v2 request: the merchant it names and its fields.
async fn authenticate(st: &AppState, sandbox: bool, body: &[u8]) -> Result<(Merchant, Fields), Fail> {
    let text = std::str::from_utf8(body).map_err(|_| Fail::from(V2Code::XmlError))?;
    let fields = v2::parse(text).map_err(|_| Fail::from(V2Code::XmlError))?;
    let mchid = fields.get("mch_id").cloned().unwrap_or_default();
    let m = st.store.merchant(&mchid).await?.ok_or_else(|| Fail { code: V2Code::NoAuth, reason: format!("商户号 {mchid} 不存在"), echo: Vec::new() })?;
    let key = if sandbox { v2::sandbox_signkey(&m.api_key) } else { m.api_key.clone() };
    if !v2::verify(&fields, &key) {
        return Err(V2Code::SignError.into());
    }
    Ok((m, fields))
}

/// `POST /sandboxnew/pay/getsignkey`: the merchant's sandbox key (signed with its real key).
pub async fn sandbox_signkey(State(st): State<AppState>, body: Bytes) -> Response {
    // Signed with the real key, though it arrives under the sandbox prefix.
    match authenticate(&st, false, &body).await {
        Ok((m, _)) => xml(v2::render(&[
            ("return_code", "SUCCESS".into()),
            ("return_msg", "ok".into()),
            ("mch_id", m.mchid.as_str().into()),
            ("sandbox_signkey", v2::sandbox_signkey(&m.api_key).into()),
        ])),
        Err(f) => f.into_response(),
    }
}

/// `POST [sandboxnew/]mmpaymkttransfers/sendredpack`.
pub async fn send(State(st): State<AppState>, uri: Uri, body: Bytes) -> Response {
    send_any(&st, &uri, &body, false).await.unwrap_or_else(IntoResponse::into_response)
}

/// `POST [sandboxnew/]mmpaymkttransfers/sendgroupredpack`.
pub async fn send_group(State(st): State<AppState>, uri: Uri, body: Bytes) -> Response {
    send_any(&st, &uri, &body, true).await.unwrap_or_else(IntoResponse::into_response)
}

fn echo(f: &Fields) -> Vec<(&'static str, String)> {
    ["mch_billno", "mch_id", "wxappid", "re_openid", "total_amount"]
        .into_iter()
        .filter_map(|k| f.get(k).map(|v| (k, v.clone())))
        .collect()
}

fn sent_answer(p: &RedPack) -> Response {
    xml(v2::render(&[
        ("return_code", "SUCCESS".into()),
        ("return_msg", "发放成功".into()),
        ("result_code", "SUCCESS".into()),
        ("err_code", "SUCCESS".into()),
        ("err_code_des", "发放成功".into()),
        ("mch_billno", p.mch_billno.as_str().into()),
        ("mch_id", p.mchid.as_str().into()),
        ("wxappid", p.wxappid.as_str().into()),
        ("re_openid", p.re_openid.as_str().into()),
        ("total_amount", p.total_amount.to_string().into()),
        ("send_listid", p.send_listid.as_str().into()),
        ("send_time", herald_domain::time::cst_compact(p.send_time).into()),
    ]))
}

async fn send_any(st: &AppState, uri: &Uri, body: &[u8], group: bool) -> Result<Response, Fail> {
    let (m, fields) = authenticate(st, uri.path().starts_with(SANDBOX), body).await?;
    let with_echo = |f: Fail| Fail { echo: echo(&fields), ..f };
    let spec = redpack::check_send(&fields, group).map_err(|r| with_echo(r.into()))?;
    if !m.appids.contains(&spec.wxappid) {
        return Err(with_echo(V2Code::IllegalAppid.into()));
    }
    if let Some(existing) = st.store.redpack(&m.mchid, &spec.mch_billno).await? {
        return same_packet(&existing, &spec).map_err(with_echo);
    }
    let follower = st.store.follower_by_openid(&AppId(spec.wxappid.clone()), &spec.re_openid).await?.ok_or_else(|| with_echo(V2Code::OpenidError.into()))?;
    let now = st.clock.now().await.map_err(|e| with_echo(Fail::from(e)))?;
    let amounts = match spec.hb_type {
        HbType::Normal => vec![spec.total_amount],
        HbType::Group => redpack::split(spec.total_amount, spec.total_num, &mut rand::thread_rng()),
    };
    let p = RedPack::from_spec(&spec, ids::redpack_id(&mut rand::thread_rng(), now), &m.mchid, &follower.user_id.0, now, &amounts);
    match st.store.send_redpack(&p, system_now_ms() + REFUND_AFTER_SECS * 1000).await? {
        SendResult::Sent(sent) => {
            // The packet shows in the recipient's chat with the account (the money is already
            // safe in the packet's book; a lost chat line loses no money).
            let message = NewMessage {
                appid: follower.appid.clone(),
                user_id: follower.user_id.clone(),
                openid: follower.openid.clone(),
                direction: Direction::Out,
                source: "redpack".into(),
                msg_type: "redpacket".into(),
                body: json!({"send_listid": sent.send_listid, "send_name": sent.send_name, "wishing": sent.wishing, "act_name": sent.act_name, "hb_type": sent.hb_type.wire()}).to_string(),
                created_at: now,
            };
            if let Err(e) = st.store.append_outbound(&message).await {
                tracing::warn!(error = %e, send_listid = %sent.send_listid, "the red packet's chat message was not stored");
            }
            st.wake.notify_one();
            Ok(sent_answer(&sent))
        }
        SendResult::Existing(existing) => same_packet(&existing, &spec).map_err(with_echo),
        SendResult::NotEnough(_) => Err(with_echo(V2Code::NotEnough.into())),
    }
}

/// A repeated mch_billno: the same packet is answered again; another is FATAL_ERROR.
fn same_packet(existing: &RedPack, spec: &RedPackSpec) -> Result<Response, Fail> {
    if existing.fingerprint == spec.fingerprint {
        Ok(sent_answer(existing))
    } else {
        Err(V2Code::FatalError.into())
    }
}

/// `POST [sandboxnew/]mmpaymkttransfers/gethbinfo`.
pub async fn query(State(st): State<AppState>, uri: Uri, body: Bytes) -> Response {
    query_inner(&st, &uri, &body).await.unwrap_or_else(IntoResponse::into_response)
}

async fn query_inner(st: &AppState, uri: &Uri, body: &[u8]) -> Result<Response, Fail> {
    let (m, fields) = authenticate(st, uri.path().starts_with(SANDBOX), body).await?;
    let billno = fields.get("mch_billno").filter(|b| !b.is_empty()).ok_or_else(|| Fail::from((V2Code::ParamError, "mch_billno 参数必填".to_string())))?;
    if fields.get("bill_type").map(String::as_str) != Some("MCHT") {
        return Err((V2Code::ParamError, "bill_type 只能是 MCHT".to_string()).into());
    }
    let p = st.store.redpack(&m.mchid, billno).await?.ok_or(V2Code::NotFound)?;
    let now = st.clock.now().await?;
    let status = p.status.effective(p.expires_at, now);
    let opened: Vec<Vec<(&'static str, String)>> = p
        .shares
        .iter()
        .filter(|s| s.openid.is_some())
        .map(|s| vec![("openid", s.openid.clone().unwrap_or_default()), ("amount", s.amount.to_string()), ("rcv_time", v2_time(s.rcv_time.unwrap_or(0)))])
        .collect();
    let mut out: Vec<(&str, Node)> = vec![
        ("return_code", "SUCCESS".into()),
        ("return_msg", "OK".into()),
        ("result_code", "SUCCESS".into()),
        ("err_code", "SUCCESS".into()),
        ("err_code_des", "OK".into()),
        ("mch_billno", p.mch_billno.as_str().into()),
        ("mch_id", p.mchid.as_str().into()),
        ("detail_id", p.send_listid.as_str().into()),
        ("status", status.wire().into()),
        ("send_type", "API".into()),
        ("hb_type", p.hb_type.wire().into()),
        ("total_num", p.total_num.to_string().into()),
        ("total_amount", p.total_amount.to_string().into()),
        ("send_time", v2_time(p.send_time).into()),
        ("wishing", p.wishing.as_str().into()),
        ("remark", p.remark.as_str().into()),
        ("act_name", p.act_name.as_str().into()),
    ];
    if let (Some(t), Some(a)) = (p.refund_time, p.refund_amount) {
        out.push(("refund_time", v2_time(t).into()));
        out.push(("refund_amount", a.to_string().into()));
    }
    if !opened.is_empty() {
        out.push(("hblist", Node::List("hbinfo", opened)));
    }
    Ok(xml(v2::render(&out)))
}

/// The worker's `redpack_return` job: past 24 hours, what nobody opened goes back to the
/// merchant (the job is marked done, or moved to when the clock says it is due, in the same
/// transaction).
pub async fn return_job(st: &AppState, job: &herald_store::Job) {
    let now = match st.clock.now().await {
        Ok(n) => n,
        Err(e) => return tracing::warn!(error = %e, "reading the clock failed; the lease will expire"),
    };
    if let Err(e) = st.store.return_redpack(&job.payload, now, system_now_ms(), Some(job.id)).await {
        tracing::warn!(job = job.id, error = %e, "returning a red packet failed; the lease will expire and it runs again");
    }
}
