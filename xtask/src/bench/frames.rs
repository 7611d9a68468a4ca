//! What a CPU profile's frames say: which request a sample worked for
//! (the Worker's or the token's object's), what for (the groups),
//! and readable function names.

use super::cpuprofile::Node;

/// Which request a sample worked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Worker,
    Object,
    /// Outside any request's code: the garbage collector, V8 itself, the
    /// runtime's own JavaScript.
    Runtime,
}

/// What the time was spent on (the grouping).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    Routing,
    Hashing,
    Message,
    BucketLog,
    D1,
    Rendering,
    Glue,
    Runtime,
}

impl Group {
    pub fn label(self) -> &'static str {
        match self {
            Group::Routing => "routing/parsing",
            Group::Hashing => "token hashing",
            Group::Message => "object message (serde)",
            Group::BucketLog => "bucket log",
            Group::D1 => "D1 call",
            Group::Rendering => "answer rendering (JSON)",
            Group::Glue => "wasm<->JS glue",
            Group::Runtime => "runtime (workerd, V8)",
        }
    }
}

impl Side {
    pub fn label(self) -> &'static str {
        match self {
            Side::Worker => "Worker",
            Side::Object => "object",
            Side::Runtime => "outside both",
        }
    }
}

/// Where a frame's name says the work belongs, tried from the leaf up;
/// generic frames (allocator, formatting, glue) match nothing and leave
/// the decision to their callers.
const GROUPS: &[(Group, &[&str])] = &[
    (Group::Hashing, &["sha2::", "api_token_hash", "hex::"]),
    (
        Group::BucketLog,
        &[
            "rate_limit::log",
            "store::bucket_log",
            "PublicToken::decide",
            "SqlStorage",
            "sql::",
        ],
    ),
    (
        Group::D1,
        &[
            "worker::d1",
            "usage::answers::answer",
            "store::statement",
            "store::usage",
            "D1",
        ],
    ),
    (
        Group::Message,
        &[
            "public_api::wire",
            "TokenAsk",
            "PublicOutcome",
            "serde_wasm_bindgen",
            "Request::json",
            "rate_limit::send",
            "Stub::fetch",
            "Response::text",
            "ByteStream",
            "wasm_streams",
            "Request::new_with_init",
            "ask_object",
            "token_stub",
            "rate_limit::stub",
        ],
    ),
    (
        Group::Rendering,
        &[
            "usage::shapes",
            "usage::answers",
            "Period::of",
            "http::to_response",
            "reply::",
            "with_rate_headers",
            "Headers",
            "response::Response",
            "Response>::from",
            "Response::ok",
            "serde_json::ser",
            "SerializeMap",
            "Serialize for",
        ],
    ),
    (
        Group::Routing,
        &[
            "http::",
            "router",
            "routes",
            "App::new",
            "config::",
            "public_api::",
            "dates::",
            "query::",
            "QueryParams",
            "chrono::",
            "url::",
            "Request as core",
            "Request::",
        ],
    ),
];

/// The wasm functions the Worker and the token's object start from, and
/// what marks a task (an `AssertUnwindSafe` future) as one side's.
pub const OBJECT_MARKS: &[&str] = &["public_api::object", "PublicToken", "publictoken_"];
pub const WORKER_MARKS: &[&str] = &[
    "openrouter_watcher::http::",
    "App::new",
    "fetch externref shim",
];

pub fn has(name: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| name.contains(n))
}

fn is_wasm(node: &Node) -> bool {
    node.url.starts_with("wasm://")
}

/// What decides a sample's side: its future's poll function (one per
/// task kind) or the wasm export it entered by.
pub fn task_key(stack: &[&Node]) -> Option<String> {
    stack.iter().rev().find_map(|f| {
        let task = f
            .name
            .starts_with("<core::panic::unwind_safe::AssertUnwindSafe")
            || f.name.ends_with("externref shim") && !f.name.contains("closures::");
        task.then(|| f.name.clone())
    })
}

pub fn group_of(stack: &[&Node]) -> Group {
    for frame in stack {
        if frame.url.contains("d1-api") {
            return Group::D1;
        }
        if let Some((group, _)) = GROUPS.iter().find(|(_, needles)| has(&frame.name, needles)) {
            return *group;
        }
    }
    let glue = stack
        .iter()
        .any(|f| is_wasm(f) || f.url.ends_with("shim.js"));
    if glue && !matches!(stack.first(), Some(f) if f.name.starts_with('(')) {
        Group::Glue
    } else {
        Group::Runtime
    }
}

/// A sample's function: its name, or for an anonymous one its script and
/// line, and the wasm function that called it (wasm-bindgen's imports are
/// anonymous functions of the bundle).
pub fn leaf_name(stack: &[&Node]) -> String {
    let Some(leaf) = stack.first() else {
        return String::new();
    };
    if !leaf.name.is_empty() {
        return short(&leaf.name);
    }
    let script = leaf.url.rsplit('/').next().unwrap_or("");
    if script.is_empty() {
        return "(anonymous native)".to_owned();
    }
    let caller = stack
        .iter()
        .find(|f| is_wasm(f) && !f.name.starts_with("wasm-to-js"));
    match caller {
        Some(caller) => format!("({script}:{}) from {}", leaf.line, short(&caller.name)),
        None => format!("({script}:{})", leaf.line),
    }
}

/// `a::b::h0123…` without the hash, `core[0123…]` without the crate's.
fn short(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(i) = rest.find(['[', ':']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let hex = |s: &str, n: usize| s.len() >= n && s[..n].chars().all(|c| c.is_ascii_hexdigit());
        if let Some(tail) = rest
            .strip_prefix('[')
            .filter(|t| hex(t, 16) && t[16..].starts_with(']'))
        {
            rest = &tail[17..];
        } else if let Some(tail) = rest.strip_prefix("::h").filter(|t| hex(t, 16)) {
            rest = &tail[16..];
        } else {
            out.push_str(&rest[..1]);
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_hashes() {
        assert_eq!(
            short("<alloc[3ca501edff3f0c7c]::string::String as core[c5930c85a12de822]::fmt::Write>::write_str::h0123456789abcdef"),
            "<alloc::string::String as core::fmt::Write>::write_str"
        );
        assert_eq!(short("a::b[1]"), "a::b[1]");
        assert_eq!(short("x::hzz"), "x::hzz");
    }
}
