import type { ComponentChildren } from 'preact';
import type { LocalDay } from '../api';
import { dayName, dayState } from '../hourly';
import { Amount } from './Amount';
import { DayBadges } from './DayBadges';

interface Props {
  days: LocalDay[];
  /** The zone's name for the "Day (…)" header. */
  zone: string;
  /** The zone's today: that day is marked "(partial)". */
  today: string;
  /** The scrolling region's name. */
  ariaLabel: string;
  /** The `data-testid` of the table, if any. */
  tableTestId?: string;
  /** The `data-testid` of each day's row. */
  rowTestId: string;
  /** A `<tfoot>`, if any. */
  foot?: ComponentChildren;
}

/** Local days with their spend, hours and gaps: a DST day, an incomplete
 *  day and a day without any reading say so. Each row carries `data-date`,
 *  `data-hours`, `data-gaps`, `data-cost` (empty for no reading) and
 *  `data-state`. */
export function LocalDaysTable({ days, zone, today, ariaLabel, tableTestId, rowTestId, foot }: Props) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label={ariaLabel}>
      <table data-testid={tableTestId}>
        <thead>
          <tr>
            <th scope="col">Day ({zone})</th>
            <th scope="col" class="num">
              Spend
            </th>
            <th scope="col" class="num">
              Hours
            </th>
            <th scope="col" class="num">
              Gaps
            </th>
            <th scope="col">Notes</th>
          </tr>
        </thead>
        <tbody>
          {days.map((d) => (
            <tr key={d.date} data-testid={rowTestId} data-date={d.date} data-hours={d.hours} data-gaps={d.gaps} data-cost={d.spend ?? ''} data-state={dayState(d)}>
              <th scope="row" class="nowrap">
                {dayName(d.date)} <span class="hint-inline">{d.date}</span>
                {d.date === today ? <span class="hint-inline"> (partial)</span> : null}
              </th>
              <td class="num">{d.spend === null ? <span class="muted">no reading</span> : <Amount value={d.spend} align />}</td>
              <td class="num">{d.hours}</td>
              <td class="num">{d.gaps}</td>
              <td>
                <DayBadges d={d} />
              </td>
            </tr>
          ))}
        </tbody>
        {foot}
      </table>
    </div>
  );
}
