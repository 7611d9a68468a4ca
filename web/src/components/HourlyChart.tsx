import { useEffect } from 'preact/hooks';
import { coversNote, type HourlySeries } from '../hourly';
import { displayUsd } from '../money';
import { useBarChart, type BarLook } from './barChart';
import { gapLegend, gapPattern, hatch, withAlpha } from './chartGaps';
import { useDarkMode } from './CostChart';
import { seriesColor } from '../palette';

const LOOK: BarLook = { autoSkipPadding: 16, legendBoxWidth: 14, bar: { categoryPercentage: 0.9, barPercentage: 1 } };

interface Props {
  labels: string[];
  /** Tooltip titles, one per hour. */
  titles: string[];
  series: HourlySeries;
  ariaLabel: string;
  describedBy: string;
  yTitle: string;
}

/** Hourly spend bars. A gap (no reading) is a shaded, hatched column with
 *  no bar (never a zero); a figure carrying several hours is hatched in its
 *  own colour. The numbers are in the tables the caller renders. */
export function HourlyChart({ labels, titles, series, ariaLabel, describedBy, yTitle }: Props) {
  const dark = useDarkMode();
  const { canvas, draw } = useBarChart(LOOK);

  useEffect(() => {
    const one = seriesColor(0, false, dark);
    const several = seriesColor(1, false, dark);
    const exact = series.exact;
    const hours = series.hours;
    draw({
      labels,
      datasets: [
        { label: 'Spend in the hour', data: series.single, backgroundColor: one, borderWidth: 0, stack: 'spend' },
        {
          label: 'Covers several hours',
          data: series.carried,
          backgroundColor: hatch(several, withAlpha(several, 0.35)),
          borderColor: several,
          borderWidth: 1,
          stack: 'spend',
        },
        gapLegend(series.single.length, dark, 'spend'),
      ],
      dark,
      yTitle,
      gaps: series.gaps,
      gapFill: gapPattern(dark),
      tooltip: {
        filter: (item) => item.datasetIndex < 2 && exact[item.dataIndex] !== null,
        callbacks: {
          title: (items) => titles[items[0]?.dataIndex ?? 0] ?? '',
          label: (item) => `Spend: ${displayUsd(exact[item.dataIndex] ?? '0')}`,
          footer: (items) => coversNote(hours[items[0]?.dataIndex ?? 0] ?? 1) ?? '',
        },
      },
    });
  }, [labels, titles, series, dark, yTitle]);

  return (
    <div class="chart-box" data-testid="hourly-chart" data-hours={series.hours.length} data-gaps={series.gapCount} data-carried={series.carriedCount} data-points={series.figureCount}>
      <canvas ref={canvas} role="img" aria-label={ariaLabel} aria-describedby={describedBy} />
    </div>
  );
}
