//! Herald's outbound HTTP client: developer servers' callbacks and URL checks, merchants'
//! payment notifications. Built on hyper's pooled client, with no redirects followed, no proxy,
//! and every body read up to a bound.
//!
//! Where it may connect is decided when it connects. A literal address is checked before the
//! request; a hostname's addresses are checked by the resolver the connection itself uses, so a
//! name that resolves to a public address when the URL is saved and to a private one when a
//! callback connects (DNS rebinding) is still refused.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::guard::{is_public, refusal};

type Connector = hyper_rustls::HttpsConnector<HttpConnector<GuardedResolver>>;

/// The client every node shares (cheap to clone: the pool is shared).
#[derive(Clone)]
pub struct Outbound {
    client: Client<Connector, Full<Bytes>>,
    allow_private: bool,
}

/// One request: its URL (with any query pairs to append), headers and body.
pub struct Outgoing<'a> {
    pub method: Method,
    pub url: &'a str,
    pub query: &'a [(&'a str, &'a str)],
    pub headers: &'a [(&'a str, &'a str)],
    pub body: Bytes,
    /// For the whole exchange: connecting, sending and reading the answer.
    pub timeout: Duration,
    /// The longest body read; a longer one is reported as `body: None`.
    pub limit: usize,
}

/// What came back.
pub struct Answer {
    pub status: u16,
    /// None when the body was longer than the request's limit.
    pub body: Option<Bytes>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum SendError {
    /// The URL may not be reached (not http(s), or a non-public address); trying again will
    /// not help.
    Refused(String),
    /// No complete answer within the timeout.
    Timeout,
    /// Connecting, sending or reading failed.
    Failed(String),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Refused(why) | SendError::Failed(why) => f.write_str(why),
            SendError::Timeout => f.write_str("no answer in time"),
        }
    }
}

impl Outbound {
    /// `allow_private`: whether loopback, private and link-local addresses may be reached.
    pub fn new(allow_private: bool, connect_timeout: Duration) -> Outbound {
        let mut http = HttpConnector::new_with_resolver(GuardedResolver { allow_private });
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(connect_timeout));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(1024)
            .http1_title_case_headers(true)
            .build(https);
        Outbound { client, allow_private }
    }

    /// Sends one request and reads its answer.
    pub async fn send(&self, out: Outgoing<'_>) -> Result<Answer, SendError> {
        let uri = self.target(out.url, out.query)?;
        let mut req = Request::builder().method(out.method).uri(uri);
        for (name, value) in out.headers {
            req = req.header(*name, *value);
        }
        let req = req.body(Full::new(out.body)).map_err(|e| SendError::Failed(format!("bad request: {e}")))?;
        let exchange = async {
            let resp = self.client.request(req).await.map_err(connect_error)?;
            let status = resp.status().as_u16();
            match Limited::new(resp.into_body(), out.limit).collect().await {
                Ok(body) => Ok(Answer { status, body: Some(body.to_bytes()) }),
                Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Ok(Answer { status, body: None }),
                Err(e) => Err(SendError::Failed(format!("reading the answer failed: {e}"))),
            }
        };
        tokio::time::timeout(out.timeout, exchange).await.unwrap_or(Err(SendError::Timeout))
    }

    /// The URL with the query pairs appended, once its scheme and (literal) host are allowed.
    fn target(&self, url: &str, query: &[(&str, &str)]) -> Result<Uri, SendError> {
        let mut s = url.split('#').next().unwrap_or_default().to_string();
        for (i, (k, v)) in query.iter().enumerate() {
            s.push(if i == 0 && !s.contains('?') { '?' } else { '&' });
            s.extend(url::form_urlencoded::byte_serialize(k.as_bytes()));
            s.push('=');
            s.extend(url::form_urlencoded::byte_serialize(v.as_bytes()));
        }
        // A URL hyper cannot take as it is (a non-ASCII host or path, say) goes through the
        // URL standard's serialisation first.
        let uri = match s.parse::<Uri>() {
            Ok(u) => u,
            Err(_) => {
                let u = url::Url::parse(&s).map_err(|e| SendError::Refused(format!("invalid url: {e}")))?;
                u.as_str().parse::<Uri>().map_err(|e| SendError::Refused(format!("invalid url: {e}")))?
            }
        };
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(SendError::Refused("the url must be http or https".into()));
        }
        let host = uri.host().ok_or_else(|| SendError::Refused("the url has no host".into()))?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            if !self.allow_private && !is_public(ip) {
                return Err(SendError::Refused(refusal(bare, ip)));
            }
        }
        Ok(uri)
    }
}

/// A connection or request error as the attempt log shows it; a refusal by the resolver
/// stays a refusal.
fn connect_error(e: hyper_util::client::legacy::Error) -> SendError {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        if let Some(refused) = c.downcast_ref::<NonPublic>() {
            return SendError::Refused(refused.0.clone());
        }
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    SendError::Failed(text)
}

/// A hostname that resolved to an address Herald may not reach.
#[derive(Debug)]
struct NonPublic(String);

impl fmt::Display for NonPublic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for NonPublic {}

/// Resolves a hostname for a connection and refuses it when any of its addresses is not
/// public (unless private addresses are allowed).
#[derive(Clone)]
struct GuardedResolver {
    allow_private: bool,
}

type Resolving = Pin<Box<dyn Future<Output = Result<std::vec::IntoIter<SocketAddr>, Box<dyn StdError + Send + Sync>>> + Send>>;

impl tower_service::Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = Box<dyn StdError + Send + Sync>;
    type Future = Resolving;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
                .await
                .map_err(|e| format!("cannot resolve {host}: {e}"))?
                .collect();
            if !allow_private {
                if let Some(a) = addrs.iter().find(|a| !is_public(a.ip())) {
                    return Err(Box::new(NonPublic(refusal(host, a.ip()))) as Box<dyn StdError + Send + Sync>);
                }
            }
            Ok(addrs.into_iter())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn get<'a>(url: &'a str, query: &'a [(&'a str, &'a str)], limit: usize) -> Outgoing<'a> {
        Outgoing { method: Method::GET, url, query, headers: &[], body: Bytes::new(), timeout: Duration::from_secs(5), limit }
    }

    /// A server that answers every request on one connection with `body`, and reports the
    /// request line it saw.
    async fn answering(body: &'static str) -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/wx", l.local_addr().unwrap());
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let mut buf = vec![0; 4096];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let _ = tx.send(head.lines().next().unwrap_or_default().to_string());
                let resp = format!("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/\r\nContent-Length: {}\r\n\r\n{body}", body.len());
                let _ = s.write_all(resp.as_bytes()).await;
            }
        });
        (url, rx)
    }

    #[tokio::test]
    async fn appends_the_query_and_follows_no_redirect() {
        let (url, mut seen) = answering("hello").await;
        let c = Outbound::new(true, Duration::from_secs(1));
        let a = c.send(get(&format!("{url}?a=1"), &[("nonce", "1 2"), ("openid", "o&x")], 64)).await.unwrap();
        assert_eq!(a.status, 302);
        assert_eq!(a.body.as_deref(), Some(&b"hello"[..]));
        assert_eq!(seen.recv().await.unwrap(), "GET /wx?a=1&nonce=1+2&openid=o%26x HTTP/1.1");
        // A body past the limit is reported, not returned.
        let a = c.send(get(&url, &[], 4)).await.unwrap();
        assert_eq!(a.body, None);
        assert_eq!(seen.recv().await.unwrap(), "GET /wx HTTP/1.1");
        // A path hyper cannot take as written is sent as the URL standard serialises it.
        c.send(get(&format!("{url}/a b"), &[("nonce", "1")], 64)).await.unwrap();
        assert_eq!(seen.recv().await.unwrap(), "GET /wx/a%20b?nonce=1 HTTP/1.1");
    }

    #[tokio::test]
    async fn refuses_private_addresses_unless_allowed() {
        let (url, _seen) = answering("x").await;
        let c = Outbound::new(false, Duration::from_secs(1));
        let e = c.send(get(&url, &[], 64)).await.err().unwrap();
        assert!(matches!(&e, SendError::Refused(why) if why.contains("127.0.0.1") && why.contains("non-public")), "{e:?}");
        // A hostname is refused by the connection's own resolver: nothing checked it before.
        let named = url.replace("127.0.0.1", "localhost");
        let e = c.send(get(&named, &[], 64)).await.err().unwrap();
        assert!(matches!(&e, SendError::Refused(why) if why.contains("localhost") && why.contains("non-public")), "{e:?}");
        let e = c.send(get("http://[::1]:9/wx", &[], 64)).await.err().unwrap();
        assert!(matches!(&e, SendError::Refused(why) if why.contains("::1")), "{e:?}");
        assert!(matches!(c.send(get("ftp://example.com/", &[], 64)).await, Err(SendError::Refused(_))));
    }

    #[tokio::test]
    async fn https_goes_through_tls() {
        // A plain HTTP server behind an https URL: the TLS handshake fails, and says so.
        let (url, _seen) = answering("x").await;
        let c = Outbound::new(true, Duration::from_secs(1));
        let e = c.send(get(&url.replace("http://", "https://"), &[], 64)).await.err().unwrap();
        assert!(matches!(&e, SendError::Failed(why) if why.contains("Connect") && why.contains("corrupt message")), "{e:?}");
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/wx", l.local_addr().unwrap());
        let _held = tokio::spawn(async move {
            let (_s, _) = l.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(10)).await;
        });
        let c = Outbound::new(true, Duration::from_secs(1));
        let mut out = get(&url, &[], 64);
        out.timeout = Duration::from_millis(200);
        assert_eq!(c.send(out).await.err(), Some(SendError::Timeout));
    }
}
