//! Reading V8 CPU profiles (`.cpuprofile`, the DevTools protocol's
//! `Profiler.Profile`) of the Worker's isolate: self time per function,
//! per side (the Worker's request, or the token's Durable Object), and per
//! group of work, per request.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use super::frames::{group_of, has, leaf_name, task_key, Group, Side, OBJECT_MARKS, WORKER_MARKS};
use crate::tools::Result;

/// One frame of the call tree.
pub struct Node {
    pub name: String,
    /// The script (empty: native, V8's own, or a wasm function).
    pub url: String,
    /// 1-based, as an editor shows it (0: unknown).
    pub line: i64,
    parent: Option<usize>,
}

/// A profile: its call tree and, per sample, the node and the time it
/// stands for (microseconds).
pub struct Profile {
    nodes: Vec<Node>,
    samples: Vec<(usize, f64)>,
}

pub fn parse(text: &str) -> Result<Profile> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("a CPU profile: {e}"))?;
    let raw = json["nodes"]
        .as_array()
        .ok_or("a CPU profile without nodes")?;
    let mut index = HashMap::new();
    for (i, node) in raw.iter().enumerate() {
        index.insert(node["id"].as_u64().unwrap_or(0), i);
    }
    let mut nodes: Vec<Node> = raw
        .iter()
        .map(|node| {
            let frame = &node["callFrame"];
            Node {
                name: frame["functionName"].as_str().unwrap_or("").to_owned(),
                url: frame["url"].as_str().unwrap_or("").to_owned(),
                line: frame["lineNumber"].as_i64().unwrap_or(-1) + 1,
                parent: None,
            }
        })
        .collect();
    for (i, node) in raw.iter().enumerate() {
        for child in node["children"].as_array().into_iter().flatten() {
            if let Some(&c) = child.as_u64().and_then(|id| index.get(&id)) {
                nodes[c].parent = Some(i);
            }
        }
    }
    let ids = json["samples"]
        .as_array()
        .ok_or("a CPU profile without samples")?;
    let deltas = json["timeDeltas"].as_array().ok_or("no timeDeltas")?;
    // A sample stands for the time until the next one (DevTools' reading).
    let samples = ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| {
            let node = *index.get(&id.as_u64()?)?;
            let dt = deltas.get(i + 1).and_then(serde_json::Value::as_f64)?;
            Some((node, dt.max(0.0)))
        })
        .collect();
    Ok(Profile { nodes, samples })
}

impl Profile {
    /// The frames of a node, leaf first.
    fn stack(&self, node: usize) -> Vec<&Node> {
        let mut frames = Vec::new();
        let mut next = Some(node);
        while let Some(n) = next.and_then(|i| self.nodes.get(i)) {
            frames.push(n);
            next = n.parent;
        }
        frames
    }
}

/// One cold row's profiles, per request.
pub struct Summary {
    label: String,
    requests: u64,
    per_sec: f64,
    /// Microseconds: the isolate busy (not idle), per side, per group and
    /// side, per function (self time) and side.
    busy: f64,
    sides: HashMap<Side, f64>,
    groups: HashMap<(Group, Side), f64>,
    functions: HashMap<(Side, Group, String), f64>,
}

/// Each task kind's side, by the frames its samples pass through.
fn task_sides(profile: &Profile) -> HashMap<String, Side> {
    let mut votes: HashMap<String, (f64, f64)> = HashMap::new();
    for &(node, us) in &profile.samples {
        let stack = profile.stack(node);
        let Some(key) = task_key(&stack) else {
            continue;
        };
        let vote = votes.entry(key).or_default();
        if stack.iter().any(|f| has(&f.name, OBJECT_MARKS)) {
            vote.0 += us;
        } else if stack.iter().any(|f| has(&f.name, WORKER_MARKS)) {
            vote.1 += us;
        }
    }
    votes
        .into_iter()
        .map(|(key, (object, worker))| {
            let side = match (object > 0.0, worker > 0.0) {
                (false, false) => Side::Runtime,
                _ if object >= worker => Side::Object,
                _ => Side::Worker,
            };
            (key, side)
        })
        .collect()
}

impl Summary {
    pub fn of(label: &str, profiles: &[Profile], requests: u64, per_sec: f64) -> Summary {
        let mut summary = Summary {
            label: label.to_owned(),
            requests: requests.max(1),
            per_sec,
            busy: 0.0,
            sides: HashMap::new(),
            groups: HashMap::new(),
            functions: HashMap::new(),
        };
        for profile in profiles {
            let sides = task_sides(profile);
            for &(node, us) in &profile.samples {
                let stack = profile.stack(node);
                let Some(leaf) = stack.first() else { continue };
                if leaf.name == "(idle)" {
                    continue;
                }
                let side = task_key(&stack)
                    .and_then(|key| sides.get(&key).copied())
                    .unwrap_or(Side::Runtime);
                let group = group_of(&stack);
                summary.busy += us;
                *summary.sides.entry(side).or_default() += us;
                *summary.groups.entry((group, side)).or_default() += us;
                let name = leaf_name(&stack);
                *summary.functions.entry((side, group, name)).or_default() += us;
            }
        }
        summary
    }

    /// Milliseconds per request.
    fn per_request(&self, us: f64) -> f64 {
        us / 1000.0 / self.requests as f64
    }
}

const ALL_GROUPS: [Group; 8] = [
    Group::Routing,
    Group::Hashing,
    Group::Message,
    Group::BucketLog,
    Group::D1,
    Group::Rendering,
    Group::Glue,
    Group::Runtime,
];
const ALL_SIDES: [Side; 3] = [Side::Worker, Side::Object, Side::Runtime];
/// Functions listed per row.
const TOP: usize = 25;

impl Summary {
    /// The row's section: the isolate's CPU per request by group and side,
    /// then the functions with the most self time.
    pub fn render(&self) -> String {
        let ms = |us: f64| self.per_request(us);
        let side = |s: Side| ms(self.sides.get(&s).copied().unwrap_or(0.0));
        let mut out = format!(
            "### {}\n\n{} answers while profiled ({:.1}/s under the profiler); the isolate's CPU per \
             answer: **{:.2} ms** (Worker {:.2}, object {:.2}, outside both {:.2}).\n\n",
            self.label,
            self.requests,
            self.per_sec,
            ms(self.busy),
            side(Side::Worker),
            side(Side::Object),
            side(Side::Runtime),
        );
        out.push_str("| group | Worker ms | object ms | outside both ms | total ms | share |\n");
        out.push_str("| --- | ---: | ---: | ---: | ---: | ---: |\n");
        for group in ALL_GROUPS {
            let cells: Vec<f64> = ALL_SIDES
                .iter()
                .map(|&s| self.groups.get(&(group, s)).copied().unwrap_or(0.0))
                .collect();
            let total: f64 = cells.iter().sum();
            let _ = writeln!(
                out,
                "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} % |",
                group.label(),
                ms(cells[0]),
                ms(cells[1]),
                ms(cells[2]),
                ms(total),
                100.0 * total / self.busy.max(1.0)
            );
        }
        let mut functions: Vec<_> = self.functions.iter().collect();
        functions.sort_by(|a, b| b.1.total_cmp(a.1));
        out.push_str("\n| self time, ms per answer | side | group | function |\n");
        out.push_str("| ---: | --- | --- | --- |\n");
        for ((side, group, name), us) in functions.into_iter().take(TOP) {
            let mut name = name.replace('|', "\\|");
            if name.len() > 110 {
                let cut = (0..=110)
                    .rev()
                    .find(|&i| name.is_char_boundary(i))
                    .unwrap_or(0);
                name.truncate(cut);
                name.push('…');
            }
            let _ = writeln!(
                out,
                "| {:.3} | {} | {} | `{name}` |",
                ms(*us),
                side.label(),
                group.label()
            );
        }
        out
    }
}

/// `bench/profile.md`: every row's section.
pub fn report(summaries: &[Summary], dir: &Path) -> String {
    let mut out = String::from(
        "# CPU profiles of cold public requests (`cargo xtask bench --profile`)\n\n\
         V8's sampling profiler on the Worker's isolate under `wrangler dev` (the Worker and \
         its Durable Objects share it; D1's SQLite runs elsewhere in workerd and shows here as \
         idle time), while `oha -c 8` asks each cold row's distinct questions with no answer \
         cache. Times are the isolate's CPU per answer; \"outside both\" is V8 and workerd's own \
         work (the garbage collector, `(program)`, the runtime's JavaScript) that no request's \
         code is on the stack for. The profiler slows the isolate: compare shares and rows of \
         one run, not these req/s with the bench's.\n\n",
    );
    for summary in summaries {
        out.push_str(&summary.render());
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "Profiles (open in Chrome DevTools): `{}`",
        dir.display()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (root) → the Worker's export → http::read; (root) → a task of the
    /// object → the bucket log → SQL; (root) → the garbage collector; idle.
    const PROFILE: &str = r#"{"nodes":[
        {"id":1,"callFrame":{"functionName":"(root)","url":"","lineNumber":-1},"children":[2,4,7,8]},
        {"id":2,"callFrame":{"functionName":"fetch externref shim","url":"wasm://wasm/w","lineNumber":0},"children":[3]},
        {"id":3,"callFrame":{"functionName":"openrouter_watcher::http::read::h0123456789abcdef","url":"wasm://wasm/w","lineNumber":0}},
        {"id":4,"callFrame":{"functionName":"<core::panic::unwind_safe::AssertUnwindSafe<F> as Future>::poll::h1111111111111111","url":"wasm://wasm/w","lineNumber":0},"children":[5]},
        {"id":5,"callFrame":{"functionName":"openrouter_watcher::public_api::object::PublicToken::decide","url":"wasm://wasm/w","lineNumber":0},"children":[6]},
        {"id":6,"callFrame":{"functionName":"","url":"file:///x/shim.js","lineNumber":41}},
        {"id":7,"callFrame":{"functionName":"(garbage collector)","url":"","lineNumber":-1}},
        {"id":8,"callFrame":{"functionName":"(idle)","url":"","lineNumber":-1}}],
        "samples":[3,6,6,7,8,3],"timeDeltas":[0,100,200,300,400,500],"startTime":0,"endTime":1600}"#;

    #[test]
    fn samples_go_to_their_side_group_and_function() {
        let profile = parse(PROFILE).unwrap();
        let summary = Summary::of("row", &[profile], 2, 1.0);
        // A sample stands for the time to the next one; the last for none.
        assert_eq!(summary.busy, 100.0 + 200.0 + 300.0 + 400.0);
        assert_eq!(summary.sides[&Side::Worker], 100.0);
        assert_eq!(summary.sides[&Side::Object], 500.0);
        assert_eq!(summary.sides[&Side::Runtime], 400.0);
        assert_eq!(summary.groups[&(Group::Routing, Side::Worker)], 100.0);
        assert_eq!(summary.groups[&(Group::BucketLog, Side::Object)], 500.0);
        assert_eq!(summary.groups[&(Group::Runtime, Side::Runtime)], 400.0);
        let named = |name: &str| summary.functions.keys().any(|(_, _, n)| n == name);
        assert!(named("openrouter_watcher::http::read"));
        assert!(named(
            "(shim.js:42) from openrouter_watcher::public_api::object::PublicToken::decide"
        ));
        assert_eq!(summary.per_request(summary.busy), 0.5);
        let text = summary.render();
        assert!(
            text.contains("**0.50 ms** (Worker 0.05, object 0.25, outside both 0.20)"),
            "{text}"
        );
        assert!(parse("{}").is_err());
    }
}
