//! TokenStore on SQLite (rules: herald_domain::token).

use async_trait::async_trait;
use herald_domain::account::{AccountKind, AccountType};
use herald_domain::token::{IssuedToken, TokenKind};
use herald_wire::{AppId, OwnerId};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{parsed, SqliteStore};
use crate::{AccountAuth, Result};

const PURGE_AFTER: i64 = 2 * 86_400;

const TOKEN_COLS: &str = "t.token, t.kind, t.issued_at, t.expires_at, t.revoked_at, t.forced";

fn token(r: &Row<'_>) -> rusqlite::Result<IssuedToken> {
    Ok(IssuedToken {
        token: r.get(0)?,
        kind: parsed(r, 1, TokenKind::parse)?,
        issued_at: r.get(2)?,
        expires_at: r.get(3)?,
        revoked_at: r.get(4)?,
        forced: r.get(5)?,
    })
}

fn insert_token(c: &Connection, appid: &str, t: &IssuedToken) -> Result<()> {
    // Tokens issued two days ago are long dead (and out of the stable-token history the
    // refresh limits read): drop them as new ones arrive.
    c.prepare_cached("DELETE FROM access_tokens WHERE appid = ?1 AND kind = ?2 AND issued_at < ?3")?
        .execute(params![appid, t.kind.as_str(), t.issued_at - PURGE_AFTER])?;
    c.prepare_cached(
        "INSERT INTO access_tokens (token, appid, kind, issued_at, expires_at, revoked_at, forced) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![t.token, appid, t.kind.as_str(), t.issued_at, t.expires_at, t.revoked_at, t.forced])?;
    Ok(())
}

/// Ends every live, never-superseded token of `kind` at `at`. (Superseded tokens already end
/// at an earlier cutoff; the partial index `access_tokens_live` keeps this a point lookup.)
fn revoke_live(c: &Connection, appid: &str, kind: &str, at: i64) -> Result<()> {
    c.prepare_cached(
        "UPDATE access_tokens SET revoked_at = ?3 WHERE appid = ?1 AND kind = ?2 \
         AND revoked_at IS NULL AND expires_at > ?3",
    )?
    .execute(params![appid, kind, at])?;
    Ok(())
}

#[async_trait]
impl crate::TokenStore for SqliteStore {
    async fn token_account(&self, tok: &str) -> Result<Option<(IssuedToken, AccountAuth)>> {
        self.read(|c| {
            let sql = format!(
                "SELECT {TOKEN_COLS}, a.appid, a.owner_id, a.account_type, a.verified \
                 FROM access_tokens t JOIN accounts a ON a.appid = t.appid WHERE t.token = ?1"
            );
            Ok(c.prepare_cached(&sql)?
                .query_row([tok], |r| {
                    let auth = AccountAuth {
                        appid: AppId(r.get(6)?),
                        owner_id: OwnerId(r.get(7)?),
                        kind: AccountKind { ty: parsed(r, 8, AccountType::parse)?, verified: r.get(9)? },
                    };
                    Ok((token(r)?, auth))
                })
                .optional()?)
        })
    }

    async fn issue_client_token(&self, appid: &AppId, t: &IssuedToken, cutoff: i64) -> Result<()> {
        self.write(|tx| {
            revoke_live(tx, appid.as_str(), "client", cutoff)?;
            insert_token(tx, appid.as_str(), t)
        })
    }

    async fn stable_tokens(&self, appid: &AppId, since: i64) -> Result<Vec<IssuedToken>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {TOKEN_COLS} FROM access_tokens t WHERE t.appid = ?1 AND t.kind = 'stable' AND t.issued_at >= ?2 \
                 ORDER BY t.issued_at DESC"
            ))?;
            let rows = st.query_map(params![appid.as_str(), since], token)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn issue_stable_token(&self, appid: &AppId, t: &IssuedToken, revoke_previous: bool) -> Result<()> {
        self.write(|tx| {
            if revoke_previous {
                revoke_live(tx, appid.as_str(), "stable", t.issued_at)?;
            }
            insert_token(tx, appid.as_str(), t)
        })
    }
}
