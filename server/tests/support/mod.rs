//! A small LSP client for tests and benches: talks to the server over an in-memory pipe
//! (in-process) or a child's stdio, keeps every notification, answers the server's own
//! requests (progress, registration, refresh) with success.
//!
//! It is strict, like ruff's test server: a server request it does not expect, an error
//! answer nobody awaited (a parse error has no id), or an error shown to the user that
//! the test did not take fails the test at [`Client::shutdown`].

#![allow(dead_code, reason = "each test uses a part")]

use serde_json::{Value, json};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{Notify, mpsc, oneshot};

type Pending = Arc<Mutex<Vec<(i64, oneshot::Sender<Value>)>>>;

pub struct Client {
    out: mpsc::UnboundedSender<Vec<u8>>,
    pending: Pending,
    pub notifications: Arc<Mutex<VecDeque<Value>>>,
    pub server_requests: Arc<Mutex<Vec<Value>>>,
    /// Error answers no call was waiting for.
    pub unread_errors: Arc<Mutex<Vec<Value>>>,
    /// Server requests this client does not know.
    unexpected: Arc<Mutex<Vec<Value>>>,
    arrived: Arc<Notify>,
    next_id: Mutex<i64>,
}

/// The server requests a client answers (with success).
const EXPECTED_REQUESTS: &[&str] = &[
    "window/workDoneProgress/create",
    "client/registerCapability",
    "workspace/codeLens/refresh",
];

pub fn frame(v: &Value) -> Vec<u8> {
    let body = serde_json::to_vec(v).unwrap();
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend(body);
    out
}

async fn read_message<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; len?];
    r.read_exact(&mut body).await.ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    /// A client over any pipe (the in-process server's, or a child's stdio).
    pub fn over<R, W>(read: R, mut write: W) -> Client
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
        tokio::spawn(async move {
            while let Some(bytes) = rx.recv().await {
                if write.write_all(&bytes).await.is_err() {
                    break;
                }
                let _ = write.flush().await;
            }
        });
        let pending: Pending = Arc::default();
        let notifications: Arc<Mutex<VecDeque<Value>>> = Arc::default();
        let server_requests: Arc<Mutex<Vec<Value>>> = Arc::default();
        let unread_errors: Arc<Mutex<Vec<Value>>> = Arc::default();
        let unexpected: Arc<Mutex<Vec<Value>>> = Arc::default();
        let arrived = Arc::new(Notify::new());
        let (p, n, s, e, u, a, reply) = (
            pending.clone(),
            notifications.clone(),
            server_requests.clone(),
            unread_errors.clone(),
            unexpected.clone(),
            arrived.clone(),
            tx.clone(),
        );
        tokio::spawn(async move {
            let mut reader = BufReader::new(read);
            while let Some(msg) = read_message(&mut reader).await {
                let method = msg.get("method").and_then(Value::as_str).unwrap_or("");
                if !method.is_empty() && msg.get("id").is_some() {
                    if EXPECTED_REQUESTS.contains(&method) {
                        let answer = json!({"jsonrpc": "2.0", "id": msg["id"], "result": null});
                        let _ = reply.send(frame(&answer));
                    } else {
                        let error = json!({"jsonrpc": "2.0", "id": msg["id"],
                            "error": {"code": -32601, "message": "the test client does not expect this"}});
                        let _ = reply.send(frame(&error));
                        u.lock().unwrap().push(msg.clone());
                    }
                    s.lock().unwrap().push(msg);
                } else if !method.is_empty() {
                    n.lock().unwrap().push_back(msg);
                } else {
                    let waiting = msg.get("id").and_then(Value::as_i64).and_then(|id| {
                        let mut pending = p.lock().unwrap();
                        let i = pending.iter().position(|(k, _)| *k == id)?;
                        Some(pending.remove(i).1)
                    });
                    match waiting {
                        Some(sender) => {
                            let _ = sender.send(msg);
                        }
                        None if msg.get("error").is_some() => e.lock().unwrap().push(msg),
                        None => {}
                    }
                }
                a.notify_waiters();
            }
        });
        Client {
            out: tx,
            pending,
            notifications,
            server_requests,
            unread_errors,
            unexpected,
            arrived,
            next_id: Mutex::new(0),
        }
    }

    /// Sends raw bytes (a hand-made, possibly broken, frame).
    pub fn send_raw(&self, bytes: Vec<u8>) {
        self.out.send(bytes).unwrap();
    }

    /// Waits for an error answer that no call awaited (one with a `null` id), taking it.
    pub async fn unread_error(&self) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let waiting = self.arrived.notified();
            if let Some(e) = {
                let mut errors = self.unread_errors.lock().unwrap();
                (!errors.is_empty()).then(|| errors.remove(0))
            } {
                return e;
            }
            assert!(Instant::now() < deadline, "no unread error arrived");
            let _ = tokio::time::timeout(Duration::from_millis(50), waiting).await;
        }
    }

    /// The server in this process, over an in-memory pipe.
    pub fn in_process() -> Client {
        let (client_side, server_side) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server_side);
        tokio::spawn(fabula_lsp::serve(server_read, server_write));
        let (read, write) = tokio::io::split(client_side);
        Client::over(read, write)
    }

    /// Sends a request; the whole response (`result` or `error`).
    pub async fn call(&self, method: &str, params: Value) -> Value {
        let id = {
            let mut n = self.next_id.lock().unwrap();
            *n += 1;
            *n
        };
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().push((id, tx));
        self.out
            .send(frame(
                &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
            ))
            .unwrap();
        tokio::time::timeout(Duration::from_secs(60), rx)
            .await
            .unwrap_or_else(|_| panic!("no answer to {method} within 60 s"))
            .unwrap()
    }

    /// A request's `result` (panics on an error answer).
    pub async fn request(&self, method: &str, params: Value) -> Value {
        let response = self.call(method, params).await;
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    pub fn notify(&self, method: &str, params: Value) {
        self.out
            .send(frame(
                &json!({"jsonrpc": "2.0", "method": method, "params": params}),
            ))
            .unwrap();
    }

    /// Waits for a notification matching `pred`, taking it (and everything before it).
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let waiting = self.arrived.notified();
            {
                let mut n = self.notifications.lock().unwrap();
                if let Some(i) = n.iter().position(&pred) {
                    let found = n[i].clone();
                    n.drain(..=i);
                    return found;
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let seen: Vec<String> = self
                    .notifications
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|m| {
                        let mut s = m.to_string();
                        s.truncate(300);
                        s
                    })
                    .collect();
                panic!(
                    "timed out waiting for {what}; unclaimed notifications:\n{}",
                    seen.join("\n")
                );
            }
            let _ = tokio::time::timeout(left.min(Duration::from_millis(50)), waiting).await;
        }
    }

    /// Waits for diagnostics of `uri` (at `version`, when given).
    pub async fn diagnostics(&self, uri: &str, version: Option<i64>) -> Value {
        let uri = uri.to_owned();
        self.wait_for(&format!("diagnostics of {uri}"), move |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri.as_str()
                && version.is_none_or(|v| m["params"]["version"] == v)
        })
        .await["params"]
            .clone()
    }

    /// `initialize` + `initialized` with a workspace folder. `options` as sent (`null`:
    /// none).
    pub async fn initialize(&self, root: &Path, options: Value) -> Value {
        let result = self
            .request("initialize", initialize_params(root, options))
            .await;
        self.notify("initialized", json!({}));
        result
    }

    pub fn open(&self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(path), "languageId": "yaml", "version": 1, "text": text}}),
        );
    }

    /// Asks for a run of `task` with `model` that the server must refuse: its error
    /// message, after the same text was shown to the user.
    pub async fn refused_run(&self, task: &str, model: &str) -> String {
        let r = self
            .call(
                "workspace/executeCommand",
                json!({"command": "fabula.server.run", "arguments": [{"task": task, "model": model}]}),
            )
            .await;
        let message = r["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("the run was not refused: {r}"))
            .to_owned();
        self.wait_for("the refusal shown", |m| m["method"] == "window/showMessage")
            .await;
        message
    }

    /// `shutdown` + `exit`, then the strict checks: every server request was one a client
    /// expects, every error answer was read, no error was shown to the user unread.
    pub async fn shutdown(&self) {
        self.request("shutdown", Value::Null).await;
        self.notify("exit", Value::Null);
        let unexpected = self.unexpected.lock().unwrap().clone();
        assert!(
            unexpected.is_empty(),
            "unexpected server requests: {unexpected:?}"
        );
        let errors = self.unread_errors.lock().unwrap().clone();
        assert!(errors.is_empty(), "error answers nobody read: {errors:?}");
        let shown: Vec<Value> = self
            .notifications
            .lock()
            .unwrap()
            .iter()
            .filter(|m| {
                matches!(m["method"].as_str(), Some("window/showMessage"))
                    && m["params"]["type"] == 1
            })
            .cloned()
            .collect();
        assert!(
            shown.is_empty(),
            "errors shown to the user that the test did not read: {shown:?}"
        );
    }
}

/// The repository's root folder.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A server binary started with `env`, spoken to over its stdio; stderr as given.
pub fn spawn(
    bin: &Path,
    env: &[(&str, &str)],
    stderr: std::process::Stdio,
) -> (tokio::process::Child, Client) {
    let mut child = tokio::process::Command::new(bin)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    (child, Client::over(stdout, stdin))
}

/// `initialize` parameters with a workspace folder and the usual capabilities.
pub fn initialize_params(root: &Path, options: Value) -> Value {
    json!({
        "processId": null,
        "rootUri": uri(root),
        "workspaceFolders": [{"uri": uri(root), "name": "project"}],
        "initializationOptions": options,
        "capabilities": {
            "window": {"workDoneProgress": true},
            "workspace": {"codeLens": {"refreshSupport": true}},
            "general": {"positionEncodings": ["utf-16"]}
        }
    })
}

/// The codes of a `publishDiagnostics` notification's diagnostics.
pub fn codes(diags: &Value) -> Vec<String> {
    diags["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect()
}

/// A project with `tasks`, a server initialized on it, and the file at `rel` open and
/// diagnosed once (version 1).
pub struct Opened {
    pub dir: tempdir::Dir,
    pub root: PathBuf,
    pub file: PathBuf,
    pub text: String,
    pub uri: String,
    pub client: Client,
}

pub async fn opened(tasks: &[&str], rel: &str) -> Opened {
    let (dir, root) = project(tasks);
    let file = root.join(rel);
    let text = std::fs::read_to_string(&file).unwrap();
    let client = Client::in_process();
    client.initialize(&root, json!({"trusted": true})).await;
    client.open(&file, &text);
    let uri = uri(&file);
    client.diagnostics(&uri, Some(1)).await;
    Opened {
        dir,
        root,
        file,
        text,
        uri,
        client,
    }
}

pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A copy of the repository's project (fabula.yaml, theories, slop list, and the tasks
/// whose ids are given) in a fresh temp folder.
pub fn project(tasks: &[&str]) -> (tempdir::Dir, PathBuf) {
    let repo = repo();
    let dir = tempdir::Dir::new();
    let root = dir.path().to_path_buf();
    std::fs::copy(repo.join("fabula.yaml"), root.join("fabula.yaml")).unwrap();
    let theories = root.join("dataset/theories");
    std::fs::create_dir_all(&theories).unwrap();
    for e in std::fs::read_dir(repo.join("dataset/theories")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, theories.join(p.file_name().unwrap())).unwrap();
    }
    std::fs::copy(
        repo.join("dataset/slop.yaml"),
        root.join("dataset/slop.yaml"),
    )
    .unwrap();
    for id in tasks {
        let found = find_task(&repo.join("dataset/tasks"), id)
            .unwrap_or_else(|| panic!("no task {id} in the dataset"));
        let rel = found.strip_prefix(&repo).unwrap();
        std::fs::create_dir_all(root.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&found, root.join(rel)).unwrap();
    }
    (dir, root)
}

/// A project copy of the repository: fabula.yaml and the whole dataset.
pub fn repository_copy() -> (tempdir::Dir, PathBuf) {
    let dir = tempdir::Dir::new();
    let root = dir.path().to_path_buf();
    std::fs::copy(repo().join("fabula.yaml"), root.join("fabula.yaml")).unwrap();
    let mut stack = vec![PathBuf::from("dataset")];
    while let Some(rel) = stack.pop() {
        std::fs::create_dir_all(root.join(&rel)).unwrap();
        for e in std::fs::read_dir(repo().join(&rel)).unwrap() {
            let e = e.unwrap();
            let rel = rel.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                stack.push(rel);
            } else {
                std::fs::copy(repo().join(&rel), root.join(&rel)).unwrap();
            }
        }
    }
    (dir, root)
}

/// A sequence task `id` of `steps` steps (eight lines of head, four per step), clean
/// against the repository's fabula.yaml and theories: the long file of the edit tests and
/// the benchmark.
pub fn sequence_task(id: &str, steps: usize) -> String {
    sequence_task_with(id, steps, Findings::None)
}

/// What a generated sequence task gets wrong, every `every`th step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Findings {
    None,
    /// A criterion the schema does not allow (`invalid-value`).
    Schema {
        every: usize,
    },
    /// A step id repeated from the step before (`duplicate-local-id`).
    Semantic {
        every: usize,
    },
}

pub fn sequence_task_with(id: &str, steps: usize, findings: Findings) -> String {
    let mut text = format!(
        "# A generated task: the benchmark's and the edit tests' long file.\n\
         id: {id}\ntype: sequence\ntitle: A very long sequence\ntheory: three_act\n\
         words: {{min: 300, max: 900}}\npremise: A river town keeps a ledger of every flood.\nsteps:\n",
    );
    for i in 0..steps {
        let hit = |every: usize| i > 0 && i % every == 0;
        let step_id = match findings {
            Findings::Semantic { every } if hit(every) => i - 1,
            _ => i,
        };
        let criterion = match findings {
            Findings::Schema { every } if hit(every) => "imagry",
            _ => "imagery",
        };
        text.push_str(&format!(
            "  - id: step_{step_id}\n    brief: >\n      Write entry {i} of the flood ledger, in the clerk's voice.\n    criteria: [coherence, {criterion}]\n"
        ));
    }
    text
}

pub fn find_task(dir: &Path, id: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()? {
        let p = e.ok()?.path();
        if p.is_dir() {
            if let Some(f) = find_task(&p, id) {
                return Some(f);
            }
        } else if p.file_stem().and_then(|s| s.to_str()) == Some(id) {
            return Some(p);
        }
    }
    None
}

pub mod tempdir {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A temporary folder, removed on drop.
    pub struct Dir(PathBuf);

    static N: AtomicU32 = AtomicU32::new(0);

    impl Dir {
        pub fn new() -> Dir {
            let p = std::env::temp_dir().join(format!(
                "fabula-lsp-test-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst)
            ));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Dir(p.canonicalize().unwrap())
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
