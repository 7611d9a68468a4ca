//! What a digest says, in three forms: plain text (the e-mail's first
//! part, and the body a Slack-compatible webhook shows), HTML, and its
//! subject. Figures arrive computed (the Worker reads them with the
//! dashboard's queries); this only lays them out. Nothing here may hold a
//! key or a token: the figures are names, amounts and dates.

use std::fmt::Write as _;

use super::period::Period;
use crate::domain::money::Money;
use crate::email::mime::escape_html;

/// A name and what it spent in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spender {
    pub name: String,
    pub cost: Money,
}

/// A budget as `GET /api/budgets` shows it, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetLine {
    pub label: String,
    pub spent: Money,
    pub amount: Money,
    /// The runway in words ("reached on 14 Dec, 6 days before it resets").
    pub runway: String,
}

/// An alert event of the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertLine {
    pub at: String,
    pub kind: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub period: Period,
    pub previous: Period,
    pub tz: String,
    /// The dashboard's `totals.total_cost` over the period's dates.
    pub total: Money,
    pub previous_total: Money,
    pub top_keys: Vec<Spender>,
    pub top_models: Vec<Spender>,
    pub budgets: Vec<BudgetLine>,
    pub alerts: Vec<AlertLine>,
    pub dormant_keys: Vec<String>,
    pub unlimited_keys: Vec<String>,
    pub dashboard_url: String,
    /// A preview of the period so far, not the finished period.
    pub preview: bool,
}

/// Lines of each list a digest shows.
pub const TOP: usize = 5;

fn title(d: &Digest) -> String {
    let kind = match d.period.kind {
        super::period::DigestKind::Weekly => "Weekly",
        super::period::DigestKind::Monthly => "Monthly",
    };
    let so_far = if d.preview { " (so far)" } else { "" };
    format!(
        "{kind} OpenRouter spend{so_far}: {} to {}",
        d.period.start, d.period.end
    )
}

pub fn subject(d: &Digest) -> String {
    format!("{}: {} USD", title(d), d.total)
}

/// The change against the previous period, in words.
fn change(d: &Digest) -> String {
    match d.total.checked_sub(d.previous_total) {
        Some(diff) if diff == Money::ZERO => "the same as".to_owned(),
        Some(diff) if diff.units() > 0 => format!("{diff} USD more than"),
        Some(diff) => match Money::ZERO.checked_sub(diff) {
            Some(less) => format!("{less} USD less than"),
            None => "different from".to_owned(),
        },
        None => "different from".to_owned(),
    }
}

/// The sections, each a heading and its lines.
fn sections(d: &Digest) -> Vec<(&'static str, Vec<String>)> {
    let spenders = |list: &[Spender]| -> Vec<String> {
        list.iter()
            .take(TOP)
            .map(|s| format!("{}: {} USD", s.name, s.cost))
            .collect()
    };
    vec![
        ("Top keys", spenders(&d.top_keys)),
        ("Top models", spenders(&d.top_models)),
        (
            "Budgets",
            d.budgets
                .iter()
                .map(|b| {
                    format!(
                        "{}: {} of {} USD spent; {}",
                        b.label, b.spent, b.amount, b.runway
                    )
                })
                .collect(),
        ),
        (
            "Alerts",
            d.alerts
                .iter()
                .map(|a| format!("{} {}: {}", a.at, a.kind, a.message))
                .collect(),
        ),
        (
            "Dormant keys (no spend in the period)",
            d.dormant_keys.clone(),
        ),
        ("Keys without an OpenRouter limit", d.unlimited_keys.clone()),
    ]
}

fn summary(d: &Digest) -> String {
    format!(
        "{} USD spent from {} to {} ({} days in {}), {} the {} to {} before ({} USD).",
        d.total,
        d.period.start,
        d.period.end,
        d.period
            .end
            .signed_duration_since(d.period.start)
            .num_days()
            .saturating_add(1),
        d.tz,
        change(d),
        d.previous.start,
        d.previous.end,
        d.previous_total
    )
}

/// Plain text: the e-mail's text part and a webhook's message.
pub fn text(d: &Digest) -> String {
    let mut out = format!("{}\n\n{}\n", title(d), summary(d));
    for (heading, lines) in sections(d) {
        let _ = write!(out, "\n{heading}:\n");
        if lines.is_empty() {
            out.push_str("  none\n");
        }
        for line in lines {
            let _ = writeln!(out, "  - {line}");
        }
    }
    let _ = write!(
        out,
        "\nDays are local days in {}; amounts are exact USD. Dashboard: {}\n",
        d.tz, d.dashboard_url
    );
    out
}

/// HTML: the e-mail's second part.
pub fn html(d: &Digest) -> String {
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\"><body>\n<h1>{}</h1>\n<p>{}</p>\n",
        escape_html(&title(d)),
        escape_html(&summary(d))
    );
    for (heading, lines) in sections(d) {
        let _ = writeln!(out, "<h2>{}</h2>", escape_html(heading));
        if lines.is_empty() {
            out.push_str("<p>None.</p>\n");
            continue;
        }
        out.push_str("<ul>\n");
        for line in lines {
            let _ = writeln!(out, "<li>{}</li>", escape_html(&line));
        }
        out.push_str("</ul>\n");
    }
    let _ = write!(
        out,
        "<p>Days are local days in {}; amounts are exact USD. <a href=\"{}\">Open the dashboard</a>.</p>\n</body></html>\n",
        escape_html(&d.tz),
        escape_html(&d.dashboard_url)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::super::period::{self, DigestKind};
    use super::*;

    fn usd(text: &str) -> Money {
        Money::parse_exact(text).unwrap()
    }

    fn digest() -> Digest {
        let today = "2026-12-07".parse().unwrap();
        let p = period::last_completed(DigestKind::Weekly, today).unwrap();
        Digest {
            period: p,
            previous: period::previous(&p).unwrap(),
            tz: "Europe/Rome".into(),
            total: usd("12.5"),
            previous_total: usd("20"),
            top_keys: vec![Spender {
                name: "<script>prod".into(),
                cost: usd("12.5"),
            }],
            top_models: vec![],
            budgets: vec![BudgetLine {
                label: "10 USD monthly budget".into(),
                spent: usd("8.5"),
                amount: usd("10"),
                runway: "reached on 14 Dec".into(),
            }],
            alerts: vec![],
            dormant_keys: vec!["old".into()],
            unlimited_keys: vec![],
            dashboard_url: "https://w.example/".into(),
            preview: false,
        }
    }

    #[test]
    fn says_the_figures_and_the_change() {
        let d = digest();
        let text = text(&d);
        assert!(text.contains("12.5 USD spent from 2026-11-30 to 2026-12-06 (7 days in Europe/Rome), 7.5 USD less than the 2026-11-23 to 2026-11-29 before (20 USD)."), "{text}");
        assert!(text.contains("  - <script>prod: 12.5 USD\n"));
        assert!(text.contains("Top models:\n  none\n"));
        assert_eq!(
            subject(&d),
            "Weekly OpenRouter spend: 2026-11-30 to 2026-12-06: 12.5 USD"
        );
    }

    #[test]
    fn html_escapes_names() {
        let html = html(&digest());
        assert!(html.contains("&lt;script&gt;prod"));
        assert!(!html.contains("<script>"));
    }
}
