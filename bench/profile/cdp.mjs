// CPU profiles of a running `wrangler dev` over the Chrome DevTools
// Protocol (`cargo xtask bench --profile`, xtask/src/bench/profile.rs).
//
//   node bench/profile/cdp.mjs <inspector port> <out prefix> <interval µs>
//
// Connects to every isolate wrangler's inspector proxy lists
// (http://127.0.0.1:<port>/json), starts V8's sampling profiler in each and
// prints `started`; on a line (or end of input) on stdin it stops them,
// writes `<out prefix>-<n>.cpuprofile` for each and prints `stopped <n>`.
// WebSocket: Node's own when it has one (Node >= 22), else `ws` (already
// in node_modules as wrangler's dependency, pinned by package-lock.json).

import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const [port, prefix, interval = "200"] = process.argv.slice(2);
if (!port || !prefix) {
  console.error("usage: cdp.mjs <inspector port> <out prefix> [interval µs]");
  process.exit(2);
}

const WebSocketImpl =
  globalThis.WebSocket ?? createRequire(import.meta.url)("ws");

function session(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocketImpl(url);
    let next = 1;
    const waiting = new Map();
    ws.onmessage = (event) => {
      const msg = JSON.parse(String(event.data));
      const pending = msg.id && waiting.get(msg.id);
      if (!pending) return;
      waiting.delete(msg.id);
      if (msg.error) pending.reject(new Error(JSON.stringify(msg.error)));
      else pending.resolve(msg.result);
    };
    ws.onerror = (e) => reject(new Error(`${url}: ${e.message ?? e}`));
    ws.onopen = () =>
      resolve({
        send(method, params = {}) {
          const id = next++;
          ws.send(JSON.stringify({ id, method, params }));
          return new Promise((res, rej) => waiting.set(id, { resolve: res, reject: rej }));
        },
        close: () => ws.close(),
      });
  });
}

const list = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
const targets = list.filter((t) => t.webSocketDebuggerUrl);
if (targets.length === 0) {
  console.error(`no isolate listed at http://127.0.0.1:${port}/json: ${JSON.stringify(list)}`);
  process.exit(1);
}
const sessions = [];
for (const target of targets) {
  const s = await session(target.webSocketDebuggerUrl);
  await s.send("Profiler.enable");
  await s.send("Profiler.setSamplingInterval", { interval: Number(interval) });
  sessions.push({ s, title: target.title ?? target.id });
}
for (const { s } of sessions) await s.send("Profiler.start");
console.log(`started ${sessions.map((x) => x.title).join(", ")}`);

await new Promise((resolve) => {
  process.stdin.on("data", resolve);
  process.stdin.on("end", resolve);
});
let n = 0;
for (const { s, title } of sessions) {
  const { profile } = await s.send("Profiler.stop");
  profile.title = title;
  writeFileSync(`${prefix}-${n}.cpuprofile`, JSON.stringify(profile));
  n += 1;
  s.close();
}
console.log(`stopped ${n}`);
process.exit(0);
