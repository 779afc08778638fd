//! A story theory: an ordered list of beats.

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct Theory {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub origin: Option<String>,
    pub summary: String,
    pub beats: Vec<Beat>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Beat {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub position: Option<String>,
    pub definition: String,
    pub elements: Vec<String>,
}

impl Theory {
    /// Zero-based position of a beat in story order.
    pub fn position(&self, beat_id: &str) -> Option<usize> {
        self.beats.iter().position(|b| b.id == beat_id)
    }

    pub fn beat(&self, beat_id: &str) -> Option<&Beat> {
        self.beats.iter().find(|b| b.id == beat_id)
    }
}
