//! SMTP through a SOCKS5 proxy (tokio-socks): `socks5://[user:password@]host:port` or
//! `socks5h://…`. The proxy opens the TCP connection to the mail server, so the server sees the
//! proxy's address. With `socks5://` the proxy is given the IP address the engine resolved;
//! with `socks5h://` it is given the mail server's host name (a domain-name CONNECT, ATYP 3)
//! and resolves it itself. Either way the MX lookup (the DNS MX query) is made locally, and so
//! is the lookup of the MX host's addresses, which the engine keeps its per-server counts and
//! its transcript by. The address itself (parsing, how it is shown) is
//! [`crate::proxy_url`]'s.

use std::net::{IpAddr, SocketAddr};

use tokio::net::TcpStream;
use tokio_socks::TargetAddr;
use tokio_socks::tcp::Socks5Stream;

pub use crate::proxy_url::Socks5Proxy;

// Dialling is the engine's, so it is implemented here, beside the other socket code.
impl Socks5Proxy {
    /// Asks the proxy to connect to the mail server `host`, resolved locally to `target`: to
    /// `host` itself at `target`'s port with `socks5h://` (unless `host` is an IP address),
    /// else to `target`.
    pub async fn connect(&self, host: &str, target: SocketAddr) -> std::io::Result<TcpStream> {
        let target = self.target(host, target);
        let stream = match &self.credentials {
            Some((user, password)) => {
                Socks5Stream::connect_with_password(self.endpoint.as_str(), target, user, password)
                    .await
            }
            None => Socks5Stream::connect(self.endpoint.as_str(), target).await,
        }
        .map_err(|e| std::io::Error::other(format!("SOCKS5 proxy {}: {e}", self.shown())))?;
        Ok(stream.into_inner())
    }

    /// What the CONNECT request names: the host name with `socks5h://`, else the address.
    pub fn target<'a>(&self, host: &'a str, target: SocketAddr) -> TargetAddr<'a> {
        let name = host.trim_end_matches('.');
        if self.resolve_at_proxy && !name.is_empty() && name.parse::<IpAddr>().is_err() {
            TargetAddr::Domain(name.into(), target.port())
        } else {
            TargetAddr::Ip(target)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socks5h_names_the_host_and_socks5_the_address() {
        let at: SocketAddr = "192.0.2.1:25".parse().unwrap();
        let local = Socks5Proxy::parse("socks5://127.0.0.1:1080").unwrap();
        assert_eq!(local.target("mx.example", at), TargetAddr::Ip(at));
        let remote = Socks5Proxy::parse("socks5h://127.0.0.1:1080").unwrap();
        assert_eq!(
            remote.target("mx.example.", at),
            TargetAddr::Domain("mx.example".into(), 25)
        );
        // A server given as an IP address (--server 192.0.2.1) goes as one.
        assert_eq!(remote.target("192.0.2.1", at), TargetAddr::Ip(at));
    }
}
