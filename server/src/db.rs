//! The incremental database (salsa). Inputs: each file's text, the set of files, and a
//! snapshot of the results store. Derived, memoised and re-used across edits: each file's
//! document, its line index, the workspace, what each file's checks depend on, its
//! diagnostics, and a task's scores.
//!
//! Granularity is what keeps an edit cheap. Every edit rebuilds the workspace index (a
//! thousand pointer copies), but a file's diagnostics depend only on the documents its
//! checks read ([`deps`], derived from each check's declaration of what it reads): a task
//! on the theories, the tasks sharing its id, and so on. When those are the same documents
//! as before, the memoised diagnostics are reused; editing a theory re-checks exactly the
//! tasks that could see it.
//!
//! Within one file, a large document is not parsed again from scratch: [`document`] starts
//! from the file's last document ([`Recent`]) and re-parses only the entry an edit touched
//! ([`Document::reparse`], which loads exactly what a whole parse would).

use crate::store::Results;
use fabula_core::check;
use fabula_core::diagnostic::Diagnostic;
use fabula_core::document::Document;
use fabula_core::text::LineIndex;
use fabula_core::workspace::Workspace;
use fabula_engine::env::Env;
use fabula_eval::agreement::RankingAgreement;
use fabula_eval::fingerprint::Current;
use fabula_eval::scores::ModelScore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Salsa's database, plus the last document of each large file.
#[salsa::db]
pub trait Db: salsa::Database {
    fn recent(&self) -> &Recent;
}

#[salsa::db]
#[derive(Clone, Default)]
pub struct Database {
    storage: salsa::Storage<Self>,
    recent: Recent,
}

#[salsa::db]
impl salsa::Database for Database {}

#[salsa::db]
impl Db for Database {
    fn recent(&self) -> &Recent {
        &self.recent
    }
}

/// The last document loaded for each large file, shared by every clone of the database.
/// Outside salsa's tracking on purpose: what [`document`] returns does not depend on it
/// (a re-parse equals a whole parse), only how fast it gets there.
#[derive(Clone, Default)]
pub struct Recent(Arc<Mutex<HashMap<String, Arc<Document>>>>);

impl Recent {
    fn get(&self, path: &str) -> Option<Arc<Document>> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(path).cloned()
    }

    /// Remembers `doc` if it is large enough to be worth re-parsing in parts.
    fn keep(&self, doc: &Arc<Document>) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if doc.text.len() >= fabula_core::syntax::splice::MIN_BYTES {
            map.insert(doc.path.clone(), doc.clone());
        } else {
            map.remove(&doc.path);
        }
    }
}

/// One file of the project: its project-relative path and its current content (the
/// editor's text when open, the disk's bytes otherwise: those may not be UTF-8, and the
/// document says so).
#[salsa::input(debug)]
pub struct SourceFile {
    #[returns(ref)]
    pub path: String,
    #[returns(ref)]
    pub bytes: Vec<u8>,
}

/// The project: its files (sorted by path), the results store as last read, and the
/// environment (process, then `.env`), whose base-URL overrides decide which dialect each
/// provider speaks and so today's fingerprints.
#[salsa::input(debug)]
pub struct Project {
    #[returns(ref)]
    pub files: Vec<SourceFile>,
    #[returns(ref)]
    pub results: Results,
    #[returns(ref)]
    pub env: Environment,
}

/// The environment as last read, compared by identity (a new read is a change).
#[derive(Clone, Debug, Default)]
pub struct Environment(pub Arc<Env>);

impl PartialEq for Environment {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// A loaded document, compared by identity (a new text is a new document).
#[derive(Clone, Debug)]
pub struct Doc(pub Arc<Document>);

impl PartialEq for Doc {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

#[salsa::tracked(returns(ref))]
pub fn document(db: &dyn Db, file: SourceFile) -> Doc {
    let (path, bytes) = (file.path(db), file.bytes(db));
    let doc = match db.recent().get(path) {
        // The same text (an editor opening a file as it is on disk): the same document,
        // so nothing that depends on it runs again.
        Some(last) if last.text.as_bytes() == bytes.as_slice() => last,
        Some(last) => Arc::new(last.reparse(bytes)),
        None => Arc::new(Document::from_bytes(path, bytes)),
    };
    db.recent().keep(&doc);
    Doc(doc)
}

/// Line starts of a file's text (the document's, so decoded as the checks saw it).
#[derive(Clone, Debug)]
pub struct Lines(pub Arc<LineIndex>);

impl PartialEq for Lines {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

#[salsa::tracked(returns(ref))]
pub fn lines(db: &dyn Db, file: SourceFile) -> Lines {
    Lines(Arc::new(LineIndex::new(&document(db, file).0.text)))
}

/// The whole workspace, and its documents grouped the ways checks read them.
#[derive(Clone, Debug)]
pub struct Ws {
    pub ws: Arc<Workspace>,
    inputs: Arc<check::Inputs>,
}

impl PartialEq for Ws {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.ws, &other.ws)
    }
}

#[salsa::tracked(returns(ref))]
pub fn workspace(db: &dyn Db, project: Project) -> Ws {
    let docs: Vec<Arc<Document>> = project
        .files(db)
        .iter()
        .map(|f| document(db, *f).0.clone())
        .collect();
    let ws = Workspace::shared(docs);
    let inputs = check::Inputs::new(&ws);
    Ws {
        ws: Arc::new(ws),
        inputs: Arc::new(inputs),
    }
}

/// The documents one file's checks read (itself first), compared by identity. Derived
/// from the checks' own declarations ([`check::Reads`]), never written down here.
#[derive(Clone, Debug)]
pub struct Deps(pub Vec<Arc<Document>>);

impl PartialEq for Deps {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| Arc::ptr_eq(a, b))
    }
}

#[salsa::tracked(returns(ref))]
pub fn deps(db: &dyn Db, project: Project, file: SourceFile) -> Deps {
    let me = document(db, file).0.clone();
    Deps(workspace(db, project).inputs.of(&me))
}

/// A file's diagnostics, compared by value: an edit that changes nothing a file reports
/// does not re-publish it.
#[derive(Clone, Debug, PartialEq)]
pub struct Diags(pub Arc<Vec<Diagnostic>>);

#[salsa::tracked(returns(ref))]
pub fn diagnostics(db: &dyn Db, project: Project, file: SourceFile) -> Diags {
    let doc = document(db, file).0.clone();
    let deps = deps(db, project, file);
    let ws = Workspace::shared(deps.0.clone());
    Diags(Arc::new(check::diagnostics(&ws, &doc)))
}

/// The latest score of each model on the task in `file` (empty for other files).
#[derive(Clone, Debug, PartialEq)]
pub struct Scores(pub Arc<Vec<ModelScore>>);

#[salsa::tracked(returns(ref))]
pub fn scores(db: &dyn Db, project: Project, file: SourceFile) -> Scores {
    let doc = document(db, file).0.clone();
    let Some(task) = doc.task() else {
        return Scores(Arc::default());
    };
    let results = project.results(db).0.clone();
    let Some(records) = results.by_task.get(&task.id) else {
        return Scores(Arc::default());
    };
    let all = workspace(db, project);
    let Some((_, config)) = all.ws.config() else {
        return Scores(Arc::default());
    };
    let Some(prepared) = fabula_eval::prepared::prepare(&all.ws, config, &doc) else {
        return Scores(Arc::default());
    };
    let slop = fabula_engine::project::slop(&all.ws);
    let dialects = fabula_engine::setup::dialects(config, &project.env(db).0);
    let current = Current::new(config, &slop, &dialects);
    Scores(Arc::new(fabula_eval::scores::latest(
        &current,
        &prepared,
        records,
        &config.judges,
    )))
}

/// People's rankings of the task in `file` that count today, each compared with the
/// judges' order (what the task's hover shows); empty for other files.
#[derive(Clone, Debug, PartialEq)]
pub struct HumanOrders(pub Arc<Vec<RankingAgreement>>);

#[salsa::tracked(returns(ref))]
pub fn human_orders(db: &dyn Db, project: Project, file: SourceFile) -> HumanOrders {
    let doc = document(db, file).0.clone();
    let Some(task) = doc.task() else {
        return HumanOrders(Arc::default());
    };
    let results = project.results(db).0.clone();
    let Some(records) = results
        .by_task
        .get(&task.id)
        .filter(|r| !r.rankings.is_empty())
    else {
        return HumanOrders(Arc::default());
    };
    let all = workspace(db, project);
    let Some((_, config)) = all.ws.config() else {
        return HumanOrders(Arc::default());
    };
    let Some(prepared) = fabula_eval::prepared::prepare(&all.ws, config, &doc) else {
        return HumanOrders(Arc::default());
    };
    let slop = fabula_engine::project::slop(&all.ws);
    let dialects = fabula_engine::setup::dialects(config, &project.env(db).0);
    let current = Current::new(config, &slop, &dialects);
    let one_task = fabula_eval::records::Records {
        generations: records.generations.clone(),
        evaluations: records.evaluations.clone(),
        rankings: records.rankings.clone(),
        ..Default::default()
    };
    let figures = fabula_eval::agreement::agreement(
        &current,
        &[Arc::new(prepared)],
        &one_task,
        &config.judges,
        &fabula_eval::agreement::Options {
            resamples: 0,
            ..Default::default()
        },
    );
    HumanOrders(Arc::new(figures.rankings))
}
