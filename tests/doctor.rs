//! `mxknock doctor` through the binary against the embedded lab (`--demo`), and its checks
//! through the library against an in-process lab. Hermetic: every socket is on loopback, and
//! every lookup goes to the lab's DNS server.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, TcpListener};
use std::time::{Duration, Instant};

use common::{mxknock, mxknock_with_env};
use mxknock::config::Config;
use mxknock::doctor::{self, Status, Target};
use mxknock::engine::net::Net;
use mxknock::lab::{Lab, LabOptions};
use serde_json::Value;

const HELO: &str = "verifier.lab.test";

/// `mxknock doctor --demo --json ARGS` with `env`: (exit code, the report, stderr).
fn doctor_json(args: &[&str], env: &[(&str, &str)]) -> (i32, Value, String) {
    let mut all = vec!["doctor", "--demo", "--json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = mxknock_with_env(&all, env);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (code, report, stderr)
}

/// The checks named `name`.
fn checks<'a>(report: &'a Value, name: &str) -> Vec<&'a Value> {
    report["checks"]
        .as_array()
        .expect("checks is an array")
        .iter()
        .filter(|c| c["name"] == name)
        .collect()
}

/// The one check named `name`.
fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    let found = checks(report, name);
    assert_eq!(found.len(), 1, "one {name} check in {report:#}");
    found[0]
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

#[test]
fn a_fit_machine_passes_every_check_and_the_json_has_its_shape() {
    let (code, report, stderr) = doctor_json(
        &["--helo", HELO, "--from", "me@lab.test", "probe.test"],
        &[],
    );
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(report["status"], "pass");
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["ip_seen"], "127.0.0.1");
    assert_eq!(report["ip_source"], "server");
    assert_eq!(report["helo"], HELO);
    assert_eq!(report["from"], "me@lab.test");
    for c in report["checks"].as_array().unwrap() {
        let mut keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["fix", "name", "status", "summary"], "{c}");
        assert!(["pass", "skipped"].contains(&text(&c["status"])), "{c}");
        assert!(!text(&c["summary"]).is_empty(), "{c}");
    }
    let port = check(&report, "port 25");
    assert_eq!(port["status"], "pass");
    assert!(
        text(&port["summary"]).starts_with("mx1.lab.test[127.0.0.11] answered 220 mx1.lab.test"),
        "{port}"
    );
    assert_eq!(check(&report, "HELO")["status"], "pass");
    assert_eq!(check(&report, "MAIL FROM")["status"], "pass");
    assert_eq!(check(&report, "sender domain")["status"], "pass");
    let spf = check(&report, "SPF");
    assert_eq!(spf["status"], "pass");
    assert!(
        text(&spf["summary"]).contains("not a full SPF evaluation"),
        "{spf}"
    );
    let lists: Vec<String> = checks(&report, "blocklist")
        .iter()
        .map(|c| text(&c["summary"]).to_string())
        .collect();
    assert_eq!(
        lists,
        [
            "127.0.0.1 is not on zen.spamhaus.org",
            "127.0.0.1 is not on b.barracudacentral.org",
            "127.0.0.1 is not on bl.spamcop.net"
        ]
    );
    assert_eq!(report["probes"][0]["domain"], "probe.test");
    assert_eq!(report["probes"][0]["outcome"], "answered");
    assert!(text(&report["probes"][0]["ehlo"]).contains("Hello verifier.lab.test [127.0.0.1]"));
}

#[test]
fn the_human_output_is_one_line_per_check_with_a_count() {
    let (code, stdout, stderr) =
        mxknock(&["doctor", "--demo", "--helo", HELO, "--from", "me@lab.test"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "mxknock doctor: probing probe.test as EHLO verifier.lab.test, MAIL FROM <me@lab.test>"
    );
    assert!(
        lines[1].starts_with("pass  port 25       mx1.lab.test[127.0.0.11] answered 220 "),
        "{stdout}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("pass  IP seen       127.0.0.1")),
        "{stdout}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("skip  rDNS          127.0.0.1 is a loopback")),
        "{stdout}"
    );
    assert_eq!(
        *lines.last().unwrap(),
        "9 pass, 0 warn, 0 fail, 1 skipped: exit 0"
    );
    assert!(!stdout.contains('\x1b'), "no colour when not a terminal");
}

#[test]
fn a_blocked_port_25_fails_within_about_one_timeout_and_says_what_to_do() {
    let started = Instant::now();
    let (code, report, _) = doctor_json(
        &[
            "--timeout",
            "1",
            "--helo",
            HELO,
            "probe.test",
            "blocked.test",
            "greylist.test",
        ],
        &[("MXKNOCK_LAB_PORT_BLOCKED", "1")],
    );
    let took = started.elapsed();
    assert_eq!(code, 5, "{report:#}");
    assert!(
        took < Duration::from_secs(4),
        "the hosts are probed at once: {took:?}"
    );
    let ports = checks(&report, "port 25");
    assert_eq!(ports.len(), 3, "{report:#}");
    for port in ports {
        assert_eq!(port["status"], "fail", "{port}");
        assert!(text(&port["summary"]).contains("timed out"), "{port}");
        let fix = text(&port["fix"]);
        for needle in ["--proxy", "--server", "provider"] {
            assert!(fix.contains(needle), "{needle} in {fix}");
        }
    }
    assert_eq!(report["ip_seen"], Value::Null);
    for skipped in ["IP seen", "rDNS", "blocklist", "MAIL FROM"] {
        assert_eq!(check(&report, skipped)["status"], "skipped", "{skipped}");
    }
}

#[test]
fn a_helo_name_that_is_no_fqdn_or_does_not_resolve_fails_and_one_elsewhere_warns() {
    let from = ["--from", "me@lab.test", "probe.test"];
    let run = |helo: &str| {
        let mut args = vec!["--helo", helo];
        args.extend_from_slice(&from);
        doctor_json(&args, &[])
    };
    let (code, report, _) = run("verifier");
    assert_eq!(code, 5);
    let helo = check(&report, "HELO");
    assert_eq!(helo["status"], "fail");
    assert!(
        text(&helo["summary"]).contains("not a fully qualified domain name"),
        "{helo}"
    );
    assert!(text(&helo["fix"]).contains("--helo"), "{helo}");

    let (code, report, _) = run("nowhere.lab.test");
    assert_eq!(code, 5);
    let helo = check(&report, "HELO");
    assert_eq!(helo["status"], "fail");
    assert!(
        text(&helo["summary"]).contains("does not resolve"),
        "{helo}"
    );

    let (code, report, _) = run("mx1.lab.test");
    assert_eq!(code, 4, "only the HELO check warns: {report:#}");
    let helo = check(&report, "HELO");
    assert_eq!(helo["status"], "warn");
    assert!(
        text(&helo["summary"]).contains("resolves to 127.0.0.11, not to the IP seen 127.0.0.1"),
        "{helo}"
    );
}

#[test]
fn a_blocklist_listing_names_the_list_and_what_its_answer_means() {
    let (code, report, _) = doctor_json(
        &["--helo", HELO, "--from", "me@lab.test", "probe.test"],
        &[("MXKNOCK_LAB_SPAMHAUS_ANSWER", "127.0.0.4")],
    );
    assert_eq!(code, 5, "{report:#}");
    let spamhaus = checks(&report, "blocklist")[0];
    assert_eq!(spamhaus["status"], "fail");
    let summary = text(&spamhaus["summary"]);
    assert!(
        summary.contains("127.0.0.1 is listed on zen.spamhaus.org"),
        "{summary}"
    );
    assert!(summary.contains("127.0.0.4 XBL"), "{summary}");
    assert!(
        text(&spamhaus["fix"]).contains("https://check.spamhaus.org/"),
        "{spamhaus}"
    );
    assert_eq!(checks(&report, "blocklist")[1]["status"], "pass");

    // A list of the configuration's own, answering 127.0.0.2.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[doctor]\nblocklists = [\"dnsbl.lab.test\"]\n").unwrap();
    let (code, report, _) = doctor_json(
        &[
            "--config",
            config.to_str().unwrap(),
            "--helo",
            HELO,
            "--from",
            "me@lab.test",
        ],
        &[],
    );
    assert_eq!(code, 5, "{report:#}");
    let list = check(&report, "blocklist");
    assert_eq!(list["status"], "fail");
    assert_eq!(
        list["summary"],
        "127.0.0.1 is listed on dnsbl.lab.test: 127.0.0.2 listed (127.0.0.2)"
    );
}

#[test]
fn spamhaus_refusing_a_public_resolver_is_could_not_check_never_listed() {
    let (code, report, _) = doctor_json(
        &["--helo", HELO, "--from", "me@lab.test", "probe.test"],
        &[("MXKNOCK_LAB_SPAMHAUS_ANSWER", "127.255.255.254")],
    );
    assert_eq!(code, 4, "a warning, not a failure: {report:#}");
    let spamhaus = checks(&report, "blocklist")[0];
    assert_eq!(spamhaus["status"], "warn");
    let summary = text(&spamhaus["summary"]);
    assert!(
        summary.starts_with("could not check zen.spamhaus.org"),
        "{summary}"
    );
    assert!(summary.contains("public or open resolver"), "{summary}");
    assert!(text(&spamhaus["fix"]).contains("--dns"), "{spamhaus}");
    for c in report["checks"].as_array().unwrap() {
        assert!(!text(&c["summary"]).contains("listed"), "{c}");
    }
}

#[test]
fn the_null_sender_is_a_warning_and_the_sender_checks_are_skipped() {
    let (code, report, _) = doctor_json(&["--helo", HELO, "probe.test"], &[]);
    assert_eq!(code, 4, "{report:#}");
    let mail = check(&report, "MAIL FROM");
    assert_eq!(mail["status"], "warn");
    assert!(text(&mail["summary"]).contains("null sender"), "{mail}");
    assert!(text(&mail["fix"]).contains("--from"), "{mail}");
    for skipped in ["sender domain", "SPF"] {
        let c = check(&report, skipped);
        assert_eq!(c["status"], "skipped");
        assert!(text(&c["summary"]).contains("no sender configured"), "{c}");
    }
}

#[test]
fn a_sender_domain_that_does_not_exist_fails() {
    let (code, report, _) = doctor_json(&["--helo", HELO, "--from", "me@nxdomain.test"], &[]);
    assert_eq!(code, 5);
    let domain = check(&report, "sender domain");
    assert_eq!(domain["status"], "fail");
    assert!(
        text(&domain["summary"]).contains("reject_unknown_sender_domain"),
        "{domain}"
    );
    assert_eq!(check(&report, "SPF")["status"], "warn");
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, stderr) = mxknock(&["doctor", "--demo", "not a domain!"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("is not a domain name"), "{stderr}");
    let (code, _, _) = mxknock(&["doctor", "--demo", "127.0.0.1"]);
    assert_eq!(code, 2);
    let (code, _, _) = mxknock(&["doctor", "--no-such-flag"]);
    assert_eq!(code, 2);
}

/// A one-connection SMTP server on loopback that greets with `greeting` and answers QUIT.
fn refusing_server(greeting: &'static str) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .write_all(format!("{greeting}\r\n").as_bytes())
            .unwrap();
        let mut commands = Vec::new();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
            commands.push(line.trim_end().to_string());
            if line.to_ascii_uppercase().starts_with("QUIT") {
                let _ = stream.write_all(b"221 bye\r\n");
                break;
            }
            line.clear();
        }
        commands
    });
    (port, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_refuses_us_in_its_greeting_is_quoted() {
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let dns = lab.dns_addr.to_string();
    let (port, server) = refusing_server(
        "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org",
    );
    let port = port.to_string();
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || {
        mxknock(&[
            "doctor",
            "--json",
            "--server",
            "127.0.0.1",
            "--smtp-port",
            &port,
            "--dns",
            &dns,
            "--helo",
            HELO,
        ])
    })
    .await
    .unwrap();
    assert_eq!(code, 5, "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let refused = check(&report, "port 25");
    assert_eq!(refused["status"], "fail");
    assert_eq!(
        refused["summary"],
        "[127.0.0.1] refused us: \"554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org\""
    );
    assert_eq!(report["probes"][0]["outcome"], "refused_us");
    // The greeting's bracketed address is the server's own here: no EHLO reply named one, so
    // the local address is all there is, and it is loopback.
    let seen = check(&report, "IP seen");
    assert_eq!(seen["status"], "warn");
    assert!(text(&seen["summary"]).contains("NAT"), "{seen}");
    assert_eq!(report["ip_source"], "local_address");
    let commands = server.join().unwrap();
    assert_eq!(commands, ["QUIT"], "nothing but QUIT after a refusal");
}

/// The lab's network, asking DNS only (as the doctor does).
fn dns_only(lab: &Lab) -> Net {
    let net = lab.net(Duration::from_secs(2)).unwrap();
    Net {
        dns: net.dns.without_hosts_file(),
        ..net
    }
}

#[tokio::test]
async fn reverse_dns_must_exist_and_be_forward_confirmed() {
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let net = dns_only(&lab);
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    let (ok, ptr) = doctor::rdns::check(&net, ip("192.0.2.1")).await;
    assert_eq!(ok.status, Status::Pass, "{ok:?}");
    assert!(ok.summary.contains("forward-confirmed"), "{ok:?}");
    assert_eq!(ptr.confirmed.as_deref(), Some("ptr-ok.lab.test"));
    let (mismatch, _) = doctor::rdns::check(&net, ip("192.0.2.2")).await;
    assert_eq!(mismatch.status, Status::Fail);
    assert!(
        mismatch
            .summary
            .contains("ptr-mismatch.lab.test resolves to 192.0.2.99"),
        "{mismatch:?}"
    );
    let (none, _) = doctor::rdns::check(&net, ip("192.0.2.3")).await;
    assert_eq!(none.status, Status::Fail);
    assert_eq!(
        none.summary,
        "192.0.2.3 has no PTR record (3.2.0.192.in-addr.arpa)"
    );
    assert!(none.fix.unwrap().contains("PTR record"));
    // The HELO name against the PTR name.
    let agree = doctor::helo::check(&net, "ptr-ok.lab.test", Some(ip("192.0.2.1")), &ptr).await;
    assert_eq!(agree.status, Status::Pass, "{agree:?}");
    let differ =
        doctor::helo::check(&net, "ptr-mismatch.lab.test", Some(ip("192.0.2.1")), &ptr).await;
    assert_eq!(differ.status, Status::Warn, "{differ:?}");
}

#[tokio::test]
async fn the_doctor_says_ehlo_mail_and_quit_and_never_rcpt_or_data() {
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let mut config = Config::default();
    config.smtp.helo = Some(HELO.into());
    config.smtp.from = "me@lab.test".into();
    let targets = [
        Target::Domain("probe.test".into()),
        Target::Domain("lab.test".into()),
        Target::Domain("greylist.test".into()),
    ];
    let report =
        doctor::diagnose(&config, &lab.net(Duration::from_secs(2)).unwrap(), &targets).await;
    assert_eq!(
        report.probes.len(),
        2,
        "probe.test and lab.test share mx1.lab.test"
    );
    assert_eq!(report.probes[0].also_for, ["lab.test"]);
    let verbs: Vec<String> = lab
        .log
        .received()
        .iter()
        .map(|r| {
            r.line
                .split([' ', ':'])
                .next()
                .unwrap()
                .to_ascii_uppercase()
        })
        .collect();
    for verb in ["EHLO", "STARTTLS", "MAIL", "QUIT"] {
        assert!(verbs.iter().any(|v| v == verb), "{verb} in {verbs:?}");
    }
    for never in ["RCPT", "DATA", "BDAT", "VRFY"] {
        assert!(!lab.log.saw_verb(never), "{never} in {verbs:?}");
    }
    assert_eq!(lab.smtp_connections(), 2);
}

mod tui {
    //! Key D in the TUI: runs the doctor in the background and shows its report.

    use std::sync::Arc;
    use std::time::Duration;

    use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
    use futures::StreamExt;
    use mxknock::config::Config;
    use mxknock::doctor::{DoctorReport, DoctorRunner};
    use mxknock::engine::Engine;
    use mxknock::lab::{Lab, LabOptions};
    use mxknock::tui::action::Action;
    use mxknock::tui::app::{App, DoctorView, Effect, Mode};
    use mxknock::tui::keymap::Keymap;
    use mxknock::tui::theme::Theme;
    use mxknock::tui::{LoopParts, carry_out, run_loop_with, view};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use tokio::sync::mpsc;

    fn key(code: KeyCode) -> std::io::Result<Event> {
        Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn frame(app: &App, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|frame| view::draw(frame, app, &Theme::mono()))
            .unwrap();
        terminal.backend().to_string()
    }

    #[test]
    fn key_d_opens_the_window_and_asks_for_one_run_at_a_time() {
        let mut app = App::new(Keymap::default());
        assert_eq!(app.keymap.keys_for(Action::Doctor), ["D"]);
        assert!(
            app.keymap
                .help()
                .contains(&("D".to_string(), "machine check (doctor)"))
        );
        assert_eq!(app.update(Action::Doctor), [Effect::RunDoctor]);
        assert_eq!(app.mode, Mode::Doctor);
        assert_eq!(app.doctor, DoctorView::Running);
        assert!(frame(&app, 100, 20).contains("doctor: running"));
        app.close_doctor();
        assert!(app.update(Action::Doctor).is_empty(), "already running");
        app.close_doctor();
        let report = DoctorReport::new(vec![mxknock::doctor::Check::warn(
            "HELO",
            "verifier is not a fully qualified domain name",
            "set --helo",
        )]);
        app.doctor_finished(report);
        let banner = app
            .banner
            .clone()
            .expect("a banner when the window is closed");
        assert!(banner.error, "a warning stays until Esc");
        assert!(banner.text.contains("1 warn"), "{banner:?}");
        assert!(banner.text.contains("press D"), "{banner:?}");
        assert!(
            app.update(Action::Doctor).is_empty(),
            "the report is shown, not rerun"
        );
        let shown = frame(&app, 100, 20);
        assert!(
            shown.contains("warn  HELO          verifier is not a fully qualified domain name — fix: set --helo"),
            "{shown}"
        );
        assert_eq!(app.run_doctor(), [Effect::RunDoctor], "r runs it again");
    }

    #[tokio::test]
    async fn without_a_runner_the_doctor_says_it_is_unavailable() {
        let lab = Lab::start(LabOptions::fast()).await.unwrap();
        let (engine, _events) = Engine::start(
            Arc::new(Config::default()),
            lab.net(Duration::from_secs(2)).unwrap(),
        );
        let mut app = App::new(Keymap::default());
        let effects = app.update(Action::Doctor);
        carry_out(&mut app, &engine, effects);
        assert!(
            matches!(app.doctor, DoctorView::Unavailable(_)),
            "{:?}",
            app.doctor
        );
    }

    #[tokio::test]
    async fn the_loop_runs_the_doctor_against_the_lab_and_shows_the_report() {
        let lab = Lab::start(LabOptions::fast()).await.unwrap();
        let mut config = Config::default();
        config.smtp.helo = Some(super::HELO.into());
        config.smtp.from = "me@lab.test".into();
        let config = Arc::new(config);
        let net = lab.net(Duration::from_secs(2)).unwrap();
        let runner = DoctorRunner::new(config.clone(), net.clone(), true).unwrap();
        let (engine, events) = Engine::start(config, net);
        let mut app = App::new(Keymap::default());
        let (keys, input) = mpsc::unbounded_channel();
        let script = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            keys.send(key(KeyCode::Char('D'))).unwrap();
            tokio::time::sleep(Duration::from_millis(1500)).await;
            keys.send(key(KeyCode::Esc)).unwrap();
            keys.send(key(KeyCode::Char('q'))).unwrap();
            keys
        });
        let mut input = input;
        let input = Box::pin(futures::stream::poll_fn(move |cx| input.poll_recv(cx))).boxed();
        let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
        let theme = Theme::mono();
        let parts = LoopParts {
            engine: &engine,
            theme: &theme,
            doctor: Some(runner),
            history: None,
        };
        let never = std::future::pending();
        tokio::time::timeout(
            Duration::from_secs(20),
            run_loop_with(&mut terminal, &mut app, parts, events, input, never),
        )
        .await
        .expect("the loop ends on q")
        .unwrap();
        let _keys = script.await.unwrap();
        let DoctorView::Done(report) = &app.doctor else {
            panic!("the report came in: {:?}", app.doctor);
        };
        assert_eq!(report.exit_code, 0, "{report:#?}");
        assert_eq!(app.banner, None, "the window was open when it came");
        app.mode = Mode::Doctor;
        let shown = frame(&app, 120, 30);
        assert!(
            shown
                .contains("pass  port 25       mx1.lab.test[127.0.0.11] answered 220 mx1.lab.test"),
            "{shown}"
        );
        assert!(
            shown.contains("9 pass, 0 warn, 0 fail, 1 skipped: exit 0"),
            "{shown}"
        );
        assert!(!lab.log.saw_verb("RCPT"));
    }
}
