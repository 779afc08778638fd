//! A position-carrying tree built from tree-sitter-yaml: for every mapping key, mapping
//! value and sequence item, its byte range, so that a path (`beats/1/beat`) leads to the
//! exact token to underline.

use crate::path::{Path, Segment};
use crate::text::TextRange;
use tree_sitter::{Node, Parser};

/// Files at least this long are built in parts when they can be ([`SpanTree::parse`]).
const CHUNKED_BYTES: usize = 128 * 1024;

/// Where in an entry an offset lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Key,
    Value,
}

/// What a span node holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanKind {
    Mapping,
    Sequence,
    Scalar,
    /// `*anchor`: the content lives elsewhere; paths below it resolve to the alias.
    Alias,
    /// `key:` with nothing after it.
    Missing,
}

#[derive(Clone, Debug)]
pub struct SpanNode {
    /// The key's range, for mapping values.
    pub key: Option<TextRange>,
    /// The value's range (for a missing value, the key's range).
    pub value: TextRange,
    pub kind: SpanKind,
    /// Its children (mapping entries or sequence items) are its tree's
    /// `nodes[first..first + count]`.
    first: u32,
    count: u32,
    /// Its key as text, when it has a key: its tree's `names[name.0..name.1]`.
    name: (u32, u32),
}

impl SpanNode {
    /// A slot to fill while building a tree.
    fn placeholder() -> Self {
        SpanNode {
            key: None,
            value: TextRange::default(),
            kind: SpanKind::Missing,
            first: 0,
            count: 0,
            name: (0, 0),
        }
    }

    /// The key if there is one, else the value: what to underline for "this entry".
    pub fn key_or_value(&self) -> TextRange {
        self.key.unwrap_or(self.value)
    }

    fn children(&self) -> std::ops::Range<u32> {
        self.first..self.first + self.count
    }
}

/// The span tree of one document.
///
/// Flat, for memory and for the copies an edit makes: the nodes in one array (a node's
/// children side by side in it), the keys' text in one string. A 20,000-line task's tree
/// is about a megabyte, where a node per allocation made it 2.4 MB.
#[derive(Clone, Debug)]
pub struct SpanTree {
    nodes: Vec<SpanNode>,
    names: String,
}

impl SpanTree {
    /// A tree of one node, to build from.
    fn single(value: TextRange) -> Self {
        SpanTree {
            nodes: vec![SpanNode {
                value,
                ..SpanNode::placeholder()
            }],
            names: String::new(),
        }
    }

    /// The key of `node` (a node of this tree), as text.
    fn name(&self, node: &SpanNode) -> Option<&str> {
        node.key?;
        self.names.get(node.name.0 as usize..node.name.1 as usize)
    }

    /// Stores `name` as a key's text; returns where it lies in `names`.
    fn add_name(&mut self, name: &str) -> (u32, u32) {
        let start = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push_str(name);
        let end = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        (start, end)
    }

    /// The key of `node` (a node of `from`) stored here too; where it lies in `names`.
    fn copy_name(&mut self, from: &SpanTree, node: &SpanNode) -> (u32, u32) {
        match from.name(node) {
            Some(name) => self.add_name(name),
            None => (0, 0),
        }
    }

    /// `count` empty slots at the end, for one node's children; returns the first one.
    fn reserve(&mut self, count: u32) -> u32 {
        let first = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.nodes
            .resize_with(self.nodes.len() + count as usize, SpanNode::placeholder);
        first
    }

    /// The index of the child of `node` a path segment names.
    fn child(&self, node: &SpanNode, seg: &Segment) -> Option<u32> {
        match seg {
            Segment::Key(k) => node
                .children()
                .find(|c| self.name(&self.nodes[*c as usize]) == Some(k.as_str())),
            Segment::Index(i) => {
                let i = u32::try_from(*i).ok().filter(|i| *i < node.count)?;
                let c = node.first + i;
                self.nodes[c as usize].key.is_none().then_some(c)
            }
        }
    }

    /// Builds the tree for `text`, adding `base` to every offset (for a stripped BOM).
    ///
    /// A long file is built in parts when it has the usual shape of one (a top-level
    /// `key:` holding a long sequence): the rest of the file, then each item on its own.
    /// The tree is the same; the parser never holds the whole file's syntax tree, which
    /// for a 20,000-line task is over 25 MB.
    pub fn parse(text: &str, base: usize) -> Self {
        let mut tree = if text.len() >= CHUNKED_BYTES
            && let Some(tree) = Self::parse_in_parts(text, base)
        {
            tree
        } else {
            Self::parse_whole(text, base)
        };
        // Kept as long as the file is open: without the room left by growing.
        tree.nodes.shrink_to_fit();
        tree.names.shrink_to_fit();
        tree
    }

    fn parse_in_parts(text: &str, base: usize) -> Option<Self> {
        let seq = super::splice::top_sequence(text)?;
        let first = *seq.items.first()?;
        // The file without the sequence's items: the key is left with no value.
        let cut = seq.end - first;
        let skeleton = format!("{}{}", &text[..first], &text[seq.end..]);
        let outer = Self::parse_whole(&skeleton, base);
        let key_end = u32::try_from(base + first).ok()?;
        let shift = |at: u32| -> u32 {
            if at < key_end {
                at
            } else {
                at + u32::try_from(cut).unwrap_or(u32::MAX)
            }
        };
        // Each item with a stand-in sibling after it (unless it ends the file), parsed
        // with one parser.
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_yaml::LANGUAGE.into())
            .ok()?;
        let stand_in = format!("{}- ~\n", " ".repeat(seq.col));
        let mut items = Vec::with_capacity(seq.items.len());
        for (i, start) in seq.items.iter().enumerate() {
            let end = seq.items.get(i + 1).copied().unwrap_or(seq.end);
            let mut item = text[*start..end].to_owned();
            if end < text.len() {
                item.push_str(&stand_in);
            }
            let ts = parser.parse(&item, None)?;
            let top = document_content(ts.root_node())?;
            let mut one = SpanTree::single(shifted(top, base + start));
            one.build(&item, base + start, top);
            if one.nodes[0].kind != SpanKind::Sequence || one.nodes[0].count == 0 {
                return None;
            }
            items.push(one);
        }
        let last = items.last()?;
        let last_item = &last.nodes[last.nodes[0].first as usize];
        if last_item.kind == SpanKind::Missing {
            return None; // `- ` with nothing: no range to end the sequence at
        }
        let seq_range = TextRange::new(base + first + seq.col, last_item.value.end as usize);
        // Copy the outer tree (moved past the cut), putting the items under the key.
        let mut out = SpanTree {
            nodes: Vec::with_capacity(outer.nodes.len() + items.len() * 8),
            names: outer.names,
        };
        out.nodes.extend(outer.nodes.iter().map(|node| SpanNode {
            key: node.key.map(|k| TextRange {
                start: shift(k.start),
                end: shift(k.end),
            }),
            value: TextRange {
                start: shift(node.value.start),
                end: shift(node.value.end),
            },
            ..*node
        }));
        let key_node = out.nodes[0].children().find(|idx| {
            out.nodes[*idx as usize]
                .key
                .is_some_and(|k| k.start as usize == base + seq.key_line)
        })?;
        if out.nodes[key_node as usize].kind != SpanKind::Missing {
            return None;
        }
        out.nodes[0].value.end = out.nodes[0].value.end.max(seq_range.end);
        let count = u32::try_from(items.len()).ok()?;
        let slots = out.reserve(count);
        let key = &mut out.nodes[key_node as usize];
        key.value = seq_range;
        key.kind = SpanKind::Sequence;
        key.first = slots;
        key.count = count;
        for (one, at) in items.iter().zip(slots..) {
            out.graft(one, one.nodes[0].first, at);
        }
        Some(out)
    }

    /// Copies node `top` of `from` and everything under it into this tree, as is: the node
    /// into slot `at`, the rest at the end.
    fn graft(&mut self, from: &SpanTree, top: u32, at: u32) {
        // (index in `from`, index here)
        let mut stack = vec![(top, at)];
        while let Some((idx, at)) = stack.pop() {
            let node = &from.nodes[idx as usize];
            let first = self.reserve(node.count);
            let name = self.copy_name(from, node);
            stack.extend(node.children().zip(first..));
            self.nodes[at as usize] = SpanNode {
                first,
                name,
                ..*node
            };
        }
    }

    fn parse_whole(text: &str, base: usize) -> Self {
        let mut parser = Parser::new();
        let root_node = parser
            .set_language(&tree_sitter_yaml::LANGUAGE.into())
            .ok()
            .and_then(|()| parser.parse(text, None));
        let mut tree = SpanTree::single(TextRange::new(base, base + text.len()));
        let Some(ts_tree) = root_node else {
            return tree;
        };
        if let Some(top) = document_content(ts_tree.root_node()) {
            tree.nodes[0].value = shifted(top, base);
            tree.build(text, base, top);
        }
        tree
    }

    pub fn root(&self) -> &SpanNode {
        &self.nodes[0]
    }

    /// The node at `path`, or the deepest ancestor that exists (aliases, or paths the
    /// text does not have). The second value says whether the whole path was found.
    pub fn find(&self, path: &Path) -> (&SpanNode, bool) {
        let mut node = &self.nodes[0];
        for seg in path.segments() {
            match self.child(node, seg) {
                Some(idx) => node = &self.nodes[idx as usize],
                None => return (node, false),
            }
        }
        (node, true)
    }

    /// Range of the value at `path` (or of its nearest existing ancestor).
    pub fn value_range(&self, path: &Path) -> TextRange {
        self.find(path).0.value
    }

    /// Range of the key at `path`, falling back to the value.
    pub fn key_range(&self, path: &Path) -> TextRange {
        self.find(path).0.key_or_value()
    }

    /// The deepest entry whose key or value contains `offset`: its path and whether the
    /// offset is on the key. For hover, completion and go-to-definition.
    pub fn locate(&self, offset: u32) -> (Path, Place) {
        let mut path = Path::root();
        let mut node = &self.nodes[0];
        let mut place = Place::Value;
        'descend: loop {
            for (i, idx) in node.children().enumerate() {
                let child = &self.nodes[idx as usize];
                let on_key = child.key.is_some_and(|k| k.contains(offset));
                if on_key || child.value.contains(offset) {
                    path = match self.name(child) {
                        Some(k) => path.key(k),
                        None => path.index(i),
                    };
                    if on_key {
                        return (path, Place::Key);
                    }
                    place = Place::Value;
                    node = child;
                    continue 'descend;
                }
            }
            return (path, place);
        }
    }

    /// The node at `path` and its children's names and ranges, for outlines.
    pub fn children(&self, path: &Path) -> Vec<(Option<&str>, &SpanNode)> {
        let (node, found) = self.find(path);
        if !found {
            return Vec::new();
        }
        node.children()
            .map(|idx| {
                let child = &self.nodes[idx as usize];
                (self.name(child), child)
            })
            .collect()
    }

    /// Mapping keys of the node at `path`, in document order, with their ranges.
    pub fn keys(&self, path: &Path) -> Vec<(&str, TextRange)> {
        let (node, found) = self.find(path);
        if !found {
            return Vec::new();
        }
        node.children()
            .filter_map(|idx| {
                let child = &self.nodes[idx as usize];
                Some((self.name(child)?, child.key?))
            })
            .collect()
    }

    /// This tree after an edit that changed no structure (see
    /// [`super::splice::head_comment_change`]): every range moved with it.
    pub fn shifted(&self, change: &super::splice::Change) -> SpanTree {
        SpanTree {
            nodes: self
                .nodes
                .iter()
                .map(|n| SpanNode {
                    key: n.key.map(|k| change.range(k)),
                    value: change.range(n.value),
                    ..*n
                })
                .collect(),
            names: self.names.clone(),
        }
    }

    /// This tree after an edit re-parsed one entry (see [`super::splice`]): the entry at
    /// `splice.path` is replaced by the first entry of `fragment` (the tree of
    /// `splice.text`, already placed), and every other range moves with the edit.
    pub fn splice(&self, splice: &super::splice::Splice, fragment: &SpanTree) -> Option<SpanTree> {
        // The entry, then the stand-in sibling when there is one.
        let top = fragment.nodes.first()?;
        if top.count == 0 {
            return None;
        }
        let replacement = top.first;
        let replaced = fragment.nodes.get(replacement as usize)?;
        let (new_end, replaced_kind) = (replaced.value.end, replaced.kind);
        // The replaced node and its ancestors.
        let mut chain = vec![0u32];
        for seg in splice.path.segments() {
            let node = &self.nodes[*chain.last()? as usize];
            chain.push(self.child(node, seg)?);
        }
        let target = chain.pop()?;
        let change = splice.change;
        let (start, old_end) = (change.start as u32, change.old_end as u32);
        let moved = |r: TextRange| change.range(r);
        let mut out = SpanTree {
            nodes: Vec::with_capacity(self.nodes.len() + fragment.nodes.len()),
            names: String::with_capacity(self.names.len() + fragment.names.len()),
        };
        out.nodes.push(SpanNode::placeholder());
        // (index here, index in `out`)
        let mut stack = vec![(0u32, 0u32)];
        while let Some((idx, at)) = stack.pop() {
            let node = &self.nodes[idx as usize];
            let first = out.reserve(node.count);
            let name = out.copy_name(self, node);
            let mut copy = SpanNode {
                key: node.key.map(moved),
                value: moved(node.value),
                first,
                name,
                ..*node
            };
            if chain.contains(&idx) {
                // An ancestor ends where its last content ends. When that was inside
                // the edit, the entry is its last content now.
                let end = node.value.end;
                if end > old_end {
                } else if end < start {
                    copy.value.end = end.max(new_end);
                } else if replaced_kind == SpanKind::Missing {
                    return None; // no range to end at: build the tree whole
                } else {
                    copy.value.end = new_end;
                }
            }
            out.nodes[at as usize] = copy;
            for (child, at) in node.children().zip(first..) {
                if child == target {
                    out.graft(fragment, replacement, at);
                } else {
                    stack.push((child, at));
                }
            }
        }
        Some(out)
    }

    /// Walks with an explicit stack: nesting depth must not become stack depth.
    fn build(&mut self, text: &str, base: usize, top: Node<'_>) {
        let language = top.language();
        let key_field = language.field_id_for_name("key");
        let value_field = language.field_id_for_name("value");
        let mut stack = vec![(top, 0u32)];
        let mut cursor = top.walk();
        while let Some((ts, idx)) = stack.pop() {
            let content = unwrap_node(ts);
            let kind = match content.kind() {
                "block_mapping" | "flow_mapping" => SpanKind::Mapping,
                "block_sequence" | "flow_sequence" => SpanKind::Sequence,
                "alias" => SpanKind::Alias,
                _ => SpanKind::Scalar,
            };
            self.nodes[idx as usize].kind = kind;
            if !matches!(kind, SpanKind::Mapping | SpanKind::Sequence) {
                continue;
            }
            cursor.reset(content);
            if !cursor.goto_first_child() {
                continue;
            }
            // The children go side by side at the end of the array.
            let first = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
            self.nodes[idx as usize].first = first;
            loop {
                let child = cursor.node();
                let pair = if !child.is_named() {
                    None
                } else {
                    match (kind, child.kind()) {
                        (SpanKind::Mapping, "block_mapping_pair" | "flow_pair") => Some((
                            key_field.and_then(|f| child.child_by_field_id(f.get())),
                            value_field.and_then(|f| child.child_by_field_id(f.get())),
                        )),
                        // `{a, b}`: keys without values.
                        (SpanKind::Mapping, "flow_node") => Some((Some(child), None)),
                        (SpanKind::Sequence, "block_sequence_item") => {
                            let item = (0..child.named_child_count())
                                .filter_map(|i| child.named_child(i as u32))
                                .find(|n| matches!(n.kind(), "block_node" | "flow_node"));
                            Some((None, item))
                        }
                        (SpanKind::Sequence, "flow_node" | "flow_pair") => {
                            Some((None, Some(child)))
                        }
                        _ => None,
                    }
                };
                if let Some((key, value)) = pair
                    && !(kind == SpanKind::Mapping && key.is_none())
                {
                    let key_range = key.map(|k| shifted(k, base));
                    let name = match key {
                        Some(k) => self.add_name(&scalar_text(text, k)),
                        None => (0, 0),
                    };
                    let new_idx = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
                    let (value_range, value_kind) = match value {
                        Some(v) => (shifted(v, base), SpanKind::Scalar),
                        None => (key_range.unwrap_or_default(), SpanKind::Missing),
                    };
                    self.nodes.push(SpanNode {
                        key: key_range,
                        value: value_range,
                        kind: value_kind,
                        name,
                        ..SpanNode::placeholder()
                    });
                    self.nodes[idx as usize].count += 1;
                    if let Some(v) = value {
                        stack.push((v, new_idx));
                    }
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
        }
    }
}

fn shifted(node: Node<'_>, base: usize) -> TextRange {
    TextRange::new(base + node.start_byte(), base + node.end_byte())
}

/// The first block or flow node of the first document.
fn document_content(root: Node<'_>) -> Option<Node<'_>> {
    let mut cursor = root.walk();
    let doc = root
        .named_children(&mut cursor)
        .find(|n| n.kind() == "document")?;
    let mut cursor = doc.walk();
    doc.named_children(&mut cursor)
        .find(|n| matches!(n.kind(), "block_node" | "flow_node"))
}

/// Skips the wrappers (`block_node`, `flow_node`, `plain_scalar`), anchors and tags down
/// to the node that holds the content.
fn unwrap_node(mut node: Node<'_>) -> Node<'_> {
    while matches!(node.kind(), "block_node" | "flow_node") {
        let mut cursor = node.walk();
        let inner = node
            .named_children(&mut cursor)
            .find(|n| !matches!(n.kind(), "anchor" | "tag" | "comment"));
        match inner {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

/// The text a scalar key stands for: quotes removed, simple escapes undone.
fn scalar_text(text: &str, node: Node<'_>) -> String {
    let node = unwrap_node(node);
    let raw = text.get(node.byte_range()).unwrap_or("");
    match node.kind() {
        "double_quote_scalar" => unescape_double(raw.trim_matches('"')),
        "single_quote_scalar" => raw
            .strip_prefix('\'')
            .and_then(|s| s.strip_suffix('\''))
            .unwrap_or(raw)
            .replace("''", "'"),
        _ => raw.trim().to_owned(),
    }
}

fn unescape_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path;

    fn slice(text: &str, r: TextRange) -> &str {
        &text[r.as_usize()]
    }

    #[test]
    fn maps_paths_to_keys_and_values() {
        let text = "id: x\nbeats:\n  - beat: midpoint\n    text: >\n      hi\nflow: {a: 1, \"b c\": [2, 3]}\nempty:\n";
        let tree = SpanTree::parse(text, 0);
        assert_eq!(slice(text, tree.value_range(&path!["id"])), "x");
        assert_eq!(
            slice(text, tree.key_range(&path!["beats", 0, "beat"])),
            "beat"
        );
        assert_eq!(
            slice(text, tree.value_range(&path!["beats", 0, "beat"])),
            "midpoint"
        );
        assert_eq!(slice(text, tree.value_range(&path!["flow", "b c", 1])), "3");
        let (empty, found) = tree.find(&path!["empty"]);
        assert!(found);
        assert_eq!(empty.kind, SpanKind::Missing);
        assert_eq!(slice(text, empty.value), "empty");
        let (nearest, found) = tree.find(&path!["beats", 0, "nope"]);
        assert!(!found);
        assert_eq!(nearest.kind, SpanKind::Mapping);
        let keys: Vec<&str> = tree.keys(&path![]).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["id", "beats", "flow", "empty"]);
        // Indexes past the items (up to any a value tree can name): the sequence itself.
        for i in [1, u32::MAX as usize - 1, u32::MAX as usize, usize::MAX] {
            let (nearest, found) = tree.find(&path!["beats", i]);
            assert!(!found, "{i}");
            assert_eq!(nearest.kind, SpanKind::Sequence);
        }
    }

    #[test]
    fn shifts_by_base_and_survives_odd_input() {
        let tree = SpanTree::parse("a: 1\n", 3);
        assert_eq!(tree.value_range(&path!["a"]), TextRange::new(6, 7));
        for text in [
            "",
            ":",
            "- [",
            "\u{0}\u{1}garbage",
            "a:\n\t- b",
            &"[".repeat(5000),
        ] {
            let _ = SpanTree::parse(text, 0);
        }
    }

    /// Every node by path, in document order.
    fn canonical(tree: &SpanTree) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![(Path::root(), 0u32)];
        while let Some((path, idx)) = stack.pop() {
            let n = &tree.nodes[idx as usize];
            out.push(format!("{path}: {:?} {:?} {:?}", n.key, n.value, n.kind));
            for (i, c) in n.children().enumerate().rev() {
                let p = match tree.name(&tree.nodes[c as usize]) {
                    Some(k) => path.clone().key(k),
                    None => path.clone().index(i),
                };
                stack.push((p, c));
            }
        }
        out
    }

    #[test]
    fn a_long_file_built_in_parts_equals_one_built_whole() {
        let item = |i: usize| {
            format!(
                "  - id: s{i}\n    brief: >\n      Entry {i}: the river.\n\n    # note\n    criteria: [a, b]\n    more:\n    - - x\n      - y\n    text: |\n      kept\n"
            )
        };
        let items: String = (0..1500).map(item).collect();
        let texts = [
            format!("id: x\ntype: sequence\nsteps:\n{items}"),
            format!("id: x\nsteps:\n  # first\n{items}rubric:\n  q: 1\n"),
            format!("steps:\n{items}  - \"last\"\ntail: 1\n"),
        ];
        for (n, text) in texts.iter().enumerate() {
            assert!(text.len() >= CHUNKED_BYTES, "text {n} too short");
            let parts = SpanTree::parse_in_parts(text, 3).unwrap_or_else(|| panic!("text {n}"));
            let (a, b) = (
                canonical(&parts),
                canonical(&SpanTree::parse_whole(text, 3)),
            );
            assert_eq!(a.len(), b.len(), "text {n}");
            if let Some(i) = (0..a.len()).find(|i| a[*i] != b[*i]) {
                panic!("text {n}, node {i}: parts {} whole {}", a[i], b[i]);
            }
        }
        // Not the usual shape: built whole.
        let odd = format!("steps:\n{}\n- top level item\n", "  - a\n".repeat(30_000));
        assert!(SpanTree::parse_in_parts(&odd, 0).is_none());
    }
}
