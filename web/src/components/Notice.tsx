import type { ComponentChildren } from 'preact';

type Tone = 'error' | 'warning' | 'success' | 'info';

/** A message box. Errors are announced at once (role=alert), the rest politely. */
export function Notice({ tone, children, testId }: { tone: Tone; children: ComponentChildren; testId?: string }) {
  return (
    <div class={`notice notice-${tone}`} role={tone === 'error' ? 'alert' : 'status'} data-testid={testId}>
      {children}
    </div>
  );
}

/** The small "Loading…/Updating…" indicator; the previous data stays shown. */
export function Busy({ active, label = 'Loading…' }: { active: boolean; label?: string }) {
  return (
    <span class="busy" role="status" aria-live="polite">
      {active ? (
        <>
          <span class="spinner" aria-hidden="true" />
          {label}
        </>
      ) : null}
    </span>
  );
}
