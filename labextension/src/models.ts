/** The Models view (main area): the registry's models (type, category, versions with stage and
 * active); a row opens the model's versions, performance and history. Served by /modelhub/api/models. */
import { Widget } from '@lumino/widgets';

import { IModelHubContext, h } from './context';
import { ModelHubAPIError, requestAPI } from './request';

interface IVersion {
  version: string;
  stage: string;
  active: boolean;
  size: number | null;
  sha256: string | null;
}

interface IModelRow {
  name: string;
  type: string;
  format: string;
  tier: string;
  primary: string | null;
  secondary: string[];
  parameters: number | null;
  versions: IVersion[];
  path: string;
}

function size(bytes: number | null | undefined): string {
  if (!bytes) {
    return '';
  }
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let n = bytes;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function table(head: string[], rows: (string | HTMLElement)[][], className = 'mhl-table'): HTMLTableElement {
  const t = h('table', className);
  const tr = h('tr');
  head.forEach(c => tr.appendChild(h('th', '', c)));
  t.appendChild(tr);
  for (const row of rows) {
    const r = h('tr');
    for (const cell of row) {
      const td = h('td');
      if (typeof cell === 'string') {
        td.textContent = cell;
      } else {
        td.appendChild(cell);
      }
      r.appendChild(td);
    }
    t.appendChild(r);
  }
  return t;
}

export class ModelsView extends Widget {
  constructor(private ctx: IModelHubContext) {
    super();
    this.addClass('mhl-panel');
    this.addClass('mhl-models');
    const row = h('div', 'mhl-row');
    this.type = h('select', 'mhl-select');
    for (const value of ['', 'text_embedding', 'image_embedding', 'captioning', 'llm', 'other']) {
      const option = h('option', '', value || 'every type');
      option.value = value;
      this.type.appendChild(option);
    }
    this.type.addEventListener('change', () => void this.refresh());
    const reload = h('button', 'mhl-button', 'Refresh');
    reload.addEventListener('click', () => void this.refresh());
    row.append(this.type, reload);
    this.list = h('div', 'mhl-models-list');
    this.detail = h('div', 'mhl-model-detail');
    this.node.append(row, this.list, this.detail);
  }

  async refresh(): Promise<void> {
    try {
      const models = await requestAPI<IModelRow[]>('models', { type: this.type.value, home: this.ctx.settings.home });
      if (!models.length) {
        this.list.replaceChildren(h('div', 'mhl-message', 'No models registered yet (modelhub models discover <folder>).'));
        return;
      }
      const rows = models.map(m => {
        const name = h('a', 'mhl-model-name', m.name);
        name.href = '#';
        name.addEventListener('click', event => {
          event.preventDefault();
          void this.showModel(m.name);
        });
        const versions = m.versions
          .map(v => `${v.version} (${v.stage}${v.active ? ', active' : ''}${v.size ? ', ' + size(v.size) : ''})`)
          .join(', ');
        const category = [m.primary ?? '', ...(m.secondary ?? [])].filter(Boolean).join(' / ');
        return [name, m.type, category, versions, m.parameters ? m.parameters.toLocaleString() : '', m.tier];
      });
      this.list.replaceChildren(table(['model', 'type', 'category', 'versions', 'parameters', 'tier'], rows));
      this.node.dataset.models = String(models.length);
    } catch (error) {
      this.list.replaceChildren(h('div', 'mhl-error', error instanceof ModelHubAPIError ? error.message : String(error)));
    }
  }

  async showModel(name: string): Promise<void> {
    try {
      const model = await requestAPI<Record<string, any>>('models/' + encodeURIComponent(name), { home: this.ctx.settings.home });
      const parts: HTMLElement[] = [h('h3', '', `${model.name} (${model.model_type ?? model.type ?? ''})`)];
      const versions = (model.versions ?? []) as Record<string, any>[];
      parts.push(
        table(
          ['version', 'stage', 'active', 'size', 'sha256', 'parent'],
          versions.map(v => {
            const sha = h('code', '', String(v.checkpoint_sha256 ?? v.sha256 ?? '').slice(0, 12));
            sha.title = String(v.checkpoint_sha256 ?? v.sha256 ?? '');
            return [String(v.version), String(v.stage ?? ''), v.active ? 'yes' : '', size(v.size), sha, String(v.parent ?? '')];
          })
        )
      );
      const perf = (model.performance ?? []) as Record<string, any>[];
      if (perf.length) {
        parts.push(h('h4', '', 'Performance'));
        const keys = Object.keys(perf[0]);
        parts.push(table(keys, perf.map(p => keys.map(k => (typeof p[k] === 'object' ? JSON.stringify(p[k]) : String(p[k] ?? ''))))));
      }
      const history = (model.history ?? []) as Record<string, any>[];
      if (history.length) {
        parts.push(h('h4', '', 'History'));
        const keys = Object.keys(history[0]);
        parts.push(table(keys, history.map(e => keys.map(k => (typeof e[k] === 'object' ? JSON.stringify(e[k]) : String(e[k] ?? ''))))));
      }
      this.detail.replaceChildren(...parts);
    } catch (error) {
      this.detail.replaceChildren(h('div', 'mhl-error', error instanceof ModelHubAPIError ? error.message : String(error)));
    }
  }

  private type: HTMLSelectElement;
  private list: HTMLElement;
  private detail: HTMLElement;
}
