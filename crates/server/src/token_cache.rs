//! A per-node cache of `access_token → (token row, account)` lookups, the read every API call
//! starts with. Entries live at most one second. Validity is still judged against the platform
//! clock on every call from the cached row (expiry and the 5-minute rotation cutoff are times
//! stored in the row), so the cache only delays news from *other* nodes, by at most a second:
//! a `force_refresh` or an account change made through another node. Tokens issued through this
//! node drop the account's entries here at once, and so do account changes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use herald_domain::token::IssuedToken;
use herald_store::AccountAuth;
use herald_wire::AppId;

const TTL: Duration = Duration::from_secs(1);
const MAX_ENTRIES: usize = 50_000;

type Entry = (Instant, IssuedToken, AccountAuth);

#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl TokenCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A cached lookup younger than the TTL.
    pub fn get(&self, token: &str) -> Option<(IssuedToken, AccountAuth)> {
        let map = self.lock();
        let (at, t, a) = map.get(token)?;
        (at.elapsed() < TTL).then(|| (t.clone(), a.clone()))
    }

    pub fn put(&self, token: &str, found: &(IssuedToken, AccountAuth)) {
        let mut map = self.lock();
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, (at, _, _)| at.elapsed() < TTL);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(token.to_string(), (Instant::now(), found.0.clone(), found.1.clone()));
    }

    /// Forgets every token of one account (a token was issued or revoked for it).
    pub fn forget_account(&self, appid: &AppId) {
        self.lock().retain(|_, (_, _, a)| &a.appid != appid);
    }

    /// Forgets everything (an account's type, verification or owner changed).
    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_domain::account::{AccountKind, AccountType};
    use herald_domain::token::TokenKind;

    fn entry(appid: &str) -> (IssuedToken, AccountAuth) {
        (
            IssuedToken { token: "t".into(), kind: TokenKind::Client, issued_at: 0, expires_at: 7200, revoked_at: None, forced: false },
            AccountAuth {
                appid: AppId(appid.into()),
                owner_id: "o".into(),
                kind: AccountKind { ty: AccountType::Service, verified: true },
            },
        )
    }

    #[test]
    fn entries_expire_and_can_be_forgotten() {
        let c = TokenCache::default();
        c.put("a", &entry("wx1"));
        c.put("b", &entry("wx2"));
        assert!(c.get("a").is_some());
        c.forget_account(&AppId("wx1".into()));
        assert!(c.get("a").is_none());
        assert!(c.get("b").is_some());
        c.clear();
        assert!(c.get("b").is_none());
        c.put("c", &entry("wx1"));
        std::thread::sleep(TTL + Duration::from_millis(50));
        assert!(c.get("c").is_none(), "older than the TTL");
    }
}
