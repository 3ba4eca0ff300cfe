//! Two servers on one PostgreSQL database behave as one: tokens, accounts, followers and the
//! simulated clock written through one node are seen by the other.

use serde_json::json;

use crate::{errcode, pg_base, start, suffix};

#[tokio::test]
async fn two_nodes_share_one_postgres() {
    let Some(base) = pg_base().await else { return };
    let url = format!("{}/herald_t_nodes_{}", base.rsplit_once('/').unwrap().0, suffix());
    let a = start("postgres", url.clone()).await;
    let b = start("postgres", url).await;
    a.freeze().await;
    let acc = a.account("service", "organisation", true).await;
    let user = b.user("shared").await;
    let openid = b.follow(&user, &acc).await;
    // A token issued by node A works on node B.
    let tok = a.token(&acc).await;
    let page = b.wx_get(&format!("/cgi-bin/user/get?access_token={tok}")).await;
    assert_eq!(page["data"]["openid"], json!([openid]));
    // A tag created through B is seen through A.
    let t = b.wx_post(&format!("/cgi-bin/tags/create?access_token={tok}"), json!({"tag": {"name": "shared"}})).await;
    assert_eq!(t["tag"]["id"], 100);
    let tags = a.wx_get(&format!("/cgi-bin/tags/get?access_token={tok}")).await;
    assert_eq!(tags["tags"][1]["name"], "shared");
    // The simulated clock is shared: advancing it on B expires the token on A.
    let (_, before) = a.op("GET", "/herald/v1/clock", None).await;
    b.advance(7200).await;
    let (_, after) = a.op("GET", "/herald/v1/clock", None).await;
    assert_eq!(after["now"].as_i64().unwrap() - before["now"].as_i64().unwrap(), 7200);
    assert_eq!(errcode(&a.wx_get(&format!("/cgi-bin/user/get?access_token={tok}")).await), 42001);
    // A new token from B supersedes A's (after the 5-minute grace) on both nodes.
    let t2 = b.token(&acc).await;
    assert_eq!(errcode(&a.wx_get(&format!("/cgi-bin/user/get?access_token={t2}")).await), 0);
}
