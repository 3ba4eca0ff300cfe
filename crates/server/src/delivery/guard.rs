//! Where Herald may send callbacks: never to loopback, private, link-local or other
//! non-public addresses unless the operator allows it (`allow_private_callbacks`).
//! The outbound client (`client.rs`) applies it at connect time: to a literal address
//! before the request, to a hostname in the resolver its connections use.
//!
//! Addresses are classified by one table per family, taken from IANA's special-purpose
//! address registries (IPv4: RFC 6890 and its updates; IPv6 likewise), plus multicast and the
//! deprecated site-local range. A block is refused as a whole even where the registry marks a
//! few single addresses in it globally reachable (192.0.0.9, 2001:1::1, …): no developer
//! server lives there. IPv6 forms that carry an IPv4 address (IPv4-mapped, NAT64, 6to4) are
//! judged by the address they carry; the deprecated IPv4-compatible form is refused outright.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 blocks that are not public: (network, prefix length, what it is).
const V4_SPECIAL: &[([u8; 4], u8, &str)] = &[
    ([0, 0, 0, 0], 8, "this network"),
    ([10, 0, 0, 0], 8, "private use"),
    ([100, 64, 0, 0], 10, "shared address space (carrier-grade NAT)"),
    ([127, 0, 0, 0], 8, "loopback"),
    ([169, 254, 0, 0], 16, "link local"),
    ([172, 16, 0, 0], 12, "private use"),
    ([192, 0, 0, 0], 24, "IETF protocol assignments"),
    ([192, 0, 2, 0], 24, "documentation (TEST-NET-1)"),
    ([192, 88, 99, 0], 24, "6to4 relay anycast (deprecated)"),
    ([192, 168, 0, 0], 16, "private use"),
    ([198, 18, 0, 0], 15, "benchmarking"),
    ([198, 51, 100, 0], 24, "documentation (TEST-NET-2)"),
    ([203, 0, 113, 0], 24, "documentation (TEST-NET-3)"),
    ([224, 0, 0, 0], 4, "multicast"),
    ([240, 0, 0, 0], 4, "reserved"),
    ([255, 255, 255, 255], 32, "limited broadcast"),
];

/// How an IPv6 block is judged.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum V6 {
    /// Not public.
    Special(&'static str),
    /// Carries an IPv4 address in the last 32 bits: judged by it.
    EmbedsLast32,
    /// 6to4: carries an IPv4 address in bits 16–47.
    Embeds6to4,
}

const V6_TABLE: &[([u16; 8], u8, V6)] = &[
    ([0, 0, 0, 0, 0, 0, 0, 0], 128, V6::Special("unspecified")),
    ([0, 0, 0, 0, 0, 0, 0, 1], 128, V6::Special("loopback")),
    ([0, 0, 0, 0, 0, 0xffff, 0, 0], 96, V6::EmbedsLast32),
    ([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96, V6::EmbedsLast32),
    ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, V6::Special("local-use IPv4/IPv6 translation")),
    ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, V6::Special("discard-only")),
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23, V6::Special("IETF protocol assignments (Teredo, ORCHID, …)")),
    ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, V6::Special("documentation")),
    ([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, V6::Embeds6to4),
    ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, V6::Special("documentation")),
    ([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, V6::Special("segment routing SIDs")),
    ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, V6::Special("unique local")),
    ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, V6::Special("link local")),
    ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, V6::Special("site local (deprecated)")),
    ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, V6::Special("multicast")),
    // Listed last: the more specific ::/128 and ::1/128 above are matched first.
    ([0, 0, 0, 0, 0, 0, 0, 0], 96, V6::Special("IPv4-compatible (deprecated)")),
];

fn v4_block(ip: Ipv4Addr) -> Option<&'static str> {
    let a = u32::from(ip);
    V4_SPECIAL.iter().find(|(net, len, _)| a >> (32 - u32::from(*len)) == u32::from(Ipv4Addr::from(*net)) >> (32 - u32::from(*len))).map(|(_, _, what)| *what)
}

fn v6_block(ip: Ipv6Addr) -> Option<V6> {
    let a = u128::from(ip);
    V6_TABLE
        .iter()
        .find(|(net, len, _)| {
            let shift = 128 - u32::from(*len);
            a.checked_shr(shift).unwrap_or(0) == u128::from(Ipv6Addr::from(*net)).checked_shr(shift).unwrap_or(0)
        })
        .map(|(_, _, how)| *how)
}

/// Why `ip` is not public (None: it is).
pub fn special(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_block(v4),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            match v6_block(v6)? {
                V6::Special(what) => Some(what),
                V6::EmbedsLast32 => v4_block(Ipv4Addr::from(bits as u32)),
                V6::Embeds6to4 => v4_block(Ipv4Addr::from((bits >> 80) as u32)),
            }
        }
    }
}

pub fn is_public(ip: IpAddr) -> bool {
    special(ip).is_none()
}

/// Why a host that is or resolves to `ip` is refused.
pub fn refusal(host: &str, ip: IpAddr) -> String {
    let what = special(ip).unwrap_or("non-public");
    if host.parse::<IpAddr>().is_ok() {
        format!("{host} is a non-public address ({what}; set allow_private_callbacks to permit it)")
    } else {
        format!("{host} resolves to {ip}, a non-public address ({what}; set allow_private_callbacks to permit it)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_every_special_block() {
        let refused = [
            "0.1.2.3", "10.1.2.3", "100.64.0.1", "100.127.255.255", "127.0.0.1", "127.255.0.9", "169.254.169.254", "172.16.0.1",
            "172.31.255.255", "192.0.0.1", "192.0.0.170", "192.0.2.5", "192.88.99.1", "192.168.1.1", "198.18.0.1", "198.19.255.1",
            "198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
            "::", "::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::127.0.0.1", "::8.8.8.8", "64:ff9b::127.0.0.1",
            "64:ff9b::a9fe:a9fe", "64:ff9b:1::1", "100::1", "2001::1", "2001:1::1", "2001:db8::1", "2002:7f00:1::",
            "2002:c0a8:101::1", "3fff::1", "5f00::1", "fc00::1", "fd12:3456::1", "fe80::1", "febf::1", "fec0::1", "ff02::1",
        ];
        for bad in refused {
            assert!(!is_public(bad.parse().unwrap()), "{bad} must be refused");
        }
        let allowed = [
            "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.15.255.255", "172.32.0.1", "192.0.3.1", "192.169.0.1",
            "198.17.255.255", "198.20.0.1", "203.0.114.1", "223.255.255.255",
            "2606:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "2400:cb00::1",
        ];
        for good in allowed {
            assert!(is_public(good.parse().unwrap()), "{good} must be allowed");
        }
    }

    #[test]
    fn refusals_say_why() {
        assert!(refusal("10.0.0.1", "10.0.0.1".parse().unwrap()).contains("private use"));
        assert!(refusal("h.example", "64:ff9b::7f00:1".parse().unwrap()).contains("loopback"));
    }
}
