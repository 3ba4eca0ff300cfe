// WebStore on PostgreSQL (see the SQLite twin). Writes that count (permanent codes,
// conditional menus) lock the account row first.

const QR_COLS: &str = "ticket, url_key, appid, action, scene_id, scene_str, permanent, created_at, expires_at";
const CODE_COLS: &str = "code, purpose, appid, user_id, scope, created_at, expires_at, used_at";
const GRANT_COLS: &str =
    "access_token, refresh_token, appid, user_id, openid, scope, access_expires_at, refresh_expires_at, created_at";

fn qr_from_row(r: &DbRow) -> crate::Result<crate::QrCode> {
    Ok(crate::QrCode {
        ticket: r.try_get(0)?,
        url_key: r.try_get(1)?,
        appid: herald_wire::AppId(r.try_get(2)?),
        action: r.try_get(3)?,
        scene_id: r.try_get(4)?,
        scene_str: r.try_get(5)?,
        permanent: r.try_get(6)?,
        created_at: r.try_get(7)?,
        expires_at: r.try_get(8)?,
    })
}

fn code_from_row(r: &DbRow) -> crate::Result<crate::OneTimeCode> {
    Ok(crate::OneTimeCode {
        code: r.try_get(0)?,
        purpose: r.try_get(1)?,
        appid: r.try_get::<Option<String>, _>(2)?.map(herald_wire::AppId),
        user_id: herald_wire::UserId(r.try_get(3)?),
        scope: r.try_get(4)?,
        created_at: r.try_get(5)?,
        expires_at: r.try_get(6)?,
        used_at: r.try_get(7)?,
    })
}

fn grant_from_row(r: &DbRow) -> crate::Result<crate::Grant> {
    Ok(crate::Grant {
        access_token: r.try_get(0)?,
        refresh_token: r.try_get(1)?,
        appid: herald_wire::AppId(r.try_get(2)?),
        user_id: herald_wire::UserId(r.try_get(3)?),
        openid: r.try_get(4)?,
        scope: r.try_get(5)?,
        access_expires_at: r.try_get(6)?,
        refresh_expires_at: r.try_get(7)?,
        created_at: r.try_get(8)?,
    })
}

#[async_trait::async_trait]
impl crate::WebStore for Backend {
    async fn create_qrcode(&self, q: &crate::QrCode, max_permanent: i64) -> crate::Result<crate::QrCode> {
        let key = q.perm_key();
        let mut tx = self.begin().await?;
        if let Some(k) = &key {
            sqlx::query(dialect::LOCK_ACCOUNT).bind(q.appid.as_str()).execute(&mut *tx).await?;
            let found = sqlx::query(&format!("SELECT {QR_COLS} FROM qrcodes WHERE perm_key = $1")).bind(k).fetch_optional(&mut *tx).await?;
            if let Some(row) = found {
                return qr_from_row(&row);
            }
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM qrcodes WHERE appid = $1 AND permanent AND action <> 'QR_ACCOUNT'")
                .bind(q.appid.as_str())
                .fetch_one(&mut *tx)
                .await?;
            if n >= max_permanent && q.action != "QR_ACCOUNT" {
                return Err(crate::StoreError::Rejected(herald_wire::ErrCode::InvalidActionInfo));
            }
        }
        sqlx::query(&format!("INSERT INTO qrcodes ({QR_COLS}, perm_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
            .bind(&q.ticket)
            .bind(&q.url_key)
            .bind(q.appid.as_str())
            .bind(&q.action)
            .bind(q.scene_id)
            .bind(&q.scene_str)
            .bind(q.permanent)
            .bind(q.created_at)
            .bind(q.expires_at)
            .bind(&key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(q.clone())
    }

    async fn qrcode(&self, ticket: &str) -> crate::Result<Option<crate::QrCode>> {
        let row = sqlx::query(&format!("SELECT {QR_COLS} FROM qrcodes WHERE ticket = $1")).bind(ticket).fetch_optional(self.reader()).await?;
        row.as_ref().map(qr_from_row).transpose()
    }

    async fn qrcode_by_key(&self, url_key: &str) -> crate::Result<Option<crate::QrCode>> {
        let row = sqlx::query(&format!("SELECT {QR_COLS} FROM qrcodes WHERE url_key = $1")).bind(url_key).fetch_optional(self.reader()).await?;
        row.as_ref().map(qr_from_row).transpose()
    }

    async fn put_short_key(&self, key: &str, appid: &herald_wire::AppId, data: &str, now: i64, expires_at: i64) -> crate::Result<()> {
        sqlx::query("INSERT INTO short_keys (short_key, appid, long_data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(key)
            .bind(appid.as_str())
            .bind(data)
            .bind(now)
            .bind(expires_at)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn short_key(&self, appid: &herald_wire::AppId, key: &str) -> crate::Result<Option<(String, i64, i64)>> {
        Ok(sqlx::query_as("SELECT long_data, created_at, expires_at FROM short_keys WHERE appid = $1 AND short_key = $2")
            .bind(appid.as_str())
            .bind(key)
            .fetch_optional(self.reader())
            .await?)
    }

    async fn set_default_menu(&self, appid: &herald_wire::AppId, buttons: &str, now: i64) -> crate::Result<i64> {
        let mut tx = self.begin().await?;
        sqlx::query(dialect::LOCK_ACCOUNT).bind(appid.as_str()).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM menus WHERE appid = $1 AND matchrule IS NULL").bind(appid.as_str()).execute(&mut *tx).await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO menus (appid, buttons, matchrule, created_at) VALUES ($1, $2, NULL, $3) RETURNING menuid")
            .bind(appid.as_str())
            .bind(buttons)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn add_conditional_menu(&self, appid: &herald_wire::AppId, buttons: &str, matchrule: &str, now: i64, max: i64) -> crate::Result<i64> {
        let mut tx = self.begin().await?;
        sqlx::query(dialect::LOCK_ACCOUNT).bind(appid.as_str()).execute(&mut *tx).await?;
        let (default, conditional): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*) FILTER (WHERE matchrule IS NULL), COUNT(*) FILTER (WHERE matchrule IS NOT NULL) FROM menus WHERE appid = $1",
        )
        .bind(appid.as_str())
        .fetch_one(&mut *tx)
        .await?;
        if default == 0 {
            return Err(crate::StoreError::Rejected(herald_wire::ErrCode::NoDefaultMenu));
        }
        if conditional >= max {
            return Err(crate::StoreError::Rejected(herald_wire::ErrCode::MenuCountLimit));
        }
        let id: i64 = sqlx::query_scalar("INSERT INTO menus (appid, buttons, matchrule, created_at) VALUES ($1, $2, $3, $4) RETURNING menuid")
            .bind(appid.as_str())
            .bind(buttons)
            .bind(matchrule)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn delete_conditional_menu(&self, appid: &herald_wire::AppId, menuid: i64) -> crate::Result<bool> {
        let done = sqlx::query("DELETE FROM menus WHERE appid = $1 AND menuid = $2 AND matchrule IS NOT NULL")
            .bind(appid.as_str())
            .bind(menuid)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_menus(&self, appid: &herald_wire::AppId) -> crate::Result<bool> {
        let done = sqlx::query("DELETE FROM menus WHERE appid = $1").bind(appid.as_str()).execute(self.writer()).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn menus(&self, appid: &herald_wire::AppId) -> crate::Result<Vec<crate::StoredMenu>> {
        let rows: Vec<(i64, String, Option<String>, i64)> =
            sqlx::query_as("SELECT menuid, buttons, matchrule, created_at FROM menus WHERE appid = $1 ORDER BY menuid")
                .bind(appid.as_str())
                .fetch_all(self.reader())
                .await?;
        Ok(rows.into_iter().map(|(menuid, buttons, matchrule, created_at)| crate::StoredMenu { menuid, buttons, matchrule, created_at }).collect())
    }

    async fn put_code(&self, k: &crate::OneTimeCode) -> crate::Result<()> {
        sqlx::query(&format!("INSERT INTO one_time_codes ({CODE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
            .bind(&k.code)
            .bind(&k.purpose)
            .bind(k.appid.as_ref().map(|a| a.as_str().to_string()))
            .bind(k.user_id.as_str())
            .bind(&k.scope)
            .bind(k.created_at)
            .bind(k.expires_at)
            .bind(k.used_at)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn take_code(&self, c: &str, purpose: &str, appid: Option<&herald_wire::AppId>, now: i64) -> crate::Result<crate::CodeTake> {
        let appid = appid.map(|a| a.as_str());
        let taken = sqlx::query(&format!(
            "UPDATE one_time_codes SET used_at = $3 WHERE code = $1 AND purpose = $2 AND used_at IS NULL \
             AND ($4::text IS NULL OR appid = $4) RETURNING {CODE_COLS}"
        ))
        .bind(c)
        .bind(purpose)
        .bind(now)
        .bind(appid)
        .fetch_optional(self.writer())
        .await?;
        if let Some(row) = taken {
            return Ok(crate::CodeTake::Taken(code_from_row(&row)?));
        }
        let found = sqlx::query(&format!("SELECT {CODE_COLS} FROM one_time_codes WHERE code = $1 AND purpose = $2"))
            .bind(c)
            .bind(purpose)
            .fetch_optional(self.writer())
            .await?;
        Ok(match found {
            Some(row) => {
                let code = code_from_row(&row)?;
                if appid.is_some_and(|a| code.appid.as_ref().map(|c| c.as_str()) != Some(a)) {
                    crate::CodeTake::Missing
                } else {
                    crate::CodeTake::Used(code)
                }
            }
            None => crate::CodeTake::Missing,
        })
    }

    async fn put_grant(&self, g: &crate::Grant) -> crate::Result<()> {
        sqlx::query(&format!("INSERT INTO web_grants ({GRANT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
            .bind(&g.access_token)
            .bind(&g.refresh_token)
            .bind(g.appid.as_str())
            .bind(g.user_id.as_str())
            .bind(&g.openid)
            .bind(&g.scope)
            .bind(g.access_expires_at)
            .bind(g.refresh_expires_at)
            .bind(g.created_at)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn grant(&self, access_token: &str) -> crate::Result<Option<crate::Grant>> {
        let row = sqlx::query(&format!("SELECT {GRANT_COLS} FROM web_grants WHERE access_token = $1")).bind(access_token).fetch_optional(self.reader()).await?;
        row.as_ref().map(grant_from_row).transpose()
    }

    async fn grant_by_refresh(&self, refresh_token: &str) -> crate::Result<Option<crate::Grant>> {
        let row =
            sqlx::query(&format!("SELECT {GRANT_COLS} FROM web_grants WHERE refresh_token = $1")).bind(refresh_token).fetch_optional(self.reader()).await?;
        row.as_ref().map(grant_from_row).transpose()
    }

    async fn renew_grant(&self, refresh_token: &str, access_token: &str, expires_at: i64) -> crate::Result<Option<crate::Grant>> {
        let row = sqlx::query(&format!(
            "UPDATE web_grants SET access_token = $2, access_expires_at = $3 WHERE refresh_token = $1 RETURNING {GRANT_COLS}"
        ))
        .bind(refresh_token)
        .bind(access_token)
        .bind(expires_at)
        .fetch_optional(self.writer())
        .await?;
        row.as_ref().map(grant_from_row).transpose()
    }

    async fn js_ticket(&self, appid: &herald_wire::AppId, kind: &str, fresh: &str, now: i64, ttl: i64) -> crate::Result<(String, i64)> {
        let put: Option<(String, i64)> = sqlx::query_as(
            "INSERT INTO js_tickets (appid, kind, ticket, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (appid, kind) DO UPDATE SET ticket = excluded.ticket, expires_at = excluded.expires_at \
             WHERE js_tickets.expires_at <= $5 RETURNING ticket, expires_at",
        )
        .bind(appid.as_str())
        .bind(kind)
        .bind(fresh)
        .bind(now + ttl)
        .bind(now)
        .fetch_optional(self.writer())
        .await?;
        if let Some(t) = put {
            return Ok(t);
        }
        Ok(sqlx::query_as("SELECT ticket, expires_at FROM js_tickets WHERE appid = $1 AND kind = $2")
            .bind(appid.as_str())
            .bind(kind)
            .fetch_one(self.writer())
            .await?)
    }

    async fn live_js_ticket(&self, appid: &herald_wire::AppId, kind: &str, now: i64) -> crate::Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT ticket FROM js_tickets WHERE appid = $1 AND kind = $2 AND expires_at > $3")
            .bind(appid.as_str())
            .bind(kind)
            .bind(now)
            .fetch_optional(self.reader())
            .await?;
        Ok(row.map(|r| r.0))
    }

    async fn put_session(&self, id_hash: &str, user_id: &herald_wire::UserId, now: i64, expires_at: i64) -> crate::Result<()> {
        sqlx::query("INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(id_hash)
            .bind(user_id.as_str())
            .bind(now)
            .bind(expires_at)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn session(&self, id_hash: &str) -> crate::Result<Option<(herald_wire::UserId, i64)>> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT user_id, expires_at FROM sessions WHERE id_hash = $1").bind(id_hash).fetch_optional(self.reader()).await?;
        Ok(row.map(|(u, e)| (herald_wire::UserId(u), e)))
    }

    async fn delete_session(&self, id_hash: &str) -> crate::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(self.writer()).await?;
        Ok(())
    }

    async fn set_web_domain(&self, appid: &herald_wire::AppId, domain: Option<&str>) -> crate::Result<bool> {
        let done = sqlx::query("UPDATE accounts SET web_domain = $2 WHERE appid = $1").bind(appid.as_str()).bind(domain).execute(self.writer()).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn web_domain(&self, appid: &herald_wire::AppId) -> crate::Result<Option<String>> {
        let row: Option<(Option<String>,)> =
            sqlx::query_as("SELECT web_domain FROM accounts WHERE appid = $1").bind(appid.as_str()).fetch_optional(self.reader()).await?;
        Ok(row.and_then(|r| r.0))
    }

    async fn set_user_profile(&self, user: &herald_wire::UserId, profile: &str) -> crate::Result<bool> {
        let done = sqlx::query("UPDATE users SET profile = $2 WHERE id = $1").bind(user.as_str()).bind(profile).execute(self.writer()).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn set_user_nickname(&self, user: &herald_wire::UserId, nickname: &str) -> crate::Result<bool> {
        let done = sqlx::query("UPDATE users SET nickname = $2 WHERE id = $1").bind(user.as_str()).bind(nickname).execute(self.writer()).await?;
        Ok(done.rows_affected() > 0)
    }
}
