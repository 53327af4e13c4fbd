//! Headless front end (stub).
