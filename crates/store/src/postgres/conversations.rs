// ConversationStore and AutoReplyStore on PostgreSQL.

const MESSAGE_COLS: &str = "seq, appid, user_id, openid, direction, source, msg_type, body, msg_id, reply_for, created_at";

fn message_from_row(r: &DbRow) -> crate::Result<crate::StoredMessage> {
    let dir: String = r.try_get(4)?;
    Ok(crate::StoredMessage {
        seq: r.try_get(0)?,
        msg_id: r.try_get(8)?,
        reply_for: r.try_get(9)?,
        message: crate::NewMessage {
            appid: herald_wire::AppId(r.try_get(1)?),
            user_id: herald_wire::UserId(r.try_get(2)?),
            openid: herald_wire::OpenId(r.try_get(3)?),
            direction: crate::Direction::parse(&dir).ok_or_else(|| bad_value("direction", &dir))?,
            source: r.try_get(5)?,
            msg_type: r.try_get(6)?,
            body: r.try_get(7)?,
            created_at: r.try_get(10)?,
        },
    })
}

/// Inserts a message; the stored row.
async fn insert_message(tx: &mut Tx, m: &crate::NewMessage) -> crate::Result<crate::StoredMessage> {
    let sql = format!(
        "INSERT INTO messages (appid, user_id, openid, direction, source, msg_type, body, msg_id, reply_for, reply_key, created_at, conversation_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, NULL, $8, $9) RETURNING {MESSAGE_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(m.appid.as_str())
        .bind(m.user_id.as_str())
        .bind(m.openid.as_str())
        .bind(m.direction.as_str())
        .bind(&m.source)
        .bind(&m.msg_type)
        .bind(&m.body)
        .bind(m.created_at)
        .bind(m.key())
        .fetch_one(&mut **tx)
        .await?;
    message_from_row(&row)
}

/// What jobs' deliveries put in their conversations (replies and notices), column by column.
#[derive(Default)]
struct ReplyColumns<'a> {
    appid: Vec<&'a str>,
    user_id: Vec<&'a str>,
    openid: Vec<&'a str>,
    direction: Vec<&'a str>,
    source: Vec<&'a str>,
    msg_type: Vec<&'a str>,
    body: Vec<&'a str>,
    job: Vec<i64>,
    reply_key: Vec<String>,
    created_at: Vec<i64>,
    conversation_key: Vec<i64>,
}

impl<'a> ReplyColumns<'a> {
    fn push(&mut self, m: &'a crate::NewMessage, job: i64, round: i64) {
        self.appid.push(m.appid.as_str());
        self.user_id.push(m.user_id.as_str());
        self.openid.push(m.openid.as_str());
        self.direction.push(m.direction.as_str());
        self.source.push(&m.source);
        self.msg_type.push(&m.msg_type);
        self.body.push(&m.body);
        self.job.push(job);
        self.reply_key.push(format!("{job}:{round}"));
        self.created_at.push(m.created_at);
        self.conversation_key.push(m.key());
    }
}

/// Inserts them in order, each at most once per round of its job (one already there is
/// left as it is).
async fn insert_replies(tx: &mut Tx, r: &ReplyColumns<'_>) -> crate::Result<()> {
    if r.job.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO messages (appid, user_id, openid, direction, source, msg_type, body, msg_id, reply_for, reply_key, created_at, conversation_key) \
         SELECT appid, user_id, openid, direction, source, msg_type, body, NULL, job, reply_key, created_at, conversation_key \
         FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::BIGINT[], $9::TEXT[], $10::BIGINT[], $11::BIGINT[]) \
           WITH ORDINALITY AS u(appid, user_id, openid, direction, source, msg_type, body, job, reply_key, created_at, conversation_key, o) \
         ORDER BY o ON CONFLICT (reply_key) DO NOTHING",
    )
    .bind(&r.appid)
    .bind(&r.user_id)
    .bind(&r.openid)
    .bind(&r.direction)
    .bind(&r.source)
    .bind(&r.msg_type)
    .bind(&r.body)
    .bind(&r.job)
    .bind(&r.reply_key)
    .bind(&r.created_at)
    .bind(&r.conversation_key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl crate::ConversationStore for Backend {
    async fn record_inbound(
        &self,
        m: &crate::NewMessage,
        with_msg_id: bool,
        opens_window: bool,
        callback: Option<crate::CallbackBuilder<'_>>,
        now_ms: i64,
    ) -> crate::Result<(crate::StoredMessage, Option<i64>)> {
        let mut tx = self.begin().await?;
        let mut stored = insert_message(&mut tx, m).await?;
        if with_msg_id {
            let id = herald_domain::conversation::MSG_ID_BASE + stored.seq;
            sqlx::query("UPDATE messages SET msg_id = $2 WHERE seq = $1").bind(stored.seq).bind(id).execute(&mut *tx).await?;
            stored.msg_id = Some(id);
        }
        if opens_window {
            sqlx::query("UPDATE followers SET last_interaction_at = $3 WHERE appid = $1 AND user_id = $2")
                .bind(m.appid.as_str())
                .bind(m.user_id.as_str())
                .bind(m.created_at)
                .execute(&mut *tx)
                .await?;
        }
        let job = match callback {
            None => None,
            Some(build) => {
                let payload = build(stored.msg_id);
                // Queued behind the conversation's pending callbacks, if any (see `insert_job`).
                lock_conversation(&mut tx, m.appid.as_str(), Some(m.user_id.as_str())).await?;
                let job = NewJob {
                    kind: "callback",
                    appid: m.appid.as_str(),
                    user_id: Some(m.user_id.as_str()),
                    message_seq: Some(stored.seq),
                    payload: &payload,
                    run_at: now_ms,
                };
                let id = insert_job(&mut tx, &job).await?;
                Some(id)
            }
        };
        tx.commit().await?;
        Ok((stored, job))
    }

    async fn append_outbound(&self, m: &crate::NewMessage) -> crate::Result<crate::StoredMessage> {
        let mut tx = self.begin().await?;
        let stored = insert_message(&mut tx, m).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn conversation(
        &self,
        appid: &herald_wire::AppId,
        user: &herald_wire::UserId,
        after_seq: i64,
        limit: usize,
        include_events: bool,
    ) -> crate::Result<Vec<crate::StoredMessage>> {
        let events = if include_events { "" } else { " AND msg_type <> 'event'" };
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE conversation_key = $5 AND appid = $1 AND user_id = $2 AND seq > $3{events} ORDER BY seq LIMIT $4"
        );
        let rows = sqlx::query(&sql)
            .bind(appid.as_str())
            .bind(user.as_str())
            .bind(after_seq)
            .bind(limit as i64)
            .bind(crate::conversation_key(appid.as_str(), user.as_str()))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(message_from_row).collect()
    }
}

#[async_trait::async_trait]
impl crate::AutoReplyStore for Backend {
    async fn auto_replies(&self, appid: &herald_wire::AppId) -> crate::Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT config FROM auto_replies WHERE appid = $1")
            .bind(appid.as_str())
            .fetch_optional(self.reader())
            .await?;
        Ok(row.map(|r| r.0))
    }

    async fn set_auto_replies(&self, appid: &herald_wire::AppId, config: &str) -> crate::Result<()> {
        sqlx::query("INSERT INTO auto_replies (appid, config) VALUES ($1, $2) ON CONFLICT (appid) DO UPDATE SET config = excluded.config")
            .bind(appid.as_str())
            .bind(config)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}
