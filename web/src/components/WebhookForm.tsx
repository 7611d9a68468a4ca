import { useState } from 'preact/hooks';
import { ApiError, api, fieldErrors, type CreatedWebhook, type Webhook, type WebhookFormat } from '../api';
import { FAMILIES, FORMATS, SEVERITIES, filtersSummary, kindsToSend, parseFormat, parseSeverity, tickedOf, type KindFilter, type Severity } from '../channels';
import { asciiUrl, checkName, checkWebhookUrl } from '../validate';
import { CheckField, SelectField, TextField } from './Field';
import { Notice } from './Notice';
import { useReauth } from './Reauth';
import { SecretOnce } from './SecretOnce';

const URL_HINTS: Record<WebhookFormat, string> = {
  json: 'https:// only; public addresses only.',
  slack: 'Your Slack incoming-webhook URL.',
  discord: 'The channel webhook URL from Discord (Integrations → Webhooks).',
  teams: 'The URL of a Teams Workflows flow “Post to a channel when a webhook request is received”.',
  pagerduty: 'https://events.pagerduty.com/v2/enqueue',
  ntfy: 'The topic URL, e.g. https://ntfy.sh/your-topic.',
};

/** The form that adds a webhook: its channel, URL and filters. */
export function CreateWebhook({ onCreated }: { onCreated: (w: CreatedWebhook) => void }) {
  const [created, setCreated] = useState<CreatedWebhook | null>(null);
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [format, setFormat] = useState<WebhookFormat>('json');
  const [routingKey, setRoutingKey] = useState('');
  const [ticked, setTicked] = useState<KindFilter[]>(FAMILIES.map((f) => f.value));
  const [least, setLeast] = useState<Severity>('info');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const reauth = useReauth('webhook-password');

  function check(): Record<string, string> {
    const errs: Record<string, string> = {};
    const n = checkName(name);
    const u = checkWebhookUrl(url);
    if (n) errs.name = n;
    if (u) errs.url = u;
    if (format === 'pagerduty' && !/^[A-Za-z0-9]{32}$/.test(routingKey.trim())) errs.routing_key = 'The routing key is the 32-character integration key of a PagerDuty Events API v2 integration.';
    if (kindsToSend(ticked) === 'none') errs.event_kinds = 'Choose at least one kind of event.';
    return errs;
  }

  async function submit(e: Event) {
    e.preventDefault();
    const errs = check();
    setErrors(errs);
    setMessage(null);
    const kinds = kindsToSend(ticked);
    if (Object.keys(errs).length > 0 || kinds === 'none') return;
    setBusy(true);
    setCreated(null);
    try {
      const w = await api.createWebhook({
        name: name.trim(),
        url: asciiUrl(url),
        format,
        event_kinds: kinds,
        min_severity: least,
        ...(format === 'pagerduty' ? { routing_key: routingKey.trim() } : {}),
        password: reauth.password,
      });
      setCreated(w);
      setName('');
      setUrl('');
      setRoutingKey('');
      reauth.reset();
      onCreated(w);
    } catch (ex) {
      if (reauth.handle(ex)) return;
      const f = fieldErrors(ex, { name: 'The name', url: 'The URL', format: 'The format', routing_key: 'The routing key', event_kinds: 'The events', min_severity: 'The severity' });
      setErrors(f.fields);
      setMessage(ex instanceof ApiError && ex.status === 422 && Object.keys(f.fields).length > 0 ? null : f.message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h3>Add a webhook</h3>
      <form class="webhook-form" onSubmit={submit} noValidate data-testid="webhook-form">
        <div class="form-row">
          <TextField id="webhook-name" label="Name" value={name} onValue={setName} error={errors.name} maxLength={200} hint="For example “Ops channel”." />
          <SelectField id="webhook-format" label="Format" value={format} onValue={(v) => setFormat(parseFormat(v))} options={FORMATS} error={errors.format} testId="webhook-format" />
          <TextField
            id="webhook-url"
            label="URL"
            type="text"
            inputMode="text"
            autoComplete="off"
            spellcheck={false}
            value={url}
            onValue={setUrl}
            error={errors.url}
            hint={URL_HINTS[format]}
          />
          {format === 'pagerduty' ? (
            <TextField
              id="webhook-routing-key"
              label="PagerDuty routing key"
              value={routingKey}
              onValue={setRoutingKey}
              autoComplete="off"
              spellcheck={false}
              maxLength={32}
              error={errors.routing_key}
              hint="The integration key of an Events API v2 integration. Stored encrypted, never shown again."
              testId="webhook-routing-key"
            />
          ) : null}
        </div>
        <FilterFields idPrefix="webhook" ticked={ticked} setTicked={setTicked} least={least} setLeast={setLeast} errors={errors} />
        {reauth.field}
        {message ? (
          <Notice tone="error" testId="webhook-form-error">
            {message}
          </Notice>
        ) : null}
        <button type="submit" class="button primary" disabled={busy} data-testid="webhook-submit">
          {busy ? 'Adding…' : 'Add webhook'}
        </button>
      </form>
      {created ? <NewSecret w={created} onDone={() => setCreated(null)} /> : null}
    </>
  );
}

/** The event families (checkboxes) and the least severity a webhook receives. */
function FilterFields(p: {
  idPrefix: string;
  ticked: KindFilter[];
  setTicked: (f: (t: KindFilter[]) => KindFilter[]) => void;
  least: Severity;
  setLeast: (s: Severity) => void;
  errors: Record<string, string>;
}) {
  const toggle = (v: KindFilter, on: boolean) => p.setTicked((t) => (on ? [...t.filter((x) => x !== v), v] : t.filter((x) => x !== v)));
  const kindsError = `${p.idPrefix}-kinds-error`;
  return (
    <fieldset class="policy-fields" data-testid={`${p.idPrefix}-filters`} aria-describedby={p.errors.event_kinds ? kindsError : undefined}>
      <legend>Which events it receives</legend>
      <div class="form-row">
        {FAMILIES.map((f) => (
          <CheckField
            key={f.value}
            id={`${p.idPrefix}-kind-${f.value}`}
            label={f.label}
            checked={p.ticked.includes(f.value)}
            onChecked={(on) => toggle(f.value, on)}
            testId={`${p.idPrefix}-kind-${f.value}`}
          />
        ))}
        <SelectField
          id={`${p.idPrefix}-min-severity`}
          label="Least severity"
          value={p.least}
          onValue={(v) => p.setLeast(parseSeverity(v))}
          options={SEVERITIES}
          error={p.errors.min_severity}
          hint="Critical: a key disabled by policy, a policy that failed. Warning: thresholds, projections, spikes."
          testId={`${p.idPrefix}-min-severity`}
        />
      </div>
      {p.errors.event_kinds ? (
        <p class="field-error" id={kindsError} data-testid={kindsError}>
          {p.errors.event_kinds}
        </p>
      ) : null}
    </fieldset>
  );
}

/** A webhook's filters, changed in place. */
export function EditFilters({ w, onSaved, onMessage }: { w: Webhook; onSaved: (w: Webhook) => void; onMessage: (m: { tone: 'success' | 'error'; text: string }) => void }) {
  const [open, setOpen] = useState(false);
  const [ticked, setTicked] = useState<KindFilter[]>(tickedOf(w.event_kinds));
  const [least, setLeast] = useState<Severity>(w.min_severity);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const idPrefix = `webhook-${w.id}`;
  const exact = (w.event_kinds ?? []).filter((k) => !FAMILIES.some((f) => f.value === k));

  function start() {
    setTicked(tickedOf(w.event_kinds));
    setLeast(w.min_severity);
    setErrors({});
    setOpen(true);
  }

  async function save(e: Event) {
    e.preventDefault();
    const kinds = kindsToSend(ticked);
    if (kinds === 'none') {
      setErrors({ event_kinds: 'Choose at least one kind of event.' });
      return;
    }
    setBusy(true);
    try {
      const u = await api.updateWebhook(w.id, { event_kinds: kinds, min_severity: least });
      onSaved(u);
      setOpen(false);
      onMessage({ tone: 'success', text: `“${u.name}” now ${filtersSummary(u).replace(/^Receives/, 'receives')}.` });
    } catch (ex) {
      const f = fieldErrors(ex, { event_kinds: 'The events', min_severity: 'The severity' });
      setErrors(f.fields);
      if (Object.keys(f.fields).length === 0) onMessage({ tone: 'error', text: `Could not change “${w.name}”: ${f.message}` });
    } finally {
      setBusy(false);
    }
  }

  if (!open) {
    return (
      <button type="button" class="button small" onClick={start} data-testid="edit-filters">
        Change filters<span class="sr-only"> of {w.name}</span>
      </button>
    );
  }
  return (
    <form class="webhook-form webhook-filters-form" onSubmit={save} noValidate data-testid="filters-form">
      <FilterFields idPrefix={idPrefix} ticked={ticked} setTicked={setTicked} least={least} setLeast={setLeast} errors={errors} />
      {exact.length > 0 ? <p class="hint">Also set through the API: {exact.join(', ')}. Saving keeps only the families ticked here.</p> : null}
      <div class="row-actions wrap">
        <button type="submit" class="button small primary" disabled={busy} data-testid="save-filters">
          {busy ? 'Saving…' : 'Save filters'}
        </button>
        <button type="button" class="button small" onClick={() => setOpen(false)} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The signing secret, shown once after the create. */
function NewSecret({ w, onDone }: { w: CreatedWebhook; onDone: () => void }) {
  return (
    <SecretOnce
      value={w.secret}
      noun="secret"
      notice={
        <>
          Webhook “{w.name}” added. <strong>Copy its signing secret now: it will not be shown again.</strong> Your receiver uses it to check that alerts come from OpenRouter Watcher.
        </>
      }
      label={<>Signing secret of “{w.name}”</>}
      inputId="webhook-secret"
      boxTestId="webhook-secret-box"
      inputTestId="webhook-secret"
      copyTestId="copy-secret"
      doneTestId="secret-done"
      onDone={onDone}
    >
      <p class="hint">
        To verify a delivery: compute HMAC-SHA256 with this secret over <code>X-Watcher-Timestamp</code> + <code>.</code> + the raw body, compare it in constant time with the hex after{' '}
        <code>v1=</code> in <code>X-Watcher-Signature</code>, and refuse timestamps older than 5 minutes.
      </p>
    </SecretOnce>
  );
}

