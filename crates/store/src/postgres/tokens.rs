// TokenStore: access tokens (rules in herald_domain::token).

fn token_from_row(r: &DbRow) -> crate::Result<herald_domain::token::IssuedToken> {
    let kind: String = r.try_get(1)?;
    Ok(herald_domain::token::IssuedToken {
        token: r.try_get(0)?,
        kind: herald_domain::token::TokenKind::parse(&kind).ok_or_else(|| bad_value("token kind", &kind))?,
        issued_at: r.try_get(2)?,
        expires_at: r.try_get(3)?,
        revoked_at: r.try_get(4)?,
        forced: r.try_get(5)?,
    })
}

const PURGE_AFTER: i64 = 2 * 86_400;

const TOKEN_COLS: &str = "t.token, t.kind, t.issued_at, t.expires_at, t.revoked_at, t.forced";

async fn insert_token(tx: &mut Tx, appid: &str, t: &herald_domain::token::IssuedToken) -> crate::Result<()> {
    // Tokens issued two days ago are long dead (and out of the stable-token history the
    // refresh limits read): drop them as new ones arrive.
    sqlx::query("DELETE FROM access_tokens WHERE appid = $1 AND kind = $2 AND issued_at < $3")
        .bind(appid)
        .bind(t.kind.as_str())
        .bind(t.issued_at - PURGE_AFTER)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO access_tokens (token, appid, kind, issued_at, expires_at, revoked_at, forced) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&t.token)
    .bind(appid)
    .bind(t.kind.as_str())
    .bind(t.issued_at)
    .bind(t.expires_at)
    .bind(t.revoked_at)
    .bind(t.forced)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Ends every live, never-superseded token of `kind` at `at`. (Superseded tokens already end
/// at an earlier cutoff; the partial index `access_tokens_live` keeps this a point lookup.)
async fn revoke_live(tx: &mut Tx, appid: &str, kind: &str, at: i64) -> crate::Result<()> {
    sqlx::query(
        "UPDATE access_tokens SET revoked_at = $3 WHERE appid = $1 AND kind = $2 \
         AND revoked_at IS NULL AND expires_at > $3",
    )
    .bind(appid)
    .bind(kind)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl crate::TokenStore for Backend {
    async fn token_account(
        &self,
        token: &str,
    ) -> crate::Result<Option<(herald_domain::token::IssuedToken, crate::AccountAuth)>> {
        let sql = format!(
            "SELECT {TOKEN_COLS}, a.appid, a.owner_id, a.account_type, a.verified \
             FROM access_tokens t JOIN accounts a ON a.appid = t.appid WHERE t.token = $1"
        );
        let Some(r) = sqlx::query(&sql).bind(token).fetch_optional(self.reader()).await? else { return Ok(None) };
        let ty: String = r.try_get(8)?;
        let auth = crate::AccountAuth {
            appid: herald_wire::AppId(r.try_get(6)?),
            owner_id: herald_wire::OwnerId(r.try_get(7)?),
            kind: herald_domain::account::AccountKind {
                ty: herald_domain::account::AccountType::parse(&ty).ok_or_else(|| bad_value("account type", &ty))?,
                verified: r.try_get(9)?,
            },
        };
        Ok(Some((token_from_row(&r)?, auth)))
    }

    async fn issue_client_token(
        &self,
        appid: &herald_wire::AppId,
        token: &herald_domain::token::IssuedToken,
        cutoff: i64,
    ) -> crate::Result<()> {
        let mut tx = self.begin().await?;
        revoke_live(&mut tx, appid.as_str(), "client", cutoff).await?;
        insert_token(&mut tx, appid.as_str(), token).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn stable_tokens(
        &self,
        appid: &herald_wire::AppId,
        since: i64,
    ) -> crate::Result<Vec<herald_domain::token::IssuedToken>> {
        let sql = format!(
            "SELECT {TOKEN_COLS} FROM access_tokens t WHERE t.appid = $1 AND t.kind = 'stable' AND t.issued_at >= $2 \
             ORDER BY t.issued_at DESC"
        );
        let rows = sqlx::query(&sql).bind(appid.as_str()).bind(since).fetch_all(self.writer()).await?;
        rows.iter().map(token_from_row).collect()
    }

    async fn issue_stable_token(
        &self,
        appid: &herald_wire::AppId,
        token: &herald_domain::token::IssuedToken,
        revoke_previous: bool,
    ) -> crate::Result<()> {
        let mut tx = self.begin().await?;
        if revoke_previous {
            revoke_live(&mut tx, appid.as_str(), "stable", token.issued_at).await?;
        }
        insert_token(&mut tx, appid.as_str(), token).await?;
        tx.commit().await?;
        Ok(())
    }
}
