//! The code's structure as ARCHITECTURE.md draws it: no file imports, through any chain of
//! imports (re-exports followed), a file that imports it back; and no module but `startup.rs`
//! imports another's handlers. Read from the source with a Rust parser, test code left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A file of the crate and the module path it is (`["crate", "record", "kept"]`).
struct SourceFile {
    path: PathBuf,
    module: Vec<String>,
}

fn source_files() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(&root).unwrap().with_extension("");
                let mut module: Vec<String> = std::iter::once("crate".to_string())
                    .chain(
                        relative
                            .components()
                            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
                    )
                    .collect();
                if matches!(
                    module.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    module.pop();
                }
                // `main.rs` is the binary: a crate of its own over the library.
                if relative == Path::new("main") {
                    continue;
                }
                files.push(SourceFile { path, module });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

/// Every path a file names outside its tests, made absolute, and the files its test-only
/// `mod x;` declarations pull in.
struct Names {
    /// The module the visitor stands in (inline modules included).
    here: Vec<String>,
    paths: Vec<Vec<String>>,
    test_children: Vec<Vec<String>>,
    /// The modules this file declares (`mod x;`), by name.
    children: BTreeSet<String>,
}

impl Names {
    fn absolute(&self, segments: &[String]) -> Option<Vec<String>> {
        let first = segments.first()?;
        let mut out = match first.as_str() {
            "crate" => vec!["crate".to_string()],
            "self" => self.here.clone(),
            "super" => {
                let mut base = self.here.clone();
                base.pop();
                base
            }
            // A child module of this one, named without `self::` (as `pub use types::X` does).
            name if self.children.contains(name) => {
                let mut base = self.here.clone();
                base.push(name.to_string());
                return Some(
                    base.into_iter()
                        .chain(segments[1..].iter().cloned())
                        .collect(),
                );
            }
            _ => return None,
        };
        for s in &segments[1..] {
            if s == "super" {
                out.pop();
            } else {
                out.push(s.clone());
            }
        }
        Some(out)
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.named(prefix, Some(n.ident.to_string())),
            syn::UseTree::Rename(r) => self.named(prefix, Some(r.ident.to_string())),
            syn::UseTree::Glob(_) => self.named(prefix, None),
            syn::UseTree::Group(g) => {
                for item in &g.items {
                    self.use_tree(prefix, item);
                }
            }
        }
    }

    fn named(&mut self, prefix: &[String], last: Option<String>) {
        let mut full = prefix.to_vec();
        full.extend(last.filter(|l| l != "self"));
        if let Some(path) = self.absolute(&full) {
            self.paths.push(path);
        }
    }
}

impl<'ast> Visit<'ast> for Names {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if is_test_only(&item.attrs) {
            if item.content.is_none() {
                let mut child = self.here.clone();
                child.push(item.ident.to_string());
                self.test_children.push(child);
            }
            return;
        }
        if item.content.is_some() {
            self.here.push(item.ident.to_string());
            syn::visit::visit_item_mod(self, item);
            self.here.pop();
        }
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        if !is_test_only(&item.attrs) {
            syn::visit::visit_item_fn(self, item);
        }
    }

    // `pub(super)` names a module it is visible in, not one it uses.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(absolute) = self.absolute(&segments) {
            self.paths.push(absolute);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // Paths inside macro calls (`format!`, `sqlx::query!`) are tokens: read those that
        // name the crate.
        let tokens: Vec<String> = mac
            .tokens
            .clone()
            .into_iter()
            .map(|t| t.to_string())
            .collect();
        let mut i = 0;
        while i < tokens.len() {
            if matches!(tokens[i].as_str(), "crate" | "super" | "self") {
                let mut segments = vec![tokens[i].clone()];
                while i + 2 < tokens.len() && tokens[i + 1] == ":" && tokens[i + 2] == ":" {
                    // `::` comes as two punctuation tokens.
                    i += 3;
                    if i < tokens.len() {
                        segments.push(tokens[i].clone());
                    }
                }
                if let Some(absolute) = self.absolute(&segments) {
                    self.paths.push(absolute);
                }
            }
            i += 1;
        }
        syn::visit::visit_macro(self, mac);
    }
}

/// The import graph: for each file, the files it imports from, with the names it takes.
fn import_graph() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let files = source_files();
    let mut by_module: BTreeMap<Vec<String>, String> = BTreeMap::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let name_of = |p: &Path| p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
    for f in &files {
        by_module.insert(f.module.clone(), name_of(&f.path));
    }
    let mut names_of = BTreeMap::new();
    let mut test_only = BTreeSet::new();
    for f in &files {
        let source = std::fs::read_to_string(&f.path).unwrap();
        let parsed =
            syn::parse_file(&source).unwrap_or_else(|e| panic!("{}: {e}", f.path.display()));
        let children = parsed
            .items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Mod(m) => Some(m.ident.to_string()),
                _ => None,
            })
            .collect();
        let mut names = Names {
            here: f.module.clone(),
            paths: Vec::new(),
            test_children: Vec::new(),
            children,
        };
        names.visit_file(&parsed);
        for child in &names.test_children {
            test_only.insert(child.clone());
        }
        names_of.insert(name_of(&f.path), (f.module.clone(), names.paths));
    }
    // A file under a test-only module is test code too.
    let is_test = |module: &[String]| {
        test_only
            .iter()
            .any(|t| module.len() >= t.len() && module[..t.len()] == t[..])
    };
    let mut graph = BTreeMap::new();
    for (file, (module, paths)) in names_of {
        if is_test(&module) {
            continue;
        }
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for path in paths {
            // The deepest file the path reaches into: the module that holds what it names.
            let target = (1..=path.len())
                .rev()
                .find_map(|n| by_module.get(&path[..n]).map(|t| (t, n)));
            if let Some((target, n)) = target
                && *target != file
                && n > 1
            {
                edges
                    .entry(target.clone())
                    .or_default()
                    .insert(path[n..].join("::"));
            }
        }
        graph.insert(file, edges);
    }
    graph
}

/// Groups of files that import each other through some chain (Tarjan's strongly connected
/// components), each with the imports inside it.
fn circles(graph: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, v: &'g str) {
            self.index.insert(v, self.next);
            self.low.insert(v, self.next);
            self.next += 1;
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.graph.get(v).into_iter().flat_map(|e| e.keys()) {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    group.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.found.push(group);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

fn describe(
    graph: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
    group: &[String],
) -> String {
    let mut out = format!("a circle of {} files:\n", group.len());
    for from in group {
        for (to, names) in &graph[from] {
            if group.contains(to) {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                out += &format!("  {from} -> {to}: {}\n", names.join(", "));
            }
        }
    }
    out
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let graph = import_graph();
    // The graph was read: the record's core is imported by the views over it.
    assert!(
        graph["src/combined/handlers.rs"].contains_key("src/record/mod.rs"),
        "the import graph was not read"
    );
    let found = circles(&graph);
    let described: Vec<String> = found.iter().map(|g| describe(&graph, g)).collect();
    assert!(found.is_empty(), "{}", described.join("\n"));
}

fn is_handlers(file: &str) -> bool {
    file.ends_with("/handlers.rs") || file.contains("/handlers/")
}

#[test]
fn only_startup_imports_handlers() {
    let graph = import_graph();
    let mut wrong = Vec::new();
    for (from, edges) in &graph {
        if from == "src/startup.rs" || is_handlers(from) {
            continue;
        }
        for (to, names) in edges {
            if is_handlers(to) {
                wrong.push(format!("{from} -> {to}: {names:?}"));
            }
        }
    }
    // A handler file may use its own slice's others, never another slice's.
    for (from, edges) in &graph {
        if !is_handlers(from) {
            continue;
        }
        let slice = |f: &str| f.split('/').nth(1).unwrap_or_default().to_string();
        for (to, names) in edges {
            if is_handlers(to) && slice(to) != slice(from) {
                wrong.push(format!("{from} -> {to}: {names:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_checks_see_a_circle_and_a_handlers_import() {
    // The checks themselves, on a graph made up for them.
    let mut graph: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let edge = |g: &mut BTreeMap<String, BTreeMap<String, BTreeSet<String>>>, a: &str, b: &str| {
        g.entry(a.into())
            .or_default()
            .insert(b.into(), BTreeSet::from(["X".to_string()]));
        g.entry(b.into()).or_default();
    };
    edge(&mut graph, "src/a.rs", "src/b.rs");
    edge(&mut graph, "src/b.rs", "src/c.rs");
    assert!(circles(&graph).is_empty());
    edge(&mut graph, "src/c.rs", "src/a.rs");
    assert_eq!(
        circles(&graph),
        vec![vec![
            "src/a.rs".to_string(),
            "src/b.rs".into(),
            "src/c.rs".into()
        ]]
    );
    assert!(is_handlers("src/picture/handlers.rs"));
    assert!(is_handlers("src/safeguarding/handlers/lists.rs"));
    assert!(!is_handlers("src/picture/drawn.rs"));
}
