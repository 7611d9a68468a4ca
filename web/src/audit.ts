// The Audit screen's pure helpers: a kind in words, the kind filter's
// choices, and an entry's before → after as readable lines.
import type { AuditEntry, AuditKind } from './api';

const KIND_LABELS: Record<AuditKind, string> = {
  'account.created': 'Account created',
  'password.changed': 'Password changed',
  'settings.updated': 'Settings changed',
  'key.created': 'Key added',
  'key.updated': 'Key changed',
  'key.deleted': 'Key deleted',
  'key.sync_requested': 'Key synced now',
  'budget.created': 'Budget set',
  'budget.updated': 'Budget changed',
  'budget.deleted': 'Budget deleted',
  'webhook.created': 'Webhook added',
  'webhook.updated': 'Webhook changed',
  'webhook.deleted': 'Webhook deleted',
  'webhook.tested': 'Webhook tested',
  'token.created': 'API token created',
  'token.revoked': 'API token revoked',
  'key.disabled': 'Key disabled on OpenRouter',
  'key.enabled': 'Key enabled again on OpenRouter',
  'key.limit_changed': 'OpenRouter limit changed',
  'policy.dry_run': 'Policy dry run',
  'policy.failed': 'Policy failed',
  'policy.undone': 'Policy action undone',
  'email.address_set': 'E-mail address set',
  'email.confirmed': 'E-mail address confirmed',
  'email.unsubscribed': 'E-mail unsubscribed',
  'digest.previewed': 'Digest preview sent',
  'organisation.created': 'Organisation created',
  'member.invited': 'Member invited',
  'member.joined': 'Member joined',
  'member.invitation_revoked': 'Invitation revoked',
  'member.role_changed': 'Member role changed',
  'member.removed': 'Member removed',
  'member.left': 'Member left',
};

const FAMILY_LABELS: Record<string, string> = {
  account: 'Account',
  password: 'Password',
  settings: 'Settings',
  key: 'Keys',
  budget: 'Budgets',
  webhook: 'Webhooks',
  token: 'API tokens',
  policy: 'Policies',
  email: 'E-mail',
  digest: 'Digests',
  organisation: 'Organisations',
  member: 'Members',
};

/** A kind in words; a kind this page does not know yet, as it is. */
export function kindLabel(kind: string): string {
  return (KIND_LABELS as Record<string, string>)[kind] ?? kind;
}

/** The kind filter's choices: every change, each family, each kind. */
export function kindOptions(): { value: string; label: string }[] {
  const options = [{ value: '', label: 'All changes' }];
  for (const [family, label] of Object.entries(FAMILY_LABELS)) {
    const kinds = (Object.keys(KIND_LABELS) as AuditKind[]).filter((k) => k.startsWith(`${family}.`));
    if (kinds.length > 1) options.push({ value: family, label: `${label}: all` });
    for (const k of kinds) options.push({ value: k, label: kinds.length > 1 ? `${label}: ${KIND_LABELS[k].toLowerCase()}` : KIND_LABELS[k] });
  }
  return options;
}

const FIELD_LABELS: Record<string, string> = {
  is_active: 'active',
  tz: 'time zone',
  key_preview: 'key',
  validation_status: 'validation',
  api_key_id: 'key id',
  revoked_tokens: 'API tokens revoked',
  paused_webhooks: 'webhooks paused',
};

/** A field's name in words (`is_active` → "active"). */
export function fieldLabel(name: string): string {
  return FIELD_LABELS[name] ?? name.replace(/_/g, ' ');
}

/** A recorded value in words. */
export function valueText(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return v === '' ? '""' : v;
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v);
}

export interface ChangeLine {
  field: string;
  before: string | null;
  after: string | null;
}

/** One line per recorded field: its value before and after (null on the
 *  side that has none: something new has only an after). */
export function changeLines(entry: Pick<AuditEntry, 'before' | 'after'>): ChangeLine[] {
  const before = entry.before ?? {};
  const after = entry.after ?? {};
  const names = [...Object.keys(after), ...Object.keys(before).filter((n) => !(n in after))];
  return names.map((name) => ({
    field: fieldLabel(name),
    before: entry.before && name in before ? valueText(before[name]) : null,
    after: entry.after && name in after ? valueText(after[name]) : null,
  }));
}

/** Who made the change. */
export function actorLabel(entry: Pick<AuditEntry, 'actor'>): string {
  return entry.actor === 'user' ? 'You' : 'OpenRouter Watcher';
}
