//! A simulated user's profile: what `/sns/userinfo` reports and conditional menus match.

use serde::{Deserialize, Serialize};

/// The client platforms a user may be on.
pub const PLATFORMS: &[&str] = &["ios", "android", "other"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Profile {
    /// 0 unknown, 1 male, 2 female.
    pub sex: i64,
    pub language: String,
    pub country: String,
    pub province: String,
    pub city: String,
    pub headimgurl: String,
    /// `ios`, `android` or `other`.
    pub platform: String,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            sex: 0,
            language: "zh_CN".into(),
            country: String::new(),
            province: String::new(),
            city: String::new(),
            headimgurl: String::new(),
            platform: "other".into(),
        }
    }
}

impl Profile {
    pub fn check(&self) -> Result<(), String> {
        if !(0..=2).contains(&self.sex) {
            return Err("sex must be 0, 1 or 2".into());
        }
        if !PLATFORMS.contains(&self.platform.as_str()) {
            return Err("platform must be ios, android or other".into());
        }
        if [&self.language, &self.country, &self.province, &self.city].iter().any(|s| s.chars().count() > 64) || self.headimgurl.len() > 1024 {
            return Err("profile fields are at most 64 characters (headimgurl 1024 bytes)".into());
        }
        Ok(())
    }

    /// `client_platform_type` of conditional menus: 1 iOS, 2 Android, 3 other.
    pub fn platform_type(&self) -> i64 {
        match self.platform.as_str() {
            "ios" => 1,
            "android" => 2,
            _ => 3,
        }
    }

    pub fn from_json(s: &str) -> Profile {
        serde_json::from_str(s).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}
