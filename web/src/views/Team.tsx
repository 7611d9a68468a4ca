import { useState } from 'preact/hooks';
import { api, errorMessage, fieldErrors, passwordFormErrors, signedInThroughAccess, type Invitation, type Member, type PendingInvitation, type Role } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CheckField, SelectField, TextField } from '../components/Field';
import { AccessConfirms } from '../components/Reauth';
import { Busy, Notice } from '../components/Notice';
import { SecretOnce } from '../components/SecretOnce';
import { formatTimestamp } from '../dates';
import { useResource, useTitle } from '../hooks';
import { invitationLink, invitationNote, rolesToGive, rolesToInvite, searchWithOrg, type RoleName } from '../org';
import { useCurrentOrg, useOrganisations } from '../role';
import { checkEmail, checkPresent } from '../validate';

const ROLE_TEXT: Record<RoleName, string> = {
  owner: 'Owner: everything, the organisation itself included',
  admin: 'Admin: keys, budgets, webhooks, tokens, and the members below admin',
  member: 'Member: sees everything, manages the keys they add',
  viewer: 'Viewer: reads everything, changes nothing, sees no key preview',
};

type Message = { tone: 'success' | 'error'; text: string } | null;

export function Team() {
  useTitle('Team');
  const { org, manages } = useCurrentOrg();
  // The person's own personal organisation is listed first; it goes only with the account.
  const personal = useOrganisations().data?.items[0]?.id === org?.id;
  const me = useResource('me', (signal) => api.me(signal));
  const members = useResource<Member[]>(org ? `members:${org.id}` : null, (signal) => api.members(signal));
  const invitations = useResource<PendingInvitation[]>(org && manages ? `invitations:${org.id}` : null, (signal) => api.invitations(signal));
  const [message, setMessage] = useState<Message>(null);
  const [leaving, setLeaving] = useState<Member | null>(null);
  const [busy, setBusy] = useState(false);
  const role: RoleName = org?.role ?? 'viewer';
  const myId = me.data?.id;

  async function changeRole(m: Member, to: Role) {
    setMessage(null);
    try {
      await api.changeMember(m.user_id, to);
      members.mutate((old) => old?.map((x) => (x.user_id === m.user_id ? { ...x, role: to } : x)));
      setMessage({ tone: 'success', text: `${m.email} is now ${to}.` });
      if (m.user_id === myId) location.reload();
    } catch (ex) {
      setMessage({ tone: 'error', text: `Could not change ${m.email}’s role: ${errorMessage(ex)}` });
    }
  }

  async function remove() {
    const m = leaving;
    if (!m) return;
    setBusy(true);
    try {
      await api.removeMember(m.user_id);
      if (m.user_id === myId) {
        // Left: back to the personal organisation.
        location.href = `${location.pathname}#/overview`;
        return;
      }
      members.mutate((old) => old?.filter((x) => x.user_id !== m.user_id));
      setMessage({ tone: 'success', text: `${m.email} is no longer in ${org?.name ?? 'the organisation'}.` });
    } catch (ex) {
      setMessage({ tone: 'error', text: `Could not remove ${m.email}: ${errorMessage(ex)}` });
    } finally {
      setBusy(false);
      setLeaving(null);
    }
  }

  const self = leaving !== null && leaving.user_id === myId;
  const owners = members.data?.filter((m) => m.role === 'owner').length ?? 0;
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          Team{org ? `: ${org.name}` : ''}
        </h1>
        <Busy active={members.loading} label={members.data ? 'Updating…' : 'Loading…'} />
      </div>
      <p class="lede">
        Everyone here sees this organisation’s keys and spend; what each can change depends on their role. You are <strong data-testid="my-role">{role}</strong>: {ROLE_TEXT[role].split(': ')[1]}.
      </p>
      {message ? (
        <Notice tone={message.tone} testId="team-message">
          {message.text}
        </Notice>
      ) : null}

      <section class="panel" aria-labelledby="members-title">
        <h2 id="members-title">Members</h2>
        {members.error ? <Notice tone="error">Could not load the members: {errorMessage(members.error)}</Notice> : null}
        {members.data ? (
          <div class="table-scroll" tabIndex={0} role="region" aria-label="Members (table, scrolls sideways)">
            <table data-testid="members-table">
              <thead>
                <tr>
                  <th scope="col">Person</th>
                  <th scope="col">Role</th>
                  <th scope="col">Joined</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {members.data.map((m) => (
                  <MemberRow
                    key={m.user_id}
                    member={m}
                    actor={role}
                    isMe={m.user_id === myId}
                    lastOwner={m.role === 'owner' && owners === 1}
                    onRole={(to) => void changeRole(m, to)}
                    onRemove={() => setLeaving(m)}
                  />
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <p class="hint">Ownership is handed over by making another member an owner, who can then make you an admin; an organisation always keeps an owner.</p>
      </section>

      {manages ? <Invitations role={role} pending={invitations.data ?? []} error={invitations.error} onChange={() => invitations.reload()} /> : null}
      {org && role === 'owner' && !personal ? <DeleteOrganisation name={org.name} /> : null}

      <ConfirmDialog
        open={leaving !== null}
        title={self ? `Leave ${org?.name ?? 'the organisation'}?` : `Remove ${leaving?.email ?? ''}?`}
        confirmLabel={self ? 'Leave' : 'Remove'}
        onConfirm={() => void remove()}
        onCancel={() => setLeaving(null)}
        busy={busy}
      >
        <p>{self ? 'You will no longer see its keys and spend; an admin can invite you again.' : 'They will no longer see its keys and spend. The keys they added stay.'}</p>
      </ConfirmDialog>
    </section>
  );
}

interface RowProps {
  member: Member;
  actor: RoleName;
  isMe: boolean;
  /** The organisation's only owner: neither steps down nor leaves (the API refuses both). */
  lastOwner: boolean;
  onRole: (to: Role) => void;
  onRemove: () => void;
}

function MemberRow({ member: m, actor, isMe, lastOwner, onRole, onRemove }: RowProps) {
  const choices = lastOwner ? [] : rolesToGive(actor, m.role);
  const removable = !lastOwner && (isMe || choices.length > 0);
  return (
    <tr data-testid="member-row" data-role={m.role}>
      <th scope="row">
        {m.email}
        {isMe ? <span class="hint"> (you)</span> : null}
      </th>
      <td>
        {choices.length > 0 ? (
          <label>
            <span class="sr-only">Role of {m.email}</span>
            <select value={m.role} onChange={(e) => onRole((e.currentTarget as HTMLSelectElement).value as Role)} data-testid="member-role">
              {[m.role, ...choices].map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span class="badge muted">{m.role}</span>
        )}
      </td>
      <td class="nowrap">{formatTimestamp(m.joined_at)}</td>
      <td>
        {removable ? (
          <button type="button" class="button small danger-outline" onClick={onRemove} data-testid={isMe ? 'leave' : 'remove-member'}>
            {isMe ? 'Leave' : 'Remove'}
            <span class="sr-only"> {m.email}</span>
          </button>
        ) : null}
      </td>
    </tr>
  );
}

interface InvitationsProps {
  role: RoleName;
  pending: PendingInvitation[];
  error: unknown;
  onChange: () => void;
}

function Invitations({ role, pending, error, onChange }: InvitationsProps) {
  const choices = rolesToInvite(role);
  const [email, setEmail] = useState('');
  const [invitedRole, setInvitedRole] = useState<RoleName>('member');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<Message>(null);
  const [created, setCreated] = useState<Invitation | null>(null);
  const [mailIt, setMailIt] = useState(true);
  const [busy, setBusy] = useState(false);

  async function invite(e: Event) {
    e.preventDefault();
    const problem = checkEmail(email);
    setErrors(problem ? { email: problem } : {});
    setMessage(null);
    if (problem) return;
    setBusy(true);
    try {
      setCreated(await api.invite(email.trim(), invitedRole, mailIt));
      setEmail('');
      onChange();
    } catch (ex) {
      const f = fieldErrors(ex, { email: 'The address', role: 'The role' });
      setErrors(f.fields);
      setMessage({ tone: 'error', text: f.message });
    } finally {
      setBusy(false);
    }
  }

  async function revoke(i: PendingInvitation) {
    setMessage(null);
    try {
      await api.revokeInvitation(i.id);
      if (created?.id === i.id) setCreated(null);
      setMessage({ tone: 'success', text: `The invitation for ${i.email} was revoked: its link no longer works.` });
      onChange();
    } catch (ex) {
      setMessage({ tone: 'error', text: `Could not revoke the invitation for ${i.email}: ${errorMessage(ex)}` });
    }
  }

  return (
    <section class="panel" aria-labelledby="invite-title">
      <h2 id="invite-title">Invite someone</h2>
      <form class="inline-create" onSubmit={invite} noValidate data-testid="invite-form">
        <TextField id="invite-email" label="E-mail address" type="email" autoComplete="off" value={email} onValue={setEmail} error={errors.email} hint="They accept it signed in with this address." />
        <SelectField
          id="invite-role"
          label="Role"
          value={invitedRole}
          onValue={(v) => setInvitedRole(choices.find((c) => c === v) ?? 'member')}
          options={choices.map((c) => ({ value: c, label: ROLE_TEXT[c] }))}
          error={errors.role}
          testId="invite-role"
        />
        <CheckField id="invite-mail" label="E-mail them the link" checked={mailIt} onChecked={setMailIt} testId="invite-mail" />
        <button type="submit" class="button primary" disabled={busy} data-testid="invite-submit">
          {busy ? 'Inviting…' : 'Invite'}
        </button>
      </form>
      {message ? (
        <Notice tone={message.tone} testId="invite-message">
          {message.text}
        </Notice>
      ) : null}
      {created ? (
        <SecretOnce
          value={invitationLink(location.origin, created.token)}
          noun="link"
          notice={
            <>
              Invitation for <strong>{created.email}</strong> as {created.role}, valid until {formatTimestamp(created.expires_at)}. <span data-testid="invitation-mail" data-mail={created.mail}>{invitationNote(created.mail, created.email)}</span>
            </>
          }
          label="Invitation link"
          inputId="invitation-link"
          boxTestId="new-invitation"
          inputTestId="invitation-link"
          copyTestId="copy-invitation"
          onDone={() => setCreated(null)}
        />
      ) : null}

      <h3>Pending invitations</h3>
      {error ? <Notice tone="error">Could not load the invitations: {errorMessage(error)}</Notice> : null}
      {pending.length === 0 ? (
        <p class="empty">No invitation is waiting.</p>
      ) : (
        <ul class="plain-list" data-testid="pending-invitations">
          {pending.map((i) => (
            <li key={i.id} data-testid="pending-invitation">
              <span>
                <strong>{i.email}</strong> as {i.role}, by {i.invited_by ?? 'a former member'}, until {formatTimestamp(i.expires_at)}
              </span>{' '}
              {choices.includes(i.role) ? (
                <button type="button" class="button small danger-outline" onClick={() => void revoke(i)} data-testid="revoke-invitation">
                  Revoke<span class="sr-only"> the invitation for {i.email}</span>
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** An owner deletes the organisation: its name typed, their password, then
 *  a last question. Everything in it goes; its members keep their accounts. */
function DeleteOrganisation({ name }: { name: string }) {
  const [typed, setTyped] = useState('');
  const [password, setPassword] = useState('');
  // As for deleting an account: a Cloudflare Access session confirms by
  // its recent sign-in, unless the API asks for the password after all.
  const [askPassword, setAskPassword] = useState(() => !signedInThroughAccess());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [asking, setAsking] = useState(false);
  const [deleting, setDeleting] = useState(false);

  function ask(e: Event) {
    e.preventDefault();
    const problems: Record<string, string> = {};
    if (typed !== name) problems.name = `Type the organisation’s name, ${name}, exactly.`;
    const missing = askPassword ? checkPresent(password, 'password') : null;
    if (missing) problems.password = missing;
    setErrors(problems);
    setMessage(null);
    if (Object.keys(problems).length === 0) setAsking(true);
  }

  async function remove() {
    setDeleting(true);
    try {
      await api.deleteOrganisation(typed, askPassword ? password : undefined);
      // Gone: back to the personal organisation, which the URL then names no more.
      location.href = `${location.pathname}${searchWithOrg(location.search, null)}#/overview`;
    } catch (ex) {
      const f = passwordFormErrors(ex, { name: 'The name', password: 'The password' });
      setErrors(f.fields);
      setMessage(f.message);
      if (f.fields.password !== undefined) setAskPassword(true);
      setDeleting(false);
      setAsking(false);
    }
  }

  return (
    <section class="panel danger-zone" aria-labelledby="delete-org-title" data-testid="delete-organisation">
      <h2 id="delete-org-title">Delete this organisation</h2>
      <p>
        <strong>This cannot be undone.</strong> Every key stored here goes, with its usage history, budgets, policies, webhooks, alerts, API tokens (anything using them gets 401 at once), invitations and audit log. Its members keep their accounts and their other organisations.
      </p>
      <form class="settings-form" onSubmit={ask} noValidate data-testid="delete-organisation-form">
        <TextField id="delete-org-name" label="The organisation’s name" autoComplete="off" value={typed} onValue={setTyped} error={errors.name} hint={`Type ${name} to confirm.`} required />
        {askPassword ? (
          <TextField id="delete-org-password" label="Your password" type="password" autoComplete="current-password" value={password} onValue={setPassword} error={errors.password} hint="Needed to delete the organisation." required />
        ) : (
          <AccessConfirms />
        )}
        <button type="submit" class="button danger" disabled={deleting} data-testid="delete-organisation-submit">
          {deleting ? 'Deleting…' : 'Delete the organisation…'}
        </button>
      </form>
      {message ? (
        <div class="form-message">
          <Notice tone="error" testId="delete-organisation-message">
            {message}
          </Notice>
        </div>
      ) : null}
      <ConfirmDialog
        open={asking}
        title={`Delete ${name} for good?`}
        confirmLabel={deleting ? 'Deleting…' : 'Delete organisation'}
        busy={deleting}
        onConfirm={() => void remove()}
        onCancel={() => {
          if (!deleting) setAsking(false);
        }}
      >
        <p>
          <strong class="wrap-anywhere">{name}</strong> is deleted with everything in it, for every member. There is no undo.
        </p>
      </ConfirmDialog>
    </section>
  );
}
