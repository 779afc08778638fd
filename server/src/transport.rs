//! The wire: LSP frames between the client's pipe and tower-lsp-server, with three jobs
//! tower-lsp-server does not do.
//!
//! - **A bad message is answered, not fatal.** tower-lsp-server stops reading after the
//!   first body it cannot decode (invalid JSON, an unpaired surrogate escape such as
//!   `"\ud800"`, JSON that is not a JSON-RPC message), so the server would end silently
//!   and the client's next write would hit a broken pipe. Every body is checked here
//!   first; a bad one gets a `-32700 Parse error` (or `-32600 Invalid request`) answer and
//!   a log line, and reading goes on.
//! - **`initialized` waits for the `initialize` answer.** A client that sends it before
//!   reading that answer (forbidden, but it happens) would have it dropped by
//!   tower-lsp-server, leaving the project unloaded. It is held here until the answer has
//!   gone out, then delivered.
//! - **Edits go straight to the change loop, in wire order.** `didOpen`, `didChange`,
//!   `didClose` and `didChangeWatchedFiles` never reach tower-lsp-server's concurrent
//!   dispatch: they are handed to [`Handler::in_order`] as they are read, so their
//!   order is the client's, by construction.

use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, watch};
use tower_lsp_server::jsonrpc::{Request, Response};

/// Largest body accepted (a 8 MiB file as JSON, escaped, with room to spare).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// What the transport hands to the server proper.
pub trait Handler: Send + Sync + 'static {
    /// Handles a notification that must be applied in wire order. False: not one of
    /// those; it goes to tower-lsp-server.
    fn in_order(&self, method: &str, params: Value) -> bool;
}

/// Serves `service` on `input`/`output` through this transport until `exit` or the end
/// of input.
pub async fn serve<I, O, S>(
    input: I,
    output: O,
    service: tower_lsp_server::LspService<S>,
    socket: tower_lsp_server::ClientSocket,
    handler: Arc<dyn Handler>,
) where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
    S: tower_lsp_server::LanguageServer,
{
    let (to_server, server_input) = tokio::io::duplex(1 << 16);
    let (server_output, from_server) = tokio::io::duplex(1 << 16);
    let (out_tx, out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let (answered_tx, answered_rx) = watch::channel(false);
    let initialize_id: Arc<Mutex<Option<Value>>> = Arc::default();
    let server = tower_lsp_server::Server::new(server_input, server_output, socket).serve(service);
    let reading = read(
        input,
        to_server,
        out_tx.clone(),
        handler,
        answered_rx,
        initialize_id.clone(),
    );
    let relaying = relay(from_server, out_tx, answered_tx, initialize_id);
    let writing = write(out_rx, output);
    tokio::join!(server, reading, relaying, writing);
}

/// Reads the client's frames: checks each body, answers bad ones, sends edits to the
/// change loop and everything else to tower-lsp-server.
async fn read<I, W>(
    input: I,
    mut to_server: W,
    out: mpsc::UnboundedSender<Vec<u8>>,
    handler: Arc<dyn Handler>,
    mut answered: watch::Receiver<bool>,
    initialize_id: Arc<Mutex<Option<Value>>>,
) where
    I: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut input = BufReader::new(input);
    loop {
        let body = match read_frame(&mut input).await {
            Frame::Body(body) => body,
            Frame::Bad(why) => {
                tracing::warn!("unreadable message from the client: {why}");
                let _ = out.send(encode(&error_answer(Value::Null, -32700, &why)));
                continue;
            }
            Frame::End => break,
        };
        let mut value: Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(err) => {
                let why = format!("Parse error: {err}");
                tracing::warn!("message from the client is not JSON: {err}");
                let _ = out.send(encode(&error_answer(Value::Null, -32700, &why)));
                continue;
            }
        };
        if Response::deserialize(&value).is_err() && Request::deserialize(&value).is_err() {
            let id = value.get("id").cloned().unwrap_or(Value::Null);
            tracing::warn!("message from the client is not a JSON-RPC message: {value:.200}");
            let answer = error_answer(id, -32600, "Invalid request: not a JSON-RPC message");
            let _ = out.send(encode(&answer));
            continue;
        }
        let method = value
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let is_request = value.get("id").is_some();
        match method.as_str() {
            "initialize" if is_request => {
                *lock(&initialize_id) = value.get("id").cloned();
            }
            "initialized" if !*answered.borrow() => {
                tracing::warn!(
                    "the client sent `initialized` before reading the `initialize` answer; \
                     delivering it after that answer"
                );
                let _ = answered.wait_for(|a| *a).await;
            }
            _ => {}
        }
        if !is_request && !method.is_empty() {
            // Taken, not copied: a `didOpen` carries the whole file. The body is what goes
            // on to tower-lsp-server, so the parsed value is not needed after this.
            let params = value
                .get_mut("params")
                .map(Value::take)
                .unwrap_or(Value::Null);
            if handler.in_order(&method, params) {
                continue;
            }
        }
        let exit = method == "exit";
        let frame = encode_raw(&body);
        if to_server.write_all(&frame).await.is_err() || to_server.flush().await.is_err() {
            break;
        }
        if exit {
            break;
        }
    }
}

/// Copies tower-lsp-server's frames to the client; notices when the `initialize` answer
/// goes out.
async fn relay<R: AsyncRead + Unpin>(
    from_server: R,
    out: mpsc::UnboundedSender<Vec<u8>>,
    answered: watch::Sender<bool>,
    initialize_id: Arc<Mutex<Option<Value>>>,
) {
    let mut from_server = BufReader::new(from_server);
    loop {
        let body = match read_frame(&mut from_server).await {
            Frame::Body(body) => body,
            Frame::Bad(why) => {
                tracing::error!("tower-lsp-server wrote a bad frame: {why}");
                continue;
            }
            Frame::End => break,
        };
        let is_answer = !*answered.borrow()
            && serde_json::from_slice::<Value>(&body).is_ok_and(|v| {
                v.get("method").is_none()
                    && v.get("id").is_some()
                    && v.get("id") == lock(&initialize_id).as_ref()
            });
        let _ = out.send(encode_raw(&body));
        if is_answer {
            answered.send_replace(true);
        }
    }
}

/// Writes whole frames, one at a time, to the client.
async fn write<O: AsyncWrite + Unpin>(mut frames: mpsc::UnboundedReceiver<Vec<u8>>, mut output: O) {
    while let Some(frame) = frames.recv().await {
        if output.write_all(&frame).await.is_err() || output.flush().await.is_err() {
            tracing::debug!("the client's pipe is closed");
            break;
        }
    }
}

enum Frame {
    Body(Vec<u8>),
    /// Headers that cannot be read; the reader has moved past them.
    Bad(String),
    End,
}

async fn read_frame<R: AsyncRead + Unpin>(input: &mut BufReader<R>) -> Frame {
    let mut length: Option<usize> = None;
    let mut bad: Option<String> = None;
    let mut any = false;
    loop {
        let mut line = Vec::new();
        match input.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return Frame::End,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if any {
                break;
            }
            continue; // stray blank lines between frames
        }
        any = true;
        match text.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(_) => bad = Some(format!("bad Content-Length `{}`", value.trim())),
                }
            }
            Some((name, _)) if name.eq_ignore_ascii_case("content-type") => {}
            _ => bad = Some(format!("not a header: `{text:.80}`")),
        }
    }
    if let Some(why) = bad {
        return Frame::Bad(why);
    }
    let Some(length) = length else {
        return Frame::Bad("no Content-Length header".into());
    };
    if length > MAX_BODY {
        // Skip it without holding it.
        let mut rest = (&mut *input).take(length as u64);
        let _ = tokio::io::copy(&mut rest, &mut tokio::io::sink()).await;
        return Frame::Bad(format!("message of {length} bytes is over the limit"));
    }
    let mut body = vec![0; length];
    if input.read_exact(&mut body).await.is_err() {
        return Frame::End;
    }
    Frame::Body(body)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn error_answer(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

fn encode(value: &Value) -> Vec<u8> {
    encode_raw(&serde_json::to_vec(value).unwrap_or_default())
}

fn encode_raw(body: &[u8]) -> Vec<u8> {
    let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    frame.extend_from_slice(body);
    frame
}
