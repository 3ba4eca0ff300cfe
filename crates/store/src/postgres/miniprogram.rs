// MiniProgramStore on PostgreSQL (see the SQLite twin). Adding a template locks the account row
// so that two nodes cannot both pass the count.

const MP_TEMPLATE_COLS: &str = "appid, pri_tmpl_id, tid, kids, kind, scene_desc, created_at";
const MP_LINK_COLS: &str = "id, appid, kind, page, query, env_version, created_at, expires_at";

const MP_VERSION_COLS: &str = "appid, version, description, source_blob, compiled_blob, files, bytes, created_at";

fn mp_version_from_row(r: &DbRow) -> crate::Result<crate::MpVersion> {
    Ok(crate::MpVersion {
        appid: herald_wire::AppId(r.try_get(0)?),
        version: r.try_get(1)?,
        description: r.try_get(2)?,
        source_blob: r.try_get(3)?,
        compiled_blob: r.try_get(4)?,
        files: r.try_get(5)?,
        bytes: r.try_get(6)?,
        created_at: r.try_get(7)?,
    })
}

fn sub_template_from_row(r: &DbRow) -> crate::Result<crate::SubTemplate> {
    Ok(crate::SubTemplate {
        appid: herald_wire::AppId(r.try_get(0)?),
        pri_tmpl_id: r.try_get(1)?,
        tid: r.try_get::<i64, _>(2)? as u32,
        kids: crate::SubTemplate::parse_kids(&r.try_get::<String, _>(3)?),
        kind: r.try_get::<i64, _>(4)? as u8,
        scene_desc: r.try_get(5)?,
        created_at: r.try_get(6)?,
    })
}

#[async_trait::async_trait]
impl crate::MiniProgramStore for Backend {
    async fn set_session_key(&self, appid: &herald_wire::AppId, user: &herald_wire::UserId, key: &str, now: i64) -> crate::Result<()> {
        sqlx::query(
            "INSERT INTO mp_sessions (appid, user_id, session_key, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (appid, user_id) DO UPDATE SET session_key = excluded.session_key, updated_at = excluded.updated_at",
        )
        .bind(appid.as_str())
        .bind(user.as_str())
        .bind(key)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn session_key(&self, appid: &herald_wire::AppId, user: &herald_wire::UserId) -> crate::Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT session_key FROM mp_sessions WHERE appid = $1 AND user_id = $2")
            .bind(appid.as_str())
            .bind(user.as_str())
            .fetch_optional(self.reader())
            .await?)
    }

    async fn add_sub_template(&self, t: &crate::SubTemplate, max: usize) -> crate::Result<bool> {
        let mut tx = self.begin().await?;
        sqlx::query(dialect::LOCK_ACCOUNT).bind(t.appid.as_str()).execute(&mut *tx).await?;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mp_templates WHERE appid = $1").bind(t.appid.as_str()).fetch_one(&mut *tx).await?;
        if n as usize >= max {
            return Ok(false);
        }
        sqlx::query(&format!("INSERT INTO mp_templates ({MP_TEMPLATE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
            .bind(t.appid.as_str())
            .bind(&t.pri_tmpl_id)
            .bind(i64::from(t.tid))
            .bind(t.kids_text())
            .bind(i64::from(t.kind))
            .bind(&t.scene_desc)
            .bind(t.created_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn sub_templates(&self, appid: &herald_wire::AppId) -> crate::Result<Vec<crate::SubTemplate>> {
        let rows = sqlx::query(&format!("SELECT {MP_TEMPLATE_COLS} FROM mp_templates WHERE appid = $1 ORDER BY created_at, pri_tmpl_id"))
            .bind(appid.as_str())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(sub_template_from_row).collect()
    }

    async fn delete_sub_template(&self, appid: &herald_wire::AppId, pri_tmpl_id: &str) -> crate::Result<bool> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("DELETE FROM mp_templates WHERE appid = $1 AND pri_tmpl_id = $2")
            .bind(appid.as_str())
            .bind(pri_tmpl_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM mp_subscriptions WHERE appid = $1 AND pri_tmpl_id = $2").bind(appid.as_str()).bind(pri_tmpl_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn accept_subscriptions(&self, appid: &herald_wire::AppId, user: &herald_wire::UserId, ids: &[String], now: i64) -> crate::Result<()> {
        let mut tx = self.begin().await?;
        for id in ids {
            sqlx::query(
                "INSERT INTO mp_subscriptions (appid, user_id, pri_tmpl_id, remaining, updated_at) VALUES ($1, $2, $3, 1, $4) \
                 ON CONFLICT (appid, user_id, pri_tmpl_id) DO UPDATE SET remaining = mp_subscriptions.remaining + 1, updated_at = excluded.updated_at",
            )
            .bind(appid.as_str())
            .bind(user.as_str())
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn take_subscription(&self, appid: &herald_wire::AppId, user: &herald_wire::UserId, pri_tmpl_id: &str, one_time: bool, now: i64) -> crate::Result<bool> {
        let n = if one_time {
            sqlx::query(
                "UPDATE mp_subscriptions SET remaining = remaining - 1, updated_at = $4 \
                 WHERE appid = $1 AND user_id = $2 AND pri_tmpl_id = $3 AND remaining > 0",
            )
            .bind(appid.as_str())
            .bind(user.as_str())
            .bind(pri_tmpl_id)
            .bind(now)
            .execute(self.writer())
            .await?
            .rows_affected() as i64
        } else {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM mp_subscriptions WHERE appid = $1 AND user_id = $2 AND pri_tmpl_id = $3 AND remaining > 0")
                .bind(appid.as_str())
                .bind(user.as_str())
                .bind(pri_tmpl_id)
                .fetch_one(self.reader())
                .await?
        };
        Ok(n > 0)
    }

    async fn subscriptions(&self, appid: &herald_wire::AppId, user: &herald_wire::UserId) -> crate::Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT pri_tmpl_id, remaining FROM mp_subscriptions WHERE appid = $1 AND user_id = $2 ORDER BY pri_tmpl_id")
            .bind(appid.as_str())
            .bind(user.as_str())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    async fn put_link(&self, l: &crate::MpLink) -> crate::Result<()> {
        sqlx::query(&format!("INSERT INTO mp_links ({MP_LINK_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
            .bind(&l.id)
            .bind(l.appid.as_str())
            .bind(&l.kind)
            .bind(&l.page)
            .bind(&l.query)
            .bind(&l.env_version)
            .bind(l.created_at)
            .bind(l.expires_at)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn link(&self, id: &str) -> crate::Result<Option<crate::MpLink>> {
        let row = sqlx::query(&format!("SELECT {MP_LINK_COLS} FROM mp_links WHERE id = $1")).bind(id).fetch_optional(self.reader()).await?;
        row.map(|r| {
            Ok(crate::MpLink {
                id: r.try_get(0)?,
                appid: herald_wire::AppId(r.try_get(1)?),
                kind: r.try_get(2)?,
                page: r.try_get(3)?,
                query: r.try_get(4)?,
                env_version: r.try_get(5)?,
                created_at: r.try_get(6)?,
                expires_at: r.try_get(7)?,
            })
        })
        .transpose()
    }

    async fn put_version(&self, v: &crate::MpVersion) -> crate::Result<bool> {
        let n = sqlx::query(&format!("INSERT INTO mp_versions ({MP_VERSION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING"))
            .bind(v.appid.as_str())
            .bind(&v.version)
            .bind(&v.description)
            .bind(&v.source_blob)
            .bind(&v.compiled_blob)
            .bind(v.files)
            .bind(v.bytes)
            .bind(v.created_at)
            .execute(self.writer())
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    async fn version(&self, appid: &herald_wire::AppId, version: &str) -> crate::Result<Option<crate::MpVersion>> {
        let row = sqlx::query(&format!("SELECT {MP_VERSION_COLS} FROM mp_versions WHERE appid = $1 AND version = $2"))
            .bind(appid.as_str())
            .bind(version)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(mp_version_from_row).transpose()
    }

    async fn versions(&self, appid: &herald_wire::AppId) -> crate::Result<Vec<crate::MpVersion>> {
        let rows = sqlx::query(&format!("SELECT {MP_VERSION_COLS} FROM mp_versions WHERE appid = $1 ORDER BY created_at DESC, version DESC"))
            .bind(appid.as_str())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(mp_version_from_row).collect()
    }

    async fn set_channel(&self, appid: &herald_wire::AppId, channel: &str, version: &str, now: i64) -> crate::Result<()> {
        sqlx::query(
            "INSERT INTO mp_channels (appid, channel, version, previous, updated_at) VALUES ($1, $2, $3, NULL, $4) \
             ON CONFLICT (appid, channel) DO UPDATE SET previous = CASE WHEN mp_channels.version = excluded.version THEN mp_channels.previous ELSE mp_channels.version END, \
             version = excluded.version, updated_at = excluded.updated_at",
        )
        .bind(appid.as_str())
        .bind(channel)
        .bind(version)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn roll_back_release(&self, appid: &herald_wire::AppId, now: i64) -> crate::Result<Option<String>> {
        let mut tx = self.begin().await?;
        let prev: Option<Option<String>> = sqlx::query_scalar("SELECT previous FROM mp_channels WHERE appid = $1 AND channel = 'release' FOR UPDATE")
            .bind(appid.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(Some(prev)) = prev else { return Ok(None) };
        sqlx::query("UPDATE mp_channels SET version = $2, previous = NULL, updated_at = $3 WHERE appid = $1 AND channel = 'release'")
            .bind(appid.as_str())
            .bind(&prev)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(prev))
    }

    async fn channels(&self, appid: &herald_wire::AppId) -> crate::Result<Vec<crate::MpChannel>> {
        let rows = sqlx::query("SELECT channel, version, previous, updated_at FROM mp_channels WHERE appid = $1 ORDER BY channel")
            .bind(appid.as_str())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok(crate::MpChannel { channel: r.try_get(0)?, version: r.try_get(1)?, previous: r.try_get(2)?, updated_at: r.try_get(3)? })).collect()
    }

    async fn storage(&self, appid: &herald_wire::AppId, user: &herald_wire::UserId) -> crate::Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT key, value FROM mp_storage WHERE appid = $1 AND user_id = $2 ORDER BY key")
            .bind(appid.as_str())
            .bind(user.as_str())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    async fn set_storage(&self, appid: &herald_wire::AppId, user: &herald_wire::UserId, key: &str, value: Option<&str>, now: i64, max_total: usize) -> crate::Result<bool> {
        let mut tx = self.begin().await?;
        // One user's writes to one mini program's storage are serialised by this lock.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))").bind(format!("mp_storage:{appid}:{user}")).execute(&mut *tx).await?;
        match value {
            None => {
                sqlx::query("DELETE FROM mp_storage WHERE appid = $1 AND user_id = $2 AND key = $3").bind(appid.as_str()).bind(user.as_str()).bind(key).execute(&mut *tx).await?;
            }
            Some(v) => {
                let others: i64 = sqlx::query_scalar("SELECT COALESCE(SUM(octet_length(key) + octet_length(value)), 0)::BIGINT FROM mp_storage WHERE appid = $1 AND user_id = $2 AND key <> $3")
                    .bind(appid.as_str())
                    .bind(user.as_str())
                    .bind(key)
                    .fetch_one(&mut *tx)
                    .await?;
                if others as usize + key.len() + v.len() > max_total {
                    return Ok(false);
                }
                sqlx::query(
                    "INSERT INTO mp_storage (appid, user_id, key, value, updated_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (appid, user_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                )
                .bind(appid.as_str())
                .bind(user.as_str())
                .bind(key)
                .bind(v)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn clear_storage(&self, appid: &herald_wire::AppId, user: &herald_wire::UserId) -> crate::Result<()> {
        sqlx::query("DELETE FROM mp_storage WHERE appid = $1 AND user_id = $2").bind(appid.as_str()).bind(user.as_str()).execute(self.writer()).await?;
        Ok(())
    }

    async fn request_domains(&self, appid: &herald_wire::AppId) -> crate::Result<Vec<String>> {
        let s: Option<String> = sqlx::query_scalar("SELECT request_domains FROM mp_settings WHERE appid = $1").bind(appid.as_str()).fetch_optional(self.reader()).await?;
        Ok(s.map(|s| s.split(',').filter(|d| !d.is_empty()).map(str::to_string).collect()).unwrap_or_default())
    }

    async fn set_request_domains(&self, appid: &herald_wire::AppId, domains: &[String]) -> crate::Result<()> {
        sqlx::query("INSERT INTO mp_settings (appid, request_domains) VALUES ($1, $2) ON CONFLICT (appid) DO UPDATE SET request_domains = excluded.request_domains")
            .bind(appid.as_str())
            .bind(domains.join(","))
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn add_tester(&self, appid: &herald_wire::AppId, user: &herald_wire::UserId, now: i64, max: usize) -> crate::Result<Option<bool>> {
        let mut tx = self.begin().await?;
        sqlx::query(dialect::LOCK_ACCOUNT).bind(appid.as_str()).execute(&mut *tx).await?;
        let there: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mp_testers WHERE appid = $1 AND user_id = $2").bind(appid.as_str()).bind(user.as_str()).fetch_one(&mut *tx).await?;
        if there > 0 {
            return Ok(Some(false));
        }
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mp_testers WHERE appid = $1").bind(appid.as_str()).fetch_one(&mut *tx).await?;
        if n as usize >= max {
            return Ok(None);
        }
        sqlx::query("INSERT INTO mp_testers (appid, user_id, created_at) VALUES ($1, $2, $3)").bind(appid.as_str()).bind(user.as_str()).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Some(true))
    }

    async fn remove_tester(&self, appid: &herald_wire::AppId, user: &herald_wire::UserId) -> crate::Result<bool> {
        let n = sqlx::query("DELETE FROM mp_testers WHERE appid = $1 AND user_id = $2").bind(appid.as_str()).bind(user.as_str()).execute(self.writer()).await?.rows_affected();
        Ok(n > 0)
    }

    async fn testers(&self, appid: &herald_wire::AppId) -> crate::Result<Vec<herald_wire::UserId>> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT user_id FROM mp_testers WHERE appid = $1 ORDER BY created_at, user_id").bind(appid.as_str()).fetch_all(self.reader()).await?;
        Ok(rows.into_iter().map(herald_wire::UserId).collect())
    }
}
