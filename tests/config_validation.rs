//! Configuration mistakes stop every command before any check, with an error that names the
//! setting (`smtp.port`, `engine.greylist_schedule[1]`, a `[keys]` entry) or the variable.

mod common;

use common::mxknock_with_env;

/// Runs `check --demo alice@lab.test` with `toml` as the config file and `env` added.
fn check_with(toml: &str, env: &[(&str, &str)]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, toml).unwrap();
    mxknock_with_env(
        &[
            "check",
            "--demo",
            "--helo",
            "verifier.lab.test",
            "--config",
            path.to_str().unwrap(),
            "alice@lab.test",
        ],
        env,
    )
}

/// The run stopped with a usage error whose message holds every one of `needles`.
fn assert_refused(run: (i32, String, String), needles: &[&str]) {
    let (code, stdout, stderr) = run;
    assert_eq!(code, 2, "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.is_empty(), "checked anyway: {stdout}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
    }
}

#[test]
fn an_unknown_action_in_keys_stops_check_naming_the_key() {
    assert_refused(
        check_with("[keys]\n\"x\" = \"explode\"\n", &[]),
        &["[keys]", "\"x\"", "\"explode\"", "unknown action"],
    );
}

#[test]
fn port_zero_is_refused_from_the_file_and_from_the_environment() {
    assert_refused(check_with("[smtp]\nport = 0\n", &[]), &["smtp.port"]);
    assert_refused(
        check_with("", &[("MXKNOCK_SMTP_PORT", "0")]),
        &["MXKNOCK_SMTP_PORT"],
    );
}

#[test]
fn a_negative_greylist_entry_is_refused_naming_its_index() {
    assert_refused(
        check_with("[engine]\ngreylist_schedule = [60, -5]\n", &[]),
        &["engine.greylist_schedule[1]", "-5"],
    );
}
