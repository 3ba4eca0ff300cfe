//! Storage of the money ledger (rules: `herald_domain::ledger`). A transaction is posted in
//! one database transaction: its row, its entries and the new balances, or nothing.

use async_trait::async_trait;
use herald_domain::ledger::{Book, Fen, Txn};

use crate::Result;

/// What posting a transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// Posted now, as transaction `id`.
    New(i64),
    /// A transaction with the same reason was posted before (as `id`); nothing moved.
    Duplicate(i64),
    /// A book would have gone below zero: (book, its balance); nothing moved.
    Insufficient(Book, Fen),
}

/// One entry of a book's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub txn_id: i64,
    pub reason: String,
    pub delta: Fen,
    pub balance_after: Fen,
    pub created_at: i64,
}

#[async_trait]
pub trait LedgerStore: Send + Sync {
    /// Posts `t` (checked with `Txn::check`) whole or not at all; idempotent on `t.reason`.
    async fn post(&self, t: &Txn, now: i64) -> Result<Posted>;
    async fn balance(&self, book: &Book) -> Result<Fen>;
    /// Newest first.
    async fn entries(&self, book: &Book, limit: i64) -> Result<Vec<Entry>>;
    /// A book's entries posted in `[from, to)`, oldest first (a fund flow bill).
    async fn entries_between(&self, book: &Book, from: i64, to: i64) -> Result<Vec<Entry>>;
    /// (sum of every balance, number of books, number of books below zero other than the world's).
    async fn ledger_audit(&self) -> Result<(Fen, i64, i64)>;
}
