//! The signals that stop a headless run: SIGINT (Ctrl-C), SIGTERM (`kill`, service managers)
//! and SIGHUP (the terminal went away). Each ends the run the same way, with the summary and
//! what is left for `--resume`, and the exit code a shell expects: 128 + the signal's number.

/// Waits for SIGINT, SIGTERM or SIGHUP and returns the exit code it calls for (130, 143, 129).
/// Where a handler cannot be installed, that signal keeps its default action.
pub async fn stopped() -> i32 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind: SignalKind| signal(kind).ok();
        let (mut int, mut term, mut hup) = (
            listen(SignalKind::interrupt()),
            listen(SignalKind::terminate()),
            listen(SignalKind::hangup()),
        );
        async fn next(signal: &mut Option<tokio::signal::unix::Signal>) {
            match signal {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            _ = next(&mut int) => 128 + 2,
            _ = next(&mut term) => 128 + 15,
            _ = next(&mut hup) => 128 + 1,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        130
    }
}
