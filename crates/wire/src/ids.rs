//! Typed identifiers. Each is a string on the wire (serde-transparent) so a value of one kind
//! cannot be passed where another is expected.

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($( $(#[$doc:meta])* $name:ident; )*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str { &self.0 }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(&self.0) }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self { $name(s) }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self { $name(s.to_string()) }
        }
    )*};
}

string_id! {
    /// An official account's AppID (`wx` + 16 hex digits).
    AppId;
    /// A follower's id as one account sees them; stable per (account, user).
    OpenId;
    /// A user's id across all accounts of one owner.
    UnionId;
    /// A platform end user (a simulated or real person using the messenger).
    UserId;
    /// The individual or organisation that owns accounts.
    OwnerId;
}

/// A tag id as the follower-tag API numbers them (0, 1, 2 are system tags).
pub type TagId = i64;
