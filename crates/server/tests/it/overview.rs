//! The console's overview over days (issue 27): follows, unfollows, messages received and sent
//! per China Standard Time day from the aggregates, mass messages this month and today, API
//! calls; 7, 30 or 90 days. Every test runs on each backend.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::console::{owner_with_account, Console};
use crate::apps;

fn day(ov: &Value, offset_from_today: usize) -> &Value {
    let d = ov["daily"].as_array().unwrap();
    &d[d.len() - 1 - offset_from_today]
}

#[tokio::test]
async fn the_overview_counts_days() {
    for app in apps().await {
        app.freeze().await;
        let (acc, email) = owner_with_account(&app, "ov").await;
        let appid = acc["appid"].as_str().unwrap();
        let owner = Console::signin(&app, &email, "correct horse").await.unwrap();
        let path = |days: i64| format!("/herald/v1/accounts/{appid}/overview?days={days}");

        // Yesterday: three follow, one writes twice, one leaves.
        let users = [app.user("Ov A").await, app.user("Ov B").await, app.user("Ov C").await];
        let mut openids = Vec::new();
        for u in &users {
            openids.push(app.follow(u, &acc).await);
        }
        for text in ["hello", "anyone?"] {
            let (s, v) = app.op("POST", &format!("/herald/v1/users/{}/messages", users[0]), Some(json!({"appid": appid, "msgtype": "text", "content": text}))).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        app.op("POST", &format!("/herald/v1/users/{}/unfollow", users[2]), Some(json!({"appid": appid}))).await;
        app.advance(86_400).await;
        // Today: one comes back, the agent answers once, a mass message goes out.
        app.follow(&users[2], &acc).await;
        let (s, v) = owner.call(&app, "POST", &format!("/herald/v1/accounts/{appid}/followers/{}/messages", openids[0]), Some(json!({"content": "Hi!"})), true).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = owner.call(&app, "POST", &format!("/herald/v1/accounts/{appid}/mass"), Some(json!({"content": "News"})), true).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");

        let (s, ov) = owner.call(&app, "GET", &path(7), None, false).await;
        assert_eq!(s, StatusCode::OK, "{ov}");
        assert_eq!((ov["days"].as_i64(), ov["daily"].as_array().map(Vec::len)), (Some(7), Some(7)));
        let (y, t) = (day(&ov, 1), day(&ov, 0));
        assert_eq!((y["follows"].as_i64(), y["unfollows"].as_i64(), y["net"].as_i64(), y["received"].as_i64()), (Some(3), Some(1), Some(2), Some(2)), "yesterday: {ov}");
        assert_eq!((t["follows"].as_i64(), t["unfollows"].as_i64(), t["sent"].as_i64()), (Some(1), Some(0), Some(1)), "today: {ov}");
        assert!(day(&ov, 2)["follows"] == 0 && day(&ov, 6)["net"] == 0, "quiet days are zeros: {ov}");
        assert_eq!((ov["new_follows"].as_i64(), ov["lost_follows"].as_i64(), ov["received"].as_i64(), ov["sent"].as_i64()), (Some(4), Some(1), Some(2), Some(1)));
        assert_eq!(ov["followers"].as_i64(), Some(3));
        assert_eq!((ov["mass_this_month"].as_i64(), ov["mass_today"].as_i64()), (Some(1), Some(1)));
        assert!(ov["api_log"] == true && ov["api_calls"].as_i64().is_some(), "{ov}");
        let dates: Vec<&str> = ov["daily"].as_array().unwrap().iter().map(|d| d["date"].as_str().unwrap()).collect();
        assert!(dates.windows(2).all(|w| w[0] < w[1]), "oldest first: {dates:?}");

        // Thirty and ninety days; nothing else.
        assert_eq!(owner.call(&app, "GET", &path(30), None, false).await.1["daily"].as_array().unwrap().len(), 30);
        let (_, ninety) = owner.call(&app, "GET", &path(90), None, false).await;
        assert_eq!((ninety["daily"].as_array().unwrap().len(), ninety["new_follows"].as_i64()), (90, Some(4)));
        assert_eq!(owner.call(&app, "GET", &path(5), None, false).await.0, StatusCode::BAD_REQUEST);
        // A week later, yesterday's activity has left the 7-day window but not the 30-day one.
        app.advance(7 * 86_400).await;
        assert_eq!(owner.call(&app, "GET", &path(7), None, false).await.1["new_follows"].as_i64(), Some(0));
        assert_eq!(owner.call(&app, "GET", &path(30), None, false).await.1["new_follows"].as_i64(), Some(4));
    }
}
