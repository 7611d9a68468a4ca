import { orgFromSearch, orgLabel, searchWithOrg } from '../org';
import { useOrganisations } from '../role';

/** Which organisation the dashboard acts in, for a person in more than one.
 *  The choice lives in the URL (`?org=`): switching loads the page again,
 *  so nothing of the other organisation stays on screen. */
export function OrgSwitcher() {
  const orgs = useOrganisations();
  const items = orgs.data?.items ?? [];
  if (items.length < 2) return null;
  const personal = items[0]?.id ?? null;
  const asked = orgFromSearch(location.search);
  const current = items.some((o) => o.id === asked) ? asked : personal;
  const choose = (e: Event) => {
    const id = Number((e.currentTarget as HTMLSelectElement).value);
    location.search = searchWithOrg(location.search, id === personal ? null : id);
  };
  return (
    <label class="org-switcher">
      <span class="sr-only">Organisation</span>
      <select value={String(current)} onChange={choose} data-testid="org-switcher">
        {items.map((o) => (
          <option key={o.id} value={String(o.id)}>
            {orgLabel(o)}
          </option>
        ))}
      </select>
    </label>
  );
}
