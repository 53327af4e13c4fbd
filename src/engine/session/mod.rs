//! The SMTP conversation, for every strategy: [`open`] takes a host's permit and a global
//! slot ([`slot`]) and walks connect, greeting, EHLO (HELO fallback), STARTTLS, EHLO and MAIL
//! FROM; [`rcpts`] sends the pipelined RCPT batches for a domain's queue, renews the transaction
//! (RSET, MAIL) when the server asks, probes for catch-all ([`probe`]) and ends with QUIT. The
//! wire itself (commands, replies, TLS) is [`super::smtp`].

pub mod open;
pub mod probe;
pub mod rcpts;
pub mod slot;
