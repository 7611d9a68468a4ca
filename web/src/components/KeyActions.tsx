import type { KeyAction, KeyActionPage } from '../api';
import { errorMessage } from '../api';
import { ago, formatTimestamp } from '../dates';
import { formatInt } from '../format';
import { actionStateLabel, actionVerb, budgetTrigger, changeText, settingsText, whenText } from '../policy';
import { NewerOlder } from './NewerOlder';
import { Notice } from './Notice';

/** The confirmation dialog's title for an undo. */
export function undoTitle(a: KeyAction): string {
  return `Put “${a.api_key_name}” back now?`;
}

/** What an undo does, said before it is done (the body of the page's ConfirmDialog). */
export function UndoBody({ a }: { a: KeyAction }) {
  return (
    <>
      <p>
        The policy of the {a.budget} {a.action === 'limit' ? 'limited' : 'disabled'} “{a.api_key_name}” on OpenRouter. Undo puts it back now
        {a.before ? <> as it was before: {settingsText(a.before)}</> : null}, instead of on {whenText(a.restore_at)}.
      </p>
      <p>The budget does not act on this key again this period. If someone changed the key on OpenRouter since, it is left as they set it.</p>
    </>
  );
}

/**
 * What policies did to the account's keys, newest first, paged like the
 * alerts (`?apage=`): when, the key, what (and whether a dry run), the
 * budget and its trigger, where it stands, before → after, and Undo for an
 * action in force (confirmed by the page).
 */
export function ActionsPanel({
  res,
  error,
  page,
  onPage,
  onUndo,
  busyId,
}: {
  res: KeyActionPage | undefined;
  error: unknown;
  page: number;
  onPage: (page: number) => void;
  onUndo: (a: KeyAction) => void;
  busyId: number | null;
}) {
  const pages = res ? Math.max(1, res.pagination.pages) : 1;
  return (
    <>
      {error ? <Notice tone="error">Could not load the actions: {errorMessage(error)}</Notice> : null}
      {res && res.items.length === 0 ? (
        <p class="empty">No actions yet. A budget whose action is “Disable” or “Limit” lists here what it did (or, in a dry run, would have done) to your keys.</p>
      ) : null}
      {res && res.items.length > 0 ? (
        <ol class="events" data-testid="actions-list">
          {res.items.map((a) => (
            <li
              key={a.id}
              class="event key-action"
              data-testid="action-row"
              data-action-id={a.id}
              data-state={a.state}
              data-action={a.action}
              data-dry-run={String(a.dry_run)}
              data-key-id={a.api_key_id}
            >
              <div class="event-head">
                <span class={`badge action-${a.state}`} data-testid="action-state">
                  {actionStateLabel(a.state)}
                </span>
                <span class="action-title">
                  {actionVerb(a)} “{a.api_key_name}”
                </span>
                {a.dry_run && a.state !== 'dry_run' ? <span class="badge">Dry run</span> : null}
                <span class="hint-inline" title={formatTimestamp(a.created_at)}>
                  {formatTimestamp(a.created_at)} ({ago(a.created_at)})
                </span>
              </div>
              <p class="event-message">
                <span class="action-why">{budgetTrigger(a)}.</span> <span data-testid="action-change">{changeText(a.before, a.after)}.</span>
              </p>
              {a.state === 'applied' ? <p class="hint">Put back on {whenText(a.restore_at)}, unless someone changes the key on OpenRouter first.</p> : null}
              {a.state === 'undone' ? <p class="hint">Put back by you on {whenText(a.updated_at)}.</p> : null}
              {a.state === 'restored' ? <p class="hint">Put back when the period reset, on {whenText(a.updated_at)}.</p> : null}
              {a.detail && !(a.state === 'dry_run' && /^dry run/i.test(a.detail)) ? (
                <p class="hint" data-testid="action-detail">
                  {a.detail}
                </p>
              ) : null}
              {a.state === 'applied' ? (
                <div class="row-actions">
                  <button type="button" class="button small" onClick={() => onUndo(a)} disabled={busyId === a.id} data-testid="undo-action">
                    {busyId === a.id ? 'Undoing…' : 'Undo'}
                    <span class="sr-only">
                      {' '}
                      {a.action === 'limit' ? 'the limit on' : 'the disabling of'} {a.api_key_name}
                    </span>
                  </button>
                </div>
              ) : null}
            </li>
          ))}
        </ol>
      ) : null}
      {res && pages > 1 ? (
        <NewerOlder page={page} pages={pages} onPage={onPage}>
          {' '}
          · {formatInt(res.pagination.total)} actions
        </NewerOlder>
      ) : null}
    </>
  );
}
