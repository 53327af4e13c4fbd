//! What is known before any server is asked: disposable domains, free providers and role
//! local parts ([`lists`]); who runs a domain's mail servers and their habits ([`providers`]).

pub mod lists;
pub mod providers;
