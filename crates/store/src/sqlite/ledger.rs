//! LedgerStore on SQLite.

use async_trait::async_trait;
use herald_domain::ledger::{Book, Fen, Txn};
use rusqlite::{params, OptionalExtension};

use super::SqliteStore;
use crate::ledger::*;
use crate::{Result, StoreError};

#[async_trait]
impl LedgerStore for SqliteStore {
    async fn post(&self, t: &Txn, now: i64) -> Result<Posted> {
        let legs = checked_legs(t)?;
        let out = self.write(|tx| post_in(tx, t, &legs, now))?;
        Ok(out)
    }

    async fn balance(&self, book: &Book) -> Result<Fen> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT balance FROM ledger_books WHERE book = ?1")?.query_row([book.key()], |r| r.get(0)).optional()?.unwrap_or(0))
        })
    }

    async fn entries(&self, book: &Book, limit: i64) -> Result<Vec<Entry>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT e.txn_id, t.reason, e.delta, e.balance_after, t.created_at FROM ledger_entries e \
                 JOIN ledger_txns t ON t.id = e.txn_id WHERE e.book = ?1 ORDER BY e.txn_id DESC LIMIT ?2",
            )?;
            let rows = st
                .query_map(params![book.key(), limit], entry)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn entries_between(&self, book: &Book, from: i64, to: i64) -> Result<Vec<Entry>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT e.txn_id, t.reason, e.delta, e.balance_after, t.created_at FROM ledger_entries e \
                 JOIN ledger_txns t ON t.id = e.txn_id WHERE e.book = ?1 AND t.created_at >= ?2 AND t.created_at < ?3 ORDER BY e.txn_id",
            )?;
            let rows = st
                .query_map(params![book.key(), from, to], entry)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn ledger_audit(&self) -> Result<(Fen, i64, i64)> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT COALESCE(SUM(balance), 0), COUNT(*), COUNT(*) FILTER (WHERE balance < 0 AND book <> 'world') FROM ledger_books",
            )?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?)
        })
    }
}

/// An entry from a row of `e.txn_id, t.reason, e.delta, e.balance_after, t.created_at`.
fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry { txn_id: r.get(0)?, reason: r.get(1)?, delta: r.get(2)?, balance_after: r.get(3)?, created_at: r.get(4)? })
}

/// A transaction's legs, merged, once it is known to balance.
pub(super) fn checked_legs(t: &Txn) -> Result<Vec<(Book, Fen)>> {
    t.check().map_err(|e| StoreError::Other(format!("unbalanced transaction {:?}: {e:?}", t.reason)))?;
    Ok(t.merged())
}

/// Posts `t` inside the caller's transaction (see `LedgerStore::post`).
pub(super) fn post_in(tx: &rusqlite::Transaction<'_>, t: &Txn, legs: &[(Book, Fen)], now: i64) -> Result<Posted> {
    let prior: Option<i64> = tx.prepare_cached("SELECT id FROM ledger_txns WHERE reason = ?1")?.query_row([&t.reason], |r| r.get(0)).optional()?;
    if let Some(id) = prior {
        return Ok(Posted::Duplicate(id));
    }
    let mut after = Vec::with_capacity(legs.len());
    for (book, d) in legs {
        let key = book.key();
        let bal: Fen = tx.prepare_cached("SELECT balance FROM ledger_books WHERE book = ?1")?.query_row([&key], |r| r.get(0)).optional()?.unwrap_or(0);
        if bal + d < 0 && !book.may_go_negative() {
            return Ok(Posted::Insufficient(book.clone(), bal));
        }
        after.push((key, *d, bal + d));
    }
    tx.prepare_cached("INSERT INTO ledger_txns (reason, created_at) VALUES (?1, ?2)")?.execute(params![t.reason, now])?;
    let id = tx.last_insert_rowid();
    for (key, d, bal) in &after {
        tx.prepare_cached("INSERT INTO ledger_books (book, balance) VALUES (?1, ?2) ON CONFLICT (book) DO UPDATE SET balance = excluded.balance")?
            .execute(params![key, bal])?;
        tx.prepare_cached("INSERT INTO ledger_entries (txn_id, book, delta, balance_after) VALUES (?1, ?2, ?3, ?4)")?.execute(params![id, key, d, bal])?;
    }
    Ok(Posted::New(id))
}
