//! The version of the JSON report contract (`check --json`, `batch --format jsonl`, the TUI's
//! JSON lines export): every object starts with `"schema_version": 1`. The field is a type of
//! its own on [`Report`](super::verdict::Report), its first field, so no report can be
//! serialised without it, elsewhere than first, or with another number.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The version of the JSON report's shape. The rule: new fields are added, never renamed; a
/// rename or a removal (or a field changing its type or meaning) bumps the version. A reader
/// should take a missing `schema_version` (output written before it existed) as 1.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// The `schema_version` field of a report: serialises as [`JSON_SCHEMA_VERSION`], always.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SchemaVersion;

impl Serialize for SchemaVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(JSON_SCHEMA_VERSION)
    }
}

/// Any version reads back: a report written by another version is taken as it is (its fields
/// are the ones this version knows, by the rule above).
impl<'de> Deserialize<'de> for SchemaVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        u32::deserialize(deserializer).map(|_| SchemaVersion)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::judge::verdict::{Reason, Report};

    #[test]
    fn every_report_starts_with_the_schema_version() {
        let json = serde_json::to_string(&Report::new("a@b.test", Reason::Ok, "ok")).unwrap();
        assert!(
            json.starts_with("{\"schema_version\":1,\"address\":"),
            "{json}"
        );
        assert_eq!(serde_json::to_string(&SchemaVersion).unwrap(), "1");
    }
}
