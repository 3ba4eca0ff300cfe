//! An account's API IP allow-list: addresses and CIDR ranges (IPv4 or IPv6). Empty allows every
//! address, as a new account does. Pure.

use std::net::IpAddr;

use ipnet::IpNet;

/// At most this many entries.
pub const MAX_ENTRIES: usize = 200;

/// The list as stored (comma-separated, canonical forms), or why an entry is refused.
pub fn normalize(entries: &[String]) -> Result<String, String> {
    let mut out: Vec<String> = Vec::new();
    for raw in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        let net = match raw.parse::<IpNet>() {
            Ok(n) => n.trunc(),
            Err(_) => match raw.parse::<IpAddr>() {
                Ok(a) => IpNet::from(canonical(a)),
                Err(_) => return Err(format!("{raw:?} is not an IP address or a CIDR range")),
            },
        };
        let s = net.to_string();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.len() > MAX_ENTRIES {
        return Err(format!("at most {MAX_ENTRIES} addresses or ranges"));
    }
    Ok(out.join(","))
}

/// The stored list as entries.
pub fn entries(stored: &str) -> Vec<String> {
    stored.split(',').filter(|e| !e.is_empty()).map(str::to_string).collect()
}

/// IPv4 addresses mapped into IPv6 (`::ffff:1.2.3.4`) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// May `ip` call? Every address may when the list is empty.
pub fn allows(stored: &str, ip: IpAddr) -> bool {
    if stored.is_empty() {
        return true;
    }
    let ip = canonical(ip);
    stored.split(',').filter_map(|e| e.parse::<IpNet>().ok()).any(|n| n.contains(&ip))
}

/// WeChat's 40164 message for `ip`: `invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist`.
pub fn refusal(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => format!("invalid ip {v4} ipv6 {}, not in whitelist", v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => format!("invalid ip {v6} ipv6 {v6}, not in whitelist"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_checked_and_matched() {
        let list = normalize(&[" 10.1.2.3 ".into(), "192.168.0.0/16".into(), "2001:db8::/32".into(), "10.1.2.3".into(), "".into()]).unwrap();
        assert_eq!(list, "10.1.2.3/32,192.168.0.0/16,2001:db8::/32");
        assert!(allows(&list, "10.1.2.3".parse().unwrap()));
        assert!(allows(&list, "::ffff:10.1.2.3".parse().unwrap()), "a v4-mapped peer is its v4 address");
        assert!(allows(&list, "192.168.77.1".parse().unwrap()));
        assert!(allows(&list, "2001:db8::1".parse().unwrap()));
        assert!(!allows(&list, "10.1.2.4".parse().unwrap()));
        assert!(!allows(&list, "127.0.0.1".parse().unwrap()));
        assert!(allows("", "8.8.8.8".parse().unwrap()), "empty allows all");
        assert_eq!(normalize(&["10.0.0.7/8".into()]).unwrap(), "10.0.0.0/8");
        assert!(normalize(&["example.com".into()]).is_err());
        assert!(normalize(&["10.0.0.1/33".into()]).is_err());
        assert!(normalize(&(0..=MAX_ENTRIES).map(|i| format!("10.0.{}.{}", i / 256, i % 256)).collect::<Vec<_>>()).is_err());
        assert_eq!(refusal("1.2.3.4".parse().unwrap()), "invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist");
        assert_eq!(entries(&list).len(), 3);
    }
}
