//! The lab's world: which domains exist, their MX and A records, and which scripted server
//! answers at each address. Lab addresses are in 127.0.0.0/8 and only ever reached through the
//! lab dialer, which maps them to the lab's loopback ports.

use std::net::Ipv4Addr;
use std::time::Duration;

use super::script::{Greeting, Mailboxes, Script};

/// DNS data for one name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZoneEntry {
    /// MX records: preference and exchange ("" for the null MX).
    pub mx: Vec<(u16, &'static str)>,
    /// A records.
    pub a: Vec<Ipv4Addr>,
    /// Answer SERVFAIL for every query.
    pub servfail: bool,
    /// PTR records (for reverse names such as `1.0.0.127.in-addr.arpa`).
    pub ptr: Vec<&'static str>,
    /// TXT records, one string each (SPF records).
    pub txt: Vec<&'static str>,
}

/// A server host: its address and what runs there (None: nothing listens, connections are refused).
pub struct LabHost {
    /// The address the lab's DNS gives.
    pub ip: Ipv4Addr,
    /// The server script, or None for a dead host.
    pub script: Option<Script>,
}

const USERS: &[&str] = &[
    "alice",
    "bob",
    "postmaster",
    "info",
    "carol",
    "dave",
    "jörg",
];

/// Domains whose MX host carries the real host name of a known mail provider, for the tests
/// of provider identification and rules: (domain, MX host, last octet of the host's address,
/// the provider id it names). Most hosts are lab.test's server (127.0.0.11); SpamExperts'
/// is the slow server (its rule waits longer for replies), and `dead.providers.test`'s is a
/// dead host (the provider is named even when no connection succeeds).
pub const PROVIDER_DOMAINS: &[(&str, &str, u8, &str)] = &[
    ("google.providers.test", "aspmx.l.google.com", 11, "google"),
    (
        "microsoft365.providers.test",
        "providers-test.mail.protection.outlook.com",
        11,
        "microsoft365",
    ),
    (
        "outlook.providers.test",
        "hotmail-com.olc.protection.outlook.com",
        11,
        "outlook",
    ),
    ("yahoo.providers.test", "mta5.am0.yahoodns.net", 11, "yahoo"),
    (
        "proofpoint.providers.test",
        "mx0a-001.pphosted.com",
        11,
        "proofpoint",
    ),
    (
        "mimecast.providers.test",
        "eu-smtp-inbound-1.mimecast.com",
        11,
        "mimecast",
    ),
    (
        "barracuda.providers.test",
        "d123.ess.barracudanetworks.com",
        11,
        "barracuda",
    ),
    (
        "cisco.providers.test",
        "mx1.hc1234-56.iphmx.com",
        11,
        "cisco",
    ),
    (
        "spamexperts.providers.test",
        "mx.antispamcloud.com",
        17,
        "spamexperts",
    ),
    ("zoho.providers.test", "mx.zoho.eu", 11, "zoho"),
    (
        "icloud.providers.test",
        "mx01.mail.icloud.com",
        11,
        "icloud",
    ),
    (
        "fastmail.providers.test",
        "in1-smtp.messagingengine.com",
        11,
        "fastmail",
    ),
    ("yandex.providers.test", "mx.yandex.net", 11, "yandex"),
    ("gmx.providers.test", "mx00.emig.gmx.net", 11, "gmx"),
    (
        "godaddy.providers.test",
        "mailstore1.secureserver.net",
        11,
        "godaddy",
    ),
    (
        "amazon.providers.test",
        "inbound-smtp.eu-west-1.amazonaws.com",
        11,
        "amazon",
    ),
    ("proton.providers.test", "mail.protonmail.ch", 11, "proton"),
    (
        "dead.providers.test",
        "mx0b-002.pphosted.com",
        21,
        "proofpoint",
    ),
];

/// The zone entries of [`PROVIDER_DOMAINS`].
fn provider_zone() -> impl Iterator<Item = (&'static str, ZoneEntry)> {
    PROVIDER_DOMAINS
        .iter()
        .flat_map(|&(domain, host, last, _)| {
            [
                (
                    domain,
                    ZoneEntry {
                        mx: vec![(10, host)],
                        ..ZoneEntry::default()
                    },
                ),
                (
                    host,
                    ZoneEntry {
                        a: vec![Ipv4Addr::new(127, 0, 0, last)],
                        ..ZoneEntry::default()
                    },
                ),
            ]
        })
}

/// The lab's DNS zone: every name it answers for. Names not listed get NXDOMAIN.
pub fn zone() -> Vec<(&'static str, ZoneEntry)> {
    let mx = |pairs: &[(u16, &'static str)]| ZoneEntry {
        mx: pairs.to_vec(),
        ..ZoneEntry::default()
    };
    let a = |last: u8| ZoneEntry {
        a: vec![Ipv4Addr::new(127, 0, 0, last)],
        ..ZoneEntry::default()
    };
    vec![
        (
            "lab.test",
            ZoneEntry {
                txt: vec!["v=spf1 mx ip4:127.0.0.1 -all"],
                ..mx(&[(10, "mx1.lab.test")])
            },
        ),
        // For `doctor`: the verifier's name at the IP the lab's servers see (127.0.0.1; its
        // PTR is `localhost` by RFC 6761, answered by the resolver itself), and a blocklist
        // that lists it.
        ("verifier.lab.test", a(1)),
        (
            "1.0.0.127.dnsbl.lab.test",
            ZoneEntry {
                a: vec![Ipv4Addr::new(127, 0, 0, 2)],
                ..ZoneEntry::default()
            },
        ),
        // Reverse DNS for the tests of `doctor`'s rDNS check, at documentation addresses no
        // lab route leads to: 192.0.2.1 is ptr-ok.lab.test (forward-confirmed), 192.0.2.2 is
        // ptr-mismatch.lab.test (which resolves elsewhere), 192.0.2.3 has no PTR.
        (
            "1.2.0.192.in-addr.arpa",
            ZoneEntry {
                ptr: vec!["ptr-ok.lab.test"],
                ..ZoneEntry::default()
            },
        ),
        (
            "ptr-ok.lab.test",
            ZoneEntry {
                a: vec![Ipv4Addr::new(192, 0, 2, 1)],
                ..ZoneEntry::default()
            },
        ),
        (
            "2.2.0.192.in-addr.arpa",
            ZoneEntry {
                ptr: vec!["ptr-mismatch.lab.test"],
                ..ZoneEntry::default()
            },
        ),
        (
            "ptr-mismatch.lab.test",
            ZoneEntry {
                a: vec![Ipv4Addr::new(192, 0, 2, 99)],
                ..ZoneEntry::default()
            },
        ),
        ("probe.test", mx(&[(10, "mx1.lab.test")])),
        ("mx1.lab.test", a(11)),
        ("sameip.test", mx(&[(10, "mail.sameip.test")])),
        ("mail.sameip.test", a(11)),
        ("catchall.test", mx(&[(10, "mx.catchall.test")])),
        ("mx.catchall.test", a(12)),
        ("mailinator.com", mx(&[(10, "mx.catchall.test")])),
        ("greylist.test", mx(&[(10, "mx.greylist.test")])),
        ("mx.greylist.test", a(13)),
        ("blocked.test", mx(&[(10, "mx.blocked.test")])),
        ("mx.blocked.test", a(14)),
        ("tlsonly.test", mx(&[(10, "mx.tlsonly.test")])),
        ("mx.tlsonly.test", a(15)),
        ("helo.test", mx(&[(10, "mx.helo.test")])),
        ("mx.helo.test", a(16)),
        ("slow.test", mx(&[(10, "mx.slow.test")])),
        ("mx.slow.test", a(17)),
        ("tarpit.test", mx(&[(10, "mx.tarpit.test")])),
        ("mx.tarpit.test", a(18)),
        ("drop.test", mx(&[(10, "mx.drop.test")])),
        ("mx.drop.test", a(19)),
        ("aonly.test", a(20)),
        (
            "backup.test",
            mx(&[(10, "dead.backup.test"), (20, "live.backup.test")]),
        ),
        ("dead.backup.test", a(21)),
        ("live.backup.test", a(22)),
        ("hostile.test", mx(&[(10, "mx.hostile.test")])),
        ("mx.hostile.test", a(23)),
        ("limited.test", mx(&[(10, "mx.limited.test")])),
        ("mx.limited.test", a(24)),
        ("busy.test", mx(&[(10, "mx.busy.test")])),
        ("mx.busy.test", a(25)),
        ("nullmx.test", mx(&[(0, "")])),
        ("nomail.test", ZoneEntry::default()),
        (
            "servfail.test",
            ZoneEntry {
                servfail: true,
                ..ZoneEntry::default()
            },
        ),
    ]
    .into_iter()
    .chain(provider_zone())
    .collect()
}

/// The zone entry that makes `zen.spamhaus.org` answer `answer` for 127.0.0.1 (the IP the
/// lab's servers see), for the tests of `doctor`'s blocklist check.
pub fn spamhaus_answer(answer: Ipv4Addr) -> (&'static str, ZoneEntry) {
    (
        "1.0.0.127.zen.spamhaus.org",
        ZoneEntry {
            a: vec![answer],
            ..ZoneEntry::default()
        },
    )
}

/// The hosts and what runs on each.
pub fn hosts(greylist_delay: Duration) -> Vec<LabHost> {
    let host = |last: u8, script: Option<Script>| LabHost {
        ip: Ipv4Addr::new(127, 0, 0, last),
        script,
    };
    vec![
        host(11, Some(Script::standard("mx1.lab.test", USERS))),
        host(
            12,
            Some(Script {
                mailboxes: Mailboxes::CatchAll,
                ..Script::standard("mx.catchall.test", &[])
            }),
        ),
        host(
            13,
            Some(Script {
                greylist: Some(greylist_delay),
                ..Script::standard("mx.greylist.test", USERS)
            }),
        ),
        host(
            14,
            Some(Script {
                blocks_us: true,
                ..Script::standard("mx.blocked.test", USERS)
            }),
        ),
        host(
            15,
            Some(Script {
                requires_tls: true,
                ..Script::standard("mx.tlsonly.test", USERS)
            }),
        ),
        host(
            16,
            Some(Script {
                helo_only: true,
                starttls: false,
                ..Script::standard("mx.helo.test", USERS)
            }),
        ),
        host(
            17,
            Some(Script {
                slow: Duration::from_millis(400),
                ..Script::standard("mx.slow.test", USERS)
            }),
        ),
        host(
            18,
            Some(Script {
                greeting: Greeting::Never,
                ..Script::standard("mx.tarpit.test", USERS)
            }),
        ),
        host(
            19,
            Some(Script {
                drops_after_ehlo: true,
                ..Script::standard("mx.drop.test", USERS)
            }),
        ),
        host(20, Some(Script::standard("aonly.test", USERS))),
        host(21, None),
        host(22, Some(Script::standard("live.backup.test", USERS))),
        host(
            23,
            Some(Script {
                greeting: Greeting::Hostile,
                ..Script::standard("mx.hostile.test", USERS)
            }),
        ),
        host(
            24,
            Some(Script {
                max_rcpts_per_transaction: Some(5),
                ..Script::standard("mx.limited.test", USERS)
            }),
        ),
        host(
            25,
            Some(Script {
                greeting: Greeting::Busy,
                ..Script::standard("mx.busy.test", USERS)
            }),
        ),
    ]
}

/// Names of the bulk domains: `bulk0.test` ... (for benchmarks and load tests).
pub fn bulk_domain(i: usize) -> String {
    format!("bulk{i}.test")
}

/// What kind of server bulk domain `i` has: every tenth is catch-all (i % 10 == 0), every
/// tenth greylists (i % 10 == 1), the rest are standard (`ok*` local parts exist).
pub fn bulk_script(i: usize, name: &'static str, greylist_delay: Duration) -> Script {
    match i % 10 {
        0 => Script {
            mailboxes: Mailboxes::CatchAll,
            ..Script::standard(name, &[])
        },
        1 => Script {
            greylist: Some(greylist_delay),
            ..Script::standard(name, USERS)
        },
        _ => Script::standard(name, USERS),
    }
}

/// The zone entries of `count` dead domains, `deadN.test`, each with its MX host at its own
/// address in 127.3.0.0/16, where no lab server listens (the lab dialer refuses them).
pub fn dead(count: usize) -> Vec<(&'static str, ZoneEntry)> {
    unreachable_domains("dead", 3, count)
}

/// The first address of the `holeN.test` domains' MX hosts: 127.5.0.1, then on.
pub const HOLE_FIRST_OCTET: u8 = 5;

/// The address of generated domain `i` of a family whose addresses start at
/// 127.`first_octet`.0.1: 250 per /16, then the next.
fn numbered_ip(first_octet: u8, i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, first_octet + (i / 250) as u8, 0, 1 + (i % 250) as u8)
}

/// The address of `holeN.test`'s MX host, where every connect hangs (packets dropped).
pub fn hole_ip(i: usize) -> Ipv4Addr {
    numbered_ip(HOLE_FIRST_OCTET, i)
}

/// The zone entries of `count` domains, `holeN.test`, whose MX hosts drop every packet: a
/// connect hangs until its timeout, as behind a firewall that drops port 25 to them.
pub fn holes(count: usize) -> Vec<(&'static str, ZoneEntry)> {
    unreachable_domains("hole", HOLE_FIRST_OCTET, count)
}

/// `count` domains `{prefix}N.test`, each with MX `mx.{prefix}N.test` at its own address in
/// 127.{first_octet}.0.0/16 and up.
fn unreachable_domains(
    prefix: &str,
    first_octet: u8,
    count: usize,
) -> Vec<(&'static str, ZoneEntry)> {
    (0..count)
        .flat_map(|i| {
            let (entries, _) = mx_domain(format!("{prefix}{i}.test"), numbered_ip(first_octet, i));
            entries
        })
        .collect()
}

/// The two zone entries of a generated domain: `domain MX 10 mx.domain` and `mx.domain A ip`;
/// also returns the MX host's name.
fn mx_domain(domain: String, ip: Ipv4Addr) -> ([(&'static str, ZoneEntry); 2], &'static str) {
    let domain: &'static str = Box::leak(domain.into_boxed_str());
    let mx_name: &'static str = Box::leak(format!("mx.{domain}").into_boxed_str());
    let entries = [
        (
            domain,
            ZoneEntry {
                mx: vec![(10, mx_name)],
                ..ZoneEntry::default()
            },
        ),
        (
            mx_name,
            ZoneEntry {
                a: vec![ip],
                ..ZoneEntry::default()
            },
        ),
    ];
    (entries, mx_name)
}

/// The zone entries and hosts of `count` bulk domains, at 127.0.1.x / 127.0.2.x ...
pub fn bulk(
    count: usize,
    greylist_delay: Duration,
) -> (Vec<(&'static str, ZoneEntry)>, Vec<LabHost>) {
    let mut zone = Vec::new();
    let mut hosts = Vec::new();
    for i in 0..count {
        let ip = numbered_ip(1, i);
        let (entries, mx_name) = mx_domain(bulk_domain(i), ip);
        zone.extend(entries);
        hosts.push(LabHost {
            ip,
            script: Some(bulk_script(i, mx_name, greylist_delay)),
        });
    }
    (zone, hosts)
}
