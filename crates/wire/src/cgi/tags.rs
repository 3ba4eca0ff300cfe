//! Follower tags and the blacklist.
//! - `POST /cgi-bin/tags/create` `{"tag":{"name"}}` → `{"tag":{"id","name"}}`
//! - `GET /cgi-bin/tags/get` → `{"tags":[{"id","name","count"}]}`
//! - `POST /cgi-bin/tags/update` `{"tag":{"id","name"}}`
//! - `POST /cgi-bin/tags/delete` `{"tag":{"id"}}`
//! - `POST /cgi-bin/user/tag/get` `{"tagid","next_openid"}`
//! - `POST /cgi-bin/tags/members/batchtagging|batchuntagging` `{"openid_list","tagid"}`
//! - `POST /cgi-bin/tags/getidlist` `{"openid"}` → `{"tagid_list":[...]}`
//! - `POST /cgi-bin/tags/members/getblacklist` `{"begin_openid"}`
//! - `POST /cgi-bin/tags/members/batchblacklist|batchunblacklist` `{"openid_list"}`

use serde::{Deserialize, Serialize};

use crate::ids::TagId;
use crate::lenient;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TagIn {
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub id: Option<i64>,
    pub name: Option<String>,
}

/// Body of `tags/create`, `tags/update` and `tags/delete`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TagRequest {
    pub tag: Option<TagIn>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagOut {
    pub id: TagId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagCreateResponse {
    pub tag: TagOut,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagWithCount {
    pub id: TagId,
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagListResponse {
    pub tags: Vec<TagWithCount>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TagUsersRequest {
    #[serde(default, deserialize_with = "lenient::opt_int", alias = "tag_id")]
    pub tagid: Option<i64>,
    pub next_openid: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct BatchTaggingRequest {
    pub openid_list: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient::opt_int", alias = "tag_id")]
    pub tagid: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GetIdListRequest {
    pub openid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetIdListResponse {
    pub tagid_list: Vec<TagId>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct BlacklistGetRequest {
    pub begin_openid: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct BlacklistBatchRequest {
    pub openid_list: Option<Vec<String>>,
}
