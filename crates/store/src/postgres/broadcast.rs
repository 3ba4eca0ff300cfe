// BroadcastStore on PostgreSQL (see the SQLite twin for what each step means). Read-modify-write
// of a follower set or a month's quota is serialised across nodes by an advisory lock.

const MASS_COLS: &str = "msg_id, appid, msgtype, payload, articles, target, client_msg_id, status, total_count, filter_count, \
     sent_count, error_count, deleted, day_start, created_at, finished_at";
const PG_MASS_QUEUE: &str = "~mass";

fn mass_from_row(r: &DbRow) -> crate::Result<crate::MassMessage> {
    Ok(crate::MassMessage {
        msg_id: r.try_get(0)?,
        appid: herald_wire::AppId(r.try_get(1)?),
        msgtype: r.try_get(2)?,
        payload: r.try_get(3)?,
        articles: r.try_get(4)?,
        target: r.try_get(5)?,
        client_msg_id: r.try_get(6)?,
        status: r.try_get(7)?,
        total: r.try_get(8)?,
        filtered: r.try_get(9)?,
        sent: r.try_get(10)?,
        errors: r.try_get(11)?,
        deleted: r.try_get(12)?,
        day_start: r.try_get(13)?,
        created_at: r.try_get(14)?,
        finished_at: r.try_get(15)?,
    })
}

fn pg_other(e: String) -> crate::StoreError {
    crate::StoreError::Other(e)
}

async fn pg_mass_by_id<'e, E: sqlx::PgExecutor<'e>>(e: E, appid: &str, msg_id: i64) -> crate::Result<Option<crate::MassMessage>> {
    let row = sqlx::query(&format!("SELECT {MASS_COLS} FROM mass_messages WHERE appid = $1 AND msg_id = $2"))
        .bind(appid)
        .bind(msg_id)
        .fetch_optional(e)
        .await?;
    row.as_ref().map(mass_from_row).transpose()
}

async fn advisory_lock(tx: &mut Tx, key: &str) -> crate::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))").bind(key).execute(&mut **tx).await?;
    Ok(())
}

async fn pg_set_member(tx: &mut Tx, appid: &str, seq: i64, on: bool) -> crate::Result<()> {
    let chunk = herald_domain::broadcast::chunk_of(seq);
    let mut set = pg_locked_member_set(tx, appid, chunk).await?;
    let changed = if on { set.insert(seq as u64) } else { set.remove(seq as u64) };
    if changed {
        pg_put_member_set(tx, appid, chunk, &set).await?;
    }
    Ok(())
}

/// One piece of the account's follower set, locked for this transaction.
async fn pg_locked_member_set(tx: &mut Tx, appid: &str, chunk: i64) -> crate::Result<roaring::RoaringTreemap> {
    advisory_lock(tx, &format!("{appid}/set/{chunk}")).await?;
    let blob: Option<(Vec<u8>,)> = sqlx::query_as("SELECT members FROM follower_sets WHERE appid = $1 AND chunk = $2")
        .bind(appid)
        .bind(chunk)
        .fetch_optional(&mut **tx)
        .await?;
    herald_domain::broadcast::decode_set(blob.as_ref().map(|b| b.0.as_slice()).unwrap_or_default()).map_err(pg_other)
}

async fn pg_put_member_set(tx: &mut Tx, appid: &str, chunk: i64, set: &roaring::RoaringTreemap) -> crate::Result<()> {
    sqlx::query(
        "INSERT INTO follower_sets (appid, chunk, members) VALUES ($1, $2, $3) \
         ON CONFLICT (appid, chunk) DO UPDATE SET members = excluded.members",
    )
    .bind(appid)
    .bind(chunk)
    .bind(herald_domain::broadcast::encode_set(set))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn pg_sync_member(tx: &mut Tx, appid: &str, user: &str) -> crate::Result<()> {
    let row: Option<(i64, bool)> = sqlx::query_as("SELECT seq, subscribed FROM followers WHERE appid = $1 AND user_id = $2")
        .bind(appid)
        .bind(user)
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        Some((seq, on)) => pg_set_member(tx, appid, seq, on).await,
        None => Ok(()),
    }
}

async fn pg_seqs(tx: &mut Tx, sql: &str, appid: &str, arg: Option<i64>) -> crate::Result<roaring::RoaringTreemap> {
    let mut q = sqlx::query_as::<_, (i64,)>(sql).bind(appid);
    if let Some(a) = arg {
        q = q.bind(a);
    }
    Ok(q.fetch_all(&mut **tx).await?.into_iter().map(|(s,)| s as u64).collect())
}

async fn pg_target_set(tx: &mut Tx, appid: &str, target: &serde_json::Value) -> crate::Result<roaring::RoaringTreemap> {
    let mut set = if let Some(tag) = target.get("tag_id").and_then(serde_json::Value::as_i64) {
        pg_seqs(
            tx,
            "SELECT f.seq FROM follower_tags ft JOIN followers f ON f.seq = ft.follower_seq \
             WHERE ft.appid = $1 AND ft.tag_id = $2 AND f.subscribed = TRUE",
            appid,
            Some(tag),
        )
        .await?
    } else if let Some(list) = target.get("openids").and_then(serde_json::Value::as_array) {
        let openids: Vec<String> = list.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
        sqlx::query_as::<_, (i64,)>("SELECT seq FROM followers WHERE appid = $1 AND openid = ANY($2) AND subscribed = TRUE")
            .bind(appid)
            .bind(&openids)
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .map(|(s,)| s as u64)
            .collect()
    } else {
        let mut set = roaring::RoaringTreemap::new();
        let rows: Vec<(Vec<u8>,)> =
            sqlx::query_as("SELECT members FROM follower_sets WHERE appid = $1").bind(appid).fetch_all(&mut **tx).await?;
        for (blob,) in rows {
            set |= herald_domain::broadcast::decode_set(&blob).map_err(pg_other)?;
        }
        set
    };
    set -= pg_seqs(tx, "SELECT seq FROM followers WHERE appid = $1 AND blacklisted = TRUE", appid, None).await?;
    Ok(set)
}

async fn pg_insert_event_job(tx: &mut Tx, appid: &str, payload: &str, now_ms: i64) -> crate::Result<()> {
    let job = NewJob { kind: "callback", appid, user_id: None, message_seq: None, payload, run_at: now_ms };
    insert_job(tx, &job).await?;
    Ok(())
}

async fn pg_has_server(tx: &mut Tx, appid: &str) -> crate::Result<bool> {
    let r: Option<(bool,)> =
        sqlx::query_as("SELECT server_url IS NOT NULL FROM accounts WHERE appid = $1").bind(appid).fetch_optional(&mut **tx).await?;
    Ok(r.map(|r| r.0).unwrap_or(false))
}

async fn pg_quota(e: impl sqlx::PgExecutor<'_>, appid: &str, month: i64) -> crate::Result<herald_domain::broadcast::MonthQuota> {
    let blob: Option<(Vec<u8>,)> = sqlx::query_as("SELECT levels FROM mass_quota WHERE appid = $1 AND month = $2")
        .bind(appid)
        .bind(month)
        .fetch_optional(e)
        .await?;
    herald_domain::broadcast::MonthQuota::decode(blob.as_ref().map(|b| b.0.as_slice()).unwrap_or_default()).map_err(pg_other)
}

#[async_trait::async_trait]
impl crate::BroadcastStore for Backend {
    async fn create_mass(&self, m: &crate::NewMass, now_ms: i64) -> crate::Result<(crate::MassMessage, bool)> {
        let mut tx = self.begin().await?;
        let appid = m.appid.as_str();
        advisory_lock(&mut tx, &format!("{appid}/mass")).await?;
        if let Some(cid) = &m.client_msg_id {
            let row = sqlx::query(&format!("SELECT {MASS_COLS} FROM mass_messages WHERE appid = $1 AND client_msg_id = $2"))
                .bind(appid)
                .bind(cid)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(r) = row {
                return Ok((mass_from_row(&r)?, false));
            }
        }
        if let Some(limit) = m.daily_limit {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM mass_messages WHERE appid = $1 AND day_start = $2")
                .bind(appid)
                .bind(m.day_start)
                .fetch_one(&mut *tx)
                .await?;
            if n >= limit {
                return Err(crate::StoreError::Rejected(herald_wire::ErrCode::NoMassQuota));
            }
        }
        let (msg_id,): (i64,) = sqlx::query_as(
            "INSERT INTO mass_messages (appid, msgtype, payload, articles, target, client_msg_id, status, day_start, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'SENDING', $7, $8) RETURNING msg_id",
        )
        .bind(appid)
        .bind(&m.msgtype)
        .bind(&m.payload)
        .bind(&m.articles)
        .bind(&m.target)
        .bind(&m.client_msg_id)
        .bind(m.day_start)
        .bind(m.created_at)
        .fetch_one(&mut *tx)
        .await?;
        // One at a time per account, in order (the "{appid}/mass" lock serialises the hand-over).
        let payload = msg_id.to_string();
        let job = NewJob { kind: "mass", appid, user_id: Some(PG_MASS_QUEUE), message_seq: None, payload: &payload, run_at: now_ms };
        insert_job(&mut tx, &job).await?;
        let out = pg_mass_by_id(&mut *tx, appid, msg_id).await?.ok_or(crate::StoreError::NotFound)?;
        tx.commit().await?;
        Ok((out, true))
    }

    async fn mass(&self, appid: &herald_wire::AppId, msg_id: i64) -> crate::Result<Option<crate::MassMessage>> {
        pg_mass_by_id(self.reader(), appid.as_str(), msg_id).await
    }

    async fn delete_mass(&self, appid: &herald_wire::AppId, msg_id: i64, article_idx: i64) -> crate::Result<bool> {
        let mut tx = self.begin().await?;
        // Lock the row: deletes and the fan-out's finish read and then write it.
        sqlx::query("SELECT 1 FROM mass_messages WHERE appid = $1 AND msg_id = $2 FOR UPDATE")
            .bind(appid.as_str())
            .bind(msg_id)
            .execute(&mut *tx)
            .await?;
        let Some(m) = pg_mass_by_id(&mut *tx, appid.as_str(), msg_id).await? else { return Ok(false) };
        let deleted = herald_domain::broadcast::mark_deleted(&m.deleted, article_idx, None);
        let status = if deleted == "*" { "DELETE" } else { m.status.as_str() };
        sqlx::query("UPDATE mass_messages SET deleted = $3, status = $4 WHERE appid = $1 AND msg_id = $2")
            .bind(appid.as_str())
            .bind(msg_id)
            .bind(&deleted)
            .bind(status)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn run_mass(&self, job_id: i64, worker: &str, now_ms: i64, event: crate::MassEvent<'_>) -> crate::Result<bool> {
        let mut tx = self.begin().await?;
        // The account's mass lock first, then the job's row: queueing the next mass message
        // takes them in the same order (it writes this row's next_id).
        let owner: Option<(String,)> = sqlx::query_as("SELECT appid FROM jobs WHERE id = $1").bind(job_id).fetch_optional(&mut *tx).await?;
        let Some((appid,)) = owner else { return Ok(false) };
        advisory_lock(&mut tx, &format!("{appid}/mass")).await?;
        let job: Option<(String,)> = sqlx::query_as(
            "SELECT (SELECT payload FROM job_payloads WHERE job_id = jobs.id) FROM jobs \
             WHERE id = $1 AND state = 'pending' AND EXISTS (SELECT 1 FROM ready_jobs WHERE job_id = $1 AND locked_by = $2) FOR UPDATE",
        )
        .bind(job_id)
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((payload,)) = job else { return Ok(false) };
        let msg_id: i64 = payload.parse().map_err(|_| pg_other(format!("bad mass job payload {payload:?}")))?;
        let m = pg_mass_by_id(&mut *tx, &appid, msg_id).await?.ok_or(crate::StoreError::NotFound)?;
        let month = herald_domain::broadcast::month_key(m.created_at);
        let (ty,): (String,) =
            sqlx::query_as("SELECT account_type FROM accounts WHERE appid = $1").bind(&appid).fetch_one(&mut *tx).await?;
        let target: serde_json::Value = serde_json::from_str(&m.target).map_err(|e| pg_other(e.to_string()))?;
        let set = pg_target_set(&mut tx, &appid, &target).await?;
        let total = set.len();
        let (recipients, filtered) =
            if herald_domain::account::AccountType::parse(&ty) == Some(herald_domain::account::AccountType::Service) {
                let mut quota = pg_quota(&mut *tx, &appid, month).await?;
                let r = quota.apply(&set);
                sqlx::query(
                    "INSERT INTO mass_quota (appid, month, levels) VALUES ($1, $2, $3) \
                     ON CONFLICT (appid, month) DO UPDATE SET levels = excluded.levels",
                )
                .bind(&appid)
                .bind(month)
                .bind(quota.encode())
                .execute(&mut *tx)
                .await?;
                (r.recipients, r.filtered)
            } else {
                (set, 0)
            };
        // The status is decided by the UPDATE itself: a delete that committed while the fan-out
        // ran (READ COMMITTED re-reads the row) keeps DELETE.
        sqlx::query(
            "UPDATE mass_messages SET status = CASE WHEN status = 'DELETE' THEN 'DELETE' ELSE $2 END, total_count = $3, \
             filter_count = $4, sent_count = $5, error_count = 0, finished_at = $6 WHERE msg_id = $1",
        )
        .bind(msg_id)
        .bind("SEND_SUCCESS")
        .bind(total as i64)
        .bind(filtered as i64)
        .bind(recipients.len() as i64)
        .bind(now_ms / 1000)
        .execute(&mut *tx)
        .await?;
        let (chunks, blobs): (Vec<i64>, Vec<Vec<u8>>) = herald_domain::broadcast::split_chunks(&recipients)
            .into_iter()
            .map(|(c, part)| (c, herald_domain::broadcast::encode_set(&part)))
            .unzip();
        sqlx::query("INSERT INTO mass_recipients (msg_id, chunk, members) SELECT $1, c, m FROM UNNEST($2::bigint[], $3::bytea[]) AS t(c, m)")
            .bind(msg_id)
            .bind(&chunks)
            .bind(&blobs)
            .execute(&mut *tx)
            .await?;
        end_job(&mut tx, job_id, now_ms).await?;
        let done = pg_mass_by_id(&mut *tx, &appid, msg_id).await?.ok_or(crate::StoreError::NotFound)?;
        if pg_has_server(&mut tx, &appid).await? {
            if let Some(xml) = event(&done) {
                pg_insert_event_job(&mut tx, &appid, &xml, now_ms).await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn mass_inbox(&self, user: &herald_wire::UserId, limit: usize) -> crate::Result<Vec<crate::MassMessage>> {
        let follows: Vec<(i64, String)> =
            sqlx::query_as("SELECT seq, appid FROM followers WHERE user_id = $1").bind(user.as_str()).fetch_all(self.reader()).await?;
        let mut out = Vec::new();
        let cols = MASS_COLS.split(", ").map(|c| format!("m.{c}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT {cols}, r.members FROM mass_messages m JOIN mass_recipients r ON r.msg_id = m.msg_id AND r.chunk = $2 \
             WHERE m.appid = $1 AND m.status = 'SEND_SUCCESS' ORDER BY m.msg_id DESC LIMIT $3"
        );
        for (seq, appid) in follows {
            let rows = sqlx::query(&sql).bind(&appid).bind(herald_domain::broadcast::chunk_of(seq)).bind(limit as i64).fetch_all(self.reader()).await?;
            for r in &rows {
                let blob: Vec<u8> = r.try_get(16)?;
                if herald_domain::broadcast::decode_set(&blob).map_err(pg_other)?.contains(seq as u64) {
                    out.push(mass_from_row(r)?);
                }
            }
        }
        out.sort_by_key(|m| std::cmp::Reverse((m.created_at, m.msg_id)));
        out.truncate(limit);
        Ok(out)
    }

    async fn mass_received(&self, appid: &herald_wire::AppId, openid: &str, month: i64) -> crate::Result<i64> {
        let seq: Option<(i64,)> = sqlx::query_as("SELECT seq FROM followers WHERE appid = $1 AND openid = $2")
            .bind(appid.as_str())
            .bind(openid)
            .fetch_optional(self.reader())
            .await?;
        let Some((seq,)) = seq else { return Ok(0) };
        Ok(pg_quota(self.reader(), appid.as_str(), month).await?.received(seq as u64) as i64)
    }

    async fn account_settings(&self, appid: &herald_wire::AppId) -> crate::Result<crate::AccountSettings> {
        let r: Option<(Option<i64>, Option<i64>, Option<i64>, i64)> =
            sqlx::query_as("SELECT industry1, industry2, industry_set_at, mass_speed FROM account_settings WHERE appid = $1")
                .bind(appid.as_str())
                .fetch_optional(self.reader())
                .await?;
        Ok(r.map(|(industry1, industry2, industry_set_at, mass_speed)| crate::AccountSettings { industry1, industry2, industry_set_at, mass_speed })
            .unwrap_or_default())
    }

    async fn set_industry(&self, appid: &herald_wire::AppId, id1: i64, id2: i64, now: i64) -> crate::Result<()> {
        sqlx::query(
            "INSERT INTO account_settings (appid, industry1, industry2, industry_set_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (appid) DO UPDATE SET industry1 = $2, industry2 = $3, industry_set_at = $4",
        )
        .bind(appid.as_str())
        .bind(id1)
        .bind(id2)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn set_mass_speed(&self, appid: &herald_wire::AppId, speed: i64) -> crate::Result<()> {
        sqlx::query("INSERT INTO account_settings (appid, mass_speed) VALUES ($1, $2) ON CONFLICT (appid) DO UPDATE SET mass_speed = $2")
            .bind(appid.as_str())
            .bind(speed)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn add_template(&self, appid: &herald_wire::AppId, short_id: &str, fresh_id: &str, max: usize, now: i64) -> crate::Result<String> {
        let mut tx = self.begin().await?;
        advisory_lock(&mut tx, &format!("{}/templates", appid.as_str())).await?;
        let found: Option<(String,)> = sqlx::query_as("SELECT template_id FROM templates WHERE appid = $1 AND short_id = $2")
            .bind(appid.as_str())
            .bind(short_id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some((id,)) = found {
            return Ok(id);
        }
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM templates WHERE appid = $1").bind(appid.as_str()).fetch_one(&mut *tx).await?;
        if n as usize >= max {
            return Err(crate::StoreError::Rejected(herald_wire::ErrCode::TooManyTemplates));
        }
        sqlx::query("INSERT INTO templates (template_id, appid, short_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(fresh_id)
            .bind(appid.as_str())
            .bind(short_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(fresh_id.to_string())
    }

    async fn templates(&self, appid: &herald_wire::AppId) -> crate::Result<Vec<crate::AccountTemplate>> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT template_id, short_id, created_at FROM templates WHERE appid = $1 ORDER BY created_at, template_id")
                .bind(appid.as_str())
                .fetch_all(self.reader())
                .await?;
        Ok(rows.into_iter().map(|(template_id, short_id, created_at)| crate::AccountTemplate { template_id, short_id, created_at }).collect())
    }

    async fn delete_template(&self, appid: &herald_wire::AppId, template_id: &str) -> crate::Result<bool> {
        let done = sqlx::query("DELETE FROM templates WHERE appid = $1 AND template_id = $2")
            .bind(appid.as_str())
            .bind(template_id)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn append_with_event(&self, msg: &crate::NewMessage, event: Option<crate::MessageEvent<'_>>, now_ms: i64) -> crate::Result<crate::StoredMessage> {
        let mut tx = self.begin().await?;
        let mut stored = insert_message(&mut tx, msg).await?;
        let id = herald_domain::conversation::MSG_ID_BASE + stored.seq;
        sqlx::query("UPDATE messages SET msg_id = $2 WHERE seq = $1").bind(stored.seq).bind(id).execute(&mut *tx).await?;
        stored.msg_id = Some(id);
        if let Some(build) = event {
            if pg_has_server(&mut tx, msg.appid.as_str()).await? {
                pg_insert_event_job(&mut tx, msg.appid.as_str(), &build(id), now_ms).await?;
            }
        }
        tx.commit().await?;
        Ok(stored)
    }

    async fn mark_read(&self, user: &herald_wire::UserId, appid: &herald_wire::AppId, read_seq: i64, read_at: i64) -> crate::Result<()> {
        sqlx::query(
            "INSERT INTO chat_reads (user_id, appid, read_seq, read_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, appid) DO UPDATE SET read_seq = GREATEST(chat_reads.read_seq, $3), \
             read_at = GREATEST(chat_reads.read_at, $4)",
        )
        .bind(user.as_str())
        .bind(appid.as_str())
        .bind(read_seq)
        .bind(read_at)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn chat_reads(&self, user: &herald_wire::UserId) -> crate::Result<Vec<crate::ChatRead>> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as("SELECT appid, read_seq, read_at FROM chat_reads WHERE user_id = $1")
            .bind(user.as_str())
            .fetch_all(self.reader())
            .await?;
        Ok(rows.into_iter().map(|(a, read_seq, read_at)| crate::ChatRead { appid: herald_wire::AppId(a), read_seq, read_at }).collect())
    }

    async fn chat_tail(&self, appid: &herald_wire::AppId, user: &herald_wire::UserId, after_seq: i64) -> crate::Result<(Option<crate::StoredMessage>, i64)> {
        let key = crate::conversation_key(appid.as_str(), user.as_str());
        let row = sqlx::query(&format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE conversation_key = $3 AND appid = $1 AND user_id = $2 AND msg_type <> 'event' ORDER BY seq DESC LIMIT 1"
        ))
        .bind(appid.as_str())
        .bind(user.as_str())
        .bind(key)
        .fetch_optional(self.reader())
        .await?;
        let last = row.as_ref().map(message_from_row).transpose()?;
        let (unread,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM messages WHERE conversation_key = $4 AND appid = $1 AND user_id = $2 AND seq > $3 AND direction = 'out'")
                .bind(appid.as_str())
                .bind(user.as_str())
                .bind(after_seq)
                .bind(key)
                .fetch_one(self.reader())
                .await?;
        Ok((last, unread))
    }

    async fn bulk_follow(&self, appid: &herald_wire::AppId, n: u64, now: i64) -> crate::Result<herald_wire::UserId> {
        let mut tx = self.begin().await?;
        let (owner,): (String,) = sqlx::query_as("SELECT owner_id FROM accounts WHERE appid = $1").bind(appid.as_str()).fetch_one(&mut *tx).await?;
        let tag = format!("{:08x}", rand::random::<u32>());
        // In slices, with arrays, so a large seed is a few hundred statements.
        let mut set = roaring::RoaringTreemap::new();
        let mut start = 0u64;
        while start < n {
            let end = (start + 10_000).min(n);
            let ids: Vec<String> = (start..end).map(|i| format!("u_bulk{tag}{i:09}")).collect();
            let unions: Vec<String> = (start..end).map(|i| format!("oBulk{tag}{i:012}")).collect();
            let openids: Vec<String> = (start..end).map(|i| format!("oBulkOpen{tag}{i:012}")).collect();
            let orders: Vec<i64> = (start..end).map(|i| i as i64).collect();
            sqlx::query("INSERT INTO users (id, nickname, created_at) SELECT id, 'Bulk', $2 FROM UNNEST($1::text[]) AS t(id)")
                .bind(&ids)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO unionids (owner_id, user_id, unionid) SELECT $1, u, x FROM UNNEST($2::text[], $3::text[]) AS t(u, x)")
                .bind(&owner)
                .bind(&ids)
                .bind(&unions)
                .execute(&mut *tx)
                .await?;
            let seqs: Vec<(i64,)> = sqlx::query_as(
                "INSERT INTO followers (appid, user_id, openid, unionid, subscribed, follow_order, subscribe_time, \
                 unsubscribe_time, subscribe_scene, qr_scene, qr_scene_str, remark, blacklisted, blacklist_order) \
                 SELECT $1, u, o, x, TRUE, n, $5, NULL, 'ADD_SCENE_OTHERS', 0, '', '', FALSE, NULL \
                 FROM UNNEST($2::text[], $3::text[], $4::text[], $6::bigint[]) AS t(u, o, x, n) RETURNING seq",
            )
            .bind(appid.as_str())
            .bind(&ids)
            .bind(&openids)
            .bind(&unions)
            .bind(now)
            .bind(&orders)
            .fetch_all(&mut *tx)
            .await?;
            set.extend(seqs.into_iter().map(|(s,)| s as u64));
            start = end;
        }
        let chunk_sets = herald_domain::broadcast::split_chunks(&set);
        for (chunk, part) in chunk_sets {
            let mut existing = pg_locked_member_set(&mut tx, appid.as_str(), chunk).await?;
            existing |= part;
            pg_put_member_set(&mut tx, appid.as_str(), chunk, &existing).await?;
        }
        tx.commit().await?;
        Ok(herald_wire::UserId(format!("u_bulk{tag}{:09}", 0)))
    }
}
