//! The WeChat Official Account API as Herald serves it, one module per API area.
//! Each type's doc names the endpoint it belongs to.

pub mod tags;
pub mod token;
pub mod user;

use serde::{Deserialize, Serialize};

use crate::ids::OpenId;

/// `{"openid":[...]}`, the `data` member of every paged openid list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIdList {
    pub openid: Vec<OpenId>,
}

/// A page of openids: `user/get`, `user/tag/get` and `tags/members/getblacklist`.
/// `data` is left out when the page is empty, as WeChat does (wechatpy stops on it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIdPage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    pub count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<OpenIdList>,
    pub next_openid: String,
}

impl OpenIdPage {
    /// Builds a page the way WeChat does: `next_openid` is the last openid of a non-empty
    /// page (even when nothing follows) and empty for an empty page.
    pub fn from_ids(total: Option<i64>, ids: Vec<OpenId>) -> Self {
        let next_openid = ids.last().map(|o| o.0.clone()).unwrap_or_default();
        let count = ids.len() as i64;
        OpenIdPage {
            total,
            count,
            data: (count > 0).then_some(OpenIdList { openid: ids }),
            next_openid,
        }
    }
}
