//! The JS-SDK page signature: sha1 over `jsapi_ticket`, `noncestr`, `timestamp` and `url`,
//! sorted by key and joined as `k=v&k=v` with raw values.

use sha1::{Digest, Sha1};

/// The signature a page passes to `wx.config`. `url` loses anything from `#` on.
pub fn signature(jsapi_ticket: &str, noncestr: &str, timestamp: &str, url: &str) -> String {
    let url = url.split('#').next().unwrap_or("");
    let s = format!("jsapi_ticket={jsapi_ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}");
    hex::encode(Sha1::digest(s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WeChat's published example (reference §10.3).
    #[test]
    fn known_answers() {
        let t = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";
        assert_eq!(signature(t, "Wm3WZYTPz0wzccnW", "1414587457", "http://mp.weixin.qq.com"), "f4d90daf4b3bca3078ab155816175ba34c443a7b");
        assert_eq!(
            signature(t, "Wm3WZYTPz0wzccnW", "1414587457", "http://mp.weixin.qq.com?params=value#frag"),
            "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
        );
    }
}
