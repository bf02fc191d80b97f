import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import { el, setAttr } from './dom.js';
import { activeBuckets, timelineSeries, timelineTotals, type TimelineSeries } from './series.js';
import { dateTime, hhmm } from './time.js';
import type { TimelineView } from './types.js';

// Only what a stacked bar chart with a line needs, so the rest of Chart.js stays out of the bundle.
Chart.register(
  BarController,
  LineController,
  BarElement,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Legend,
  Tooltip,
);

// Blue, ochre and dark red differ in lightness too, so they stay apart with colour-blindness, and
// each is ≥ 3:1 on white; the legend, the tooltips and the data table name every series anyway.
const COLOURS = { entered: '#222222', synced: '#2b6cb0', notSynced: '#b7791f', errored: '#9b2c2c' };
const TEXT = '#3d3d3d'; // ≥ 4.5:1 on white

type Point = number;

/**
 * The step's last 48 hours as a Chart.js chart: Synced, Not Synced and Errored stacked per
 * 5-minute bucket, Entered as a line on top. Made once, then updated in place on each refresh.
 */
export class TimelineChart {
  private chart: Chart<'bar' | 'line', Point[], string> | undefined;
  private series: TimelineSeries | undefined;
  private tableSignature = '';

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly tableBody: HTMLTableSectionElement,
  ) {}

  show(view: TimelineView): void {
    const series = timelineSeries(view, hhmm);
    this.series = series;
    if (!this.chart) this.chart = this.create(series);
    else {
      const [entered, synced, notSynced, errored] = this.chart.data.datasets;
      this.chart.data.labels = series.labels;
      if (entered) entered.data = series.entered;
      if (synced) synced.data = series.synced;
      if (notSynced) notSynced.data = series.notSynced;
      if (errored) errored.data = series.errored;
      this.chart.update();
    }
    setAttr(this.canvas, 'aria-label', summary(view));
    this.fillTable(view);
  }

  destroy(): void {
    this.chart?.destroy();
    this.chart = undefined;
    this.series = undefined;
    this.tableSignature = '';
    this.tableBody.replaceChildren();
  }

  private create(series: TimelineSeries): Chart<'bar' | 'line', Point[], string> {
    const bar = (label: string, data: Point[], colour: string): ChartDataset<'bar', Point[]> => ({
      type: 'bar',
      label,
      data,
      backgroundColor: colour,
      stack: 'outcomes',
      order: 2,
    });
    const entered: ChartDataset<'line', Point[]> = {
      type: 'line',
      label: 'Entered',
      data: series.entered,
      borderColor: COLOURS.entered,
      backgroundColor: COLOURS.entered,
      borderWidth: 2,
      pointRadius: 3, // one bucket alone is a point, not a line
      pointHitRadius: 6,
      stack: 'entered',
      order: 1, // drawn over the bars
    };
    return new Chart<'bar' | 'line', Point[], string>(this.canvas, {
      type: 'bar',
      data: {
        labels: series.labels,
        datasets: [
          entered,
          bar('Users Synced', series.synced, COLOURS.synced),
          bar('Users Not Synced', series.notSynced, COLOURS.notSynced),
          bar('Users Errored', series.errored, COLOURS.errored),
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false, // a refresh every 5 s must not replay an animation
        interaction: { mode: 'index', intersect: false },
        color: TEXT,
        scales: {
          x: {
            stacked: true,
            grid: { display: false },
            ticks: { color: TEXT, autoSkip: true, maxRotation: 0, maxTicksLimit: 12 },
          },
          y: {
            stacked: true,
            beginAtZero: true,
            ticks: { color: TEXT, precision: 0 },
            title: { display: true, text: 'Users per 5 minutes', color: TEXT },
          },
        },
        plugins: {
          legend: { position: 'bottom', labels: { color: TEXT } },
          tooltip: {
            callbacks: {
              // The axis shows HH:MM only; the tooltip says which day too.
              title: (items) => {
                const at = this.series?.at[items[0]?.dataIndex ?? -1];
                return at === undefined ? '' : dateTime(at);
              },
            },
          },
        },
      },
    });
  }

  /** The visually hidden table: the buckets where something happened, for screen readers. */
  private fillTable(view: TimelineView): void {
    const rows = activeBuckets(view);
    const signature = JSON.stringify(rows);
    if (signature === this.tableSignature) return; // nothing new: leave the table (and its reader) alone
    this.tableSignature = signature;
    this.tableBody.replaceChildren(
      ...rows.map((b) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row' }, dateTime(b.at)),
          el('td', {}, String(b.entered)),
          el('td', {}, String(b.synced)),
          el('td', {}, String(b.notSynced)),
          el('td', {}, String(b.errored)),
        ),
      ),
    );
  }
}

/** The chart's text alternative: what the 48 hours add up to. */
function summary(view: TimelineView): string {
  const t = timelineTotals(view);
  if (t.entered + t.synced + t.notSynced + t.errored === 0) {
    return 'Timeline of the last 48 hours in 5-minute buckets: no activity.';
  }
  const buckets = activeBuckets(view).length;
  return (
    `Timeline of the last 48 hours in 5-minute buckets: ${t.entered} entered, ${t.synced} synced, ` +
    `${t.notSynced} not synced, ${t.errored} errored, over ${buckets} bucket${buckets === 1 ? '' : 's'} ` +
    `with activity. The table that follows lists them.`
  );
}
