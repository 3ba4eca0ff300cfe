//! MiniProgramStore on SQLite.

use async_trait::async_trait;
use herald_wire::{AppId, UserId};
use rusqlite::{params, OptionalExtension};

use super::SqliteStore;
use crate::miniprogram::{MpChannel, MpLink, MpVersion, SubTemplate};
use crate::Result;

const TEMPLATE_COLS: &str = "appid, pri_tmpl_id, tid, kids, kind, scene_desc, created_at";
const VERSION_COLS: &str = "appid, version, description, source_blob, compiled_blob, files, bytes, created_at";

fn version_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MpVersion> {
    Ok(MpVersion {
        appid: AppId(r.get(0)?),
        version: r.get(1)?,
        description: r.get(2)?,
        source_blob: r.get(3)?,
        compiled_blob: r.get(4)?,
        files: r.get(5)?,
        bytes: r.get(6)?,
        created_at: r.get(7)?,
    })
}

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

    async fn put_version(&self, v: &MpVersion) -> Result<bool> {
        self.write(|tx| {
            let n = tx.prepare_cached(&format!("INSERT INTO mp_versions ({VERSION_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING"))?.execute(params![
                v.appid.as_str(),
                v.version,
                v.description,
                v.source_blob,
                v.compiled_blob,
                v.files,
                v.bytes,
                v.created_at
            ])?;
            Ok(n == 1)
        })
    }

    async fn version(&self, appid: &AppId, version: &str) -> Result<Option<MpVersion>> {
        self.read(|c| Ok(c.prepare_cached(&format!("SELECT {VERSION_COLS} FROM mp_versions WHERE appid = ?1 AND version = ?2"))?.query_row([appid.as_str(), version], version_row).optional()?))
    }

    async fn versions(&self, appid: &AppId) -> Result<Vec<MpVersion>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!("SELECT {VERSION_COLS} FROM mp_versions WHERE appid = ?1 ORDER BY created_at DESC, version DESC"))?;
            let rows = st.query_map([appid.as_str()], version_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn set_channel(&self, appid: &AppId, channel: &str, version: &str, now: i64) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO mp_channels (appid, channel, version, previous, updated_at) VALUES (?1, ?2, ?3, NULL, ?4) \
                 ON CONFLICT (appid, channel) DO UPDATE SET previous = CASE WHEN mp_channels.version = excluded.version THEN mp_channels.previous ELSE mp_channels.version END, \
                 version = excluded.version, updated_at = excluded.updated_at",
            )?
            .execute(params![appid.as_str(), channel, version, now])?;
            Ok(())
        })
    }

    async fn roll_back_release(&self, appid: &AppId, now: i64) -> Result<Option<String>> {
        self.write(|tx| {
            let prev: Option<Option<String>> = tx
                .prepare_cached("SELECT previous FROM mp_channels WHERE appid = ?1 AND channel = 'release'")?
                .query_row([appid.as_str()], |r| r.get(0))
                .optional()?;
            let Some(Some(prev)) = prev else { return Ok(None) };
            tx.prepare_cached("UPDATE mp_channels SET version = ?2, previous = NULL, updated_at = ?3 WHERE appid = ?1 AND channel = 'release'")?
                .execute(params![appid.as_str(), prev, now])?;
            Ok(Some(prev))
        })
    }

    async fn channels(&self, appid: &AppId) -> Result<Vec<MpChannel>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT channel, version, previous, updated_at FROM mp_channels WHERE appid = ?1 ORDER BY channel")?;
            let rows = st
                .query_map([appid.as_str()], |r| Ok(MpChannel { channel: r.get(0)?, version: r.get(1)?, previous: r.get(2)?, updated_at: r.get(3)? }))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn storage(&self, appid: &AppId, user: &UserId) -> Result<Vec<(String, String)>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT key, value FROM mp_storage WHERE appid = ?1 AND user_id = ?2 ORDER BY key")?;
            let rows = st.query_map([appid.as_str(), user.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn set_storage(&self, appid: &AppId, user: &UserId, key: &str, value: Option<&str>, now: i64, max_total: usize) -> Result<bool> {
        self.write(|tx| {
            match value {
                None => {
                    tx.prepare_cached("DELETE FROM mp_storage WHERE appid = ?1 AND user_id = ?2 AND key = ?3")?.execute([appid.as_str(), user.as_str(), key])?;
                }
                Some(v) => {
                    let others: i64 = tx
                        .prepare_cached("SELECT COALESCE(SUM(LENGTH(CAST(key AS BLOB)) + LENGTH(CAST(value AS BLOB))), 0) FROM mp_storage WHERE appid = ?1 AND user_id = ?2 AND key <> ?3")?
                        .query_row([appid.as_str(), user.as_str(), key], |r| r.get(0))?;
                    if others as usize + key.len() + v.len() > max_total {
                        return Ok(false);
                    }
                    tx.prepare_cached(
                        "INSERT INTO mp_storage (appid, user_id, key, value, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) \
                         ON CONFLICT (appid, user_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    )?
                    .execute(params![appid.as_str(), user.as_str(), key, v, now])?;
                }
            }
            Ok(true)
        })
    }

    async fn clear_storage(&self, appid: &AppId, user: &UserId) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("DELETE FROM mp_storage WHERE appid = ?1 AND user_id = ?2")?.execute([appid.as_str(), user.as_str()])?;
            Ok(())
        })
    }

    async fn request_domains(&self, appid: &AppId) -> Result<Vec<String>> {
        self.read(|c| {
            let s: Option<String> = c.prepare_cached("SELECT request_domains FROM mp_settings WHERE appid = ?1")?.query_row([appid.as_str()], |r| r.get(0)).optional()?;
            Ok(s.map(|s| s.split(',').filter(|d| !d.is_empty()).map(str::to_string).collect()).unwrap_or_default())
        })
    }

    async fn set_request_domains(&self, appid: &AppId, domains: &[String]) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("INSERT INTO mp_settings (appid, request_domains) VALUES (?1, ?2) ON CONFLICT (appid) DO UPDATE SET request_domains = excluded.request_domains")?
                .execute(params![appid.as_str(), domains.join(",")])?;
            Ok(())
        })
    }

    async fn add_tester(&self, appid: &AppId, user: &UserId, now: i64, max: usize) -> Result<Option<bool>> {
        self.write(|tx| {
            let there: i64 = tx.prepare_cached("SELECT COUNT(*) FROM mp_testers WHERE appid = ?1 AND user_id = ?2")?.query_row([appid.as_str(), user.as_str()], |r| r.get(0))?;
            if there > 0 {
                return Ok(Some(false));
            }
            let n: i64 = tx.prepare_cached("SELECT COUNT(*) FROM mp_testers WHERE appid = ?1")?.query_row([appid.as_str()], |r| r.get(0))?;
            if n as usize >= max {
                return Ok(None);
            }
            tx.prepare_cached("INSERT INTO mp_testers (appid, user_id, created_at) VALUES (?1, ?2, ?3)")?.execute(params![appid.as_str(), user.as_str(), now])?;
            Ok(Some(true))
        })
    }

    async fn remove_tester(&self, appid: &AppId, user: &UserId) -> Result<bool> {
        self.write(|tx| Ok(tx.prepare_cached("DELETE FROM mp_testers WHERE appid = ?1 AND user_id = ?2")?.execute([appid.as_str(), user.as_str()])? > 0))
    }

    async fn testers(&self, appid: &AppId) -> Result<Vec<UserId>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT user_id FROM mp_testers WHERE appid = ?1 ORDER BY created_at, user_id")?;
            let rows = st.query_map([appid.as_str()], |r| Ok(UserId(r.get(0)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }
}
