// UserStore: platform end users.

fn user_from_row(r: &DbRow) -> crate::Result<crate::User> {
    Ok(crate::User {
        id: herald_wire::UserId(r.try_get(0)?),
        nickname: r.try_get(1)?,
        created_at: r.try_get(2)?,
        profile: herald_domain::profile::Profile::from_json(&r.try_get::<String, _>(3)?),
    })
}

#[async_trait::async_trait]
impl crate::UserStore for Backend {
    async fn insert_user(&self, u: &crate::User) -> crate::Result<()> {
        sqlx::query("INSERT INTO users (id, nickname, created_at, profile) VALUES ($1, $2, $3, $4)")
            .bind(u.id.as_str())
            .bind(&u.nickname)
            .bind(u.created_at)
            .bind(u.profile.to_json())
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn user(&self, id: &herald_wire::UserId) -> crate::Result<Option<crate::User>> {
        let row = sqlx::query("SELECT id, nickname, created_at, profile FROM users WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn users(&self) -> crate::Result<Vec<crate::User>> {
        let rows = sqlx::query("SELECT id, nickname, created_at, profile FROM users ORDER BY created_at, id")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(user_from_row).collect()
    }
}
