/**
 * The Metrics view: the last hour's query latency (p50/p95 per minute) and throughput (queries per
 * minute by action) from `/modelhub/api/metrics/recent`, drawn with the plotly.js the server's
 * plotly package ships (`/modelhub/api/plotly.js`, loaded once). Refreshed every 30 s while shown.
 */
import { Widget } from '@lumino/widgets';

import { IModelHubContext, h } from './context';
import { apiUrl, fetchAPI, requestAPI } from './request';

interface IFigure {
  data: any[];
  layout: Record<string, any>;
}

interface IRecent {
  since: number;
  minutes: number;
  queries: number;
  figures: Record<string, IFigure>;
}

let plotly: Promise<any> | null = null;

/** window.Plotly, from the server's copy of plotly.js (a <script> from a blob: the request carries the auth). */
export function loadPlotly(): Promise<any> {
  if ((window as any).Plotly) {
    return Promise.resolve((window as any).Plotly);
  }
  if (!plotly) {
    plotly = (async () => {
      const response = await fetchAPI(apiUrl('plotly.js'));
      const url = URL.createObjectURL(await response.blob());
      await new Promise<void>((resolve, reject) => {
        const script = document.createElement('script');
        script.src = url;
        script.onload = () => resolve();
        script.onerror = () => reject(new Error('plotly.js did not load'));
        document.head.appendChild(script);
      });
      return (window as any).Plotly;
    })();
    plotly.catch(() => (plotly = null));
  }
  return plotly;
}

export class MetricsView extends Widget {
  constructor(private ctx: IModelHubContext) {
    super();
    this.addClass('mhl-metrics');
    this.status = h('div', 'mhl-metrics-status', 'Loading…');
    this.latency = h('div', 'mhl-metrics-chart mhl-metrics-latency');
    this.throughput = h('div', 'mhl-metrics-chart mhl-metrics-throughput');
    this.node.append(this.status, this.latency, this.throughput);
  }

  async refresh(): Promise<void> {
    window.clearTimeout(this.timer);
    try {
      const [Plotly, recent] = await Promise.all([
        loadPlotly(),
        requestAPI<IRecent>('metrics/recent', { minutes: 60, home: this.ctx.settings.home })
      ]);
      const style = getComputedStyle(document.body);
      const color = style.getPropertyValue('--jp-ui-font-color1').trim() || '#333';
      const theme = { paper_bgcolor: 'rgba(0,0,0,0)', plot_bgcolor: 'rgba(0,0,0,0)', font: { color } };
      for (const [name, node] of [
        ['latency', this.latency],
        ['throughput', this.throughput]
      ] as [string, HTMLElement][]) {
        const figure = recent.figures[name];
        // x values come as Unix milliseconds: shown in the browser's time zone
        const data = figure.data.map(trace => ({ ...trace, x: trace.x.map((ms: number) => new Date(ms)) }));
        const layout: Record<string, any> = { ...figure.layout, ...theme, margin: { l: 50, r: 20, t: 50, b: 40 } };
        layout.xaxis = { ...layout.xaxis, range: layout.xaxis.range.map((ms: number) => new Date(ms)) };
        await Plotly.react(node, data, layout, { displaylogo: false, responsive: true });
      }
      const noun = recent.queries === 1 ? 'query' : 'queries';
      this.status.textContent = `${recent.queries} ${noun} in the last ${recent.minutes} minutes (searches committed with Enter and questions, from every surface)`;
      this.node.dataset.queries = String(recent.queries);
      this.node.dataset.state = 'ready';
    } catch (error) {
      this.status.textContent = `Metrics unavailable: ${error instanceof Error ? error.message : String(error)}`;
      this.node.dataset.state = 'error';
    }
    if (!this.isDisposed) {
      this.timer = window.setTimeout(() => {
        if (this.isVisible) {
          void this.refresh();
        } else {
          this.timer = window.setTimeout(() => void this.refresh(), 30000);
        }
      }, 30000);
    }
  }

  dispose(): void {
    window.clearTimeout(this.timer);
    super.dispose();
  }

  private status: HTMLElement;
  private latency: HTMLElement;
  private throughput: HTMLElement;
  private timer = 0;
}
