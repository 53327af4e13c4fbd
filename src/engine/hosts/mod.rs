//! What the engine knows of each mail server during a run, by IP address: its session limit
//! and pacing ([`limit`], the only per-host gate), its retry budget and whether it refused us
//! ([`health`]), whether its first session has been answered yet ([`trial`]), and whether
//! outbound port 25 works at all ([`port_breaker`]).

pub mod health;
pub mod limit;
pub mod port_breaker;
pub mod trial;
