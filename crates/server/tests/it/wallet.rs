//! Wallets and the ledger audit over HTTP, on every backend.

use reqwest::StatusCode;
use serde_json::json;

use crate::apps;

#[tokio::test]
async fn wallets_top_up_once_per_request_and_the_ledger_balances() {
    for app in apps().await {
        let u = app.user("payer").await;
        let (s, v) = app.op("POST", &format!("/herald/v1/users/{u}/wallet/topup"), Some(json!({"amount": 12_345, "request_id": "r1"}))).await;
        assert_eq!((s, v["balance"].as_i64()), (StatusCode::CREATED, Some(12_345)), "{v}");
        let (s, v) = app.op("POST", &format!("/herald/v1/users/{u}/wallet/topup"), Some(json!({"amount": 12_345, "request_id": "r1"}))).await;
        assert_eq!((s, v["balance"].as_i64(), v["replayed"].as_bool()), (StatusCode::OK, Some(12_345), Some(true)), "a repeated request tops up once");
        let (s, _) = app.op("POST", &format!("/herald/v1/users/{u}/wallet/topup"), Some(json!({"amount": 0}))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = app.op("POST", &format!("/herald/v1/users/{u}/wallet/topup"), Some(json!({"amount": 1.5}))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "fen are whole");
        app.op("POST", &format!("/herald/v1/users/{u}/wallet/topup"), Some(json!({"amount": 55}))).await;
        let (_, w) = app.op("GET", &format!("/herald/v1/users/{u}/wallet"), None).await;
        assert_eq!(w["balance"], 12_400);
        assert_eq!(w["entries"].as_array().unwrap().len(), 2);
        assert_eq!(w["entries"][0]["amount"], 55);
        let (_, a) = app.op("GET", "/herald/v1/ledger", None).await;
        assert_eq!((a["total"].as_i64(), a["negative_books"].as_i64(), a["money_in_platform"].as_i64()), (Some(0), Some(0), Some(12_400)), "{a}");
        let (s, _) = app.op("GET", "/herald/v1/users/u_nobody/wallet", None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}
