"""wechatpy 1.8.18 drives every foundation endpoint, error paths included."""

import pytest
from wechatpy.exceptions import WeChatClientException


def setup_followers(herald, account, n):
    users = [herald.user("u%d" % i) for i in range(n)]
    return users, [herald.follow(u, account) for u in users]


def test_token_and_credential_errors(herald):
    acc = herald.account()
    client = herald.wechatpy(acc)
    res = client.fetch_access_token()
    assert res["expires_in"] == 7200 and len(res["access_token"]) > 32
    with pytest.raises(WeChatClientException) as e:
        herald.wechatpy(acc, secret="wrong").fetch_access_token()
    assert e.value.errcode == 40125
    with pytest.raises(WeChatClientException) as e:
        herald.wechatpy(dict(acc, appid="wx0000000000000000")).fetch_access_token()
    assert e.value.errcode == 40013


def test_followers(herald):
    acc = herald.account()
    users, openids = setup_followers(herald, acc, 4)
    client = herald.wechatpy(acc)
    res = client.user.get_followers()
    assert res["total"] == 4 and res["data"]["openid"] == openids
    assert list(client.user.iter_followers()) == openids
    info = client.user.get(openids[0])
    assert info["subscribe"] == 1 and info["openid"] == openids[0]
    assert info["subscribe_scene"] == "ADD_SCENE_SEARCH" and info["tagid_list"] == []
    assert "unionid" in info and "subscribe_time" in info
    batch = client.user.get_batch(openids[:2])
    assert [u["openid"] for u in batch] == openids[:2]
    client.user.update_remark(openids[1], "VIP 客户")
    assert client.user.get(openids[1])["remark"] == "VIP 客户"
    with pytest.raises(WeChatClientException) as e:
        client.user.get("o_not_a_follower")
    assert e.value.errcode == 40003
    herald.unfollow(users[0], acc)
    assert client.user.get(openids[0])["subscribe"] == 0
    assert list(client.user.iter_followers()) == openids[1:]


def test_tags(herald):
    acc = herald.account()
    _, openids = setup_followers(herald, acc, 3)
    client = herald.wechatpy(acc)
    tag = client.tag.create("广东")
    tid = tag["id"]  # wechatpy unwraps {"tag": {...}}
    assert tid >= 100 and tag["name"] == "广东"
    with pytest.raises(WeChatClientException) as e:
        client.tag.create("广东")
    assert e.value.errcode == 45157
    client.tag.update(tid, "广州")
    client.tag.tag_user(tid, openids[:2])
    client.tag.tag_user(tid, openids[2])
    tags = client.tag.get()
    assert {"id": tid, "name": "广州", "count": 3} in tags
    assert client.tag.get_user_tag(openids[0]) == [tid]
    assert client.tag.get_tag_users(tid)["data"]["openid"] == openids
    assert list(client.tag.iter_tag_users(tid)) == openids
    client.tag.untag_user(tid, openids[0])
    assert client.tag.get_user_tag(openids[0]) == []
    with pytest.raises(WeChatClientException) as e:
        client.tag.tag_user(tid, ["x"] * 51)
    assert e.value.errcode == 40032
    with pytest.raises(WeChatClientException) as e:
        client.tag.update(2, "star")
    assert e.value.errcode == 45058
    client.tag.delete(tid)
    with pytest.raises(WeChatClientException) as e:
        client.tag.delete(tid)
    assert e.value.errcode == 45159


def test_blacklist(herald):
    acc = herald.account()
    _, openids = setup_followers(herald, acc, 3)
    client = herald.wechatpy(acc)
    client.tag.batch_black_list(openids[:2])
    res = client.tag.get_black_list()
    assert res["total"] == 2 and res["data"]["openid"] == openids[:2]
    assert client.tag.get_black_list(openids[0])["data"]["openid"] == openids[1:2]
    client.tag.batch_unblack_list(openids[:1])
    assert client.tag.get_black_list()["data"]["openid"] == openids[1:2]
    with pytest.raises(WeChatClientException) as e:
        client.tag.batch_black_list(["nobody"])
    assert e.value.errcode == 40003


def test_expired_token_is_refreshed_by_the_sdk(herald):
    """wechatpy refetches on 42001 and retries: advancing the clock past 7200 s shows it."""
    herald.freeze()
    acc = herald.account()
    _, openids = setup_followers(herald, acc, 1)
    client = herald.wechatpy(acc)
    first = client.access_token
    assert client.user.get_followers()["total"] == 1
    herald.advance(7200)
    assert client.user.get_followers()["total"] == 1
    assert client.access_token != first


def test_unverified_subscription_account_is_unauthorized(herald):
    acc = herald.account("subscription", "individual", verified=False)
    client = herald.wechatpy(acc)
    with pytest.raises(WeChatClientException) as e:
        client.user.get_followers()
    assert e.value.errcode == 48001


def test_autoreply_rules_and_server_ips(herald):
    """message.get_autoreply_info reads the rules set through the platform API; misc.get_wechat_ips
    returns the callback addresses for an allow-list."""
    acc = herald.account("subscription", "individual", verified=False)
    client = herald.wechatpy(acc)
    herald.op("PUT", "/herald/v1/accounts/%s/auto_replies" % acc["appid"], {
        "subscribe": {"msgtype": "text", "content": "Welcome"},
        "default": {"msgtype": "voice", "media_id": "VOICE1"},
        "keywords": [{"keyword": "price", "match": "contain", "reply": {"msgtype": "text", "content": "10 yuan"}}],
    }, expect=200)
    info = client.message.get_autoreply_info()
    assert info["is_add_friend_reply_open"] == 1 and info["is_autoreply_open"] == 1
    assert info["add_friend_autoreply_info"] == {"type": "text", "content": "Welcome"}
    assert info["message_default_autoreply_info"] == {"type": "voice", "content": "VOICE1"}
    rule = info["keyword_autoreply_info"]["list"][0]
    assert rule["keyword_list_info"] == [{"type": "text", "match_mode": "contain", "content": "price"}]
    assert rule["reply_list_info"] == [{"type": "text", "content": "10 yuan"}]
    ips = client.misc.get_wechat_ips()
    assert ips[0] == "127.0.0.1"


def test_refetch_and_retry_after_42001_reuses_the_pooled_connection(herald):
    """A POST refused as 42001 before its body is read must leave requests' pooled keep-alive
    connection usable: wechatpy then refetches the token and retries on that connection. On a
    server that closed such connections without saying so, the retry failed with
    RemoteDisconnected, or the pool had to open a new connection (issue 25). The body is six
    articles of 19,000 characters (about 340 KB), more than the server reads before it refuses."""
    import io
    herald.freeze()
    acc = herald.account()
    client = herald.wechatpy(acc)
    thumb = client.material.add("image", ("c.png", io.BytesIO(b"\x89PNG" + b"\0" * 64), "image/png"))
    adapter = client._http.get_adapter(herald.base)
    for i in range(8):
        token = client.access_token
        herald.advance(7300)
        # The token wechatpy holds is now expired on Herald's clock (42001), not on its own.
        draft = client.post("draft/add", data={"articles": [
            {"title": "Long read %d.%d" % (i, n), "content": "<p>%s</p>" % ("字" * 19000), "thumb_media_id": thumb["media_id"]}
            for n in range(6)]})
        assert draft["media_id"]
        assert client.access_token != token
    # Every request went over the one pooled connection, none was dropped and redone.
    pools = adapter.poolmanager.pools
    opened = sum(pools[k].num_connections for k in pools.keys())
    assert opened == 1, opened


def test_a_fault_makes_the_first_call_expire_and_the_sdk_retries(herald):
    """Issue 29: a fault rule answers wechatpy's first user/get with 42001; wechatpy refetches
    its token and retries, and the retry succeeds."""
    acc = herald.account()
    _, openids = setup_followers(herald, acc, 2)
    client = herald.wechatpy(acc)
    first_token = client.access_token
    herald.op("POST", "/herald/v1/faults", {"path": "/cgi-bin/user/get", "appid": acc["appid"], "errcode": 42001, "count": 1}, expect=201)
    assert client.user.get_followers()["total"] == 2
    assert client.access_token != first_token, "the SDK refetched after 42001"
    assert herald.op("GET", "/herald/v1/faults")["faults"] == [], "the rule was used once"
