//! Herald's own platform API (`/herald/v1/...`): JSON over HTTP for the operator and for
//! simulated end users. Errors are `{"code":"...","message":"..."}` with an HTTP 4xx/5xx status.
//! Documented in `docs/openapi.yaml`.

pub mod accounts;
pub mod auth;
pub mod chats;
pub mod console;
pub mod deliveries;
pub mod members;
pub mod clock;
pub mod profile;
pub mod templates;
pub mod users;
pub mod wallet;

use serde::{Deserialize, Serialize};

/// The body of every failed platform-API call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlatformError {
    pub code: String,
    pub message: String,
}

/// Every platform type above as an OpenAPI schema, generated from the Rust types (utoipa), so the
/// document (docs/openapi.yaml, whose generated block crates/server/tests/it/openapi.rs keeps
/// equal to this) and the front end's TypeScript types made from it cannot drift from the server.
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    accounts::OwnerIn,
    accounts::OwnerOut,
    accounts::OwnerList,
    accounts::AccountCreate,
    accounts::IntroIn,
    accounts::ServerSettingsIo,
    accounts::AccountOut,
    accounts::AccountList,
    auth::SignUpIn,
    auth::SignInIn,
    auth::MeOut,
    auth::PasswordIn,
    auth::SessionOut,
    auth::SessionList,
    auth::SignedOutOut,
    auth::PasswordChangedOut,
    auth::SessionEndedOut,
    chats::PushArticleOut,
    chats::PushOut,
    chats::ChatLastOut,
    chats::ChatOut,
    chats::ChatList,
    chats::FolderOut,
    chats::PushList,
    chats::DirectoryEntry,
    chats::DirectoryList,
    chats::OkOut,
    clock::ClockOut,
    clock::ClockIn,
    console::OwnerSignInIn,
    console::ConsoleMeOut,
    console::ConsoleSessionList,
    console::FollowerOut,
    console::FollowerPage,
    console::OverviewOut,
    console::DailyOut,
    console::OwnerLoginOut,
    console::QrCodeOut,
    console::QrCodeList,
    console::QuickRepliesIo,
    members::MemberInviteIn,
    members::MemberRoleIn,
    members::MemberOut,
    members::MemberList,
    members::MemberInvitedOut,
    members::MemberRemovedOut,
    members::InvitationOut,
    members::AcceptInviteIn,
    members::TotpSetupOut,
    members::TotpCodeIn,
    members::TotpStateOut,
    templates::IndustryOut,
    templates::TemplateOut,
    templates::TemplatesOut,
    templates::IndustryIn,
    templates::TemplateAddIn,
    templates::TemplateSendIn,
    templates::TemplateSentOut,
    deliveries::AttemptOut,
    deliveries::DeliveryOut,
    deliveries::DeliveryList,
    deliveries::RequeuedOut,
    deliveries::ApiCallOut,
    deliveries::ApiCallList,
    PlatformError,
    profile::Profile,
    users::UserCreate,
    users::UserOut,
    users::UserList,
    users::FollowIn,
    users::RelationOut,
    users::RelationList,
    wallet::TopUpIn,
    wallet::TopUpOut,
    wallet::WalletEntryOut,
    wallet::WalletOut,
    wallet::LedgerAuditOut,
    wallet::CouponOut,
    wallet::CouponList,
    wallet::RedPackShareOut,
    wallet::RedPackOut,
    wallet::RedPackList,
    wallet::RedPackOpenedOut,
    crate::ids::AppId,
    crate::ids::OpenId,
    crate::ids::UnionId,
    crate::ids::UserId,
    crate::ids::OwnerId,
)))]
pub struct PlatformSchemas;

/// The schemas of [`PlatformSchemas`] as JSON, by name (sorted).
pub fn schemas() -> serde_json::Map<String, serde_json::Value> {
    use utoipa::OpenApi;
    let doc = serde_json::to_value(PlatformSchemas::openapi()).unwrap_or_default();
    doc["components"]["schemas"].as_object().cloned().unwrap_or_default()
}

#[cfg(test)]
mod schema_tests {
    #[test]
    fn schemas_follow_serde() {
        let s = super::schemas();
        let account = &s["AccountOut"];
        // serde's rename: the field is `type`, and typed ids are plain strings.
        assert!(account["properties"]["type"].is_object(), "{account}");
        assert!(account["properties"].get("account_type").is_none());
        assert_eq!(account["required"].as_array().unwrap().iter().filter(|v| *v == "appid").count(), 1);
        assert!(s["FollowerPage"]["properties"]["next"].is_object());
    }
}
