//! Records and storage for content: uploaded files (temporary media, permanent materials,
//! article images), drafts, and publications. The bytes of files live in a `BlobStore`,
//! addressed by their SHA-256; the database keeps what refers to them.

use std::path::PathBuf;

use async_trait::async_trait;
use herald_wire::AppId;
use sha2::{Digest, Sha256};

use crate::{Result, StoreError};

/// An uploaded file, a news material or a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub media_id: String,
    pub appid: AppId,
    /// `temp` (kept 3 days), `material` (permanent), `image` (media/uploadimg), `draft`.
    pub kind: String,
    /// `image`, `voice`, `video`, `thumb`, `news`.
    pub media_type: String,
    pub blob_hash: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// JSON: the articles of news and drafts; title and introduction of videos.
    pub meta: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: Option<i64>,
}

/// A published set of articles (freepublish).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub publish_id: i64,
    pub appid: AppId,
    pub article_id: String,
    pub media_id: String,
    /// JSON array of articles.
    pub articles: String,
    /// Deleted article indexes (1-based, comma-separated), or `*`.
    pub deleted: String,
    pub status: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Builds a developer-server event for a publication, given it.
pub type PublishEvent<'a> = &'a (dyn Fn(&Publication) -> String + Send + Sync);

#[async_trait]
#[allow(clippy::too_many_arguments)]
pub trait ContentStore: Send + Sync {
    async fn put_media(&self, m: &Media) -> Result<()>;
    async fn media(&self, appid: &AppId, media_id: &str) -> Result<Option<Media>>;
    /// Replaces `meta` (a draft's or news material's articles); false if there is no such item.
    async fn update_media_meta(&self, appid: &AppId, media_id: &str, kind: &str, meta: &str, now: i64) -> Result<bool>;
    async fn delete_media(&self, appid: &AppId, media_id: &str, kind: &str) -> Result<bool>;
    /// How many items of `kind` an account has, by media type.
    async fn media_counts(&self, appid: &AppId, kind: &str) -> Result<Vec<(String, i64)>>;
    /// Items of `kind` (and `media_type`), newest first: (total, page).
    async fn media_page(&self, appid: &AppId, kind: &str, media_type: Option<&str>, offset: i64, count: i64) -> Result<(i64, Vec<Media>)>;

    /// Publishes articles and queues `event` (if the account has a developer server) in one
    /// transaction.
    async fn publish(&self, appid: &AppId, media_id: &str, article_id: &str, articles: &str, now: i64, event: PublishEvent<'_>, now_ms: i64)
        -> Result<Publication>;
    async fn publication(&self, appid: &AppId, publish_id: i64) -> Result<Option<Publication>>;
    async fn publication_by_article(&self, article_id: &str) -> Result<Option<Publication>>;
    async fn publications(&self, appid: &AppId, offset: i64, count: i64) -> Result<(i64, Vec<Publication>)>;
    async fn set_publication_deleted(&self, appid: &AppId, article_id: &str, deleted: &str, now: i64) -> Result<bool>;
}

/// Where file bytes live, addressed by content. A directory by default; an object store can
/// take its place.
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` (once, however often they are put) and returns their address.
    fn put(&self, bytes: &[u8]) -> Result<String>;
    fn get(&self, hash: &str) -> Result<Option<Vec<u8>>>;
}

/// The SHA-256 of `bytes`, in hex: a blob's address.
pub fn blob_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Blobs as files under a directory: `<dir>/<first two hex digits>/<hash>`.
pub struct DirBlobStore {
    dir: PathBuf,
}

impl DirBlobStore {
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::Other(format!("cannot create {}: {e}", dir.display())))?;
        Ok(DirBlobStore { dir })
    }

    fn path(&self, hash: &str) -> Option<PathBuf> {
        let ok = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| self.dir.join(&hash[..2]).join(hash))
    }
}

impl BlobStore for DirBlobStore {
    fn put(&self, bytes: &[u8]) -> Result<String> {
        let hash = blob_hash(bytes);
        let path = self.path(&hash).ok_or_else(|| StoreError::Other("bad hash".into()))?;
        if path.exists() {
            return Ok(hash);
        }
        let io = |e: std::io::Error| StoreError::Other(format!("blob store: {e}"));
        std::fs::create_dir_all(path.parent().unwrap_or(&self.dir)).map_err(io)?;
        // Written under a temporary name and renamed, so a reader never sees half a file.
        let tmp = path.with_extension(format!("tmp{}", rand::random::<u32>()));
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        Ok(hash)
    }

    fn get(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        let Some(path) = self.path(hash) else { return Ok(None) };
        match std::fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::Other(format!("blob store: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_content_addressed() {
        let dir = std::env::temp_dir().join(format!("herald-blob-test-{}", rand::random::<u64>()));
        let s = DirBlobStore::new(&dir).unwrap();
        let h = s.put(b"hello").unwrap();
        assert_eq!(h, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        assert_eq!(s.put(b"hello").unwrap(), h);
        assert_eq!(s.get(&h).unwrap().as_deref(), Some(&b"hello"[..]));
        assert_eq!(s.get(&"0".repeat(64)).unwrap(), None);
        assert_eq!(s.get("../etc/passwd").unwrap(), None);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
