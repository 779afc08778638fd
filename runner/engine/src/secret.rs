//! Keeping API keys out of everything a provider hands back. A provider may echo what it
//! was sent (an error that quotes the rejected key, a model that repeats its prompt's
//! headers), so every string that leaves a provider — completion text and every error
//! text — goes through [`Secrets`] at the provider boundary (`provider/http.rs`).
//!
//! [`Secrets::scrub`] removes each key and every prefix of it at least
//! [`MIN_PREFIX`] characters long, wherever it appears; [`Secrets::excerpt`] scrubs
//! first and only then shortens, so a cut can never leave the start of a key behind.

use crate::call::{CallError, Refusal, excerpt};
use std::fmt;

/// The shortest start of a key that is still treated as the key. Shorter starts
/// (`sk-or-v`) are shared by every key of a provider and say nothing about this one.
pub const MIN_PREFIX: usize = 8;

/// Values shorter than this are not scrubbed: they are not keys, and removing them
/// would mangle ordinary text.
const MIN_SECRET: usize = 4;

const REDACTED: &str = "[redacted]";

/// The secret values of one provider: its key and any other secret header value.
#[derive(Clone, Default)]
pub struct Secrets {
    values: Vec<String>,
}

impl fmt::Debug for Secrets {
    // Never the values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} values)", self.values.len())
    }
}

impl Secrets {
    pub fn new(values: impl IntoIterator<Item = String>) -> Secrets {
        let mut values: Vec<String> = values
            .into_iter()
            .filter(|v| v.len() >= MIN_SECRET)
            .collect();
        values.sort();
        values.dedup();
        Secrets { values }
    }

    /// `text` with every secret, and every prefix of one that is at least
    /// [`MIN_PREFIX`] bytes long, replaced by `[redacted]`.
    pub fn scrub(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for secret in &self.values {
            let secret = secret.as_bytes();
            let head = &secret[..secret.len().min(MIN_PREFIX)];
            let mut from = 0;
            while let Some(at) = find(&bytes[from..], head) {
                let start = from + at;
                let mut end = start + head.len();
                while end < bytes.len()
                    && end - start < secret.len()
                    && bytes[end] == secret[end - start]
                {
                    end += 1;
                }
                // `head` is a whole short secret or a prefix long enough to identify a
                // long one: either way the match goes, as far as it runs.
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                spans.push((start, end));
                from = start + 1;
            }
        }
        if spans.is_empty() {
            return text.to_string();
        }
        spans.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end) in spans {
            if end <= at {
                continue;
            }
            if start >= at {
                out.push_str(&text[at..start]);
                out.push_str(REDACTED);
            }
            at = end;
        }
        out.push_str(&text[at..]);
        out
    }

    /// A short single-line excerpt of a provider's text for an error message: scrubbed
    /// first, then cut.
    pub fn excerpt(&self, text: &str) -> String {
        excerpt(&self.scrub(text))
    }

    /// `e` with every text in it excerpted (so scrubbed).
    pub fn scrub_error(&self, e: CallError) -> CallError {
        match e {
            CallError::Status {
                code,
                body,
                retry_after,
            } => CallError::Status {
                code,
                body: self.excerpt(&body),
                retry_after,
            },
            CallError::Refused(r) => CallError::Refused(Box::new(Refusal {
                detail: self.excerpt(&r.detail),
                ..*r
            })),
            CallError::Malformed(m) => CallError::Malformed(self.excerpt(&m)),
            CallError::Connection(m) => CallError::Connection(self.excerpt(&m)),
            CallError::Config(m) => CallError::Config(self.scrub(&m)),
            CallError::Deferred { why, sent } => CallError::Deferred {
                why: self.scrub(&why),
                sent,
            },
            CallError::Exhausted { attempts, last } => CallError::Exhausted {
                attempts,
                last: Box::new(self.scrub_error(*last)),
            },
            other @ (CallError::MissingKey { .. }
            | CallError::TooLarge { .. }
            | CallError::OverBudget { .. }
            | CallError::Timeout(_)
            | CallError::CircuitOpen { .. }) => other,
        }
    }
}

/// The first position of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: [&str; 3] = [
        "sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef01234567",
        "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz_0123456789-abcdefghijklmnop",
        "tiny-key-9",
    ];

    /// Whether `shown` holds any part of `key` that must not survive.
    fn leaks(shown: &str, key: &str) -> bool {
        shown.contains(&key[..MIN_PREFIX])
    }

    #[test]
    fn every_prefix_at_every_offset_is_removed() {
        // Exhaustive over offsets and prefix lengths, with multi-byte text around the key
        // so spans end on character boundaries. (`Z` occurs in no key: text that goes on
        // like the key would rightly be taken for more of it.)
        let filler: String = "ZZ é 字 ".repeat(12);
        let cuts: Vec<usize> = (0..=filler.len())
            .filter(|&i| filler.is_char_boundary(i))
            .collect();
        for key in KEYS {
            let secrets = Secrets::new([key.to_string()]);
            for len in MIN_PREFIX..=key.len() {
                let planted = &key[..len];
                for &at in &cuts {
                    let text = format!("{}{planted}{}", &filler[..at], &filler[at..]);
                    let out = secrets.scrub(&text);
                    assert!(!leaks(&out, key), "{key} len {len} at {at}: {out}");
                    assert_eq!(
                        out,
                        format!("{}{REDACTED}{}", &filler[..at], &filler[at..]),
                        "only the key goes"
                    );
                }
            }
        }
    }

    #[test]
    fn scrubbing_before_cutting_leaves_no_start_of_a_key() {
        let key = KEYS[0];
        let secrets = Secrets::new([key.to_string()]);
        for at in 0..400 {
            let text = format!("{}{key} trailing words", "e".repeat(at));
            let out = secrets.excerpt(&text);
            assert!(!leaks(&out, key), "at {at}: {out}");
            // Not even a short start of the key right before the cut.
            assert!(!out.contains("sk-or"), "at {at}: {out}");
        }
    }

    #[test]
    fn repeated_overlapping_and_adjacent_keys() {
        let key = "aaaaaaaaaaaaaaaab";
        let secrets = Secrets::new([key.to_string(), KEYS[1].to_string()]);
        let text = format!("x{key}{key}aaaaaaaaaaaa{} {}y", KEYS[1], &KEYS[1][..20]);
        let out = secrets.scrub(&text);
        assert!(!out.contains("aaaaaaaa"), "{out}");
        assert!(!leaks(&out, KEYS[1]), "{out}");
        assert!(out.starts_with('x') && out.ends_with('y'), "{out}");
    }

    #[test]
    fn short_values_are_left_alone_and_errors_are_scrubbed_inside_out() {
        let secrets = Secrets::new(["abc".to_string(), KEYS[2].to_string()]);
        assert_eq!(
            secrets.scrub("abc tiny-key-9 tiny-key"),
            "abc [redacted] [redacted]"
        );
        let e = CallError::Exhausted {
            attempts: 2,
            last: Box::new(CallError::Status {
                code: 500,
                body: format!("{} {}", "w".repeat(298), KEYS[2]),
                retry_after: None,
            }),
        };
        let shown = format!("{:?}", secrets.scrub_error(e));
        assert!(!shown.contains("tiny-key"), "{shown}");
        assert_eq!(
            format!("{:?}", Secrets::new([KEYS[0].to_string()])),
            "Secrets(1 values)"
        );
    }
}
