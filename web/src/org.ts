// Which organisation the dashboard acts in: `?org=<id>` in the page's URL
// (so a link or a reload keeps it), sent to the API as `X-Organisation`.
// Without it, the person's personal organisation.

/** The largest id the API takes (2^53-1). */
const MAX_ID = 9007199254740991;

/** The organisation a page's query string names, or null (none, or not an id). */
export function orgFromSearch(search: string): number | null {
  const raw = new URLSearchParams(search).get('org');
  if (raw === null || !/^[1-9][0-9]{0,15}$/.test(raw)) return null;
  const id = Number(raw);
  return id <= MAX_ID ? id : null;
}

/** The query string that acts in `org` (null: the personal organisation),
 *  keeping every other parameter. */
export function searchWithOrg(search: string, org: number | null): string {
  const params = new URLSearchParams(search);
  if (org === null) params.delete('org');
  else params.set('org', String(org));
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** What the switcher says of an organisation. */
export function orgLabel(o: { name: string; role: string; members: number }): string {
  const people = o.members === 1 ? '1 person' : `${o.members} people`;
  return `${o.name} (${o.role}, ${people})`;
}

/** The roles, least first (the API's order). */
export const ROLES = ['viewer', 'member', 'admin', 'owner'] as const;
export type RoleName = (typeof ROLES)[number];

/** Whether `role` is `needed` or above. */
export function atLeast(role: RoleName, needed: RoleName): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** The roles `actor` may move a member from `from` to (never `from` itself):
 *  what the API allows (`domain::role::may_change`): admins manage members
 *  and viewers between themselves, owners anyone to anything. */
export function rolesToGive(actor: RoleName, from: RoleName): RoleName[] {
  return ROLES.filter((to) => to !== from && atLeast(actor, neededToChange(from, to)));
}

/** The least role that moves a member from `from` to `to`. */
function neededToChange(from: RoleName, to: RoleName): RoleName {
  return atLeast(from, 'admin') || atLeast(to, 'admin') ? 'owner' : 'admin';
}

/** The roles `actor` may invite someone with (or revoke such an
 *  invitation), highest first: giving a role to someone who holds none
 *  (`domain::role::may_invite`), never owner. */
export function rolesToInvite(actor: RoleName): RoleName[] {
  return ROLES.filter((r) => r !== 'owner' && atLeast(actor, neededToChange('viewer', r))).reverse();
}

/** The link an invitation is passed on as: the token stays in the page's
 *  hash, which no request carries (server logs never see it). */
export function invitationLink(origin: string, token: string): string {
  return `${origin}/#/join?token=${encodeURIComponent(token)}`;
}

/** What the page says of a new invitation's e-mail (`mail` of its answer)
 *  and of the link it shows once. */
export function invitationNote(mail: string, email: string): string {
  switch (mail) {
    case 'sent':
      return `We e-mailed the link to ${email}. It is also here, shown only now; it works once, for that address.`;
    case 'capped':
      return `No e-mail was sent: this organisation's e-mails for today are used up. Send them this link yourself: it is shown only now, and works once.`;
    case 'failed':
      return `The e-mail could not be sent. Send them this link yourself: it is shown only now, and works once.`;
    default:
      return 'Send them this link: it is shown only now, and works once.';
  }
}

/** An invitation token as `#/join?token=` holds it, or null. */
export function invitationToken(params: URLSearchParams): string | null {
  const token = params.get('token');
  return token !== null && /^or_inv_[A-Za-z0-9_-]{43}$/.test(token) ? token : null;
}

/** The organisation the page acts in among the person's: the one `?org=`
 *  names, else the personal one (the first). */
export function currentOrg<T extends { id: number }>(items: readonly T[], search: string): T | null {
  const asked = orgFromSearch(search);
  return items.find((o) => o.id === asked) ?? items[0] ?? null;
}
