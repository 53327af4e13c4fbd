//! The catch-all probe: RCPT for a local part nobody has. Accepted means the domain takes any
//! address, so an accepted RCPT proves nothing about the mailbox.

use rand::RngExt;

use crate::engine::context::CheckContext;
use crate::engine::emit::Emitter;
use crate::engine::smtp::command::Command;

/// Sends RCPT for a random address: Some(true) accepted (catch-all), Some(false) refused,
/// None when the answer says nothing (4xx, broken session).
pub async fn probe_catch_all(
    session: &mut crate::engine::smtp::session::Session,
    ctx: &CheckContext,
    emit: &Emitter,
    probe: String,
) -> Option<bool> {
    ctx.stats.rcpt_sent();
    match session.send(&Command::RcptTo(probe)).await {
        Ok(reply) if reply.is_positive() => {
            emit.info("a random address was accepted too: catch-all domain")
                .await;
            Some(true)
        }
        Ok(reply) if reply.is_permanent() => Some(false),
        Ok(_) => None,
        Err(e) => {
            emit.info(format!("catch-all probe failed: {e}")).await;
            None
        }
    }
}

/// A local part nobody has: 20 lowercase letters and digits, at `domain`.
pub fn probe_address(domain: &str) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let local: String = (0..20)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect();
    format!("{local}@{domain}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_addresses_are_long_and_random() {
        let a = probe_address("x.test");
        let b = probe_address("x.test");
        let local = a.split('@').next().unwrap();
        assert!(local.len() >= 16);
        assert_ne!(a, b);
        assert!(a.ends_with("@x.test"));
        assert!(
            local
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }
}
