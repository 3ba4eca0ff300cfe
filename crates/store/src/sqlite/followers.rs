//! FollowerStore on SQLite.

use async_trait::async_trait;
use herald_wire::{AppId, ErrCode, OpenId, UnionId, UserId};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{bad_value, next_counter, SqliteStore};
use crate::{Follower, FollowHow, FreshIds, Page, Result, StoreError};

const FOLLOWER_SELECT: &str = "SELECT f.appid, f.user_id, f.openid, f.unionid, f.subscribed, f.subscribe_time, \
     f.unsubscribe_time, f.subscribe_scene, f.qr_scene, f.qr_scene_str, f.remark, f.blacklisted, f.last_interaction_at, \
     (SELECT string_agg(CAST(ft.tag_id AS TEXT), ',' ORDER BY ft.tag_id) FROM follower_tags ft \
      WHERE ft.follower_seq = f.seq) AS tag_ids FROM followers f";

fn follower(r: &Row<'_>) -> rusqlite::Result<(Follower, Option<String>)> {
    Ok((
        Follower {
            appid: AppId(r.get(0)?),
            user_id: UserId(r.get(1)?),
            openid: OpenId(r.get(2)?),
            unionid: UnionId(r.get(3)?),
            subscribed: r.get(4)?,
            subscribe_time: r.get(5)?,
            unsubscribe_time: r.get(6)?,
            subscribe_scene: r.get(7)?,
            qr_scene: r.get(8)?,
            qr_scene_str: r.get(9)?,
            remark: r.get(10)?,
            blacklisted: r.get(11)?,
            tag_ids: Vec::new(),
            last_interaction_at: r.get(12)?,
        },
        r.get(13)?,
    ))
}

fn with_tags((mut f, tags): (Follower, Option<String>)) -> Result<Follower> {
    if let Some(s) = tags {
        f.tag_ids = s
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| t.parse::<i64>().map_err(|_| bad_value("tag id", t)))
            .collect::<Result<Vec<_>>>()?;
    }
    Ok(f)
}

/// The follower matching `cond` (with `?1`, `?2` bound to `a`, `b`).
fn follower_where(c: &Connection, cond: &str, a: &str, b: &str) -> Result<Option<Follower>> {
    let row = c.prepare_cached(&format!("{FOLLOWER_SELECT} WHERE {cond}"))?.query_row([a, b], follower).optional()?;
    row.map(with_tags).transpose()
}

/// A page of openids whose `flag_col` is set, in `order_col` order, after the openid `after`.
fn flagged_page(c: &Connection, appid: &str, after: Option<&str>, limit: usize, flag_col: &str, order_col: &str) -> Result<Page> {
    let from = match after.filter(|a| !a.is_empty()) {
        None => i64::MIN,
        Some(a) => c
            .prepare_cached(&format!("SELECT {order_col} FROM followers WHERE appid = ?1 AND openid = ?2 AND {flag_col} = TRUE"))?
            .query_row([appid, a], |r| r.get(0))
            .optional()?
            .ok_or(StoreError::Rejected(ErrCode::InvalidOpenid))?,
    };
    let total: i64 = c
        .prepare_cached(&format!("SELECT COUNT(*) FROM followers WHERE appid = ?1 AND {flag_col} = TRUE"))?
        .query_row([appid], |r| r.get(0))?;
    let mut st = c.prepare_cached(&format!(
        "SELECT openid FROM followers WHERE appid = ?1 AND {flag_col} = TRUE AND {order_col} > ?2 ORDER BY {order_col} LIMIT ?3"
    ))?;
    let openids = st
        .query_map(params![appid, from, limit as i64], |r| Ok(OpenId(r.get(0)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Page { total, openids })
}

/// Inserts the relation of a user's first contact with an account: following (with its order,
/// time and how) or not.
fn insert_relation(tx: &rusqlite::Transaction<'_>, appid: &AppId, user: &UserId, fresh: &FreshIds, follow: Option<(i64, i64, &FollowHow)>) -> Result<()> {
    let owner: String = tx
        .prepare_cached("SELECT owner_id FROM accounts WHERE appid = ?1")?
        .query_row([appid.as_str()], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound)?;
    tx.prepare_cached("INSERT INTO unionids (owner_id, user_id, unionid) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")?
        .execute([owner.as_str(), user.as_str(), fresh.unionid.as_str()])?;
    let unionid: String = tx
        .prepare_cached("SELECT unionid FROM unionids WHERE owner_id = ?1 AND user_id = ?2")?
        .query_row([owner.as_str(), user.as_str()], |r| r.get(0))?;
    let (order, time, scene, qr_scene, qr_scene_str) = match follow {
        Some((order, now, how)) => (order, Some(now), Some(how.scene.as_str()), how.qr_scene, how.qr_scene_str.as_str()),
        None => (0, None, None, 0, ""),
    };
    tx.prepare_cached(
        "INSERT INTO followers (appid, user_id, openid, unionid, subscribed, follow_order, subscribe_time, \
         unsubscribe_time, subscribe_scene, qr_scene, qr_scene_str, remark, blacklisted, blacklist_order) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?9, ?10, '', FALSE, NULL)",
    )?
    .execute(params![appid.as_str(), user.as_str(), fresh.openid.as_str(), unionid, follow.is_some(), order, time, scene, qr_scene, qr_scene_str])?;
    Ok(())
}

const BY_USER: &str = "f.appid = ?1 AND f.user_id = ?2";

#[async_trait]
impl crate::FollowerStore for SqliteStore {
    async fn follow(&self, appid: &AppId, user: &UserId, how: &FollowHow, fresh: &FreshIds, now: i64) -> Result<(Follower, bool)> {
        self.write(|tx| {
            let existing = follower_where(tx, BY_USER, appid.as_str(), user.as_str())?;
            if let Some(f) = existing.as_ref().filter(|f| f.subscribed) {
                return Ok((f.clone(), false));
            }
            let order = next_counter(tx, "follow_order")?;
            if existing.is_some() {
                tx.prepare_cached(
                    "UPDATE followers SET subscribed = TRUE, follow_order = ?3, subscribe_time = ?4, \
                     unsubscribe_time = NULL, subscribe_scene = ?5, qr_scene = ?6, qr_scene_str = ?7 \
                     WHERE appid = ?1 AND user_id = ?2",
                )?
                .execute(params![appid.as_str(), user.as_str(), order, now, how.scene, how.qr_scene, how.qr_scene_str])?;
            } else {
                insert_relation(tx, appid, user, fresh, Some((order, now, how)))?;
            }
            super::broadcast::sync_member(tx, appid.as_str(), user.as_str())?;
            let f = follower_where(tx, BY_USER, appid.as_str(), user.as_str())?.ok_or(StoreError::NotFound)?;
            Ok((f, true))
        })
    }

    async fn meet(&self, appid: &AppId, user: &UserId, fresh: &FreshIds) -> Result<Follower> {
        self.write(|tx| {
            if let Some(f) = follower_where(tx, BY_USER, appid.as_str(), user.as_str())? {
                return Ok(f);
            }
            insert_relation(tx, appid, user, fresh, None)?;
            follower_where(tx, BY_USER, appid.as_str(), user.as_str())?.ok_or(StoreError::NotFound)
        })
    }

    async fn unfollow(&self, appid: &AppId, user: &UserId, now: i64) -> Result<Option<(Follower, bool)>> {
        self.write(|tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE followers SET subscribed = FALSE, unsubscribe_time = ?3 \
                     WHERE appid = ?1 AND user_id = ?2 AND subscribed = TRUE",
                )?
                .execute(params![appid.as_str(), user.as_str(), now])?;
            if n > 0 {
                super::broadcast::sync_member(tx, appid.as_str(), user.as_str())?;
            }
            Ok(follower_where(tx, BY_USER, appid.as_str(), user.as_str())?.map(|f| (f, n > 0)))
        })
    }

    async fn follower_by_openid(&self, appid: &AppId, openid: &str) -> Result<Option<Follower>> {
        self.read(|c| follower_where(c, "f.openid = ?2 AND f.appid = ?1", appid.as_str(), openid))
    }

    async fn follower_by_user(&self, appid: &AppId, user: &UserId) -> Result<Option<Follower>> {
        self.read(|c| follower_where(c, BY_USER, appid.as_str(), user.as_str()))
    }

    async fn relations_of_user(&self, user: &UserId) -> Result<Vec<Follower>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!("{FOLLOWER_SELECT} WHERE f.user_id = ?1 ORDER BY f.seq"))?;
            let rows = st.query_map([user.as_str()], follower)?.collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter().map(with_tags).collect()
        })
    }

    async fn subscribed_page(&self, appid: &AppId, after: Option<&str>, limit: usize) -> Result<Page> {
        self.read(|c| flagged_page(c, appid.as_str(), after, limit, "subscribed", "follow_order"))
    }

    async fn set_remark(&self, appid: &AppId, openid: &str, remark: &str) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .prepare_cached("UPDATE followers SET remark = ?3 WHERE appid = ?1 AND openid = ?2 AND subscribed = TRUE")?
                .execute([appid.as_str(), openid, remark])?;
            if n == 0 {
                return Err(StoreError::Rejected(ErrCode::InvalidOpenid));
            }
            Ok(())
        })
    }

    async fn set_blacklisted(&self, appid: &AppId, openids: &[String], on: bool) -> Result<()> {
        self.write(|tx| {
            for openid in openids {
                let already: bool = tx
                    .prepare_cached("SELECT blacklisted FROM followers WHERE appid = ?1 AND openid = ?2")?
                    .query_row([appid.as_str(), openid.as_str()], |r| r.get(0))
                    .optional()?
                    .ok_or(StoreError::Rejected(ErrCode::InvalidOpenid))?;
                if already == on {
                    continue;
                }
                let order = if on { Some(next_counter(tx, "blacklist_order")?) } else { None };
                tx.prepare_cached("UPDATE followers SET blacklisted = ?3, blacklist_order = ?4 WHERE appid = ?1 AND openid = ?2")?
                    .execute(params![appid.as_str(), openid, on, order])?;
            }
            Ok(())
        })
    }

    async fn blacklist_page(&self, appid: &AppId, after: Option<&str>, limit: usize) -> Result<Page> {
        self.read(|c| flagged_page(c, appid.as_str(), after, limit, "blacklisted", "blacklist_order"))
    }
}
