//! The verification engine: no terminal code here, ever.

pub mod classify;
pub mod lists;
pub mod smtp;
