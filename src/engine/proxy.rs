//! SMTP through a SOCKS5 proxy (tokio-socks): `socks5://[user:password@]host:port`. The proxy
//! opens the TCP connection to the mail server, so the server sees the proxy's address. The
//! address itself (parsing, how it is shown) is [`crate::proxy_url`]'s.

use std::net::SocketAddr;

use tokio::net::TcpStream;
use tokio_socks::tcp::Socks5Stream;

pub use crate::proxy_url::Socks5Proxy;

// Dialling is the engine's, so it is implemented here, beside the other socket code.
impl Socks5Proxy {
    /// Asks the proxy to connect to `target`.
    pub async fn connect(&self, target: SocketAddr) -> std::io::Result<TcpStream> {
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
}
