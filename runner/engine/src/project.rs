//! Finding and reading a project: `fabula.yaml` and every YAML file under `dataset/`,
//! read in parallel and size-capped, as documents. Shared by every front end (`fabula
//! check`, `fabula run`, the language server). Unreadable files become documents with an
//! `unreadable` diagnostic; nothing here fails on bad content.

use fabula_core::document::{Document, Model};
use fabula_core::syntax::MAX_FILE_BYTES;
use fabula_core::workspace::Workspace;
use rayon::prelude::*;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// A file to load: where it is on disk and the name diagnostics use.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub disk: PathBuf,
    pub name: String,
}

/// The folder holding `fabula.yaml`, searching upwards from `start`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(start).ok()?;
    let mut dir = if start.is_file() {
        start.parent()?.to_path_buf()
    } else {
        start
    };
    loop {
        if dir.join("fabula.yaml").is_file() {
            return Some(dir);
        }
        dir = dir.parent()?.to_path_buf();
    }
}

/// The project's own files: `fabula.yaml` and every YAML file under `dataset/`.
pub fn project_files(root: &Path) -> io::Result<Vec<SourceFile>> {
    let mut files = Vec::new();
    let config = root.join("fabula.yaml");
    if config.is_file() {
        files.push(named(Some(root), &config));
    }
    let dataset = root.join("dataset");
    if dataset.is_dir() {
        for path in yaml_files(&dataset)? {
            files.push(named(Some(root), &path));
        }
    }
    Ok(files)
}

/// Reads and loads every file, on all cores.
pub fn load(files: &[SourceFile]) -> Vec<Document> {
    files.par_iter().map(load_one).collect()
}

/// The project rooted at `root`, as a workspace.
pub fn workspace(root: &Path) -> io::Result<Workspace> {
    Ok(Workspace::new(load(&project_files(root)?)))
}

/// The slop phrases of the project (`dataset/slop.yaml`), empty when it has none.
pub fn slop(ws: &Workspace) -> Vec<String> {
    ws.documents()
        .iter()
        .find_map(|d| match &d.model {
            Some(Model::Slop(s)) => Some(s.phrases.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// Reads every file's bytes (size-capped), on all cores.
pub fn read_all(files: &[SourceFile]) -> Vec<io::Result<Vec<u8>>> {
    files.par_iter().map(|f| read_capped(&f.disk)).collect()
}

fn load_one(file: &SourceFile) -> Document {
    match read_capped(&file.disk) {
        Ok(bytes) => Document::from_bytes(&file.name, &bytes),
        Err(err) => Document::unreadable(
            &file.name,
            &format!("failed to read {}: {err}", file.disk.display()),
        ),
    }
}

/// Creates the file `path` with `text`, and its folders; fails (`AlreadyExists`) rather
/// than replace a file. For the commands that add files to a project (`fabula init`,
/// `fabula new`, the language server's new-task command).
pub fn create_new(path: &Path, text: &str) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    std::io::Write::write_all(&mut file, text.as_bytes())
}

/// Why `add_task` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum AddTaskError {
    #[error(transparent)]
    Scaffold(#[from] fabula_core::scaffold::ScaffoldError),
    #[error("{0} already exists; nothing was written")]
    Exists(String),
    #[error("failed to create {path}: {source}")]
    Io { path: String, source: io::Error },
}

/// Writes the skeleton `request` asks for into the project at `root` (whose documents
/// `ws` holds): `fabula new` and the language server's `newTask`.
pub fn add_task(
    root: &Path,
    ws: &Workspace,
    request: &fabula_core::scaffold::NewTask<'_>,
) -> Result<fabula_core::scaffold::Skeleton, AddTaskError> {
    let skeleton = fabula_core::scaffold::new_task(ws, request)?;
    match create_new(&root.join(&skeleton.path), &skeleton.text) {
        Ok(()) => Ok(skeleton),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Err(AddTaskError::Exists(skeleton.path))
        }
        Err(source) => Err(AddTaskError::Io {
            path: skeleton.path,
            source,
        }),
    }
}

/// Reads at most one byte past the size limit, so a huge file costs bounded memory.
pub fn read_capped(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Every `*.yaml` / `*.yml` file under `dir`, sorted; hidden files and folders are
/// skipped, and links are not followed.
pub fn yaml_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let walk = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk {
        let entry = entry.map_err(|e| {
            let path = e
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            io::Error::other(format!("failed to read folder {path}: {e}"))
        })?;
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_file() && (name.ends_with(".yaml") || name.ends_with(".yml")) {
            out.push(entry.into_path());
        }
    }
    out.sort();
    Ok(out)
}

/// Names a file relative to the project root when it is inside it, else as given.
pub fn named(root: Option<&Path>, path: &Path) -> SourceFile {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let name = root
        .and_then(|r| absolute.strip_prefix(r).ok())
        .map_or_else(
            || path.to_string_lossy().into_owned(),
            |rel| {
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/")
            },
        );
    SourceFile {
        disk: absolute,
        name,
    }
}
