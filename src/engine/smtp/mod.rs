//! The SMTP client side: the commands we may send, bounded reply reading, STARTTLS, and the
//! session state machine.

pub mod command;
pub mod reply;
pub mod session;
pub mod tls;
