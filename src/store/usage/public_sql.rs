//! The public API's statements: one per `/api/v1` request, the token lookup
//! folded in (`?1` is the token's SHA-256; an inactive or unknown token gives
//! no row). Each also reads the token's scopes and expiry, which the token's
//! object checks before it serves anything. A token limited to some keys
//! (`key_limited`, its keys in `api_token_keys`) reads those keys' own rows
//! instead of the account's rollups; the other branch is never evaluated,
//! so an unlimited token's plan is the rollups' as before. Plain constants
//! with no dependencies, so `cargo xtask bench` includes this very file to
//! print their query plans.

/// `?2`..`?3`: the date range. One row: the token and the range's totals.
/// The key rows are joined first: for an unlimited token that join is one
/// empty row, entered once, and the rollup's rows are the inner loop.
pub const PUBLIC_STATS: &str = "SELECT t.id AS token_id, t.last_used_at, t.scopes, t.expires_at,
        COALESCE(SUM(d.requests_count), SUM(s.requests_count), 0) AS total_requests,
        CAST(COALESCE(SUM(d.cost), SUM(s.cost), 0) AS TEXT) AS total_cost,
        COALESCE(SUM(d.tokens_input), SUM(s.tokens_input), 0) AS total_tokens_input,
        COALESCE(SUM(d.tokens_output), SUM(s.tokens_output), 0) AS total_tokens_output
     FROM api_tokens t
     LEFT JOIN usage_stats s ON t.key_limited = 1
        AND s.api_key_id IN (SELECT api_key_id FROM api_token_keys WHERE token_id = t.id)
        AND s.date BETWEEN ?2 AND ?3
     LEFT JOIN usage_org_day d ON t.key_limited = 0 AND d.org_id = t.org_id AND d.date BETWEEN ?2 AND ?3
     WHERE t.token_hash = ?1 AND t.is_active = 1
     GROUP BY t.id";

/// `?2`..`?3`: the date range, `?4` limit, `?5` offset. One row: the token,
/// the range's row count, and the page as one compact JSON text, an array
/// of `[date, model, requests_count, tokens_input, tokens_output, cost
/// units as text]` (`[]` past the end). D1 hands one text value to the
/// Worker several times faster than a thousand rows, and the count and the
/// page are two index range scans: cheaper than any one-scan form (a window
/// `COUNT(*) OVER ()` buffers the whole range).
pub const PUBLIC_USAGE: &str = "WITH tok AS (
        SELECT id, org_id, last_used_at, scopes, expires_at, key_limited
          FROM api_tokens WHERE token_hash = ?1 AND is_active = 1)
     SELECT tok.id AS token_id, tok.last_used_at, tok.scopes, tok.expires_at,
        CASE WHEN tok.key_limited = 0 THEN
          (SELECT COUNT(*) FROM usage_org_day_model c
            WHERE c.org_id = tok.org_id AND c.date BETWEEN ?2 AND ?3)
        ELSE
          (SELECT COUNT(*) FROM (SELECT 1 FROM usage_stats s
            WHERE s.api_key_id IN (SELECT api_key_id FROM api_token_keys WHERE token_id = tok.id)
              AND s.date BETWEEN ?2 AND ?3 GROUP BY s.date, s.model))
        END AS total,
        CASE WHEN tok.key_limited = 0 THEN
          (SELECT json_group_array(json_array(p.date, p.model, p.requests_count, p.tokens_input,
                                              p.tokens_output, CAST(p.cost AS TEXT)))
             FROM (SELECT * FROM usage_org_day_model m
                    WHERE m.org_id = tok.org_id AND m.date BETWEEN ?2 AND ?3
                    ORDER BY m.date, m.model LIMIT ?4 OFFSET ?5) p)
        ELSE
          (SELECT json_group_array(json_array(p.date, p.model, p.requests_count, p.tokens_input,
                                              p.tokens_output, CAST(p.cost AS TEXT)))
             FROM (SELECT s.date, s.model, SUM(s.requests_count) AS requests_count,
                          SUM(s.tokens_input) AS tokens_input, SUM(s.tokens_output) AS tokens_output,
                          SUM(s.cost) AS cost
                     FROM usage_stats s
                    WHERE s.api_key_id IN (SELECT api_key_id FROM api_token_keys WHERE token_id = tok.id)
                      AND s.date BETWEEN ?2 AND ?3
                    GROUP BY s.date, s.model ORDER BY s.date, s.model LIMIT ?4 OFFSET ?5) p)
        END AS items
     FROM tok";

/// The user's keys (a limited token's only) with all-time totals; one row
/// with NULL key columns when there are none.
pub const PUBLIC_KEYS: &str = "SELECT t.id AS token_id, t.last_used_at, t.scopes, t.expires_at,
        k.id, k.name, k.is_active,
        COALESCE(r.requests_count, 0) AS total_requests,
        CAST(COALESCE(r.cost, 0) AS TEXT) AS total_cost
     FROM api_tokens t
     LEFT JOIN api_keys k ON k.org_id = t.org_id
        AND (t.key_limited = 0 OR k.id IN (SELECT api_key_id FROM api_token_keys WHERE token_id = t.id))
     LEFT JOIN usage_key_total r ON r.api_key_id = k.id
     WHERE t.token_hash = ?1 AND t.is_active = 1
     ORDER BY k.id";

/// `?2`: the last completed UTC day. One row: the token, the user's
/// inference keys (a limited token's only) with their latest snapshot, and
/// the models of that day over those keys, each as one JSON text of objects
/// named like their columns (money as unit text, snapshot columns null
/// without one).
pub const PUBLIC_METRICS: &str = "WITH tok AS (
        SELECT id, org_id, last_used_at, scopes, expires_at, key_limited
          FROM api_tokens WHERE token_hash = ?1 AND is_active = 1)
     SELECT tok.id AS token_id, tok.last_used_at, tok.scopes, tok.expires_at,
        (SELECT json_group_array(json_object('id', k.id, 'name', k.name,
                    'last_synced_at', k.last_synced_at, 'taken_at', s.taken_at,
                    'usage_daily', CAST(s.usage_daily AS TEXT),
                    'usage_weekly', CAST(s.usage_weekly AS TEXT),
                    'usage_monthly', CAST(s.usage_monthly AS TEXT),
                    'usage', CAST(s.usage AS TEXT),
                    'credit_limit', CAST(s.credit_limit AS TEXT),
                    'limit_remaining', CAST(s.limit_remaining AS TEXT),
                    'limit_reset', s.limit_reset))
           FROM (SELECT * FROM api_keys WHERE org_id = tok.org_id AND kind = 'inference'
                   AND (tok.key_limited = 0
                        OR id IN (SELECT api_key_id FROM api_token_keys WHERE token_id = tok.id))
                 ORDER BY id) k
           LEFT JOIN key_snapshots s ON s.id =
               (SELECT id FROM key_snapshots WHERE api_key_id = k.id ORDER BY taken_at DESC, id DESC LIMIT 1)
        ) AS keys,
        CASE WHEN tok.key_limited = 0 THEN
          (SELECT json_group_array(json_object('model', m.model,
                      'requests_count', m.requests_count, 'tokens_input', m.tokens_input,
                      'tokens_output', m.tokens_output, 'cost', CAST(m.cost AS TEXT)))
             FROM (SELECT * FROM usage_org_day_model
                    WHERE org_id = tok.org_id AND date = ?2 ORDER BY model) m)
        ELSE
          (SELECT json_group_array(json_object('model', m.model,
                      'requests_count', m.requests_count, 'tokens_input', m.tokens_input,
                      'tokens_output', m.tokens_output, 'cost', CAST(m.cost AS TEXT)))
             FROM (SELECT s.model, SUM(s.requests_count) AS requests_count,
                          SUM(s.tokens_input) AS tokens_input, SUM(s.tokens_output) AS tokens_output,
                          SUM(s.cost) AS cost
                     FROM usage_stats s
                    WHERE s.api_key_id IN (SELECT api_key_id FROM api_token_keys WHERE token_id = tok.id)
                      AND s.date = ?2
                    GROUP BY s.model ORDER BY s.model) m)
        END AS models
     FROM tok";

/// `?2`..`?3`: the date range. One row: the token, and the range's totals
/// summed per key once (a key whose figures are all zero counts for no
/// one, as on the dashboard's overview), then grouped two ways, each as one compact JSON
/// text: `members`, per person who added the keys (`api_keys.added_by`;
/// null once their account is gone), an array of `[user_id, email,
/// requests_count, tokens_input, tokens_output, cost units as text]`; and
/// `creators`, per OpenRouter member who created them
/// (`api_keys.creator_user_id`; null until a sync read it), an array of
/// `[creator_user_id, requests_count, tokens_input, tokens_output, cost
/// units as text]`. Unordered: `usage::members` ranks them. The keys' own
/// rows, not the rollups: a rollup knows the organisation, not who added
/// or created each key.
pub const PUBLIC_STATS_BY_MEMBER: &str = "WITH tok AS (
        SELECT id, org_id, last_used_at, scopes, expires_at, key_limited
          FROM api_tokens WHERE token_hash = ?1 AND is_active = 1),
     per_key AS (
        SELECT s.api_key_id, SUM(s.requests_count) AS requests_count,
               SUM(s.tokens_input) AS tokens_input, SUM(s.tokens_output) AS tokens_output,
               SUM(s.cost) AS cost
          FROM usage_stats s, tok
         WHERE s.org_id = tok.org_id AND s.date BETWEEN ?2 AND ?3
           AND (tok.key_limited = 0
                OR s.api_key_id IN (SELECT api_key_id FROM api_token_keys WHERE token_id = tok.id))
         GROUP BY s.api_key_id
        HAVING SUM(s.requests_count) <> 0 OR SUM(s.cost) <> 0
            OR SUM(s.tokens_input) <> 0 OR SUM(s.tokens_output) <> 0),
     keyed AS (
        SELECT k.added_by, k.creator_user_id, p.requests_count, p.tokens_input, p.tokens_output, p.cost
          FROM per_key p JOIN api_keys k ON k.id = p.api_key_id)
     SELECT tok.id AS token_id, tok.last_used_at, tok.scopes, tok.expires_at,
        (SELECT json_group_array(json_array(m.user_id, m.email,
                   json_array(m.requests_count, m.tokens_input, m.tokens_output,
                              CAST(m.cost AS TEXT))))
           FROM (SELECT g.added_by AS user_id, u.email, SUM(g.requests_count) AS requests_count,
                        SUM(g.tokens_input) AS tokens_input, SUM(g.tokens_output) AS tokens_output,
                        SUM(g.cost) AS cost
                   FROM keyed g LEFT JOIN users u ON u.id = g.added_by
                  GROUP BY g.added_by) m) AS members,
        (SELECT json_group_array(json_array(c.creator_user_id,
                   json_array(c.requests_count, c.tokens_input, c.tokens_output,
                              CAST(c.cost AS TEXT))))
           FROM (SELECT g.creator_user_id, SUM(g.requests_count) AS requests_count,
                        SUM(g.tokens_input) AS tokens_input, SUM(g.tokens_output) AS tokens_output,
                        SUM(g.cost) AS cost
                   FROM keyed g GROUP BY g.creator_user_id) c) AS creators
     FROM tok";
