import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { displayUsd } from '../money';
import { gapLegend, gapPattern, gapShade } from './chartGaps';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

export interface ChartSeries {
  label: string;
  /** Exact money strings, one per day; null: no figure (a gap). */
  costs: (string | null)[];
  values: (number | null)[];
  other?: boolean;
}

const LIGHT = ['#2f6db5', '#d9660b', '#23915a', '#c8364b', '#7756c4', '#8a6a12', '#14879a', '#c2467f'];
const DARK = ['#6ea8fe', '#ffa94d', '#5ad47a', '#ff7b8c', '#b59cff', '#e3c167', '#4fd1e0', '#f78bc6'];
const OTHER = { light: '#8d939c', dark: '#7d848d' };

export function seriesColor(index: number, other: boolean, dark: boolean): string {
  if (other) return dark ? OTHER.dark : OTHER.light;
  const palette = dark ? DARK : LIGHT;
  return palette[index % palette.length] ?? '#888';
}

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
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar'> | null>(null);
  const gapsRef = useRef<readonly boolean[]>([]);
  const fillRef = useRef<CanvasPattern | string>('transparent');
  const dark = useDarkMode();

  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const text = dark ? '#d5d9df' : '#3b4048';
    const grid = dark ? 'rgba(255,255,255,0.12)' : 'rgba(0,0,0,0.09)';
    const anyGap = (gaps ?? []).some(Boolean);
    gapsRef.current = gaps ?? [];
    if (anyGap) fillRef.current = gapPattern(dark);
    const bars = series.map((s, i) => ({
      label: s.label,
      data: s.values,
      backgroundColor: seriesColor(i, s.other === true, dark),
      borderWidth: 0,
      stack: 'cost',
    }));
    const datasets = anyGap ? [...bars, gapLegend(labels.length, dark, 'cost')] : bars;
    const exact = series.map((s) => s.costs);
    const notes = footers ?? [];
    if (!chart.current) {
      chart.current = new Chart(el, {
        type: 'bar',
        data: { labels, datasets },
        plugins: [
          gapShade(
            () => gapsRef.current,
            () => fillRef.current,
          ),
        ],
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: 'index', intersect: false },
          scales: {
            x: { stacked: true, ticks: { color: text, maxRotation: 0, autoSkip: true, autoSkipPadding: 12 }, grid: { display: false } },
            y: {
              stacked: true,
              beginAtZero: true,
              ticks: { color: text, callback: (v) => `$${v}` },
              grid: { color: grid },
              title: { display: true, text: yTitle, color: text },
            },
          },
          plugins: {
            legend: { position: 'bottom', labels: { color: text, boxWidth: 12, boxHeight: 12 } },
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
      plugins.tooltip.filter = (item) => item.datasetIndex < series.length;
      plugins.tooltip.callbacks = {
        label: (item) => {
          const v = exact[item.datasetIndex]?.[item.dataIndex];
          return `${item.dataset.label ?? ''}: ${v === null ? 'no reading' : displayUsd(v ?? '0')}`;
        },
        footer: (items) => notes[items[0]?.dataIndex ?? -1] ?? '',
      };
    }
    c.update();
  }, [labels, series, dark, yTitle, gaps, footers]);

  useEffect(
    () => () => {
      chart.current?.destroy();
      chart.current = null;
    },
    [],
  );

  const points = series.reduce((n, s) => n + s.values.filter((v) => v !== 0 && v !== null).length, 0);
  return (
    <div class="chart-box" data-testid="cost-chart" data-points={points} data-gaps={(gaps ?? []).filter(Boolean).length}>
      <canvas ref={canvas} role="img" aria-label={ariaLabel} aria-describedby={describedBy} />
    </div>
  );
}
