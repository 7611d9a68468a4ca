import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, type Settings, type Webhook } from '../api';
import { emailStatusText, previewText } from '../email';
import { useResource } from '../hooks';
import { TextField } from './Field';
import { Notice } from './Notice';

type Message = { tone: 'success' | 'error'; text: string } | null;

/** Settings › E-mail and digests: the address and its status, which
 *  digests and where, and a preview sent now. */
export function EmailAndDigests() {
  const email = useResource('email-settings', (signal) => api.emailSettings(signal));
  const digest = useResource('digest-settings', (signal) => api.digestSettings(signal));
  const hooks = useResource<Webhook[]>('webhooks', (signal) => api.webhooks(signal));
  const prefs = useResource<Settings>('settings', (signal) => api.settings(signal));
  const [alerts, setAlerts] = useState('off');
  const [address, setAddress] = useState('');
  const [schedule, setSchedule] = useState('off');
  const [channel, setChannel] = useState('email');
  const [webhookId, setWebhookId] = useState('');
  const [message, setMessage] = useState<Message>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (email.data?.address) setAddress(email.data.address);
  }, [email.data?.address]);
  useEffect(() => {
    if (prefs.data) setAlerts(prefs.data.alert_emails);
  }, [prefs.data?.alert_emails]);
  useEffect(() => {
    if (!digest.data) return;
    setSchedule(digest.data.schedule);
    setChannel(digest.data.channel);
    setWebhookId(digest.data.webhook_id === null ? '' : String(digest.data.webhook_id));
  }, [digest.data]);

  async function run(what: () => Promise<string>) {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ tone: 'success', text: await what() });
    } catch (e) {
      setMessage({ tone: 'error', text: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  }

  const saveAddress = () =>
    run(async () => {
      const saved = await api.setEmail(address.trim());
      email.mutate(() => saved);
      return saved.confirmation === 'sent' ? `A confirmation message was sent to ${saved.address ?? ''}.` : `The confirmation was not sent (${saved.confirmation}).`;
    });
  const saveDigest = () =>
    run(async () => {
      const saved = await api.setDigestSettings({ schedule, channel, webhook_id: channel === 'webhook' && webhookId ? Number(webhookId) : null });
      digest.mutate(() => saved);
      return 'Digest settings saved.';
    });
  const saveAlerts = () =>
    run(async () => {
      const saved = await api.updateSettings({ alert_emails: alerts });
      prefs.mutate(() => saved);
      return alerts === 'off' ? 'Alerts no longer come by e-mail.' : 'Alert e-mail settings saved.';
    });
  const preview = () =>
    run(async () => {
      const sent = await api.previewDigest();
      void email.reload();
      return previewText(sent);
    });

  const status = email.data?.status ?? 'none';
  return (
    <section class="panel" aria-labelledby="email-title" data-testid="email-section">
      <h2 id="email-title">E-mail and digests</h2>
      <p class="hint intro">Alerts as they happen, and weekly (Monday to Sunday) or monthly spend digests in your time zone, by e-mail or to a webhook. An address gets nothing but its confirmation until you confirm it; every message has a one-click unsubscribe.</p>
      {email.error ? <Notice tone="error">Could not load your e-mail settings: {errorMessage(email.error)}</Notice> : null}
      <p data-testid="email-status" data-status={status}>
        {emailStatusText(status)}
        {email.data ? ` ${email.data.sent_today} of ${email.data.daily_cap} messages sent today.` : ''}
      </p>
      <form
        class="settings-form"
        onSubmit={(e) => {
          e.preventDefault();
          void saveAddress();
        }}
      >
        <TextField id="email-address" label="E-mail address" type="email" value={address} onValue={setAddress} autoComplete="email" maxLength={254} testId="email-address" />
        <div class="form-actions">
          <button type="submit" class="button primary" disabled={busy || address.trim() === ''} data-testid="email-save">
            {status === 'unconfirmed' ? 'Resend confirmation' : 'Save address'}
          </button>
        </div>
      </form>
      <form
        class="settings-form"
        onSubmit={(e) => {
          e.preventDefault();
          void saveAlerts();
        }}
      >
        <div class="field">
          <label for="alert-emails">Alerts by e-mail</label>
          <select id="alert-emails" value={alerts} onChange={(e) => setAlerts((e.currentTarget as HTMLSelectElement).value)} aria-describedby="alert-emails-hint" data-testid="alert-emails">
            <option value="off">Off</option>
            <option value="critical">Critical only (a key disabled, a policy that failed)</option>
            <option value="warning">Warnings and critical (thresholds, spikes, drift…)</option>
            <option value="info">Every alert</option>
          </select>
          <p class="hint" id="alert-emails-hint">
            One message per hourly check that raised any, to your confirmed address, within the daily cap.
          </p>
        </div>
        <div class="form-actions">
          <button type="submit" class="button primary" disabled={busy} data-testid="alert-emails-save">
            Save alert e-mails
          </button>
        </div>
      </form>
      <form
        class="settings-form"
        onSubmit={(e) => {
          e.preventDefault();
          void saveDigest();
        }}
      >
        <div class="field">
          <label for="digest-schedule">Digest</label>
          <select id="digest-schedule" value={schedule} onChange={(e) => setSchedule((e.currentTarget as HTMLSelectElement).value)} data-testid="digest-schedule">
            <option value="off">Off</option>
            <option value="weekly">Weekly</option>
            <option value="monthly">Monthly</option>
            <option value="both">Weekly and monthly</option>
          </select>
        </div>
        <div class="field">
          <label for="digest-channel">Send to</label>
          <select id="digest-channel" value={channel} onChange={(e) => setChannel((e.currentTarget as HTMLSelectElement).value)} data-testid="digest-channel">
            <option value="email">My e-mail address</option>
            <option value="webhook">A webhook</option>
          </select>
        </div>
        {channel === 'webhook' ? (
          <div class="field">
            <label for="digest-webhook">Webhook</label>
            <select id="digest-webhook" value={webhookId} onChange={(e) => setWebhookId((e.currentTarget as HTMLSelectElement).value)} data-testid="digest-webhook">
              <option value="">Choose…</option>
              {(hooks.data ?? [])
                .filter((h) => h.format !== 'pagerduty')
                .map((h) => (
                  <option key={h.id} value={String(h.id)}>
                    {h.name}
                  </option>
                ))}
            </select>
          </div>
        ) : null}
        <div class="form-actions">
          <button type="submit" class="button primary" disabled={busy} data-testid="digest-save">
            Save digest settings
          </button>
        </div>
      </form>
      <div class="form-actions">
        <button type="button" class="button" disabled={busy} onClick={() => void preview()} data-testid="digest-preview">
          Send me a preview now
        </button>
      </div>
      {message ? (
        <Notice tone={message.tone} testId="email-message">
          {message.text}
        </Notice>
      ) : null}
    </section>
  );
}
