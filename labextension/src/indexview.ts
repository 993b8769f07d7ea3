/** The Index view (main area): what is indexed, re-index a root or a folder, progress, errors, runs. */
import { Widget } from '@lumino/widgets';

import { IModelHubContext, h } from './context';
import { IIndexJob, IStatus, ModelHubAPIError, requestAPI } from './request';

export class IndexView extends Widget {
  constructor(private ctx: IModelHubContext) {
    super();
    this.addClass('mhl-panel');
    this.addClass('mhl-index-view');
    this.summary = h('div', 'mhl-summary');
    const row = h('div', 'mhl-row');
    this.folder = h('input', 'mhl-input');
    this.folder.placeholder = 'Folder under the server root to index (empty: re-index every root)';
    const start = h('button', 'mhl-button', 'Index');
    start.addEventListener('click', () => void this.start());
    row.append(this.folder, start);
    this.progress = h('div', 'mhl-message mhl-progress');
    this.errors = h('div', 'mhl-errors');
    this.node.append(this.summary, row, this.progress, this.errors);
  }

  async refresh(): Promise<void> {
    try {
      const home = this.ctx.settings.home;
      const status = await requestAPI<IStatus>('status', { home });
      const errors = await requestAPI<{ path: string; error: string; root: string }[]>('errors', { home, limit: 200 });
      const table = h('table', 'mhl-table');
      const rows: [string, string][] = [
        ['home', status.home],
        ['roots', status.roots.join(', ') || '(none)'],
        ['files', String(status.files)],
        ...Object.entries(status.documents).map(([k, n]) => [`${k} documents`, String(n)] as [string, string]),
        ['errors', String(status.errors)]
      ];
      for (const [key, value] of rows) {
        const tr = h('tr');
        tr.append(h('th', '', key), h('td', '', value));
        table.appendChild(tr);
      }
      this.summary.replaceChildren(table);
      this.showJob(status.index_job);
      const list = h('table', 'mhl-table');
      for (const e of errors) {
        const tr = h('tr');
        tr.append(h('td', '', e.path), h('td', 'mhl-error', e.error));
        list.appendChild(tr);
      }
      this.errors.replaceChildren(h('h3', '', `Files not indexed (${errors.length})`), list);
      if (status.index_job.state === 'running') {
        window.setTimeout(() => void this.refresh(), 1000);
      }
    } catch (error) {
      this.summary.replaceChildren(h('div', 'mhl-error', error instanceof ModelHubAPIError ? error.message : String(error)));
    }
  }

  private showJob(job: IIndexJob): void {
    if (job.state === 'running') {
      this.progress.textContent = `Indexing ${job.roots.join(', ')}: ${job.done} of ${job.total || '?'} files`;
    } else if (job.state === 'failed') {
      this.progress.textContent = `The last index run failed: ${job.error}`;
    } else if (job.state === 'done') {
      const indexed = job.reports.reduce((n, r) => n + (r.indexed ?? 0), 0);
      this.progress.textContent = `The last index run is done: ${indexed} file(s) indexed.`;
    } else {
      this.progress.textContent = '';
    }
  }

  private async start(): Promise<void> {
    const path = this.folder.value.trim();
    try {
      const job = await requestAPI<IIndexJob>(
        'index',
        { home: this.ctx.settings.home },
        { method: 'POST', body: JSON.stringify(path ? { path } : {}) }
      );
      this.showJob(job);
      window.setTimeout(() => void this.refresh(), 500);
    } catch (error) {
      this.progress.textContent = error instanceof ModelHubAPIError ? error.message : String(error);
    }
  }

  private summary: HTMLElement;
  private folder: HTMLInputElement;
  private progress: HTMLElement;
  private errors: HTMLElement;
}
