// The stacked bar charts' shared Chart.js setup: the canvas, the chart made
// once and redrawn in place, theme colours, the hatched gap columns, the
// tooltip, and the chart's end with the component.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartDataset } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';
import { gapShade } from './chartGaps';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

/** What differs between the bar charts, fixed when the chart is made. */
export interface BarLook {
  /** Space kept between the x labels Chart.js shows. */
  autoSkipPadding: number;
  /** The legend's colour box width. */
  legendBoxWidth: number;
  /** Chart.js `datasets.bar` options, if any. */
  bar?: { categoryPercentage: number; barPercentage: number };
}

type TooltipOptions = NonNullable<NonNullable<Chart<'bar', (number | null)[], string>['options']['plugins']>['tooltip']>;

export interface BarDraw {
  labels: string[];
  datasets: ChartDataset<'bar', (number | null)[]>[];
  dark: boolean;
  yTitle: string;
  /** Columns without any figure, shaded and hatched under the bars. */
  gaps: readonly boolean[];
  /** Their fill; absent: the last one stays. */
  gapFill?: CanvasPattern | string;
  tooltip: { filter: TooltipOptions['filter']; callbacks: TooltipOptions['callbacks'] };
}

/** A bar chart on `canvas`: `draw()` makes it the first time and then
 *  updates it in place (call it from an effect); it is destroyed with the
 *  component. */
export function useBarChart(look: BarLook) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar', (number | null)[], string> | null>(null);
  const gapsRef = useRef<readonly boolean[]>([]);
  const fillRef = useRef<CanvasPattern | string>('transparent');

  useEffect(
    () => () => {
      chart.current?.destroy();
      chart.current = null;
    },
    [],
  );

  function draw({ labels, datasets, dark, yTitle, gaps, gapFill, tooltip }: BarDraw) {
    const el = canvas.current;
    if (!el) return;
    const text = dark ? '#d5d9df' : '#3b4048';
    const grid = dark ? 'rgba(255,255,255,0.12)' : 'rgba(0,0,0,0.09)';
    gapsRef.current = gaps;
    if (gapFill !== undefined) fillRef.current = gapFill;

    if (!chart.current) {
      chart.current = new Chart<'bar', (number | null)[], string>(el, {
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
          ...(look.bar ? { datasets: { bar: look.bar } } : {}),
          scales: {
            x: { stacked: true, ticks: { color: text, maxRotation: 0, autoSkip: true, autoSkipPadding: look.autoSkipPadding }, grid: { display: false } },
            y: {
              stacked: true,
              beginAtZero: true,
              ticks: { color: text, callback: (v) => `$${v}` },
              grid: { color: grid },
              title: { display: true, text: yTitle, color: text },
            },
          },
          plugins: {
            legend: { position: 'bottom', labels: { color: text, boxWidth: look.legendBoxWidth, boxHeight: 12 } },
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
      plugins.tooltip.filter = tooltip.filter;
      plugins.tooltip.callbacks = tooltip.callbacks;
    }
    c.update();
  }

  return { canvas, draw };
}
