//! Statistics of scores: the mean over tasks and its bootstrap confidence interval.
//!
//! A model's score over a set of items is the mean over tasks of the mean over that
//! task's samples: every task weighs the same, however many samples it has.
//!
//! The 95% confidence interval is a percentile bootstrap that follows the same two
//! levels: each of [`RESAMPLES`] resamples draws the tasks with replacement and, within
//! each drawn task, its samples with replacement, and takes the score of the resample.
//! The interval runs from the 2.5th to the 97.5th percentile of those scores (linear
//! interpolation between order statistics). The random numbers come from a fixed seed
//! ([`SEED`]), so the same results always print the same interval.
//!
//! Comparisons use the same two levels ([`Resample`]): a paired difference is a value
//! like any other, so its interval is [`bootstrap_ci`] of the differences. Beside it:
//! the paired sign-flip permutation test ([`sign_flip`]), Holm's correction for a family
//! of tests ([`holm`]), and the Bradley–Terry strengths of several configs from their
//! pairwise outcomes ([`bradley_terry`]), with a bootstrap over the same two levels.

/// Resamples drawn per interval.
pub const RESAMPLES: usize = 2000;
/// The seed of every bootstrap: intervals are reproducible.
pub const SEED: u64 = 0x00fa_b01a_5eed_0001;

/// The mean over groups of each group's mean; `None` when no group has a value.
pub fn mean_of_groups(groups: &[Vec<f64>]) -> Option<f64> {
    let means: Vec<f64> = groups.iter().filter_map(|g| mean(g)).collect();
    mean(&means)
}

pub fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The 95% percentile-bootstrap interval of [`mean_of_groups`] (see the module doc);
/// `None` for no values. One task with one sample has a zero-width interval.
pub fn bootstrap_ci(groups: &[Vec<f64>], resamples: usize, seed: u64) -> Option<(f64, f64)> {
    let groups: Vec<&Vec<f64>> = groups.iter().filter(|g| !g.is_empty()).collect();
    if groups.is_empty() || resamples == 0 {
        return None;
    }
    let sizes: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let mut draw = Resample::new(seed);
    let mut stats = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        draw.next(&sizes);
        let mut total = 0.0;
        for (g, items) in draw.groups() {
            let g = groups[g];
            let sum: f64 = items.iter().map(|i| g[*i]).sum();
            total += sum / g.len() as f64;
        }
        stats.push(total / groups.len() as f64);
    }
    Some(interval(stats))
}

/// The 2.5th and 97.5th percentiles of bootstrap statistics.
fn interval(mut stats: Vec<f64>) -> (f64, f64) {
    stats.sort_by(f64::total_cmp);
    (percentile(&stats, 0.025), percentile(&stats, 0.975))
}

/// One two-level bootstrap resample after another: as many groups as there are, drawn
/// with replacement, and within each drawn group as many of its items as it has, drawn
/// with replacement. Every bootstrap of this crate draws through it, so all follow the
/// same levels and the same random sequence for a seed.
#[derive(Clone, Debug)]
pub struct Resample {
    rng: SplitMix,
    /// The groups drawn, in order.
    drawn: Vec<usize>,
    /// The items drawn, group after group (group `k` has `sizes[drawn[k]]` of them).
    items: Vec<usize>,
    sizes: Vec<usize>,
}

impl Resample {
    pub fn new(seed: u64) -> Resample {
        Resample {
            rng: SplitMix(seed),
            drawn: Vec::new(),
            items: Vec::new(),
            sizes: Vec::new(),
        }
    }

    /// Draws the next resample of groups with these sizes (none of them empty).
    pub fn next(&mut self, sizes: &[usize]) {
        self.drawn.clear();
        self.items.clear();
        self.sizes.clear();
        self.sizes.extend_from_slice(sizes);
        for _ in 0..sizes.len() {
            let g = self.rng.below(sizes.len());
            self.drawn.push(g);
            for _ in 0..sizes[g] {
                self.items.push(self.rng.below(sizes[g]));
            }
        }
    }

    /// The last resample: each drawn group with the indices of its drawn items.
    pub fn groups(&self) -> impl Iterator<Item = (usize, &[usize])> {
        let mut at = 0;
        self.drawn.iter().map(move |g| {
            let n = self.sizes[*g];
            let items = &self.items[at..at + n];
            at += n;
            (*g, items)
        })
    }
}

/// The `p` quantile of sorted values, interpolating linearly between order statistics.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let at = p.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = at.floor() as usize;
    let hi = at.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo as f64)
}

/// SplitMix64: small, fast, and the same on every machine.
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias for small `n` is < 2⁻³²).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Ranks that treat overlapping intervals as ties: a row's rank is one plus the number
/// of rows whose interval lies entirely above its own. Rows without an interval get none.
pub fn ranks(intervals: &[Option<(f64, f64)>]) -> Vec<Option<usize>> {
    intervals
        .iter()
        .map(|me| {
            let (_, hi) = (*me)?;
            Some(
                1 + intervals
                    .iter()
                    .filter(|other| other.is_some_and(|(lo, _)| lo > hi))
                    .count(),
            )
        })
        .collect()
}

/// Sign-flip enumeration is exact up to this many non-zero differences (2²⁰ sign
/// patterns); above it the test draws [`PERMUTATIONS`] patterns at random.
pub const EXACT_MAX: usize = 20;
/// Random sign patterns drawn by the Monte Carlo test.
pub const PERMUTATIONS: usize = 20_000;

/// A two-sided p-value and how it was computed.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct PValue {
    pub p: f64,
    /// Every sign pattern enumerated (else Monte Carlo with [`SEED`]).
    pub exact: bool,
}

/// The paired sign-flip permutation test of "no difference" for paired differences
/// grouped by task, two-sided.
///
/// The statistic is the one the comparison reports, [`mean_of_groups`] of the
/// differences: pair `k` of task `t` weighs `1 / (T · nₜ)`. Under the null hypothesis the
/// two configs are exchangeable within each pair, so each difference is as likely to have
/// either sign. The p-value is the share of the 2ⁿ sign patterns of the n non-zero
/// differences (zeros cannot change sign) whose statistic is at least as far from 0 as
/// the observed one. Over [`EXACT_MAX`] non-zero differences it is estimated from
/// [`PERMUTATIONS`] random patterns as (1 + hits) / (1 + draws), which never gives 0.
/// `None` without differences; 1 when every difference is zero.
pub fn sign_flip(groups: &[Vec<f64>], seed: u64) -> Option<PValue> {
    let groups: Vec<&Vec<f64>> = groups.iter().filter(|g| !g.is_empty()).collect();
    if groups.is_empty() {
        return None;
    }
    let t = groups.len() as f64;
    let terms: Vec<f64> = groups
        .iter()
        .flat_map(|g| g.iter().map(move |d| d / (t * g.len() as f64)))
        .filter(|x| *x != 0.0)
        .collect();
    let observed: f64 = terms.iter().sum::<f64>().abs();
    // Sums of the same terms in another order differ in the last bits: a pattern that
    // ties the observed statistic must count as at least as extreme.
    let at_least = |x: f64| x.abs() >= observed - 1e-9 * observed.max(1e-300);
    let n = terms.len();
    if n <= EXACT_MAX {
        // Gray code: each pattern differs from the last by one sign.
        let mut signs = vec![1.0; n];
        let mut sum: f64 = terms.iter().sum();
        let mut hits = u64::from(at_least(sum));
        for step in 1u64..(1u64 << n) {
            let bit = step.trailing_zeros() as usize;
            signs[bit] = -signs[bit];
            sum += 2.0 * signs[bit] * terms[bit];
            hits += u64::from(at_least(sum));
        }
        return Some(PValue {
            p: hits as f64 / (1u64 << n) as f64,
            exact: true,
        });
    }
    let mut rng = SplitMix(seed);
    let mut hits = 0usize;
    // A random bit per term: 1 keeps it, 0 negates it by flipping its sign bit (exactly
    // `-x`) rather than by a branch the processor cannot predict.
    let terms: Vec<u64> = terms.iter().map(|x| x.to_bits()).collect();
    for _ in 0..PERMUTATIONS {
        let mut sum = 0.0;
        for chunk in terms.chunks(64) {
            let mut bits = rng.next_u64();
            for x in chunk {
                sum += f64::from_bits(x ^ ((!bits & 1) << 63));
                bits >>= 1;
            }
        }
        hits += usize::from(at_least(sum));
    }
    Some(PValue {
        p: (1 + hits) as f64 / (1 + PERMUTATIONS) as f64,
        exact: false,
    })
}

/// Holm's step-down adjustment of a family of p-values, in their order: sorted
/// ascending, the i-th smallest (from 1) becomes max over j ≤ i of min(1, (m − j + 1) ·
/// p₍ⱼ₎). Rejecting where the adjusted value is under α keeps the chance of any false
/// rejection in the family under α.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|a, b| p[*a].total_cmp(&p[*b]));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// The outcome of one meeting of configs `a` and `b`: 1 when `a` won, 0 when `b` did,
/// ½ for a tie.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Meeting {
    pub a: usize,
    pub b: usize,
    pub score_a: f64,
}

/// Bradley–Terry strengths of `n` configs from their meetings, as log-strengths θ with
/// mean 0 over the configs that met anyone (`None` for the others): config i beats j
/// with probability 1 / (1 + e^(θⱼ − θᵢ)).
///
/// Fitted by the MM algorithm (Hunter 2004): pᵢ ← Wᵢ / Σⱼ nᵢⱼ / (pᵢ + pⱼ), where Wᵢ
/// counts i's wins (a tie is half a win) and nᵢⱼ the meetings of i and j. Every pair
/// that met also gets one virtual tie (half a win each), so a config that never won
/// still has a finite strength. For two configs this is the closed form θ₁ − θ₂ =
/// ln((W₁ + ½) / (W₂ + ½)).
pub fn bradley_terry(n: usize, meetings: &[Meeting]) -> Vec<Option<f64>> {
    let mut wins = vec![vec![0.0f64; n]; n];
    for m in meetings {
        if m.a == m.b || m.a >= n || m.b >= n {
            continue;
        }
        wins[m.a][m.b] += m.score_a;
        wins[m.b][m.a] += 1.0 - m.score_a;
    }
    let mut games = vec![vec![0.0f64; n]; n];
    for i in 0..n {
        for j in 0..n {
            games[i][j] = wins[i][j] + wins[j][i];
        }
    }
    for i in 0..n {
        for j in 0..n {
            if i != j && games[i][j] > 0.0 {
                wins[i][j] += 0.5;
                games[i][j] += 1.0;
            }
        }
    }
    let active: Vec<bool> = (0..n).map(|i| games[i].iter().any(|g| *g > 0.0)).collect();
    let total: Vec<f64> = wins.iter().map(|w| w.iter().sum()).collect();
    let mut p = vec![1.0f64; n];
    for _ in 0..10_000 {
        let mut next = p.clone();
        for i in (0..n).filter(|i| active[*i]) {
            let denominator: f64 = (0..n)
                .filter(|j| games[i][*j] > 0.0)
                .map(|j| games[i][j] / (p[i] + p[j]))
                .sum();
            next[i] = total[i] / denominator;
        }
        // Strengths are defined up to a factor: fix their geometric mean at 1.
        let logs: Vec<f64> = (0..n)
            .filter(|i| active[*i])
            .map(|i| next[i].ln())
            .collect();
        let shift = mean(&logs).unwrap_or(0.0).exp();
        for i in (0..n).filter(|i| active[*i]) {
            next[i] /= shift;
        }
        let change = (0..n)
            .map(|i| (next[i].ln() - p[i].ln()).abs())
            .fold(0.0, f64::max);
        p = next;
        if change < 1e-12 {
            break;
        }
    }
    (0..n).map(|i| active[i].then(|| p[i].ln())).collect()
}

/// 95% percentile-bootstrap intervals of the [`bradley_terry`] strengths, resampling the
/// meetings in two levels like every bootstrap here: `groups` holds, per task, the
/// meetings of each of its items (a sample's meetings stay together).
pub fn bradley_terry_ci(
    n: usize,
    groups: &[Vec<Vec<Meeting>>],
    resamples: usize,
    seed: u64,
) -> Vec<Option<(f64, f64)>> {
    let groups: Vec<&Vec<Vec<Meeting>>> = groups.iter().filter(|g| !g.is_empty()).collect();
    if groups.is_empty() || resamples == 0 {
        return vec![None; n];
    }
    let sizes: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let mut draw = Resample::new(seed);
    let mut per_config: Vec<Vec<f64>> = vec![Vec::with_capacity(resamples); n];
    let mut meetings = Vec::new();
    for _ in 0..resamples {
        draw.next(&sizes);
        meetings.clear();
        for (g, items) in draw.groups() {
            for i in items {
                meetings.extend_from_slice(&groups[g][*i]);
            }
        }
        for (i, theta) in bradley_terry(n, &meetings).into_iter().enumerate() {
            if let Some(t) = theta {
                per_config[i].push(t);
            }
        }
    }
    per_config
        .into_iter()
        .map(|stats| (!stats.is_empty()).then(|| interval(stats)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The drawn sign patterns are the plain loop's: a bit per term from one `u64` per 64
    /// terms, 1 keeping the term and 0 negating it, summed in order. Checked against that
    /// loop written out, on 150 differences (three `u64`s a pattern, the last one partly
    /// used), so the p-value `fabula compare` prints stays the same to the bit.
    #[test]
    fn the_drawn_patterns_are_the_plain_loops() {
        let diffs: Vec<f64> = (0..150i32)
            .map(|i| f64::from(i * 37 % 11 - 4) / 7.0)
            .collect();
        let seed = 42;
        let terms: Vec<f64> = diffs.iter().copied().filter(|x| *x != 0.0).collect();
        assert!(terms.len() > EXACT_MAX && terms.len() > 128);
        let observed = terms.iter().sum::<f64>().abs();
        let mut rng = SplitMix(seed);
        let mut hits = 0usize;
        for _ in 0..PERMUTATIONS {
            let (mut sum, mut bits) = (0.0, 0u64);
            for (i, x) in terms.iter().enumerate() {
                if i % 64 == 0 {
                    bits = rng.next_u64();
                }
                sum += if bits & 1 == 1 { *x } else { -*x };
                bits >>= 1;
            }
            hits += usize::from(sum.abs() >= observed - 1e-9 * observed.max(1e-300));
        }
        let want = (1 + hits) as f64 / (1 + PERMUTATIONS) as f64;
        let got = sign_flip(&[diffs], seed).unwrap();
        assert!(!got.exact);
        assert_eq!(got.p.to_bits(), want.to_bits(), "{} vs {want}", got.p);
        // Not a degenerate case: some patterns are as extreme, most are not.
        assert!(want > 0.0001 && want < 0.9, "{want}");
    }

    #[test]
    fn tasks_weigh_the_same_whatever_their_samples() {
        // Task a: samples 1 and 0 (mean 0.5); task b: 1. Mean over tasks 0.75, not 2/3.
        assert_eq!(mean_of_groups(&[vec![1.0, 0.0], vec![1.0]]), Some(0.75));
        assert_eq!(mean_of_groups(&[vec![], vec![0.2]]), Some(0.2));
        assert_eq!(mean_of_groups(&[]), None);
    }

    #[test]
    fn percentiles_interpolate() {
        let v = [0.0, 10.0, 20.0, 30.0, 40.0];
        assert_eq!(percentile(&v, 0.0), 0.0);
        assert_eq!(percentile(&v, 0.5), 20.0);
        assert_eq!(percentile(&v, 0.125), 5.0);
        assert_eq!(percentile(&v, 1.0), 40.0);
    }

    /// The exact bootstrap distribution of three single-sample tasks: 27 equally likely
    /// resamples. The Monte Carlo interval must sit on its 2.5% and 97.5% quantiles
    /// within one step of the distribution.
    #[test]
    fn bootstrap_agrees_with_the_exact_distribution() {
        let values = [0.2, 0.5, 0.9];
        let mut exact = Vec::new();
        for a in values {
            for b in values {
                for c in values {
                    exact.push((a + b + c) / 3.0);
                }
            }
        }
        exact.sort_by(f64::total_cmp);
        let groups: Vec<Vec<f64>> = values.iter().map(|v| vec![*v]).collect();
        let (lo, hi) = bootstrap_ci(&groups, 20_000, SEED).unwrap();
        // Exact quantiles: 2.5% of 27 falls on the smallest mean (0.2), 97.5% on the
        // largest (0.9); each holds 1/27 ≈ 3.7% of the mass, so a large Monte Carlo
        // sample puts the percentiles there or on the neighbouring value.
        let near = |x: f64, targets: &[f64]| targets.iter().any(|t| (x - t).abs() < 1e-9);
        assert!(near(lo, &exact[0..2]), "{lo} vs {:?}", &exact[0..3]);
        assert!(near(hi, &exact[25..27]), "{hi} vs {:?}", &exact[24..27]);
    }

    #[test]
    fn one_task_one_sample_has_no_width_and_nothing_has_none() {
        assert_eq!(bootstrap_ci(&[vec![0.4]], 100, SEED), Some((0.4, 0.4)));
        assert_eq!(bootstrap_ci(&[vec![]], 100, SEED), None);
        assert_eq!(bootstrap_ci(&[], 100, SEED), None);
    }

    #[test]
    fn the_fixed_seed_gives_the_same_interval() {
        let groups = vec![vec![0.1, 0.3], vec![0.8], vec![0.5, 0.6, 0.7]];
        assert_eq!(
            bootstrap_ci(&groups, RESAMPLES, SEED),
            bootstrap_ci(&groups, RESAMPLES, SEED)
        );
        assert_ne!(
            bootstrap_ci(&groups, RESAMPLES, SEED),
            bootstrap_ci(&groups, RESAMPLES, SEED + 1)
        );
    }

    #[test]
    fn overlapping_intervals_share_a_rank() {
        let r = ranks(&[
            Some((0.7, 0.9)),
            Some((0.6, 0.8)),
            Some((0.2, 0.5)),
            None,
            Some((0.1, 0.55)),
        ]);
        // Row 2 lies under rows 0 and 1 (0.5 < 0.6): rank 3. Row 4's top 0.55 is under
        // 0.6 and 0.7, so rank 3 too, tied with row 2 with which it overlaps.
        assert_eq!(r, vec![Some(1), Some(1), Some(3), None, Some(3)]);
    }

    /// A tiny set enumerated by hand. Task a has differences 2 and −1, task b has 1 and
    /// 0: the statistic weighs each pair 1/(2 tasks × 2 pairs) = ¼, so the terms are
    /// 0.5, −0.25, 0.25 (and a zero, which no sign flip changes), observed 0.5.
    ///
    /// | signs | sum | ≥ 0.5 in size |
    /// |---|---|---|
    /// | + + + | 0.5 − 0.25 + 0.25 = 0.5 | yes |
    /// | + + − | 0.5 − 0.25 − 0.25 = 0 | no |
    /// | + − + | 0.5 + 0.25 + 0.25 = 1.0 | yes |
    /// | + − − | 0.5 + 0.25 − 0.25 = 0.5 | yes |
    /// | − + + | −0.5 − 0.25 + 0.25 = −0.5 | yes |
    /// | − + − | −0.5 − 0.25 − 0.25 = −1.0 | yes |
    /// | − − + | −0.5 + 0.25 + 0.25 = 0 | no |
    /// | − − − | −0.5 + 0.25 − 0.25 = −0.5 | yes |
    ///
    /// 6 of 8 patterns: p = 0.75.
    #[test]
    fn the_exact_sign_flip_p_value_is_the_hand_enumerated_one() {
        let groups = vec![vec![2.0, -1.0], vec![1.0, 0.0]];
        assert_eq!(
            sign_flip(&groups, SEED),
            Some(PValue {
                p: 0.75,
                exact: true
            })
        );
        // Without task b's second pair, b's pair weighs ½: terms 0.5, −0.25, 0.5,
        // observed 0.75; the patterns at least that far from 0 are + + +, + − +, − + −
        // and − − −: 4 of 8.
        let p = sign_flip(&[vec![2.0, -1.0], vec![1.0]], SEED).unwrap();
        assert_eq!(p.p, 0.5);
        // 1, 2, 3 in three tasks: only all-plus and all-minus reach |sum| 6: 2 of 8.
        let p = sign_flip(&[vec![1.0], vec![2.0], vec![3.0]], SEED).unwrap();
        assert_eq!(p.p, 0.25);
        assert_eq!(sign_flip(&[vec![0.0, 0.0]], SEED).unwrap().p, 1.0);
        assert_eq!(sign_flip(&[vec![]], SEED), None);
    }

    /// n equal differences in one task, k of them positive: the statistic is a multiple
    /// of the count of plus signs, which is Binomial(n, ½) under the null, so the exact
    /// p-value is a sum of binomial coefficients (computed here independently).
    fn binomial_p(n: u64, k: u64) -> f64 {
        let choose = |n: u64, r: u64| -> f64 {
            (0..r).fold(1.0, |c, i| c * (n - i) as f64 / (i + 1) as f64)
        };
        let observed = (2 * k as i64 - n as i64).abs();
        (0..=n)
            .filter(|b| (2 * *b as i64 - n as i64).abs() >= observed)
            .map(|b| choose(n, b))
            .sum::<f64>()
            / 2f64.powi(n as i32)
    }

    fn signs(n: usize, positive: usize) -> Vec<Vec<f64>> {
        vec![
            (0..n)
                .map(|i| if i < positive { 1.0 } else { -1.0 })
                .collect(),
        ]
    }

    #[test]
    fn exact_enumeration_agrees_with_the_binomial_formula() {
        for (n, k) in [(20, 15), (20, 10), (12, 2), (7, 7)] {
            let p = sign_flip(&signs(n, k), SEED).unwrap();
            assert!(p.exact);
            let want = binomial_p(n as u64, k as u64);
            assert!((p.p - want).abs() < 1e-12, "n {n} k {k}: {} vs {want}", p.p);
        }
    }

    #[test]
    fn monte_carlo_is_near_the_exact_value_and_never_zero() {
        // 30 pairs, 20 up, 10 down: exact p = P(|2B − 30| ≥ 10) ≈ 0.0987. The Monte
        // Carlo standard error with 20,000 draws is about 0.0021; allow three of them.
        let p = sign_flip(&signs(30, 20), SEED).unwrap();
        assert!(!p.exact);
        let want = binomial_p(30, 20);
        assert!((p.p - want).abs() < 0.0065, "{} vs {want}", p.p);
        // Every pair up: the exact p is 2 / 2³⁰, no draw reaches it but the identity;
        // the estimate is (1 + 0) / (1 + 20,000), not 0.
        let p = sign_flip(&signs(30, 30), SEED).unwrap();
        assert_eq!(p.p, 1.0 / 20_001.0);
        assert_eq!(
            sign_flip(&signs(30, 20), SEED),
            sign_flip(&signs(30, 20), SEED)
        );
    }

    /// Holm by hand: p = 0.01, 0.04, 0.03, 0.005 (m = 4). Sorted: 0.005 × 4 = 0.02;
    /// 0.01 × 3 = 0.03; 0.03 × 2 = 0.06; 0.04 × 1 = 0.04, raised to 0.06 (the running
    /// maximum). Back in the given order: 0.03, 0.06, 0.06, 0.02.
    #[test]
    fn holm_matches_the_worked_example() {
        let adjusted = holm(&[0.01, 0.04, 0.03, 0.005]);
        let want = [0.03, 0.06, 0.06, 0.02];
        for (a, w) in adjusted.iter().zip(want) {
            assert!((a - w).abs() < 1e-12, "{adjusted:?}");
        }
        // Capped at 1: 0.5 × 2 = 1.0; 0.6 × 1 = 0.6, raised to 1.0.
        assert_eq!(holm(&[0.6, 0.5]), vec![1.0, 1.0]);
        assert_eq!(holm(&[0.2]), vec![0.2]);
        assert!(holm(&[]).is_empty());
    }

    fn meetings(a: usize, b: usize, wins: usize, losses: usize, ties: usize) -> Vec<Meeting> {
        let mut out = Vec::new();
        out.extend((0..wins).map(|_| Meeting { a, b, score_a: 1.0 }));
        out.extend((0..losses).map(|_| Meeting { a, b, score_a: 0.0 }));
        out.extend((0..ties).map(|_| Meeting { a, b, score_a: 0.5 }));
        out
    }

    /// Two configs: the closed form. A won 7, lost 2, tied 1: W_A = 7.5, W_B = 2.5; with
    /// the virtual tie 8 and 3, so θ_A − θ_B = ln(8/3), and the two sum to 0.
    #[test]
    fn bradley_terry_has_the_closed_form_for_two_configs() {
        let theta = bradley_terry(2, &meetings(0, 1, 7, 2, 1));
        let (a, b) = (theta[0].unwrap(), theta[1].unwrap());
        assert!((a - b - (8.0f64 / 3.0).ln()).abs() < 1e-9, "{a} {b}");
        assert!((a + b).abs() < 1e-12);
        // A clean sweep is finite: ln(10.5 / 0.5).
        let theta = bradley_terry(2, &meetings(1, 0, 10, 0, 0));
        assert!((theta[1].unwrap() - theta[0].unwrap() - 21.0f64.ln()).abs() < 1e-9);
        // A config that met nobody has no strength.
        let theta = bradley_terry(3, &meetings(0, 1, 1, 1, 0));
        assert_eq!(theta[2], None);
        assert!(theta[0].unwrap().abs() < 1e-12);
    }

    #[test]
    fn bradley_terry_orders_three_configs_and_fits_their_wins() {
        // A beats B 6–4, B beats C 6–4, A beats C 8–2.
        let mut all = meetings(0, 1, 6, 4, 0);
        all.extend(meetings(1, 2, 6, 4, 0));
        all.extend(meetings(0, 2, 8, 2, 0));
        let theta: Vec<f64> = bradley_terry(3, &all)
            .into_iter()
            .map(Option::unwrap)
            .collect();
        assert!(theta[0] > theta[1] && theta[1] > theta[2], "{theta:?}");
        // At the maximum of the likelihood each config's expected wins (virtual ties
        // included) equal its actual wins: A's are 6 + 8 + ½ + ½ = 15.
        let expected = |i: usize| -> f64 {
            (0..3)
                .filter(|j| *j != i)
                .map(|j| 11.0 / (1.0 + (theta[j] - theta[i]).exp()))
                .sum()
        };
        assert!((expected(0) - 15.0).abs() < 1e-6, "{}", expected(0));
        assert!((expected(2) - 7.0).abs() < 1e-6, "{}", expected(2));
    }

    #[test]
    fn bradley_terry_intervals_cover_the_estimate() {
        // Ten tasks of one item each; in each, A meets B once: A wins 7 of them.
        let groups: Vec<Vec<Vec<Meeting>>> = (0..10)
            .map(|t| {
                vec![vec![Meeting {
                    a: 0,
                    b: 1,
                    score_a: if t < 7 { 1.0 } else { 0.0 },
                }]]
            })
            .collect();
        let theta = bradley_terry(
            2,
            &groups
                .iter()
                .flatten()
                .flatten()
                .copied()
                .collect::<Vec<_>>(),
        );
        let ci = bradley_terry_ci(2, &groups, RESAMPLES, SEED);
        let (lo, hi) = ci[0].unwrap();
        assert!(
            lo < theta[0].unwrap() && theta[0].unwrap() < hi,
            "{lo} {hi}"
        );
        assert!(lo < 0.0, "7 of 10 is not far from even: {lo}");
        assert_eq!(ci, bradley_terry_ci(2, &groups, RESAMPLES, SEED));
    }

    /// Two tasks of two samples each: the two-level bootstrap has 4 equally likely task
    /// draws × 4 item draws in each of the 2 drawn tasks = 64 outcomes, enumerated here.
    /// The fixed-seed Monte Carlo interval sits on the exact distribution's tails.
    #[test]
    fn two_level_bootstrap_agrees_with_the_exact_enumeration() {
        let groups = vec![vec![-4.0, 2.0], vec![1.0, 7.0]];
        let mut exact = Vec::new();
        for g1 in 0..2 {
            for g2 in 0..2 {
                for (i1, i2) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                    for (j1, j2) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                        let a = (groups[g1][i1] + groups[g1][i2]) / 2.0;
                        let b = (groups[g2][j1] + groups[g2][j2]) / 2.0;
                        exact.push((a + b) / 2.0);
                    }
                }
            }
        }
        exact.sort_by(f64::total_cmp);
        // Each of the 64 outcomes has mass 1/64 ≈ 1.6%: the 2.5% quantile is the second
        // smallest value, the 97.5% one the second largest (−4 and 7 each appear once).
        let (lo, hi) = bootstrap_ci(&groups, 20_000, SEED).unwrap();
        assert!(
            (exact[0]..=exact[2]).contains(&lo),
            "{lo} vs {:?}",
            &exact[..4]
        );
        assert!(
            (exact[61]..=exact[63]).contains(&hi),
            "{hi} vs {:?}",
            &exact[60..]
        );
    }
}
