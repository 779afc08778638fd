//! The results store: one pretty-printed JSON file per generation and per evaluation
//! under `results/`, written atomically the moment the record exists.
//!
//! Layout: `results/<model>/<task>/gen-s<sample>-<fingerprint>.json`,
//! `results/<model>/<task>/eval-s<sample>-<judge>-<fingerprint>.json` and, for pairwise
//! comparisons, `results/pairwise/<task>/pair-s<sample>-<first>-vs-<second>-<judge>-
//! <fingerprint>.json`. A name is a
//! function of what produced the record, so stores from several machines merge by plain
//! copy: the same work has the same name, different work a different one. A record whose
//! fingerprint is not today's stays on disk (stale: flagged, excluded, re-planned).
//!
//! Writes go to a temporary file in the same folder (`.tmp-…`), are fsynced, then
//! renamed over the final name, and the folder is fsynced: a crash at any instant leaves
//! either the old state or the new record, never a partial one. Loading skips
//! temporary files and reports (never panics on) a file that is not a record.

use fabula_core::model::{
    EvaluationRecord, GenerationRecord, GenerationSummary, PairwiseRecord, RECORD_VERSION,
};
pub use fabula_eval::records::Records as Loaded;
use rayon::prelude::*;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A store rooted at a `results/` folder.
#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl Store {
    pub fn new(root: impl Into<PathBuf>) -> Store {
        Store { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn generation_path(&self, r: &GenerationRecord) -> PathBuf {
        self.root
            .join(safe(&r.model))
            .join(safe(&r.task))
            .join(format!("gen-s{}-{}.json", r.sample, safe(&r.fingerprint)))
    }

    pub fn evaluation_path(&self, r: &EvaluationRecord) -> PathBuf {
        self.root
            .join(safe(&r.model))
            .join(safe(&r.task))
            .join(format!(
                "eval-s{}-{}-{}.json",
                r.sample,
                safe(&r.judge),
                safe(&r.fingerprint)
            ))
    }

    pub fn pairwise_path(&self, r: &PairwiseRecord) -> PathBuf {
        self.root.join("pairwise").join(safe(&r.task)).join(format!(
            "pair-s{}-{}-vs-{}-{}-{}.json",
            r.sample,
            safe(&r.first.model),
            safe(&r.second.model),
            safe(&r.judge),
            safe(&r.fingerprint)
        ))
    }

    pub fn write_pairwise(&self, r: &PairwiseRecord) -> io::Result<PathBuf> {
        let path = self.pairwise_path(r);
        write_atomic(&path, &to_json(r)?)?;
        Ok(path)
    }

    pub fn write_generation(&self, r: &GenerationRecord) -> io::Result<PathBuf> {
        let path = self.generation_path(r);
        write_atomic(&path, &to_json(r)?)?;
        Ok(path)
    }

    pub fn write_evaluation(&self, r: &EvaluationRecord) -> io::Result<PathBuf> {
        let path = self.evaluation_path(r);
        write_atomic(&path, &to_json(r)?)?;
        Ok(path)
    }

    /// One whole generation record.
    pub fn read_generation(&self, path: &Path) -> io::Result<GenerationRecord> {
        let bytes = fs::read(path)?;
        serde_json::from_slice(&bytes).map_err(io::Error::other)
    }

    /// Every record under the root, read in parallel. A missing root is an empty store.
    pub fn load(&self) -> Loaded {
        let mut files = Vec::new();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with(".tmp-") {
                    continue;
                }
                match entry.file_type() {
                    Ok(t) if t.is_dir() => stack.push(path),
                    Ok(t) if t.is_file() && name.ends_with(".json") => files.push(path),
                    _ => {}
                }
            }
        }
        // Byte order, not component order: the same result for our names, and cheaper.
        files.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
        // Reading many small files is as much waiting on the kernel as parsing: use more
        // threads than cores.
        let threads = (std::thread::available_parallelism().map_or(1, |n| n.get()) * 4).clamp(2, 16);
        let entries: Vec<Entry> = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(pool) => pool.install(|| files.par_iter().map(load_one).collect()),
            Err(_) => files.iter().map(load_one).collect(),
        };
        let mut out = Loaded::default();
        for (path, entry) in files.iter().zip(entries) {
            match entry {
                Entry::Generation(r) => out.generations.push((path.clone(), r)),
                Entry::Evaluation(r) => out.evaluations.push((path.clone(), r)),
                Entry::Pairwise(r) => out.pairwise.push((path.clone(), r)),
                Entry::Problem(why) => out.problems.push((path.clone(), why)),
            }
        }
        out
    }
}

/// What one file under `results/` holds.
enum Entry {
    Generation(GenerationSummary),
    Evaluation(EvaluationRecord),
    Pairwise(PairwiseRecord),
    Problem(String),
}

fn load_one(path: &PathBuf) -> Entry {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) => return Entry::Problem(format!("cannot read: {e}")),
    };
    if name.starts_with("gen-") {
        match serde_json::from_slice::<GenerationSummary>(&bytes) {
            Ok(r) if r.format_version == RECORD_VERSION => Entry::Generation(r),
            Ok(r) => Entry::Problem(unknown_version(r.format_version)),
            Err(e) => Entry::Problem(explain(&bytes, "generation", &e)),
        }
    } else if name.starts_with("eval-") {
        match serde_json::from_slice::<EvaluationRecord>(&bytes) {
            Ok(r) if r.format_version == RECORD_VERSION => Entry::Evaluation(r),
            Ok(r) => Entry::Problem(unknown_version(r.format_version)),
            Err(e) => Entry::Problem(explain(&bytes, "evaluation", &e)),
        }
    } else if name.starts_with("pair-") {
        match serde_json::from_slice::<PairwiseRecord>(&bytes) {
            Ok(r) if r.format_version == RECORD_VERSION => Entry::Pairwise(r),
            Ok(r) => Entry::Problem(unknown_version(r.format_version)),
            Err(e) => Entry::Problem(explain(&bytes, "pairwise", &e)),
        }
    } else {
        Entry::Problem("not named gen-…, eval-… or pair-…".to_string())
    }
}

#[derive(serde::Deserialize)]
struct VersionOnly {
    format_version: u32,
}

fn unknown_version(v: u32) -> String {
    format!("format_version {v} is not one this build reads ({RECORD_VERSION})")
}

/// Why a record did not parse: a newer format, or not a record at all.
fn explain(bytes: &[u8], kind: &str, e: &serde_json::Error) -> String {
    match serde_json::from_slice::<VersionOnly>(bytes) {
        Ok(v) if v.format_version != RECORD_VERSION => unknown_version(v.format_version),
        _ => format!("not a {kind} record: {e}"),
    }
}

fn to_json<T: serde::Serialize>(r: &T) -> io::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(r).map_err(io::Error::other)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes `bytes` to `path` so that `path` is always absent, the old content, or the
/// whole new content.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("a record path has a folder"))?;
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".tmp-{}-{}-{name}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A name safe as one path component on every OS.
fn safe(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match cleaned.as_str() {
        "" | "." | ".." => format!("_{cleaned}"),
        _ => cleaned,
    }
}

/// Removes stray temporary files left by a killed writer (older than a minute, so a
/// running writer's are left alone). Returns how many were removed.
pub fn sweep_temporaries(root: &Path) -> usize {
    let mut removed = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let is_tmp = entry.file_name().to_string_lossy().starts_with(".tmp-");
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 60);
            if is_tmp && old && fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_components() {
        assert_eq!(safe("openai/gpt-5"), "openai_gpt-5");
        assert_eq!(safe(".."), "_..");
        assert_eq!(safe("a b:c"), "a_b_c");
    }
}
