// The floors of the cold rows (SPEC §11, "Cold and warm"): the least work
// that gives the same answer, in plain JavaScript, with no token or session,
// no rate limit and no wasm. `cargo xtask bench` starts it beside the
// product (same `--persist-to`, same D1 binding and database, its own
// generated wrangler config) and never deploys it.
//
//   GET /usage?start_date&end_date&page&limit  the usage page (rows), one D1 statement
//   GET /hop/usage?…                           the same, read and returned by one
//                                              Durable Object: a public request's
//                                              two round trips with the page
//   GET /hop/stats?start_date&end_date         the range's totals from the per-organisation
//                                              day rollup (the product's statement
//                                              without the token's join), summed and
//                                              returned by one Durable Object
//   GET /hop/one                               one Durable Object call that runs one
//                                              trivial D1 statement: the two round
//                                              trips with nothing in them
//   GET /dashboard?start_date&end_date         the dashboard's cells (per day and
//                                              model, per day and key) read in one
//                                              D1 batch of the product's two
//                                              statements; answers their counts (the
//                                              product answers an aggregate of them)
//   GET /usage.csv?start_date&end_date         the export's rows, one D1 statement,
//                                              written as CSV
//   GET /noop                                  no binding at all (readiness)
//
// The organisation is `BENCH_ORG_ID` from the generated config.

const PAGE_SQL = `SELECT date, model, requests_count, tokens_input, tokens_output,
       CAST(cost AS TEXT) AS cost
  FROM usage_org_day_model
 WHERE org_id = ?1 AND date BETWEEN ?2 AND ?3
 ORDER BY date, model LIMIT ?4 OFFSET ?5`;

// `src/store/usage/public_sql.rs`: PUBLIC_STATS without `api_tokens`.
const STATS_SQL = `SELECT COALESCE(SUM(requests_count), 0) AS total_requests,
        CAST(COALESCE(SUM(cost), 0) AS TEXT) AS total_cost,
        COALESCE(SUM(tokens_input), 0) AS total_tokens_input,
        COALESCE(SUM(tokens_output), 0) AS total_tokens_output
     FROM usage_org_day WHERE org_id = ?1 AND date BETWEEN ?2 AND ?3`;

// `src/store/usage.rs`: MODEL_CELLS_ROLLUP and KEY_CELLS (the dashboard's
// batch, `overview_cells`) and `key_usage` (the export, at most 100,000 rows
// and one more to refuse a larger one), with no key or model filter.
const MODEL_CELLS_SQL = `SELECT date, model, requests_count, tokens_input, tokens_output,
        CAST(cost AS TEXT) AS cost
     FROM usage_org_day_model
     WHERE org_id = ?1 AND date BETWEEN ?2 AND ?3 AND (?5 IS NULL OR model = ?5)`;
const KEY_CELLS_SQL = `SELECT date, api_key_id, SUM(requests_count) AS requests_count,
        CAST(SUM(cost) AS TEXT) AS cost
     FROM usage_stats WHERE org_id = ?1 AND date BETWEEN ?2 AND ?3
       AND (?4 IS NULL OR api_key_id = ?4) AND (?5 IS NULL OR model = ?5)
     GROUP BY date, api_key_id`;
const EXPORT_SQL = `SELECT date, model, api_key_id, requests_count, tokens_input, tokens_output,
        CAST(cost AS TEXT) AS cost, COUNT(*) OVER () AS total
     FROM usage_stats WHERE org_id = ?1 AND date BETWEEN ?2 AND ?3
       AND (?4 IS NULL OR api_key_id = ?4) AND (?5 IS NULL OR model = ?5)
     ORDER BY date, model, api_key_id LIMIT ?6 OFFSET ?7`;
const EXPORT_MAX_ROWS = 100000;
const EXPORT_COLUMNS = ["date", "model", "api_key_id", "requests_count", "tokens_input", "tokens_output", "cost"];

// The product's store retries these too: the local D1 file is shared with
// the product's process, which may hold it for a moment (a checkpoint).
const BUSY = /SQLITE_BUSY|database is locked|internal error; reference/;
const RETRY_MS = [25, 75, 200, 500];

async function retryBusy(run) {
  for (const wait of RETRY_MS) {
    try {
      return await run();
    } catch (e) {
      if (!BUSY.test(String(e))) throw e;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  return run();
}

async function page(env, url) {
  const q = url.searchParams;
  const limit = Number(q.get("limit") ?? 100);
  const pageNo = Number(q.get("page") ?? 1);
  const args = [Number(env.BENCH_ORG_ID), q.get("start_date"), q.get("end_date"), limit, (pageNo - 1) * limit];
  const { results } = await retryBusy(() => env.DB.prepare(PAGE_SQL).bind(...args).all());
  return JSON.stringify({ items: results, pagination: { page: pageNo, limit } });
}

// The range's arguments, then no key and no model.
function ranged(env, url) {
  const q = url.searchParams;
  return [Number(env.BENCH_ORG_ID), q.get("start_date"), q.get("end_date"), null, null];
}

async function dashboard(env, url) {
  const args = ranged(env, url);
  const statements = [MODEL_CELLS_SQL, KEY_CELLS_SQL].map((sql) => env.DB.prepare(sql).bind(...args));
  const [models, keys] = await retryBusy(() => env.DB.batch(statements));
  return JSON.stringify({ models: models.results.length, keys: keys.results.length });
}

// Plain CSV (the bench's cells need no quoting), CRLF line ends.
async function exportCsv(env, url) {
  const args = [...ranged(env, url), EXPORT_MAX_ROWS + 1, 0];
  const { results } = await retryBusy(() => env.DB.prepare(EXPORT_SQL).bind(...args).all());
  const lines = [EXPORT_COLUMNS.join(",")];
  for (const row of results) lines.push(EXPORT_COLUMNS.map((c) => row[c]).join(","));
  return lines.join("\r\n") + "\r\n";
}

async function stats(env, url) {
  const q = url.searchParams;
  const args = [Number(env.BENCH_ORG_ID), q.get("start_date"), q.get("end_date")];
  const summary = await retryBusy(() => env.DB.prepare(STATS_SQL).bind(...args).first());
  return JSON.stringify({ summary, period: { start_date: args[1], end_date: args[2] } });
}

async function one(env) {
  return JSON.stringify(await retryBusy(() => env.DB.prepare("SELECT 1 AS one").first()));
}

const json = (text) => new Response(text, { headers: { "content-type": "application/json" } });

export class Hop {
  constructor(state, env) {
    this.env = env;
  }

  async fetch(request) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/one":
        return json(await one(this.env));
      case "/stats":
        return json(await stats(this.env, url));
      default:
        return json(await page(this.env, url));
    }
  }
}

async function hop(env, path) {
  const stub = env.HOP.get(env.HOP.idFromName("floor"));
  const answer = await stub.fetch(`https://hop${path}`);
  return new Response(answer.body, answer);
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/usage":
        return json(await page(env, url));
      case "/hop/usage":
        return hop(env, `/usage${url.search}`);
      case "/hop/one":
        return hop(env, "/one");
      case "/hop/stats":
        return hop(env, `/stats${url.search}`);
      case "/dashboard":
        return json(await dashboard(env, url));
      case "/usage.csv":
        return new Response(await exportCsv(env, url), { headers: { "content-type": "text/csv; charset=utf-8" } });
      case "/noop":
        return new Response("ok");
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
