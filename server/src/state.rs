//! The server's state: the database, the files it knows and which of them the editor has
//! open, and the negotiated settings.
//!
//! One writer, many readers. Only the change loop (`changes.rs`) sets inputs, on its
//! own thread, in the order changes arrived; salsa cancels computations on older snapshots
//! and waits for them to let go, which blocks that thread and nothing else. Readers take a
//! [`Snapshot`] (a database handle, the open files' versions) and compute on a blocking
//! thread ([`State::compute`]); a request first waits until every change queued before it
//! is applied, so it answers on the text the client last sent.

use crate::db::{self, Database, Environment, Project, SourceFile};
use crate::position::{Encoding, Positions};
use crate::store::Results;
use fabula_core::document::Document;
use salsa::Setter as _;
use std::collections::{BTreeMap, HashMap};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::Uri;

/// What the client told us at `initialize`.
#[derive(Clone, Debug)]
pub struct Session {
    pub root: Option<PathBuf>,
    pub encoding: Encoding,
    pub inline_scores: bool,
    pub trusted: bool,
    pub code_lens_refresh: bool,
    pub work_done_progress: bool,
    pub watched_files_dynamic: bool,
}

impl Default for Session {
    /// Before `initialize`: no root, UTF-16, no runs.
    fn default() -> Session {
        Session {
            root: None,
            encoding: Encoding::Utf16,
            inline_scores: true,
            trusted: false,
            code_lens_refresh: false,
            work_done_progress: false,
            watched_files_dynamic: false,
        }
    }
}

#[derive(Debug)]
struct FileEntry {
    input: SourceFile,
    /// The editor's version while the file is open.
    open: Option<i32>,
}

#[derive(Default)]
struct Files {
    entries: BTreeMap<String, FileEntry>,
    /// The open files' versions, shared with snapshots (replaced, never changed in place).
    versions: Arc<HashMap<String, i32>>,
}

pub struct State {
    db: Mutex<Database>,
    project: Project,
    files: Mutex<Files>,
    session: OnceLock<Session>,
    /// The last document of each file that parsed: completion and outline keep working
    /// while the text is momentarily broken.
    last_good: Mutex<HashMap<String, Arc<Document>>>,
    /// Changes queued for the change loop, and how many it has applied.
    sent: AtomicU64,
    applied: tokio::sync::watch::Sender<u64>,
    /// Bumped by each edit of an open file's text: a computation cancelled by one answers
    /// `ContentModified` (the client's position may be stale); by anything else, it runs
    /// again.
    edits: AtomicU64,
    /// False until the project and the results are read: requests wait for both (a hover
    /// right after `initialize` must not say "no results yet" for a store that has some).
    ready: tokio::sync::watch::Sender<bool>,
}

/// A read-only view for one computation: a database handle, the project, and the open
/// files' versions at the same instant.
pub struct Snapshot {
    pub db: Database,
    pub project: Project,
    pub encoding: Encoding,
    pub versions: Arc<HashMap<String, i32>>,
    edits: u64,
}

impl Snapshot {
    pub fn file(&self, path: &str) -> Option<SourceFile> {
        let files = self.project.files(&self.db);
        files
            .binary_search_by(|f| f.path(&self.db).as_str().cmp(path))
            .ok()
            .map(|i| files[i])
    }

    pub fn document(&self, file: SourceFile) -> &Arc<Document> {
        &db::document(&self.db, file).0
    }

    pub fn positions(&self, file: SourceFile) -> Positions<'_> {
        Positions {
            text: &self.document(file).text,
            lines: &db::lines(&self.db, file).0,
            encoding: self.encoding,
        }
    }

    /// The editor's version of an open file.
    pub fn version(&self, path: &str) -> Option<i32> {
        self.versions.get(path).copied()
    }
}

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Default for State {
    fn default() -> Self {
        let db = Database::default();
        let project = Project::new(&db, Vec::new(), Results::default(), Environment::default());
        State {
            db: Mutex::new(db),
            project,
            files: Mutex::default(),
            session: OnceLock::new(),
            last_good: Mutex::new(HashMap::new()),
            sent: AtomicU64::new(0),
            applied: tokio::sync::watch::Sender::new(0),
            edits: AtomicU64::new(0),
            ready: tokio::sync::watch::Sender::new(false),
        }
    }
}

/// How a computation on a snapshot can fail.
fn content_modified() -> jsonrpc::Error {
    jsonrpc::Error {
        code: jsonrpc::ErrorCode::ServerError(-32801),
        message: "content modified".into(),
        data: None,
    }
}

impl State {
    pub fn set_session(&self, session: Session) {
        let _ = self.session.set(session);
    }

    pub fn session(&self) -> Session {
        self.session.get().cloned().unwrap_or_default()
    }

    pub fn root(&self) -> Option<PathBuf> {
        self.session.get().and_then(|s| s.root.clone())
    }

    /// The project and the results are read (or there is no project): requests may answer.
    pub fn set_ready(&self) {
        self.ready.send_replace(true);
    }

    /// Counts a change queued for the change loop (`Ls::change`).
    pub fn sent(&self) {
        self.sent.fetch_add(1, Ordering::SeqCst);
    }

    /// The change loop applied `n` more changes.
    pub fn applied(&self, n: u64) {
        self.applied.send_modify(|a| *a += n);
    }

    /// Waits until the project is loaded and every change queued so far is applied.
    async fn caught_up(&self) {
        let wanted = self.sent.load(Ordering::SeqCst);
        let mut ready = self.ready.subscribe();
        let mut applied = self.applied.subscribe();
        let wait = async {
            let _ = ready.wait_for(|r| *r).await;
            let _ = applied.wait_for(|a| *a >= wanted).await;
        };
        if tokio::time::timeout(std::time::Duration::from_secs(30), wait)
            .await
            .is_err()
        {
            tracing::warn!("a request waited 30 s for the project to load; answering anyway");
        }
    }

    /// The project-relative name of a file URI (`dataset/tasks/x/y.yaml`), or its full
    /// path when it lies outside the project.
    pub fn path_of(&self, uri: &Uri) -> Option<String> {
        let path = uri.to_file_path()?;
        let root = self.root();
        Some(fabula_engine::project::named(root.as_deref(), &path).name)
    }

    pub fn uri_of(&self, path: &str) -> Option<Uri> {
        let p = Path::new(path);
        let full = match self.root() {
            Some(root) if p.is_relative() => root.join(p),
            _ => p.to_path_buf(),
        };
        Uri::from_file_path(full)
    }

    /// A handle for reading. Cheap; drop it soon: the change loop waits for every handle
    /// before it applies a change.
    pub fn snapshot(&self) -> Snapshot {
        let db = lock(&self.db);
        Snapshot {
            db: db.clone(),
            project: self.project,
            encoding: self.session().encoding,
            versions: lock(&self.files).versions.clone(),
            edits: self.edits.load(Ordering::SeqCst),
        }
    }

    /// Runs `f` on a snapshot on a blocking thread, once every change queued before the
    /// call is applied. A salsa cancellation becomes `ContentModified` when an edit caused
    /// it (clients ask again) and runs again otherwise. Panics are the dispatcher's
    /// business (`server.rs`): they propagate.
    pub async fn compute<T, F>(&self, f: F) -> jsonrpc::Result<T>
    where
        F: Fn(&Snapshot) -> T + Send + Sync + 'static,
        T: Send + 'static,
    {
        self.caught_up().await;
        let f = Arc::new(f);
        for _ in 0..5 {
            let snap = self.snapshot();
            let edits = snap.edits;
            let f = f.clone();
            let joined = tokio::task::spawn_blocking(move || {
                std::panic::catch_unwind(AssertUnwindSafe(|| f(&snap)))
            })
            .await;
            match joined {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(payload)) if payload.is::<salsa::Cancelled>() => {
                    if self.edits.load(Ordering::SeqCst) != edits {
                        return Err(content_modified());
                    }
                }
                Ok(Err(payload)) => std::panic::resume_unwind(payload),
                Err(err) => std::panic::resume_unwind(err.into_panic()),
            }
        }
        Err(content_modified())
    }

    /// Replaces the set of files with `listed` (read from disk; open files keep the
    /// editor's text). Called by the change loop only.
    pub(crate) fn load(&self, listed: Vec<(String, Vec<u8>)>) -> usize {
        let mut db = lock(&self.db);
        let mut files = lock(&self.files);
        let mut keep: BTreeMap<String, FileEntry> = BTreeMap::new();
        for (name, bytes) in listed {
            let entry = match files.entries.remove(&name) {
                Some(e) if e.open.is_some() => e,
                Some(e) => {
                    if e.input.bytes(&*db) != &bytes {
                        e.input.set_bytes(&mut *db).to(bytes);
                    }
                    e
                }
                None => FileEntry {
                    input: SourceFile::new(&*db, name.clone(), bytes),
                    open: None,
                },
            };
            keep.insert(name, entry);
        }
        // Files open in the editor stay, even when not (yet) on disk.
        for (name, entry) in std::mem::take(&mut files.entries) {
            if entry.open.is_some() {
                keep.insert(name, entry);
            }
        }
        files.entries = keep;
        self.sync_file_list(&mut db, &files);
        files.entries.len()
    }

    fn sync_file_list(&self, db: &mut Database, files: &Files) {
        let list: Vec<SourceFile> = files.entries.values().map(|e| e.input).collect();
        if self.project.files(&*db) != &list {
            self.project.set_files(db).to(list);
        }
    }

    fn set_version(files: &mut Files, path: &str, version: Option<i32>) {
        let versions = Arc::make_mut(&mut files.versions);
        match version {
            Some(v) => versions.insert(path.to_owned(), v),
            None => versions.remove(path),
        };
    }

    /// The editor opened a file: its text wins over the disk's from now on.
    pub(crate) fn open(&self, path: &str, version: i32, text: String) {
        let mut db = lock(&self.db);
        let mut files = lock(&self.files);
        match files.entries.get_mut(path) {
            Some(entry) => {
                entry.open = Some(version);
                if entry.input.bytes(&*db).as_slice() != text.as_bytes() {
                    entry.input.set_bytes(&mut *db).to(text.into_bytes());
                }
            }
            None => {
                let input = SourceFile::new(&*db, path.to_owned(), text.into_bytes());
                let entry = FileEntry {
                    input,
                    open: Some(version),
                };
                files.entries.insert(path.to_owned(), entry);
            }
        }
        Self::set_version(&mut files, path, Some(version));
        self.sync_file_list(&mut db, &files);
        self.edits.fetch_add(1, Ordering::SeqCst);
    }

    /// Applies an editor's changes, in order. Returns false when the file is not open
    /// (the change is ignored).
    pub(crate) fn change(
        &self,
        path: &str,
        version: i32,
        changes: Vec<tower_lsp_server::ls_types::TextDocumentContentChangeEvent>,
    ) -> bool {
        let encoding = self.session().encoding;
        let mut db = lock(&self.db);
        let mut files = lock(&self.files);
        let Some(entry) = files.entries.get_mut(path) else {
            return false;
        };
        if entry.open.is_some_and(|v| v >= version) {
            tracing::warn!(
                "{path}: change to version {version} arrived after version {:?}",
                entry.open
            );
        }
        let mut text = match String::from_utf8(entry.input.bytes(&*db).clone()) {
            Ok(t) => t,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        for change in changes {
            crate::position::apply_change(&mut text, change.range, &change.text, encoding);
        }
        entry.open = Some(version);
        entry.input.set_bytes(&mut *db).to(text.into_bytes());
        Self::set_version(&mut files, path, Some(version));
        self.edits.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// The editor closed a file: `disk` is its content on disk, if it is a project file
    /// there; without one, the file leaves the project.
    pub(crate) fn close(&self, path: &str, disk: Option<Vec<u8>>) {
        let mut db = lock(&self.db);
        let mut files = lock(&self.files);
        match disk {
            Some(bytes) => {
                if let Some(entry) = files.entries.get_mut(path) {
                    entry.open = None;
                    if entry.input.bytes(&*db) != &bytes {
                        entry.input.set_bytes(&mut *db).to(bytes);
                    }
                }
            }
            None => {
                files.entries.remove(path);
            }
        }
        Self::set_version(&mut files, path, None);
        self.sync_file_list(&mut db, &files);
        self.edits.fetch_add(1, Ordering::SeqCst);
    }

    /// A file changed on disk (`None`: it is gone). Open files are the editor's and are
    /// left alone.
    pub(crate) fn disk_changed(&self, path: &str, bytes: Option<Vec<u8>>) {
        let mut db = lock(&self.db);
        let mut files = lock(&self.files);
        match (files.entries.get_mut(path), bytes) {
            (Some(entry), _) if entry.open.is_some() => return,
            (Some(entry), Some(bytes)) => {
                if entry.input.bytes(&*db) != &bytes {
                    entry.input.set_bytes(&mut *db).to(bytes);
                }
            }
            (Some(_), None) => {
                files.entries.remove(path);
            }
            (None, Some(bytes)) => {
                let input = SourceFile::new(&*db, path.to_owned(), bytes);
                files
                    .entries
                    .insert(path.to_owned(), FileEntry { input, open: None });
            }
            (None, None) => return,
        }
        self.sync_file_list(&mut db, &files);
    }

    /// Whether the editor has the file open.
    pub fn is_open(&self, path: &str) -> bool {
        lock(&self.files).versions.contains_key(path)
    }

    /// Reads the environment again (the process's, then the project's `.env`).
    pub(crate) fn reload_env(&self, root: &std::path::Path) {
        let env = match fabula_engine::env::Env::load(root) {
            Ok(env) => env,
            Err(e) => {
                tracing::warn!("cannot read the environment: {e}; base-URL overrides are ignored");
                fabula_engine::env::Env::default()
            }
        };
        let mut db = lock(&self.db);
        self.project
            .set_env(&mut *db)
            .to(Environment(Arc::new(env)));
    }

    pub(crate) fn set_results(&self, results: Results) {
        let mut db = lock(&self.db);
        self.project.set_results(&mut *db).to(results);
    }

    /// The results as last read.
    pub fn results(&self) -> Results {
        let db = lock(&self.db);
        self.project.results(&*db).clone()
    }

    pub fn remember_good(&self, doc: &Arc<Document>) {
        if doc.value.is_some() {
            lock(&self.last_good).insert(doc.path.clone(), doc.clone());
        }
    }

    /// The document to answer from: the current one if it parsed, else the last that did.
    pub fn usable(&self, doc: &Arc<Document>) -> Arc<Document> {
        if doc.value.is_some() {
            self.remember_good(doc);
            return doc.clone();
        }
        lock(&self.last_good)
            .get(&doc.path)
            .cloned()
            .unwrap_or_else(|| doc.clone())
    }
}

/// Whether a project-relative path is one the project loads from disk.
pub fn is_project_file(path: &str) -> bool {
    let yaml = path.ends_with(".yaml") || path.ends_with(".yml");
    path == "fabula.yaml" || (yaml && path.starts_with("dataset/"))
}
