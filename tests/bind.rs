//! `--bind IP`: connections leave from the given local address, as the server sees it.
//! A one-connection SMTP server on 127.0.0.1 records the peer address it was called from.

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::mxknock;
use serde_json::Value;

mod common;

/// Serves one SMTP session that accepts every RCPT; returns its port and, once the session
/// ends, the peer address and the commands it received.
fn one_session_server() -> (u16, JoinHandle<(IpAddr, Vec<String>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (stream, peer) = accept_within(&listener, Duration::from_secs(20));
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let mut commands = Vec::new();
        writer.write_all(b"220 bind.test ESMTP\r\n").unwrap();
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            let command = line.trim_end().to_string();
            line.clear();
            let verb = command
                .split([' ', ':'])
                .next()
                .unwrap_or("")
                .to_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" | "HELO" => b"250 bind.test\r\n",
                "MAIL" => b"250 2.1.0 Ok\r\n",
                "RCPT" => b"250 2.1.5 Ok\r\n",
                "QUIT" => b"221 2.0.0 Bye\r\n",
                _ => b"502 5.5.2 Not here\r\n",
            };
            commands.push(command);
            writer.write_all(reply).unwrap();
            if verb == "QUIT" {
                break;
            }
        }
        (peer.ip(), commands)
    });
    (port, handle)
}

/// The first connection to `listener`, or a panic (failing the test) after `limit`.
fn accept_within(listener: &TcpListener, limit: Duration) -> (TcpStream, SocketAddr) {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + limit;
    loop {
        match listener.accept() {
            Ok(accepted) => return accepted,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => panic!("no connection to the test server: {e}"),
        }
    }
}

fn check_args<'a>(port: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "check",
        "--json",
        "--transcript",
        "--no-catch-all",
        "--starttls",
        "never",
        "--helo",
        "verifier.bind.test",
        "--timeout",
        "5",
        "--server",
        "127.0.0.1",
        "--smtp-port",
        port,
    ];
    args.extend_from_slice(extra);
    args.push("someone@bind.test");
    args
}

#[test]
fn the_server_sees_the_bound_source_address() {
    let (port, server) = one_session_server();
    let port = port.to_string();
    let (code, stdout, stderr) = mxknock(&check_args(&port, &["--bind", "127.0.0.7"]));
    let (peer, commands) = server.join().expect("the server thread");
    assert_eq!(peer, "127.0.0.7".parse::<IpAddr>().unwrap(), "{stderr}");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: Value = serde_json::from_str(stdout.trim()).expect("one JSON report");
    assert_eq!(report["verdict"], "deliverable", "{report:#}");
    let connecting = report["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|line| line["text"].as_str())
        .find(|text| text.starts_with("connecting to"))
        .expect("a connecting line")
        .to_string();
    assert_eq!(
        connecting,
        format!("connecting to [127.0.0.1]:{port} from 127.0.0.7")
    );
    assert_eq!(
        commands,
        [
            "EHLO verifier.bind.test",
            "MAIL FROM:<>",
            "RCPT TO:<someone@bind.test>",
            "QUIT"
        ]
    );
}

#[test]
fn without_bind_the_kernel_picks_the_source() {
    let (port, server) = one_session_server();
    let port = port.to_string();
    let (code, stdout, stderr) = mxknock(&check_args(&port, &[]));
    let (peer, _) = server.join().expect("the server thread");
    assert_eq!(peer, "127.0.0.1".parse::<IpAddr>().unwrap(), "{stderr}");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(!stdout.contains(" from 127."), "{stdout}");
}

#[test]
fn a_host_without_an_address_of_the_bound_ip_version_fails_with_a_reason() {
    // Nothing connects: the only address of the server is IPv4, the source is IPv6.
    let port = "2";
    let (code, stdout, stderr) = mxknock(&check_args(port, &["--bind", "::1"]));
    assert_eq!(code, 4, "{stdout}{stderr}");
    let report: Value = serde_json::from_str(stdout.trim()).expect("one JSON report");
    assert_eq!(report["verdict"], "unknown", "{report:#}");
    assert_eq!(report["reason"], "connection_failed", "{report:#}");
    assert!(
        stdout.contains("127.0.0.1 has no IPv6 address, and connections leave from ::1 (bind)"),
        "{stdout}"
    );
}

#[test]
fn bind_must_be_an_ip_and_cannot_go_with_a_proxy() {
    let (code, stdout, stderr) = mxknock(&[
        "check",
        "--bind",
        "eth0",
        "--server",
        "127.0.0.1",
        "a@bind.test",
    ]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("smtp.bind") && stderr.contains("\"eth0\""),
        "{stderr}"
    );
    let (code, stdout, stderr) = mxknock(&[
        "check",
        "--bind",
        "127.0.0.7",
        "--proxy",
        "socks5://127.0.0.1:1080",
        "--server",
        "127.0.0.1",
        "a@bind.test",
    ]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("smtp.proxy"), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
}
