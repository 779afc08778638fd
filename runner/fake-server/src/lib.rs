//! A scriptable HTTP/1.1 server on 127.0.0.1 for provider tests and the throughput
//! benchmark. Raw TCP, so that it can misbehave in ways a framework would not allow:
//! hang, send a truncated body, close mid-response, stream a body of any size. It records
//! every request, the most requests it ever had in flight at once, and the body bytes the
//! client actually accepted (so a test can show that a client stopped reading).

pub mod batch;

pub use batch::{FakeBatches, Script};

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    Json {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Never answer (until the client gives up).
    Hang,
    /// Claim `claimed` bytes of body, send `body`, close.
    Truncated { body: String, claimed: usize },
    /// A 200 whose body is `total` bytes of filler, written in pieces as the client reads
    /// them (never held in memory whole). With `declared`, the head says the length;
    /// without, the body ends when the connection closes.
    Stream {
        headers: Vec<(String, String)>,
        total: usize,
        declared: bool,
    },
}

impl Reply {
    pub fn ok(body: impl Into<String>) -> Reply {
        Reply::Json {
            status: 200,
            headers: Vec::new(),
            body: body.into(),
        }
    }
    pub fn status(status: u16, body: impl Into<String>) -> Reply {
        Reply::Json {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }
    pub fn with_header(mut self, k: &str, v: &str) -> Reply {
        if let Reply::Json { headers, .. } | Reply::Stream { headers, .. } = &mut self {
            headers.push((k.to_string(), v.to_string()));
        }
        self
    }
}

/// A request as received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("request body is JSON")
    }
}

type Handler = dyn Fn(usize, &Seen) -> Reply + Send + Sync;

pub struct FakeServer {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    in_flight: Arc<AtomicUsize>,
    pub max_in_flight: Arc<AtomicUsize>,
    /// Body bytes of [`Reply::Stream`] replies that the client's socket accepted.
    pub streamed: Arc<AtomicUsize>,
    admission: Option<Arc<Admission>>,
    lateness: Arc<Lateness>,
}

/// How much later than its latency the server answered: the timer's error, which a
/// benchmark would otherwise charge to the client.
#[derive(Debug, Default)]
struct Lateness {
    answers: AtomicUsize,
    total_ns: AtomicU64,
    max_ns: AtomicU64,
}

impl Lateness {
    fn add(&self, late: Duration) {
        let ns = u64::try_from(late.as_nanos()).unwrap_or(u64::MAX);
        self.answers.fetch_add(1, Ordering::SeqCst);
        self.total_ns.fetch_add(ns, Ordering::SeqCst);
        self.max_ns.fetch_max(ns, Ordering::SeqCst);
    }
}

/// A server that admits at most `capacity` requests at once and answers the rest at once
/// with a 429 and `Retry-After: retry_after_secs`, as a rate-limited provider does.
#[derive(Debug)]
pub struct Admission {
    pub capacity: usize,
    /// The `Retry-After` header's value, in seconds (fractions allowed).
    pub retry_after_secs: f64,
    /// Requests admitted and not yet answered. Released before the answer is written, so
    /// a client that got its answer can never find its own request still counted.
    admitted: AtomicUsize,
    max_admitted: AtomicUsize,
    rejected: AtomicUsize,
}

impl FakeServer {
    /// Starts a server that waits `latency` before each reply from `handler(index, req)`.
    pub async fn start(
        latency: Duration,
        handler: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static,
    ) -> FakeServer {
        FakeServer::start_with(latency, None, handler).await
    }

    /// Like [`FakeServer::start`], but admitting at most `capacity` requests at once: the
    /// others are answered 429 at once (no latency, the handler not called), with
    /// `Retry-After: retry_after_secs`.
    pub async fn start_limited(
        latency: Duration,
        capacity: usize,
        retry_after_secs: f64,
        handler: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static,
    ) -> FakeServer {
        let admission = Admission {
            capacity,
            retry_after_secs,
            admitted: AtomicUsize::new(0),
            max_admitted: AtomicUsize::new(0),
            rejected: AtomicUsize::new(0),
        };
        FakeServer::start_with(latency, Some(Arc::new(admission)), handler).await
    }

    async fn start_with(
        latency: Duration,
        admission: Option<Arc<Admission>>,
        handler: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static,
    ) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let streamed = Arc::new(AtomicUsize::new(0));
        let lateness = Arc::new(Lateness::default());
        let alarm = Alarm::start();
        let handler: Arc<Handler> = Arc::new(handler);
        let counter = Arc::new(AtomicUsize::new(0));
        {
            let seen = Arc::clone(&seen);
            let in_flight = Arc::clone(&in_flight);
            let max_in_flight = Arc::clone(&max_in_flight);
            let streamed = Arc::clone(&streamed);
            let admission = admission.clone();
            let lateness = Arc::clone(&lateness);
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    let _ = stream.set_nodelay(true);
                    let seen = Arc::clone(&seen);
                    let in_flight = Arc::clone(&in_flight);
                    let max_in_flight = Arc::clone(&max_in_flight);
                    let handler = Arc::clone(&handler);
                    let counter = Arc::clone(&counter);
                    let streamed = Arc::clone(&streamed);
                    let admission = admission.clone();
                    let lateness = Arc::clone(&lateness);
                    let alarm = alarm.clone();
                    tokio::spawn(async move {
                        let counters = Counters {
                            counter,
                            seen,
                            in_flight,
                            max_in_flight,
                            streamed,
                            admission,
                            lateness,
                            alarm,
                        };
                        serve(stream, latency, handler, counters).await;
                    });
                }
            });
        }
        FakeServer {
            addr,
            seen,
            in_flight,
            max_in_flight,
            streamed,
            admission,
            lateness,
        }
    }

    /// Like [`FakeServer::start`], on a runtime of its own (two threads, started here): the
    /// caller's runtime then schedules only the client's work, as it would against a real
    /// API. The server stops when the returned [`Apart`] is dropped.
    pub fn start_apart(
        latency: Duration,
        handler: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static,
    ) -> Apart {
        let (started, server) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("fake-server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("fake-server")
                    .enable_all()
                    .build()
                    .expect("a runtime for the fake server");
                runtime.block_on(async move {
                    let _ = started.send(FakeServer::start(latency, handler).await);
                    let _ = stopped.await;
                });
            })
            .expect("a thread for the fake server");
        let server = server.recv().expect("the fake server started");
        Apart {
            server,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Requests answered 429 for want of capacity ([`FakeServer::start_limited`]).
    pub fn rejected(&self) -> usize {
        self.admission
            .as_ref()
            .map_or(0, |a| a.rejected.load(Ordering::SeqCst))
    }

    /// Requests admitted and being answered now ([`FakeServer::start_limited`]).
    pub fn admitted(&self) -> usize {
        self.admission
            .as_ref()
            .map_or(0, |a| a.admitted.load(Ordering::SeqCst))
    }

    /// The most requests ever admitted at once ([`FakeServer::start_limited`]).
    pub fn max_admitted(&self) -> usize {
        self.admission
            .as_ref()
            .map_or(0, |a| a.max_admitted.load(Ordering::SeqCst))
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn hits(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests being answered right now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// The mean and the largest delay beyond the latency of the answers so far (the
    /// latency counts from the moment a request has been read whole).
    pub fn lateness(&self) -> (Duration, Duration) {
        let l = &self.lateness;
        let n = l.answers.load(Ordering::SeqCst).max(1) as u64;
        (
            Duration::from_nanos(l.total_ns.load(Ordering::SeqCst) / n),
            Duration::from_nanos(l.max_ns.load(Ordering::SeqCst)),
        )
    }

    /// Body bytes of streamed replies the client accepted so far.
    pub fn streamed(&self) -> usize {
        self.streamed.load(Ordering::SeqCst)
    }
}

/// A [`FakeServer`] running on a runtime of its own ([`FakeServer::start_apart`]); stops it
/// when dropped.
pub struct Apart {
    server: FakeServer,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::ops::Deref for Apart {
    type Target = FakeServer;
    fn deref(&self) -> &FakeServer {
        &self.server
    }
}

impl Drop for Apart {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What one connection updates.
struct Counters {
    counter: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    streamed: Arc<AtomicUsize>,
    admission: Option<Arc<Admission>>,
    lateness: Arc<Lateness>,
    alarm: Alarm,
}

async fn serve(mut stream: TcpStream, latency: Duration, handler: Arc<Handler>, c: Counters) {
    let Counters {
        counter,
        seen,
        in_flight,
        max_in_flight,
        streamed,
        admission,
        lateness,
        alarm,
    } = c;
    let mut buf = Vec::with_capacity(8192);
    loop {
        let Some(request) = read_request(&mut stream, &mut buf).await else {
            return;
        };
        let arrived = Instant::now();
        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        max_in_flight.fetch_max(now, Ordering::SeqCst);
        let index = counter.fetch_add(1, Ordering::SeqCst);
        let admitted = match &admission {
            None => true,
            Some(a) => {
                let now = a.admitted.fetch_add(1, Ordering::SeqCst) + 1;
                if now > a.capacity {
                    a.admitted.fetch_sub(1, Ordering::SeqCst);
                    a.rejected.fetch_add(1, Ordering::SeqCst);
                    false
                } else {
                    a.max_admitted.fetch_max(now, Ordering::SeqCst);
                    true
                }
            }
        };
        // The handler reads the request before it is kept (moved, not copied).
        let handled = admitted.then(|| handler(index, &request));
        seen.lock().unwrap().push(request);
        let reply = if let Some(reply) = handled {
            if !latency.is_zero() {
                lateness.add(alarm.until(arrived + latency).await);
            }
            if let Some(a) = &admission {
                a.admitted.fetch_sub(1, Ordering::SeqCst);
            }
            reply
        } else {
            let after = admission.as_ref().map_or(0.0, |a| a.retry_after_secs);
            Reply::status(429, r#"{"error": {"message": "rate limited"}}"#)
                .with_header("retry-after", &after.to_string())
        };
        let keep = match reply {
            Reply::Json {
                status,
                headers,
                body,
            } => {
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                // One write, as an API's small answer arrives: head and body together.
                head.push_str(&body);
                let ok = stream.write_all(head.as_bytes()).await.is_ok();
                in_flight.fetch_sub(1, Ordering::SeqCst);
                ok
            }
            Reply::Hang => {
                in_flight.fetch_sub(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(120)).await;
                false
            }
            Reply::Truncated { body, claimed } => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {claimed}\r\n\r\n"
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(body.as_bytes()).await;
                let _ = stream.flush().await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                false
            }
            Reply::Stream {
                headers,
                total,
                declared,
            } => {
                let mut head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n".to_string();
                if declared {
                    head.push_str(&format!("content-length: {total}\r\n"));
                } else {
                    head.push_str("connection: close\r\n");
                }
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                let piece = vec![b'x'; 64 * 1024];
                let mut left = total;
                let mut ok = stream.write_all(head.as_bytes()).await.is_ok();
                while ok && left > 0 {
                    let n = left.min(piece.len());
                    ok = stream.write_all(&piece[..n]).await.is_ok();
                    if ok {
                        streamed.fetch_add(n, Ordering::SeqCst);
                        left -= n;
                    }
                }
                in_flight.fetch_sub(1, Ordering::SeqCst);
                false
            }
        };
        if !keep {
            let _ = stream.shutdown().await;
            return;
        }
    }
}

/// Wakes each waiter at its deadline, to within tens of microseconds, from one thread of
/// its own. Tokio's timer counts whole milliseconds and woke the server 1.2 ms late on
/// average (measured), which at 50 ms a round a benchmark would charge to the client.
#[derive(Clone)]
struct Alarm(std::sync::mpsc::Sender<(Instant, tokio::sync::oneshot::Sender<()>)>);

impl Alarm {
    /// Starts the thread; it ends when every clone of the alarm is dropped.
    fn start() -> Alarm {
        let (tx, rx) = std::sync::mpsc::channel::<(Instant, tokio::sync::oneshot::Sender<()>)>();
        std::thread::Builder::new()
            .name("fake-server-alarm".into())
            .spawn(move || {
                let mut due: std::collections::BTreeMap<
                    (Instant, u64),
                    tokio::sync::oneshot::Sender<()>,
                > = std::collections::BTreeMap::new();
                let mut next_id = 0u64;
                loop {
                    let now = Instant::now();
                    while let Some(entry) = due.first_entry() {
                        let &(at, _) = entry.key();
                        if at > now {
                            break;
                        }
                        let _ = entry.remove().send(());
                    }
                    let got = match due.keys().next() {
                        Some(&(at, _)) => match rx.recv_timeout(at - now) {
                            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
                            other => other.map_err(|_| ()),
                        },
                        None => rx.recv().map_err(|_| ()),
                    };
                    let Ok((at, waiter)) = got else {
                        return;
                    };
                    due.insert((at, next_id), waiter);
                    next_id += 1;
                }
            })
            .expect("a thread for the fake server's alarm");
        Alarm(tx)
    }

    /// Waits until `deadline`; says how much later than that the caller runs again.
    async fn until(&self, deadline: Instant) -> Duration {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if deadline > Instant::now() && self.0.send((deadline, tx)).is_ok() {
            let _ = rx.await;
        }
        Instant::now().saturating_duration_since(deadline)
    }
}

/// Reads one request (headers and a Content-Length body). `None` at end of stream.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Seen> {
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let mut lines = head.split("\r\n");
            let first = lines.next()?;
            let mut parts = first.split(' ');
            let method = parts.next()?.to_string();
            let path = parts.next()?.to_string();
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect();
            let len: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let total = end + 4 + len;
            while buf.len() < total {
                let mut chunk = [0u8; 8192];
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = String::from_utf8_lossy(&buf[end + 4..total]).to_string();
            buf.drain(..total);
            return Some(Seen {
                method,
                path,
                headers,
                body,
            });
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A chat-completions success body.
/// The criteria a judge prompt asks for, after its last `CRITERIA:` line: each id (a
/// line ``- `id` (…): question``) with the count of its numbered items and whether it is
/// on the 1-5 scale.
pub fn judge_criteria(prompt: &str) -> Option<Vec<(String, usize, bool)>> {
    let at = prompt.rfind("\nCRITERIA: ")?;
    let mut out: Vec<(String, usize, bool)> = Vec::new();
    for line in prompt[at + 1..].lines().skip(1) {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("- `") {
            let id = rest.split('`').next().unwrap_or_default().to_string();
            out.push((id, 0, line.contains("1 (poor) to 5")));
        } else if line.starts_with("    ")
            && t.split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
            && let Some(last) = out.last_mut()
        {
            last.1 += 1;
        } else if !t.is_empty() {
            break;
        }
    }
    Some(out)
}

/// The two outputs of a pairwise judge prompt (OUTPUT 1, then OUTPUT 2), when `prompt`
/// is one: the texts between each `<<<FENCE-…` line and its closing line.
pub fn pairwise_outputs(prompt: &str) -> Option<(String, String)> {
    if !prompt.contains("\nOUTPUT 2 (") {
        return None;
    }
    let mut texts = Vec::new();
    let mut rest = prompt;
    while let Some(open) = rest.find("\n<<<FENCE-") {
        let after = &rest[open + 4..];
        let end_of_line = after.find('\n')?;
        let close = format!("\n{}>>>", &after[..end_of_line]);
        let body = &after[end_of_line + 1..];
        let at = body.find(&close)?;
        texts.push(body[..at].to_string());
        rest = &body[at + close.len()..];
    }
    let mut texts = texts.into_iter();
    Some((texts.next()?, texts.next()?))
}

/// A pairwise judge's answer to `prompt`, when it is a pairwise prompt: for every
/// criterion it asks about, `better(first, second)` (`"1"`, `"2"` or `"tie"`).
pub fn pairwise_reply(prompt: &str, better: impl Fn(&str, &str) -> &'static str) -> Option<Reply> {
    let (first, second) = pairwise_outputs(prompt)?;
    let answers: Vec<_> = judge_criteria(prompt)?
        .iter()
        .map(|(id, _, _)| {
            serde_json::json!({"id": id, "better": better(&first, &second), "evidence": "", "reason": "compared"})
        })
        .collect();
    let answer = serde_json::json!({ "criteria": answers }).to_string();
    Some(Reply::ok(chat(&answer, "stop")))
}

pub fn chat(text: &str, finish: &str) -> String {
    serde_json::json!({
        "id": "gen-1",
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": text }, "finish_reason": finish }],
        "usage": { "prompt_tokens": 12, "completion_tokens": 34, "completion_tokens_details": { "reasoning_tokens": 20 }, "cost": 0.00042 }
    })
    .to_string()
}

/// A chat-completions success body with the given token counts and no provider-reported
/// cost, so that the cost comes from the prices in the config (hand-computed in tests).
pub fn chat_usage(text: &str, prompt_tokens: u64, completion_tokens: u64) -> String {
    serde_json::json!({
        "id": "gen-1",
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": text }, "finish_reason": "stop" }],
        "usage": { "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens }
    })
    .to_string()
}

/// An Anthropic Messages API success body.
pub fn messages(text: &str, stop_reason: &str) -> String {
    serde_json::json!({
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "content": [{ "type": "text", "text": text }],
        "stop_reason": stop_reason,
        "usage": { "input_tokens": 3, "output_tokens": 4 }
    })
    .to_string()
}

/// Answers a chat-completions request the way a cooperative model would, by reading the
/// prompt: valid judge JSON (every verdict the best on its scale, one per item of a
/// criterion judged per item) for a judge prompt, `tie` on every criterion for a pairwise
/// prompt, an oracle's JSON `NO` for an oracle prompt, and a short piece of prose
/// otherwise.
pub fn model_reply(body: &str) -> Reply {
    let prompt = last_prompt(body);
    let prompt = prompt.as_ref();
    if let Some(reply) = pairwise_reply(prompt, |_, _| "tie") {
        return reply;
    }
    if let Some(criteria) = judge_criteria(prompt) {
        let answers: Vec<_> = criteria
            .iter()
            .map(|(id, items, five)| {
                let verdict = if *five {
                    serde_json::json!(5)
                } else {
                    serde_json::json!("pass")
                };
                if *items == 0 {
                    serde_json::json!({"id": id, "verdict": verdict, "evidence": "", "reason": "fine"})
                } else {
                    let list: Vec<_> = (1..=*items)
                        .map(|n| serde_json::json!({"item": n, "verdict": verdict, "evidence": "", "reason": "fine"}))
                        .collect();
                    serde_json::json!({"id": id, "items": list})
                }
            })
            .collect();
        let answer = serde_json::json!({ "criteria": answers }).to_string();
        return Reply::ok(chat(&answer, "stop"));
    }
    if prompt.contains("HIDDEN CONSTRAINTS") {
        return Reply::ok(chat(r#"{"answer": "NO", "reveals": []}"#, "stop"));
    }
    Reply::ok(chat(
        "The ferry left at dusk, and nobody on the quay waved.",
        "stop",
    ))
}

/// The text of a request's last message; empty when the body has none. Read without
/// building a JSON tree: the benchmark's server shares the machine with the engine
/// under test, so it should take little of it.
fn last_prompt(body: &str) -> std::borrow::Cow<'_, str> {
    #[derive(serde::Deserialize)]
    struct Chat<'a> {
        #[serde(borrow)]
        messages: Vec<Said<'a>>,
    }
    #[derive(serde::Deserialize)]
    struct Said<'a> {
        #[serde(borrow)]
        content: std::borrow::Cow<'a, str>,
    }
    match serde_json::from_str::<Chat<'_>>(body) {
        Ok(chat) => chat.messages.into_iter().last().map(|m| m.content),
        // Another shape (an earlier message's content in parts): read it as a tree.
        Err(_) => serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                Some(
                    v["messages"].as_array()?.last()?["content"]
                        .as_str()?
                        .to_string()
                        .into(),
                )
            }),
    }
    .unwrap_or_default()
}

/// [`model_reply`] as the Messages API would give it: the same text, stop and tokens.
pub fn messages_reply(body: &str) -> Reply {
    match model_reply(body) {
        Reply::Json { body, .. } => {
            let chat: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            Reply::ok(batch::as_message(&chat).to_string())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_alarm_wakes_each_waiter_at_its_deadline_never_before() {
        let alarm = Alarm::start();
        let start = Instant::now();
        let woke = Arc::new(Mutex::new(Vec::new()));
        // Added latest-first: a later arrival with an earlier deadline still wakes first.
        let waits: Vec<_> = [60u64, 20, 40]
            .into_iter()
            .map(|ms| {
                let (alarm, woke) = (alarm.clone(), Arc::clone(&woke));
                tokio::spawn(async move {
                    let deadline = start + Duration::from_millis(ms);
                    let late = alarm.until(deadline).await;
                    assert!(Instant::now() >= deadline, "{ms} ms woke early");
                    woke.lock().unwrap().push(ms);
                    late
                })
            })
            .collect();
        for w in waits {
            let late = w.await.unwrap();
            assert!(late < Duration::from_secs(5), "{late:?}");
        }
        assert_eq!(*woke.lock().unwrap(), vec![20, 40, 60]);
        // A deadline already past returns at once.
        let late = alarm.until(start).await;
        assert!(late >= Duration::from_millis(60), "{late:?}");
    }

    #[test]
    fn lateness_is_the_mean_and_the_largest() {
        let l = Lateness::default();
        l.add(Duration::from_micros(100));
        l.add(Duration::from_micros(500));
        l.add(Duration::from_micros(300));
        let server = |lateness| FakeServer {
            addr: "127.0.0.1:1".parse().unwrap(),
            seen: Arc::default(),
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
            streamed: Arc::default(),
            admission: None,
            lateness,
        };
        // (100 + 500 + 300) / 3 = 300 µs; the largest is 500 µs.
        assert_eq!(
            server(Arc::new(l)).lateness(),
            (Duration::from_micros(300), Duration::from_micros(500))
        );
        assert_eq!(
            server(Arc::default()).lateness(),
            (Duration::ZERO, Duration::ZERO)
        );
    }
}
