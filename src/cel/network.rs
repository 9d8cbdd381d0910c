//! The values of the Kubernetes `ip`, `cidr` and `url` CEL libraries.
//!
//! Addresses follow Kubernetes' strict parsing (no zone, no IPv4-mapped IPv6 for `ip()`,
//! canonical network address not required for `cidr()`); URLs follow Go's
//! `url.ParseRequestURI`, which the `url()` function uses: an absolute URL or an absolute path.

use std::net::IpAddr;

/// An IP address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Ip(pub(super) IpAddr);

/// An IP prefix: an address and a prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cidr {
    pub(super) address: IpAddr,
    pub(super) prefix: u8,
}

impl Ip {
    pub(super) fn parse(text: &str) -> Option<Ip> {
        let address: IpAddr = text.parse().ok()?;
        let mapped = matches!(address, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some());
        (!mapped).then_some(Ip(address))
    }

    pub(super) fn family(self) -> i64 {
        if self.0.is_ipv4() { 4 } else { 6 }
    }

    pub(super) fn is_link_local_unicast(self) -> bool {
        match self.0 {
            IpAddr::V4(v4) => v4.is_link_local(),
            IpAddr::V6(v6) => v6.segments().first().is_some_and(|s| s & 0xffc0 == 0xfe80),
        }
    }

    pub(super) fn is_link_local_multicast(self) -> bool {
        match self.0 {
            IpAddr::V4(v4) => v4.octets().get(..3) == Some(&[224, 0, 0]),
            IpAddr::V6(v6) => v6.segments().first().is_some_and(|s| s & 0xff0f == 0xff02),
        }
    }

    /// Go's `IsGlobalUnicast`: not unspecified, loopback, multicast, link-local or broadcast.
    pub(super) fn is_global_unicast(self) -> bool {
        let broadcast = matches!(self.0, IpAddr::V4(v4) if v4.is_broadcast());
        !(self.0.is_unspecified()
            || self.0.is_loopback()
            || self.0.is_multicast()
            || self.is_link_local_unicast()
            || broadcast)
    }
}

impl Cidr {
    pub(super) fn parse(text: &str) -> Option<Cidr> {
        let (address, prefix) = text.split_once('/')?;
        let Ip(address) = Ip::parse(address)?;
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let prefix: u8 = prefix.parse().ok()?;
        (prefix <= max_prefix(address)).then_some(Cidr { address, prefix })
    }

    pub(super) fn contains(self, ip: IpAddr) -> bool {
        match (self.address, ip) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }

    pub(super) fn contains_cidr(self, other: Cidr) -> bool {
        other.prefix >= self.prefix && self.contains(other.address)
    }

    /// The prefix with the host bits cleared.
    pub(super) fn masked(self) -> Cidr {
        let address = match self.address {
            IpAddr::V4(v4) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4((u32::from(v4) & mask).into())
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6((u128::from(v6) & mask).into())
            }
        };
        Cidr {
            address,
            prefix: self.prefix,
        }
    }
}

fn max_prefix(address: IpAddr) -> u8 {
    if address.is_ipv4() { 32 } else { 128 }
}

/// A URL split into the parts the `url` library returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Url {
    pub(super) scheme: String,
    /// Host and port as written, IPv6 brackets included.
    pub(super) host: String,
    pub(super) path: String,
    pub(super) query: String,
}

impl Url {
    /// Go's `url.ParseRequestURI`: `scheme://host/path?query` or an absolute `/path?query`;
    /// a fragment is not allowed.
    pub(super) fn parse(text: &str) -> Option<Url> {
        if text.contains('#') || text.chars().any(|c| c.is_ascii_control() || c == ' ') {
            return None;
        }
        let (rest, query) = text.split_once('?').unwrap_or((text, ""));
        if rest.starts_with('/') {
            return Some(Url {
                scheme: String::new(),
                host: String::new(),
                path: rest.to_owned(),
                query: query.to_owned(),
            });
        }
        let (scheme, rest) = rest.split_once(':')?;
        let mut scheme_chars = scheme.chars();
        let valid_scheme = scheme_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && scheme_chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if !valid_scheme {
            return None;
        }
        let (host, path) = match rest.strip_prefix("//") {
            Some(authority) => {
                let end = authority.find('/').unwrap_or(authority.len());
                let (host, path) = authority.split_at_checked(end)?;
                let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
                (host.to_owned(), path.to_owned())
            }
            None if rest.starts_with('/') => (String::new(), rest.to_owned()),
            None => return None,
        };
        Some(Url {
            scheme: scheme.to_owned(),
            host,
            path,
            query: query.to_owned(),
        })
    }

    /// The host without the port and without IPv6 brackets.
    pub(super) fn hostname(&self) -> &str {
        if let Some(bracketed) = self.host.strip_prefix('[') {
            return bracketed
                .split_once(']')
                .map_or(bracketed, |(host, _)| host);
        }
        self.host
            .split_once(':')
            .map_or(self.host.as_str(), |(host, _)| host)
    }

    pub(super) fn port(&self) -> &str {
        let after_host = match self.host.strip_prefix('[') {
            Some(bracketed) => bracketed.split_once(']').map_or("", |(_, rest)| rest),
            None => self.host.split_once(':').map_or("", |(_, port)| port),
        };
        after_host.strip_prefix(':').unwrap_or(after_host)
    }

    /// The query as a map from each key to its values, in order, percent-decoded.
    pub(super) fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decoded(key), percent_decoded(value))
            })
            .collect()
    }
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let hex = bytes
            .get(at + 1..at + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (byte, hex) {
            (b'%', Some(value)) => {
                decoded.push(value);
                at += 3;
            }
            (b'+', _) => {
                decoded.push(b' ');
                at += 1;
            }
            _ => {
                decoded.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_prefixes() {
        assert_eq!(Ip::parse("10.0.0.1").map(Ip::family), Some(4));
        assert_eq!(Ip::parse("::1").map(Ip::family), Some(6));
        assert_eq!(Ip::parse("::ffff:1.2.3.4"), None);
        assert_eq!(Ip::parse("1.2.3"), None);
        let cidr = Cidr::parse("10.0.0.0/8").unwrap_or_else(|| unreachable!());
        assert!(cidr.contains("10.1.2.3".parse().unwrap_or_else(|_| unreachable!())));
        assert!(!cidr.contains("11.0.0.1".parse().unwrap_or_else(|_| unreachable!())));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        let host_bits = Cidr::parse("192.168.1.7/24").unwrap_or_else(|| unreachable!());
        assert_eq!(
            host_bits.masked(),
            Cidr::parse("192.168.1.0/24").unwrap_or_else(|| unreachable!())
        );
        assert!(!cidr.contains_cidr(host_bits.masked()));
        assert!(cidr.contains_cidr(Cidr::parse("10.1.0.0/16").unwrap_or_else(|| unreachable!())));
        assert!(Ip::parse("8.8.8.8").is_some_and(Ip::is_global_unicast));
        assert!(Ip::parse("169.254.1.1").is_some_and(Ip::is_link_local_unicast));
    }

    #[test]
    fn urls_split_like_go() {
        let url = Url::parse("https://user@example.com:8443/a%20b?x=1&x=2&y=z%21")
            .unwrap_or_else(|| unreachable!());
        assert_eq!(url.scheme, "https");
        assert_eq!(url.host, "example.com:8443");
        assert_eq!(url.hostname(), "example.com");
        assert_eq!(url.port(), "8443");
        assert_eq!(url.path, "/a%20b");
        assert_eq!(url.query_pairs().len(), 3);
        let ipv6 = Url::parse("http://[::1]:80/").unwrap_or_else(|| unreachable!());
        assert_eq!((ipv6.hostname(), ipv6.port()), ("::1", "80"));
        assert!(Url::parse("/relative/path").is_some());
        assert_eq!(Url::parse("not a url"), None);
        assert_eq!(Url::parse("https://example.com/#fragment"), None);
    }
}
