// Helpers shared by the PostgreSQL areas (included into postgres.rs, where `Db` and
// `Backend` are defined).

#[allow(unused_imports)]
use sqlx::Row as _;

type Tx = sqlx::Transaction<'static, Db>;
type DbRow = <Db as sqlx::Database>::Row;

/// Next value of a named counter shared by every node.
async fn next_counter(tx: &mut Tx, name: &str) -> crate::Result<i64> {
    let (v,): (i64,) = sqlx::query_as(
        "INSERT INTO counters (name, value) VALUES ($1, 1) \
         ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
    )
    .bind(name)
    .fetch_one(&mut **tx)
    .await?;
    Ok(v)
}

fn bad_value(what: &str, v: &str) -> crate::StoreError {
    crate::StoreError::Other(format!("unexpected {what} {v:?} in the database"))
}
