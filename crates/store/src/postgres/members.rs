// MemberStore: organisations' console members, their invitations and second factors.

const MEMBER_COLS: &str = "id, owner_id, email, role, password_hash IS NOT NULL, invite_expires_at, created_at";

fn member_row(r: &DbRow) -> crate::Result<crate::Member> {
    Ok(crate::Member {
        id: r.try_get(0)?,
        owner_id: herald_wire::OwnerId(r.try_get(1)?),
        email: r.try_get(2)?,
        role: r.try_get(3)?,
        accepted: r.try_get(4)?,
        invite_expires_at: r.try_get(5)?,
        created_at: r.try_get(6)?,
    })
}

#[async_trait::async_trait]
impl crate::MemberStore for Backend {
    async fn invite_member(&self, m: &crate::MemberInvite<'_>) -> crate::Result<bool> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('console-email:' || $1))").bind(m.email).execute(&mut *tx).await?;
        let owner: Option<i32> = sqlx::query_scalar("SELECT 1 FROM owner_logins WHERE email = $1").bind(m.email).fetch_optional(&mut *tx).await?;
        if owner.is_some() {
            return Ok(false);
        }
        let held = sqlx::query("SELECT owner_id, password_hash IS NOT NULL FROM console_members WHERE email = $1").bind(m.email).fetch_optional(&mut *tx).await?;
        if let Some(r) = held {
            let (holder, accepted): (String, bool) = (r.try_get(0)?, r.try_get(1)?);
            if holder != m.owner.as_str() || accepted {
                return Ok(false);
            }
            sqlx::query("DELETE FROM console_members WHERE email = $1").bind(m.email).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO console_members (id, owner_id, email, role, invite_hash, invite_expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(m.id)
            .bind(m.owner.as_str())
            .bind(m.email)
            .bind(m.role)
            .bind(m.invite_hash)
            .bind(m.expires_at)
            .bind(m.now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn members(&self, owner: &herald_wire::OwnerId) -> crate::Result<Vec<crate::Member>> {
        let rows = sqlx::query(&format!("SELECT {MEMBER_COLS} FROM console_members WHERE owner_id = $1 ORDER BY created_at, id")).bind(owner.as_str()).fetch_all(self.reader()).await?;
        rows.iter().map(member_row).collect()
    }

    async fn member(&self, id: &str) -> crate::Result<Option<crate::Member>> {
        let row = sqlx::query(&format!("SELECT {MEMBER_COLS} FROM console_members WHERE id = $1")).bind(id).fetch_optional(self.writer()).await?;
        row.as_ref().map(member_row).transpose()
    }

    async fn invited_member(&self, invite_hash: &str, now: i64) -> crate::Result<Option<crate::Member>> {
        let row = sqlx::query(&format!("SELECT {MEMBER_COLS} FROM console_members WHERE invite_hash = $1 AND invite_expires_at > $2"))
            .bind(invite_hash)
            .bind(now)
            .fetch_optional(self.writer())
            .await?;
        row.as_ref().map(member_row).transpose()
    }

    async fn accept_invite(&self, invite_hash: &str, password_hash: &str, now: i64) -> crate::Result<Option<crate::Member>> {
        let row = sqlx::query(&format!(
            "UPDATE console_members SET password_hash = $2, invite_hash = NULL WHERE invite_hash = $1 AND invite_expires_at > $3 RETURNING {MEMBER_COLS}"
        ))
        .bind(invite_hash)
        .bind(password_hash)
        .bind(now)
        .fetch_optional(self.writer())
        .await?;
        row.as_ref().map(member_row).transpose()
    }

    async fn member_login(&self, email: &str) -> crate::Result<Option<(crate::Member, String)>> {
        let row = sqlx::query(&format!("SELECT {MEMBER_COLS}, password_hash FROM console_members WHERE email = $1 AND password_hash IS NOT NULL"))
            .bind(email)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| Ok((member_row(&r)?, r.try_get(7)?))).transpose()
    }

    async fn member_password_hash(&self, id: &str) -> crate::Result<Option<String>> {
        Ok(sqlx::query_scalar::<_, Option<String>>("SELECT password_hash FROM console_members WHERE id = $1").bind(id).fetch_optional(self.writer()).await?.flatten())
    }

    async fn set_member_password_hash(&self, id: &str, password_hash: &str) -> crate::Result<()> {
        sqlx::query("UPDATE console_members SET password_hash = $2 WHERE id = $1").bind(id).bind(password_hash).execute(self.writer()).await?;
        Ok(())
    }

    async fn set_member_role(&self, owner: &herald_wire::OwnerId, id: &str, role: &str) -> crate::Result<bool> {
        let n = sqlx::query("UPDATE console_members SET role = $3 WHERE owner_id = $1 AND id = $2").bind(owner.as_str()).bind(id).bind(role).execute(self.writer()).await?.rows_affected();
        Ok(n == 1)
    }

    async fn remove_member(&self, owner: &herald_wire::OwnerId, id: &str) -> crate::Result<bool> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("DELETE FROM console_members WHERE owner_id = $1 AND id = $2").bind(owner.as_str()).bind(id).execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            sqlx::query("DELETE FROM owner_sessions WHERE member_id = $1").bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn login_totp(&self, login: crate::LoginRef<'_>) -> crate::Result<(Option<String>, Option<String>)> {
        let (sql, key) = match login {
            crate::LoginRef::Owner(o) => ("SELECT totp_secret, totp_pending FROM owner_logins WHERE owner_id = $1", o.as_str()),
            crate::LoginRef::Member(m) => ("SELECT totp_secret, totp_pending FROM console_members WHERE id = $1", m),
        };
        let row = sqlx::query(sql).bind(key).fetch_optional(self.writer()).await?;
        Ok(match row {
            Some(r) => (r.try_get(0)?, r.try_get(1)?),
            None => (None, None),
        })
    }

    async fn set_login_totp(&self, login: crate::LoginRef<'_>, secret: Option<&str>, pending: Option<&str>) -> crate::Result<()> {
        let (sql, key) = match login {
            crate::LoginRef::Owner(o) => ("UPDATE owner_logins SET totp_secret = $2, totp_pending = $3 WHERE owner_id = $1", o.as_str()),
            crate::LoginRef::Member(m) => ("UPDATE console_members SET totp_secret = $2, totp_pending = $3 WHERE id = $1", m),
        };
        sqlx::query(sql).bind(key).bind(secret).bind(pending).execute(self.writer()).await?;
        Ok(())
    }
}
