// The floors of the public API's cold rows (SPEC §11, "Cold and warm"): the
// least work that gives the same answer, in plain JavaScript, with no token,
// no rate limit and no wasm. `cargo xtask bench` starts it beside the
// product (same `--persist-to`, same D1 binding and database, its own
// generated wrangler config) and never deploys it.
//
//   GET /usage?start_date&end_date&page&limit  the usage page (rows), one D1 statement
//   GET /hop/usage?…                           the same, read and returned by one
//                                              Durable Object: a public request's
//                                              two round trips with the page
//   GET /hop/one                               one Durable Object call that runs one
//                                              trivial D1 statement: the two round
//                                              trips with nothing in them
//   GET /noop                                  no binding at all (readiness)
//
// The user is `BENCH_USER_ID` from the generated config.

const PAGE_SQL = `SELECT date, model, requests_count, tokens_input, tokens_output,
       CAST(cost AS TEXT) AS cost
  FROM usage_user_day_model
 WHERE user_id = ?1 AND date BETWEEN ?2 AND ?3
 ORDER BY date, model LIMIT ?4 OFFSET ?5`;

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
  const args = [Number(env.BENCH_USER_ID), q.get("start_date"), q.get("end_date"), limit, (pageNo - 1) * limit];
  const { results } = await retryBusy(() => env.DB.prepare(PAGE_SQL).bind(...args).all());
  return JSON.stringify({ items: results, pagination: { page: pageNo, limit } });
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
    return json(url.pathname === "/one" ? await one(this.env) : await page(this.env, url));
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
      case "/noop":
        return new Response("ok");
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
