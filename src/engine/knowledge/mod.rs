//! What is known of addresses before any server is asked: disposable domains, free
//! providers and role local parts ([`lists`]).

pub mod lists;
