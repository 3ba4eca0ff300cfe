//! The platform's addresses: `GET /cgi-bin/getcallbackip` (where callbacks come from, for a
//! developer server's allow-list) and `GET /cgi-bin/get_api_domain_ip` (where the API is
//! served), both `{"ip_list": [...]}`.

use std::net::{IpAddr, Ipv4Addr, UdpSocket};

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use url::Host;

use crate::error::WxResult;
use crate::extract::Caller;
use crate::state::AppState;

/// The addresses callbacks leave from: `callback_ips` when the operator set it, else this
/// node's loopback and its primary outbound address (found by routing, nothing is sent).
pub fn callback_ips_of(configured: Option<&str>) -> Vec<String> {
    if let Some(list) = configured {
        return list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
    }
    let mut ips = vec![Ipv4Addr::LOCALHOST.to_string()];
    let outbound = UdpSocket::bind("0.0.0.0:0").and_then(|s| s.connect("192.0.2.1:9").and_then(|_| s.local_addr()));
    if let Ok(a) = outbound {
        if !a.ip().is_loopback() && !a.ip().is_unspecified() {
            ips.push(a.ip().to_string());
        }
    }
    ips
}

pub async fn callback_ips(State(st): State<AppState>, _: Caller) -> WxResult<Value> {
    Ok(Json(json!({ "ip_list": st.callback_ips.as_ref() })))
}

/// The addresses of the host in the URL SDKs reach this server at; a wildcard listen address
/// stands for this node's own addresses.
pub async fn api_domain_ips(State(st): State<AppState>, _: Caller) -> WxResult<Value> {
    let host = url::Url::parse(st.base_url()).ok().and_then(|u| u.host().map(|h| h.to_owned()));
    let ip = match &host {
        Some(Host::Ipv4(a)) => Some(IpAddr::V4(*a)),
        Some(Host::Ipv6(a)) => Some(IpAddr::V6(*a)),
        _ => None,
    };
    let mut ips: Vec<String> = match (ip, &host) {
        (Some(ip), _) if ip.is_unspecified() => st.callback_ips.to_vec(),
        (Some(ip), _) => vec![ip.to_string()],
        (None, Some(Host::Domain(name))) => match tokio::net::lookup_host((name.as_str(), 80)).await {
            Ok(addrs) => addrs.map(|a| a.ip().to_string()).collect(),
            Err(_) => Vec::new(),
        },
        (None, _) => Vec::new(),
    };
    // A hosts file may name one address twice.
    let mut seen = std::collections::HashSet::new();
    ips.retain(|ip| seen.insert(ip.clone()));
    Ok(Json(json!({ "ip_list": ips })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_callback_ips_win_and_the_default_starts_with_loopback() {
        assert_eq!(callback_ips_of(Some(" 203.0.113.5, 203.0.113.6 ,")), ["203.0.113.5", "203.0.113.6"]);
        let derived = callback_ips_of(None);
        assert_eq!(derived[0], "127.0.0.1");
        assert!(derived.iter().all(|ip| ip.parse::<IpAddr>().is_ok()), "{derived:?}");
    }
}
