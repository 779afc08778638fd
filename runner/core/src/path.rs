//! Paths into a YAML document (`beats/2/requirements`), shared by the schema layer
//! (JSON-Schema instance paths) and the semantic checks.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path from the document root to a node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Path(pub Vec<Segment>);

impl Path {
    pub fn root() -> Self {
        Self(Vec::new())
    }

    pub fn key(mut self, key: &str) -> Self {
        self.0.push(Segment::Key(key.to_owned()));
        self
    }

    pub fn index(mut self, index: usize) -> Self {
        self.0.push(Segment::Index(index));
        self
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// The value at this path in `value`, if the value has it.
    pub fn lookup<'a>(&self, value: &'a serde_json::Value) -> Option<&'a serde_json::Value> {
        self.0.iter().try_fold(value, |v, seg| seg.get(v))
    }

    /// The value at this path in `value`, to change it.
    pub fn lookup_mut<'a>(
        &self,
        value: &'a mut serde_json::Value,
    ) -> Option<&'a mut serde_json::Value> {
        self.0.iter().try_fold(value, |v, seg| match seg {
            Segment::Key(k) => v.get_mut(k),
            Segment::Index(i) => v.get_mut(i),
        })
    }
}

impl Segment {
    /// The child this segment names in `value`.
    pub fn get<'a>(&self, value: &'a serde_json::Value) -> Option<&'a serde_json::Value> {
        match self {
            Segment::Key(k) => value.get(k),
            Segment::Index(i) => value.get(i),
        }
    }
}

/// Builds a [`Path`] from keys (string literals) and indexes (usize expressions).
#[macro_export]
macro_rules! path {
    ($($seg:expr),* $(,)?) => {{
        let p = $crate::path::Path::root();
        $( let p = $crate::path::PathPush::push_onto($seg, p); )*
        p
    }};
}

/// What may appear in [`path!`].
pub trait PathPush {
    fn push_onto(self, path: Path) -> Path;
}

impl PathPush for &str {
    fn push_onto(self, path: Path) -> Path {
        path.key(self)
    }
}

impl PathPush for usize {
    fn push_onto(self, path: Path) -> Path {
        path.index(self)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(root)");
        }
        for (i, seg) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match seg {
                Segment::Key(k) => f.write_str(k)?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}
