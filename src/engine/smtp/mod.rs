//! The SMTP client side: bounded reply reading and the session state machine.

pub mod reply;
