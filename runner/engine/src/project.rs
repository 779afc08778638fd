//! Finding and reading a project: `fabula.yaml` and every YAML file under `dataset/`,
//! read in parallel and size-capped, as documents. Shared by every front end (`fabula
//! check`, `fabula run`, the language server). Unreadable files become documents with an
//! `unreadable` diagnostic; nothing here fails on bad content.

use crate::parallel;
use fabula_core::document::{Document, Model};
use fabula_core::syntax::MAX_FILE_BYTES;
use fabula_core::workspace::Workspace;
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
    parallel::map(files, parallel::cores(), load_one)
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
    parallel::map(files, parallel::cores(), |f| read_capped(&f.disk))
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

/// Every `*.yaml` / `*.yml` file under `dir`, sorted; hidden folders are skipped.
pub fn yaml_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("failed to read folder {}: {e}", dir.display()),
            )
        })?;
        for entry in entries {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if name.ends_with(".yaml") || name.ends_with(".yml") {
                out.push(path);
            }
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
