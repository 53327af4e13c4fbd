//! SMTP through a SOCKS5 proxy. The proxy here is a small RFC 1928/1929 server written for the
//! test (CONNECT only, loopback targets only, every `*.lab.test` name resolving to 127.0.0.1,
//! where the lab's servers listen); the real-server suite runs dante.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mxknock::config::Config;
use mxknock::engine::judge::verdict::{Reason, Report};
use mxknock::engine::{Engine, EventKind};
use mxknock::lab::{Lab, LabOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A CONNECT the test proxy carried out: the address type (1 IPv4, 3 domain name, 4 IPv6) and
/// the target as requested (`127.0.0.1:2525`, `mx1.lab.test:2525`).
type Requested = (u8, String);

/// Starts the test proxy; returns its address and the targets it connected to.
async fn socks5_proxy(
    credentials: Option<(&'static str, &'static str)>,
) -> (SocketAddr, Arc<Mutex<Vec<Requested>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let _ = serve(client, credentials, log).await;
            });
        }
    });
    (addr, seen)
}

async fn serve(
    mut client: TcpStream,
    credentials: Option<(&str, &str)>,
    log: Arc<Mutex<Vec<Requested>>>,
) -> std::io::Result<()> {
    let mut head = [0u8; 2];
    client.read_exact(&mut head).await?;
    let mut methods = vec![0u8; head[1] as usize];
    client.read_exact(&mut methods).await?;
    let wanted = if credentials.is_some() { 2 } else { 0 };
    if head[0] != 5 || !methods.contains(&wanted) {
        client.write_all(&[5, 0xff]).await?;
        return Ok(());
    }
    client.write_all(&[5, wanted]).await?;
    if let Some((user, password)) = credentials {
        let mut version_and_len = [0u8; 2];
        client.read_exact(&mut version_and_len).await?;
        let mut name = vec![0u8; version_and_len[1] as usize];
        client.read_exact(&mut name).await?;
        let mut len = [0u8; 1];
        client.read_exact(&mut len).await?;
        let mut pass = vec![0u8; len[0] as usize];
        client.read_exact(&mut pass).await?;
        let ok = name == user.as_bytes() && pass == password.as_bytes();
        client.write_all(&[1, if ok { 0 } else { 1 }]).await?;
        if !ok {
            return Ok(());
        }
    }
    let mut request = [0u8; 4];
    client.read_exact(&mut request).await?;
    let (ip, name): (IpAddr, Option<String>) = match request[3] {
        1 => {
            let mut octets = [0u8; 4];
            client.read_exact(&mut octets).await?;
            (IpAddr::from(octets), None)
        }
        3 => {
            let mut len = [0u8; 1];
            client.read_exact(&mut len).await?;
            let mut name = vec![0u8; len[0] as usize];
            client.read_exact(&mut name).await?;
            let name = String::from_utf8_lossy(&name).into_owned();
            if !name.ends_with(".lab.test") {
                client.write_all(&[5, 4, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
                return Ok(());
            }
            (IpAddr::from([127, 0, 0, 1]), Some(name))
        }
        4 => {
            let mut octets = [0u8; 16];
            client.read_exact(&mut octets).await?;
            (IpAddr::from(octets), None)
        }
        _ => return Ok(()),
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port).await?;
    let target = SocketAddr::new(ip, u16::from_be_bytes(port));
    if request[1] != 1 || !ip.is_loopback() {
        client.write_all(&[5, 2, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Ok(());
    }
    let mut server = TcpStream::connect(target).await?;
    let requested = match name {
        Some(name) => format!("{name}:{}", target.port()),
        None => target.to_string(),
    };
    log.lock().unwrap().push((request[3], requested));
    client.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut client, &mut server).await?;
    Ok(())
}

async fn check_through(lab: &Lab, proxy: &str, address: &str) -> (Report, Vec<String>) {
    let mut config = Config::default();
    config.smtp.helo = Some("verifier.lab.test".into());
    let net = lab
        .net(Duration::from_secs(2))
        .unwrap()
        .with_proxy(Some(proxy))
        .unwrap();
    let (handle, mut rx) = Engine::start(Arc::new(config), net);
    handle.submit(address);
    drop(handle);
    let mut lines = Vec::new();
    let mut report = None;
    while let Some(event) = rx.recv().await {
        match event.kind {
            EventKind::Line(line) => lines.push(line.text),
            EventKind::Finished(r) => report = Some(*r),
            _ => {}
        }
    }
    (report.expect("finished"), lines)
}

#[tokio::test]
async fn smtp_goes_through_a_socks5_proxy_and_the_transcript_says_so() {
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let (proxy, seen) = socks5_proxy(None).await;
    let (report, lines) = check_through(&lab, &format!("socks5://{proxy}"), "alice@lab.test").await;
    assert_eq!(report.reason, Reason::Ok, "{}", report.detail);
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("via SOCKS5 proxy socks5://{proxy}"))),
        "{lines:?}"
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "one session through the proxy"
    );
    assert_eq!(lab.log.connections("mx1.lab.test"), 1);
}

#[tokio::test]
async fn proxy_credentials_are_used_and_a_wrong_password_is_a_clear_failure() {
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let (proxy, seen) = socks5_proxy(Some(("mx", "knock"))).await;
    let (report, lines) =
        check_through(&lab, &format!("socks5://mx:knock@{proxy}"), "bob@lab.test").await;
    assert_eq!(report.reason, Reason::Ok, "{}", report.detail);
    assert!(
        lines.iter().all(|l| !l.contains("knock@")),
        "the password never shows"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);

    let (report, _) =
        check_through(&lab, &format!("socks5://mx:wrong@{proxy}"), "bob@lab.test").await;
    assert_eq!(report.reason, Reason::ConnectionFailed);
    assert!(report.detail.contains("SOCKS5 proxy"), "{}", report.detail);
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "no connection on a refused login"
    );
}

#[tokio::test]
async fn socks5h_gives_the_proxy_the_mx_host_name_and_socks5_an_address() {
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let (proxy, seen) = socks5_proxy(None).await;
    let (report, lines) =
        check_through(&lab, &format!("socks5h://{proxy}"), "alice@lab.test").await;
    assert_eq!(report.reason, Reason::Ok, "{}", report.detail);
    let port = report.smtp.as_ref().expect("smtp facts").port;
    assert_eq!(
        *seen.lock().unwrap(),
        [(3, format!("mx1.lab.test:{port}"))],
        "a domain-name CONNECT (ATYP 3) naming the MX host"
    );
    assert!(
        lines.iter().any(|l| l.contains(&format!(
            "via SOCKS5 proxy socks5h://{proxy}, which resolves mx1.lab.test itself"
        ))),
        "{lines:?}"
    );

    seen.lock().unwrap().clear();
    let (report, _) = check_through(&lab, &format!("socks5://{proxy}"), "alice@lab.test").await;
    assert_eq!(report.reason, Reason::Ok, "{}", report.detail);
    assert_eq!(
        *seen.lock().unwrap(),
        [(1, format!("127.0.0.1:{port}"))],
        "an IPv4 CONNECT (ATYP 1): the engine resolved the name"
    );
    assert_eq!(lab.log.connections("mx1.lab.test"), 2);
}
