//! Settings through the built binary: each option's `MXKNOCK_*` variable (clap's `env`) shown
//! in `--help` and layered file < environment < flag; a bad value named with where it came
//! from (the file and line, the variable, the flag); commands listing only their options;
//! `config path|show|template`; `man`; `-q` and `-v` / `--log-file`.

mod common;

use std::path::Path;

use common::{mxknock, mxknock_with_env};
use mxknock::config::Config;

/// A config file in `dir` holding `text`, as a string path.
fn config_file(dir: &Path, text: &str) -> String {
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn help_shows_each_variable_under_its_heading_and_only_the_options_that_apply() {
    let (code, help, _) = mxknock(&["check", "--help"]);
    assert_eq!(code, 0);
    for heading in ["SMTP:", "DNS:", "Engine:", "Output:"] {
        assert!(help.contains(heading), "{heading}\n{help}");
    }
    for variable in [
        "MXKNOCK_HELO",
        "MXKNOCK_FROM",
        "MXKNOCK_SMTP_PORT",
        "MXKNOCK_CONCURRENCY",
        "MXKNOCK_PROXY",
        "MXKNOCK_CONFIG",
    ] {
        assert!(help.contains(&format!("[env: {variable}")), "{variable}");
    }
    let (_, annotate, _) = mxknock(&["annotate", "--help"]);
    for absent in ["--helo", "--concurrency", "--dns", "MXKNOCK_", "--demo"] {
        assert!(
            !annotate.contains(absent),
            "annotate lists {absent}:\n{annotate}"
        );
    }
    let (_, completions, _) = mxknock(&["completions", "--help"]);
    assert!(!completions.contains("--helo"), "{completions}");
    let (_, doctor, _) = mxknock(&["doctor", "--help"]);
    assert!(doctor.contains("--helo") && !doctor.contains("--concurrency"));
}

#[test]
fn an_option_given_to_the_wrong_command_is_refused() {
    let (code, _, stderr) = mxknock(&["annotate", "--helo", "x.example", "a.txt", "b.csv"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--helo"), "{stderr}");
}

#[test]
fn a_bad_value_names_the_variable_the_flag_or_the_file_line() {
    let dir = tempfile::tempdir().unwrap();
    // Not a number, from the environment: clap's message plus the variable.
    let (code, _, stderr) = mxknock_with_env(
        &["check", "--demo", "alice@lab.test"],
        &[("MXKNOCK_CONCURRENCY", "lots")],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("'lots'"), "{stderr}");
    assert!(
        stderr.contains("environment variable MXKNOCK_CONCURRENCY"),
        "{stderr}"
    );
    // The same typed as a flag says nothing of the environment.
    let (code, _, stderr) = mxknock(&["check", "--demo", "--concurrency", "lots", "a@lab.test"]);
    assert_eq!(code, 2);
    assert!(!stderr.contains("environment"), "{stderr}");
    // Out of range: validation, with the place.
    let file = config_file(
        dir.path(),
        "[smtp]\nhelo = \"ok.example\"\n\n[engine]\nper_host = 0\n",
    );
    let (code, _, stderr) = mxknock(&["check", "--demo", "--config", &file, "alice@lab.test"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(&format!(
            "engine.per_host (from {file}:5): must be at least 1"
        )),
        "{stderr}"
    );
    let (code, _, stderr) = mxknock_with_env(
        &["check", "--demo", "alice@lab.test"],
        &[("MXKNOCK_PER_HOST", "0")],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("engine.per_host (from environment variable MXKNOCK_PER_HOST)"),
        "{stderr}"
    );
    // The flag beats the file, and is what the error names.
    let (code, _, stderr) = mxknock(&[
        "check",
        "--demo",
        "--config",
        &file,
        "--per-host",
        "0",
        "alice@lab.test",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("engine.per_host (from --per-host)"),
        "{stderr}"
    );
    let (code, _, stderr) = mxknock(&["check", "--demo", "--smtp-port", "0", "a@lab.test"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--smtp-port") && stderr.contains("1..=65535"),
        "{stderr}"
    );
}

#[test]
fn a_bad_provider_entry_is_named_by_its_place_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = config_file(
        dir.path(),
        "[[providers]]\nid = \"corp\"\nname = \"Corp\"\nmx = [\"mx.corp.test\"]\n\n[[providers]]\nid = \"broken\"\n",
    );
    let (code, _, stderr) = mxknock(&["check", "--demo", "--config", &file, "alice@lab.test"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("providers[1]"), "{stderr}");
    assert!(stderr.contains(&format!("{file}:")), "{stderr}");
    assert!(stderr.contains("broken"), "{stderr}");
}

#[test]
fn config_path_names_the_file_that_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_str().unwrap();
    let env = [("HOME", home), ("XDG_CONFIG_HOME", home)];
    let (code, stdout, stderr) = mxknock_with_env(&["config", "path"], &env);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), format!("{home}/mxknock/config.toml"));
    assert!(
        stderr.contains("not found: the defaults are in effect"),
        "{stderr}"
    );
    let file = config_file(dir.path(), "");
    let (_, stdout, stderr) = mxknock(&["config", "path", "--config", &file]);
    assert_eq!(stdout.trim(), file);
    assert!(stderr.is_empty(), "it exists: {stderr}");
    let (_, stdout, _) = mxknock_with_env(&["config", "path"], &[("MXKNOCK_CONFIG", &file)]);
    assert_eq!(stdout.trim(), file);
}

#[test]
fn config_show_prints_the_layers_merged_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = config_file(
        dir.path(),
        "[smtp]\nhelo = \"file.example\"\nport = 2525\n\n[engine]\nper_host = 5\n",
    );
    let (code, stdout, stderr) = mxknock_with_env(
        &["config", "show", "--config", &file, "--per-host", "3"],
        &[
            ("MXKNOCK_CONCURRENCY", "7"),
            ("MXKNOCK_HELO", "env.example"),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with(&format!("# The configuration in effect: defaults < {file}")));
    let shown = Config::from_toml(&stdout, Path::new("shown")).expect("valid TOML");
    assert_eq!(
        shown.smtp.helo.as_deref(),
        Some("env.example"),
        "env over file"
    );
    assert_eq!(shown.smtp.port, 2525, "file over default");
    assert_eq!(shown.engine.concurrency, 7, "env over default");
    assert_eq!(shown.engine.per_host, 3, "flag over file");
    // Greylisting as the test runner sets it (MXKNOCK_GREYLIST_WAIT=0).
    assert_eq!(shown.engine.greylist_max_wait, 0.0);
    // A bad value fails `show` as it would fail a run.
    let (code, _, stderr) = mxknock(&["config", "show", "--per-host", "0"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("engine.per_host (from --per-host)"),
        "{stderr}"
    );
}

#[test]
fn config_template_parses_to_the_defaults() {
    let (code, template, _) = mxknock(&["config", "template"]);
    assert_eq!(code, 0);
    assert!(
        template.lines().filter(|l| l.starts_with('#')).count() > 20,
        "commented"
    );
    let parsed = Config::from_toml(&template, Path::new("template")).unwrap();
    assert_eq!(parsed, Config::default());
}

#[test]
fn man_prints_a_page_and_writes_one_per_command() {
    let (code, page, _) = mxknock(&["man"]);
    assert_eq!(code, 0);
    assert!(page.contains(".TH mxknock 1"), "{page}");
    assert!(page.contains("check") && page.contains("batch"), "{page}");
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = mxknock(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    for page in [
        "mxknock.1",
        "mxknock-check.1",
        "mxknock-batch.1",
        "mxknock-config-show.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).expect(page);
        assert!(text.contains(".TH"), "{page}");
    }
    let check = std::fs::read_to_string(dir.path().join("mxknock-check.1")).unwrap();
    assert!(
        check.contains("MXKNOCK_HELO"),
        "the variables are in the page"
    );
}

#[test]
fn quiet_check_prints_nothing_and_the_exit_code_tells() {
    let (code, stdout, _) = mxknock(&["check", "--demo", "-q", "alice@lab.test"]);
    assert_eq!((code, stdout.as_str()), (0, ""));
    let (code, stdout, _) = mxknock(&["check", "--demo", "-q", "nobody@lab.test"]);
    assert_eq!((code, stdout.as_str()), (5, ""));
    let (code, _, stderr) = mxknock(&["check", "--demo", "-q", "-v", "alice@lab.test"]);
    assert_eq!(code, 2, "-q and -v conflict: {stderr}");
}

#[test]
fn quiet_batch_writes_the_results_without_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(&list, "alice@lab.test\nnobody@lab.test\n").unwrap();
    let list = list.to_str().unwrap();
    let (code, stdout, stderr) = mxknock(&["batch", "--demo", list]);
    assert_eq!(code, 5);
    assert!(stderr.contains("checked"), "a summary without -q: {stderr}");
    assert_eq!(stdout.lines().count(), 3, "header and two rows");
    let (code, quiet_stdout, quiet_stderr) = mxknock(&["batch", "--demo", "-q", list]);
    assert_eq!(code, 5);
    assert_eq!(quiet_stderr, "", "no summary with -q");
    assert_eq!(quiet_stdout.lines().count(), 3, "the results all the same");
}

#[test]
fn verbose_logs_the_engine_to_standard_error_or_the_log_file() {
    let (code, stdout, stderr) = mxknock(&["check", "--demo", "-v", "nobody@lab.test"]);
    assert_eq!(code, 5);
    assert!(
        stderr.contains("nobody@lab.test: undeliverable (no_such_user)"),
        "{stderr}"
    );
    assert!(!stderr.contains("resolving MX"), "-v is not -vv: {stderr}");
    assert!(!stdout.contains("INFO"), "logs never go to standard output");
    let (_, _, stderr) = mxknock(&["check", "--demo", "-vv", "nobody@lab.test"]);
    assert!(stderr.contains("resolving MX for lab.test"), "{stderr}");
    assert!(!stderr.contains("RCPT TO"), "-vv is not -vvv: {stderr}");
    let (_, _, stderr) = mxknock(&["check", "--demo", "-vvv", "nobody@lab.test"]);
    assert!(stderr.contains("-> RCPT TO:<nobody@lab.test>"), "{stderr}");
    let (_, _, stderr) = mxknock(&["check", "--demo", "alice@lab.test"]);
    assert!(!stderr.contains("INFO"), "no log without -v: {stderr}");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mxknock.log");
    let log_arg = log.to_str().unwrap();
    let (_, _, stderr) = mxknock(&[
        "check",
        "--demo",
        "-v",
        "--log-file",
        log_arg,
        "alice@lab.test",
    ]);
    assert!(!stderr.contains("alice@lab.test: deliverable"), "{stderr}");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("alice@lab.test: deliverable (ok)"),
        "{logged}"
    );
    assert!(
        !logged.contains('\u{1b}'),
        "no colour in a file: {logged:?}"
    );
}

#[test]
fn an_empty_variable_is_unset_and_a_flag_variable_takes_yes_and_no() {
    let show = |env: &[(&str, &str)]| {
        let (code, stdout, stderr) = mxknock_with_env(&["config", "show"], env);
        assert_eq!(code, 0, "{env:?}: {stderr}");
        Config::from_toml(&stdout, Path::new("shown")).unwrap()
    };
    let shown = show(&[("MXKNOCK_HELO", ""), ("MXKNOCK_CONCURRENCY", "")]);
    assert_eq!(shown.smtp.helo, None);
    assert_eq!(
        shown.engine.concurrency,
        Config::default().engine.concurrency
    );
    for (value, probe) in [
        ("1", false),
        ("true", false),
        ("yes", false),
        ("0", true),
        ("off", true),
    ] {
        let shown = show(&[("MXKNOCK_NO_CATCH_ALL", value)]);
        assert_eq!(
            shown.smtp.catch_all_probe, probe,
            "MXKNOCK_NO_CATCH_ALL={value}"
        );
    }
}
