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

// The management API of keys, through the SDK's own operations, in an account of its own
// (so the sums of the tests above stay as they are).
test("apiKeys.list/create/get/update/delete parse, and their errors are typed", async () => {
  const account = "sdk-management";
  const admin = await control("POST", "/_sim/keys", { label: "sdk-keys-admin", account, kind: "management" });
  const user = await control("POST", "/_sim/keys", { label: "sdk-keys-user", account, limit: "3", limit_reset: "monthly" });
  const sdk = client(admin.key);

  const listed = (await sdk.apiKeys.list()).data;
  assert.deepEqual(listed.map((k) => k.hash), [user.key_hash], "management keys are not listed");
  const truth = await control("GET", `/_sim/keys/${user.key_hash}/truth`);
  assert.equal(listed[0].name, "sdk-keys-user");
  assert.equal(listed[0].usage, Number(truth.usage));
  assert.equal(listed[0].limit, 3);
  assert.equal(listed[0].limitReset, "monthly");
  assert.equal(listed[0].disabled, false);
  assert.equal(listed[0].externalUser, null);
  assert.match(listed[0].label, /^sk-or-v1-[0-9a-f]{3}\.\.\.[0-9a-f]{3}$/);

  const created = await sdk.apiKeys.create({
    requestBody: { name: "sdk-made", limit: 5, limitReset: "weekly", includeByokInLimit: false },
  });
  assert.match(created.key, /^sk-or-v1-[0-9a-f]{64}$/);
  assert.equal(created.data.name, "sdk-made");
  assert.equal(created.data.limit, 5);
  assert.equal(created.data.limitRemaining, 5);
  assert.equal(created.data.limitReset, "weekly");
  assert.equal(created.data.updatedAt, null);
  const hash = created.data.hash;
  const page = (await sdk.apiKeys.list({ offset: 0 })).data;
  assert.deepEqual(page.map((k) => k.hash), [hash, user.key_hash], "newest first");

  const got = (await sdk.apiKeys.get({ hash })).data;
  assert.equal(got.hash, hash);
  assert.equal(got.usage, 0);

  // Disable: the key is refused, and listed only with includeDisabled.
  const disabled = (await sdk.apiKeys.update({ hash, requestBody: { disabled: true } })).data;
  assert.equal(disabled.disabled, true);
  assert.equal(typeof disabled.updatedAt, "string");
  const refused = await rejection(client(created.key).apiKeys.getCurrentKeyMetadata());
  assert.ok(refused instanceof errors.UnauthorizedResponseError, String(refused));
  assert.deepEqual((await sdk.apiKeys.list()).data.map((k) => k.hash), [user.key_hash]);
  const all = (await sdk.apiKeys.list({ includeDisabled: true })).data;
  assert.deepEqual(all.map((k) => k.hash), [hash, user.key_hash]);

  // A limit, then none.
  const limited = (await sdk.apiKeys.update({ hash, requestBody: { limit: 1.5, disabled: false } })).data;
  assert.equal(limited.limit, 1.5);
  assert.equal(limited.limitRemaining, 1.5);
  const unlimited = (await sdk.apiKeys.update({ hash, requestBody: { limit: null } })).data;
  assert.equal(unlimited.limit, null);
  assert.equal(unlimited.limitRemaining, null);

  const deleted = await sdk.apiKeys.delete({ hash });
  assert.deepEqual(deleted, { deleted: true });

  const missing = await rejection(sdk.apiKeys.get({ hash }));
  assert.ok(missing instanceof errors.NotFoundResponseError, String(missing));
  assert.equal(missing.error.code, 404);
  const badLimit = await rejection(
    sdk.apiKeys.update({ hash: user.key_hash, requestBody: { limit: -1 } }),
  );
  assert.ok(badLimit instanceof errors.BadRequestResponseError, String(badLimit));
  const forbidden = await rejection(client(user.key).apiKeys.list());
  // The listing documents no 403: the SDK's default error, with the status.
  assert.ok(forbidden instanceof errors.OpenRouterDefaultError, String(forbidden));
  assert.equal(forbidden.statusCode, 403);
  const unauthorized = await rejection(client("sk-or-v1-not-a-key").apiKeys.list());
  assert.ok(unauthorized instanceof errors.UnauthorizedResponseError, String(unauthorized));
});

test("chat.send parses, charges the key, and a spent limit is a PaymentRequiredResponseError", async () => {
  const account = "sdk-chat";
  const admin = await control("POST", "/_sim/keys", { label: "sdk-chat-admin", account, kind: "management" });
  const user = await control("POST", "/_sim/keys", { label: "sdk-chat-user", account, generate: false });
  const chatRequest = { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "Hello there" }] };
  const res = await client(user.key).chat.send({ chatRequest });
  assert.equal(res.object, "chat.completion");
  assert.equal(res.choices[0].message.role, "assistant");
  assert.ok(res.usage.cost > 0);
  const truth = await control("GET", `/_sim/keys/${user.key_hash}/truth`);
  assert.equal(Number(truth.usage_daily), res.usage.cost);

  // A limit below what was spent: refused at once.
  await client(admin.key).apiKeys.update({ hash: user.key_hash, requestBody: { limit: 0.0000001 } });
  const refused = await rejection(client(user.key).chat.send({ chatRequest }));
  assert.ok(refused instanceof errors.PaymentRequiredResponseError, String(refused));
  assert.equal(refused.error.code, 402);
});

test("faults reach the management API by method and path prefix", async () => {
  const account = "sdk-faults";
  const admin = await control("POST", "/_sim/keys", { label: "sdk-faults-admin", account, kind: "management" });
  const user = await control("POST", "/_sim/keys", { label: "sdk-faults-user", account });
  await control("POST", "/_sim/faults", { path: "/keys/*", method: "PATCH", status: 500, times: 2 });
  const sdk = client(admin.key);
  for (let i = 0; i < 2; i++) {
    const failed = await rejection(sdk.apiKeys.update({ hash: user.key_hash, requestBody: { disabled: true } }));
    assert.ok(failed instanceof errors.InternalServerResponseError, String(failed));
  }
  const ok = await sdk.apiKeys.update({ hash: user.key_hash, requestBody: { disabled: true } });
  assert.equal(ok.data.disabled, true);
});
