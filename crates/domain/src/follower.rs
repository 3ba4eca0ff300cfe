//! Followers: page sizes, batch limits, remarks and the ways a user comes to follow.

use crate::ErrCode;

/// `user/get`, `user/tag/get` and `getblacklist` return at most this many openids a page.
pub const PAGE_SIZE: usize = 10_000;
/// `user/info/batchget` takes at most this many openids.
pub const BATCHGET_MAX: usize = 100;
/// A remark is at most 30 characters.
pub const REMARK_MAX_CHARS: usize = 30;

/// `subscribe_scene` values (reference §6).
pub const SCENES: &[&str] = &[
    "ADD_SCENE_SEARCH",
    "ADD_SCENE_ACCOUNT_MIGRATION",
    "ADD_SCENE_PROFILE_CARD",
    "ADD_SCENE_QR_CODE",
    "ADD_SCENE_PROFILE_LINK",
    "ADD_SCENE_PROFILE_ITEM",
    "ADD_SCENE_PAID",
    "ADD_SCENE_WECHAT_ADVERTISEMENT",
    "ADD_SCENE_REPRINT",
    "ADD_SCENE_LIVESTREAM",
    "ADD_SCENE_CHANNELS",
    "ADD_SCENE_OTHERS",
];

/// The scene used when a follow names none.
pub const DEFAULT_SCENE: &str = "ADD_SCENE_SEARCH";

pub fn check_scene(scene: &str) -> bool {
    SCENES.contains(&scene)
}

pub fn check_remark(remark: &str) -> Result<(), ErrCode> {
    if remark.chars().count() > REMARK_MAX_CHARS {
        Err(ErrCode::InvalidParameter)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remark_length() {
        assert!(check_remark(&"备".repeat(30)).is_ok());
        assert_eq!(check_remark(&"x".repeat(31)), Err(ErrCode::InvalidParameter));
    }

    #[test]
    fn scenes() {
        assert!(check_scene("ADD_SCENE_QR_CODE"));
        assert!(!check_scene("ADD_SCENE_TELEPATHY"));
    }
}
