//! MemberStore on SQLite.

use async_trait::async_trait;
use herald_wire::OwnerId;
use rusqlite::{params, OptionalExtension, Row};

use super::SqliteStore;
use crate::members::{LoginRef, Member, MemberInvite};
use crate::Result;

const COLS: &str = "id, owner_id, email, role, password_hash IS NOT NULL, invite_expires_at, created_at";

fn member(r: &Row<'_>) -> rusqlite::Result<Member> {
    Ok(Member { id: r.get(0)?, owner_id: OwnerId(r.get(1)?), email: r.get(2)?, role: r.get(3)?, accepted: r.get(4)?, invite_expires_at: r.get(5)?, created_at: r.get(6)? })
}

#[async_trait]
impl crate::MemberStore for SqliteStore {
    async fn invite_member(&self, m: &MemberInvite<'_>) -> Result<bool> {
        self.write(|tx| {
            if tx.prepare_cached("SELECT 1 FROM owner_logins WHERE email = ?1")?.exists([m.email])? {
                return Ok(false);
            }
            let held: Option<(String, bool)> = tx
                .prepare_cached("SELECT owner_id, password_hash IS NOT NULL FROM console_members WHERE email = ?1")?
                .query_row([m.email], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            match held {
                Some((owner, false)) if owner == m.owner.as_str() => {
                    tx.prepare_cached("DELETE FROM console_members WHERE email = ?1")?.execute([m.email])?;
                }
                Some(_) => return Ok(false),
                None => {}
            }
            tx.prepare_cached(
                "INSERT INTO console_members (id, owner_id, email, role, invite_hash, invite_expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![m.id, m.owner.as_str(), m.email, m.role, m.invite_hash, m.expires_at, m.now])?;
            Ok(true)
        })
    }

    async fn members(&self, owner: &OwnerId) -> Result<Vec<Member>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!("SELECT {COLS} FROM console_members WHERE owner_id = ?1 ORDER BY created_at, id"))?;
            let rows = st.query_map([owner.as_str()], member)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn member(&self, id: &str) -> Result<Option<Member>> {
        self.read(|c| Ok(c.prepare_cached(&format!("SELECT {COLS} FROM console_members WHERE id = ?1"))?.query_row([id], member).optional()?))
    }

    async fn invited_member(&self, invite_hash: &str, now: i64) -> Result<Option<Member>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!("SELECT {COLS} FROM console_members WHERE invite_hash = ?1 AND invite_expires_at > ?2"))?
                .query_row(params![invite_hash, now], member)
                .optional()?)
        })
    }

    async fn accept_invite(&self, invite_hash: &str, password_hash: &str, now: i64) -> Result<Option<Member>> {
        self.write(|tx| {
            let Some(mut m) = tx
                .prepare_cached(&format!("SELECT {COLS} FROM console_members WHERE invite_hash = ?1 AND invite_expires_at > ?2"))?
                .query_row(params![invite_hash, now], member)
                .optional()?
            else {
                return Ok(None);
            };
            tx.prepare_cached("UPDATE console_members SET password_hash = ?2, invite_hash = NULL WHERE id = ?1")?.execute(params![m.id, password_hash])?;
            m.accepted = true;
            Ok(Some(m))
        })
    }

    async fn member_login(&self, email: &str) -> Result<Option<(Member, String)>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!("SELECT {COLS}, password_hash FROM console_members WHERE email = ?1 AND password_hash IS NOT NULL"))?
                .query_row([email], |r| Ok((member(r)?, r.get(7)?)))
                .optional()?)
        })
    }

    async fn member_password_hash(&self, id: &str) -> Result<Option<String>> {
        self.read(|c| Ok(c.prepare_cached("SELECT password_hash FROM console_members WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?.flatten()))
    }

    async fn set_member_password_hash(&self, id: &str, password_hash: &str) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("UPDATE console_members SET password_hash = ?2 WHERE id = ?1")?.execute(params![id, password_hash])?;
            Ok(())
        })
    }

    async fn set_member_role(&self, owner: &OwnerId, id: &str, role: &str) -> Result<bool> {
        self.write(|tx| Ok(tx.prepare_cached("UPDATE console_members SET role = ?3 WHERE owner_id = ?1 AND id = ?2")?.execute(params![owner.as_str(), id, role])? == 1))
    }

    async fn remove_member(&self, owner: &OwnerId, id: &str) -> Result<bool> {
        self.write(|tx| {
            let n = tx.prepare_cached("DELETE FROM console_members WHERE owner_id = ?1 AND id = ?2")?.execute(params![owner.as_str(), id])?;
            if n == 1 {
                tx.prepare_cached("DELETE FROM owner_sessions WHERE member_id = ?1")?.execute([id])?;
            }
            Ok(n == 1)
        })
    }

    async fn login_totp(&self, login: LoginRef<'_>) -> Result<(Option<String>, Option<String>)> {
        self.read(|c| {
            let row = match login {
                LoginRef::Owner(o) => c.prepare_cached("SELECT totp_secret, totp_pending FROM owner_logins WHERE owner_id = ?1")?.query_row([o.as_str()], |r| Ok((r.get(0)?, r.get(1)?))),
                LoginRef::Member(m) => c.prepare_cached("SELECT totp_secret, totp_pending FROM console_members WHERE id = ?1")?.query_row([m], |r| Ok((r.get(0)?, r.get(1)?))),
            };
            Ok(row.optional()?.unwrap_or((None, None)))
        })
    }

    async fn set_login_totp(&self, login: LoginRef<'_>, secret: Option<&str>, pending: Option<&str>) -> Result<()> {
        self.write(|tx| {
            match login {
                LoginRef::Owner(o) => tx.prepare_cached("UPDATE owner_logins SET totp_secret = ?2, totp_pending = ?3 WHERE owner_id = ?1")?.execute(params![o.as_str(), secret, pending])?,
                LoginRef::Member(m) => tx.prepare_cached("UPDATE console_members SET totp_secret = ?2, totp_pending = ?3 WHERE id = ?1")?.execute(params![m, secret, pending])?,
            };
            Ok(())
        })
    }
}
