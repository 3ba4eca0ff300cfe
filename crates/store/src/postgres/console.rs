// ConsoleStore: owners' logins and console sessions, and the console's follower list.

#[async_trait::async_trait]
impl crate::ConsoleStore for Backend {
    async fn set_owner_login(&self, owner: &herald_wire::OwnerId, email: &str, password_hash: &str, now: i64) -> crate::Result<bool> {
        let mut tx = self.begin().await?;
        // One email, one console login: owners' logins and members are checked under one lock.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('console-email:' || $1))").bind(email).execute(&mut *tx).await?;
        let holder: Option<String> = sqlx::query_scalar("SELECT owner_id FROM owner_logins WHERE email = $1 FOR UPDATE").bind(email).fetch_optional(&mut *tx).await?;
        if holder.is_some_and(|h| h != owner.as_str()) {
            return Ok(false);
        }
        let member: Option<i32> = sqlx::query_scalar("SELECT 1 FROM console_members WHERE email = $1").bind(email).fetch_optional(&mut *tx).await?;
        if member.is_some() {
            return Ok(false);
        }
        sqlx::query("DELETE FROM owner_logins WHERE owner_id = $1").bind(owner.as_str()).execute(&mut *tx).await?;
        let n = sqlx::query("INSERT INTO owner_logins (email, owner_id, password_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(email)
            .bind(owner.as_str())
            .bind(password_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n != 1 {
            // Another owner took the email in the meantime.
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn owner_login(&self, email: &str) -> crate::Result<Option<(herald_wire::OwnerId, String)>> {
        let row = sqlx::query("SELECT owner_id, password_hash FROM owner_logins WHERE email = $1").bind(email).fetch_optional(self.reader()).await?;
        row.map(|r| Ok((herald_wire::OwnerId(r.try_get(0)?), r.try_get(1)?))).transpose()
    }

    async fn owner_email(&self, owner: &herald_wire::OwnerId) -> crate::Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT email FROM owner_logins WHERE owner_id = $1").bind(owner.as_str()).fetch_optional(self.reader()).await?)
    }

    async fn set_owner_password_hash(&self, owner: &herald_wire::OwnerId, password_hash: &str) -> crate::Result<()> {
        sqlx::query("UPDATE owner_logins SET password_hash = $2 WHERE owner_id = $1").bind(owner.as_str()).bind(password_hash).execute(self.writer()).await?;
        Ok(())
    }

    async fn put_owner_session(&self, id_hash: &str, s: &crate::ConsoleSession, now: i64, user_agent: &str) -> crate::Result<()> {
        sqlx::query("INSERT INTO owner_sessions (id_hash, owner_id, created_at, expires_at, user_agent, member_id, read_only) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id_hash)
            .bind(s.owner_id.as_str())
            .bind(now)
            .bind(s.expires_at)
            .bind(user_agent)
            .bind(s.member_id.as_deref())
            .bind(s.read_only)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn owner_session(&self, id_hash: &str) -> crate::Result<Option<crate::ConsoleSession>> {
        // The writer: a session just started on this node is found at once.
        let row = sqlx::query("SELECT owner_id, expires_at, member_id, read_only FROM owner_sessions WHERE id_hash = $1").bind(id_hash).fetch_optional(self.writer()).await?;
        row.map(|r| Ok(crate::ConsoleSession { owner_id: herald_wire::OwnerId(r.try_get(0)?), expires_at: r.try_get(1)?, member_id: r.try_get(2)?, read_only: r.try_get(3)? }))
            .transpose()
    }

    async fn delete_owner_session(&self, id_hash: &str) -> crate::Result<()> {
        sqlx::query("DELETE FROM owner_sessions WHERE id_hash = $1").bind(id_hash).execute(self.writer()).await?;
        Ok(())
    }

    async fn owner_sessions(&self, owner: &herald_wire::OwnerId, member: Option<&str>, now: i64) -> crate::Result<Vec<crate::SessionInfo>> {
        let rows = sqlx::query(
            "SELECT id_hash, created_at, expires_at, user_agent FROM owner_sessions \
             WHERE owner_id = $1 AND member_id IS NOT DISTINCT FROM $3 AND NOT read_only AND expires_at > $2 ORDER BY created_at DESC, id_hash",
        )
        .bind(owner.as_str())
        .bind(now)
        .bind(member)
        .fetch_all(self.writer())
        .await?;
        rows.iter()
            .map(|r| Ok(crate::SessionInfo { id_hash: r.try_get(0)?, created_at: r.try_get(1)?, expires_at: r.try_get(2)?, user_agent: r.try_get(3)? }))
            .collect()
    }

    async fn end_owner_sessions(&self, owner: &herald_wire::OwnerId, member: Option<&str>, prefix: &str) -> crate::Result<u64> {
        if !crate::console::valid_prefix(prefix) {
            return Ok(0);
        }
        let n = sqlx::query(
            "DELETE FROM owner_sessions WHERE owner_id = $1 AND member_id IS NOT DISTINCT FROM $3 AND NOT read_only AND substr(id_hash, 1, length($2)) = $2",
        )
        .bind(owner.as_str())
        .bind(prefix)
        .bind(member)
        .execute(self.writer())
        .await?
        .rows_affected();
        Ok(n)
    }

    async fn follower_rows(&self, appid: &herald_wire::AppId, f: &crate::FollowerFilter) -> crate::Result<Vec<crate::FollowerRow>> {
        let search = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let pattern = search.map(crate::console::like_prefix);
        let rows = sqlx::query(
            "SELECT f.follow_order, f.openid, f.user_id, u.nickname, f.remark, f.subscribe_time, f.blacklisted, f.last_interaction_at \
             FROM followers f JOIN users u ON u.id = f.user_id \
             WHERE f.appid = $1 AND f.subscribed AND ($2::BIGINT IS NULL OR f.follow_order < $2) AND ($3::BOOLEAN IS NULL OR f.blacklisted = $3) \
               AND ($4::TEXT IS NULL OR f.openid = $4 OR f.remark LIKE $5 ESCAPE '\\' OR u.nickname LIKE $5 ESCAPE '\\') \
               AND ($7::BIGINT IS NULL OR EXISTS (SELECT 1 FROM follower_tags ft WHERE ft.appid = f.appid AND ft.tag_id = $7 AND ft.follower_seq = f.seq)) \
               AND ($8::BIGINT IS NULL OR f.subscribe_time >= $8) \
             ORDER BY f.follow_order DESC LIMIT $6",
        )
        .bind(appid.as_str())
        .bind(f.before)
        .bind(f.blacklisted)
        .bind(search)
        .bind(pattern)
        .bind(f.limit)
        .bind(f.tag_id)
        .bind(f.since)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(pg_follower_row).collect()
    }

    async fn inbox(&self, appid: &herald_wire::AppId, limit: i64) -> crate::Result<Vec<crate::FollowerRow>> {
        let rows = sqlx::query(
            "SELECT f.follow_order, f.openid, f.user_id, u.nickname, f.remark, f.subscribe_time, f.blacklisted, f.last_interaction_at \
             FROM followers f JOIN users u ON u.id = f.user_id \
             WHERE f.appid = $1 AND f.subscribed AND f.last_interaction_at IS NOT NULL \
             ORDER BY f.last_interaction_at DESC, f.follow_order DESC LIMIT $2",
        )
        .bind(appid.as_str())
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(pg_follower_row).collect()
    }

    async fn account_daily(&self, appid: &herald_wire::AppId, from: i64, to: i64) -> crate::Result<Vec<crate::DailyRow>> {
        let mut tx = self.begin().await?;
        fold_account_daily(&mut tx, appid.as_str()).await?;
        let rows = sqlx::query("SELECT day, follows, unfollows, received, sent FROM account_daily WHERE appid = $1 AND day BETWEEN $2 AND $3 ORDER BY day")
            .bind(appid.as_str())
            .bind(from)
            .bind(to)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| Ok(crate::DailyRow { day: r.try_get(0)?, follows: r.try_get(1)?, unfollows: r.try_get(2)?, received: r.try_get(3)?, sent: r.try_get(4)? }))
            .collect()
    }

    async fn fold_daily(&self) -> crate::Result<u64> {
        let appids: Vec<String> = sqlx::query_scalar("SELECT DISTINCT appid FROM account_daily_log LIMIT 1000").fetch_all(self.reader()).await?;
        let mut folded = 0;
        for appid in appids {
            let mut tx = self.begin().await?;
            folded += fold_account_daily(&mut tx, &appid).await?;
            tx.commit().await?;
        }
        Ok(folded)
    }

    async fn account_call_counts(&self, appid: &herald_wire::AppId, since_ms: i64) -> crate::Result<(i64, i64)> {
        let r = sqlx::query(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE COALESCE(errcode, 0) <> 0 OR status >= 400) FROM request_log \
             WHERE appid = $1 AND at_ms >= $2 AND path NOT LIKE '/herald/%'",
        )
        .bind(appid.as_str())
        .bind(since_ms)
        .fetch_one(self.reader())
        .await?;
        Ok((r.try_get(0)?, r.try_get(1)?))
    }

    async fn quick_replies(&self, appid: &herald_wire::AppId) -> crate::Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT text FROM quick_replies WHERE appid = $1 ORDER BY position").bind(appid.as_str()).fetch_all(self.reader()).await?)
    }

    async fn set_quick_replies(&self, appid: &herald_wire::AppId, replies: &[String]) -> crate::Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM quick_replies WHERE appid = $1").bind(appid.as_str()).execute(&mut *tx).await?;
        for (i, r) in replies.iter().enumerate() {
            sqlx::query("INSERT INTO quick_replies (appid, position, text) VALUES ($1, $2, $3)").bind(appid.as_str()).bind(i as i64).bind(r).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn ip_allow_list(&self, appid: &herald_wire::AppId) -> crate::Result<String> {
        let v: Option<String> = sqlx::query_scalar("SELECT ip_allow_list FROM accounts WHERE appid = $1").bind(appid.as_str()).fetch_optional(self.reader()).await?;
        Ok(v.unwrap_or_default())
    }

    async fn set_ip_allow_list(&self, appid: &herald_wire::AppId, list: &str) -> crate::Result<()> {
        sqlx::query("UPDATE accounts SET ip_allow_list = $2 WHERE appid = $1").bind(appid.as_str()).bind(list).execute(self.writer()).await?;
        Ok(())
    }

    async fn mass_reach(&self, appid: &herald_wire::AppId, target: &serde_json::Value, month: i64, day_start: i64) -> crate::Result<(u64, u64, i64)> {
        // Read in one transaction (rolled back: nothing is written) for a consistent view.
        let mut tx = self.begin().await?;
        let set = pg_target_set(&mut tx, appid.as_str(), target).await?;
        let blob: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT levels FROM mass_quota WHERE appid = $1 AND month = $2").bind(appid.as_str()).bind(month).fetch_optional(&mut *tx).await?;
        let quota = herald_domain::broadcast::MonthQuota::decode(blob.as_deref().unwrap_or_default()).map_err(pg_other)?;
        let today: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mass_messages WHERE appid = $1 AND day_start = $2")
            .bind(appid.as_str())
            .bind(day_start)
            .fetch_one(&mut *tx)
            .await?;
        Ok((set.len(), quota.filtered(&set), today))
    }

    async fn mass_history(&self, appid: &herald_wire::AppId, limit: i64) -> crate::Result<Vec<crate::MassMessage>> {
        let rows = sqlx::query(&format!("SELECT {MASS_COLS} FROM mass_messages WHERE appid = $1 ORDER BY msg_id DESC LIMIT $2"))
            .bind(appid.as_str())
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(mass_from_row).collect()
    }

    async fn qr_codes(&self, appid: &herald_wire::AppId, limit: i64) -> crate::Result<Vec<(crate::QrCode, i64, i64)>> {
        let cols = QR_COLS.split(", ").map(|c| format!("q.{c}")).collect::<Vec<_>>().join(", ");
        let rows = sqlx::query(&format!(
            "SELECT {cols}, (SELECT COUNT(*) FROM followers f WHERE f.appid = q.appid AND f.subscribed AND f.subscribe_scene = 'ADD_SCENE_QR_CODE' AND f.qr_scene = q.scene_id AND f.qr_scene_str = q.scene_str), q.scans FROM qrcodes q WHERE q.appid = $1 AND q.action <> $2 ORDER BY q.created_at DESC, q.ticket LIMIT $3"
        ))
        .bind(appid.as_str())
        .bind(herald_domain::qrcode::ACCOUNT_ACTION)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| Ok((qr_from_row(r)?, r.try_get::<i64, _>(9)?, r.try_get::<i64, _>(10)?))).collect()
    }

    async fn count_qr_scan(&self, ticket: &str) -> crate::Result<()> {
        sqlx::query("UPDATE qrcodes SET scans = scans + 1 WHERE ticket = $1").bind(ticket).execute(self.writer()).await?;
        Ok(())
    }

    async fn recent_messages(&self, appid: &herald_wire::AppId, user: &herald_wire::UserId, limit: i64) -> crate::Result<Vec<crate::StoredMessage>> {
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE conversation_key = $3 AND appid = $1 AND user_id = $2 AND msg_type <> 'event' ORDER BY seq DESC LIMIT $4"
        );
        let rows = sqlx::query(&sql)
            .bind(appid.as_str())
            .bind(user.as_str())
            .bind(crate::conversation_key(appid.as_str(), user.as_str()))
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        let mut out = rows.iter().map(message_from_row).collect::<crate::Result<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }
}

fn pg_follower_row(r: &DbRow) -> crate::Result<crate::FollowerRow> {
    Ok(crate::FollowerRow {
        follow_order: r.try_get(0)?,
        openid: r.try_get(1)?,
        user_id: r.try_get(2)?,
        nickname: r.try_get(3)?,
        remark: r.try_get(4)?,
        subscribe_time: r.try_get(5)?,
        blacklisted: r.try_get(6)?,
        last_interaction_at: r.try_get(7)?,
    })
}

/// Folds an account's logged counts into its days (one folder at a time per account, the days
/// in order); how many log rows it folded.
async fn fold_account_daily(tx: &mut Tx, appid: &str) -> crate::Result<u64> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('account-daily:' || $1))").bind(appid).execute(&mut **tx).await?;
    let n: i64 = sqlx::query_scalar(
        "WITH moved AS (DELETE FROM account_daily_log WHERE appid = $1 RETURNING day, follows, unfollows, received, sent), \
         folded AS (INSERT INTO account_daily (appid, day, follows, unfollows, received, sent) \
           SELECT $1, day, SUM(follows), SUM(unfollows), SUM(received), SUM(sent) FROM moved GROUP BY day ORDER BY day \
           ON CONFLICT (appid, day) DO UPDATE SET follows = account_daily.follows + excluded.follows, unfollows = account_daily.unfollows + excluded.unfollows, \
             received = account_daily.received + excluded.received, sent = account_daily.sent + excluded.sent RETURNING 1) \
         SELECT COUNT(*) FROM moved",
    )
    .bind(appid)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n as u64)
}
