//! What the engine knows of each mail server during a run, by IP address: its session limit,
//! first-session trial and pacing ([`limit`], the only per-host gate), its retry budget and
//! whether it refused us ([`health`]), and whether outbound port 25 works at all
//! ([`port_breaker`]).

pub mod health;
pub mod limit;
pub mod port_breaker;
