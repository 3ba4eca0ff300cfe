// AccountStore: owners and official accounts.

const ACCOUNT_COLS: &str = "a.appid, a.original_id, a.owner_id, o.kind, a.name, a.account_type, a.verified, \
     a.app_secret, a.server_url, a.server_token, a.encoding_aes_key, a.message_mode, a.created_at, a.intro";

fn owner_from_row(r: &DbRow) -> crate::Result<crate::Owner> {
    let kind: String = r.try_get(1)?;
    Ok(crate::Owner {
        id: herald_wire::OwnerId(r.try_get(0)?),
        kind: herald_domain::account::OwnerKind::parse(&kind).ok_or_else(|| bad_value("owner kind", &kind))?,
        name: r.try_get(2)?,
        created_at: r.try_get(3)?,
    })
}

fn account_from_row(r: &DbRow) -> crate::Result<crate::Account> {
    use herald_domain::account::{AccountType, MessageMode, OwnerKind};
    let kind: String = r.try_get(3)?;
    let ty: String = r.try_get(5)?;
    let mode: String = r.try_get(11)?;
    Ok(crate::Account {
        appid: herald_wire::AppId(r.try_get(0)?),
        original_id: r.try_get(1)?,
        owner_id: herald_wire::OwnerId(r.try_get(2)?),
        owner_kind: OwnerKind::parse(&kind).ok_or_else(|| bad_value("owner kind", &kind))?,
        name: r.try_get(4)?,
        ty: AccountType::parse(&ty).ok_or_else(|| bad_value("account type", &ty))?,
        verified: r.try_get(6)?,
        app_secret: r.try_get(7)?,
        server: crate::ServerSettings {
            url: r.try_get(8)?,
            token: r.try_get(9)?,
            encoding_aes_key: r.try_get(10)?,
            mode: MessageMode::parse(&mode).ok_or_else(|| bad_value("message mode", &mode))?,
        },
        created_at: r.try_get(12)?,
        intro: r.try_get(13)?,
    })
}

#[async_trait::async_trait]
impl crate::AccountStore for Backend {
    async fn insert_owner(&self, o: &crate::Owner) -> crate::Result<()> {
        sqlx::query("INSERT INTO owners (id, kind, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(o.id.as_str())
            .bind(o.kind.as_str())
            .bind(&o.name)
            .bind(o.created_at)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn owner(&self, id: &herald_wire::OwnerId) -> crate::Result<Option<crate::Owner>> {
        let row = sqlx::query("SELECT id, kind, name, created_at FROM owners WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(owner_from_row).transpose()
    }

    async fn owners(&self) -> crate::Result<Vec<crate::Owner>> {
        let rows = sqlx::query("SELECT id, kind, name, created_at FROM owners ORDER BY created_at, id")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(owner_from_row).collect()
    }

    async fn insert_account(&self, a: &crate::Account) -> crate::Result<()> {
        sqlx::query(
            "INSERT INTO accounts (appid, original_id, owner_id, name, account_type, verified, app_secret, \
             server_url, server_token, encoding_aes_key, message_mode, next_tag_id, created_at, intro) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(a.appid.as_str())
        .bind(&a.original_id)
        .bind(a.owner_id.as_str())
        .bind(&a.name)
        .bind(a.ty.as_str())
        .bind(a.verified)
        .bind(&a.app_secret)
        .bind(&a.server.url)
        .bind(&a.server.token)
        .bind(&a.server.encoding_aes_key)
        .bind(a.server.mode.as_str())
        .bind(herald_domain::tags::FIRST_USER_TAG_ID)
        .bind(a.created_at)
        .bind(&a.intro)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn account(&self, appid: &str) -> crate::Result<Option<crate::Account>> {
        let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts a JOIN owners o ON o.id = a.owner_id WHERE a.appid = $1");
        let row = sqlx::query(&sql).bind(appid).fetch_optional(self.reader()).await?;
        row.as_ref().map(account_from_row).transpose()
    }

    async fn accounts(&self) -> crate::Result<Vec<crate::Account>> {
        let sql = format!(
            "SELECT {ACCOUNT_COLS} FROM accounts a JOIN owners o ON o.id = a.owner_id ORDER BY a.created_at, a.appid"
        );
        let rows = sqlx::query(&sql).fetch_all(self.reader()).await?;
        rows.iter().map(account_from_row).collect()
    }

    async fn update_account(&self, a: &crate::Account) -> crate::Result<()> {
        let done = sqlx::query(
            "UPDATE accounts SET name = $2, account_type = $3, verified = $4, app_secret = $5, server_url = $6, \
             server_token = $7, encoding_aes_key = $8, message_mode = $9, intro = $10 WHERE appid = $1",
        )
        .bind(a.appid.as_str())
        .bind(&a.name)
        .bind(a.ty.as_str())
        .bind(a.verified)
        .bind(&a.app_secret)
        .bind(&a.server.url)
        .bind(&a.server.token)
        .bind(&a.server.encoding_aes_key)
        .bind(a.server.mode.as_str())
        .bind(&a.intro)
        .execute(self.writer())
        .await?;
        if done.rows_affected() == 0 {
            return Err(crate::StoreError::NotFound);
        }
        Ok(())
    }
}
