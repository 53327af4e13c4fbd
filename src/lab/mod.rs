//! The embedded lab (stub).
