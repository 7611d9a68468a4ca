import { useEffect, useState } from 'preact/hooks';
import { displayUsd } from '../money';
import { useBarChart, type BarLook } from './barChart';
import { gapLegend, gapPattern } from './chartGaps';

export interface ChartSeries {
  label: string;
  /** Exact money strings, one per day; null: no figure (a gap). */
  costs: (string | null)[];
  values: (number | null)[];
  other?: boolean;
}

import { seriesColor } from '../palette';

export function useDarkMode(): boolean {
  const query = '(prefers-color-scheme: dark)';
  const [dark, setDark] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const mq = window.matchMedia(query);
    const on = () => setDark(mq.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  return dark;
}

const LOOK: BarLook = { autoSkipPadding: 12, legendBoxWidth: 12 };

interface Props {
  labels: string[];
  series: ChartSeries[];
  ariaLabel: string;
  describedBy: string;
  /** The y axis title (default "USD per UTC day"). */
  yTitle?: string;
  /** Days without any figure: shaded and hatched, with a legend entry. */
  gaps?: boolean[];
  /** A tooltip footer per day ("25 hours (DST)", "incomplete: …"). */
  footers?: string[];
}

/** The stacked cost-per-day bars. The canvas is an image with a name; the
 *  numbers are in the data table the caller renders next to it. */
export function CostChart({ labels, series, ariaLabel, describedBy, yTitle = 'USD per UTC day', gaps, footers }: Props) {
  const dark = useDarkMode();
  const { canvas, draw } = useBarChart(LOOK);

  useEffect(() => {
    const anyGap = (gaps ?? []).some(Boolean);
    const bars = series.map((s, i) => ({
      label: s.label,
      data: s.values,
      backgroundColor: seriesColor(i, s.other === true, dark),
      borderWidth: 0,
      stack: 'cost',
    }));
    const exact = series.map((s) => s.costs);
    const notes = footers ?? [];
    draw({
      labels,
      datasets: anyGap ? [...bars, gapLegend(labels.length, dark, 'cost')] : bars,
      dark,
      yTitle,
      gaps: gaps ?? [],
      gapFill: anyGap ? gapPattern(dark) : undefined,
      tooltip: {
        filter: (item) => item.datasetIndex < series.length,
        callbacks: {
          label: (item) => {
            const v = exact[item.datasetIndex]?.[item.dataIndex];
            return `${item.dataset.label ?? ''}: ${v === null ? 'no reading' : displayUsd(v ?? '0')}`;
          },
          footer: (items) => notes[items[0]?.dataIndex ?? -1] ?? '',
        },
      },
    });
  }, [labels, series, dark, yTitle, gaps, footers]);

  const points = series.reduce((n, s) => n + s.values.filter((v) => v !== 0 && v !== null).length, 0);
  return (
    <div class="chart-box" data-testid="cost-chart" data-points={points} data-gaps={(gaps ?? []).filter(Boolean).length}>
      <canvas ref={canvas} role="img" aria-label={ariaLabel} aria-describedby={describedBy} />
    </div>
  );
}
