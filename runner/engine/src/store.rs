//! The results store: one pretty-printed JSON file per generation and per evaluation
//! under `results/`, written atomically the moment the record exists.
//!
//! Layout: `results/<model>/<task>/gen-s<sample>-<fingerprint>.json`,
//! `results/<model>/<task>/eval-s<sample>-<judge>-<fingerprint>.json`, for pairwise
//! comparisons `results/pairwise/<task>/pair-s<sample>-<first>-vs-<second>-<judge>-
//! <fingerprint>.json` and for human rankings `results/rankings/<task>/rank-s<sample>-
//! <rater>-<content hash>.json`. A name is a
//! function of what produced the record, so stores from several machines merge by plain
//! copy: the same work has the same name, different work a different one. A record whose
//! fingerprint is not today's stays on disk (stale: flagged, excluded, re-planned).
//!
//! Writes go to a temporary file in the same folder (`.tmp-…`), are fsynced, then
//! renamed over the final name, and the folder is fsynced: a crash at any instant leaves
//! either the old state or the new record, never a partial one. Loading skips
//! temporary files and reports (never panics on) a file that is not a record.

use fabula_core::model::{
    EvaluationRecord, GenerationRecord, GenerationSummary, HumanRanking, PairwiseRecord,
    RECORD_VERSION,
};
pub use fabula_eval::records::Records as Loaded;
use rayon::prelude::*;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A store rooted at a `results/` folder.
#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Why a symbolic link under `results/` is a problem (loads report it, writes refuse it).
pub const LINK_PROBLEM: &str = "a symbolic link: the store never follows links (replace it with what it points to, or remove it)";

impl Store {
    pub fn new(root: impl Into<PathBuf>) -> Store {
        Store { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn generation_path(&self, r: &GenerationRecord) -> PathBuf {
        self.root
            .join(generation_name(&r.model, &r.task, r.sample, &r.fingerprint))
    }

    pub fn evaluation_path(&self, r: &EvaluationRecord) -> PathBuf {
        self.root.join(evaluation_name(
            &r.model,
            &r.task,
            r.sample,
            &r.judge,
            &r.fingerprint,
        ))
    }

    pub fn pairwise_path(&self, r: &PairwiseRecord) -> PathBuf {
        self.root.join(pairwise_name(r))
    }

    pub fn write_pairwise(&self, r: &PairwiseRecord) -> io::Result<PathBuf> {
        let path = self.pairwise_path(r);
        self.write_atomic(&path, &to_json(r)?)?;
        Ok(path)
    }

    pub fn ranking_path(&self, r: &HumanRanking) -> PathBuf {
        self.root.join(ranking_name(r))
    }

    /// Writes a person's ranking (the caller holds the store's lock, [`Store::lock`]).
    pub fn write_ranking(&self, r: &HumanRanking) -> io::Result<PathBuf> {
        let path = self.ranking_path(r);
        self.write_atomic(&path, &to_json(r)?)?;
        Ok(path)
    }

    pub fn write_generation(&self, r: &GenerationRecord) -> io::Result<PathBuf> {
        let path = self.generation_path(r);
        self.write_atomic(&path, &to_json(r)?)?;
        Ok(path)
    }

    pub fn write_evaluation(&self, r: &EvaluationRecord) -> io::Result<PathBuf> {
        let path = self.evaluation_path(r);
        self.write_atomic(&path, &to_json(r)?)?;
        Ok(path)
    }

    /// One whole generation record.
    pub fn read_generation(&self, path: &Path) -> io::Result<GenerationRecord> {
        let bytes = fs::read(path)?;
        serde_json::from_slice(&bytes).map_err(io::Error::other)
    }

    /// Every record under the root, read in parallel. A missing root is an empty store.
    /// Temporary files of interrupted writes are never records: they are skipped here and
    /// removed by [`Store::lock`]. Symbolic links are reported, never followed.
    pub fn load(&self) -> Loaded {
        self.load_with(Detail::Full)
    }

    /// [`Store::load`], keeping only `detail` of each record in memory: a store of tens
    /// of thousands of records is planned or scored without holding every text.
    pub fn load_with(&self, detail: Detail) -> Loaded {
        let Contents {
            mut records,
            temporaries: _,
            links,
            mut problems,
        } = contents(&self.root);
        problems.extend(links.into_iter().map(|l| (l, LINK_PROBLEM.to_string())));
        // Byte order, not component order: the same result for our names, and cheaper.
        records.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
        // Reading many small files is as much waiting on the kernel as parsing: use more
        // threads than cores.
        let threads =
            (std::thread::available_parallelism().map_or(1, |n| n.get()) * 4).clamp(2, 16);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .ok();
        // Room for what the names promise (exact for a store of valid records): the
        // lists never grow by doubling.
        let named = |prefix: &str| {
            records
                .iter()
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
                })
                .count()
        };
        let mut out = Loaded {
            generations: Vec::with_capacity(named("gen-")),
            evaluations: Vec::with_capacity(named("eval-")),
            problems,
            ..Loaded::default()
        };
        // Read a slice at a time and move each record (and its path) into its list at
        // once: memory holds the lists and one slice in flight, never a second copy of
        // the whole store.
        for slice in records.chunks_mut(LOAD_SLICE) {
            let entries: Vec<Entry> = match &pool {
                Some(pool) => {
                    pool.install(|| slice.par_iter().map(|p| load_one(p, detail)).collect())
                }
                None => slice.iter().map(|p| load_one(p, detail)).collect(),
            };
            for (path, entry) in slice.iter_mut().zip(entries) {
                let path = std::mem::take(path);
                match entry {
                    Entry::Generation(r) => out.generations.push((path, r)),
                    Entry::Evaluation(r) => out.evaluations.push((path, r)),
                    Entry::Pairwise(r) => out.pairwise.push((path, r)),
                    Entry::Ranking(r) => out.rankings.push((path, r)),
                    Entry::Problem(why) => out.problems.push((path, why)),
                }
            }
        }
        out
    }

    /// Writes `bytes` to `path` (under the root) so that `path` is always absent, the old
    /// content, or the whole new content. Folders are created as needed; a folder on the
    /// way that is a symbolic link is refused, so a write never leaves the store.
    pub(crate) fn write_atomic(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let dir = path
            .parent()
            .ok_or_else(|| io::Error::other("a record path has a folder"))?;
        self.folder(dir)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(temporary_name(&name));
        let result = (|| {
            // `create_new` never opens an existing file, nor follows a link planted at
            // the temporary name.
            let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            drop(f);
            // `rename` replaces a link at `path` itself, never what it points to.
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

    /// Creates `dir` (under the root) one component at a time, refusing any component
    /// that is a symbolic link. The root itself may be a link: the user chose it.
    /// Moves records of this store into their folder's `history/<stamp>/`, where they are
    /// kept for the record and never counted again: what a run from the editor does with
    /// the result it replaces (it re-runs the same sample rather than adding one).
    /// Returns where each went.
    pub fn supersede(&self, paths: &[PathBuf], stamp: &str) -> io::Result<Vec<PathBuf>> {
        let mut moved = Vec::new();
        for path in paths {
            let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
                continue;
            };
            let into = dir.join(HISTORY).join(safe(stamp));
            self.folder(&into)?;
            let to = into.join(name);
            fs::rename(path, &to)?;
            moved.push(to);
        }
        if let Some(dir) = moved.first().and_then(|p| p.parent())
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(moved)
    }

    fn folder(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(&self.root)?;
        let inside = dir.strip_prefix(&self.root).map_err(|_| {
            io::Error::other(format!(
                "{} is outside the store {}",
                dir.display(),
                self.root.display()
            ))
        })?;
        let mut at = self.root.clone();
        for component in inside.components() {
            at.push(component);
            let meta = match fs::symlink_metadata(&at) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    match fs::create_dir(&at) {
                        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                        _ => {}
                    }
                    fs::symlink_metadata(&at)?
                }
                other => other?,
            };
            if meta.file_type().is_symlink() {
                return Err(io::Error::other(format!(
                    "{} is {LINK_PROBLEM}",
                    at.display()
                )));
            }
            if !meta.is_dir() {
                return Err(io::Error::other(format!(
                    "{} is not a folder",
                    at.display()
                )));
            }
        }
        Ok(())
    }
}

/// A generation's path relative to the root: a function of what produced it.
pub fn generation_name(model: &str, task: &str, sample: u32, fingerprint: &str) -> PathBuf {
    Path::new(&safe(model))
        .join(safe(task))
        .join(format!("gen-s{sample}-{}.json", safe(fingerprint)))
}

/// A pairwise comparison's path relative to the root: a function of what produced it.
pub fn pairwise_name(r: &PairwiseRecord) -> PathBuf {
    Path::new("pairwise").join(safe(&r.task)).join(format!(
        "pair-s{}-{}-vs-{}-{}-{}.json",
        r.sample,
        safe(&r.first.model),
        safe(&r.second.model),
        safe(&r.judge),
        safe(&r.fingerprint)
    ))
}

/// A human ranking's path relative to the root: its task, sample and rater, and a hash
/// of its whole content (two raters, or one rater's two rankings, never share a name;
/// the same ranking copied from another store has the same one).
pub fn ranking_name(r: &HumanRanking) -> PathBuf {
    let content = serde_json::to_vec(r).unwrap_or_default();
    let hash = fabula_eval::fingerprint::sha_hex(&content);
    Path::new(RANKINGS).join(safe(&r.task)).join(format!(
        "rank-s{}-{}-{}.json",
        r.sample,
        safe(&r.rater),
        &hash[..16]
    ))
}

/// The folder of human rankings under the root.
pub const RANKINGS: &str = "rankings";

/// An evaluation's path relative to the root: a function of what produced it.
pub fn evaluation_name(
    model: &str,
    task: &str,
    sample: u32,
    judge: &str,
    fingerprint: &str,
) -> PathBuf {
    Path::new(&safe(model)).join(safe(task)).join(format!(
        "eval-s{sample}-{}-{}.json",
        safe(judge),
        safe(fingerprint)
    ))
}

/// What is under a root, found without following symbolic links (a link is reported,
/// never entered: a link to `/usr` or a loop costs one entry).
#[derive(Debug, Default)]
pub(crate) struct Contents {
    /// `*.json` files that are not temporaries: records, or files claiming to be.
    pub records: Vec<PathBuf>,
    /// Temporary files of our atomic writes ([`is_temporary`]).
    pub temporaries: Vec<PathBuf>,
    pub links: Vec<PathBuf>,
    /// Folders that could not be read.
    pub problems: Vec<(PathBuf, String)>,
}

/// The folder inside a record folder (`<model>/<task>/history/`) that holds superseded
/// records ([`Store::supersede`]): never loaded, counted or merged.
pub const HISTORY: &str = "history";

pub(crate) fn contents(root: &Path) -> Contents {
    let mut out = Contents::default();
    let walk = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| {
            let dir = e.file_type().is_dir();
            !(dir && e.depth() == 3 && e.file_name() == HISTORY
                || dir && e.depth() == 1 && e.file_name() == LEDGER_DIR)
        });
    for entry in walk {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let missing_root = e.depth() == 0
                    && e.io_error()
                        .is_some_and(|io| io.kind() == io::ErrorKind::NotFound);
                if !missing_root {
                    let path = e.path().unwrap_or(root).to_path_buf();
                    out.problems.push((path, format!("cannot read: {e}")));
                }
                continue;
            }
        };
        let kind = entry.file_type();
        if entry.depth() > 0 && kind.is_symlink() {
            out.links.push(entry.into_path());
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if is_temporary(&name) {
            out.temporaries.push(entry.into_path());
        } else if name.ends_with(".json") {
            out.records.push(entry.into_path());
        }
    }
    out
}

/// The name of a temporary file for `final_name`: `.tmp-<pid>-<n>-<final name>`.
fn temporary_name(final_name: &str) -> String {
    format!(
        ".tmp-{}-{}-{final_name}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Whether `name` is exactly what [`temporary_name`] makes for a record: only these are
/// ever swept, so a user's `.tmp-notes.json` is left alone (and reported by loads).
pub(crate) fn is_temporary(name: &str) -> bool {
    let Some(rest) = name.strip_prefix(".tmp-") else {
        return false;
    };
    let mut parts = rest.splitn(3, '-');
    let number =
        |s: Option<&str>| s.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    let (pid, n, record) = (parts.next(), parts.next(), parts.next());
    number(pid)
        && number(n)
        && record.is_some_and(|r| {
            ["gen-", "eval-", "pair-", "rank-"]
                .iter()
                .any(|kind| r.starts_with(kind))
                && r.ends_with(".json")
        })
}

/// The folder under `results/` that holds `fabula run --batch`'s batch files
/// ([`crate::batch`]): never records, never loaded.
pub const LEDGER_DIR: &str = ".batches";

/// How many files [`Store::load_with`] reads at once.
const LOAD_SLICE: usize = 1024;

/// How much of each record a load keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Everything: what reports, exports, comparisons and the editor show.
    Full,
    /// What scoring needs: evaluations without the judges' evidence, reasons and raw
    /// answers (the leaderboard).
    Scores,
    /// What planning needs: generations without their text, evaluations without their
    /// verdicts (`fabula run` before its first call; judge-only jobs read their
    /// generation when they start).
    Plan,
}

impl Detail {
    fn generation(self, mut g: GenerationSummary) -> GenerationSummary {
        if self == Detail::Plan {
            g.output = String::new();
            g.questions = Vec::new();
            g.programmatic = None;
        }
        g
    }

    fn evaluation(self, mut e: EvaluationRecord) -> EvaluationRecord {
        match self {
            Detail::Full => {}
            Detail::Scores => {
                e.raw = None;
                for c in &mut e.criteria {
                    c.evidence = String::new();
                    c.reason = String::new();
                    for i in &mut c.items {
                        i.evidence = String::new();
                        i.reason = String::new();
                    }
                }
            }
            Detail::Plan => {
                e.raw = None;
                e.criteria = Vec::new();
            }
        }
        e
    }
}

/// What one file under `results/` holds.
enum Entry {
    Generation(GenerationSummary),
    Evaluation(EvaluationRecord),
    Pairwise(PairwiseRecord),
    Ranking(HumanRanking),
    Problem(String),
}

fn load_one(path: &PathBuf, detail: Detail) -> Entry {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) => return Entry::Problem(format!("cannot read: {e}")),
    };
    if name.starts_with("gen-") {
        let parsed = match detail {
            Detail::Full | Detail::Scores => serde_json::from_slice::<GenerationSummary>(&bytes),
            // Without allocating the text, the questions or the scores.
            Detail::Plan => {
                serde_json::from_slice::<light::Generation>(&bytes).map(GenerationSummary::from)
            }
        };
        match parsed {
            Ok(r) if r.format_version == RECORD_VERSION => Entry::Generation(detail.generation(r)),
            Ok(r) => Entry::Problem(unknown_version(r.format_version)),
            Err(e) => Entry::Problem(explain(&bytes, "generation", &e)),
        }
    } else if name.starts_with("eval-") {
        let parsed = match detail {
            Detail::Full => serde_json::from_slice::<EvaluationRecord>(&bytes),
            // Without allocating the judges' texts: most of what an evaluation holds.
            Detail::Scores => {
                serde_json::from_slice::<light::Evaluation>(&bytes).map(EvaluationRecord::from)
            }
            // Planning reads no verdict at all.
            Detail::Plan => {
                serde_json::from_slice::<light::Evaluation<serde::de::IgnoredAny>>(&bytes)
                    .map(EvaluationRecord::from)
            }
        };
        match parsed {
            Ok(r) if r.format_version == RECORD_VERSION => Entry::Evaluation(detail.evaluation(r)),
            Ok(r) => Entry::Problem(unknown_version(r.format_version)),
            Err(e) => Entry::Problem(explain(&bytes, "evaluation", &e)),
        }
    } else if name.starts_with("pair-") {
        match serde_json::from_slice::<PairwiseRecord>(&bytes) {
            Ok(r) if r.format_version == RECORD_VERSION => Entry::Pairwise(r),
            Ok(r) => Entry::Problem(unknown_version(r.format_version)),
            Err(e) => Entry::Problem(explain(&bytes, "pairwise", &e)),
        }
    } else if name.starts_with("rank-") {
        match serde_json::from_slice::<HumanRanking>(&bytes) {
            Ok(r) if r.format_version == RECORD_VERSION => Entry::Ranking(r),
            Ok(r) => Entry::Problem(unknown_version(r.format_version)),
            Err(e) => Entry::Problem(explain(&bytes, "ranking", &e)),
        }
    } else {
        Entry::Problem(NOT_A_RECORD_NAME.to_string())
    }
}

/// Why a `.json` file under `results/` is not read as a record.
pub const NOT_A_RECORD_NAME: &str = "not named gen-…, eval-…, pair-… or rank-…";

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

/// A name safe as one path component on every OS. Names of models, judges and tasks
/// that pass the schemas map to themselves unless Windows would refuse or alter them
/// (device names such as `con`, trailing dots: [`fabula_core::file_name`]); those get a
/// leading `_`, which no valid name has, and a trailing `_` after a dot, so two valid
/// names never share a folder.
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
    let escape = matches!(cleaned.as_str(), "" | "." | "..")
        || fabula_core::file_name::problem(&cleaned).is_some();
    if !escape {
        return cleaned;
    }
    let tail = if cleaned.ends_with('.') { "_" } else { "" };
    format!("_{cleaned}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_components() {
        assert_eq!(safe("openai/gpt-5"), "openai_gpt-5");
        assert_eq!(safe(".."), "_.._");
        assert_eq!(safe(""), "_");
        assert_eq!(safe("a b:c"), "a_b_c");
        assert_eq!(safe("gpt-5.1"), "gpt-5.1");
        assert_eq!(safe("console"), "console");
    }

    /// Issue 13.10: names Windows reserves or alters were kept as they were.
    #[test]
    fn reserved_names_and_trailing_dots_are_mapped() {
        for (name, want) in [
            ("con", "_con"),
            ("CON", "_CON"),
            ("NUL", "_NUL"),
            ("aux", "_aux"),
            ("com1", "_com1"),
            ("lpt9", "_lpt9"),
            ("nul.txt", "_nul.txt"),
            ("Com1.tar.gz", "_Com1.tar.gz"),
            ("gpt.", "_gpt._"),
            ("a b ", "a_b_"),
        ] {
            let got = safe(name);
            assert_eq!(got, want, "{name}");
            assert_eq!(
                fabula_core::file_name::problem(&got),
                None,
                "{name} -> {got}"
            );
        }
    }

    #[test]
    fn only_our_temporary_names_are_temporaries() {
        let ours = temporary_name("gen-s0-abc.json");
        assert!(is_temporary(&ours), "{ours}");
        assert!(is_temporary(".tmp-12-0-eval-s1-judge-abc.json"));
        assert!(is_temporary(".tmp-12-0-rank-s0-ann_example.org-abc.json"));
        for other in [
            ".tmp-notes.json",
            ".tmp-12-gen-s0.json",
            ".tmp--1-gen-s0.json",
            ".tmp-12-0-gen-s0.json.bak",
            ".tmp-12-0-notes.json",
            "tmp-12-0-gen-s0.json",
            ".tmp-1a-0-gen-s0.json",
        ] {
            assert!(!is_temporary(other), "{other}");
        }
    }
}

/// An evaluation as [`Detail::Scores`] reads it: every field of [`EvaluationRecord`] with
/// the same defaults, except the judges' evidence, reasons and raw answer, which are
/// skipped unread rather than allocated. A test compares it with a whole read.
mod light {
    use fabula_core::model::{
        CriterionVerdict, EvaluationRecord, FailureKind, GenerationSummary, ItemVerdict, Status,
        TaskType, Usage,
    };
    use serde::de::IgnoredAny;
    use std::collections::BTreeMap;

    /// A generation without its text, questions or scores: what planning reads.
    #[derive(serde::Deserialize)]
    pub(super) struct Generation {
        format_version: u32,
        task: String,
        task_type: TaskType,
        model: String,
        simulated: bool,
        sample: u32,
        fingerprint: String,
        status: Status,
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        failure: Option<FailureKind>,
        #[serde(default)]
        view_sha: Option<String>,
        usage: Usage,
        #[serde(default)]
        usage_by_role: BTreeMap<String, Usage>,
        #[serde(default)]
        cost_usd: Option<f64>,
        #[serde(default)]
        latency_ms: u64,
        #[serde(default)]
        created_at: String,
    }

    impl From<Generation> for GenerationSummary {
        fn from(g: Generation) -> GenerationSummary {
            GenerationSummary {
                format_version: g.format_version,
                task: g.task,
                task_type: g.task_type,
                model: g.model,
                simulated: g.simulated,
                sample: g.sample,
                fingerprint: g.fingerprint,
                status: g.status,
                error: g.error,
                failure: g.failure,
                view_sha: g.view_sha,
                output: String::new(),
                questions: Vec::new(),
                usage: g.usage,
                usage_by_role: g.usage_by_role,
                programmatic: None,
                cost_usd: g.cost_usd,
                latency_ms: g.latency_ms,
                created_at: g.created_at,
            }
        }
    }

    /// An evaluation without the judges' texts; with `C = IgnoredAny`, without its
    /// verdicts too.
    #[derive(serde::Deserialize)]
    pub(super) struct Evaluation<C = Vec<Criterion>> {
        format_version: u32,
        task: String,
        task_type: TaskType,
        model: String,
        sample: u32,
        judge: String,
        simulated: bool,
        generation_fingerprint: String,
        generation_sha: String,
        fingerprint: String,
        #[serde(default)]
        round: Option<u32>,
        status: Status,
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        failure: Option<FailureKind>,
        #[serde(default)]
        criteria: C,
        usage: Usage,
        #[serde(default)]
        cost_usd: Option<f64>,
        latency_ms: u64,
        created_at: String,
    }

    #[derive(serde::Deserialize)]
    pub(super) struct Criterion {
        criterion: String,
        score: f64,
        #[serde(default)]
        verdict: String,
        #[serde(default)]
        items: Vec<Item>,
    }

    #[derive(serde::Deserialize)]
    struct Item {
        item: u32,
        score: f64,
        verdict: String,
    }

    /// What an evaluation's verdicts become once read.
    pub(super) trait Verdicts {
        fn verdicts(self) -> Vec<CriterionVerdict>;
    }

    impl Verdicts for IgnoredAny {
        fn verdicts(self) -> Vec<CriterionVerdict> {
            Vec::new()
        }
    }

    impl Verdicts for Vec<Criterion> {
        fn verdicts(self) -> Vec<CriterionVerdict> {
            self.into_iter()
                .map(|c| CriterionVerdict {
                    criterion: c.criterion,
                    score: c.score,
                    verdict: c.verdict,
                    evidence: String::new(),
                    reason: String::new(),
                    items: c
                        .items
                        .into_iter()
                        .map(|i| ItemVerdict {
                            item: i.item,
                            score: i.score,
                            verdict: i.verdict,
                            evidence: String::new(),
                            reason: String::new(),
                        })
                        .collect(),
                })
                .collect()
        }
    }

    impl<C: Verdicts> From<Evaluation<C>> for EvaluationRecord {
        fn from(e: Evaluation<C>) -> EvaluationRecord {
            EvaluationRecord {
                format_version: e.format_version,
                task: e.task,
                task_type: e.task_type,
                model: e.model,
                sample: e.sample,
                judge: e.judge,
                simulated: e.simulated,
                generation_fingerprint: e.generation_fingerprint,
                generation_sha: e.generation_sha,
                fingerprint: e.fingerprint,
                round: e.round,
                status: e.status,
                error: e.error,
                failure: e.failure,
                criteria: e.criteria.verdicts(),
                raw: None,
                usage: e.usage,
                cost_usd: e.cost_usd,
                latency_ms: e.latency_ms,
                created_at: e.created_at,
                batch: None,
            }
        }
    }
}
