// LedgerStore on PostgreSQL (see the SQLite twin). Books are locked in book order, so two
// transactions touching the same books cannot deadlock; the reason's unique index makes a
// concurrent duplicate fail and roll back, and it is then answered as a duplicate.

#[async_trait::async_trait]
impl crate::LedgerStore for Backend {
    async fn post(&self, t: &herald_domain::ledger::Txn, now: i64) -> crate::Result<crate::Posted> {
        t.check().map_err(|e| crate::StoreError::Other(format!("unbalanced transaction {:?}: {e:?}", t.reason)))?;
        let mut tx = self.begin().await?;
        let out = pg_post_in(&mut tx, t, now).await?;
        match out {
            crate::Posted::New(_) => tx.commit().await?,
            _ => tx.rollback().await?,
        }
        Ok(out)
    }

    async fn balance(&self, book: &herald_domain::ledger::Book) -> crate::Result<i64> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT balance FROM ledger_books WHERE book = $1").bind(book.key()).fetch_optional(self.reader()).await?;
        Ok(row.map(|r| r.0).unwrap_or(0))
    }

    async fn entries(&self, book: &herald_domain::ledger::Book, limit: i64) -> crate::Result<Vec<crate::Entry>> {
        let rows: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT e.txn_id, t.reason, e.delta, e.balance_after, t.created_at FROM ledger_entries e \
             JOIN ledger_txns t ON t.id = e.txn_id WHERE e.book = $1 ORDER BY e.txn_id DESC LIMIT $2",
        )
        .bind(book.key())
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(entry).collect())
    }

    async fn entries_between(&self, book: &herald_domain::ledger::Book, from: i64, to: i64) -> crate::Result<Vec<crate::Entry>> {
        let rows: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT e.txn_id, t.reason, e.delta, e.balance_after, t.created_at FROM ledger_entries e \
             JOIN ledger_txns t ON t.id = e.txn_id WHERE e.book = $1 AND t.created_at >= $2 AND t.created_at < $3 ORDER BY e.txn_id",
        )
        .bind(book.key())
        .bind(from)
        .bind(to)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(entry).collect())
    }

    async fn ledger_audit(&self) -> crate::Result<(i64, i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT COALESCE(SUM(balance), 0)::BIGINT, COUNT(*), COUNT(*) FILTER (WHERE balance < 0 AND book <> 'world') FROM ledger_books",
        )
        .fetch_one(self.reader())
        .await?)
    }
}

/// Posts `t` inside the caller's transaction (see `LedgerStore::post`): books are locked in
/// book order and checked before anything is written, so a refusal leaves nothing to undo.
/// A concurrent duplicate of the reason waits on the unique index and is answered as a
/// duplicate (the caller rolls back).
async fn pg_post_in(tx: &mut Tx, t: &herald_domain::ledger::Txn, now: i64) -> crate::Result<crate::Posted> {
    t.check().map_err(|e| crate::StoreError::Other(format!("unbalanced transaction {:?}: {e:?}", t.reason)))?;
    let prior: Option<(i64,)> = sqlx::query_as("SELECT id FROM ledger_txns WHERE reason = $1").bind(&t.reason).fetch_optional(&mut **tx).await?;
    if let Some((id,)) = prior {
        return Ok(crate::Posted::Duplicate(id));
    }
    let legs = t.merged();
    let mut after = Vec::with_capacity(legs.len());
    for (book, d) in &legs {
        let key = book.key();
        sqlx::query("INSERT INTO ledger_books (book, balance) VALUES ($1, 0) ON CONFLICT (book) DO NOTHING").bind(&key).execute(&mut **tx).await?;
        let (bal,): (i64,) = sqlx::query_as("SELECT balance FROM ledger_books WHERE book = $1 FOR UPDATE").bind(&key).fetch_one(&mut **tx).await?;
        if bal + d < 0 && !book.may_go_negative() {
            return Ok(crate::Posted::Insufficient(book.clone(), bal));
        }
        after.push((key, *d, bal + d));
    }
    let inserted: Option<(i64,)> =
        sqlx::query_as("INSERT INTO ledger_txns (reason, created_at) VALUES ($1, $2) ON CONFLICT (reason) DO NOTHING RETURNING id")
            .bind(&t.reason)
            .bind(now)
            .fetch_optional(&mut **tx)
            .await?;
    let Some((id,)) = inserted else {
        // A concurrent transaction posted the same reason and committed first.
        let (id,): (i64,) = sqlx::query_as("SELECT id FROM ledger_txns WHERE reason = $1").bind(&t.reason).fetch_one(&mut **tx).await?;
        return Ok(crate::Posted::Duplicate(id));
    };
    for (key, d, bal) in &after {
        sqlx::query("UPDATE ledger_books SET balance = $2 WHERE book = $1").bind(key).bind(bal).execute(&mut **tx).await?;
        sqlx::query("INSERT INTO ledger_entries (txn_id, book, delta, balance_after) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(key)
            .bind(d)
            .bind(bal)
            .execute(&mut **tx)
            .await?;
    }
    Ok(crate::Posted::New(id))
}

/// An entry from `(txn_id, reason, delta, balance_after, created_at)`.
fn entry((txn_id, reason, delta, balance_after, created_at): (i64, String, i64, i64, i64)) -> crate::Entry {
    crate::Entry { txn_id, reason, delta, balance_after, created_at }
}
