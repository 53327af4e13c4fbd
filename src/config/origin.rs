//! Where a setting's value came from: the config file (with its line), an environment
//! variable, a flag, or the default. A validation error names it, so `smtp.port: 0 is not a
//! port` says whether to fix the file, the environment or the command line.

use std::fmt;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::ConfigError;

/// Where one value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Nothing set it: the built-in default.
    Default,
    /// The config file, at this line when it could be found.
    File { path: PathBuf, line: Option<usize> },
    /// An environment variable, by name.
    Env(String),
    /// A command-line flag, as typed (`--smtp-port`).
    Flag(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => write!(f, "the default"),
            Origin::File {
                path,
                line: Some(line),
            } => write!(f, "{}:{line}", path.display()),
            Origin::File { path, line: None } => write!(f, "{}", path.display()),
            Origin::Env(name) => write!(f, "environment variable {name}"),
            Origin::Flag(flag) => write!(f, "{flag}"),
        }
    }
}

/// The config file as read, kept to find the line a key is on.
#[derive(Clone, Debug)]
pub struct FileSource {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
}

impl FileSource {
    /// The line (1-based) that sets `setting` (`smtp.port`, `engine.greylist_schedule[1]`,
    /// `providers[0]`), if the file sets it.
    pub fn line_of(&self, setting: &str) -> Option<usize> {
        let (keys, index) = split_setting(setting);
        let document = DeTable::parse(&self.text).ok()?;
        let mut table = document.get_ref();
        let mut found = None;
        for (depth, key) in keys.iter().enumerate() {
            let (_, value) = table.iter().find(|(k, _)| &**k.get_ref() == *key)?;
            if depth + 1 == keys.len() {
                found = Some(value);
            } else if let DeValue::Table(inner) = value.get_ref() {
                table = inner;
            } else {
                return None;
            }
        }
        let value = found?;
        let span = match (index, value.get_ref()) {
            (Some(i), DeValue::Array(items)) => items.get(i)?.span(),
            _ => value.span(),
        };
        Some(line_at(&self.text, span.start))
    }
}

/// `engine.greylist_schedule[1]` as (["engine", "greylist_schedule"], Some(1)).
fn split_setting(setting: &str) -> (Vec<&str>, Option<usize>) {
    let (path, index) = match setting.strip_suffix(']').and_then(|s| s.rsplit_once('[')) {
        Some((path, index)) => (path, index.parse().ok()),
        None => (setting, None),
    };
    (path.split('.').collect(), index)
}

/// The 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Where every setting came from: the command line's values (flags or their environment
/// variables) first, then the file, else the default.
#[derive(Clone, Debug, Default)]
pub struct Origins {
    file: Option<FileSource>,
    command_line: Vec<(&'static [&'static str], Origin)>,
}

impl Origins {
    /// Origins with the config file as read (none when the defaults were used).
    pub fn new(file: Option<FileSource>) -> Origins {
        Origins {
            file,
            command_line: Vec::new(),
        }
    }

    /// Records that the command line set `settings` (one option may set several, as
    /// `--timeout` does) from `origin`.
    pub fn set_by(&mut self, settings: &'static [&'static str], origin: Origin) {
        self.command_line.push((settings, origin));
    }

    /// The config file, if one was read.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_ref().map(|f| f.path.as_path())
    }

    /// Where `setting` (as validation names it) got its value.
    pub fn of(&self, setting: &str) -> Origin {
        let key = setting.split('[').next().unwrap_or(setting);
        if let Some((_, origin)) = self
            .command_line
            .iter()
            .rev()
            .find(|(settings, _)| settings.contains(&key))
        {
            return origin.clone();
        }
        match &self.file {
            Some(file) => match file.line_of(setting) {
                Some(line) => Origin::File {
                    path: file.path.clone(),
                    line: Some(line),
                },
                None => Origin::Default,
            },
            None => Origin::Default,
        }
    }

    /// A validation error with where its value came from:
    /// `smtp.port (from --smtp-port): 0 is not a port (a port is 1 to 65535)`.
    pub fn explain(&self, error: &ConfigError) -> String {
        match error {
            ConfigError::Invalid { setting, message } => match self.of(setting) {
                Origin::Default => format!("{setting}: {message}"),
                origin => format!("{setting} (from {origin}): {message}"),
            },
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> FileSource {
        FileSource {
            path: PathBuf::from("/etc/mx.toml"),
            text: text.to_string(),
        }
    }

    #[test]
    fn finds_the_line_of_a_key_a_list_entry_and_a_provider() {
        let source = file(
            "# comment\n[smtp]\nhelo = \"a\"\nport = 0\n\n[engine]\ngreylist_schedule = [\n  60,\n  -5,\n]\n\n[[providers]]\nid = \"x\"\n\n[[providers]]\nid = \"y\"\n",
        );
        assert_eq!(source.line_of("smtp.port"), Some(4));
        assert_eq!(source.line_of("smtp.helo"), Some(3));
        assert_eq!(source.line_of("engine.greylist_schedule[1]"), Some(9));
        assert_eq!(source.line_of("engine.greylist_schedule"), Some(7));
        assert_eq!(source.line_of("smtp.bind"), None);
        assert_eq!(source.line_of("dns.servers"), None);
        let second = source.line_of("providers[1]").unwrap();
        assert!((15..=16).contains(&second), "line {second}");
    }

    #[test]
    fn the_command_line_wins_over_the_file_and_the_default_is_left_unsaid() {
        let mut origins = Origins::new(Some(file("[smtp]\nport = 0\nhelo = \"x\"\n")));
        let error = |setting: &str| ConfigError::Invalid {
            setting: setting.into(),
            message: "bad".into(),
        };
        assert_eq!(
            origins.explain(&error("smtp.port")),
            "smtp.port (from /etc/mx.toml:2): bad"
        );
        origins.set_by(&["smtp.port"], Origin::Env("MXKNOCK_SMTP_PORT".into()));
        assert_eq!(
            origins.explain(&error("smtp.port")),
            "smtp.port (from environment variable MXKNOCK_SMTP_PORT): bad"
        );
        origins.set_by(&["smtp.port"], Origin::Flag("--smtp-port".into()));
        assert_eq!(
            origins.explain(&error("smtp.port")),
            "smtp.port (from --smtp-port): bad"
        );
        assert_eq!(
            origins.explain(&error("engine.per_host")),
            "engine.per_host: bad"
        );
    }
}
