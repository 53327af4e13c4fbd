//! The binary's contract: help, exit codes, transcript output, colour, errors.

use std::process::Command;

fn run(args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mxknock"));
    command
        .args(args)
        .env("MXKNOCK_LAB_LATENCY_MS", "2")
        .env("MXKNOCK_GREYLIST_WAIT", "0")
        .env("MXKNOCK_NO_HISTORY", "1")
        .env_remove("NO_COLOR");
    for (k, v) in envs {
        command.env(k, v);
    }
    let output = command.output().expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn help_documents_exit_codes_and_commands() {
    let (code, stdout, _) = run(&["--help"], &[]);
    assert_eq!(code, 0);
    for needle in ["check", "--demo", "Exit codes", "undeliverable", "NO_COLOR"] {
        assert!(stdout.contains(needle), "--help lacks {needle}: {stdout}");
    }
}

#[test]
fn exit_codes_follow_the_worst_verdict() {
    let lab = |addrs: &[&str]| {
        let mut args = vec!["check", "--demo"];
        args.extend_from_slice(addrs);
        run(&args, &[]).0
    };
    assert_eq!(lab(&["alice@lab.test"]), 0);
    assert_eq!(lab(&["alice@lab.test", "carol@lab.test"]), 3);
    assert_eq!(lab(&["carol@lab.test", "alice@greylist.test"]), 4);
    assert_eq!(
        lab(&["alice@greylist.test", "nobody@lab.test", "alice@lab.test"]),
        5
    );
}

#[test]
fn usage_and_config_errors_exit_2_and_say_what_is_wrong() {
    let (code, _, stderr) = run(&["check"], &[]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = run(
        &["check", "--demo", "--starttls", "sometimes", "a@b.test"],
        &[],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("sometimes"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[smtp]\nport = 25\nbogus = 1\n").unwrap();
    let (code, _, stderr) = run(
        &[
            "check",
            "--demo",
            "--config",
            path.to_str().unwrap(),
            "alice@lab.test",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("line 3") && stderr.contains("bogus"),
        "{stderr}"
    );
    let (code, _, stderr) = run(
        &["check", "--demo", "alice@lab.test"],
        &[("MXKNOCK_CONCURRENCY", "many")],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("MXKNOCK_CONCURRENCY"), "{stderr}");
    let (code, _, stderr) = run(
        &[
            "check",
            "--demo",
            "--helo",
            "bad name\r\nDATA",
            "alice@lab.test",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("helo"), "{stderr}");
}

#[test]
fn transcript_prints_every_command_and_reply_in_order_with_timings_and_no_data() {
    let (code, stdout, stderr) = run(
        &[
            "check",
            "--demo",
            "--transcript",
            "--helo",
            "verifier.lab.test",
            "alice@lab.test",
        ],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    let expected = [
        "=== resolving MX for lab.test",
        "=== MX 10 mx1.lab.test",
        "=== connecting to mx1.lab.test[127.0.0.11]",
        "<-  220 mx1.lab.test ESMTP",
        "->  EHLO verifier.lab.test",
        "<-  250-mx1.lab.test",
        "<-  250-STARTTLS",
        "->  STARTTLS",
        "<-  220 2.0.0 Ready to start TLS",
        "=== TLS established: TLSv1.3",
        "~>  EHLO verifier.lab.test",
        "<~  250-mx1.lab.test",
        // MAIL FROM is pipelined with the first RCPT (RFC 2920): both go out, then both replies.
        "~>  MAIL FROM:<>",
        "~>  RCPT TO:<alice@lab.test>",
        "<~  250 2.1.0 Ok",
        "<~  250 2.1.5 Ok",
        "~>  RCPT TO:<",
        "<~* 550 5.1.1",
        "~>  QUIT",
        "<~  221 2.0.0 Bye",
        "alice@lab.test  deliverable  ok  250 2.1.5 Ok",
    ];
    let mut position = 0;
    for needle in expected {
        let found = stdout[position..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not found in order in:\n{stdout}"));
        position += found + needle.len();
    }
    // Every line has a time offset; the first line of every reply its response time.
    for line in stdout.lines().filter(|l| l.contains("s  ")) {
        let offset = line.trim_start().split('s').next().unwrap();
        assert!(offset.parse::<f64>().is_ok(), "time offset on {line:?}");
    }
    let first_lines = [
        "<-  220 mx1.lab.test ESMTP",
        "<-  250-mx1.lab.test",
        "<-  220 2.0.0 Ready",
        "<~  250-mx1.lab.test",
        "<~  250 2.1.0 Ok",
        "<~  250 2.1.5 Ok",
        "<~* 550 5.1.1",
        "<~  221 2.0.0 Bye",
    ];
    for first in first_lines {
        let line = stdout.lines().find(|l| l.contains(first)).unwrap();
        assert!(
            line.trim_end().ends_with(" ms)"),
            "no response time on {line:?}"
        );
    }
    assert!(
        stdout.lines().any(|l| l.contains("<~  250 2.1.5 Ok  (")),
        "response time on the RCPT reply:\n{stdout}"
    );
    assert!(
        !stdout
            .lines()
            .any(|l| l.contains("-> ") && l.contains("DATA")
                || l.contains("~> ") && l.contains("DATA")),
        "DATA was sent:\n{stdout}"
    );
}

#[test]
fn escape_sequences_from_a_server_never_reach_the_terminal() {
    let (_, stdout, _) = run(
        &["check", "--demo", "--transcript", "alice@hostile.test"],
        &[("NO_COLOR", "1")],
    );
    assert!(!stdout.contains('\x1b'), "raw ESC in output: {stdout:?}");
    assert!(!stdout.contains('\x07'), "raw BEL in output");
    assert!(!stdout.contains('\u{202e}'), "raw bidi override in output");
    assert!(stdout.contains("\\x1b"), "ESC shown escaped: {stdout}");
}

#[test]
fn no_color_turns_colour_off_only_when_not_empty() {
    let (_, plain, _) = run(
        &["check", "--demo", "--color", "auto", "alice@lab.test"],
        &[("NO_COLOR", "1")],
    );
    assert!(!plain.contains('\x1b'));
    let (_, forced, _) = run(
        &["check", "--demo", "--color", "always", "alice@lab.test"],
        &[("NO_COLOR", "1")],
    );
    assert!(forced.contains('\x1b'), "--color always wins over NO_COLOR");
    let (_, piped, _) = run(&["check", "--demo", "alice@lab.test"], &[("NO_COLOR", "")]);
    assert!(
        !piped.contains('\x1b'),
        "auto: no colour when stdout is not a terminal"
    );
}

#[test]
fn results_come_in_input_order() {
    let (_, stdout, _) = run(
        &[
            "check",
            "--demo",
            "alice@slow.test",
            "bob@lab.test",
            "nobody@lab.test",
        ],
        &[],
    );
    let firsts: Vec<&str> = stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        firsts,
        ["alice@slow.test", "bob@lab.test", "nobody@lab.test"]
    );
}

#[test]
fn the_tui_refuses_a_non_terminal_and_points_to_check() {
    let (code, stdout, stderr) = run(&["--demo"], &[]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty(), "nothing drawn: {stdout:?}");
    assert!(
        stderr.contains("not a terminal") && stderr.contains("mxknock check"),
        "{stderr}"
    );
}

#[test]
fn a_bad_key_binding_in_the_config_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    std::fs::write(&path, "[keys]\n\"x\" = \"explode\"\n").unwrap();
    let (code, _, stderr) = run(&["--demo", "--config", path.to_str().unwrap()], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("explode"), "{stderr}");
}

#[test]
fn a_malformed_proxy_is_a_usage_error_naming_it() {
    let (code, _, stderr) = run(
        &[
            "check",
            "--demo",
            "--proxy",
            "http://127.0.0.1:3128",
            "alice@lab.test",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("smtp.proxy") && stderr.contains("socks5://"),
        "{stderr}"
    );
}

#[test]
fn completions_are_valid_scripts_that_know_every_command_and_option() {
    let (code, bash_script, stderr) = run(&["completions", "bash"], &[]);
    assert_eq!(code, 0, "{stderr}");
    for needle in [
        "check", "batch", "--server", "--bind", "--resume", "--proxy",
    ] {
        assert!(
            bash_script.contains(needle),
            "bash completion lacks {needle}"
        );
    }
    let mut syntax = Command::new("bash")
        .arg("-n")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("bash runs");
    use std::io::Write;
    syntax
        .stdin
        .take()
        .unwrap()
        .write_all(bash_script.as_bytes())
        .unwrap();
    assert!(
        syntax.wait().unwrap().success(),
        "bash -n rejects the script"
    );

    let (code, fish_script, _) = run(&["completions", "fish"], &[]);
    assert_eq!(code, 0);
    assert!(fish_script.contains("complete -c mxknock"), "{fish_script}");

    let (code, _, stderr) = run(&["completions", "tcsh"], &[]);
    assert_eq!(code, 2, "an unknown shell is a usage error");
    assert!(
        stderr.contains("bash"),
        "the error lists the shells: {stderr}"
    );
}

#[test]
fn completions_need_no_valid_config() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("config.toml");
    std::fs::write(&broken, "[smtp]\nport = \"not a number\"\n").unwrap();
    // completions take no settings: a broken file named by MXKNOCK_CONFIG does not stop them.
    let (code, stdout, stderr) = run(
        &["completions", "zsh"],
        &[("MXKNOCK_CONFIG", broken.to_str().unwrap())],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("#compdef mxknock"), "{stdout}");
}
