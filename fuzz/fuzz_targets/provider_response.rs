//! Fuzz target: a provider's bytes. Any response body, parsed as chat completions or as
//! Anthropic's Messages API, any `Retry-After` value, and any text scrubbed of a key
//! planted in it, must never panic; a parsed cost is finite and not negative, a wait is
//! capped, and no 8-character start of the key survives scrubbing or excerpting.
#![no_main]

use fabula_engine::limits::{MAX_RETRY_AFTER, retry_after};
use fabula_engine::provider::{parse_chat_completions, parse_messages};
use fabula_engine::secret::{MIN_PREFIX, Secrets};
use libfuzzer_sys::fuzz_target;

const KEY: &str = "sk-or-v1-0123456789abcdef0123456789abcdef";

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    match selector % 4 {
        0 => {
            if let Ok(p) = parse_chat_completions(bytes) {
                assert!(p.cost.is_none_or(|c| c.is_finite() && c >= 0.0), "{p:?}");
            }
        }
        1 => {
            let _ = parse_messages(bytes);
        }
        2 => {
            if let Some(wait) = retry_after(&String::from_utf8_lossy(bytes)) {
                assert!(wait <= MAX_RETRY_AFTER);
            }
        }
        _ => {
            let text = String::from_utf8_lossy(bytes);
            // Plant a prefix of the key (of a length the input picks) at a character
            // boundary the input picks.
            let len = MIN_PREFIX + usize::from(selector) % (KEY.len() - MIN_PREFIX + 1);
            let mut at = bytes.len().min(usize::from(selector) * 7) % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let planted = format!("{}{}{}", &text[..at], &KEY[..len], &text[at..]);
            let secrets = Secrets::new([KEY.to_string()]);
            for shown in [secrets.scrub(&planted), secrets.excerpt(&planted)] {
                assert!(!shown.contains(&KEY[..MIN_PREFIX]), "{shown}");
            }
        }
    }
});
