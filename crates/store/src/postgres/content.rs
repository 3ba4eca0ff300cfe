// ContentStore on PostgreSQL (see the SQLite twin).

const MEDIA_COLS: &str = "media_id, appid, kind, media_type, blob_hash, filename, content_type, size, meta, created_at, updated_at, expires_at";
const PUB_COLS: &str = "publish_id, appid, article_id, media_id, articles, deleted, status, created_at, updated_at";

fn media_from_row(r: &DbRow) -> crate::Result<crate::Media> {
    Ok(crate::Media {
        media_id: r.try_get(0)?,
        appid: herald_wire::AppId(r.try_get(1)?),
        kind: r.try_get(2)?,
        media_type: r.try_get(3)?,
        blob_hash: r.try_get(4)?,
        filename: r.try_get(5)?,
        content_type: r.try_get(6)?,
        size: r.try_get(7)?,
        meta: r.try_get(8)?,
        created_at: r.try_get(9)?,
        updated_at: r.try_get(10)?,
        expires_at: r.try_get(11)?,
    })
}

fn publication_from_row(r: &DbRow) -> crate::Result<crate::Publication> {
    Ok(crate::Publication {
        publish_id: r.try_get(0)?,
        appid: herald_wire::AppId(r.try_get(1)?),
        article_id: r.try_get(2)?,
        media_id: r.try_get(3)?,
        articles: r.try_get(4)?,
        deleted: r.try_get(5)?,
        status: r.try_get(6)?,
        created_at: r.try_get(7)?,
        updated_at: r.try_get(8)?,
    })
}

#[async_trait::async_trait]
impl crate::ContentStore for Backend {
    async fn put_media(&self, m: &crate::Media) -> crate::Result<()> {
        sqlx::query(&format!("INSERT INTO media ({MEDIA_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"))
            .bind(&m.media_id)
            .bind(m.appid.as_str())
            .bind(&m.kind)
            .bind(&m.media_type)
            .bind(&m.blob_hash)
            .bind(&m.filename)
            .bind(&m.content_type)
            .bind(m.size)
            .bind(&m.meta)
            .bind(m.created_at)
            .bind(m.updated_at)
            .bind(m.expires_at)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn media(&self, appid: &herald_wire::AppId, media_id: &str) -> crate::Result<Option<crate::Media>> {
        let row = sqlx::query(&format!("SELECT {MEDIA_COLS} FROM media WHERE appid = $1 AND media_id = $2"))
            .bind(appid.as_str())
            .bind(media_id)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(media_from_row).transpose()
    }

    async fn update_media_meta(&self, appid: &herald_wire::AppId, media_id: &str, kind: &str, meta: &str, now: i64) -> crate::Result<bool> {
        let done = sqlx::query("UPDATE media SET meta = $4, updated_at = $5 WHERE appid = $1 AND media_id = $2 AND kind = $3")
            .bind(appid.as_str())
            .bind(media_id)
            .bind(kind)
            .bind(meta)
            .bind(now)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_media(&self, appid: &herald_wire::AppId, media_id: &str, kind: &str) -> crate::Result<bool> {
        let done = sqlx::query("DELETE FROM media WHERE appid = $1 AND media_id = $2 AND kind = $3")
            .bind(appid.as_str())
            .bind(media_id)
            .bind(kind)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn media_counts(&self, appid: &herald_wire::AppId, kind: &str) -> crate::Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT media_type, COUNT(*) FROM media WHERE appid = $1 AND kind = $2 GROUP BY media_type")
            .bind(appid.as_str())
            .bind(kind)
            .fetch_all(self.reader())
            .await?)
    }

    async fn media_page(
        &self,
        appid: &herald_wire::AppId,
        kind: &str,
        media_type: Option<&str>,
        offset: i64,
        count: i64,
    ) -> crate::Result<(i64, Vec<crate::Media>)> {
        let (total,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM media WHERE appid = $1 AND kind = $2 AND ($3::text IS NULL OR media_type = $3)")
                .bind(appid.as_str())
                .bind(kind)
                .bind(media_type)
                .fetch_one(self.reader())
                .await?;
        let rows = sqlx::query(&format!(
            "SELECT {MEDIA_COLS} FROM media WHERE appid = $1 AND kind = $2 AND ($3::text IS NULL OR media_type = $3) \
             ORDER BY updated_at DESC, media_id LIMIT $5 OFFSET $4"
        ))
        .bind(appid.as_str())
        .bind(kind)
        .bind(media_type)
        .bind(offset)
        .bind(count)
        .fetch_all(self.reader())
        .await?;
        Ok((total, rows.iter().map(media_from_row).collect::<crate::Result<Vec<_>>>()?))
    }

    async fn publish(
        &self,
        appid: &herald_wire::AppId,
        media_id: &str,
        article_id: &str,
        articles: &str,
        now: i64,
        event: crate::PublishEvent<'_>,
        now_ms: i64,
    ) -> crate::Result<crate::Publication> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO publications (appid, article_id, media_id, articles, deleted, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, '', 0, $5, $5) RETURNING {PUB_COLS}"
        ))
        .bind(appid.as_str())
        .bind(article_id)
        .bind(media_id)
        .bind(articles)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let p = publication_from_row(&row)?;
        if pg_has_server(&mut tx, appid.as_str()).await? {
            pg_insert_event_job(&mut tx, appid.as_str(), &event(&p), now_ms).await?;
        }
        tx.commit().await?;
        Ok(p)
    }

    async fn publication(&self, appid: &herald_wire::AppId, publish_id: i64) -> crate::Result<Option<crate::Publication>> {
        let row = sqlx::query(&format!("SELECT {PUB_COLS} FROM publications WHERE appid = $1 AND publish_id = $2"))
            .bind(appid.as_str())
            .bind(publish_id)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(publication_from_row).transpose()
    }

    async fn publication_by_article(&self, article_id: &str) -> crate::Result<Option<crate::Publication>> {
        let row = sqlx::query(&format!("SELECT {PUB_COLS} FROM publications WHERE article_id = $1"))
            .bind(article_id)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(publication_from_row).transpose()
    }

    async fn publications(&self, appid: &herald_wire::AppId, offset: i64, count: i64) -> crate::Result<(i64, Vec<crate::Publication>)> {
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM publications WHERE appid = $1 AND deleted <> '*'")
            .bind(appid.as_str())
            .fetch_one(self.reader())
            .await?;
        let rows = sqlx::query(&format!(
            "SELECT {PUB_COLS} FROM publications WHERE appid = $1 AND deleted <> '*' ORDER BY publish_id DESC LIMIT $3 OFFSET $2"
        ))
        .bind(appid.as_str())
        .bind(offset)
        .bind(count)
        .fetch_all(self.reader())
        .await?;
        Ok((total, rows.iter().map(publication_from_row).collect::<crate::Result<Vec<_>>>()?))
    }

    async fn set_publication_deleted(&self, appid: &herald_wire::AppId, article_id: &str, deleted: &str, now: i64) -> crate::Result<bool> {
        let done = sqlx::query("UPDATE publications SET deleted = $3, updated_at = $4 WHERE appid = $1 AND article_id = $2")
            .bind(appid.as_str())
            .bind(article_id)
            .bind(deleted)
            .bind(now)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
