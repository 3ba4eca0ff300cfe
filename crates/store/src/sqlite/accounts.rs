//! AccountStore on SQLite.

use async_trait::async_trait;
use herald_domain::account::{AccountType, MessageMode, OwnerKind};
use herald_wire::{AppId, OwnerId};
use rusqlite::{params, OptionalExtension, Row};

use super::{parsed, SqliteStore};
use crate::{Account, Owner, Result, ServerSettings, StoreError};

const ACCOUNT_SELECT: &str = "SELECT a.appid, a.original_id, a.owner_id, o.kind, a.name, a.account_type, a.verified, \
     a.app_secret, a.server_url, a.server_token, a.encoding_aes_key, a.message_mode, a.created_at, a.intro \
     FROM accounts a JOIN owners o ON o.id = a.owner_id";

fn owner(r: &Row<'_>) -> rusqlite::Result<Owner> {
    Ok(Owner { id: OwnerId(r.get(0)?), kind: parsed(r, 1, OwnerKind::parse)?, name: r.get(2)?, created_at: r.get(3)? })
}

fn account(r: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        appid: AppId(r.get(0)?),
        original_id: r.get(1)?,
        owner_id: OwnerId(r.get(2)?),
        owner_kind: parsed(r, 3, OwnerKind::parse)?,
        name: r.get(4)?,
        ty: parsed(r, 5, AccountType::parse)?,
        verified: r.get(6)?,
        app_secret: r.get(7)?,
        server: ServerSettings {
            url: r.get(8)?,
            token: r.get(9)?,
            encoding_aes_key: r.get(10)?,
            mode: parsed(r, 11, MessageMode::parse)?,
        },
        created_at: r.get(12)?,
        intro: r.get(13)?,
    })
}

#[async_trait]
impl crate::AccountStore for SqliteStore {
    async fn insert_owner(&self, o: &Owner) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO owners (id, kind, name, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![o.id.as_str(), o.kind.as_str(), o.name, o.created_at],
            )?;
            Ok(())
        })
    }

    async fn owner(&self, id: &OwnerId) -> Result<Option<Owner>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT id, kind, name, created_at FROM owners WHERE id = ?1")?
                .query_row([id.as_str()], owner)
                .optional()?)
        })
    }

    async fn owners(&self) -> Result<Vec<Owner>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT id, kind, name, created_at FROM owners ORDER BY created_at, id")?;
            let rows = st.query_map([], owner)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn insert_account(&self, a: &Account) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO accounts (appid, original_id, owner_id, name, account_type, verified, app_secret, \
                 server_url, server_token, encoding_aes_key, message_mode, next_tag_id, created_at, intro) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    a.appid.as_str(),
                    a.original_id,
                    a.owner_id.as_str(),
                    a.name,
                    a.ty.as_str(),
                    a.verified,
                    a.app_secret,
                    a.server.url,
                    a.server.token,
                    a.server.encoding_aes_key,
                    a.server.mode.as_str(),
                    herald_domain::tags::FIRST_USER_TAG_ID,
                    a.created_at,
                    a.intro
                ],
            )?;
            Ok(())
        })
    }

    async fn account(&self, appid: &str) -> Result<Option<Account>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!("{ACCOUNT_SELECT} WHERE a.appid = ?1"))?.query_row([appid], account).optional()?)
        })
    }

    async fn accounts(&self) -> Result<Vec<Account>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!("{ACCOUNT_SELECT} ORDER BY a.created_at, a.appid"))?;
            let rows = st.query_map([], account)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn update_account(&self, a: &Account) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE accounts SET name = ?2, account_type = ?3, verified = ?4, app_secret = ?5, server_url = ?6, \
                 server_token = ?7, encoding_aes_key = ?8, message_mode = ?9, intro = ?10 WHERE appid = ?1",
                params![
                    a.appid.as_str(),
                    a.name,
                    a.ty.as_str(),
                    a.verified,
                    a.app_secret,
                    a.server.url,
                    a.server.token,
                    a.server.encoding_aes_key,
                    a.server.mode.as_str(),
                    a.intro
                ],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }
}
