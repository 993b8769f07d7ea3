/**
 * The widget host: a main-area view that shows one of the real Python panels
 * (`modelhub_jupyter.widgets`), built by the server extension for this view and reached over the
 * websocket `/modelhub/api/widgets/<panel>`. The view loads the panel's own ES module (the same
 * `render({model, el})` anywidget runs in a notebook) and hands it `HostedModel`, which speaks
 * anywidget's model interface (get / set / save_changes / on / off / send). So the notebook widget
 * and the lab view are one front-end source.
 *
 * A panel whose notebook form shows a plotly chart beside it (Models' benchmark, Compare's lineage
 * timeline, Quality's latency box plot) gets it here as `{"type": "figure"}` messages: plain plotly
 * JSON drawn under the panel with the plotly.js the server ships. A view the server closed to stay
 * within the user's limit of open views (`{"type": "closed"}`) says so and reopens on a click.
 */
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import { IModelHubContext } from './context';
import { loadPlotly } from './metrics';
import { requestAPI } from './request';

type Callback = (...args: any[]) => void;

interface IPanelModule {
  render(props: { model: HostedModel; el: HTMLElement }): void | (() => void) | Promise<void | (() => void)>;
}

const modules = new Map<string, Promise<IPanelModule>>();

/** The panel's ES module (with its stylesheet added to the page once), fetched with the server's auth. */
function loadModule(panel: string): Promise<IPanelModule> {
  let module = modules.get(panel);
  if (!module) {
    module = (async () => {
      const { esm, css } = await requestAPI<{ esm: string; css: string }>(`widgets/${panel}/module`);
      if (css && !document.querySelector(`style[data-modelhub-panel="${panel}"]`)) {
        const style = document.createElement('style');
        style.dataset.modelhubPanel = panel;
        style.textContent = css;
        document.head.appendChild(style);
      }
      const url = URL.createObjectURL(new Blob([esm], { type: 'text/javascript' }));
      try {
        const loaded = await import(/* webpackIgnore: true */ url);
        return (loaded.default ?? loaded) as IPanelModule;
      } finally {
        URL.revokeObjectURL(url);
      }
    })();
    modules.set(panel, module);
    module.catch(() => modules.delete(panel));
  }
  return module;
}

/** anywidget's model interface over the host's websocket. */
export class HostedModel {
  constructor(private socket: WebSocket) {}

  get(key: string): any {
    return this.state[key];
  }

  /** Set a value here (listeners hear it at once, as with Backbone); `save_changes` sends it. */
  set(key: string, value: any): void {
    const changed = JSON.stringify(this.state[key]) !== JSON.stringify(value);
    this.state[key] = value;
    this.pending[key] = value;
    this.inputs[key] = value;
    if (changed) {
      this.emit(`change:${key}`, value);
      this.emit('change');
    }
  }

  save_changes(): void {
    if (Object.keys(this.pending).length) {
      this.write({ type: 'update', state: this.pending });
      this.pending = {};
    }
  }

  on(event: string, callback: Callback): void {
    for (const name of event.split(/\s+/).filter(Boolean)) {
      if (!this.listeners.has(name)) {
        this.listeners.set(name, new Set());
      }
      this.listeners.get(name)!.add(callback);
    }
  }

  off(event?: string | null, callback?: Callback | null): void {
    if (!event) {
      this.listeners.clear();
      return;
    }
    for (const name of event.split(/\s+/).filter(Boolean)) {
      if (callback) {
        this.listeners.get(name)?.delete(callback);
      } else {
        this.listeners.delete(name);
      }
    }
  }

  /** A custom message to the panel's `_handle_custom_msg`; binary buffers travel as base64. */
  send(content: any, _callbacks?: unknown, buffers?: (ArrayBuffer | ArrayBufferView)[]): void {
    const encoded = (buffers ?? []).map(buffer => {
      const bytes =
        buffer instanceof ArrayBuffer
          ? new Uint8Array(buffer)
          : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000) {
        text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      }
      return btoa(text);
    });
    this.write(encoded.length ? { type: 'custom', content, buffers: encoded } : { type: 'custom', content });
  }

  /** Python's state: each changed key fires `change:<key>`. */
  apply(state: Record<string, any>): void {
    let any = false;
    for (const [key, value] of Object.entries(state)) {
      if (JSON.stringify(this.state[key]) === JSON.stringify(value)) {
        continue;
      }
      this.state[key] = value;
      any = true;
      this.emit(`change:${key}`, value);
    }
    if (any) {
      this.emit('change');
    }
  }

  /** A custom message from Python: anywidget's `msg:custom`. */
  custom(content: any): void {
    this.emit('msg:custom', content, []);
  }

  private emit(event: string, ...args: any[]): void {
    for (const callback of [...(this.listeners.get(event) ?? [])]) {
      try {
        callback(...args);
      } catch (error) {
        console.error(`modelhub-jupyter: ${event} listener failed`, error);
      }
    }
  }

  private write(message: any): void {
    if (this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  /** What this view's user set (a query, a question, an edited template...), last value per key:
   * a view the server closed reopens with them. */
  readonly inputs: Record<string, any> = {};

  readonly widget_manager = {
    get_model: async () => {
      throw new Error('modelhub-jupyter: hosted panels have no widget manager');
    }
  };
  private state: Record<string, any> = {};
  private pending: Record<string, any> = {};
  private listeners = new Map<string, Set<Callback>>();
}

/** A file under the server's root (where JupyterLab opens it), from an indexed root and a path. */
export function serverPath(root: string, path: string): string | null {
  const serverRoot = PageConfig.getOption('serverRoot').replace(/\/+$/, '');
  const full = (root ? root.replace(/\/+$/, '') + '/' : '') + path;
  if (serverRoot && full.startsWith(serverRoot + '/')) {
    return full.slice(serverRoot.length + 1);
  }
  return full.startsWith('/') ? null : full;
}

/** Lines `[start, end]` from a label such as `models/gpt.py:12-40`. */
function labelLines(label: string): number[] | null {
  const match = /:(\d+)(?:-(\d+))?$/.exec(label);
  return match ? [Number(match[1]), Number(match[2] ?? match[1])] : null;
}

/** One hosted panel in the main area (`panel`: search, gallery, index, ask, models, compare, prompts, ...). */
export class HostedPanelView extends Widget {
  constructor(
    readonly panel: string,
    private ctx: IModelHubContext
  ) {
    super();
    this.addClass('mhl-host');
    this.node.dataset.panel = panel;
    this.node.dataset.state = 'connecting';
    this.line = document.createElement('div');
    this.line.className = 'mhl-host-line';
    this.body = document.createElement('div');
    this.body.className = 'mhl-host-body';
    this.chart = document.createElement('div');
    this.chart.className = 'mhl-host-chart';
    this.chart.hidden = true;
    this.node.append(this.line, this.body, this.chart);
    this.body.addEventListener('click', event => this.onClick(event), true);
    // a view the server closed (too many open): any click in it reopens it
    this.node.addEventListener(
      'click',
      event => {
        if (this.node.dataset.state === 'evicted') {
          event.preventDefault();
          event.stopPropagation();
          this.reopen();
        }
      },
      true
    );
    this.connect();
  }

  /** Set panel traits from JupyterLab (e.g. the gallery's `detail_id`), as the panel itself would. */
  async setState(values: Record<string, any>): Promise<void> {
    if (this.node.dataset.state === 'evicted') {
      this.reopen(); // closed by the server to make room: asked for again, it reopens
    }
    const model = await this.ready;
    for (const [key, value] of Object.entries(values)) {
      model.set(key, value);
    }
    model.save_changes();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.closing = true;
    this.socket?.close();
    if (typeof this.cleanup === 'function') {
      this.cleanup();
    }
    super.dispose();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this.resizeChart();
  }

  protected onAfterShow(): void {
    this.resizeChart();
  }

  private resizeChart(): void {
    const Plotly = (window as any).Plotly;
    if (Plotly && !this.chart.hidden && this.chart.dataset.drawn) {
      Plotly.Plots.resize(this.chart);
    }
  }

  /** The panel's chart (plotly JSON from the server; null: none), drawn under the panel. */
  private async drawFigure(figure: any, className: string): Promise<void> {
    const drawn = ++this.figures;
    this.chart.className = 'mhl-host-chart' + (className ? ' ' + className : '');
    if (!figure || !Array.isArray(figure.data)) {
      this.chart.hidden = true;
      this.chart.dataset.state = 'none';
      return;
    }
    try {
      const Plotly = await loadPlotly();
      if (drawn !== this.figures || this.isDisposed) {
        return; // a newer figure came meanwhile
      }
      const style = getComputedStyle(document.body);
      const color = style.getPropertyValue('--jp-ui-font-color1').trim() || '#333';
      const layout = {
        ...(figure.layout ?? {}),
        autosize: true,
        paper_bgcolor: 'rgba(0,0,0,0)',
        plot_bgcolor: 'rgba(0,0,0,0)',
        font: { ...(figure.layout?.font ?? {}), color }
      };
      delete layout.width;
      this.chart.hidden = false;
      await Plotly.react(this.chart, figure.data, layout, { displaylogo: false, responsive: true });
      this.chart.dataset.drawn = '1';
      this.chart.dataset.state = 'ready';
    } catch (error) {
      this.chart.hidden = false;
      this.chart.dataset.state = 'error';
      this.chart.textContent = `The chart did not load: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** A view the server closed: a new panel, given back what the user had set in the old one. */
  private reopen(): void {
    this.connect({ ...(this.model?.inputs ?? {}) });
  }

  private connect(restore: Record<string, any> = {}): void {
    if (typeof this.cleanup === 'function') {
      try {
        this.cleanup();
      } catch (error) {
        console.error('modelhub-jupyter: panel cleanup failed', error);
      }
    }
    this.cleanup = undefined;
    this.body.replaceChildren();
    this.chart.hidden = true;
    this.setLine('connecting', `Starting the ${this.panel} panel…`);
    let resolve: (model: HostedModel) => void = () => undefined;
    this.ready = new Promise(r => (resolve = r));
    const settings = ServerConnection.makeSettings();
    let url = URLExt.join(settings.wsUrl, 'modelhub/api/widgets', this.panel);
    const query = new URLSearchParams();
    if (this.ctx.settings.home) {
      query.set('home', this.ctx.settings.home);
    }
    if (settings.token && settings.appendToken) {
      query.set('token', settings.token);
    }
    if (query.toString()) {
      url += '?' + query.toString();
    }
    const socket = new WebSocket(url);
    this.socket = socket;
    this.evicted = '';
    const model = new HostedModel(socket);
    this.model = model;
    const module = loadModule(this.panel);
    socket.onmessage = async event => {
      let message: any;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return;
      }
      if (message.type === 'open') {
        model.apply(message.state ?? {});
        try {
          const loaded = await module;
          this.cleanup = await loaded.render({ model, el: this.body });
          this.setLine('ready', '');
          if (Object.keys(restore).length) {
            for (const [key, value] of Object.entries(restore)) {
              model.set(key, value);
            }
            model.save_changes();
          }
          resolve(model);
        } catch (error) {
          this.setLine('error', `The ${this.panel} panel did not load: ${String(error)}`);
        }
      } else if (message.type === 'update') {
        model.apply(message.state ?? {});
        this.afterUpdate(message.state ?? {});
      } else if (message.type === 'custom') {
        model.custom(message.content);
      } else if (message.type === 'figure') {
        void this.drawFigure(message.figure, String(message.class ?? ''));
      } else if (message.type === 'closed') {
        this.evicted = String(message.message ?? 'This view was closed by the server. Click to reopen it.');
      } else if (message.type === 'error') {
        this.setLine('error', String(message.message ?? 'error'));
      }
    };
    socket.onclose = () => {
      if (this.closing || this.isDisposed || socket !== this.socket) {
        return;
      }
      if (this.evicted) {
        // closed to make room for newer views: the panel is gone, a click anywhere brings it back
        this.setLine('evicted', this.evicted);
        this.evicted = '';
        const reopen = document.createElement('button');
        reopen.className = 'mhl-button mhl-host-reopen';
        reopen.textContent = 'Reopen';
        this.line.append(' ', reopen);
        return;
      }
      if (this.node.dataset.state !== 'error') {
        this.setLine('closed', 'Disconnected from the server.');
      }
      const again = document.createElement('button');
      again.className = 'mhl-button mhl-host-reconnect';
      again.textContent = 'Reconnect';
      again.addEventListener('click', () => this.connect());
      this.line.append(' ', again);
    };
  }

  private setLine(state: string, text: string): void {
    this.node.dataset.state = state;
    this.line.textContent = text;
    this.line.hidden = !text;
  }

  /** JupyterLab's part of a panel: jump-to-source, the gallery at an image, a written notebook opened. */
  private onClick(event: MouseEvent): void {
    const target = event.target as HTMLElement | null;
    if (!target || !this.model) {
      return;
    }
    const result = target.closest('.mh-result') as HTMLElement | null;
    if (result && target.closest('.mh-result-path') && result.dataset.id) {
      event.preventDefault();
      if (result.classList.contains('mh-kind-image')) {
        this.ctx.openGallery(result.dataset.id);
      } else {
        void this.ctx.openDocument(result.dataset.id);
      }
      return;
    }
    const citation = target.closest('.mh-citation') as HTMLElement | null;
    if (citation && target.closest('.mh-citation-link')) {
      const n = Number(citation.dataset.n);
      const cited = (this.model.get('citations') ?? []).find((c: any) => c.n === n);
      const path = cited ? serverPath(String(cited.root ?? ''), String(cited.path ?? '')) : null;
      if (path) {
        void this.ctx.openPath(path, labelLines(String(cited.label ?? '')));
      }
    }
  }

  private afterUpdate(state: Record<string, any>): void {
    const notebook = state.notebook;
    if (notebook && typeof notebook === 'object' && notebook.path) {
      const path = serverPath('', String(notebook.path));
      if (path) {
        void this.ctx.openPath(path, null);
      }
    }
  }

  private line: HTMLElement;
  private body: HTMLElement;
  private chart: HTMLElement;
  private figures = 0;
  private evicted = '';
  private socket: WebSocket | null = null;
  private model: HostedModel | null = null;
  private ready: Promise<HostedModel> = new Promise(() => undefined);
  private cleanup: void | (() => void) = undefined;
  private closing = false;
}
