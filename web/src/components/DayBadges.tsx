import { dayNotes, dayState, type DayLike } from '../hourly';

/** A local day's marks: a daylight-saving day's length, "Incomplete" when
 *  some hours have no reading, "No reading" when none has. */
export function DayBadges({ d }: { d: DayLike }) {
  const notes = dayNotes(d);
  const state = dayState(d);
  return (
    <span class="badges">
      {d.hours !== 24 ? (
        <span class="badge" title={`${d.hours} hours (DST)`} data-testid="dst-badge">
          {d.hours} hours (DST)
        </span>
      ) : null}
      {state === 'incomplete' ? (
        <span class="badge stale" title={notes.find((x) => x.startsWith('incomplete')) ?? ''} data-testid="incomplete-badge">
          Incomplete: {d.gaps} {d.gaps === 1 ? 'gap' : 'gaps'}
        </span>
      ) : null}
      {state === 'no_reading' ? (
        <span class="badge muted" data-testid="no-reading-badge">
          No reading
        </span>
      ) : null}
    </span>
  );
}
