// The Settings screen's e-mail and digest words: pure, unit-tested
// (web/tests/email.test.ts).

export type EmailStatus = 'none' | 'unconfirmed' | 'confirmed' | 'unsubscribed';

/** An address's status in words. */
export function emailStatusText(status: string): string {
  switch (status) {
    case 'none':
      return 'No address yet.';
    case 'unconfirmed':
      return 'Unconfirmed: open the link in the message we sent to confirm it. Nothing else is sent until then.';
    case 'confirmed':
      return 'Confirmed: digests can go to it.';
    case 'unsubscribed':
      return 'Unsubscribed: nothing is sent to it. Set it again to confirm it anew.';
    default:
      return status;
  }
}

/** What a preview's answer says. */
export function previewText(p: { status: string; period_start: string; period_end: string; total_cost: string; channel: string }): string {
  const where = p.channel === 'webhook' ? 'your webhook' : 'your address';
  const period = `${p.period_start} to ${p.period_end}`;
  switch (p.status) {
    case 'sent':
      return `Preview sent to ${where}: ${p.total_cost} USD from ${period}.`;
    case 'capped':
      return `Not sent: today's e-mail limit is reached. Try again tomorrow (UTC).`;
    default:
      return `The preview could not be sent (${p.status}).`;
  }
}
