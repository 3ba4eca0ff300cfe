//! MiniProgramStore on SQLite.

use async_trait::async_trait;
use herald_wire::{AppId, UserId};
use rusqlite::{params, OptionalExtension};

use super::SqliteStore;
use crate::miniprogram::{MpLink, SubTemplate};
use crate::Result;

const TEMPLATE_COLS: &str = "appid, pri_tmpl_id, tid, kids, kind, scene_desc, created_at";
const LINK_COLS: &str = "id, appid, kind, page, query, env_version, created_at, expires_at";

fn template(r: &rusqlite::Row<'_>) -> rusqlite::Result<SubTemplate> {
    Ok(SubTemplate {
        appid: AppId(r.get(0)?),
        pri_tmpl_id: r.get(1)?,
        tid: r.get(2)?,
        kids: SubTemplate::parse_kids(&r.get::<_, String>(3)?),
        kind: r.get(4)?,
        scene_desc: r.get(5)?,
        created_at: r.get(6)?,
    })
}

#[async_trait]
impl crate::MiniProgramStore for SqliteStore {
    async fn set_session_key(&self, appid: &AppId, user: &UserId, key: &str, now: i64) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO mp_sessions (appid, user_id, session_key, updated_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (appid, user_id) DO UPDATE SET session_key = excluded.session_key, updated_at = excluded.updated_at",
            )?
            .execute(params![appid.as_str(), user.as_str(), key, now])?;
            Ok(())
        })
    }

    async fn session_key(&self, appid: &AppId, user: &UserId) -> Result<Option<String>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT session_key FROM mp_sessions WHERE appid = ?1 AND user_id = ?2")?
                .query_row([appid.as_str(), user.as_str()], |r| r.get(0))
                .optional()?)
        })
    }

    async fn add_sub_template(&self, t: &SubTemplate, max: usize) -> Result<bool> {
        self.write(|tx| {
            let n: i64 = tx.prepare_cached("SELECT COUNT(*) FROM mp_templates WHERE appid = ?1")?.query_row([t.appid.as_str()], |r| r.get(0))?;
            if n as usize >= max {
                return Ok(false);
            }
            tx.prepare_cached(&format!("INSERT INTO mp_templates ({TEMPLATE_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"))?.execute(params![
                t.appid.as_str(),
                t.pri_tmpl_id,
                t.tid,
                t.kids_text(),
                t.kind,
                t.scene_desc,
                t.created_at
            ])?;
            Ok(true)
        })
    }

    async fn sub_templates(&self, appid: &AppId) -> Result<Vec<SubTemplate>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!("SELECT {TEMPLATE_COLS} FROM mp_templates WHERE appid = ?1 ORDER BY created_at, pri_tmpl_id"))?;
            let rows = st.query_map([appid.as_str()], template)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn delete_sub_template(&self, appid: &AppId, pri_tmpl_id: &str) -> Result<bool> {
        self.write(|tx| {
            let n = tx.prepare_cached("DELETE FROM mp_templates WHERE appid = ?1 AND pri_tmpl_id = ?2")?.execute([appid.as_str(), pri_tmpl_id])?;
            tx.prepare_cached("DELETE FROM mp_subscriptions WHERE appid = ?1 AND pri_tmpl_id = ?2")?.execute([appid.as_str(), pri_tmpl_id])?;
            Ok(n > 0)
        })
    }

    async fn accept_subscriptions(&self, appid: &AppId, user: &UserId, ids: &[String], now: i64) -> Result<()> {
        self.write(|tx| {
            let mut st = tx.prepare_cached(
                "INSERT INTO mp_subscriptions (appid, user_id, pri_tmpl_id, remaining, updated_at) VALUES (?1, ?2, ?3, 1, ?4) \
                 ON CONFLICT (appid, user_id, pri_tmpl_id) DO UPDATE SET remaining = remaining + 1, updated_at = excluded.updated_at",
            )?;
            for id in ids {
                st.execute(params![appid.as_str(), user.as_str(), id, now])?;
            }
            Ok(())
        })
    }

    async fn take_subscription(&self, appid: &AppId, user: &UserId, pri_tmpl_id: &str, one_time: bool, now: i64) -> Result<bool> {
        self.write(|tx| {
            let n = if one_time {
                tx.prepare_cached(
                    "UPDATE mp_subscriptions SET remaining = remaining - 1, updated_at = ?4 \
                     WHERE appid = ?1 AND user_id = ?2 AND pri_tmpl_id = ?3 AND remaining > 0",
                )?
                .execute(params![appid.as_str(), user.as_str(), pri_tmpl_id, now])?
            } else {
                tx.prepare_cached("SELECT COUNT(*) FROM mp_subscriptions WHERE appid = ?1 AND user_id = ?2 AND pri_tmpl_id = ?3 AND remaining > 0")?
                    .query_row([appid.as_str(), user.as_str(), pri_tmpl_id], |r| r.get::<_, i64>(0))? as usize
            };
            Ok(n > 0)
        })
    }

    async fn subscriptions(&self, appid: &AppId, user: &UserId) -> Result<Vec<(String, i64)>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT pri_tmpl_id, remaining FROM mp_subscriptions WHERE appid = ?1 AND user_id = ?2 ORDER BY pri_tmpl_id")?;
            let rows = st.query_map([appid.as_str(), user.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn put_link(&self, l: &MpLink) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(&format!("INSERT INTO mp_links ({LINK_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"))?.execute(params![
                l.id,
                l.appid.as_str(),
                l.kind,
                l.page,
                l.query,
                l.env_version,
                l.created_at,
                l.expires_at
            ])?;
            Ok(())
        })
    }

    async fn link(&self, id: &str) -> Result<Option<MpLink>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!("SELECT {LINK_COLS} FROM mp_links WHERE id = ?1"))?
                .query_row([id], |r| {
                    Ok(MpLink {
                        id: r.get(0)?,
                        appid: AppId(r.get(1)?),
                        kind: r.get(2)?,
                        page: r.get(3)?,
                        query: r.get(4)?,
                        env_version: r.get(5)?,
                        created_at: r.get(6)?,
                        expires_at: r.get(7)?,
                    })
                })
                .optional()?)
        })
    }
}
