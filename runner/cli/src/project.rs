//! Finding a project and reading its files: the CLI's IO, kept out of the core.

use anyhow::{Context as _, bail};
use fabula_core::document::Document;
use fabula_core::syntax::MAX_FILE_BYTES;
use std::collections::BTreeMap;
use std::io::Read;
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
pub fn project_files(root: &Path) -> anyhow::Result<Vec<SourceFile>> {
    let mut files = Vec::new();
    let config = root.join("fabula.yaml");
    if config.is_file() {
        files.push(source(root, &config));
    }
    let dataset = root.join("dataset");
    if dataset.is_dir() {
        for path in yaml_files(&dataset)? {
            files.push(source(root, &path));
        }
    }
    Ok(files)
}

/// Files named on the command line (folders searched for YAML files).
pub fn named_files(root: Option<&Path>, paths: &[PathBuf]) -> anyhow::Result<Vec<SourceFile>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            for file in yaml_files(path)? {
                files.push(named(root, &file));
            }
        } else if path.is_file() {
            files.push(named(root, path));
        } else {
            bail!("no such file or folder: {}", path.display());
        }
    }
    Ok(files)
}

/// Reads and loads every file, on all cores. Unreadable files become documents with a
/// diagnostic, never a lost file.
pub fn load(files: &[SourceFile]) -> Vec<Document> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = files.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(load_one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
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

/// Reads at most one byte past the size limit, so a huge file costs bounded memory.
fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Every `*.yaml` / `*.yml` file under `dir`, sorted; hidden folders are skipped.
fn yaml_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .with_context(|| format!("failed to read folder {}", dir.display()))?;
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

fn source(root: &Path, path: &Path) -> SourceFile {
    named(Some(root), path)
}

/// Names a file relative to the project root when it is inside it, else as given.
fn named(root: Option<&Path>, path: &Path) -> SourceFile {
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

/// Merges file lists, keeping the first occurrence of each file.
pub fn merge(lists: impl IntoIterator<Item = Vec<SourceFile>>) -> Vec<SourceFile> {
    let mut seen = BTreeMap::new();
    for file in lists.into_iter().flatten() {
        seen.entry(file.disk.clone()).or_insert(file);
    }
    seen.into_values().collect()
}
