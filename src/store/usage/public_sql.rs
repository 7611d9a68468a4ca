//! The public API's statements: one per `/api/v1` request, the token lookup
//! folded in (`?1` is the token's SHA-256; an inactive or unknown token gives
//! no row). Plain constants with no dependencies, so `cargo xtask bench`
//! includes this very file to print their query plans.

/// `?2`..`?3`: the date range. One row: the token and the range's totals.
pub const PUBLIC_STATS: &str = "SELECT t.id AS token_id, t.last_used_at,
        COALESCE(SUM(d.requests_count), 0) AS total_requests,
        CAST(COALESCE(SUM(d.cost), 0) AS TEXT) AS total_cost,
        COALESCE(SUM(d.tokens_input), 0) AS total_tokens_input,
        COALESCE(SUM(d.tokens_output), 0) AS total_tokens_output
     FROM api_tokens t
     LEFT JOIN usage_user_day d ON d.user_id = t.user_id AND d.date BETWEEN ?2 AND ?3
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
        SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = ?1 AND is_active = 1)
     SELECT tok.id AS token_id, tok.last_used_at,
        (SELECT COUNT(*) FROM usage_user_day_model c
          WHERE c.user_id = tok.user_id AND c.date BETWEEN ?2 AND ?3) AS total,
        (SELECT json_group_array(json_array(p.date, p.model, p.requests_count, p.tokens_input,
                                            p.tokens_output, CAST(p.cost AS TEXT)))
           FROM (SELECT * FROM usage_user_day_model m
                  WHERE m.user_id = tok.user_id AND m.date BETWEEN ?2 AND ?3
                  ORDER BY m.date, m.model LIMIT ?4 OFFSET ?5) p) AS items
     FROM tok";

/// The user's keys with all-time totals; one row with NULL key columns when
/// the user has no keys.
pub const PUBLIC_KEYS: &str = "SELECT t.id AS token_id, t.last_used_at, k.id, k.name, k.is_active,
        COALESCE(r.requests_count, 0) AS total_requests,
        CAST(COALESCE(r.cost, 0) AS TEXT) AS total_cost
     FROM api_tokens t
     LEFT JOIN api_keys k ON k.user_id = t.user_id
     LEFT JOIN usage_key_total r ON r.api_key_id = k.id
     WHERE t.token_hash = ?1 AND t.is_active = 1
     ORDER BY k.id";

/// `?2`: the last completed UTC day. One row: the token, the user's
/// inference keys with their latest snapshot, and the models of that day,
/// each as one JSON text of objects named like their columns (money as unit
/// text, snapshot columns null without one).
pub const PUBLIC_METRICS: &str = "WITH tok AS (
        SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = ?1 AND is_active = 1)
     SELECT tok.id AS token_id, tok.last_used_at,
        (SELECT json_group_array(json_object('id', k.id, 'name', k.name,
                    'last_synced_at', k.last_synced_at, 'taken_at', s.taken_at,
                    'usage_daily', CAST(s.usage_daily AS TEXT),
                    'usage_weekly', CAST(s.usage_weekly AS TEXT),
                    'usage_monthly', CAST(s.usage_monthly AS TEXT),
                    'usage', CAST(s.usage AS TEXT),
                    'credit_limit', CAST(s.credit_limit AS TEXT),
                    'limit_remaining', CAST(s.limit_remaining AS TEXT),
                    'limit_reset', s.limit_reset))
           FROM (SELECT * FROM api_keys WHERE user_id = tok.user_id AND kind = 'inference' ORDER BY id) k
           LEFT JOIN key_snapshots s ON s.id =
               (SELECT id FROM key_snapshots WHERE api_key_id = k.id ORDER BY taken_at DESC, id DESC LIMIT 1)
        ) AS keys,
        (SELECT json_group_array(json_object('model', m.model,
                    'requests_count', m.requests_count, 'tokens_input', m.tokens_input,
                    'tokens_output', m.tokens_output, 'cost', CAST(m.cost AS TEXT)))
           FROM (SELECT * FROM usage_user_day_model
                  WHERE user_id = tok.user_id AND date = ?2 ORDER BY model) m) AS models
     FROM tok";
