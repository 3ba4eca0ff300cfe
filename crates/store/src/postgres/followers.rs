// FollowerStore: (account, user) relations, follows, remarks and the blacklist.

const FOLLOWER_COLS: &str = "f.appid, f.user_id, f.openid, f.unionid, f.subscribed, f.subscribe_time, \
     f.unsubscribe_time, f.subscribe_scene, f.qr_scene, f.qr_scene_str, f.remark, f.blacklisted, f.last_interaction_at, \
     (SELECT string_agg(CAST(ft.tag_id AS TEXT), ',' ORDER BY ft.tag_id) FROM follower_tags ft \
      WHERE ft.follower_seq = f.seq) AS tag_ids";

fn follower_from_row(r: &DbRow) -> crate::Result<crate::Follower> {
    let tags: Option<String> = r.try_get(13)?;
    let tag_ids = match tags {
        None => Vec::new(),
        Some(s) => s
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| t.parse::<i64>().map_err(|_| bad_value("tag id", t)))
            .collect::<crate::Result<Vec<_>>>()?,
    };
    Ok(crate::Follower {
        appid: herald_wire::AppId(r.try_get(0)?),
        user_id: herald_wire::UserId(r.try_get(1)?),
        openid: herald_wire::OpenId(r.try_get(2)?),
        unionid: herald_wire::UnionId(r.try_get(3)?),
        subscribed: r.try_get(4)?,
        subscribe_time: r.try_get(5)?,
        unsubscribe_time: r.try_get(6)?,
        subscribe_scene: r.try_get(7)?,
        qr_scene: r.try_get(8)?,
        qr_scene_str: r.try_get(9)?,
        remark: r.try_get(10)?,
        blacklisted: r.try_get(11)?,
        tag_ids,
        last_interaction_at: r.try_get(12)?,
    })
}

async fn follower_where<'e, E>(exec: E, cond: &str, a: &str, b: &str) -> crate::Result<Option<crate::Follower>>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    let sql = format!("SELECT {FOLLOWER_COLS} FROM followers f WHERE {cond}");
    let row = sqlx::query(&sql).bind(a).bind(b).fetch_optional(exec).await?;
    row.as_ref().map(follower_from_row).transpose()
}

/// The `order_col` value of the follower `after` (one of `flag_col` = TRUE), or 40003.
async fn cursor_of(
    pool: &sqlx::Pool<Db>,
    appid: &str,
    after: Option<&str>,
    flag_col: &str,
    order_col: &str,
) -> crate::Result<i64> {
    let Some(after) = after.filter(|a| !a.is_empty()) else { return Ok(i64::MIN) };
    let sql = format!("SELECT {order_col} FROM followers WHERE appid = $1 AND openid = $2 AND {flag_col} = TRUE");
    let row: Option<(i64,)> = sqlx::query_as(&sql).bind(appid).bind(after).fetch_optional(pool).await?;
    row.map(|r| r.0).ok_or(crate::StoreError::Rejected(herald_wire::ErrCode::InvalidOpenid))
}

async fn flagged_page(
    pool: &sqlx::Pool<Db>,
    appid: &str,
    after: Option<&str>,
    limit: usize,
    flag_col: &str,
    order_col: &str,
) -> crate::Result<crate::Page> {
    let from = cursor_of(pool, appid, after, flag_col, order_col).await?;
    let count_sql = format!("SELECT COUNT(*) FROM followers WHERE appid = $1 AND {flag_col} = TRUE");
    let (total,): (i64,) = sqlx::query_as(&count_sql).bind(appid).fetch_one(pool).await?;
    let sql = format!(
        "SELECT openid FROM followers WHERE appid = $1 AND {flag_col} = TRUE AND {order_col} > $2 \
         ORDER BY {order_col} LIMIT $3"
    );
    let ids: Vec<(String,)> = sqlx::query_as(&sql).bind(appid).bind(from).bind(limit as i64).fetch_all(pool).await?;
    Ok(crate::Page { total, openids: ids.into_iter().map(|r| herald_wire::OpenId(r.0)).collect() })
}

/// Inserts the relation of a user's first contact with an account (see the SQLite twin).
async fn insert_relation(
    tx: &mut Tx,
    appid: &herald_wire::AppId,
    user: &herald_wire::UserId,
    fresh: &crate::FreshIds,
    follow: Option<(i64, i64, &crate::FollowHow)>,
) -> crate::Result<()> {
    let owner: Option<(String,)> =
        sqlx::query_as("SELECT owner_id FROM accounts WHERE appid = $1").bind(appid.as_str()).fetch_optional(&mut **tx).await?;
    let Some((owner,)) = owner else { return Err(crate::StoreError::NotFound) };
    sqlx::query("INSERT INTO unionids (owner_id, user_id, unionid) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(&owner)
        .bind(user.as_str())
        .bind(fresh.unionid.as_str())
        .execute(&mut **tx)
        .await?;
    let (unionid,): (String,) = sqlx::query_as("SELECT unionid FROM unionids WHERE owner_id = $1 AND user_id = $2")
        .bind(&owner)
        .bind(user.as_str())
        .fetch_one(&mut **tx)
        .await?;
    let (order, time, scene, qr_scene, qr_scene_str) = match follow {
        Some((order, now, how)) => (order, Some(now), Some(how.scene.as_str()), how.qr_scene, how.qr_scene_str.as_str()),
        None => (0, None, None, 0, ""),
    };
    sqlx::query(
        "INSERT INTO followers (appid, user_id, openid, unionid, subscribed, follow_order, subscribe_time, \
         unsubscribe_time, subscribe_scene, qr_scene, qr_scene_str, remark, blacklisted, blacklist_order) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10, '', FALSE, NULL)",
    )
    .bind(appid.as_str())
    .bind(user.as_str())
    .bind(fresh.openid.as_str())
    .bind(&unionid)
    .bind(follow.is_some())
    .bind(order)
    .bind(time)
    .bind(scene)
    .bind(qr_scene)
    .bind(qr_scene_str)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl crate::FollowerStore for Backend {
    async fn follow(
        &self,
        appid: &herald_wire::AppId,
        user: &herald_wire::UserId,
        how: &crate::FollowHow,
        fresh: &crate::FreshIds,
        now: i64,
    ) -> crate::Result<(crate::Follower, bool)> {
        let mut tx = self.begin().await?;
        let existing =
            follower_where(&mut *tx, "f.appid = $1 AND f.user_id = $2", appid.as_str(), user.as_str()).await?;
        if let Some(f) = &existing {
            if f.subscribed {
                tx.commit().await?;
                return Ok((f.clone(), false));
            }
        }
        let order = next_counter(&mut tx, "follow_order").await?;
        if existing.is_some() {
            sqlx::query(
                "UPDATE followers SET subscribed = TRUE, follow_order = $3, subscribe_time = $4, \
                 unsubscribe_time = NULL, subscribe_scene = $5, qr_scene = $6, qr_scene_str = $7 \
                 WHERE appid = $1 AND user_id = $2",
            )
            .bind(appid.as_str())
            .bind(user.as_str())
            .bind(order)
            .bind(now)
            .bind(&how.scene)
            .bind(how.qr_scene)
            .bind(&how.qr_scene_str)
            .execute(&mut *tx)
            .await?;
        } else {
            insert_relation(&mut tx, appid, user, fresh, Some((order, now, how))).await?;
        }
        pg_sync_member(&mut tx, appid.as_str(), user.as_str()).await?;
        let f = follower_where(&mut *tx, "f.appid = $1 AND f.user_id = $2", appid.as_str(), user.as_str())
            .await?
            .ok_or(crate::StoreError::NotFound)?;
        tx.commit().await?;
        Ok((f, true))
    }

    async fn meet(&self, appid: &herald_wire::AppId, user: &herald_wire::UserId, fresh: &crate::FreshIds) -> crate::Result<crate::Follower> {
        let mut tx = self.begin().await?;
        let by_user = "f.appid = $1 AND f.user_id = $2";
        if let Some(f) = follower_where(&mut *tx, by_user, appid.as_str(), user.as_str()).await? {
            return Ok(f);
        }
        insert_relation(&mut tx, appid, user, fresh, None).await?;
        let f = follower_where(&mut *tx, by_user, appid.as_str(), user.as_str()).await?.ok_or(crate::StoreError::NotFound)?;
        tx.commit().await?;
        Ok(f)
    }

    async fn unfollow(
        &self,
        appid: &herald_wire::AppId,
        user: &herald_wire::UserId,
        now: i64,
    ) -> crate::Result<Option<(crate::Follower, bool)>> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE followers SET subscribed = FALSE, unsubscribe_time = $3 \
             WHERE appid = $1 AND user_id = $2 AND subscribed = TRUE",
        )
        .bind(appid.as_str())
        .bind(user.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() > 0 {
            pg_sync_member(&mut tx, appid.as_str(), user.as_str()).await?;
        }
        let f = follower_where(&mut *tx, "f.appid = $1 AND f.user_id = $2", appid.as_str(), user.as_str()).await?;
        tx.commit().await?;
        Ok(f.map(|f| (f, done.rows_affected() > 0)))
    }

    async fn follower_by_openid(&self, appid: &herald_wire::AppId, openid: &str) -> crate::Result<Option<crate::Follower>> {
        follower_where(self.reader(), "f.openid = $2 AND f.appid = $1", appid.as_str(), openid).await
    }

    async fn follower_by_user(
        &self,
        appid: &herald_wire::AppId,
        user: &herald_wire::UserId,
    ) -> crate::Result<Option<crate::Follower>> {
        follower_where(self.reader(), "f.appid = $1 AND f.user_id = $2", appid.as_str(), user.as_str()).await
    }

    async fn relations_of_user(&self, user: &herald_wire::UserId) -> crate::Result<Vec<crate::Follower>> {
        let sql = format!("SELECT {FOLLOWER_COLS} FROM followers f WHERE f.user_id = $1 ORDER BY f.seq");
        let rows = sqlx::query(&sql).bind(user.as_str()).fetch_all(self.reader()).await?;
        rows.iter().map(follower_from_row).collect()
    }

    async fn subscribed_page(
        &self,
        appid: &herald_wire::AppId,
        after: Option<&str>,
        limit: usize,
    ) -> crate::Result<crate::Page> {
        flagged_page(self.reader(), appid.as_str(), after, limit, "subscribed", "follow_order").await
    }

    async fn set_remark(&self, appid: &herald_wire::AppId, openid: &str, remark: &str) -> crate::Result<()> {
        let done = sqlx::query("UPDATE followers SET remark = $3 WHERE appid = $1 AND openid = $2 AND subscribed = TRUE")
            .bind(appid.as_str())
            .bind(openid)
            .bind(remark)
            .execute(self.writer())
            .await?;
        if done.rows_affected() == 0 {
            return Err(crate::StoreError::Rejected(herald_wire::ErrCode::InvalidOpenid));
        }
        Ok(())
    }

    async fn set_blacklisted(&self, appid: &herald_wire::AppId, openids: &[String], on: bool) -> crate::Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(dialect::LOCK_ACCOUNT).bind(appid.as_str()).execute(&mut *tx).await?;
        for openid in openids {
            let row: Option<(bool,)> = sqlx::query_as("SELECT blacklisted FROM followers WHERE appid = $1 AND openid = $2")
                .bind(appid.as_str())
                .bind(openid)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((already,)) = row else {
                return Err(crate::StoreError::Rejected(herald_wire::ErrCode::InvalidOpenid));
            };
            if already == on {
                continue;
            }
            let order = if on { Some(next_counter(&mut tx, "blacklist_order").await?) } else { None };
            sqlx::query("UPDATE followers SET blacklisted = $3, blacklist_order = $4 WHERE appid = $1 AND openid = $2")
                .bind(appid.as_str())
                .bind(openid)
                .bind(on)
                .bind(order)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn blacklist_page(
        &self,
        appid: &herald_wire::AppId,
        after: Option<&str>,
        limit: usize,
    ) -> crate::Result<crate::Page> {
        flagged_page(self.reader(), appid.as_str(), after, limit, "blacklisted", "blacklist_order").await
    }
}
