//! The server's state: the database, the files it knows and which of them the editor has
//! open, the negotiated settings, and the runs in flight.
//!
//! Mutations (an edit, a file changed on disk, a new results snapshot) take the database
//! lock and set inputs synchronously; salsa cancels computations on older snapshots and
//! waits for them to let go. Reads clone the database (a cheap handle) and compute on a
//! blocking thread ([`State::compute`]), so no request ever holds the lock across an
//! `.await`.

use crate::db::{self, Database, Project, Results, SourceFile};
use crate::position::{Encoding, Positions};
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

#[derive(Debug)]
struct FileEntry {
    input: SourceFile,
    /// The editor's version while the file is open.
    open: Option<i32>,
}

pub struct State {
    db: Mutex<Database>,
    project: Project,
    files: Mutex<BTreeMap<String, FileEntry>>,
    session: OnceLock<Session>,
    /// Bumped by every change; a refresh computed for an older generation is dropped.
    generation: AtomicU64,
    /// The last document of each file that parsed: completion and outline keep working
    /// while the text is momentarily broken.
    last_good: Mutex<HashMap<String, Arc<Document>>>,
    /// False until the project is loaded: requests wait for it (a command sent right
    /// after `initialized` must see the project, not an empty one).
    ready: tokio::sync::watch::Sender<bool>,
}

/// A read-only view for one computation: a database handle and the project.
pub struct Snapshot {
    pub db: Database,
    pub project: Project,
    pub encoding: Encoding,
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
}

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Default for State {
    fn default() -> Self {
        let db = Database::default();
        let project = Project::new(&db, Vec::new(), Results::default());
        State {
            db: Mutex::new(db),
            project,
            files: Mutex::new(BTreeMap::new()),
            session: OnceLock::new(),
            generation: AtomicU64::new(0),
            last_good: Mutex::new(HashMap::new()),
            ready: tokio::sync::watch::Sender::new(false),
        }
    }
}

impl State {
    pub fn set_session(&self, session: Session) {
        let _ = self.session.set(session);
    }

    pub fn session(&self) -> Session {
        self.session.get().cloned().unwrap_or(Session {
            root: None,
            encoding: Encoding::Utf16,
            inline_scores: true,
            trusted: true,
            code_lens_refresh: false,
            work_done_progress: false,
            watched_files_dynamic: false,
        })
    }

    pub fn root(&self) -> Option<PathBuf> {
        self.session.get().and_then(|s| s.root.clone())
    }

    /// The project is loaded (or there is none): requests may answer.
    pub fn set_ready(&self) {
        self.ready.send_replace(true);
    }

    async fn wait_ready(&self) {
        let mut ready = self.ready.subscribe();
        let _ =
            tokio::time::timeout(std::time::Duration::from_secs(30), ready.wait_for(|r| *r)).await;
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
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

    /// A handle for reading. Cheap; drop it before the next `.await` that could wait on
    /// an edit.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            db: lock(&self.db).clone(),
            project: self.project,
            encoding: self.session().encoding,
        }
    }

    /// Runs `f` on a snapshot on a blocking thread. A panic becomes an error answer (the
    /// server goes on); a salsa cancellation (an edit arrived) becomes
    /// `ContentModified`, which clients retry.
    pub async fn compute<T, F>(&self, what: &'static str, f: F) -> jsonrpc::Result<T>
    where
        F: Fn(&Snapshot) -> T + Send + Sync + 'static,
        T: Send + 'static,
    {
        self.wait_ready().await;
        let f = Arc::new(f);
        // A computation cancelled by a change that is not an edit (new results, a file
        // on disk) is simply run again; after an edit, the client's position may be
        // stale, so the answer is `ContentModified` and the client asks again.
        let mut attempts = 0;
        let joined = loop {
            let generation = self.generation();
            let snap = self.snapshot();
            let f = f.clone();
            let joined = tokio::task::spawn_blocking(move || {
                std::panic::catch_unwind(AssertUnwindSafe(|| f(&snap)))
            })
            .await;
            attempts += 1;
            match &joined {
                Ok(Err(p))
                    if p.is::<salsa::Cancelled>()
                        && attempts < 5
                        && self.generation() == generation => {}
                _ => break joined,
            }
        };
        match joined {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(payload)) if payload.is::<salsa::Cancelled>() => Err(jsonrpc::Error {
                code: jsonrpc::ErrorCode::ServerError(-32801),
                message: "content modified".into(),
                data: None,
            }),
            Ok(Err(payload)) => {
                let why = panic_message(payload.as_ref());
                crate::log::error(format_args!("internal error in {what}: {why}"));
                Err(jsonrpc::Error {
                    code: jsonrpc::ErrorCode::InternalError,
                    message: format!("internal error in {what}: {why}").into(),
                    data: None,
                })
            }
            Err(err) => Err(jsonrpc::Error {
                code: jsonrpc::ErrorCode::InternalError,
                message: format!("internal error in {what}: {err}").into(),
                data: None,
            }),
        }
    }

    /// Replaces the set of files with what is on disk (open files keep the editor's
    /// text). Returns how many files there are.
    pub fn load_disk(&self, root: &Path) -> std::io::Result<usize> {
        let listed = fabula_engine::project::project_files(root)?;
        let contents = fabula_engine::project::read_all(&listed);
        let mut db = lock(&self.db);
        let mut files = lock(&self.files);
        let mut keep: BTreeMap<String, FileEntry> = BTreeMap::new();
        for (file, bytes) in listed.iter().zip(contents) {
            let bytes = match bytes {
                Ok(b) => b,
                Err(err) => {
                    crate::log::warn(format_args!("cannot read {}: {err}", file.disk.display()));
                    continue;
                }
            };
            let entry = match files.remove(&file.name) {
                Some(e) if e.open.is_some() => e,
                Some(e) => {
                    if e.input.bytes(&*db) != &bytes {
                        e.input.set_bytes(&mut *db).to(bytes);
                    }
                    e
                }
                None => FileEntry {
                    input: SourceFile::new(&*db, file.name.clone(), bytes),
                    open: None,
                },
            };
            keep.insert(file.name.clone(), entry);
        }
        // Files open in the editor stay, even when not (yet) on disk.
        for (name, entry) in std::mem::take(&mut *files) {
            if entry.open.is_some() {
                keep.insert(name, entry);
            }
        }
        *files = keep;
        self.sync_file_list(&mut db, &files);
        Ok(files.len())
    }

    fn sync_file_list(&self, db: &mut Database, files: &BTreeMap<String, FileEntry>) {
        let list: Vec<SourceFile> = files.values().map(|e| e.input).collect();
        if self.project.files(&*db) != &list {
            self.project.set_files(db).to(list);
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The editor opened a file: its text wins over the disk's from now on.
    pub fn open(&self, path: &str, version: i32, text: String) {
        let mut db = lock(&self.db);
        let mut files = lock(&self.files);
        match files.get_mut(path) {
            Some(entry) => {
                entry.open = Some(version);
                if entry.input.bytes(&*db).as_slice() != text.as_bytes() {
                    entry.input.set_bytes(&mut *db).to(text.into_bytes());
                }
            }
            None => {
                let input = SourceFile::new(&*db, path.to_owned(), text.into_bytes());
                files.insert(
                    path.to_owned(),
                    FileEntry {
                        input,
                        open: Some(version),
                    },
                );
            }
        }
        self.sync_file_list(&mut db, &files);
    }

    /// Applies an editor's changes, in order, synchronously. Returns false when the file
    /// is not open (the change is ignored and logged).
    pub fn change(
        &self,
        path: &str,
        version: i32,
        changes: Vec<tower_lsp_server::ls_types::TextDocumentContentChangeEvent>,
    ) -> bool {
        let encoding = self.session().encoding;
        let mut db = lock(&self.db);
        let mut files = lock(&self.files);
        let Some(entry) = files.get_mut(path) else {
            return false;
        };
        if entry.open.is_some_and(|v| v >= version) {
            crate::log::warn(format_args!(
                "{path}: change to version {version} arrived after version {:?}",
                entry.open
            ));
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
        self.generation.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// The editor closed a file: the disk's content counts again (or the file goes, when
    /// it is not a project file on disk).
    pub fn close(&self, path: &str) {
        let disk = self.root().map(|r| r.join(path));
        let bytes = disk
            .as_deref()
            .filter(|d| d.is_file())
            .and_then(|d| fabula_engine::project::read_capped(d).ok());
        let mut db = lock(&self.db);
        let mut files = lock(&self.files);
        match bytes {
            Some(bytes) if is_project_file(path) => {
                if let Some(entry) = files.get_mut(path) {
                    entry.open = None;
                    if entry.input.bytes(&*db) != &bytes {
                        entry.input.set_bytes(&mut *db).to(bytes);
                    }
                }
            }
            _ => {
                files.remove(path);
            }
        }
        self.sync_file_list(&mut db, &files);
    }

    /// A file changed on disk. Open files are the editor's and are left alone.
    pub fn disk_changed(&self, path: &str, bytes: Option<Vec<u8>>) {
        let mut db = lock(&self.db);
        let mut files = lock(&self.files);
        match (files.get_mut(path), bytes) {
            (Some(entry), _) if entry.open.is_some() => return,
            (Some(entry), Some(bytes)) => {
                if entry.input.bytes(&*db) != &bytes {
                    entry.input.set_bytes(&mut *db).to(bytes);
                }
            }
            (Some(_), None) => {
                files.remove(path);
            }
            (None, Some(bytes)) => {
                let input = SourceFile::new(&*db, path.to_owned(), bytes);
                files.insert(path.to_owned(), FileEntry { input, open: None });
            }
            (None, None) => return,
        }
        self.sync_file_list(&mut db, &files);
    }

    pub fn set_results(&self, results: Results) {
        let mut db = lock(&self.db);
        // Not a new generation: results change scores, never diagnostics.
        self.project.set_results(&mut *db).to(results);
    }

    /// The editor's version of an open file.
    pub fn version(&self, path: &str) -> Option<i32> {
        lock(&self.files).get(path).and_then(|e| e.open)
    }

    pub fn paths(&self) -> Vec<String> {
        lock(&self.files).keys().cloned().collect()
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

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a handler panicked".into())
}
