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
