//! ContentStore on SQLite.

use async_trait::async_trait;
use herald_wire::AppId;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::SqliteStore;
use crate::content::*;
use crate::Result;

const MEDIA_COLS: &str = "media_id, appid, kind, media_type, blob_hash, filename, content_type, size, meta, created_at, updated_at, expires_at";
const PUB_COLS: &str = "publish_id, appid, article_id, media_id, articles, deleted, status, created_at, updated_at";

fn media(r: &Row<'_>) -> rusqlite::Result<Media> {
    Ok(Media {
        media_id: r.get(0)?,
        appid: AppId(r.get(1)?),
        kind: r.get(2)?,
        media_type: r.get(3)?,
        blob_hash: r.get(4)?,
        filename: r.get(5)?,
        content_type: r.get(6)?,
        size: r.get(7)?,
        meta: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
        expires_at: r.get(11)?,
    })
}

fn publication(r: &Row<'_>) -> rusqlite::Result<Publication> {
    Ok(Publication {
        publish_id: r.get(0)?,
        appid: AppId(r.get(1)?),
        article_id: r.get(2)?,
        media_id: r.get(3)?,
        articles: r.get(4)?,
        deleted: r.get(5)?,
        status: r.get(6)?,
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

fn pub_where(c: &Connection, cond: &str, p: impl rusqlite::Params) -> Result<Option<Publication>> {
    Ok(c.prepare_cached(&format!("SELECT {PUB_COLS} FROM publications WHERE {cond}"))?.query_row(p, publication).optional()?)
}

#[async_trait]
impl ContentStore for SqliteStore {
    async fn put_media(&self, m: &Media) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(&format!("INSERT INTO media ({MEDIA_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"))?
                .execute(params![
                    m.media_id,
                    m.appid.as_str(),
                    m.kind,
                    m.media_type,
                    m.blob_hash,
                    m.filename,
                    m.content_type,
                    m.size,
                    m.meta,
                    m.created_at,
                    m.updated_at,
                    m.expires_at
                ])?;
            Ok(())
        })
    }

    async fn media(&self, appid: &AppId, media_id: &str) -> Result<Option<Media>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!("SELECT {MEDIA_COLS} FROM media WHERE appid = ?1 AND media_id = ?2"))?
                .query_row(params![appid.as_str(), media_id], media)
                .optional()?)
        })
    }

    async fn update_media_meta(&self, appid: &AppId, media_id: &str, kind: &str, meta: &str, now: i64) -> Result<bool> {
        self.write(|tx| {
            Ok(tx
                .prepare_cached("UPDATE media SET meta = ?4, updated_at = ?5 WHERE appid = ?1 AND media_id = ?2 AND kind = ?3")?
                .execute(params![appid.as_str(), media_id, kind, meta, now])?
                > 0)
        })
    }

    async fn delete_media(&self, appid: &AppId, media_id: &str, kind: &str) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.prepare_cached("DELETE FROM media WHERE appid = ?1 AND media_id = ?2 AND kind = ?3")?.execute(params![appid.as_str(), media_id, kind])? > 0)
        })
    }

    async fn media_counts(&self, appid: &AppId, kind: &str) -> Result<Vec<(String, i64)>> {
        self.read(|c| {
            let rows = c
                .prepare_cached("SELECT media_type, COUNT(*) FROM media WHERE appid = ?1 AND kind = ?2 GROUP BY media_type")?
                .query_map(params![appid.as_str(), kind], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn media_page(&self, appid: &AppId, kind: &str, media_type: Option<&str>, offset: i64, count: i64) -> Result<(i64, Vec<Media>)> {
        self.read(|c| {
            let total: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM media WHERE appid = ?1 AND kind = ?2 AND (?3 IS NULL OR media_type = ?3)")?
                .query_row(params![appid.as_str(), kind, media_type], |r| r.get(0))?;
            let rows = c
                .prepare_cached(&format!(
                    "SELECT {MEDIA_COLS} FROM media WHERE appid = ?1 AND kind = ?2 AND (?3 IS NULL OR media_type = ?3) \
                     ORDER BY updated_at DESC, media_id LIMIT ?5 OFFSET ?4"
                ))?
                .query_map(params![appid.as_str(), kind, media_type, offset, count], media)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((total, rows))
        })
    }

    async fn publish(&self, appid: &AppId, media_id: &str, article_id: &str, articles: &str, now: i64, event: PublishEvent<'_>, now_ms: i64) -> Result<Publication> {
        self.write(|tx| {
            let id: i64 = tx
                .prepare_cached(
                    "INSERT INTO publications (appid, article_id, media_id, articles, deleted, status, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, '', 0, ?5, ?5) RETURNING publish_id",
                )?
                .query_row(params![appid.as_str(), article_id, media_id, articles, now], |r| r.get(0))?;
            let p = pub_where(tx, "publish_id = ?1", [id])?.ok_or(crate::StoreError::NotFound)?;
            if super::broadcast::has_server(tx, appid.as_str())? {
                super::broadcast::insert_event_job(tx, appid.as_str(), &event(&p), now_ms)?;
            }
            Ok(p)
        })
    }

    async fn publication(&self, appid: &AppId, publish_id: i64) -> Result<Option<Publication>> {
        self.read(|c| pub_where(c, "appid = ?1 AND publish_id = ?2", params![appid.as_str(), publish_id]))
    }

    async fn publication_by_article(&self, article_id: &str) -> Result<Option<Publication>> {
        self.read(|c| pub_where(c, "article_id = ?1", [article_id]))
    }

    async fn publications(&self, appid: &AppId, offset: i64, count: i64) -> Result<(i64, Vec<Publication>)> {
        self.read(|c| {
            let total: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM publications WHERE appid = ?1 AND deleted <> '*'")?
                .query_row([appid.as_str()], |r| r.get(0))?;
            let rows = c
                .prepare_cached(&format!(
                    "SELECT {PUB_COLS} FROM publications WHERE appid = ?1 AND deleted <> '*' ORDER BY publish_id DESC LIMIT ?3 OFFSET ?2"
                ))?
                .query_map(params![appid.as_str(), offset, count], publication)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((total, rows))
        })
    }

    async fn set_publication_deleted(&self, appid: &AppId, article_id: &str, deleted: &str, now: i64) -> Result<bool> {
        self.write(|tx| {
            Ok(tx
                .prepare_cached("UPDATE publications SET deleted = ?3, updated_at = ?4 WHERE appid = ?1 AND article_id = ?2")?
                .execute(params![appid.as_str(), article_id, deleted, now])?
                > 0)
        })
    }
}
