//! Joining stores: the records of several `results/` folders (shard artifacts, another
//! machine's run) copied into one, each verified first.
//!
//! A record is copied only when it parses, matches `schema/result.schema.json`, and sits
//! at the name the store would give its content (so a renamed or hand-edited file cannot
//! pass for other work). The same name with the same content is a duplicate and skipped;
//! the same name with different content is a conflict: reported, and the record already
//! in the destination kept. Temporary files of interrupted writes and symbolic links are
//! reported and never followed or copied. Writes are atomic and made under the
//! destination's write lock.

use crate::lock::WriteLock;
use crate::store::{
    NOT_A_RECORD_NAME, Store, contents, evaluation_name, generation_name, pairwise_name,
    ranking_name,
};
use fabula_core::model::{
    EvaluationRecord, GenerationRecord, HumanRanking, PairwiseRecord, RECORD_SCHEMA, RECORD_VERSION,
};
use serde_json::Value;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// What a merge did and found. Paths of records are relative to their store's root.
#[derive(Debug, Default)]
pub struct MergeReport {
    /// Records copied into the destination.
    pub copied: Vec<PathBuf>,
    /// Records the destination already held with the same content.
    pub identical: usize,
    /// Same name, different content: not copied.
    pub conflicts: Vec<Conflict>,
    /// Files that are not valid records (source path, why): not copied.
    pub invalid: Vec<(PathBuf, String)>,
    /// Temporary files of interrupted writes in the sources: ignored.
    pub temporaries: Vec<PathBuf>,
    /// Symbolic links in the sources: ignored, never followed.
    pub links: Vec<PathBuf>,
    /// Batch files (`results/.batches/`) in the sources: provider batches that store's
    /// runs have not collected. Not copied: a batch is collected by a `fabula run
    /// --batch` on the store that sent it.
    pub batch_files: Vec<PathBuf>,
}

/// A record whose name is taken in the destination by different content.
#[derive(Debug)]
pub struct Conflict {
    /// The record's name, relative to the stores' roots.
    pub name: PathBuf,
    /// The source file that was not copied.
    pub source: PathBuf,
}

impl MergeReport {
    /// Whether something was left out that a person must look at (an uncollected batch
    /// is work a shard has not finished).
    pub fn has_findings(&self) -> bool {
        !self.conflicts.is_empty() || !self.invalid.is_empty() || !self.batch_files.is_empty()
    }
}

/// Why a merge stopped.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{}: not a folder", .0.display())]
    NotAFolder(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
}

/// Copies the records of `sources`, in order, into `into`, whose write lock the caller
/// holds. A name copied from an earlier source is taken for the later ones.
pub fn merge(
    into: &Store,
    _locked: &WriteLock,
    sources: &[PathBuf],
) -> Result<MergeReport, MergeError> {
    if let Some(missing) = sources.iter().find(|s| !s.is_dir()) {
        return Err(MergeError::NotAFolder(missing.clone()));
    }
    let mut report = MergeReport::default();
    for source in sources {
        let found = contents(source);
        if let Ok(entries) = std::fs::read_dir(source.join(crate::batch::LEDGER_DIR)) {
            let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            files.sort();
            report.batch_files.extend(files);
        }
        report.temporaries.extend(found.temporaries);
        report.links.extend(found.links);
        report.invalid.extend(found.problems);
        let mut records = found.records;
        records.sort();
        for path in records {
            let name = path.strip_prefix(source).unwrap_or(&path).to_path_buf();
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    report.invalid.push((path, format!("cannot read: {e}")));
                    continue;
                }
            };
            let value = match verify(&name, &bytes) {
                Ok(v) => v,
                Err(why) => {
                    report.invalid.push((path, why.to_string()));
                    continue;
                }
            };
            let target = into.root().join(&name);
            match existing(&target) {
                Existing::None => {}
                Existing::Same(v) if v == value => {
                    report.identical += 1;
                    continue;
                }
                Existing::Same(_) | Existing::Other => {
                    report.conflicts.push(Conflict { name, source: path });
                    continue;
                }
            }
            into.write_atomic(&target, &bytes)
                .map_err(|source| MergeError::Write {
                    path: target.clone(),
                    source,
                })?;
            report.copied.push(name);
        }
    }
    Ok(report)
}

/// What the destination holds at a record's name.
enum Existing {
    None,
    /// A JSON file, parsed.
    Same(Value),
    /// Something else: unreadable, not JSON, a folder or a link.
    Other,
}

fn existing(target: &Path) -> Existing {
    match std::fs::symlink_metadata(target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Existing::None,
        Ok(m) if m.is_file() => std::fs::read(target)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .map_or(Existing::Other, Existing::Same),
        _ => Existing::Other,
    }
}

/// Why a file is not a record that may be copied.
#[derive(Debug, thiserror::Error)]
pub enum Invalid {
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("{NOT_A_RECORD_NAME}")]
    NotARecordName,
    #[error("format_version {0} is not one this build reads ({RECORD_VERSION})")]
    Version(u64),
    #[error("does not match schema/result.schema.json ({def}) at {at}: {why}")]
    Schema {
        def: &'static str,
        at: String,
        why: String,
    },
    #[error("not a {def} record: {source}")]
    Shape {
        def: &'static str,
        source: serde_json::Error,
    },
    #[error("its content belongs at {}, not {}", expected.display(), name.display())]
    Misplaced { expected: PathBuf, name: PathBuf },
}

/// The record's JSON if `bytes` are a valid record that belongs at `name` (relative to
/// its store's root), else why not.
pub fn verify(name: &Path, bytes: &[u8]) -> Result<Value, Invalid> {
    let value: Value = serde_json::from_slice(bytes).map_err(Invalid::NotJson)?;
    let file = name
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let kind = if file.starts_with("gen-") {
        Kind::Generation
    } else if file.starts_with("eval-") {
        Kind::Evaluation
    } else if file.starts_with("pair-") {
        Kind::Pairwise
    } else if file.starts_with("rank-") {
        Kind::Ranking
    } else {
        return Err(Invalid::NotARecordName);
    };
    if let Some(v) = value.get("format_version").and_then(Value::as_u64)
        && v != u64::from(RECORD_VERSION)
    {
        return Err(Invalid::Version(v));
    }
    if let Some(e) = schema(kind).iter_errors(&value).next() {
        let at = e.instance_path().to_string();
        let at = if at.is_empty() { "/".to_string() } else { at };
        let mut why = e.to_string();
        if why.chars().count() > 200 {
            why = why.chars().take(200).collect::<String>() + "…";
        }
        return Err(Invalid::Schema {
            def: kind.def(),
            at,
            why,
        });
    }
    let expected = match kind {
        Kind::Generation => {
            let r: GenerationRecord =
                serde_json::from_value(value.clone()).map_err(|source| Invalid::Shape {
                    def: kind.def(),
                    source,
                })?;
            generation_name(&r.model, &r.task, r.sample, &r.fingerprint)
        }
        Kind::Evaluation => {
            let r: EvaluationRecord =
                serde_json::from_value(value.clone()).map_err(|source| Invalid::Shape {
                    def: kind.def(),
                    source,
                })?;
            evaluation_name(&r.model, &r.task, r.sample, &r.judge, &r.fingerprint)
        }
        Kind::Pairwise => {
            let r: PairwiseRecord =
                serde_json::from_value(value.clone()).map_err(|source| Invalid::Shape {
                    def: kind.def(),
                    source,
                })?;
            pairwise_name(&r)
        }
        Kind::Ranking => {
            let r: HumanRanking =
                serde_json::from_value(value.clone()).map_err(|source| Invalid::Shape {
                    def: kind.def(),
                    source,
                })?;
            ranking_name(&r)
        }
    };
    if expected != name {
        return Err(Invalid::Misplaced {
            expected,
            name: name.to_path_buf(),
        });
    }
    Ok(value)
}

/// Which record a file's name says it holds.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Generation,
    Evaluation,
    Pairwise,
    Ranking,
}

impl Kind {
    /// The schema's definition of this kind of record.
    fn def(self) -> &'static str {
        match self {
            Kind::Generation => "generation",
            Kind::Evaluation => "evaluation",
            Kind::Pairwise => "pairwise",
            Kind::Ranking => "ranking",
        }
    }
}

/// The published schema narrowed to one kind, so that errors name the field at fault
/// instead of "not valid under any of the schemas listed in oneOf".
fn schema(kind: Kind) -> &'static jsonschema::Validator {
    static VALIDATORS: [OnceLock<jsonschema::Validator>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    VALIDATORS[kind as usize].get_or_init(|| {
        // Committed and tested (runner/core/tests/records.rs): failing is a build defect.
        let mut schema: Value =
            serde_json::from_str(RECORD_SCHEMA).expect("the record schema is valid JSON");
        let root = schema
            .as_object_mut()
            .expect("the record schema is an object");
        root.remove("oneOf");
        root.insert(
            "$ref".to_string(),
            Value::String(format!("#/$defs/{}", kind.def())),
        );
        jsonschema::draft202012::new(&schema).expect("the record schema compiles")
    })
}
