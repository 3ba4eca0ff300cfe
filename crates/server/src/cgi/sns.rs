//! Web OAuth token endpoints (`/sns/oauth2/access_token`, `/sns/oauth2/refresh_token`,
//! `/sns/userinfo`, `/sns/auth`): no account access_token; the app secret, a code or a web
//! access token says who calls. The authorize page itself is in `web::oauth`.

use axum::extract::State;
use axum::Json;
use herald_domain::oauth::{self, ACCESS_TTL};
use herald_store::{CodeTake, Grant};
use herald_wire::{AppId, ErrCode, WxError, WxOk};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{WxErr, WxResult};
use crate::extract::WxQuery;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct SnsQuery {
    appid: Option<String>,
    secret: Option<String>,
    code: Option<String>,
    grant_type: Option<String>,
    refresh_token: Option<String>,
    access_token: Option<String>,
    openid: Option<String>,
    lang: Option<String>,
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

fn grant_json(g: &Grant, now: i64, unionid: Option<&str>) -> Value {
    let mut out = json!({
        "access_token": g.access_token, "expires_in": (g.access_expires_at - now).max(0),
        "refresh_token": g.refresh_token, "openid": g.openid, "scope": g.scope,
    });
    if let Some(u) = unionid {
        out["unionid"] = json!(u);
    }
    out
}

/// The unionid a grant may reveal: only with snsapi_userinfo.
async fn unionid_of(st: &AppState, g: &Grant) -> Result<Option<String>, WxErr> {
    if g.scope != oauth::Scope::UserInfo.as_str() {
        return Ok(None);
    }
    Ok(st.store.follower_by_openid(&g.appid, &g.openid).await?.map(|f| f.unionid.0))
}

/// `GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`.
pub async fn access_token(State(st): State<AppState>, WxQuery(q): WxQuery<SnsQuery>) -> WxResult<Value> {
    if some(&q.grant_type) != Some("authorization_code") {
        return Err(ErrCode::InvalidGrantType.into());
    }
    let account = match some(&q.appid) {
        Some(a) => st.store.account(a).await?,
        None => None,
    };
    herald_domain::token::check_credentials(Some("client_credential"), some(&q.appid), some(&q.secret), account.as_ref().map(|a| a.app_secret.as_str()))?;
    let account = account.ok_or(ErrCode::InvalidAppid)?;
    let code = some(&q.code).ok_or(ErrCode::OauthCodeMissing)?;
    let now = st.clock.now().await?;
    let c = match st.store.take_code(code, "oauth", Some(&account.appid), now).await? {
        CodeTake::Missing => return Err(ErrCode::InvalidOauthCode.into()),
        CodeTake::Used(_) => return Err(ErrCode::CodeBeenUsed.into()),
        CodeTake::Taken(c) => c,
    };
    if c.appid.as_ref() != Some(&account.appid) || c.expires_at <= now {
        return Err(ErrCode::InvalidOauthCode.into());
    }
    let f = st.store.follower_by_user(&account.appid, &c.user_id).await?.ok_or(ErrCode::InvalidOauthCode)?;
    let g = {
        let mut rng = rand::thread_rng();
        Grant {
            access_token: herald_domain::idgen::access_token(&mut rng),
            refresh_token: herald_domain::idgen::access_token(&mut rng),
            appid: account.appid.clone(),
            user_id: c.user_id.clone(),
            openid: f.openid.0.clone(),
            scope: c.scope.clone(),
            access_expires_at: now + ACCESS_TTL,
            refresh_expires_at: now + oauth::REFRESH_TTL,
            created_at: now,
        }
    };
    st.store.put_grant(&g).await?;
    let unionid = unionid_of(&st, &g).await?;
    Ok(Json(grant_json(&g, now, unionid.as_deref())))
}

/// `GET /sns/oauth2/refresh_token?appid&grant_type=refresh_token&refresh_token`: a live access
/// token is kept and its lifetime renewed; an expired one is replaced. The refresh token
/// itself lives 30 days and is never renewed.
pub async fn refresh_token(State(st): State<AppState>, WxQuery(q): WxQuery<SnsQuery>) -> WxResult<Value> {
    let appid = some(&q.appid).ok_or(ErrCode::AppidMissing)?;
    if some(&q.grant_type) != Some("refresh_token") {
        return Err(ErrCode::InvalidGrantType.into());
    }
    let rt = some(&q.refresh_token).ok_or(ErrCode::RefreshTokenMissing)?;
    let now = st.clock.now().await?;
    let g = st.store.grant_by_refresh(rt).await?.filter(|g| g.appid.as_str() == appid).ok_or(ErrCode::InvalidRefreshToken)?;
    if g.refresh_expires_at <= now {
        return Err(ErrCode::RefreshTokenExpired.into());
    }
    let access = if g.access_expires_at > now { g.access_token.clone() } else { herald_domain::idgen::access_token(&mut rand::thread_rng()) };
    let g = st.store.renew_grant(rt, &access, now + ACCESS_TTL).await?.ok_or(ErrCode::InvalidRefreshToken)?;
    let unionid = unionid_of(&st, &g).await?;
    Ok(Json(grant_json(&g, now, unionid.as_deref())))
}

/// A live grant for `access_token` and `openid`, or WeChat's error.
async fn live_grant(st: &AppState, q: &SnsQuery) -> Result<(Grant, i64), WxErr> {
    let token = some(&q.access_token).ok_or(ErrCode::AccessTokenMissing)?;
    let now = st.clock.now().await?;
    let g = st.store.grant(token).await?.ok_or(ErrCode::InvalidCredential)?;
    if g.access_expires_at <= now {
        return Err(ErrCode::AccessTokenExpired.into());
    }
    let openid = some(&q.openid).ok_or(ErrCode::OpenidMissing)?;
    if openid != g.openid {
        return Err(WxError::with_detail(ErrCode::InvalidOpenid, " invalid openid ").into());
    }
    Ok((g, now))
}

/// `GET /sns/userinfo?access_token&openid&lang`: snsapi_userinfo grants only (48001 else).
pub async fn userinfo(State(st): State<AppState>, WxQuery(q): WxQuery<SnsQuery>) -> WxResult<Value> {
    let (g, _) = live_grant(&st, &q).await?;
    if g.scope != oauth::Scope::UserInfo.as_str() {
        return Err(WxError::with_detail(ErrCode::ApiUnauthorized, "api unauthorized: the grant's scope is snsapi_base").into());
    }
    if let Some(lang) = some(&q.lang) {
        if !matches!(lang, "zh_CN" | "zh_TW" | "en") {
            return Err(WxError::with_detail(ErrCode::InvalidParameter, "lang must be zh_CN, zh_TW or en").into());
        }
    }
    let user = st.store.user(&g.user_id).await?.ok_or(ErrCode::InvalidOpenid)?;
    let unionid = unionid_of(&st, &g).await?;
    let p = &user.profile;
    let mut out = json!({
        "openid": g.openid, "nickname": user.nickname, "sex": p.sex, "province": p.province, "city": p.city,
        "country": p.country, "headimgurl": p.headimgurl, "privilege": [],
    });
    if let Some(u) = unionid {
        out["unionid"] = json!(u);
    }
    Ok(Json(out))
}

/// `GET /sns/auth?access_token&openid`: errcode 0 while the token is good.
pub async fn auth(State(st): State<AppState>, WxQuery(q): WxQuery<SnsQuery>) -> WxResult<WxOk> {
    live_grant(&st, &q).await?;
    Ok(Json(WxOk))
}

#[derive(Debug, Default, Deserialize)]
pub struct TicketQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// `GET /cgi-bin/ticket/getticket?access_token&type=jsapi|wx_card`: the live ticket (the same
/// until it expires, like the access token it resembles).
pub async fn getticket(State(st): State<AppState>, c: crate::extract::Caller, WxQuery(q): WxQuery<TicketQuery>) -> WxResult<Value> {
    let kind = q.kind.as_deref().filter(|k| !k.is_empty()).unwrap_or("jsapi");
    if !matches!(kind, "jsapi" | "wx_card") {
        return Err(WxError::with_detail(ErrCode::InvalidParameter, "type must be jsapi or wx_card").into());
    }
    let fresh = herald_domain::idgen::access_token(&mut rand::thread_rng());
    let (ticket, expires) = st.store.js_ticket(&c.account.appid, kind, &fresh, c.now, ACCESS_TTL).await?;
    Ok(Json(json!({"errcode": 0, "errmsg": "ok", "ticket": ticket, "expires_in": expires - c.now})))
}

/// Is `signature` what a page at `url` computes with the account's live jsapi ticket?
pub async fn check_js_signature(st: &AppState, appid: &AppId, noncestr: &str, timestamp: &str, url: &str, signature: &str) -> Result<bool, WxErr> {
    let now = st.clock.now().await?;
    let Some(ticket) = st.store.live_js_ticket(appid, "jsapi", now).await? else { return Ok(false) };
    Ok(herald_wire::jssdk::signature(&ticket, noncestr, timestamp, url).eq_ignore_ascii_case(signature))
}
