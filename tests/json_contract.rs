//! The JSON report contract, frozen: one full `check --json --transcript` object from the
//! embedded lab as an insta snapshot (every field name, in the order written, with the values
//! that vary from run to run replaced), and `"schema_version": 1` first on every JSON line that
//! `check --json` and `batch --format jsonl` write. A renamed or removed field fails here; the
//! rule for changing the contract is `JSON_SCHEMA_VERSION`'s.

mod common;

use common::{mxknock, mxknock_with_stdin};
use mxknock::export::JSON_SCHEMA_VERSION;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// A JSON value that keeps the fields of its objects in the order they were written
/// (serde_json's `Value` sorts them here, without its `preserve_order` feature).
enum Json {
    Scalar(serde_json::Value),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Scalar(serde_json::Value::Null))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut fields = Vec::new();
        while let Some(field) = map.next_entry()? {
            fields.push(field);
        }
        Ok(Json::Object(fields))
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Scalar(value) => value.serialize(serializer),
            Json::Array(items) => items.serialize(serializer),
            Json::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (name, value) in fields {
                    map.serialize_entry(name, value)?;
                }
                map.end()
            }
        }
    }
}

impl Json {
    /// Replaces what differs from run to run: the lab server's port and every `*_ms` time.
    fn redact(&mut self) {
        match self {
            Json::Scalar(_) => {}
            Json::Array(items) => items.iter_mut().for_each(Json::redact),
            Json::Object(fields) => {
                for (name, value) in fields {
                    let placeholder = match name.as_str() {
                        "port" => "[port]",
                        n if n.ends_with("_ms") => "[ms]",
                        _ => "",
                    };
                    match value {
                        Json::Scalar(v) if v.is_number() && !placeholder.is_empty() => {
                            *v = placeholder.into();
                        }
                        other => other.redact(),
                    }
                }
            }
        }
    }

    /// Keeps only the first transcript line of each direction: every field of a line shows,
    /// without freezing the whole conversation's wording.
    fn shorten_transcript(&mut self) {
        let Json::Object(fields) = self else { return };
        let Some((_, Json::Array(lines))) = fields.iter_mut().find(|(n, _)| n == "transcript")
        else {
            return;
        };
        let mut seen = Vec::new();
        lines.retain(|line| {
            let Json::Object(fields) = line else {
                return true;
            };
            let direction = fields
                .iter()
                .find(|(n, _)| n == "direction")
                .and_then(|(_, v)| match v {
                    Json::Scalar(v) => v.as_str().map(str::to_string),
                    _ => None,
                })
                .unwrap_or_default();
            let first = !seen.contains(&direction);
            seen.push(direction);
            first
        });
    }
}

/// The first line of standard output of `mxknock ARGS`, which must be JSON.
fn first_json_line(args: &[&str]) -> String {
    let (_, stdout, stderr) = mxknock(args);
    stdout
        .lines()
        .next()
        .unwrap_or_else(|| panic!("no output; stderr: {stderr}"))
        .to_string()
}

#[test]
fn a_full_check_report_keeps_its_fields() {
    // A deliverable role account at a known provider, over STARTTLS: flags, provider, TLS
    // and the transcript are all filled in.
    let line = first_json_line(&[
        "--demo",
        "check",
        "--json",
        "--transcript",
        "--helo",
        "verifier.lab.test",
        "postmaster@google.providers.test",
    ]);
    let prefix = format!("{{\"schema_version\":{JSON_SCHEMA_VERSION},\"address\":");
    assert!(line.starts_with(&prefix), "{line}");
    let mut report: Json = serde_json::from_str(&line).unwrap();
    report.redact();
    report.shorten_transcript();
    insta::assert_snapshot!(serde_json::to_string_pretty(&report).unwrap());
}

#[test]
fn every_batch_json_line_carries_the_schema_version() {
    let (_, stdout, stderr) = mxknock_with_stdin(
        &[
            "--demo",
            "batch",
            "-",
            "--format",
            "jsonl",
            "--helo",
            "verifier.lab.test",
        ],
        "alice@lab.test\nnobody@lab.test\nnot an address\n",
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}{stderr}");
    for line in lines {
        assert!(line.starts_with("{\"schema_version\":1,"), "{line}");
        let report: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(report["schema_version"], 1);
    }
}
