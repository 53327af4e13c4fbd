//! A tiny authoritative DNS server over UDP on loopback, answering from the lab zone with
//! hickory-proto's message codec. It lets every lab run go through the real hickory-resolver.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::{A, MX, PTR, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::net::UdpSocket;

use super::zone::ZoneEntry;

/// Binds 127.0.0.1:0 and serves `zone` until the task is aborted.
/// Every query received is counted in `queries`.
pub async fn start(
    zone: Vec<(&'static str, ZoneEntry)>,
    queries: Arc<AtomicU64>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let socket = UdpSocket::bind("127.0.0.1:0").await?;
    let addr = socket.local_addr()?;
    let zone: Arc<HashMap<String, ZoneEntry>> = Arc::new(
        zone.into_iter()
            .map(|(name, entry)| (format!("{name}."), entry))
            .collect(),
    );
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((len, peer)) = socket.recv_from(&mut buf).await else {
                continue;
            };
            queries.fetch_add(1, Ordering::Relaxed);
            if let Some(answer) = answer(&zone, &buf[..len]) {
                let _ = socket.send_to(&answer, peer).await;
            }
        }
    });
    Ok((addr, task))
}

/// The wire-format answer to a wire-format query, or None for garbage.
fn answer(zone: &HashMap<String, ZoneEntry>, query: &[u8]) -> Option<Vec<u8>> {
    let request = Message::from_vec(query).ok()?;
    let mut response = Message::response(request.metadata.id, request.metadata.op_code);
    response.metadata.recursion_desired = request.metadata.recursion_desired;
    response.metadata.recursion_available = true;
    response.metadata.authoritative = true;
    for query in &request.queries {
        response.add_query(query.clone());
        let name = query.name().to_ascii().to_ascii_lowercase();
        let Some(entry) = zone.get(&name) else {
            response.metadata.response_code = ResponseCode::NXDomain;
            continue;
        };
        if entry.servfail {
            response.metadata.response_code = ResponseCode::ServFail;
            continue;
        }
        let owner = query.name().clone();
        match query.query_type() {
            RecordType::MX => {
                for (preference, exchange) in &entry.mx {
                    let exchange = if exchange.is_empty() {
                        Name::root()
                    } else {
                        Name::from_ascii(format!("{exchange}.")).ok()?
                    };
                    let rdata = RData::MX(MX::new(*preference, exchange));
                    response.add_answer(Record::from_rdata(owner.clone(), 60, rdata));
                }
            }
            RecordType::A => {
                for ip in &entry.a {
                    response.add_answer(Record::from_rdata(owner.clone(), 60, RData::A(A(*ip))));
                }
            }
            RecordType::PTR => {
                for target in &entry.ptr {
                    let target = Name::from_ascii(format!("{target}.")).ok()?;
                    let rdata = RData::PTR(PTR(target));
                    response.add_answer(Record::from_rdata(owner.clone(), 60, rdata));
                }
            }
            RecordType::TXT => {
                for text in &entry.txt {
                    // One record; character-strings of at most 255 bytes (RFC 1035 3.3.14).
                    let parts = text.as_bytes().chunks(255).collect();
                    let rdata = RData::TXT(TXT::from_bytes(parts));
                    response.add_answer(Record::from_rdata(owner.clone(), 60, rdata));
                }
            }
            _ => {}
        }
    }
    response.to_vec().ok()
}
