// TagStore: follower tags, under WeChat's limits (herald_domain::tags).

/// Fails with 45159 unless `id` is the star tag or one of the account's tags.
async fn require_tag(tx: &mut Tx, appid: &str, id: i64) -> crate::Result<()> {
    if id == herald_domain::tags::STAR_TAG_ID {
        return Ok(());
    }
    let row: Option<(i64,)> = sqlx::query_as("SELECT tag_id FROM tags WHERE appid = $1 AND tag_id = $2")
        .bind(appid)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|_| ()).ok_or(crate::StoreError::Rejected(herald_wire::ErrCode::InvalidTagId))
}

async fn tag_names(tx: &mut Tx, appid: &str, except: i64) -> crate::Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT name FROM tags WHERE appid = $1 AND tag_id <> $2")
        .bind(appid)
        .bind(except)
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

const TAG_COUNT: &str = "(SELECT COUNT(*) FROM follower_tags ft JOIN followers f ON f.seq = ft.follower_seq \
     WHERE ft.appid = $1 AND ft.tag_id = t.tag_id AND f.subscribed = TRUE)";

#[async_trait::async_trait]
impl crate::TagStore for Backend {
    async fn tags(&self, appid: &herald_wire::AppId) -> crate::Result<Vec<crate::Tag>> {
        use herald_domain::tags::{STAR_TAG_ID, STAR_TAG_NAME};
        let (star,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM follower_tags ft JOIN followers f ON f.seq = ft.follower_seq \
             WHERE ft.appid = $1 AND ft.tag_id = $2 AND f.subscribed = TRUE",
        )
        .bind(appid.as_str())
        .bind(STAR_TAG_ID)
        .fetch_one(self.reader())
        .await?;
        let sql = format!("SELECT t.tag_id, t.name, {TAG_COUNT} FROM tags t WHERE t.appid = $1 ORDER BY t.tag_id");
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(&sql).bind(appid.as_str()).fetch_all(self.reader()).await?;
        let mut out = vec![crate::Tag { id: STAR_TAG_ID, name: STAR_TAG_NAME.to_string(), count: star }];
        out.extend(rows.into_iter().map(|(id, name, count)| crate::Tag { id, name, count }));
        Ok(out)
    }

    async fn create_tag(&self, appid: &herald_wire::AppId, name: &str, now: i64) -> crate::Result<crate::Tag> {
        let name = name.trim();
        let mut tx = self.begin().await?;
        sqlx::query(dialect::LOCK_ACCOUNT).bind(appid.as_str()).execute(&mut *tx).await?;
        let names = tag_names(&mut tx, appid.as_str(), -1).await?;
        herald_domain::tags::check_room(names.len())?;
        herald_domain::tags::check_name(name, names.iter().map(String::as_str))?;
        let (id,): (i64,) = sqlx::query_as(
            "UPDATE accounts SET next_tag_id = next_tag_id + 1 WHERE appid = $1 RETURNING next_tag_id - 1",
        )
        .bind(appid.as_str())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO tags (appid, tag_id, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(appid.as_str())
            .bind(id)
            .bind(name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(crate::Tag { id, name: name.to_string(), count: 0 })
    }

    async fn rename_tag(&self, appid: &herald_wire::AppId, id: i64, name: &str) -> crate::Result<()> {
        herald_domain::tags::check_mutable(id)?;
        let name = name.trim();
        let mut tx = self.begin().await?;
        sqlx::query(dialect::LOCK_ACCOUNT).bind(appid.as_str()).execute(&mut *tx).await?;
        require_tag(&mut tx, appid.as_str(), id).await?;
        let names = tag_names(&mut tx, appid.as_str(), id).await?;
        herald_domain::tags::check_name(name, names.iter().map(String::as_str))?;
        sqlx::query("UPDATE tags SET name = $3 WHERE appid = $1 AND tag_id = $2")
            .bind(appid.as_str())
            .bind(id)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_tag(&self, appid: &herald_wire::AppId, id: i64) -> crate::Result<()> {
        herald_domain::tags::check_mutable(id)?;
        let mut tx = self.begin().await?;
        sqlx::query(dialect::LOCK_ACCOUNT).bind(appid.as_str()).execute(&mut *tx).await?;
        require_tag(&mut tx, appid.as_str(), id).await?;
        let (fans,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM follower_tags WHERE appid = $1 AND tag_id = $2")
            .bind(appid.as_str())
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if fans > herald_domain::tags::DELETE_MAX_FANS {
            return Err(crate::StoreError::Rejected(herald_wire::ErrCode::TagTooManyFans));
        }
        for sql in [
            "DELETE FROM follower_tags WHERE appid = $1 AND tag_id = $2",
            "DELETE FROM tags WHERE appid = $1 AND tag_id = $2",
        ] {
            sqlx::query(sql).bind(appid.as_str()).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn set_tagged(&self, appid: &herald_wire::AppId, id: i64, openids: &[String], on: bool) -> crate::Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(dialect::LOCK_ACCOUNT).bind(appid.as_str()).execute(&mut *tx).await?;
        require_tag(&mut tx, appid.as_str(), id).await?;
        let mut seqs = Vec::with_capacity(openids.len());
        for openid in openids {
            let row: Option<(i64,)> =
                sqlx::query_as("SELECT seq FROM followers WHERE appid = $1 AND openid = $2 AND subscribed = TRUE")
                    .bind(appid.as_str())
                    .bind(openid)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((seq,)) = row else {
                return Err(crate::StoreError::Rejected(herald_wire::ErrCode::InvalidOpenid));
            };
            seqs.push(seq);
        }
        for seq in seqs {
            if !on {
                sqlx::query("DELETE FROM follower_tags WHERE appid = $1 AND tag_id = $2 AND follower_seq = $3")
                    .bind(appid.as_str())
                    .bind(id)
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                continue;
            }
            let tags: Vec<(i64,)> = sqlx::query_as("SELECT tag_id FROM follower_tags WHERE follower_seq = $1")
                .bind(seq)
                .fetch_all(&mut *tx)
                .await?;
            if tags.iter().any(|t| t.0 == id) {
                continue;
            }
            herald_domain::tags::check_follower_room(tags.len(), 1)?;
            sqlx::query("INSERT INTO follower_tags (appid, tag_id, follower_seq) VALUES ($1, $2, $3)")
                .bind(appid.as_str())
                .bind(id)
                .bind(seq)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn tag_page(
        &self,
        appid: &herald_wire::AppId,
        id: i64,
        after: Option<&str>,
        limit: usize,
    ) -> crate::Result<crate::Page> {
        {
            let mut tx = self.reader().begin().await?;
            require_tag(&mut tx, appid.as_str(), id).await?;
            tx.commit().await?;
        }
        let from = match after.filter(|a| !a.is_empty()) {
            None => i64::MIN,
            Some(a) => {
                let row: Option<(i64,)> = sqlx::query_as("SELECT seq FROM followers WHERE appid = $1 AND openid = $2")
                    .bind(appid.as_str())
                    .bind(a)
                    .fetch_optional(self.reader())
                    .await?;
                row.ok_or(crate::StoreError::Rejected(herald_wire::ErrCode::InvalidOpenid))?.0
            }
        };
        let (total,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM follower_tags ft JOIN followers f ON f.seq = ft.follower_seq \
             WHERE ft.appid = $1 AND ft.tag_id = $2 AND f.subscribed = TRUE",
        )
        .bind(appid.as_str())
        .bind(id)
        .fetch_one(self.reader())
        .await?;
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT f.openid FROM follower_tags ft JOIN followers f ON f.seq = ft.follower_seq \
             WHERE ft.appid = $1 AND ft.tag_id = $2 AND f.subscribed = TRUE AND f.seq > $3 ORDER BY f.seq LIMIT $4",
        )
        .bind(appid.as_str())
        .bind(id)
        .bind(from)
        .bind(limit as i64)
        .fetch_all(self.reader())
        .await?;
        Ok(crate::Page { total, openids: rows.into_iter().map(|r| herald_wire::OpenId(r.0)).collect() })
    }
}
