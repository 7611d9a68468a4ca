//! Import circles among the modules of `src/`, found from the source text
//! (`cargo xtask test` and `cargo xtask lint` run it).
//!
//! Each file is a module (`a/b.rs` and `a/b/mod.rs` are `crate::a::b`); each
//! `crate::…` or `super::…` path in it outside its test module is an edge to
//! the deepest module the path names (each item of a `use` group on its
//! own). A declaration `mod x;` is not an import, and a module re-exported
//! from another crate (`pub use watcher_core::usage::metrics;`) is a leaf:
//! that crate cannot import this one. A strongly connected component of two
//! modules or more is a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

type Module = Vec<String>;

/// Every circle, each as its modules (`http/route`, …), sorted.
pub fn find(src: &Path) -> Result<Vec<Vec<String>>, String> {
    let mut files = Vec::new();
    collect(src, &mut files)?;
    let mut modules: BTreeMap<Module, String> = files.into_iter().collect();
    for module in children(&modules, test_modules) {
        modules.remove(&module);
    }
    let foreign = children(&modules, reexported);
    let mut known: BTreeSet<&Module> = modules.keys().collect();
    known.extend(foreign.iter());
    let graph: BTreeMap<&Module, BTreeSet<Module>> = modules
        .iter()
        .map(|(module, text)| (module, imports(module, text, &known)))
        .collect();
    Ok(strongly_connected(&graph)
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|component| {
            let mut names: Vec<String> = component.iter().map(name).collect();
            names.sort();
            names
        })
        .collect())
}

/// The child modules each module's text names through `names`.
fn children(modules: &BTreeMap<Module, String>, names: fn(&str) -> Vec<String>) -> Vec<Module> {
    modules
        .iter()
        .flat_map(|(module, text)| {
            names(text).into_iter().map(|child| {
                let mut path = module.clone();
                path.push(child);
                path
            })
        })
        .collect()
}

fn name(module: &Module) -> String {
    if module.is_empty() {
        "lib".to_owned()
    } else {
        module.join("/")
    }
}

fn collect(root: &Path, out: &mut Vec<(Module, String)>) -> Result<(), String> {
    if !root.is_dir() {
        return Err(format!("{}: not a directory", root.display()));
    }
    for path in crate::tools::files_ending(root, "rs") {
        let relative = path.strip_prefix(root).map_err(|e| e.to_string())?;
        let mut module: Module = relative
            .with_extension("")
            .iter()
            .map(|part| part.to_string_lossy().into_owned())
            .collect();
        if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
            module.pop();
        }
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        out.push((module, text));
    }
    Ok(())
}

/// The names a module re-exports from another crate (`pub use a::b::{c, d};`).
fn reexported(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("pub use ")?.strip_suffix(';'))
        .filter(|path| {
            !["crate::", "super::", "self::"]
                .iter()
                .any(|p| path.starts_with(p))
        })
        .flat_map(|path| match path.split_once("::{") {
            Some((_, group)) => group
                .trim_end_matches('}')
                .split(',')
                .map(|item| item.trim().to_owned())
                .collect::<Vec<_>>(),
            None => path
                .rsplit("::")
                .next()
                .map(str::to_owned)
                .into_iter()
                .collect(),
        })
        .map(|item| {
            item.rsplit(" as ")
                .next()
                .unwrap_or(&item)
                .trim()
                .to_owned()
        })
        .filter(|item| !item.is_empty() && item.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect()
}

/// For each `#[cfg(test)]`: its line number and the first line after it
/// that is not an attribute.
fn after_cfg_test(text: &str) -> Vec<(usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.trim() == "#[cfg(test)]")
        .filter_map(|(i, _)| {
            lines
                .iter()
                .skip(i + 1)
                .find(|l| !l.trim_start().starts_with("#["))
                .map(|l| (i, *l))
        })
        .collect()
}

/// Modules declared test-only (`#[cfg(test)] mod x;`): not part of the crate.
fn test_modules(text: &str) -> Vec<String> {
    after_cfg_test(text)
        .into_iter()
        .filter_map(|(_, line)| {
            let line = line.trim();
            let name = line
                .strip_prefix("pub ")
                .unwrap_or(line)
                .strip_prefix("mod ")?;
            name.strip_suffix(';').map(str::to_owned)
        })
        .collect()
}

/// The modules `text` (the source of `module`) names, itself left out: the
/// code before its inline test module, if any.
fn imports(module: &Module, text: &str, known: &BTreeSet<&Module>) -> BTreeSet<Module> {
    let tests_start = after_cfg_test(text)
        .into_iter()
        .find(|(_, line)| line.trim_start().starts_with("mod ") && line.trim_end().ends_with('{'))
        .map(|(i, _)| i);
    let mut found = BTreeSet::new();
    for line in text.lines().take(tests_start.unwrap_or(usize::MAX)) {
        let line = line.split("//").next().unwrap_or("");
        for path in paths(module, line) {
            if let Some(target) = deepest(&path, known) {
                if target != *module {
                    found.insert(target);
                }
            }
        }
    }
    found
}

/// Every absolute module path a line names through `crate::` or `super::`.
fn paths(module: &Module, line: &str) -> Vec<Module> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = next_root(rest) {
        rest = &rest[at..];
        let (mut base, tail) = if let Some(tail) = rest.strip_prefix("crate::") {
            (Vec::new(), tail)
        } else {
            let mut base = module.clone();
            let mut tail = rest;
            while let Some(after) = tail.strip_prefix("super::") {
                base.pop();
                tail = after;
            }
            (base, tail)
        };
        let (segments, after) = segments(tail);
        base.extend(segments);
        match after.strip_prefix('{') {
            Some(group) => {
                let items = group.split('}').next().unwrap_or("");
                for item in items.split(',') {
                    let item = item.split(" as ").next().unwrap_or("").trim();
                    if item.is_empty() || item == "self" {
                        continue;
                    }
                    let mut path = base.clone();
                    path.extend(item.split("::").map(str::to_owned));
                    out.push(path);
                }
                out.push(base);
            }
            None => out.push(base),
        }
        rest = after;
    }
    out
}

/// Where the next `crate::` or `super::` starts (not inside a longer name).
fn next_root(text: &str) -> Option<usize> {
    let mut from = 0;
    loop {
        let at = ["crate::", "super::"]
            .iter()
            .filter_map(|root| text[from..].find(root).map(|i| i + from))
            .min()?;
        let before = text[..at].chars().next_back();
        if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':')) {
            return Some(at);
        }
        from = at + 1;
    }
}

/// The identifiers of `a::b::c…` and what follows them (after a last `::`).
fn segments(text: &str) -> (Vec<String>, &str) {
    let mut parts = Vec::new();
    let mut rest = text;
    loop {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            return (parts, rest);
        }
        parts.push(rest[..end].to_owned());
        match rest[end..].strip_prefix("::") {
            Some(more) => rest = more,
            None => return (parts, &rest[end..]),
        }
    }
}

/// The longest prefix of `path` that is a module of the crate.
fn deepest(path: &[String], known: &BTreeSet<&Module>) -> Option<Module> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| known.contains(prefix))
}

/// Tarjan's algorithm, iterative over the sorted graph (deterministic).
fn strongly_connected(graph: &BTreeMap<&Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct State<'g> {
        graph: &'g BTreeMap<&'g Module, BTreeSet<Module>>,
        index: BTreeMap<Module, usize>,
        low: BTreeMap<Module, usize>,
        stack: Vec<Module>,
        on_stack: BTreeSet<Module>,
        components: Vec<Vec<Module>>,
    }
    fn visit(s: &mut State<'_>, v: &Module) {
        let n = s.index.len();
        s.index.insert(v.clone(), n);
        s.low.insert(v.clone(), n);
        s.stack.push(v.clone());
        s.on_stack.insert(v.clone());
        let edges: Vec<Module> = s.graph.get(v).into_iter().flatten().cloned().collect();
        for w in &edges {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v.clone(), low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v.clone(), low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                let done = w == *v;
                component.push(w);
                if done {
                    break;
                }
            }
            s.components.push(component);
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(*v) {
            visit(&mut state, v);
        }
    }
    state.components
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(path: &str) -> Module {
        path.split('/').map(str::to_owned).collect()
    }

    #[test]
    fn reads_paths_groups_and_super() {
        let m = module("http/route");
        assert_eq!(
            paths(&m, "use crate::http::ctx::{Ctx, Incoming};"),
            vec![
                module("http/ctx/Ctx"),
                module("http/ctx/Incoming"),
                module("http/ctx")
            ]
        );
        assert_eq!(paths(&m, "use super::body;"), vec![module("http/body")]);
        assert_eq!(
            paths(&m, "x: crate::a::B, y: my_crate::c"),
            vec![module("a/B")]
        );
    }

    #[test]
    fn finds_a_circle_and_ignores_tests_and_comments() {
        let dir = std::env::temp_dir().join(format!("circles-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("a")).unwrap();
        fs::write(
            dir.join("lib.rs"),
            "pub mod a;\npub mod b;\npub use other::{x, y as z};\n",
        )
        .unwrap();
        fs::write(dir.join("a/mod.rs"), "pub mod c;\nuse crate::b::X;\n").unwrap();
        fs::write(
            dir.join("a/c.rs"),
            "// crate::b\n#[cfg(test)]\nmod tests;\n",
        )
        .unwrap();
        fs::create_dir_all(dir.join("a/c")).unwrap();
        fs::write(dir.join("a/c/tests.rs"), "use crate::b::W;\n").unwrap();
        fs::write(
            dir.join("b.rs"),
            "use crate::a::Y;\n#[cfg(test)]\n#[allow(dead_code)]\nmod tests {\n use crate::a::c::Z;\n}\n",
        )
        .unwrap();
        assert_eq!(
            find(&dir).unwrap(),
            vec![vec!["a".to_owned(), "b".to_owned()]]
        );
        fs::write(dir.join("b.rs"), "use crate::a::c::Y;\n").unwrap();
        assert!(find(&dir).unwrap().is_empty());
        // `x` and `z` are another crate's: a path into them goes no further
        // (not to the root that re-exports them, which imports `b`).
        fs::write(
            dir.join("lib.rs"),
            "pub mod a;\npub mod b;\npub use other::{x, y as z};\nuse crate::b::Q;\n",
        )
        .unwrap();
        fs::write(dir.join("b.rs"), "use crate::x::a::Y;\nuse crate::z::W;\n").unwrap();
        assert!(find(&dir).unwrap().is_empty());
        fs::write(dir.join("b.rs"), "use crate::Q;\n").unwrap();
        assert_eq!(find(&dir).unwrap().len(), 1);
        let _ = fs::remove_dir_all(&dir);
    }
}
