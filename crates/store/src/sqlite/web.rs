//! WebStore on SQLite.

use async_trait::async_trait;
use herald_wire::{AppId, ErrCode, UserId};
use rusqlite::{params, OptionalExtension, Row};

use super::SqliteStore;
use crate::web::*;
use crate::{Result, StoreError};

pub(super) const QR_COLS: &str = "ticket, url_key, appid, action, scene_id, scene_str, permanent, created_at, expires_at";
const CODE_COLS: &str = "code, purpose, appid, user_id, scope, created_at, expires_at, used_at";
const GRANT_COLS: &str =
    "access_token, refresh_token, appid, user_id, openid, scope, access_expires_at, refresh_expires_at, created_at";

pub(super) fn qr(r: &Row<'_>) -> rusqlite::Result<QrCode> {
    Ok(QrCode {
        ticket: r.get(0)?,
        url_key: r.get(1)?,
        appid: AppId(r.get(2)?),
        action: r.get(3)?,
        scene_id: r.get(4)?,
        scene_str: r.get(5)?,
        permanent: r.get(6)?,
        created_at: r.get(7)?,
        expires_at: r.get(8)?,
    })
}

fn code(r: &Row<'_>) -> rusqlite::Result<OneTimeCode> {
    Ok(OneTimeCode {
        code: r.get(0)?,
        purpose: r.get(1)?,
        appid: r.get::<_, Option<String>>(2)?.map(AppId),
        user_id: UserId(r.get(3)?),
        scope: r.get(4)?,
        created_at: r.get(5)?,
        expires_at: r.get(6)?,
        used_at: r.get(7)?,
    })
}

fn grant(r: &Row<'_>) -> rusqlite::Result<Grant> {
    Ok(Grant {
        access_token: r.get(0)?,
        refresh_token: r.get(1)?,
        appid: AppId(r.get(2)?),
        user_id: UserId(r.get(3)?),
        openid: r.get(4)?,
        scope: r.get(5)?,
        access_expires_at: r.get(6)?,
        refresh_expires_at: r.get(7)?,
        created_at: r.get(8)?,
    })
}

#[async_trait]
impl WebStore for SqliteStore {
    async fn create_qrcode(&self, q: &QrCode, max_permanent: i64) -> Result<QrCode> {
        let key = q.perm_key();
        self.write(|tx| {
            if let Some(k) = &key {
                let found = tx.prepare_cached(&format!("SELECT {QR_COLS} FROM qrcodes WHERE perm_key = ?1"))?.query_row([k], qr).optional()?;
                if let Some(existing) = found {
                    return Ok(existing);
                }
                let n: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM qrcodes WHERE appid = ?1 AND permanent AND action <> 'QR_ACCOUNT'")?
                    .query_row([q.appid.as_str()], |r| r.get(0))?;
                if n >= max_permanent && q.action != "QR_ACCOUNT" {
                    return Err(StoreError::Rejected(ErrCode::InvalidActionInfo));
                }
            }
            tx.prepare_cached(&format!("INSERT INTO qrcodes ({QR_COLS}, perm_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"))?
                .execute(params![
                    q.ticket,
                    q.url_key,
                    q.appid.as_str(),
                    q.action,
                    q.scene_id,
                    q.scene_str,
                    q.permanent,
                    q.created_at,
                    q.expires_at,
                    key
                ])?;
            Ok(q.clone())
        })
    }

    async fn qrcode(&self, ticket: &str) -> Result<Option<QrCode>> {
        self.read(|c| Ok(c.prepare_cached(&format!("SELECT {QR_COLS} FROM qrcodes WHERE ticket = ?1"))?.query_row([ticket], qr).optional()?))
    }

    async fn qrcode_by_key(&self, url_key: &str) -> Result<Option<QrCode>> {
        self.read(|c| Ok(c.prepare_cached(&format!("SELECT {QR_COLS} FROM qrcodes WHERE url_key = ?1"))?.query_row([url_key], qr).optional()?))
    }

    async fn put_short_key(&self, key: &str, appid: &AppId, data: &str, now: i64, expires_at: i64) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("INSERT INTO short_keys (short_key, appid, long_data, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)")?
                .execute(params![key, appid.as_str(), data, now, expires_at])?;
            Ok(())
        })
    }

    async fn short_key(&self, appid: &AppId, key: &str) -> Result<Option<(String, i64, i64)>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT long_data, created_at, expires_at FROM short_keys WHERE appid = ?1 AND short_key = ?2")?
                .query_row(params![appid.as_str(), key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?)
        })
    }

    async fn set_default_menu(&self, appid: &AppId, buttons: &str, now: i64) -> Result<i64> {
        self.write(|tx| {
            tx.prepare_cached("DELETE FROM menus WHERE appid = ?1 AND matchrule IS NULL")?.execute([appid.as_str()])?;
            tx.prepare_cached("INSERT INTO menus (appid, buttons, matchrule, created_at) VALUES (?1, ?2, NULL, ?3)")?
                .execute(params![appid.as_str(), buttons, now])?;
            Ok(tx.last_insert_rowid())
        })
    }

    async fn add_conditional_menu(&self, appid: &AppId, buttons: &str, matchrule: &str, now: i64, max: i64) -> Result<i64> {
        self.write(|tx| {
            let (default, conditional): (i64, i64) = tx
                .prepare_cached("SELECT COUNT(*) FILTER (WHERE matchrule IS NULL), COUNT(*) FILTER (WHERE matchrule IS NOT NULL) FROM menus WHERE appid = ?1")?
                .query_row([appid.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
            if default == 0 {
                return Err(StoreError::Rejected(ErrCode::NoDefaultMenu));
            }
            if conditional >= max {
                return Err(StoreError::Rejected(ErrCode::MenuCountLimit));
            }
            tx.prepare_cached("INSERT INTO menus (appid, buttons, matchrule, created_at) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![appid.as_str(), buttons, matchrule, now])?;
            Ok(tx.last_insert_rowid())
        })
    }

    async fn delete_conditional_menu(&self, appid: &AppId, menuid: i64) -> Result<bool> {
        self.write(|tx| {
            Ok(tx
                .prepare_cached("DELETE FROM menus WHERE appid = ?1 AND menuid = ?2 AND matchrule IS NOT NULL")?
                .execute(params![appid.as_str(), menuid])?
                > 0)
        })
    }

    async fn delete_menus(&self, appid: &AppId) -> Result<bool> {
        self.write(|tx| Ok(tx.prepare_cached("DELETE FROM menus WHERE appid = ?1")?.execute([appid.as_str()])? > 0))
    }

    async fn menus(&self, appid: &AppId) -> Result<Vec<StoredMenu>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT menuid, buttons, matchrule, created_at FROM menus WHERE appid = ?1 ORDER BY menuid")?;
            let rows = st
                .query_map([appid.as_str()], |r| Ok(StoredMenu { menuid: r.get(0)?, buttons: r.get(1)?, matchrule: r.get(2)?, created_at: r.get(3)? }))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn put_code(&self, k: &OneTimeCode) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(&format!("INSERT INTO one_time_codes ({CODE_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"))?.execute(params![
                k.code,
                k.purpose,
                k.appid.as_ref().map(|a| a.as_str().to_string()),
                k.user_id.as_str(),
                k.scope,
                k.created_at,
                k.expires_at,
                k.used_at
            ])?;
            Ok(())
        })
    }

    async fn take_code(&self, c: &str, purpose: &str, appid: Option<&AppId>, now: i64) -> Result<CodeTake> {
        self.write(|tx| {
            let found =
                tx.prepare_cached(&format!("SELECT {CODE_COLS} FROM one_time_codes WHERE code = ?1 AND purpose = ?2"))?.query_row([c, purpose], code).optional()?;
            let Some(mut found) = found else { return Ok(CodeTake::Missing) };
            if appid.is_some_and(|a| found.appid.as_ref() != Some(a)) {
                return Ok(CodeTake::Missing);
            }
            if found.used_at.is_some() {
                return Ok(CodeTake::Used(found));
            }
            tx.prepare_cached("UPDATE one_time_codes SET used_at = ?2 WHERE code = ?1")?.execute(params![c, now])?;
            found.used_at = Some(now);
            Ok(CodeTake::Taken(found))
        })
    }

    async fn put_grant(&self, g: &Grant) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(&format!("INSERT INTO web_grants ({GRANT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"))?.execute(params![
                g.access_token,
                g.refresh_token,
                g.appid.as_str(),
                g.user_id.as_str(),
                g.openid,
                g.scope,
                g.access_expires_at,
                g.refresh_expires_at,
                g.created_at
            ])?;
            Ok(())
        })
    }

    async fn grant(&self, access_token: &str) -> Result<Option<Grant>> {
        self.read(|c| Ok(c.prepare_cached(&format!("SELECT {GRANT_COLS} FROM web_grants WHERE access_token = ?1"))?.query_row([access_token], grant).optional()?))
    }

    async fn grant_by_refresh(&self, refresh_token: &str) -> Result<Option<Grant>> {
        self.read(|c| Ok(c.prepare_cached(&format!("SELECT {GRANT_COLS} FROM web_grants WHERE refresh_token = ?1"))?.query_row([refresh_token], grant).optional()?))
    }

    async fn renew_grant(&self, refresh_token: &str, access_token: &str, expires_at: i64) -> Result<Option<Grant>> {
        self.write(|tx| {
            tx.prepare_cached("UPDATE web_grants SET access_token = ?2, access_expires_at = ?3 WHERE refresh_token = ?1")?
                .execute(params![refresh_token, access_token, expires_at])?;
            Ok(tx.prepare_cached(&format!("SELECT {GRANT_COLS} FROM web_grants WHERE refresh_token = ?1"))?.query_row([refresh_token], grant).optional()?)
        })
    }

    async fn js_ticket(&self, appid: &AppId, kind: &str, fresh: &str, now: i64, ttl: i64) -> Result<(String, i64)> {
        self.write(|tx| {
            let live: Option<(String, i64)> = tx
                .prepare_cached("SELECT ticket, expires_at FROM js_tickets WHERE appid = ?1 AND kind = ?2 AND expires_at > ?3")?
                .query_row(params![appid.as_str(), kind, now], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if let Some(t) = live {
                return Ok(t);
            }
            tx.prepare_cached(
                "INSERT INTO js_tickets (appid, kind, ticket, expires_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (appid, kind) DO UPDATE SET ticket = excluded.ticket, expires_at = excluded.expires_at",
            )?
            .execute(params![appid.as_str(), kind, fresh, now + ttl])?;
            Ok((fresh.to_string(), now + ttl))
        })
    }

    async fn live_js_ticket(&self, appid: &AppId, kind: &str, now: i64) -> Result<Option<String>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT ticket FROM js_tickets WHERE appid = ?1 AND kind = ?2 AND expires_at > ?3")?
                .query_row(params![appid.as_str(), kind, now], |r| r.get(0))
                .optional()?)
        })
    }

    async fn put_session(&self, id_hash: &str, user_id: &UserId, now: i64, expires_at: i64) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![id_hash, user_id.as_str(), now, expires_at])?;
            Ok(())
        })
    }

    async fn session(&self, id_hash: &str) -> Result<Option<(UserId, i64)>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT user_id, expires_at FROM sessions WHERE id_hash = ?1")?
                .query_row([id_hash], |r| Ok((UserId(r.get(0)?), r.get(1)?)))
                .optional()?)
        })
    }

    async fn delete_session(&self, id_hash: &str) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("DELETE FROM sessions WHERE id_hash = ?1")?.execute([id_hash])?;
            Ok(())
        })
    }

    async fn set_web_domain(&self, appid: &AppId, domain: Option<&str>) -> Result<bool> {
        self.write(|tx| Ok(tx.prepare_cached("UPDATE accounts SET web_domain = ?2 WHERE appid = ?1")?.execute(params![appid.as_str(), domain])? > 0))
    }

    async fn web_domain(&self, appid: &AppId) -> Result<Option<String>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT web_domain FROM accounts WHERE appid = ?1")?
                .query_row([appid.as_str()], |r| r.get::<_, Option<String>>(0))
                .optional()?
                .flatten())
        })
    }

    async fn set_user_profile(&self, user: &UserId, profile: &str) -> Result<bool> {
        self.write(|tx| Ok(tx.prepare_cached("UPDATE users SET profile = ?2 WHERE id = ?1")?.execute(params![user.as_str(), profile])? > 0))
    }

    async fn set_user_nickname(&self, user: &UserId, nickname: &str) -> Result<bool> {
        self.write(|tx| Ok(tx.prepare_cached("UPDATE users SET nickname = ?2 WHERE id = ?1")?.execute(params![user.as_str(), nickname])? > 0))
    }
}
