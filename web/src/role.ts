// The organisation the page acts in, with the person's role there: what
// the screens show or hide (the API refuses whatever a role may not do;
// the screens do not offer it).
import { api, getToken, type Organisation } from './api';
import { useResource, type Resource } from './hooks';
import { atLeast, currentOrg, type RoleName } from './org';

type OrganisationList = Awaited<ReturnType<typeof api.organisations>>;

/** The one request for this session's organisations: the header's
 *  switcher, the read-only note and each screen read the same answer.
 *  The list changes only with a page load (switching, joining, leaving),
 *  or with another session; a failed request is asked again next time. */
let asked: { token: string | null; list: Promise<OrganisationList> } | null = null;

function organisationsOfThisSession(): Promise<OrganisationList> {
  const token = getToken();
  if (asked !== null && asked.token === token) return asked.list;
  const list = api.organisations().catch((e: unknown) => {
    asked = null;
    throw e;
  });
  asked = { token, list };
  return list;
}

export function useOrganisations(): Resource<OrganisationList> {
  return useResource('organisations', () => organisationsOfThisSession());
}

export interface CurrentOrg {
  org: Organisation | null;
  /** Whether the person may change things here (member and above; what a
   *  member may change is narrower, and the API says so). */
  mayChange: boolean;
  /** Whether the person manages the organisation (admin and above). */
  manages: boolean;
}

export function useCurrentOrg(): CurrentOrg {
  const orgs = useOrganisations();
  const org = currentOrg(orgs.data?.items ?? [], location.search);
  const role: RoleName = org?.role ?? 'owner';
  return { org, mayChange: atLeast(role, 'member'), manages: atLeast(role, 'admin') };
}
