// SDK conformance: the official @openrouter/sdk (its zod schemas reject any response
// missing a required field or with a wrong type) must parse every simulator answer.
//
// Run by sim/tests/sdk_conformance.rs:
//   OPENROUTER_SIM_URL=http://127.0.0.1:PORT node --test sim/conformance/sdk.test.mjs
// (cwd = workspace root; @openrouter/sdk resolves from the root node_modules).

import { test, before } from "node:test";
import assert from "node:assert/strict";
import { OpenRouter } from "@openrouter/sdk";
import * as errors from "@openrouter/sdk/models/errors";

const SIM = process.env.OPENROUTER_SIM_URL;
assert.ok(SIM, "OPENROUTER_SIM_URL must be set (http://127.0.0.1:PORT)");
// The SDK appends operation paths ("/key", "/activity", "/credits") to serverURL, so the
// server URL must include /api/v1, exactly like the production "https://openrouter.ai/api/v1".
const API = `${SIM}/api/v1`;

async function control(method, path, body) {
  const res = await fetch(`${SIM}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path} -> ${res.status}: ${text}`);
  return JSON.parse(text);
}

function client(apiKey) {
  // No retries: a test must see the first answer, and 5XX would otherwise be retried.
  return new OpenRouter({ apiKey, serverURL: API, retryConfig: { strategy: "none" } });
}

async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail("expected the call to be rejected");
}

const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

let alice, bob, admin, yesterday;

before(async () => {
  const account = "sdk-conformance";
  alice = await control("POST", "/_sim/keys", {
    label: "sdk-alice",
    account,
    limit: "20",
    limit_reset: "weekly",
  });
  bob = await control("POST", "/_sim/keys", { label: "sdk-bob", account });
  admin = await control("POST", "/_sim/keys", {
    label: "sdk-admin",
    account,
    kind: "management",
  });
  const clock = await control("GET", "/_sim/clock");
  const d = new Date(`${clock.today}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  yesterday = d.toISOString().slice(0, 10);
});

test("apiKeys.getCurrentKeyMetadata parses and matches the truth", async () => {
  const res = await client(alice.key).apiKeys.getCurrentKeyMetadata();
  const data = res.data;
  const truth = await control("GET", `/_sim/keys/${alice.key_hash}/truth`);
  assert.equal(data.usage, Number(truth.usage));
  assert.equal(data.usageDaily, Number(truth.usage_daily));
  assert.equal(data.usageWeekly, Number(truth.usage_weekly));
  assert.equal(data.usageMonthly, Number(truth.usage_monthly));
  assert.equal(data.byokUsage, Number(truth.byok_usage));
  assert.equal(data.limit, 20);
  assert.equal(data.limitReset, "weekly");
  assert.ok(close(data.limitRemaining, Math.max(0, 20 - Number(truth.usage_weekly))));
  assert.equal(data.isManagementKey, false);
  assert.equal(data.isProvisioningKey, false);
  assert.equal(data.isFreeTier, false);
  assert.equal(data.includeByokInLimit, false);
  assert.deepEqual(data.allowedDataRegions, ["global"]);
  assert.equal(typeof data.freeModelDailyRequests.limit, "number");
  assert.equal(data.rateLimit.requests, -1);
  assert.match(data.label, /^sk-or-v1-[0-9a-f]{3}\.\.\.[0-9a-f]{3}$/);

  const mgmt = (await client(admin.key).apiKeys.getCurrentKeyMetadata()).data;
  assert.equal(mgmt.isManagementKey, true);
  assert.equal(mgmt.limit, null);
  assert.equal(mgmt.limitRemaining, null);
  assert.equal(mgmt.usage, 0);
});

test("analytics.getUserActivity parses, without and with date, and sums up", async () => {
  const sdk = client(admin.key);
  const all = await sdk.analytics.getUserActivity();
  assert.ok(Array.isArray(all.data) && all.data.length > 0);
  for (const row of all.data) {
    assert.match(row.date, /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(row.date <= yesterday, `${row.date} is not a completed day`);
    assert.equal(row.workspaceId, undefined);
  }

  for (const key of [alice, bob]) {
    const truth = await control("GET", `/_sim/keys/${key.key_hash}/truth`);
    const rows = (await sdk.analytics.getUserActivity({ apiKeyHash: key.key_hash })).data;
    const sum = rows.reduce((s, r) => s + r.usage, 0);
    assert.ok(
      close(sum, Number(truth.usage_in_activity_window)),
      `${sum} vs ${truth.usage_in_activity_window}`,
    );
    // The same model on the same day through several providers gives several rows.
    const perModelDay = new Map();
    for (const r of rows) {
      const k = `${r.date} ${r.model}`;
      perModelDay.set(k, (perModelDay.get(k) ?? 0) + 1);
    }
    assert.ok([...perModelDay.values()].some((n) => n >= 2));
  }

  const day = (await sdk.analytics.getUserActivity({ date: yesterday })).data;
  assert.ok(day.every((r) => r.date === yesterday));
  const expected = all.data.filter((r) => r.date === yesterday).reduce((s, r) => s + r.usage, 0);
  assert.ok(close(day.reduce((s, r) => s + r.usage, 0), expected));

  const grouped = (await sdk.analytics.getUserActivity({ groupBy: "workspace" })).data;
  assert.ok(grouped.every((r) => typeof r.workspaceId === "string"));
});

test("credits.getCredits parses and covers the account", async () => {
  const res = await client(admin.key).credits.getCredits();
  const a = await control("GET", `/_sim/keys/${alice.key_hash}/truth`);
  const b = await control("GET", `/_sim/keys/${bob.key_hash}/truth`);
  assert.ok(close(res.data.totalUsage, Number(a.usage) + Number(b.usage)));
  assert.ok(res.data.totalCredits >= res.data.totalUsage);
});

test("errors surface as the SDK's typed errors", async () => {
  const forbidden = await rejection(client(alice.key).analytics.getUserActivity());
  assert.ok(forbidden instanceof errors.ForbiddenResponseError, String(forbidden));
  assert.equal(forbidden.name, "ForbiddenResponseError");
  assert.equal(forbidden.statusCode, 403);
  assert.equal(forbidden.error.code, 403);

  const forbiddenCredits = await rejection(client(bob.key).credits.getCredits());
  assert.ok(forbiddenCredits instanceof errors.ForbiddenResponseError, String(forbiddenCredits));

  const unknown = await rejection(client("sk-or-v1-not-a-key").apiKeys.getCurrentKeyMetadata());
  assert.ok(unknown instanceof errors.UnauthorizedResponseError, String(unknown));
  assert.equal(unknown.name, "UnauthorizedResponseError");
  assert.equal(unknown.statusCode, 401);
  assert.equal(unknown.error.code, 401);

  const unknownActivity = await rejection(client("sk-or-v1-not-a-key").analytics.getUserActivity());
  assert.ok(unknownActivity instanceof errors.UnauthorizedResponseError);

  const badDate = await rejection(client(admin.key).analytics.getUserActivity({ date: "2000-01-01" }));
  assert.ok(badDate instanceof errors.BadRequestResponseError, String(badDate));
  assert.equal(badDate.error.code, 400);
});

test("faults reach the SDK as the real service's would", async () => {
  // 429 with Retry-After: /key has no typed 429 error, so the SDK's fallback error.
  await control("POST", "/_sim/faults", {
    key_hash: bob.key_hash,
    path: "/api/v1/key",
    status: 429,
    retry_after: 3,
    times: 1,
  });
  const limited = await rejection(client(bob.key).apiKeys.getCurrentKeyMetadata());
  assert.ok(limited instanceof errors.OpenRouterDefaultError, String(limited));
  assert.equal(limited.statusCode, 429);
  assert.equal(limited.headers.get("retry-after"), "3");

  // A malformed body must not parse.
  await control("POST", "/_sim/faults", { key_hash: bob.key_hash, malformed: true, times: 1 });
  const malformed = await rejection(client(bob.key).apiKeys.getCurrentKeyMetadata());
  // SDK 1.3.19 JSON.parse()s the body before validating it: a plain SyntaxError.
  assert.ok(malformed instanceof SyntaxError, String(malformed));

  // A connection closed without any response.
  await control("POST", "/_sim/faults", { key_hash: bob.key_hash, drop_connection: true, times: 1 });
  const dropped = await rejection(client(bob.key).apiKeys.getCurrentKeyMetadata());
  assert.ok(dropped instanceof errors.ConnectionError, String(dropped));

  // The faults are used up.
  const ok = await client(bob.key).apiKeys.getCurrentKeyMetadata();
  assert.equal(typeof ok.data.usage, "number");
});
