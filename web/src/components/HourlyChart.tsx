import { Chart } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';
import { coversNote, type HourlySeries } from '../hourly';
import { displayUsd } from '../money';
import { gapLegend, gapPattern, gapShade, hatch, withAlpha } from './chartGaps';
import { seriesColor, useDarkMode } from './CostChart';

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
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar'> | null>(null);
  const gapsRef = useRef<boolean[]>(series.gaps);
  const fillRef = useRef<CanvasPattern | string>('transparent');
  const dark = useDarkMode();

  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const text = dark ? '#d5d9df' : '#3b4048';
    const grid = dark ? 'rgba(255,255,255,0.12)' : 'rgba(0,0,0,0.09)';
    const one = seriesColor(0, false, dark);
    const several = seriesColor(1, false, dark);
    const gapFill = gapPattern(dark);
    gapsRef.current = series.gaps;
    fillRef.current = gapFill;
    const datasets = [
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
    ];
    const exact = series.exact;
    const hours = series.hours;

    if (!chart.current) {
      const gapShadePlugin = gapShade(
        () => gapsRef.current,
        () => fillRef.current,
      );
      chart.current = new Chart(el, {
        type: 'bar',
        data: { labels, datasets },
        plugins: [gapShadePlugin],
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: 'index', intersect: false },
          datasets: { bar: { categoryPercentage: 0.9, barPercentage: 1 } },
          scales: {
            x: { stacked: true, ticks: { color: text, maxRotation: 0, autoSkip: true, autoSkipPadding: 16 }, grid: { display: false } },
            y: { stacked: true, beginAtZero: true, ticks: { color: text, callback: (v) => `$${v}` }, grid: { color: grid }, title: { display: true, text: yTitle, color: text } },
          },
          plugins: {
            legend: { position: 'bottom', labels: { color: text, boxWidth: 14, boxHeight: 12 } },
            tooltip: {},
          },
        },
      });
    }
    const c = chart.current;
    c.data.labels = labels;
    c.data.datasets = datasets;
    const scales = c.options.scales;
    if (scales?.x?.ticks) scales.x.ticks.color = text;
    if (scales?.y?.ticks) scales.y.ticks.color = text;
    if (scales?.y?.grid) scales.y.grid.color = grid;
    const y = scales?.y as { title?: { color?: string; text?: string } } | undefined;
    if (y?.title) {
      y.title.color = text;
      y.title.text = yTitle;
    }
    const plugins = c.options.plugins;
    if (plugins?.legend?.labels) plugins.legend.labels.color = text;
    if (plugins?.tooltip) {
      plugins.tooltip.filter = (item) => item.datasetIndex < 2 && exact[item.dataIndex] !== null;
      plugins.tooltip.callbacks = {
        title: (items) => titles[items[0]?.dataIndex ?? 0] ?? '',
        label: (item) => `Spend: ${displayUsd(exact[item.dataIndex] ?? '0')}`,
        footer: (items) => coversNote(hours[items[0]?.dataIndex ?? 0] ?? 1) ?? '',
      };
    }
    c.update();
  }, [labels, titles, series, dark, yTitle]);

  useEffect(
    () => () => {
      chart.current?.destroy();
      chart.current = null;
    },
    [],
  );

  return (
    <div class="chart-box" data-testid="hourly-chart" data-hours={series.hours.length} data-gaps={series.gapCount} data-carried={series.carriedCount} data-points={series.figureCount}>
      <canvas ref={canvas} role="img" aria-label={ariaLabel} aria-describedby={describedBy} />
    </div>
  );
}
