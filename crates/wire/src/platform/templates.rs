//! Template messages in the console: the account's industries, its templates, the platform's
//! library, and sending one to a follower. Each runs the `/cgi-bin` code it stands for
//! (`template/api_set_industry`, `template/api_add_template`, `template/get_all_private_template`,
//! `template/del_private_template`, `message/template/send`) as the account.
//! - `GET /herald/v1/accounts/{appid}/templates`
//! - `PUT /herald/v1/accounts/{appid}/templates/industry`
//! - `POST /herald/v1/accounts/{appid}/templates`, `DELETE …/templates/{id}`
//! - `POST /herald/v1/accounts/{appid}/templates/send`

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One of WeChat's industries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IndustryOut {
    pub id: i64,
    pub first_class: String,
    pub second_class: String,
}

/// A template: one the account added (`template_id`) or one of the library (`template_id_short`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TemplateOut {
    /// The account's id for it (empty for a library entry).
    pub template_id: String,
    pub template_id_short: String,
    pub title: String,
    pub primary_industry: String,
    pub deputy_industry: String,
    /// With `{{key.DATA}}` where each field goes.
    pub content: String,
    pub example: String,
    /// The fields to fill, in order.
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TemplatesOut {
    /// The account's primary and secondary industries (ids into `industries`).
    pub industry_id1: Option<i64>,
    pub industry_id2: Option<i64>,
    pub industries: Vec<IndustryOut>,
    /// The account's templates (at most 25).
    pub templates: Vec<TemplateOut>,
    /// The platform's library, to add from.
    pub library: Vec<TemplateOut>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IndustryIn {
    pub industry_id1: i64,
    pub industry_id2: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TemplateAddIn {
    pub template_id_short: String,
}

/// A template message to one follower: each field's text by key.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TemplateSendIn {
    pub touser: String,
    pub template_id: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub data: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TemplateSentOut {
    pub msgid: i64,
}
