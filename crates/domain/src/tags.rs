//! Follower tags: WeChat's limits and reserved ids.

use herald_wire::TagId;

use crate::ErrCode;

pub const MAX_TAGS_PER_ACCOUNT: usize = 100;
pub const MAX_TAGS_PER_FOLLOWER: usize = 20;
pub const MAX_TAG_NAME_CHARS: usize = 30;
pub const MAX_BATCH_TAGGING: usize = 50;
pub const MAX_BATCH_BLACKLIST: usize = 20;
/// A tag with more followers than this cannot be deleted (45057).
pub const DELETE_MAX_FANS: i64 = 100_000;
/// Ids 0, 1 and 2 belong to the system; accounts' own tags are numbered from 100.
pub const FIRST_USER_TAG_ID: TagId = 100;
/// The system's "star" tag, present in every account.
pub const STAR_TAG_ID: TagId = 2;
pub const STAR_TAG_NAME: &str = "星标组";

pub fn is_system(id: TagId) -> bool {
    (0..=2).contains(&id)
}

/// Checks a new or changed tag name against the account's other tag names.
pub fn check_name<'a>(name: &str, others: impl IntoIterator<Item = &'a str>) -> Result<(), ErrCode> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ErrCode::InvalidTagName);
    }
    if name.chars().count() > MAX_TAG_NAME_CHARS {
        return Err(ErrCode::TagNameTooLong);
    }
    if name == STAR_TAG_NAME || others.into_iter().any(|o| o == name) {
        return Err(ErrCode::InvalidTagName);
    }
    Ok(())
}

/// The account may hold at most 100 tags of its own.
pub fn check_room(existing: usize) -> Result<(), ErrCode> {
    if existing >= MAX_TAGS_PER_ACCOUNT {
        Err(ErrCode::TooManyTags)
    } else {
        Ok(())
    }
}

/// Tags 0, 1 and 2 cannot be renamed or deleted.
pub fn check_mutable(id: TagId) -> Result<(), ErrCode> {
    if is_system(id) {
        Err(ErrCode::SystemTagImmutable)
    } else {
        Ok(())
    }
}

/// A batch of openids must hold 1..=max of them.
pub fn check_batch(len: usize, max: usize) -> Result<(), ErrCode> {
    if len == 0 || len > max {
        Err(ErrCode::InvalidOpenidList)
    } else {
        Ok(())
    }
}

/// Would adding `adding` new tags give this follower more than 20?
pub fn check_follower_room(current: usize, adding: usize) -> Result<(), ErrCode> {
    if current + adding > MAX_TAGS_PER_FOLLOWER {
        Err(ErrCode::UserTooManyTags)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(check_name("广东", ["北京"]), Ok(()));
        assert_eq!(check_name("", []), Err(ErrCode::InvalidTagName));
        assert_eq!(check_name("北京", ["北京"]), Err(ErrCode::InvalidTagName));
        assert_eq!(check_name(&"x".repeat(31), []), Err(ErrCode::TagNameTooLong));
        assert_eq!(check_name(&"标".repeat(30), []), Ok(()));
        assert_eq!(check_name(STAR_TAG_NAME, []), Err(ErrCode::InvalidTagName));
    }

    #[test]
    fn limits() {
        assert_eq!(check_room(99), Ok(()));
        assert_eq!(check_room(100), Err(ErrCode::TooManyTags));
        assert_eq!(check_mutable(2), Err(ErrCode::SystemTagImmutable));
        assert_eq!(check_mutable(100), Ok(()));
        assert_eq!(check_batch(0, 50), Err(ErrCode::InvalidOpenidList));
        assert_eq!(check_batch(51, 50), Err(ErrCode::InvalidOpenidList));
        assert_eq!(check_batch(50, 50), Ok(()));
        assert_eq!(check_follower_room(19, 1), Ok(()));
        assert_eq!(check_follower_room(20, 1), Err(ErrCode::UserTooManyTags));
    }
}
