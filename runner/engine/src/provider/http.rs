//! The HTTP endpoint shared by the real providers: a reqwest client (rustls), the base
//! URL, the request headers (API key included) and the provider's [`Limits`].
//!
//! One [`Endpoint::post`] is one logical call: every attempt sends the JSON body, reads
//! the whole response, maps an error status to [`CallError::Status`] (with
//! `Retry-After`), and hands a success body to the provider's parser. A body that ends
//! early or is not the JSON the parser expects is [`CallError::Malformed`], which is
//! retried like a 5xx.

use crate::call::{CallError, excerpt};
use crate::limits::Limits;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use std::fmt;
use std::time::{Duration, Instant, SystemTime};

pub struct Endpoint {
    pub(crate) provider: String,
    client: reqwest::Client,
    base_url: String,
    headers: HeaderMap,
    /// Secret header values (and bare keys): scrubbed from anything we report.
    secrets: Vec<String>,
    pub(crate) limits: Limits,
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
    pub fn new(
        provider: &str,
        base_url: &str,
        headers: &[(String, String)],
        limits: Limits,
    ) -> Result<Endpoint, CallError> {
        let mut map = HeaderMap::new();
        let mut secrets = Vec::new();
        for (k, v) in headers {
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
                secrets.push(v.clone());
                if let Some(bare) = v.strip_prefix("Bearer ") {
                    secrets.push(bare.to_string());
                }
            }
            map.insert(name, value);
        }
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .connect_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| CallError::Config(format!("provider `{provider}`: HTTP client: {e}")))?;
        Ok(Endpoint {
            provider: provider.to_string(),
            client,
            base_url: base_url.trim_end_matches('/').to_string(),
            headers: map,
            secrets: secrets.into_iter().filter(|s| s.len() >= 4).collect(),
            limits,
        })
    }

    /// POSTs `body` to `<base_url>/<path>` under the limits and parses the answer.
    /// Returns the parsed value, the attempts made and the latency of the successful
    /// attempt.
    pub async fn post<T>(
        &self,
        path: &str,
        body: &serde_json::Value,
        parse: impl Fn(&[u8]) -> Result<T, CallError>,
    ) -> Result<(T, u32, Duration), CallError> {
        self.post_unscrubbed(path, body, parse)
            .await
            .map_err(|e| self.scrub(e))
    }

    /// A provider may echo what it was sent (some echo a rejected key): remove every
    /// secret from the error before anyone sees it.
    fn scrub(&self, e: CallError) -> CallError {
        let clean = |s: String| {
            self.secrets
                .iter()
                .fold(s, |acc, secret| acc.replace(secret.as_str(), "[redacted]"))
        };
        match e {
            CallError::Status {
                code,
                body,
                retry_after,
            } => CallError::Status {
                code,
                body: clean(body),
                retry_after,
            },
            CallError::Malformed(m) => CallError::Malformed(clean(m)),
            CallError::Connection(m) => CallError::Connection(clean(m)),
            CallError::Exhausted { attempts, last } => CallError::Exhausted {
                attempts,
                last: Box::new(self.scrub(*last)),
            },
            other => other,
        }
    }

    async fn post_unscrubbed<T>(
        &self,
        path: &str,
        body: &serde_json::Value,
        parse: impl Fn(&[u8]) -> Result<T, CallError>,
    ) -> Result<(T, u32, Duration), CallError> {
        let url = format!("{}/{}", self.base_url, path.trim_start_matches('/'));
        let bytes = serde_json::to_vec(body)
            .map_err(|e| CallError::Config(format!("cannot encode the request: {e}")))?;
        let parse = &parse;
        let ((value, latency), attempts) = self
            .limits
            .run(|| {
                let url = url.clone();
                let bytes = bytes.clone();
                async move {
                    let started = Instant::now();
                    let response = self
                        .client
                        .post(&url)
                        .headers(self.headers.clone())
                        .header("content-type", "application/json")
                        .timeout(self.limits.retry.timeout)
                        .body(bytes)
                        .send()
                        .await
                        .map_err(|e| self.transport_error(e))?;
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after);
                    let body = response.bytes().await.map_err(|e| {
                        if e.is_timeout() {
                            CallError::Timeout(self.limits.retry.timeout)
                        } else {
                            CallError::Malformed(format!(
                                "the response body ended early or could not be read ({})",
                                describe(&e)
                            ))
                        }
                    })?;
                    if !status.is_success() {
                        return Err(CallError::Status {
                            code: status.as_u16(),
                            body: excerpt(&String::from_utf8_lossy(&body)),
                            retry_after,
                        });
                    }
                    let value = parse(&body)?;
                    Ok((value, started.elapsed()))
                }
            })
            .await?;
        Ok((value, attempts, latency))
    }

    fn transport_error(&self, e: reqwest::Error) -> CallError {
        if e.is_timeout() {
            CallError::Timeout(self.limits.retry.timeout)
        } else {
            CallError::Connection(describe(&e))
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

/// `Retry-After` as delay-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("soon"), None);
        let past = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(parse_retry_after(past), Some(Duration::ZERO));
        let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let d = parse_retry_after(&future).unwrap();
        assert!(d > Duration::from_secs(100) && d <= Duration::from_secs(120));
    }
}
