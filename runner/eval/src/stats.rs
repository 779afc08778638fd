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
    let mut rng = SplitMix(seed);
    let mut stats = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let mut total = 0.0;
        for _ in 0..groups.len() {
            let g = groups[rng.below(groups.len())];
            let mut sum = 0.0;
            for _ in 0..g.len() {
                sum += g[rng.below(g.len())];
            }
            total += sum / g.len() as f64;
        }
        stats.push(total / groups.len() as f64);
    }
    stats.sort_by(f64::total_cmp);
    Some((percentile(&stats, 0.025), percentile(&stats, 0.975)))
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
