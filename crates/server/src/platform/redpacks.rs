//! Red packets from the follower's side: the packets sent to a user (or opened by them), and
//! opening one, which puts the user's share into their wallet. Packets are sent by merchants
//! through the v2 API (`crate::pay::redpack`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use herald_domain::ledger::Book;
use herald_domain::redpack::OpenRefusal;
use herald_store::redpack::{OpenResult, RedPack};
use herald_store::FreshIds;
use herald_wire::AppId;
use herald_wire::platform::wallet::{RedPackList, RedPackOpenedOut, RedPackOut, RedPackShareOut};

use super::users::load_user;
use crate::error::{ApiError, ApiResult};
use crate::extract::ActingFor;
use crate::state::AppState;

fn packet_out(p: &RedPack, user: &str, now: i64) -> RedPackOut {
    RedPackOut {
        send_listid: p.send_listid.clone(),
        appid: p.wxappid.clone(),
        mchid: p.mchid.clone(),
        hb_type: p.hb_type.wire().into(),
        send_name: p.send_name.clone(),
        wishing: p.wishing.clone(),
        act_name: p.act_name.clone(),
        total_amount: p.total_amount,
        total_num: p.total_num,
        status: p.status.effective(p.expires_at, now).wire().into(),
        send_time: p.send_time,
        expires_at: p.expires_at,
        for_me: p.user_id == user,
        opened_amount: p.share_of(user).map(|s| s.amount),
        shares_left: p.shares_left(),
        opened: p.shares.iter().filter_map(|s| s.rcv_time.map(|t| RedPackShareOut { openid: s.openid.clone(), amount: s.amount, rcv_time: t })).collect(),
    }
}

/// `GET /herald/v1/users/{id}/redpacks`: packets sent to the user or opened by them,
/// newest first.
pub async fn list(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>) -> ApiResult<RedPackList> {
    let user = load_user(&st, &id).await?;
    let now = st.clock.now().await?;
    let redpacks = st.store.redpacks_of_user(&user.id.0, 100).await?.iter().map(|p| packet_out(p, &user.id.0, now)).collect();
    Ok(Json(RedPackList { redpacks }))
}

/// `POST /herald/v1/users/{id}/redpacks/{send_listid}/open`: a normal packet opens for the
/// user it was sent to, a fission packet for anyone it reaches (one share each) until its
/// shares run out; opening again answers the same share.
pub async fn open(State(st): State<AppState>, _: ActingFor, Path((id, send_listid)): Path<(String, String)>) -> Result<(StatusCode, Json<RedPackOpenedOut>), ApiError> {
    let user = load_user(&st, &id).await?;
    let p = st.store.redpack_by_id(&send_listid).await?.ok_or_else(|| ApiError::not_found("red packet"))?;
    // Whoever opens it meets the account (an openid under it), as the packet's page does.
    let f = st.store.meet(&AppId(p.wxappid.clone()), &user.id, &FreshIds::random()).await?;
    let now = st.clock.now().await?;
    let (status, packet, amount, again) = match st.store.open_redpack(&send_listid, &user.id.0, &f.openid.0, now).await? {
        OpenResult::Opened(p, a) => (StatusCode::CREATED, p, a, false),
        OpenResult::Already(p, a) => (StatusCode::OK, p, a, true),
        OpenResult::Missing => return Err(ApiError::not_found("red packet")),
        OpenResult::Refused(r) => {
            let (code, msg) = match r {
                OpenRefusal::NotForYou => ("not_for_you", "this red packet was sent to someone else"),
                OpenRefusal::Empty => ("empty", "every share of this red packet has been opened"),
                OpenRefusal::Expired => ("expired", "this red packet is past 24 hours and goes back to the sender"),
            };
            return Err(ApiError::new(StatusCode::CONFLICT, code, msg));
        }
    };
    let balance = st.store.balance(&Book::Wallet(user.id.0.clone())).await?;
    Ok((status, Json(RedPackOpenedOut { packet: packet_out(&packet, &user.id.0, now), amount, balance, replayed: again })))
}
