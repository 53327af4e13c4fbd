//! Who runs a domain's mail servers, told from its MX host names, and the habits that change
//! what their replies mean ("provider rules").
//!
//! The table is data: `assets/providers.toml` compiled in, with `[[providers]]` entries of the
//! user's config file laid over it (an entry with a known `id` changes only the fields it gives;
//! a new `id` adds a provider). A host name matches a pattern when the pattern is a suffix of
//! it at a label boundary, a `*` label matching any one label; the longest matching pattern
//! wins. [`Providers::identify`] looks at the MX hosts in the order they will be tried.

use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};

use crate::text::terminal_safe;

const BUILTIN_TOML: &str = include_str!("../../../assets/providers.toml");

/// One provider entry as written in `assets/providers.toml` or in a config file's
/// `[[providers]]`. In the config file every field but `id` is optional: it overrides the
/// built-in entry of that id, or, for a new id, `name` and `mx` are required.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    /// Short stable name (JSON `provider.id`, CSV `provider`).
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Host name patterns (suffixes at a label boundary; `*` is one label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mx: Option<Vec<String>>,
    /// Send no catch-all probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_catch_all: Option<bool>,
    /// The servers answer 250 to every RCPT: a 250 is `risky/accept_all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepts_any_recipient: Option<bool>,
    /// Seconds to wait for each reply at least.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_timeout: Option<f64>,
    /// A sentence for the detail pane.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The file format of `assets/providers.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderFile {
    provider: Vec<ProviderSpec>,
}

/// A provider with its rules, ready to use.
#[derive(Clone, Debug, PartialEq)]
pub struct Provider {
    /// Short stable name.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Host name patterns, lowercase, without a trailing dot.
    pub mx: Vec<String>,
    /// Send no catch-all probe.
    pub skip_catch_all: bool,
    /// The servers answer 250 to every RCPT.
    pub accepts_any_recipient: bool,
    /// Seconds to wait for each reply at least.
    pub command_timeout: Option<f64>,
    /// A sentence for the detail pane.
    pub note: Option<String>,
}

impl Provider {
    /// The short form a report carries.
    pub fn tag(&self) -> ProviderTag {
        ProviderTag {
            id: self.id.clone(),
            name: self.name.clone(),
            note: self.note.clone(),
            skips_probe: self.skips_probe(),
        }
    }

    /// Whether the catch-all probe tells nothing here (skipped by rule, or every RCPT is
    /// accepted anyway).
    pub fn skips_probe(&self) -> bool {
        self.skip_catch_all || self.accepts_any_recipient
    }

    fn from_spec(spec: &ProviderSpec) -> Result<Provider, String> {
        let mut provider = Provider {
            id: spec.id.clone(),
            name: String::new(),
            mx: Vec::new(),
            skip_catch_all: false,
            accepts_any_recipient: false,
            command_timeout: None,
            note: None,
        };
        provider.apply(spec)?;
        if provider.name.is_empty() {
            return Err(format!("provider {:?} needs a name", spec.id));
        }
        if provider.mx.is_empty() {
            return Err(format!(
                "provider {:?} needs at least one mx pattern",
                spec.id
            ));
        }
        Ok(provider)
    }

    /// Lays the fields `spec` gives over this provider. Names and notes are made safe for a
    /// terminal here, once (a config file could hold escape sequences).
    fn apply(&mut self, spec: &ProviderSpec) -> Result<(), String> {
        if let Some(name) = &spec.name {
            if name.trim().is_empty() {
                return Err(format!("provider {:?}: name is empty", spec.id));
            }
            self.name = terminal_safe(name.trim());
        }
        if let Some(patterns) = &spec.mx {
            self.mx = patterns
                .iter()
                .map(|pattern| normalize_pattern(pattern))
                .collect::<Result<_, _>>()
                .map_err(|e| format!("provider {:?}: {e}", spec.id))?;
        }
        if let Some(skip) = spec.skip_catch_all {
            self.skip_catch_all = skip;
        }
        if let Some(all) = spec.accepts_any_recipient {
            self.accepts_any_recipient = all;
        }
        if let Some(secs) = spec.command_timeout {
            if !(secs.is_finite() && secs > 0.0 && secs <= 3600.0) {
                return Err(format!(
                    "provider {:?}: command_timeout must be between 0 and 3600 seconds, got {secs}",
                    spec.id
                ));
            }
            self.command_timeout = Some(secs);
        }
        if let Some(note) = &spec.note {
            self.note = Some(terminal_safe(note.trim())).filter(|n| !n.is_empty());
        }
        Ok(())
    }
}

/// What a report says about the provider: JSON `{"id": ..., "name": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderTag {
    /// Short stable name.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The provider's note, for the detail pane (not part of the JSON contract).
    #[serde(skip)]
    pub note: Option<String>,
    /// The catch-all probe is skipped there (a provider rule); for the detail pane.
    #[serde(skip)]
    pub skips_probe: bool,
}

/// A pattern lowercased, without a trailing dot, checked to be a host name pattern.
fn normalize_pattern(pattern: &str) -> Result<String, String> {
    let pattern = pattern.trim().trim_end_matches('.').to_ascii_lowercase();
    let valid_label = |label: &str| {
        label == "*"
            || (!label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    };
    if pattern.is_empty() || !pattern.split('.').all(valid_label) {
        return Err(format!(
            "mx pattern {pattern:?} is not a host name suffix (labels of letters, digits, '-', or '*')"
        ));
    }
    Ok(pattern)
}

/// Whether `host` (lowercase, no trailing dot) ends with `pattern` at a label boundary.
fn matches(host: &str, pattern: &str) -> bool {
    let mut host_labels = host.rsplit('.');
    pattern.rsplit('.').all(|want| {
        host_labels
            .next()
            .is_some_and(|label| want == "*" || label == want)
    })
}

/// The provider table in effect.
#[derive(Clone, Debug, PartialEq)]
pub struct Providers {
    list: Vec<Arc<Provider>>,
}

/// The built-in table, parsed once.
static BUILTIN: LazyLock<Vec<ProviderSpec>> = LazyLock::new(|| {
    toml::from_str::<ProviderFile>(BUILTIN_TOML)
        .expect("assets/providers.toml parses (tested)")
        .provider
});

impl Providers {
    /// The built-in table with `overrides` (the config file's `[[providers]]`) laid over it.
    pub fn new(overrides: &[ProviderSpec]) -> Result<Providers, String> {
        let mut list: Vec<Provider> = BUILTIN
            .iter()
            .map(Provider::from_spec)
            .collect::<Result<_, _>>()?;
        for spec in overrides {
            let id = spec.id.trim();
            if id.is_empty()
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(format!(
                    "provider id {:?} must be letters, digits, '-' or '_'",
                    spec.id
                ));
            }
            match list.iter_mut().find(|p| p.id == id) {
                Some(known) => known.apply(spec)?,
                None => list.push(Provider::from_spec(spec)?),
            }
        }
        Ok(Providers {
            list: list.into_iter().map(Arc::new).collect(),
        })
    }

    /// The built-in table alone.
    pub fn builtin() -> Providers {
        Providers::new(&[]).expect("the built-in table is valid (tested)")
    }

    /// Every provider, built-in ones first.
    pub fn all(&self) -> &[Arc<Provider>] {
        &self.list
    }

    /// The provider of one host name, by its longest matching pattern.
    pub fn of_host(&self, host: &str) -> Option<&Arc<Provider>> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.list
            .iter()
            .flat_map(|p| p.mx.iter().map(move |pattern| (p, pattern)))
            .filter(|(_, pattern)| matches(&host, pattern))
            .max_by_key(|(_, pattern)| pattern.split('.').count())
            .map(|(p, _)| p)
    }

    /// The provider of a domain from its MX hosts, the first one (in the order they will be
    /// tried) that belongs to a known provider.
    pub fn identify<'a>(&self, hosts: impl IntoIterator<Item = &'a str>) -> Option<Arc<Provider>> {
        hosts
            .into_iter()
            .find_map(|host| self.of_host(host))
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_table_is_valid_and_names_the_providers_the_issue_lists() {
        let table = Providers::builtin();
        assert!(table.all().len() >= 15, "{} providers", table.all().len());
        for id in [
            "google",
            "microsoft365",
            "outlook",
            "yahoo",
            "proofpoint",
            "mimecast",
            "barracuda",
            "cisco",
            "zoho",
            "icloud",
            "fastmail",
            "yandex",
            "gmx",
            "godaddy",
            "amazon",
        ] {
            assert!(table.all().iter().any(|p| p.id == id), "{id} missing");
        }
        let mut ids: Vec<_> = table.all().iter().map(|p| p.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), table.all().len(), "ids are unique");
    }

    #[test]
    fn hosts_match_at_label_boundaries_and_the_longest_pattern_wins() {
        let table = Providers::builtin();
        let id = |host: &str| table.of_host(host).map(|p| p.id.as_str());
        assert_eq!(id("aspmx.l.google.com"), Some("google"));
        assert_eq!(id("ALT1.ASPMX.L.GOOGLE.COM."), Some("google"));
        assert_eq!(id("notgoogle.com"), None);
        assert_eq!(id("google.com.evil.test"), None);
        assert_eq!(
            id("example-com.mail.protection.outlook.com"),
            Some("microsoft365")
        );
        assert_eq!(
            id("hotmail-com.olc.protection.outlook.com"),
            Some("outlook")
        );
        assert_eq!(id("inbound-smtp.eu-west-1.amazonaws.com"), Some("amazon"));
        assert_eq!(id("ec2-1-2-3-4.compute-1.amazonaws.com"), None);
        assert_eq!(id("inbound-smtp.amazonaws.com"), None, "* is one label");
        assert_eq!(id("mx.example.test"), None);
    }

    #[test]
    fn the_first_mx_host_that_belongs_to_a_provider_names_the_domain() {
        let table = Providers::builtin();
        let found = table.identify([
            "mx.own.test",
            "mx1.example.pphosted.com",
            "aspmx.l.google.com",
        ]);
        assert_eq!(found.map(|p| p.id.clone()).as_deref(), Some("proofpoint"));
        assert!(table.identify(["mx.own.test"]).is_none());
        assert!(table.identify([]).is_none());
    }

    #[test]
    fn config_entries_override_fields_or_add_providers() {
        let overrides = [
            ProviderSpec {
                id: "google".into(),
                skip_catch_all: Some(false),
                ..ProviderSpec::default()
            },
            ProviderSpec {
                id: "inhouse".into(),
                name: Some("In-house gateway".into()),
                mx: Some(vec!["GW.Example.Test.".into()]),
                command_timeout: Some(90.0),
                ..ProviderSpec::default()
            },
        ];
        let table = Providers::new(&overrides).unwrap();
        let google = table.of_host("aspmx.l.google.com").unwrap();
        assert!(!google.skip_catch_all, "overridden");
        assert_eq!(google.name, "Google (Gmail, Google Workspace)", "kept");
        let inhouse = table.of_host("mx1.gw.example.test").unwrap();
        assert_eq!(inhouse.id, "inhouse");
        assert_eq!(inhouse.command_timeout, Some(90.0));
        assert_eq!(table.all().len(), Providers::builtin().all().len() + 1);
    }

    #[test]
    fn bad_config_entries_are_refused_with_a_reason() {
        let cases = [
            (
                ProviderSpec {
                    id: "new".into(),
                    mx: Some(vec!["x.test".into()]),
                    ..ProviderSpec::default()
                },
                "needs a name",
            ),
            (
                ProviderSpec {
                    id: "new".into(),
                    name: Some("New".into()),
                    ..ProviderSpec::default()
                },
                "needs at least one mx pattern",
            ),
            (
                ProviderSpec {
                    id: "google".into(),
                    mx: Some(vec!["bad host!".into()]),
                    ..ProviderSpec::default()
                },
                "is not a host name suffix",
            ),
            (
                ProviderSpec {
                    id: "google".into(),
                    command_timeout: Some(-1.0),
                    ..ProviderSpec::default()
                },
                "command_timeout",
            ),
            (
                ProviderSpec {
                    id: "".into(),
                    ..ProviderSpec::default()
                },
                "provider id",
            ),
        ];
        for (spec, expected) in cases {
            let error = Providers::new(&[spec]).unwrap_err();
            assert!(error.contains(expected), "{error}");
        }
    }
}
