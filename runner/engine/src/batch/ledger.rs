//! The batch files under `results/.batches/`: one per batch sent and not yet settled,
//! `<provider>-<batch id>.json`, naming what each of its requests stands for (the path of
//! the record it will become). Written atomically like records (the store's
//! `write_atomic`) by the run that holds the store's lock; read by the next run, which
//! polls the batch instead of sending its requests again; removed when every request's
//! record is written. Record loads, merges and the lock's sweep never look inside the
//! folder (`store::contents` skips it).

use super::BatchError;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use crate::store::LEDGER_DIR;

/// The version of the batch file format this build writes and reads.
pub const LEDGER_VERSION: u32 = 1;

/// One batch file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerFile {
    pub format_version: u32,
    /// The provider's name in `fabula.yaml`.
    pub provider: String,
    /// `openai` or `anthropic`.
    pub api: String,
    /// The provider's batch id.
    pub batch: String,
    /// When it was sent (RFC 3339).
    pub submitted_at: String,
    pub requests: Vec<LedgerRequest>,
}

/// One request of a batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerRequest {
    /// Its id in the batch.
    pub custom_id: String,
    /// The record it becomes, relative to `results/`.
    pub record: String,
    /// The model id it asks.
    pub model: String,
    /// 1 for a first try; more for a request sent again after its batch did not run it.
    pub attempt: u32,
}

/// Where a store's batch files are.
#[derive(Clone, Debug)]
pub struct Ledger {
    store: Store,
}

impl Ledger {
    pub fn new(store: Store) -> Ledger {
        Ledger { store }
    }

    pub fn dir(&self) -> PathBuf {
        self.store.root().join(LEDGER_DIR)
    }

    /// The file of batch `id` of `provider`.
    pub fn path(&self, provider: &str, id: &str) -> PathBuf {
        self.dir()
            .join(format!("{}-{}.json", file_safe(provider), file_safe(id)))
    }

    /// Writes `file` atomically.
    pub fn write(&self, file: &LedgerFile) -> Result<PathBuf, BatchError> {
        let path = self.path(&file.provider, &file.batch);
        let bytes = serde_json::to_vec_pretty(file).map_err(|e| BatchError::Write {
            path: path.clone(),
            source: io::Error::other(e),
        })?;
        self.store
            .write_atomic(&path, &bytes)
            .map_err(|source| BatchError::Write {
                path: path.clone(),
                source,
            })?;
        Ok(path)
    }

    /// Removes a settled batch's file (already gone is fine).
    pub fn remove(&self, path: &Path) -> Result<(), BatchError> {
        match fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(BatchError::Write {
                path: path.to_path_buf(),
                source: e,
            }),
            _ => Ok(()),
        }
    }

    /// Every batch file, read; leftover temporary files of an interrupted write are
    /// removed (the caller holds the store's lock). A file that is not a batch file is an
    /// error naming it, never skipped: it may stand for a paid batch.
    pub fn load(&self) -> Result<Vec<(PathBuf, LedgerFile)>, BatchError> {
        let dir = self.dir();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(BatchError::Read { path: dir, source }),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| BatchError::Read {
                path: dir.clone(),
                source,
            })?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = entry.file_type().map_err(|source| BatchError::Read {
                path: path.clone(),
                source,
            })?;
            if name.starts_with(".tmp-") && kind.is_file() {
                let _ = fs::remove_file(&path);
                continue;
            }
            // A file manager's litter (`.DS_Store`): no batch file starts with a dot.
            if name.starts_with('.') {
                continue;
            }
            if !kind.is_file() || !name.ends_with(".json") {
                return Err(BatchError::Invalid {
                    path,
                    why: "not a batch file (only `<provider>-<batch id>.json` files belong here)"
                        .into(),
                });
            }
            let bytes = fs::read(&path).map_err(|source| BatchError::Read {
                path: path.clone(),
                source,
            })?;
            let file: LedgerFile =
                serde_json::from_slice(&bytes).map_err(|e| BatchError::Invalid {
                    path: path.clone(),
                    why: e.to_string(),
                })?;
            if file.format_version != LEDGER_VERSION {
                return Err(BatchError::Invalid {
                    path,
                    why: format!(
                        "format_version {} is not {LEDGER_VERSION}, the one this fabula reads",
                        file.format_version
                    ),
                });
            }
            out.push((path, file));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

/// A name part that is safe in a file name on every system.
fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(provider: &str, batch: &str) -> LedgerFile {
        LedgerFile {
            format_version: LEDGER_VERSION,
            provider: provider.into(),
            api: "openai".into(),
            batch: batch.into(),
            submitted_at: "2026-01-01T00:00:00.000Z".into(),
            requests: vec![LedgerRequest {
                custom_id: "r0".into(),
                record: "m/t/gen-s0-abc.json".into(),
                model: "gpt".into(),
                attempt: 1,
            }],
        }
    }

    #[test]
    fn a_file_round_trips_and_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(Store::new(dir.path().join("results")));
        let f = file("open ai/x", "batch_1");
        let path = ledger.write(&f).unwrap();
        assert_eq!(
            path,
            dir.path().join("results/.batches/open_ai_x-batch_1.json")
        );
        std::fs::write(ledger.dir().join(".tmp-1-0-open_ai_x-batch_2.json"), "{").unwrap();
        std::fs::write(ledger.dir().join(".DS_Store"), "litter").unwrap();
        assert_eq!(ledger.load().unwrap(), vec![(path.clone(), f)]);
        assert!(
            !ledger
                .dir()
                .join(".tmp-1-0-open_ai_x-batch_2.json")
                .exists(),
            "a killed write's temporary file is swept"
        );
        ledger.remove(&path).unwrap();
        ledger.remove(&path).unwrap();
        assert!(ledger.load().unwrap().is_empty());
    }

    #[test]
    fn a_foreign_or_future_file_is_an_error_not_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(Store::new(dir.path()));
        std::fs::create_dir_all(ledger.dir()).unwrap();
        std::fs::write(ledger.dir().join("x.json"), "{\"format_version\": 1}").unwrap();
        let e = ledger.load().unwrap_err().to_string();
        assert!(e.contains("x.json") && e.contains("missing field"), "{e}");
        let mut f = file("p", "b");
        f.format_version = 9;
        std::fs::write(ledger.dir().join("x.json"), serde_json::to_vec(&f).unwrap()).unwrap();
        let e = ledger.load().unwrap_err().to_string();
        assert!(e.contains("format_version 9"), "{e}");
    }
}
