// The organisation the page acts in, with the person's role there: what
// the screens show or hide (the API refuses whatever a role may not do;
// the screens do not offer it).
import { api, type Organisation } from './api';
import { useResource } from './hooks';
import { atLeast, currentOrg, type RoleName } from './org';

export interface CurrentOrg {
  org: Organisation | null;
  /** Whether the person may change things here (member and above; what a
   *  member may change is narrower, and the API says so). */
  mayChange: boolean;
  /** Whether the person manages the organisation (admin and above). */
  manages: boolean;
}

export function useCurrentOrg(): CurrentOrg {
  const orgs = useResource('organisations', (signal) => api.organisations(signal));
  const org = currentOrg(orgs.data?.items ?? [], location.search);
  const role: RoleName = org?.role ?? 'owner';
  return { org, mayChange: atLeast(role, 'member'), manages: atLeast(role, 'admin') };
}
