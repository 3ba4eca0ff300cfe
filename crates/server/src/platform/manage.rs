//! What an account's owner manages from the console, through the platform API (callable by the
//! operator too): the custom menu, the follower list and the overview.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use herald_domain::menu;
use herald_store::FollowerFilter;
use herald_wire::platform::console::{DailyOut, FollowerPage, OverviewOut, QrCodeList, QrCodeOut};
use herald_wire::WxError;
use serde::Deserialize;
use serde_json::{json, Value};

use super::console::AccountAccess;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::state::AppState;

/// A menu rule refused, as the console shows it: WeChat's errcode and message.
fn menu_refused(e: WxError) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_menu", format!("{} (errcode {})", e.errmsg(), e.code.code()))
}

/// `GET /herald/v1/accounts/{appid}/menu`: the default menu (`null` if none) and the
/// conditional ones, as `/cgi-bin/menu/get` has them.
pub async fn get_menu(State(st): State<AppState>, a: AccountAccess) -> ApiResult<Value> {
    let menus = crate::cgi::menu::load(&st, &a.account.appid).await?;
    let default = menus.iter().find(|m| m.rule.is_none()).map(|d| json!({"button": d.buttons, "menuid": d.menuid}));
    let conditional: Vec<Value> =
        menus.iter().filter_map(|m| m.rule.as_ref().map(|r| json!({"button": m.buttons, "matchrule": r.to_json(), "menuid": m.menuid}))).collect();
    Ok(Json(json!({"menu": default, "conditionalmenu": conditional})))
}

/// `PUT /herald/v1/accounts/{appid}/menu`: sets the default menu (`{"button": [...]}`, checked
/// by the same rules as `/cgi-bin/menu/create`).
pub async fn put_menu(State(st): State<AppState>, a: AccountAccess, ApiJson(body): ApiJson<Value>) -> ApiResult<Value> {
    let (buttons, _) = menu::check_menu(&body).map_err(menu_refused)?;
    let kept: Vec<menu::MenuDef> = crate::cgi::menu::load(&st, &a.account.appid).await?.into_iter().filter(|m| m.rule.is_some()).collect();
    crate::cgi::menu::check_domains(&buttons, &kept).map_err(menu_refused)?;
    let now = st.clock.now().await?;
    let menuid = st.store.set_default_menu(&a.account.appid, &Value::Array(buttons.clone()).to_string(), now).await?;
    Ok(Json(json!({"menu": {"button": buttons, "menuid": menuid}})))
}

/// `DELETE /herald/v1/accounts/{appid}/menu`: removes every menu, as `/cgi-bin/menu/delete`.
pub async fn delete_menu(State(st): State<AppState>, a: AccountAccess) -> ApiResult<Value> {
    st.store.delete_menus(&a.account.appid).await?;
    Ok(Json(json!({"deleted": true})))
}

#[derive(Debug, Default, Deserialize)]
pub struct FollowerQuery {
    /// An exact openid, or the start of a remark or nickname.
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    blacklisted: Option<bool>,
    /// Only followers with this tag.
    #[serde(default)]
    tag_id: Option<i64>,
    /// Only followers who followed at or after this Unix time.
    #[serde(default)]
    since: Option<i64>,
    /// The `next` of the page before.
    #[serde(default)]
    before: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

/// `GET /herald/v1/accounts/{appid}/followers`: subscribed followers, newest first, 20 a page
/// (at most 100), keyset-paged by `before`.
pub async fn followers(State(st): State<AppState>, a: AccountAccess, Query(q): Query<FollowerQuery>) -> ApiResult<FollowerPage> {
    let before = match q.before.as_deref().filter(|b| !b.is_empty()) {
        Some(b) => Some(b.parse::<i64>().map_err(|_| ApiError::bad_request("before is the next of the page before"))?),
        None => None,
    };
    if q.q.as_deref().is_some_and(|s| s.chars().count() > 64) {
        return Err(ApiError::bad_request("a search is at most 64 characters"));
    }
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    let filter = FollowerFilter { search: q.q.clone(), blacklisted: q.blacklisted, tag_id: q.tag_id, since: q.since, before, limit: limit + 1 };
    let mut rows = st.store.follower_rows(&a.account.appid, &filter).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let now = st.clock.now().await?;
    let next = if more { rows.last().map(|r| r.follow_order.to_string()) } else { None };
    let followers = rows.into_iter().map(|r| super::inbox::follower_out(r, now)).collect();
    Ok(Json(FollowerPage { followers, next }))
}

#[derive(Debug, Default, Deserialize)]
pub struct OverviewQuery {
    #[serde(default)]
    days: Option<i64>,
}

/// `GET /herald/v1/accounts/{appid}/overview?days=7|30|90`: followers now, the deliveries to the
/// developer server, and per day over the period (from the `account_daily` aggregates, so it
/// reads at most 90 rows at any follower count): follows, unfollows, messages received and
/// sent; the mass messages of this month and today; API calls and errors from the request log.
pub async fn overview(State(st): State<AppState>, a: AccountAccess, Query(q): Query<OverviewQuery>) -> ApiResult<OverviewOut> {
    use herald_domain::console::{cst_day, day_date, CHART_DAYS};
    let days = q.days.unwrap_or(7);
    if !CHART_DAYS.contains(&days) {
        return Err(ApiError::bad_request("days must be 7, 30 or 90"));
    }
    let appid = &a.account.appid;
    let now = st.clock.now().await?;
    let followers = st.store.subscribed_page(appid, None, 1).await?.total;
    let blacklisted = st.store.blacklist_page(appid, None, 1).await?.total;
    let jobs = st.store.jobs(appid, None, 1000).await?;
    let deliveries_ok = jobs.iter().filter(|j| j.state == "done").count() as i64;
    let deliveries_failed = jobs.iter().filter(|j| j.state == "failed").count() as i64;
    let menu_set = crate::cgi::menu::load(&st, appid).await?.iter().any(|m| m.rule.is_none());

    let today = cst_day(now);
    let first = today - days + 1;
    let rows = st.store.account_daily(appid, first, today).await?;
    let daily: Vec<DailyOut> = (first..=today)
        .map(|day| {
            let r = rows.iter().find(|r| r.day == day).copied().unwrap_or_default();
            DailyOut { date: day_date(day), follows: r.follows, unfollows: r.unfollows, net: r.follows - r.unfollows, received: r.received, sent: r.sent }
        })
        .collect();
    let sum = |f: fn(&DailyOut) -> i64| daily.iter().map(f).sum::<i64>();
    let month = herald_domain::broadcast::month_key(now);
    let masses = st.store.mass_history(appid, 200).await?;
    let mass_this_month = masses.iter().filter(|m| herald_domain::broadcast::month_key(m.created_at) == month).count() as i64;
    let mass_today = masses.iter().filter(|m| cst_day(m.created_at) == today).count() as i64;
    // The request log's times are the machine's; the period is counted back from its now.
    let since_ms = crate::clock::system_now_ms() - days * 86_400_000;
    let (api_calls, api_errors) = if st.log_requests_db { st.store.account_call_counts(appid, since_ms).await? } else { (0, 0) };
    Ok(Json(OverviewOut {
        followers,
        blacklisted,
        deliveries_ok,
        deliveries_failed,
        menu_set,
        server_configured: a.account.server.url.is_some(),
        days,
        new_follows: sum(|d| d.follows),
        lost_follows: sum(|d| d.unfollows),
        received: sum(|d| d.received),
        sent: sum(|d| d.sent),
        daily,
        mass_this_month,
        mass_today,
        api_calls,
        api_errors,
        api_log: st.log_requests_db,
    }))
}

fn qr_out(st: &AppState, q: &herald_store::QrCode, follows: i64, scans: i64) -> QrCodeOut {
    QrCodeOut {
        ticket: q.ticket.clone(),
        url: crate::cgi::qrcode::code_url(st, q),
        image: crate::cgi::qrcode::image_path(q),
        permanent: q.permanent,
        scene_id: q.scene_id,
        scene_str: q.scene_str.clone(),
        created_at: q.created_at,
        expires_at: q.expires_at,
        follows,
        scans,
    }
}

/// `GET /herald/v1/accounts/{appid}/qrcodes`: the account's QR codes with a scene (newest
/// first, at most 200), each with its image's path and the followers it brought who still follow.
pub async fn qrcodes(State(st): State<AppState>, a: AccountAccess) -> ApiResult<QrCodeList> {
    let codes = st.store.qr_codes(&a.account.appid, 200).await?;
    Ok(Json(QrCodeList { qrcodes: codes.iter().map(|(q, n, s)| qr_out(&st, q, *n, *s)).collect() }))
}

/// `POST /herald/v1/accounts/{appid}/qrcodes`: a code, in `/cgi-bin/qrcode/create`'s body
/// (`action_name`, `action_info.scene`, `expire_seconds`) and under its rules: service accounts
/// only (403 `not_permitted`), 400 `invalid_qrcode` with WeChat's errcode named.
pub async fn create_qrcode(State(st): State<AppState>, a: AccountAccess, ApiJson(body): ApiJson<Value>) -> Result<(StatusCode, Json<QrCodeOut>), ApiError> {
    if herald_domain::account::permit(a.kind(), herald_domain::account::Capability::QrCodes).is_err() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "not_permitted", "only service accounts create QR codes with a scene"));
    }
    let req = herald_domain::qrcode::parse_create(&body).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_qrcode", format!("{} (errcode {})", e.errmsg(), e.code.code())))?;
    let scene = match &req.scene {
        herald_domain::qrcode::Scene::Id(i) => (*i, String::new()),
        herald_domain::qrcode::Scene::Str(s) => (0, s.clone()),
    };
    let now = st.clock.now().await?;
    let fresh = crate::cgi::qrcode::fresh_code(&a.account.appid, &req.action, scene, req.permanent, now, req.expire_seconds.map(|s| now + s));
    let code = st.store.create_qrcode(&fresh, herald_domain::qrcode::MAX_PERMANENT).await?;
    Ok((StatusCode::CREATED, Json(qr_out(&st, &code, 0, 0))))
}

#[derive(Debug, Deserialize)]
pub struct AllowListIn {
    /// Addresses and CIDR ranges; empty allows every address.
    pub ips: Vec<String>,
}

/// `GET /herald/v1/accounts/{appid}/ip_allow_list`.
pub async fn ip_allow_list(State(st): State<AppState>, a: AccountAccess) -> ApiResult<Value> {
    let list = st.store.ip_allow_list(&a.account.appid).await?;
    Ok(Json(json!({"ips": herald_domain::allowlist::entries(&list)})))
}

/// `PUT /herald/v1/accounts/{appid}/ip_allow_list`: the addresses and ranges that may call
/// `/cgi-bin/token` and `/cgi-bin/stable_token` for this account (others get 40164); an empty
/// list allows every address. 400 naming the entry that is not an address or range.
pub async fn set_ip_allow_list(State(st): State<AppState>, a: AccountAccess, ApiJson(b): ApiJson<AllowListIn>) -> ApiResult<Value> {
    let list = herald_domain::allowlist::normalize(&b.ips).map_err(ApiError::bad_request)?;
    st.store.set_ip_allow_list(&a.account.appid, &list).await?;
    Ok(Json(json!({"ips": herald_domain::allowlist::entries(&list)})))
}
