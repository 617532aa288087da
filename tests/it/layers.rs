//! The crate's modules depend only downward (docs/architecture.md, "Layers"):
//!
//! - a top-level module uses only the modules listed before it in [`LAYERS`];
//! - modules under one parent never import each other in a circle (`tui::app` → `tui::steps`
//!   → `tui::app`), directly or through others.
//!
//! A module and its own submodules count as one unit. The scan reads `src/**/*.rs` as text for
//! `crate::…`, `super::…` and `self::…` paths (in `use` and inline), leaving out comments,
//! string literals and test code; a name a parent re-exports (`pub use child::Name`) counts as
//! the child's.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// The top-level modules, lowest first: each may use only those before it.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundation",
        &[
            "secret",
            "text",
            "search",
            "duration",
            "regular_file",
            "signals",
        ],
    ),
    ("wire", &["api"]),
    ("settings", &["config", "credentials"]),
    ("domain", &["spec", "policy"]),
    ("simulator", &["sim"]),
    (
        "engine",
        &["watch", "journal", "submission", "session", "delivery"],
    ),
    ("faces", &["cli", "tui"]),
];

type Module = Vec<String>;

#[test]
fn modules_depend_only_downward() {
    let crate_ = Crate::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let order: Vec<&str> = LAYERS.iter().flat_map(|(_, m)| m.iter().copied()).collect();
    let rank = |m: &Module| order.iter().position(|o| *o == m[0]);
    let mut problems = Vec::new();
    // parent → sibling → siblings it imports
    let mut siblings: BTreeMap<Module, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (from, to, file) in crate_.edges() {
        let shared = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
        if shared == from.len() || shared == to.len() {
            continue; // a module and its own submodules are one unit
        }
        if shared == 0 {
            match (rank(&from), rank(&to)) {
                (Some(a), Some(b)) if b < a => {}
                (Some(_), Some(_)) => problems.push(format!(
                    "{file}: `{}` uses `{}`, which is not below it in LAYERS",
                    from.join("::"),
                    to.join("::")
                )),
                _ => problems.push(format!(
                    "{file}: place the module `{}` or `{}` in LAYERS",
                    from[0], to[0]
                )),
            }
        }
        siblings
            .entry(from[..shared].to_vec())
            .or_default()
            .entry(from[shared].clone())
            .or_default()
            .insert(to[shared].clone());
    }
    for (parent, graph) in &siblings {
        if let Some(cycle) = find_cycle(graph) {
            problems.push(format!(
                "modules under `crate::{}` import each other in a circle: {}",
                parent.join("::"),
                cycle.join(" → ")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A circle in `graph`, as the modules along it (the first repeated at the end).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if !done.insert(node.to_string()) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// The crate's source, module by module.
struct Crate {
    /// Module path → the file's code without comments, strings and test code.
    code: BTreeMap<Module, (PathBuf, String)>,
    /// Module path → names it re-exports from a child (`pub use child::Name`) → that child.
    reexports: HashMap<Module, HashMap<String, Module>>,
}

impl Crate {
    fn read(src: &Path) -> Crate {
        let mut files = Vec::new();
        collect(src, &mut files);
        let mut code = BTreeMap::new();
        let mut test_modules = BTreeSet::new();
        for file in files {
            let relative = file.strip_prefix(src).expect("under src");
            if relative == Path::new("main.rs") {
                continue; // the binary uses the library as `ecsimg::…`
            }
            let module = module_of(relative);
            let text = without_comments_and_strings(&std::fs::read_to_string(&file).expect("read"));
            for child in test_children(&text) {
                test_modules.insert([module.clone(), vec![child]].concat());
            }
            code.insert(module, (relative.to_path_buf(), without_test_code(&text)));
        }
        code.retain(|module, _| !test_modules.iter().any(|t| module.starts_with(t)));
        let mut reexports: HashMap<Module, HashMap<String, Module>> = HashMap::new();
        for (module, (_, text)) in &code {
            for path in use_paths(text, true) {
                let segments: Vec<&str> = path.split("::").filter(|s| *s != "self").collect();
                let child = [module.clone(), vec![segments[0].to_string()]].concat();
                if segments.len() > 1 && code.contains_key(&child) {
                    let name = segments[segments.len() - 1].to_string();
                    reexports
                        .entry(module.clone())
                        .or_default()
                        .insert(name, child);
                }
            }
        }
        Crate { code, reexports }
    }

    /// Every (user, used, file) for paths that name another module of the crate.
    fn edges(&self) -> BTreeSet<(Module, Module, String)> {
        let mut edges = BTreeSet::new();
        for (module, (file, text)) in &self.code {
            let mut paths = use_paths(text, false);
            paths.extend(inline_paths(text));
            for path in paths {
                if let Some(to) = self.resolve(module, &path)
                    && to != *module
                {
                    edges.insert((module.clone(), to, file.display().to_string()));
                }
            }
        }
        edges
    }

    /// The module a `crate::`/`super::`/`self::` path used in `from` names.
    fn resolve(&self, from: &Module, path: &str) -> Option<Module> {
        let mut segments = path.split("::").peekable();
        let mut base = match *segments.peek()? {
            "crate" => {
                segments.next();
                Vec::new()
            }
            "super" | "self" => from.clone(),
            _ => return None,
        };
        while let Some(step) = segments.next_if(|s| *s == "super" || *s == "self") {
            if step == "super" {
                base.pop()?;
            }
        }
        let full: Vec<String> = base.into_iter().chain(segments.map(String::from)).collect();
        let known = (0..=full.len())
            .rev()
            .find(|n| self.code.contains_key(&full[..*n]))?;
        let (module, rest) = full.split_at(known);
        Some(
            rest.first()
                .and_then(|name| self.reexports.get(module)?.get(name))
                .cloned()
                .unwrap_or_else(|| module.to_vec()),
        )
    }
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// `tui/steps/mod.rs` → `[tui, steps]`; `lib.rs` → `[]`.
fn module_of(relative: &Path) -> Module {
    let mut parts: Module = relative
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The code with comments removed and string and char literals emptied.
fn without_comments_and_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            'r' if matches!(chars.peek(), Some('"' | '#')) => {
                let mut hashes = 0;
                while chars.next_if_eq(&'#').is_some() {
                    hashes += 1;
                }
                if chars.next_if_eq(&'"').is_none() {
                    out.push('r');
                    continue;
                }
                let closing: String = std::iter::once('"')
                    .chain((0..hashes).map(|_| '#'))
                    .collect();
                let mut seen = String::new();
                for c in chars.by_ref() {
                    seen.push(c);
                    if seen.ends_with(&closing) {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                out.push_str("\"\"");
            }
            // A char literal ('x', '\n'), not a lifetime ('a).
            '\'' if chars.clone().nth(1) == Some('\'') || chars.peek() == Some(&'\\') => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '\'' => break,
                        _ => {}
                    }
                }
                out.push_str("' '");
            }
            c => out.push(c),
        }
    }
    out
}

/// Modules declared `#[cfg(test)] mod name;` in this file.
fn test_children(text: &str) -> Vec<String> {
    text.match_indices("#[cfg(test)]")
        .filter_map(|(at, attr)| {
            let item = text[at + attr.len()..].trim_start();
            let declared = item
                .strip_prefix("pub(crate) ")
                .or_else(|| item.strip_prefix("pub(super) "))
                .unwrap_or(item)
                .strip_prefix("mod ")?;
            let name: String = declared
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            declared[name.len()..]
                .trim_start()
                .starts_with(';')
                .then_some(name)
        })
        .collect()
}

/// The code without `#[cfg(test)]` items (a `mod tests { … }`, a helper function).
fn without_test_code(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find([';', '{']).unwrap_or(rest.len() - 1);
        if rest.as_bytes()[end] == b';' {
            rest = &rest[end + 1..];
            continue;
        }
        let mut depth = 0;
        let close = rest[end..]
            .char_indices()
            .find(|(_, c)| {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map_or(rest.len(), |(i, _)| end + i + 1);
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

/// The paths of `use` declarations, brace groups expanded (`a::{b, c::d}` → `a::b`, `a::c::d`);
/// with `public_only`, only those of `pub use`.
fn use_paths(text: &str, public_only: bool) -> Vec<String> {
    let mut paths = Vec::new();
    for (at, _) in text.match_indices("use ") {
        let before = text[..at].trim_end();
        let public = is_pub(before);
        let boundary = before.is_empty() || before.ends_with([';', '{', '}', ']']);
        let wanted = if public_only {
            public
        } else {
            boundary || public
        };
        if !wanted {
            continue;
        }
        let Some(end) = text[at..].find(';') else {
            continue;
        };
        // `a as b` keeps `a`: mark the renames, then drop the whitespace.
        let words: Vec<&str> = text[at + 4..at + end].split_whitespace().collect();
        let tree = words.join(" ").replace(" as ", "@").replace(' ', "");
        expand(&tree, "", &mut paths);
    }
    paths
}

/// Whether the text before a `use` ends with `pub` or `pub(…)`.
fn is_pub(before: &str) -> bool {
    let before = match before.strip_suffix(')') {
        Some(inner) => inner
            .rfind('(')
            .map_or(inner, |open| inner[..open].trim_end()),
        None => before,
    };
    before
        .strip_suffix("pub")
        .is_some_and(|rest| !rest.ends_with(|c: char| c.is_alphanumeric() || c == '_'))
}

fn expand(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let mut depth = 0;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, c) in tree.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&tree[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&tree[start..]);
    for part in parts.into_iter().filter(|p| !p.is_empty()) {
        match part.split_once('{') {
            Some((head, group)) => expand(
                group.strip_suffix('}').unwrap_or(group),
                &format!("{prefix}{head}"),
                out,
            ),
            None => {
                let path = part.split('@').next().unwrap_or(part);
                out.push(format!("{prefix}{path}").trim_end_matches("::").to_string());
            }
        }
    }
}

/// Paths written inline in code: `crate::a::b`, `super::x`.
fn inline_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for start in ["crate::", "super::"] {
        for (at, _) in text.match_indices(start) {
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':' || c == '$') {
                continue;
            }
            let path: String = text[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(path.trim_end_matches(':').to_string());
        }
    }
    paths
}
