//! The HTTP endpoint shared by the real providers: a reqwest client (rustls), the base
//! URL, the request headers (API key included), the provider's [`Limits`], and the
//! provider boundary: everything a provider hands back leaves through here.
//!
//! One [`Endpoint::post`] is one logical call: every attempt sends the JSON body, reads
//! at most `max_response_bytes` of the answer as it arrives (a longer one is
//! [`CallError::TooLarge`], the rest unread), maps an error status to
//! [`CallError::Status`] (with a capped `Retry-After`), and hands a success body to the
//! provider's parser. A body that ends early or is not the JSON the parser expects is
//! [`CallError::Malformed`], which is retried like a 5xx. A redirect is never followed
//! (the request carries the key): it is a [`CallError::Status`] that names where the
//! provider pointed, not retried.
//!
//! A refusal (HTTP 401, 402, 403; 404 for one model) is remembered: later calls fail at
//! once with [`CallError::Refused`] and send nothing. The completion text and every
//! error text are scrubbed of the provider's secrets on the way out
//! ([`Secrets::scrub`], [`Secrets::scrub_error`]).

use super::Parsed;
use crate::call::{CallError, Completion, Refusal};
use crate::limits::{Limits, retry_after};
use crate::secret::Secrets;
use bytes::Bytes;
use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The largest response body a provider may send unless its config says otherwise: far
/// above any real answer (a 32k-token answer with its reasoning is well under 1 MiB),
/// far below what would hurt a run that holds many answers at once.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;

/// How much of an error body is read: enough for any message worth showing.
const MAX_ERROR_BODY_BYTES: u64 = 64 * 1024;

/// What an endpoint needs besides its limits. No `Debug`: it holds the key.
pub(crate) struct Settings<'a> {
    pub provider: &'a str,
    pub base_url: &'a str,
    pub headers: &'a [(String, String)],
    /// The variable the key came from (named in refusals).
    pub key_env: Option<&'a str>,
    /// The key itself, scrubbed from everything the provider sends back.
    pub key: Option<&'a str>,
    pub max_response_bytes: u64,
}

pub struct Endpoint {
    provider: String,
    key_env: Option<String>,
    /// Sends the provider's headers (API key included) with every request.
    client: reqwest::Client,
    base_url: String,
    secrets: Secrets,
    max_response_bytes: u64,
    refused: Mutex<Refused>,
    pub(crate) limits: Limits,
}

/// What the provider has refused for good.
#[derive(Debug, Default)]
struct Refused {
    /// Everything (401, 402, 403).
    all: Option<CallError>,
    /// One model id (404).
    models: BTreeMap<String, CallError>,
}

impl fmt::Debug for Endpoint {
    // Headers hold the key: never print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    pub(crate) fn new(s: Settings<'_>, limits: Limits) -> Result<Endpoint, CallError> {
        let provider = s.provider;
        let mut map = HeaderMap::new();
        let mut secrets: Vec<String> = s.key.map(str::to_string).into_iter().collect();
        for (k, v) in s.headers {
            let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| {
                CallError::Config(format!("provider `{provider}`: invalid header name `{k}`"))
            })?;
            let mut value = HeaderValue::from_str(v).map_err(|_| {
                // The value may be a key: do not echo it.
                CallError::Config(format!(
                    "provider `{provider}`: header `{k}` has a value that is not valid in HTTP"
                ))
            })?;
            if is_secret_header(k) {
                value.set_sensitive(true);
                secrets.push(v.strip_prefix("Bearer ").unwrap_or(v).to_string());
            }
            map.insert(name, value);
        }
        let client = reqwest::Client::builder()
            .default_headers(map)
            // A redirect is answered as an error, never followed: the request carries the
            // key, and reqwest's own policy strips only `authorization` on the way to
            // another origin (an `x-api-key` would go along).
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(256)
            .connect_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| CallError::Config(format!("provider `{provider}`: HTTP client: {e}")))?;
        Ok(Endpoint {
            provider: provider.to_string(),
            key_env: s.key_env.map(str::to_string),
            client,
            base_url: s.base_url.trim_end_matches('/').to_string(),
            secrets: Secrets::new(secrets),
            max_response_bytes: s.max_response_bytes,
            refused: Mutex::new(Refused::default()),
            limits,
        })
    }

    /// POSTs `body` (a request for `model`) to `url` (from [`Endpoint::url`], made once
    /// per provider) under the limits and parses the answer. The completion's text and
    /// any error are scrubbed of secrets.
    pub(crate) async fn post(
        &self,
        url: &Url,
        model: &str,
        body: &(impl serde::Serialize + Sync),
        parse: fn(&[u8]) -> Result<Parsed, CallError>,
    ) -> Result<Completion, CallError> {
        match self.post_unscrubbed(url, model, body, parse).await {
            Ok((parsed, attempts, latency)) => Ok(Completion {
                text: self.secrets.scrub(&parsed.text),
                finish: parsed.finish,
                usage: parsed.usage,
                cost_usd: parsed.cost,
                latency,
                attempts,
                batch: None,
            }),
            Err(e) => Err(self.secrets.scrub_error(e)),
        }
    }

    async fn post_unscrubbed(
        &self,
        url: &Url,
        model: &str,
        body: &(impl serde::Serialize + Sync),
        parse: fn(&[u8]) -> Result<Parsed, CallError>,
    ) -> Result<(Parsed, u32, Duration), CallError> {
        if let Some(refused) = self.refused(model) {
            return Err(refused);
        }
        let bytes = Bytes::from(
            serde_json::to_vec(body)
                .map_err(|e| CallError::Config(format!("cannot encode the request: {e}")))?,
        );
        let ((parsed, latency), attempts) = self
            .limits
            .run(|| {
                // Both clones are cheap: a shared buffer and a parsed URL.
                let url = url.clone();
                let bytes = bytes.clone();
                async move {
                    // Another call may have been refused while this one waited.
                    if let Some(refused) = self.refused(model) {
                        return Err(refused);
                    }
                    self.attempt(url, bytes, parse)
                        .await
                        .map_err(|e| self.remember_refusal(model, e))
                }
            })
            .await?;
        Ok((parsed, attempts, latency))
    }

    async fn attempt(
        &self,
        url: Url,
        bytes: Bytes,
        parse: fn(&[u8]) -> Result<Parsed, CallError>,
    ) -> Result<(Parsed, Duration), CallError> {
        let started = Instant::now();
        let body = self
            .send_once(
                reqwest::Method::POST,
                url,
                Some(("application/json", bytes)),
                self.max_response_bytes,
            )
            .await?;
        Ok((parse(&body)?, started.elapsed()))
    }

    /// Sends one request of a provider's batch API (`method` to `<base_url>/<path>`, or
    /// to `path` itself when it is a URL under the base URL's origin) with `body` (its
    /// content type and bytes), under the limits and retries, and returns the success
    /// body, read up to `limit` bytes (a longer one is [`CallError::TooLarge`]). Refusals
    /// are remembered as for [`Endpoint::post`] (a 404 for the pseudo-model `batch`
    /// only); errors are scrubbed.
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<(&str, Bytes)>,
        limit: u64,
    ) -> Result<Vec<u8>, CallError> {
        const BATCH: &str = "batch";
        if let Some(refused) = self.refused(BATCH) {
            return Err(refused);
        }
        let url = self.url(path)?;
        let result = self
            .limits
            .run(|| {
                let (method, url, body) = (method.clone(), url.clone(), body.clone());
                async move {
                    if let Some(refused) = self.refused(BATCH) {
                        return Err(refused);
                    }
                    // A 404 names a missing batch or file, not a refused model.
                    self.send_once(method, url, body, limit)
                        .await
                        .map_err(|e| match e {
                            CallError::Status { code: 404, .. } => e,
                            e => self.remember_refusal(BATCH, e),
                        })
                }
            })
            .await;
        result
            .map(|(bytes, _)| bytes)
            .map_err(|e| self.secrets.scrub_error(e))
    }

    /// `<base_url>/<path>`, or `path` when it is an absolute URL on the base URL's scheme,
    /// host and port (a results URL the provider handed back). Any other URL is refused:
    /// the request carries the key, which must not go anywhere else.
    pub(crate) fn url(&self, path: &str) -> Result<Url, CallError> {
        if !(path.starts_with("http://") || path.starts_with("https://")) {
            let url = format!("{}/{}", self.base_url, path.trim_start_matches('/'));
            return Url::parse(&url).map_err(|e| {
                CallError::Config(format!(
                    "provider `{}`: base_url `{}` does not make a URL ({e})",
                    self.provider,
                    self.secrets.excerpt(&self.base_url)
                ))
            });
        }
        // Scheme, host and port, as `Url::origin` compares them.
        let base = Url::parse(&self.base_url).ok();
        match Url::parse(path) {
            Ok(url) if base.is_some_and(|b| b.origin() == url.origin()) => Ok(url),
            _ => Err(CallError::Malformed(format!(
                "provider `{}` named a results URL on another host ({}); the key is never sent there",
                self.provider,
                self.secrets.excerpt(path)
            ))),
        }
    }

    /// One request (no retries): the success's body, read up to `limit` bytes (a longer
    /// one is [`CallError::TooLarge`], unread past the cap); an error status as
    /// [`CallError::Status`] with the start of its body and its `Retry-After`.
    async fn send_once(
        &self,
        method: reqwest::Method,
        url: Url,
        body: Option<(&str, Bytes)>,
        limit: u64,
    ) -> Result<Vec<u8>, CallError> {
        let mut request = self
            .client
            .request(method, url)
            .timeout(self.limits.retry.timeout);
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let mut response = request.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        if status.is_redirection() {
            let to = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("an address it did not give");
            return Err(CallError::Status {
                code: status.as_u16(),
                body: format!(
                    "the provider redirected to {to}; redirects are not followed (the request carries the key): set the provider's base_url to where it now answers"
                ),
                retry_after: None,
            });
        }
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(retry_after);
            let (body, _) = self
                .read_capped(&mut response, MAX_ERROR_BODY_BYTES.min(limit))
                .await?;
            return Err(CallError::Status {
                code: status.as_u16(),
                body: String::from_utf8_lossy(&body).into_owned(),
                retry_after,
            });
        }
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(CallError::TooLarge { limit });
        }
        let (body, over) = self.read_capped(&mut response, limit).await?;
        if over {
            return Err(CallError::TooLarge { limit });
        }
        Ok(body)
    }

    /// A parsed answer that came back in a batch, as [`Endpoint::post`] hands one out:
    /// its text scrubbed of secrets.
    pub(crate) fn completion(&self, parsed: Parsed, latency: Duration) -> Completion {
        Completion {
            text: self.secrets.scrub(&parsed.text),
            finish: parsed.finish,
            usage: parsed.usage,
            cost_usd: parsed.cost,
            latency,
            attempts: 1,
            batch: None,
        }
    }

    /// `e`, scrubbed of secrets and shortened (for errors read out of a batch's results).
    pub(crate) fn scrub_error(&self, e: CallError) -> CallError {
        self.secrets.scrub_error(e)
    }

    /// A batch line's refusing status (401-404) as the refusal [`Endpoint::post`] would
    /// have made of it, remembered for `model` (a 404) or the provider; other errors
    /// unchanged.
    pub(crate) fn refusal(&self, model: &str, e: CallError) -> CallError {
        self.remember_refusal(model, e)
    }

    /// A provider's text, scrubbed of secrets and shortened.
    pub(crate) fn scrub_text(&self, text: &str) -> String {
        self.secrets.excerpt(text)
    }

    /// The provider's name in `fabula.yaml`.
    pub(crate) fn provider(&self) -> &str {
        &self.provider
    }

    /// The most bytes one answer may have (`max_response_bytes`).
    pub(crate) fn max_response_bytes(&self) -> u64 {
        self.max_response_bytes
    }

    /// Reads the body as it arrives, keeping at most `limit` bytes; says whether there
    /// was more (which is left unread: the connection is dropped with the response).
    async fn read_capped(
        &self,
        response: &mut reqwest::Response,
        limit: u64,
    ) -> Result<(Vec<u8>, bool), CallError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let expected = response
            .content_length()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(16 * 1024);
        let mut body = Vec::with_capacity(expected.min(limit));
        while let Some(chunk) = response.chunk().await.map_err(|e| self.body_error(e))? {
            let room = limit - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                return Ok((body, true));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((body, false))
    }

    /// The refusal in force for `model`, if any.
    fn refused(&self, model: &str) -> Option<CallError> {
        let r = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        r.all.clone().or_else(|| r.models.get(model).cloned())
    }

    /// Turns a refusing status into [`CallError::Refused`] and remembers it.
    fn remember_refusal(&self, model: &str, e: CallError) -> CallError {
        let CallError::Status { code, body, .. } = &e else {
            return e;
        };
        if !Refusal::is_refusal(*code) {
            return e;
        }
        let per_model = *code == 404;
        let refused = CallError::Refused(Box::new(Refusal {
            provider: self.provider.clone(),
            model: per_model.then(|| model.to_string()),
            status: *code,
            key_env: self.key_env.clone(),
            detail: body.clone(),
        }));
        let mut r = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        if per_model {
            r.models.insert(model.to_string(), refused.clone());
        } else {
            r.all.get_or_insert(refused.clone());
        }
        refused
    }

    fn transport_error(&self, e: reqwest::Error) -> CallError {
        if e.is_timeout() {
            CallError::Timeout(self.limits.retry.timeout)
        } else {
            CallError::Connection(describe(&e))
        }
    }

    fn body_error(&self, e: reqwest::Error) -> CallError {
        if e.is_timeout() {
            CallError::Timeout(self.limits.retry.timeout)
        } else {
            CallError::Malformed(format!(
                "the response body ended early or could not be read ({})",
                describe(&e)
            ))
        }
    }
}

/// The error and its causes on one line. URLs carry no secrets: keys go in headers.
fn describe(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn is_secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "authorization" || n.contains("key") || n.contains("token")
}
