//! What an invitation e-mail says: who invites whom into which
//! organisation with which role, and the link that accepts it.
//!
//! The link is `PUBLIC_URL/#/join?token=…`: the token travels in the
//! fragment, which no browser sends to a server, so neither a mail
//! scanner fetching the link nor any log along the way receives it, and
//! the page it opens accepts only on a click. The token is single-use,
//! expires, and is accepted only by the person signed in with the invited
//! address: this message to that address is what it is for.

/// Longest organisation name a subject quotes before cutting it short.
const SUBJECT_NAME_MAX: usize = 60;

/// What the message is made of.
#[derive(Debug, Clone, Copy)]
pub struct Invitation<'a> {
    /// The inviter's address.
    pub by: &'a str,
    pub organisation: &'a str,
    pub role: &'a str,
    /// The invited address.
    pub to: &'a str,
    /// `PUBLIC_URL`, without a trailing slash.
    pub public_url: &'a str,
    pub token: &'a str,
    pub days: i64,
}

/// The dashboard's link that opens the invitation.
pub fn join_url(public_url: &str, token: &str) -> String {
    format!("{public_url}/#/join?token={token}")
}

/// The subject and plain text of the message.
pub fn render(i: &Invitation<'_>) -> (String, String) {
    let name = shorten(i.organisation, SUBJECT_NAME_MAX);
    let subject = format!("Join “{name}” on OpenRouter Watcher");
    let article = if i.role.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let text = format!(
        "{by} invited you to join the organisation “{org}” on OpenRouter Watcher as {article} {role}: \
         its members follow what their OpenRouter keys cost, together.\n\n\
         To join, open this link within {days} days, sign in or register with this address ({to}), \
         and press “Accept the invitation”:\n{url}\n\n\
         The link works once, and only for {to}. If you did not expect this message, ignore it: \
         nothing happens unless you accept.\n",
        by = i.by,
        org = i.organisation,
        role = i.role,
        days = i.days,
        to = i.to,
        url = join_url(i.public_url, i.token),
    );
    (subject, text)
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invitation<'a>(organisation: &'a str, role: &'a str) -> Invitation<'a> {
        Invitation {
            by: "owner@example.com",
            organisation,
            role,
            to: "new@example.org",
            public_url: "https://w.example",
            token: "or_inv_abc",
            days: 7,
        }
    }

    #[test]
    fn says_who_what_until_when_and_links_in_the_fragment() {
        let (subject, text) = render(&invitation("Acme AI", "admin"));
        assert_eq!(subject, "Join “Acme AI” on OpenRouter Watcher");
        assert!(text.starts_with(
            "owner@example.com invited you to join the organisation “Acme AI” on OpenRouter Watcher as an admin"
        ));
        assert!(text.contains("within 7 days"));
        assert!(text.contains("(new@example.org)"));
        assert!(text.contains("\nhttps://w.example/#/join?token=or_inv_abc\n"));
        assert!(render(&invitation("x", "viewer")).1.contains("as a viewer"));
    }

    #[test]
    fn a_long_name_is_cut_in_the_subject_only() {
        let long = "é".repeat(200);
        let (subject, text) = render(&invitation(&long, "member"));
        assert_eq!(
            subject.chars().filter(|c| *c == 'é').count(),
            SUBJECT_NAME_MAX - 1
        );
        assert!(subject.contains('…'));
        assert!(text.contains(&long));
    }
}
