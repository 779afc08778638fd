//! `dataset/slop.yaml`: stock phrases whose density lowers the programmatic score.

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct SlopList {
    pub phrases: Vec<String>,
}
