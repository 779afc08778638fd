//! The environment the engine reads API keys and base-URL overrides from: the process
//! environment, then a `.env` file at the project root (the process environment wins).
//!
//! Values are only ever handed to request headers. `Debug` prints names, never values,
//! so an `Env` can be logged without leaking a key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A `.env` that cannot be read: the file, the entry (1-based) and what is wrong, never
/// the entry's text (it may hold a key).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}{why}", path.display(), entry.map(|n| format!("entry {n}: ")).unwrap_or_default())]
pub struct EnvError {
    pub path: PathBuf,
    pub entry: Option<usize>,
    pub why: String,
}

#[derive(Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("names", &self.vars.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Env {
    /// The process environment plus `<root>/.env` if it exists. A malformed `.env` is an
    /// error naming the file and line (never echoing a value).
    pub fn load(root: &Path) -> Result<Env, EnvError> {
        let mut vars = BTreeMap::new();
        let dotenv = root.join(".env");
        if dotenv.is_file() {
            let iter = dotenvy::from_path_iter(&dotenv).map_err(|e| EnvError {
                path: dotenv.clone(),
                entry: None,
                why: redact(&e),
            })?;
            for (i, item) in iter.enumerate() {
                let (k, v) = item.map_err(|e| EnvError {
                    path: dotenv.clone(),
                    entry: Some(i + 1),
                    why: redact(&e),
                })?;
                vars.insert(k, v);
            }
        }
        for (k, v) in std::env::vars_os() {
            if let (Ok(k), Ok(v)) = (k.into_string(), v.into_string()) {
                vars.insert(k, v);
            }
        }
        Ok(Env { vars })
    }

    /// An environment with exactly these variables (tests, embedding).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// A non-empty value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

/// dotenvy's parse errors quote the offending line, which may hold a key: keep only the
/// kind of error.
fn redact(e: &dotenvy::Error) -> String {
    match e {
        dotenvy::Error::LineParse(_, index) => format!("cannot parse line at byte {index}"),
        dotenvy::Error::Io(io) => io.to_string(),
        _ => "cannot read".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_values() {
        let env = Env::from_pairs([("OPENROUTER_API_KEY", "sk-or-secret-123")]);
        let shown = format!("{env:?}");
        assert!(shown.contains("OPENROUTER_API_KEY"));
        assert!(!shown.contains("secret"));
    }

    #[test]
    fn dotenv_is_read_and_the_environment_wins() {
        let dir = std::env::temp_dir().join(format!("fabula-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(".env"),
            "FABULA_TEST_ONLY_IN_DOTENV=from-file\nPATH=not-the-path\n",
        )
        .unwrap();
        let env = Env::load(&dir).unwrap();
        assert_eq!(env.get("FABULA_TEST_ONLY_IN_DOTENV"), Some("from-file"));
        assert_ne!(env.get("PATH"), Some("not-the-path"));
        std::fs::write(dir.join(".env"), "GOOD=1\nthis line is = 'broken\n").unwrap();
        let err = Env::load(&dir).unwrap_err();
        assert_eq!(err.path, dir.join(".env"));
        assert_eq!(err.entry, Some(2), "the second entry is the broken one");
        let shown = err.to_string();
        assert!(shown.contains(".env: entry 2: "), "{shown}");
        assert!(!shown.contains("broken"), "{shown}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
