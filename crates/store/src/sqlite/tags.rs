//! TagStore on SQLite (rules: herald_domain::tags).

use async_trait::async_trait;
use herald_domain::tags::{self as rules, STAR_TAG_ID, STAR_TAG_NAME};
use herald_wire::{AppId, ErrCode, OpenId};
use rusqlite::{params, Connection, OptionalExtension};

use super::SqliteStore;
use crate::{Page, Result, StoreError, Tag};

/// Fails with 45159 unless `id` is the star tag or one of the account's tags.
fn require_tag(c: &Connection, appid: &str, id: i64) -> Result<()> {
    if id == STAR_TAG_ID {
        return Ok(());
    }
    c.prepare_cached("SELECT tag_id FROM tags WHERE appid = ?1 AND tag_id = ?2")?
        .query_row(params![appid, id], |r| r.get::<_, i64>(0))
        .optional()?
        .map(|_| ())
        .ok_or(StoreError::Rejected(ErrCode::InvalidTagId))
}

fn tag_names(c: &Connection, appid: &str, except: i64) -> Result<Vec<String>> {
    let mut st = c.prepare_cached("SELECT name FROM tags WHERE appid = ?1 AND tag_id <> ?2")?;
    let names = st.query_map(params![appid, except], |r| r.get(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names)
}

const MEMBERS: &str = "FROM follower_tags ft JOIN followers f ON f.seq = ft.follower_seq \
     WHERE ft.appid = ?1 AND ft.tag_id = ?2 AND f.subscribed = TRUE";

#[async_trait]
impl crate::TagStore for SqliteStore {
    async fn tags(&self, appid: &AppId) -> Result<Vec<Tag>> {
        self.read(|c| {
            let star: i64 = c.prepare_cached(&format!("SELECT COUNT(*) {MEMBERS}"))?.query_row(params![appid.as_str(), STAR_TAG_ID], |r| r.get(0))?;
            let mut out = vec![Tag { id: STAR_TAG_ID, name: STAR_TAG_NAME.to_string(), count: star }];
            let mut st = c.prepare_cached(
                "SELECT t.tag_id, t.name, (SELECT COUNT(*) FROM follower_tags ft JOIN followers f ON f.seq = ft.follower_seq \
                 WHERE ft.appid = t.appid AND ft.tag_id = t.tag_id AND f.subscribed = TRUE) \
                 FROM tags t WHERE t.appid = ?1 ORDER BY t.tag_id",
            )?;
            let rows = st.query_map([appid.as_str()], |r| Ok(Tag { id: r.get(0)?, name: r.get(1)?, count: r.get(2)? }))?;
            for t in rows {
                out.push(t?);
            }
            Ok(out)
        })
    }

    async fn create_tag(&self, appid: &AppId, name: &str, now: i64) -> Result<Tag> {
        let name = name.trim();
        self.write(|tx| {
            let names = tag_names(tx, appid.as_str(), -1)?;
            rules::check_room(names.len())?;
            rules::check_name(name, names.iter().map(String::as_str))?;
            let id: i64 = tx
                .prepare_cached("UPDATE accounts SET next_tag_id = next_tag_id + 1 WHERE appid = ?1 RETURNING next_tag_id - 1")?
                .query_row([appid.as_str()], |r| r.get(0))?;
            tx.prepare_cached("INSERT INTO tags (appid, tag_id, name, created_at) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![appid.as_str(), id, name, now])?;
            Ok(Tag { id, name: name.to_string(), count: 0 })
        })
    }

    async fn rename_tag(&self, appid: &AppId, id: i64, name: &str) -> Result<()> {
        rules::check_mutable(id)?;
        let name = name.trim();
        self.write(|tx| {
            require_tag(tx, appid.as_str(), id)?;
            let names = tag_names(tx, appid.as_str(), id)?;
            rules::check_name(name, names.iter().map(String::as_str))?;
            tx.prepare_cached("UPDATE tags SET name = ?3 WHERE appid = ?1 AND tag_id = ?2")?.execute(params![appid.as_str(), id, name])?;
            Ok(())
        })
    }

    async fn delete_tag(&self, appid: &AppId, id: i64) -> Result<()> {
        rules::check_mutable(id)?;
        self.write(|tx| {
            require_tag(tx, appid.as_str(), id)?;
            let fans: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM follower_tags WHERE appid = ?1 AND tag_id = ?2")?
                .query_row(params![appid.as_str(), id], |r| r.get(0))?;
            if fans > rules::DELETE_MAX_FANS {
                return Err(StoreError::Rejected(ErrCode::TagTooManyFans));
            }
            tx.prepare_cached("DELETE FROM follower_tags WHERE appid = ?1 AND tag_id = ?2")?.execute(params![appid.as_str(), id])?;
            tx.prepare_cached("DELETE FROM tags WHERE appid = ?1 AND tag_id = ?2")?.execute(params![appid.as_str(), id])?;
            Ok(())
        })
    }

    async fn set_tagged(&self, appid: &AppId, id: i64, openids: &[String], on: bool) -> Result<()> {
        self.write(|tx| {
            require_tag(tx, appid.as_str(), id)?;
            let mut seqs = Vec::with_capacity(openids.len());
            for openid in openids {
                let seq: i64 = tx
                    .prepare_cached("SELECT seq FROM followers WHERE appid = ?1 AND openid = ?2 AND subscribed = TRUE")?
                    .query_row([appid.as_str(), openid.as_str()], |r| r.get(0))
                    .optional()?
                    .ok_or(StoreError::Rejected(ErrCode::InvalidOpenid))?;
                seqs.push(seq);
            }
            for seq in seqs {
                if !on {
                    tx.prepare_cached("DELETE FROM follower_tags WHERE appid = ?1 AND tag_id = ?2 AND follower_seq = ?3")?
                        .execute(params![appid.as_str(), id, seq])?;
                    continue;
                }
                let mut st = tx.prepare_cached("SELECT tag_id FROM follower_tags WHERE follower_seq = ?1")?;
                let tags = st.query_map([seq], |r| r.get::<_, i64>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
                if tags.contains(&id) {
                    continue;
                }
                rules::check_follower_room(tags.len(), 1)?;
                tx.prepare_cached("INSERT INTO follower_tags (appid, tag_id, follower_seq) VALUES (?1, ?2, ?3)")?
                    .execute(params![appid.as_str(), id, seq])?;
            }
            Ok(())
        })
    }

    async fn tag_page(&self, appid: &AppId, id: i64, after: Option<&str>, limit: usize) -> Result<Page> {
        self.read(|c| {
            require_tag(c, appid.as_str(), id)?;
            let from = match after.filter(|a| !a.is_empty()) {
                None => i64::MIN,
                Some(a) => c
                    .prepare_cached("SELECT seq FROM followers WHERE appid = ?1 AND openid = ?2")?
                    .query_row([appid.as_str(), a], |r| r.get(0))
                    .optional()?
                    .ok_or(StoreError::Rejected(ErrCode::InvalidOpenid))?,
            };
            let total: i64 = c.prepare_cached(&format!("SELECT COUNT(*) {MEMBERS}"))?.query_row(params![appid.as_str(), id], |r| r.get(0))?;
            let mut st = c.prepare_cached(&format!("SELECT f.openid {MEMBERS} AND f.seq > ?3 ORDER BY f.seq LIMIT ?4"))?;
            let openids = st
                .query_map(params![appid.as_str(), id, from, limit as i64], |r| Ok(OpenId(r.get(0)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Page { total, openids })
        })
    }
}
