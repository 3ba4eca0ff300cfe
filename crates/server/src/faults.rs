//! Faults on purpose, applied (see `herald_domain::fault` for the rules): a layer on the app
//! origin that answers a matching WeChat-compatible call the way WeChat fails, before its
//! handler runs (a faulted token call issues no token), and the platform API that sets them
//! (`/herald/v1/faults`, `herald fault …`). Rules live in the database; each node keeps them
//! half a second.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_domain::fault::{preset, FaultAnswer, FaultSpec, PRESETS};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Operator};
use crate::state::AppState;

const KEEP: Duration = Duration::from_millis(500);

pub type Rules = Arc<Vec<(i64, Option<i64>, FaultSpec)>>;

/// This node's copy of the rules.
#[derive(Default)]
pub struct FaultCache {
    rules: Mutex<Option<(Instant, Rules)>>,
}

impl FaultCache {
    /// Drops this node's copy (after a reset).
    pub fn forget_all(&self) {
        self.forget();
    }

    fn forget(&self) {
        *self.rules.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    async fn get(&self, st: &AppState) -> Rules {
        if let Some((at, r)) = self.rules.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            if at.elapsed() < KEEP {
                return r.clone();
            }
        }
        let rules: Rules = Arc::new(match st.store.faults().await {
            Ok(all) => all.into_iter().filter_map(|f| serde_json::from_str(&f.spec).ok().map(|s| (f.id, f.remaining, s))).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "reading fault rules failed");
                Vec::new()
            }
        });
        *self.rules.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), rules.clone()));
        rules
    }
}

/// Paths faults apply to: the WeChat-compatible APIs.
pub fn faultable(path: &str) -> bool {
    ["/cgi-bin/", "/sns/", "/wxa/", "/v3/", "/mmpaymkttransfers/", "/sandboxnew/"].iter().any(|p| path.starts_with(p))
}

/// The AppID a call acts for: its `appid` parameter, or its access_token's account.
async fn appid_of(st: &AppState, query: Option<&str>) -> Option<String> {
    let parts_query = |name: &str| {
        let q = query?;
        url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    };
    if let Some(a) = parts_query("appid") {
        return Some(a);
    }
    let token = parts_query("access_token")?;
    match st.tokens.get(&token) {
        Some(hit) => Some(hit.1.appid.0.clone()),
        None => st.store.token_account(&token).await.ok().flatten().map(|(_, a)| a.appid.0),
    }
}

fn mchid_of(req: &Request) -> Option<String> {
    let auth = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let rest = auth.split("mchid=\"").nth(1)?;
    Some(rest.split('"').next()?.to_string())
}

fn answer(a: FaultAnswer) -> Option<Response> {
    match a {
        FaultAnswer::WxError(code, msg) => {
            let body = json!({"errcode": code, "errmsg": format!("{msg} rid: {}", crate::error::rid())});
            Some((StatusCode::OK, Json(body)).into_response())
        }
        FaultAnswer::Status(status, body) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Some(match body {
                Some((code, message)) => (status, Json(json!({"code": code, "message": message}))).into_response(),
                None => status.into_response(),
            })
        }
        FaultAnswer::Through => None,
    }
}

/// What the rules look at in a call, copied out of the request only when there are rules
/// (the common case, none, costs a cached lookup and no allocation).
pub struct Call {
    path: String,
    query: Option<String>,
    mchid: Option<String>,
}

/// The rules that could apply to a call (`faultable`: on a path rules apply to; None: no rule
/// can). The common case costs a cached lookup and no allocation.
pub async fn rules_for(st: &AppState, faultable: bool) -> Option<Rules> {
    if !faultable {
        return None;
    }
    let rules = st.faults.get(st).await;
    (!rules.is_empty()).then_some(rules)
}

/// What `rules` look at in `req`, copied out before anything is awaited.
pub fn call_of(rules: Rules, req: &Request) -> (Rules, Call) {
    (rules, Call { path: req.uri().path().to_string(), query: req.uri().query().map(str::to_string), mchid: mchid_of(req) })
}

/// The first matching rule that applies answers the call (None: the handler runs, perhaps after
/// a rule's delay).
pub async fn answer_for(st: &AppState, (rules, call): (Rules, Call)) -> Option<Response> {
    let (path, query, mchid) = (&call.path, &call.query, &call.mchid);
    let now = st.clock.now().await.unwrap_or(0);
    let needs_appid = rules.iter().any(|(_, _, r)| r.appid.is_some());
    let appid = if needs_appid { appid_of(st, query.as_deref()).await } else { None };
    for (id, remaining, rule) in rules.iter() {
        if !rule.matches(path, appid.as_deref(), mchid.as_deref(), now) {
            continue;
        }
        if rule.probability.is_some_and(|p| rand::random::<f64>() >= p) {
            continue;
        }
        if remaining.is_some() {
            match st.store.take_fault(*id).await {
                Ok(true) => st.faults.forget(),
                _ => continue,
            }
        }
        tracing::info!(target: "herald::fault", fault = id, path = %path, "fault applied");
        if rule.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(rule.delay_ms)).await;
        }
        let mut r = answer(rule.answer(path))?;
        r.extensions_mut().insert(crate::requestlog::AppliedFault(*id));
        return Some(r);
    }
    None
}

#[derive(Debug, Deserialize)]
pub struct FaultIn {
    /// A preset's name (`GET /herald/v1/faults` lists them); the other fields refine it.
    #[serde(default)]
    preset: Option<String>,
    #[serde(flatten)]
    spec: Value,
}

fn fault_json(id: i64, remaining: Option<i64>, spec: &Value) -> Value {
    let mut v = spec.clone();
    v["id"] = json!(id);
    v["remaining"] = json!(remaining);
    v
}

/// `POST /herald/v1/faults`: a rule (or a preset, refined by the fields given).
pub async fn add(State(st): State<AppState>, _: Operator, ApiJson(b): ApiJson<FaultIn>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut spec = match &b.preset {
        Some(name) => serde_json::to_value(preset(name).ok_or_else(|| ApiError::bad_request(format!("no preset {name:?}; GET /herald/v1/faults lists them")))?)
            .unwrap_or(Value::Null),
        None => json!({}),
    };
    if let (Some(base), Some(given)) = (spec.as_object_mut(), b.spec.as_object()) {
        for (k, v) in given {
            if !v.is_null() {
                base.insert(k.clone(), v.clone());
            }
        }
    }
    let rule: FaultSpec = serde_json::from_value(spec).map_err(|e| ApiError::bad_request(format!("invalid fault: {e}")))?;
    rule.check().map_err(ApiError::bad_request)?;
    let stored = serde_json::to_value(&rule).unwrap_or(Value::Null);
    let now = st.clock.now().await?;
    let id = st.store.add_fault(&stored.to_string(), rule.count, now).await?;
    st.faults.forget();
    Ok((StatusCode::CREATED, Json(fault_json(id, rule.count, &stored))))
}

/// `GET /herald/v1/faults`: the rules in force and the presets.
pub async fn list(State(st): State<AppState>, _: Operator) -> ApiResult<Value> {
    let faults: Vec<Value> = st
        .store
        .faults()
        .await?
        .into_iter()
        .map(|f| fault_json(f.id, f.remaining, &serde_json::from_str(&f.spec).unwrap_or(Value::Null)))
        .collect();
    let presets: Vec<Value> = PRESETS.iter().map(|(n, d)| json!({"name": n, "description": d})).collect();
    Ok(Json(json!({"faults": faults, "presets": presets})))
}

/// `DELETE /herald/v1/faults/{id}`.
pub async fn delete(State(st): State<AppState>, _: Operator, Path(id): Path<i64>) -> ApiResult<Value> {
    if !st.store.delete_fault(id).await? {
        return Err(ApiError::not_found("fault"));
    }
    st.faults.forget();
    Ok(Json(json!({"deleted": id})))
}

/// `DELETE /herald/v1/faults`: clears every rule.
pub async fn clear(State(st): State<AppState>, _: Operator) -> ApiResult<Value> {
    let n = st.store.clear_faults().await?;
    st.faults.forget();
    Ok(Json(json!({"cleared": n})))
}
