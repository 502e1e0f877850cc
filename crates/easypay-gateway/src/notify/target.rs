//! Where notifications may go (issue: server-side request forgery). Outside sandbox mode a target
//! that resolves to a loopback, private, link-local (cloud metadata) or otherwise internal address is
//! refused unless the allowlist admits it. The check runs in the DNS resolver the HTTP client
//! connects with, so the address checked is the address connected to.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

#[derive(Debug, Clone)]
pub struct TargetPolicy {
    /// Sandbox mode: anything goes (merchants test against localhost).
    pub allow_internal: bool,
    pub allowlist: Vec<IpNet>,
}

impl TargetPolicy {
    pub fn permits(&self, ip: IpAddr) -> bool {
        self.allow_internal
            || !is_internal(ip)
            || self.allowlist.iter().any(|net| net.contains(&ip))
    }

    /// A refusal for a URL whose host is a literal address (no DNS lookup happens for those).
    pub fn refuses_literal(&self, url: &reqwest::Url) -> Option<IpAddr> {
        let ip = match url.host()? {
            url::Host::Ipv4(ip) => IpAddr::V4(ip),
            url::Host::Ipv6(ip) => IpAddr::V6(ip),
            url::Host::Domain(_) => return None,
        };
        (!self.permits(ip)).then_some(ip)
    }
}

fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || v4.octets()[0] == 0
                // Carrier-grade NAT, 100.64.0.0/10.
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_internal(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00 // unique local, includes fd00:ec2::254
                    || (first & 0xffc0) == 0xfe80 // link-local
            }
        },
    }
}

/// Resolves names, keeping only the addresses the policy permits.
pub struct GuardedResolver {
    pub policy: Arc<TargetPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let permitted: Vec<SocketAddr> = resolved
                .iter()
                .copied()
                .filter(|addr| policy.permits(addr.ip()))
                .collect();
            if permitted.is_empty() {
                let refused = resolved
                    .first()
                    .map(|addr| addr.ip().to_string())
                    .unwrap_or_default();
                return Err(format!(
                    "target refused: {host} resolves to internal address {refused}"
                )
                .into());
            }
            let addrs: Addrs = Box::new(permitted.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allowlist: &[&str]) -> TargetPolicy {
        TargetPolicy {
            allow_internal: false,
            allowlist: allowlist.iter().map(|net| net.parse().unwrap()).collect(),
        }
    }

    #[test]
    fn internal_addresses_are_refused() {
        let policy = policy(&[]);
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
        ] {
            assert!(!policy.permits(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["203.233.72.150", "8.8.8.8", "2001:4860:4860::8888"] {
            assert!(policy.permits(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn the_allowlist_and_sandbox_admit_internal_addresses() {
        assert!(policy(&["10.0.0.0/8"]).permits("10.9.9.9".parse().unwrap()));
        assert!(!policy(&["10.0.0.0/8"]).permits("192.168.0.1".parse().unwrap()));
        let sandbox = TargetPolicy {
            allow_internal: true,
            allowlist: vec![],
        };
        assert!(sandbox.permits("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn literal_address_urls_are_checked_without_dns() {
        let policy = policy(&[]);
        let url = reqwest::Url::parse("http://169.254.169.254/latest/meta-data").unwrap();
        assert_eq!(
            policy.refuses_literal(&url),
            Some("169.254.169.254".parse().unwrap())
        );
        let url = reqwest::Url::parse("http://[::1]:8080/").unwrap();
        assert!(policy.refuses_literal(&url).is_some());
        let url = reqwest::Url::parse("https://shop.example/notify").unwrap();
        assert_eq!(policy.refuses_literal(&url), None);
    }
}
