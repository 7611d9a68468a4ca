// Preloaded into wrangler's Node process (NODE_OPTIONS=--require) by the
// stack's launcher (stack/src/wrangler.rs), for every `wrangler` it runs.
//
// Why: Miniflare's loopback server (Node's http) closes an idle keep-alive
// connection after 5 s, Node's default; workerd keeps its idle connections
// pooled for longer and now and then writes a request into one that Node
// is closing ("disconnected: ::write(...): Broken pipe"). When that request
// is the queue broker's log line after a delivery, the broker's flush
// throws before it clears its pending flush, and the local queue never
// delivers again (seen in the test suite: the consumer returned, workerd
// logged the broken pipe, no batch was ever delivered after it).
//
// With the timeout off, Node never closes an idle connection; workerd,
// the client, closes its own, which races with nothing.
"use strict";

const http = require("node:http");

const createServer = http.createServer;
http.createServer = function createServerWithoutIdleClose(...args) {
  const server = createServer.apply(this, args);
  server.keepAliveTimeout = 0;
  return server;
};
