//! How the engine reaches the world: the resolver and the dialer. The only place that opens
//! sockets for SMTP. The lab dialer maps the addresses the lab's DNS hands out to loopback
//! ports and refuses everything else, so a lab run can never touch another host.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpSocket, TcpStream};

use super::dns::Dns;

/// Any byte stream a session can run over (TCP, TLS over TCP, an in-memory duplex in tests).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A boxed stream, so STARTTLS can swap plain TCP for TLS in place.
pub type BoxIo = Box<dyn Io>;

/// Opens SMTP connections.
#[derive(Clone, Debug)]
pub enum Dialer {
    /// Plain TCP to `ip:port`, from the local address `bind` when one is given.
    Direct { port: u16, bind: Option<IpAddr> },
    /// The embedded lab: each lab address maps to a loopback socket, or to `0.0.0.0:0` for a
    /// host whose packets are dropped (the connect hangs until its timeout). With
    /// `port25_blocked`, every connect hangs, as on a network that drops outbound port 25.
    Lab {
        routes: Arc<HashMap<IpAddr, SocketAddr>>,
        port25_blocked: bool,
    },
}

impl Dialer {
    /// Where a connection to `ip` really goes.
    pub fn target(&self, ip: IpAddr) -> io::Result<SocketAddr> {
        match self {
            Dialer::Direct { port, .. } => Ok(SocketAddr::new(ip, *port)),
            Dialer::Lab { routes, .. } => routes.get(&ip).copied().ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::ConnectionRefused,
                    format!("no lab server at {ip}"),
                )
            }),
        }
    }

    /// The port a connection to `ip` really goes to (the lab server's loopback port in the lab).
    pub fn shown_port(&self, ip: IpAddr) -> u16 {
        match self {
            Dialer::Direct { port, .. } => *port,
            Dialer::Lab { routes, .. } => routes.get(&ip).map(|a| a.port()).unwrap_or(25),
        }
    }

    /// The local address connections are made from, when one is set.
    pub fn bind(&self) -> Option<IpAddr> {
        match self {
            Dialer::Direct { bind, .. } => *bind,
            Dialer::Lab { .. } => None,
        }
    }

    /// Connects within `timeout`.
    pub async fn connect(&self, ip: IpAddr, timeout: Duration) -> io::Result<Connected> {
        let target = self.target(ip)?;
        let dropped = match self {
            Dialer::Lab { port25_blocked, .. } => *port25_blocked || target.port() == 0,
            Dialer::Direct { .. } => false,
        };
        if dropped {
            tokio::time::sleep(timeout).await;
            return Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out"));
        }
        let stream = tokio::time::timeout(timeout, connect_from(self.bind(), target))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
        Connected::new(stream)
    }
}

/// A new connection: the stream to speak SMTP over, and a watch on the same socket.
pub struct Connected {
    /// The stream (TLS goes on top of it).
    pub io: BoxIo,
    /// Tells when the server has closed the TCP connection, below any TLS layer.
    pub close_watch: CloseWatch,
}

impl Connected {
    fn new(stream: TcpStream) -> io::Result<Connected> {
        stream.set_nodelay(true)?;
        let std = stream.into_std()?;
        let watch = TcpStream::from_std(std.try_clone()?)?;
        Ok(Connected {
            io: Box::new(TcpStream::from_std(std)?),
            close_watch: CloseWatch(watch),
        })
    }
}

/// A second handle on a connection's socket. Under TLS the server's close_notify ends the
/// stream before the server has closed the TCP connection (Postfix sends it, then finishes the
/// session and logs the disconnect, then closes); only the TCP close means the server no longer
/// counts the session, and only this raw handle can see it.
pub struct CloseWatch(TcpStream);

impl CloseWatch {
    /// Waits until the server has closed the connection (end of stream or an error), reading
    /// and dropping at most `max_bytes`.
    pub async fn closed(&mut self, max_bytes: usize) {
        drain_until_closed(&mut self.0, max_bytes).await;
    }
}

/// Reads and drops what `reader` still sends until it ends (or fails), at most `max_bytes`.
pub async fn drain_until_closed<R: AsyncRead + Unpin>(reader: &mut R, max_bytes: usize) {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 512];
    let mut drained = 0;
    while drained <= max_bytes {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => drained += n,
        }
    }
}

/// Connects to `target`, from the local address `bind` (any port) when one is given.
async fn connect_from(bind: Option<IpAddr>, target: SocketAddr) -> io::Result<TcpStream> {
    // The caller picks a target of the bound address's IP version (`connect::reachable_ip`).
    let Some(local) = bind else {
        return TcpStream::connect(target).await;
    };
    let socket = if local.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket
        .bind(SocketAddr::new(local, 0))
        .map_err(|e| io::Error::new(e.kind(), format!("cannot bind to {local}: {e}")))?;
    socket.connect(target).await
}

/// The resolver and the dialer together.
#[derive(Clone)]
pub struct Net {
    /// Resolves MX and host addresses.
    pub dns: Dns,
    /// Opens connections.
    pub dialer: Dialer,
    /// Reach mail servers through this SOCKS5 proxy.
    pub proxy: Option<super::proxy::Socks5Proxy>,
}

impl Net {
    /// The real world: DNS as configured (system or `--dns`) and direct TCP.
    pub fn from_config(config: &crate::config::Config) -> Result<Net, String> {
        use super::dns::DnsServers;
        let servers = if config.dns.servers.is_empty() {
            DnsServers::System
        } else {
            let addrs = config
                .dns
                .servers
                .iter()
                .map(|s| crate::config::parse_dns_server(s))
                .collect::<Result<Vec<_>, _>>()?;
            DnsServers::Given(addrs)
        };
        let dns = Dns::new(&servers, crate::config::Config::secs(config.dns.timeout))?;
        Net {
            dns,
            dialer: Dialer::Direct {
                port: config.smtp.port,
                bind: config.smtp.bind_ip(),
            },
            proxy: None,
        }
        .with_proxy(config.smtp.proxy.as_deref())
    }

    /// Sets the proxy from its configured text (None or empty: no proxy).
    pub fn with_proxy(mut self, proxy: Option<&str>) -> Result<Net, String> {
        self.proxy = match proxy.filter(|p| !p.is_empty()) {
            Some(text) => Some(super::proxy::Socks5Proxy::parse(text)?),
            None => None,
        };
        Ok(self)
    }

    /// Connects to the mail server `host` at `ip`, directly or through the proxy, within
    /// `timeout`. A `socks5h://` proxy is given `host` (and resolves it) instead of `ip`.
    pub async fn connect(
        &self,
        host: &str,
        ip: IpAddr,
        timeout: Duration,
    ) -> io::Result<Connected> {
        let Some(proxy) = &self.proxy else {
            return self.dialer.connect(ip, timeout).await;
        };
        let target = self.dialer.target(ip)?;
        let stream = tokio::time::timeout(timeout, proxy.connect(host, target))
            .await
            .map_err(|_| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connect through the proxy timed out",
                )
            })??;
        Connected::new(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lab_dialer_refuses_unknown_addresses_without_connecting() {
        let dialer = Dialer::Lab {
            routes: Arc::new(HashMap::new()),
            port25_blocked: false,
        };
        let err = dialer.target("192.0.2.1".parse().unwrap()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[tokio::test]
    async fn the_close_watch_sees_the_tcp_close_even_after_the_stream_is_done_with() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let closing = Arc::new(AtomicBool::new(false));
        let server_closing = closing.clone();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            socket.write_all(b"221 bye\r\n").await.unwrap();
            // As a TLS server would after its close_notify: still busy, connection still open.
            tokio::time::sleep(Duration::from_millis(200)).await;
            server_closing.store(true, Ordering::SeqCst);
            drop(socket);
        });
        let dialer = Dialer::Direct { port, bind: None };
        let connected = dialer
            .connect("127.0.0.1".parse().unwrap(), Duration::from_secs(5))
            .await
            .unwrap();
        let (mut io, mut watch) = (connected.io, connected.close_watch);
        let mut reply = [0u8; 9];
        io.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"221 bye\r\n");
        watch.closed(4096).await;
        assert!(
            closing.load(Ordering::SeqCst),
            "the watch returned before the server closed the connection"
        );
        server.await.unwrap();
    }

    #[test]
    fn the_direct_dialer_uses_the_configured_port() {
        let dialer = Dialer::Direct {
            port: 2525,
            bind: None,
        };
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(dialer.target(ip).unwrap(), SocketAddr::new(ip, 2525));
    }
}
