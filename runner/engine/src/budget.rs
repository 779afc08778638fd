//! A spending cap that holds. Every model call under a [`Budget`] first reserves its
//! worst-case cost — every input byte as a token (no tokenizer makes more tokens than
//! bytes) plus a few tokens per message, and all of `max_tokens`, at the model's price —
//! and is refused when the reservation does not fit in what is left. When the call
//! returns, the actual cost (the provider's reported cost, else price × usage) replaces
//! the reservation. So, as long as prices are not below the provider's and the provider
//! honours `max_tokens`, spend never exceeds the cap, however many calls run at once.
//!
//! Amounts are whole nano-dollars ([`Usd`]): sums are exact, and rounding (reservations
//! up, the cap down) only ever errs on the side of the cap.
//!
//! A call that fails after the provider may have generated (a timeout, an unusable or
//! over-size body) is charged its whole reservation, as is a call whose future is
//! dropped mid-flight: what it cost is unknown. Earlier failed attempts of a call that
//! finally succeeded are not seen; the retry policy bounds them.

use fabula_core::model::{Config, Price, ProviderKind};
use std::fmt;
use std::sync::{Arc, Mutex};
use thiserror::Error;

/// An amount of US dollars, in whole nano-dollars.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Usd(u64);

const NANOS: f64 = 1e9;

impl Usd {
    pub const ZERO: Usd = Usd(0);

    /// `usd` rounded up to a nano-dollar; `None` when negative or not finite.
    pub fn ceil(usd: f64) -> Option<Usd> {
        (usd.is_finite() && usd >= 0.0)
            .then(|| Usd((usd * NANOS).ceil().min(u64::MAX as f64) as u64))
    }

    pub fn nanos(self) -> u64 {
        self.0
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / NANOS
    }
}

impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${:.4}", self.as_f64())
    }
}

/// Why a spending cap is not one.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("--max-cost takes a positive amount in US dollars, e.g. 5 or 0.50 (got `{0}`)")]
pub struct InvalidCap(pub String);

/// The one rule for what a spending cap may be: a finite number above zero (at least a
/// nano-dollar). The CLI's `--max-cost` parser is this function.
pub fn parse_cap(text: &str) -> Result<f64, InvalidCap> {
    match text.trim().parse::<f64>() {
        Ok(usd) if valid_cap(usd) => Ok(usd),
        _ => Err(InvalidCap(text.to_string())),
    }
}

fn valid_cap(usd: f64) -> bool {
    usd.is_finite() && usd * NANOS >= 1.0
}

/// The most a call can cost at `price` (USD per million tokens), given a bound on its
/// input tokens ([`crate::call::ChatRequest::input_tokens_bound`]) and its `max_tokens`.
pub fn worst_case(input_tokens: u64, max_tokens: u32, price: Price) -> Option<Usd> {
    let input = input_tokens as f64 * price.input;
    let output = f64::from(max_tokens) * price.output;
    Usd::ceil((input + output) / 1_000_000.0)
}

/// The models among `names` that a budget cannot bound: real (not simulated) and with no
/// `price` in `fabula.yaml`. A run under `--max-cost` should refuse to start while any
/// remain, naming them, unless the user allows unpriced models (`--allow-unpriced`).
pub fn unpriced(config: &Config, names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|name| {
            config.models.get(name.as_str()).is_some_and(|m| {
                let simulated = config
                    .providers
                    .get(&m.provider)
                    .is_some_and(|p| p.kind == ProviderKind::Sim);
                m.price.is_none() && !simulated
            })
        })
        .cloned()
        .collect()
}

/// A run's spending cap, shared by every model call (see the module docs).
#[derive(Debug)]
pub struct Budget {
    cap: Usd,
    allow_unpriced: bool,
    ledger: Mutex<Ledger>,
}

#[derive(Debug, Default)]
struct Ledger {
    spent: u64,
    reserved: u64,
    refused: u64,
}

impl Budget {
    /// A budget of `cap_usd` (by [`parse_cap`]'s rule).
    pub fn new(cap_usd: f64) -> Result<Budget, InvalidCap> {
        if !valid_cap(cap_usd) {
            return Err(InvalidCap(cap_usd.to_string()));
        }
        Ok(Budget {
            cap: Usd((cap_usd * NANOS).floor() as u64),
            allow_unpriced: false,
            ledger: Mutex::new(Ledger::default()),
        })
    }

    /// Lets models without a price call under this budget. Their reservation is zero, so
    /// only their reported costs count, after the fact: the cap can be overrun by them.
    pub fn allowing_unpriced(mut self) -> Budget {
        self.allow_unpriced = true;
        self
    }

    pub fn allows_unpriced(&self) -> bool {
        self.allow_unpriced
    }

    pub fn cap(&self) -> Usd {
        self.cap
    }

    /// What settled calls cost (and the reservations of calls whose cost is unknown).
    pub fn spent(&self) -> Usd {
        Usd(self.ledger().spent)
    }

    /// What is neither spent nor reserved by calls in flight.
    pub fn left(&self) -> Usd {
        let l = self.ledger();
        Usd(self
            .cap
            .0
            .saturating_sub(l.spent.saturating_add(l.reserved)))
    }

    /// Calls refused so far.
    pub fn refused(&self) -> u64 {
        self.ledger().refused
    }

    /// Reserves `worst` for one call, or says how much it needed and how much was left.
    pub fn reserve(self: &Arc<Self>, worst: Usd) -> Result<Reservation, (Usd, Usd)> {
        let mut l = self.ledger();
        let committed = l.spent.saturating_add(l.reserved);
        let left = self.cap.0.saturating_sub(committed);
        if worst.0 > left {
            l.refused += 1;
            return Err((worst, Usd(left)));
        }
        l.reserved += worst.0;
        Ok(Reservation {
            budget: Arc::clone(self),
            amount: worst.0,
            settled: false,
        })
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One call's reservation. Settle it with the actual cost, or release it when nothing
/// was spent; dropped unsettled (the call was cancelled), it is charged in full.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<Budget>,
    amount: u64,
    settled: bool,
}

impl Reservation {
    /// The call cost `actual` (unknown or unusable amounts are charged as reserved).
    pub fn settle(mut self, actual: Option<f64>) {
        let charge = actual.and_then(Usd::ceil).map_or(self.amount, |u| u.0);
        self.close(charge);
    }

    /// The call cost nothing (it was refused before the provider generated anything).
    pub fn release(mut self) {
        self.close(0);
    }

    /// The call's cost is unknown: charge the whole reservation.
    pub fn charge_in_full(mut self) {
        let amount = self.amount;
        self.close(amount);
    }

    fn close(&mut self, charge: u64) {
        let mut l = self.budget.ledger();
        l.reserved -= self.amount;
        l.spent = l.spent.saturating_add(charge);
        self.settled = true;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if !self.settled {
            let amount = self.amount;
            self.close(amount);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::{ChatRequest, Message};

    #[test]
    fn caps_are_positive_finite_amounts() {
        for ok in ["5", "0.05", "1e-3", " 2 "] {
            assert!(parse_cap(ok).is_ok(), "{ok}");
        }
        for bad in [
            "-1", "0", "0.0", "-0", "NaN", "inf", "-inf", "1e999", "abc", "", "1e-12",
        ] {
            let e = parse_cap(bad).unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("--max-cost takes a positive amount"),
                "{bad}: {e}"
            );
        }
        assert!(Budget::new(f64::NAN).is_err());
        assert_eq!(Budget::new(0.05).unwrap().cap(), Usd(50_000_000));
    }

    #[test]
    fn worst_case_by_hand() {
        // 1,000 bytes of system text and 200 of user text: 1,200 + 2 × 8 = 1,216 input
        // tokens at $2/M, and 500 output tokens at $10/M:
        // (1,216 × 2 + 500 × 10) / 1e6 = (2,432 + 5,000) / 1e6 = $0.007432.
        let request = ChatRequest {
            model: "m".into(),
            messages: vec![
                Message::system("s".repeat(1000)),
                Message::user("u".repeat(200)),
            ],
            max_tokens: 500,
            temperature: None,
            reasoning: None,
            verbosity: None,
            json: false,
            response_schema: None,
        };
        assert_eq!(request.input_tokens_bound(), 1216);
        let price = Price {
            input: 2.0,
            output: 10.0,
        };
        assert_eq!(
            worst_case(request.input_tokens_bound(), request.max_tokens, price),
            Some(Usd(7_432_000))
        );
    }

    #[test]
    fn reserve_settle_release_and_drop() {
        let b = Arc::new(Budget::new(0.01).unwrap());
        let r1 = b.reserve(Usd(6_000_000)).unwrap();
        assert_eq!(b.left(), Usd(4_000_000));
        assert_eq!(
            b.reserve(Usd(5_000_000)).unwrap_err(),
            (Usd(5_000_000), Usd(4_000_000))
        );
        assert_eq!(b.refused(), 1);
        r1.settle(Some(0.001));
        assert_eq!((b.spent(), b.left()), (Usd(1_000_000), Usd(9_000_000)));
        b.reserve(Usd(2_000_000)).unwrap().release();
        assert_eq!(b.spent(), Usd(1_000_000));
        drop(b.reserve(Usd(3_000_000)).unwrap());
        assert_eq!(
            b.spent(),
            Usd(4_000_000),
            "a dropped call is charged in full"
        );
        b.reserve(Usd(1_000_000)).unwrap().settle(Some(f64::NAN));
        assert_eq!(
            b.spent(),
            Usd(5_000_000),
            "an unusable cost is charged as reserved"
        );
    }

    #[test]
    fn unpriced_names_real_models_without_a_price() {
        let config: Config = serde_json::from_value(serde_json::json!({
            "version": 1,
            "providers": {"sim": {"kind": "sim"}, "or": {"kind": "openai", "base_url": "https://x", "api_key_env": "K"}},
            "models": {
                "s": {"provider": "sim", "model": "sim/a"},
                "priced": {"provider": "or", "model": "a", "price": {"input": 1, "output": 2}},
                "free": {"provider": "or", "model": "b"}
            },
            "judges": ["s"]
        }))
        .unwrap();
        let names = ["s", "priced", "free"].map(String::from);
        assert_eq!(unpriced(&config, &names), ["free"]);
    }
}
