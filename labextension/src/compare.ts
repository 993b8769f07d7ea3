/** The Compare view (main area): 2-4 models (suggested from the index) side by side: the aligned
 * table with differing rows highlighted and % change, structural and code diffs, lineage.
 * Served by /modelhub/api/compare (the JSON of hub.compare(...).to_json()). */
import { Widget } from '@lumino/widgets';

import { IModelHubContext, h } from './context';
import { IWrittenNotebook } from './notebooks';
import { ModelHubAPIError, requestAPI } from './request';

interface IComparison {
  models: { name: string; model_id: string | null; path: string; kind: string; note: string }[];
  notes: string[];
  rows: { key: string; display: string[]; diff: boolean; change_pct: (number | null)[]; improvement_pct: (number | null)[] }[];
  structure: { lines: string[] }[];
  code_diffs: { a: string; b: string; unified: string }[];
  lineage: { edges: { source: string; target: string }[] };
}

export class CompareView extends Widget {
  constructor(private ctx: IModelHubContext) {
    super();
    this.addClass('mhl-panel');
    this.addClass('mhl-compare');
    const row = h('div', 'mhl-row');
    this.input = h('input', 'mhl-input mhl-compare-names');
    this.input.placeholder = '2 to 4 models, comma-separated (model_id, family, id@version or file)';
    this.input.setAttribute('list', 'mhl-compare-suggestions');
    this.input.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        void this.compare(this.names());
      }
    });
    const go = h('button', 'mhl-button', 'Compare');
    go.addEventListener('click', () => void this.compare(this.names()));
    row.append(this.input, go);
    this.chips = h('div', 'mhl-suggestions');
    this.result = h('div', 'mhl-compare-result');
    this.node.append(row, this.chips, this.result);
  }

  private names(): string[] {
    return this.input.value.split(',').map(s => s.trim()).filter(Boolean);
  }

  async refresh(): Promise<void> {
    try {
      const { suggestions } = await requestAPI<{ suggestions: string[] }>('compare', { home: this.ctx.settings.home });
      this.chips.replaceChildren(
        ...suggestions.slice(0, 30).map(name => {
          const chip = h('button', 'mhl-suggestion', name);
          chip.addEventListener('click', () => {
            const names = this.names();
            if (!names.includes(name)) {
              this.input.value = [...names, name].join(', ');
            }
          });
          return chip;
        })
      );
    } catch (error) {
      this.chips.replaceChildren(h('div', 'mhl-error', error instanceof ModelHubAPIError ? error.message : String(error)));
    }
  }

  async compare(names: string[]): Promise<void> {
    this.input.value = names.join(', ');
    this.result.textContent = 'Comparing…';
    try {
      const params: Record<string, string | string[]> = { name: names, home: this.ctx.settings.home };
      const c = await requestAPI<IComparison>('compare', params);
      this.render(c);
    } catch (error) {
      this.result.replaceChildren(h('div', 'mhl-error', error instanceof ModelHubAPIError ? error.message : String(error)));
    }
  }

  private render(c: IComparison): void {
    const labels = c.models.map(m => m.name);
    const parts: HTMLElement[] = c.notes.map(n => h('p', 'mhl-message', n));
    const t = h('table', 'mhl-table mhl-compare-table');
    const head = h('tr');
    ['field', ...labels].forEach(l => head.appendChild(h('th', '', l)));
    t.appendChild(head);
    for (const r of c.rows) {
      const tr = h('tr', r.diff ? 'mhl-diff' : '');
      tr.appendChild(h('th', '', r.key));
      r.display.forEach((value, i) => {
        const imp = r.improvement_pct[i];
        const pct = r.change_pct[i];
        const cls = i === 0 || imp === null || imp === 0 ? '' : imp > 0 ? 'mhl-better' : 'mhl-worse';
        let text = value;
        if (i > 0 && pct !== null && pct !== 0) {
          text += ` (${pct > 0 ? '+' : ''}${pct.toFixed(1)}%${imp === null ? '' : imp > 0 ? ' better' : ' worse'})`;
        }
        tr.appendChild(h('td', cls, text));
      });
      t.appendChild(tr);
    }
    parts.push(t);
    c.structure.forEach((d, i) => {
      parts.push(h('h3', '', `Structure: ${labels[0]} → ${labels[i + 1]}`));
      const ul = h('ul', 'mhl-structure');
      (d.lines.length ? d.lines : ['no structural change']).forEach(line => ul.appendChild(h('li', '', line)));
      parts.push(ul);
    });
    parts.push(h('h3', '', 'Lineage'));
    const lineage = h('ul', 'mhl-lineage');
    (c.lineage.edges.length ? c.lineage.edges.map(e => `${e.source} → ${e.target}`) : ['no known predecessors']).forEach(
      line => lineage.appendChild(h('li', '', line))
    );
    parts.push(lineage);
    for (const d of c.code_diffs) {
      parts.push(h('h3', '', `Code: ${d.a} → ${d.b}`));
      const pre = h('pre', 'mhl-diff-code');
      for (const line of d.unified.split('\n')) {
        const cls = line.startsWith('+') && !line.startsWith('+++') ? 'mhl-add' : line.startsWith('-') && !line.startsWith('---') ? 'mhl-del' : '';
        pre.appendChild(h('span', cls, line + '\n'));
      }
      parts.push(pre);
    }
    const write = h('button', 'mhl-button mhl-write-notebook', 'Write notebook');
    write.title = 'Write the compare_models notebook for these models into the server root and open it';
    write.addEventListener('click', () => void this.writeNotebook(labels));
    this.result.replaceChildren(h('div', 'mhl-row', ''), ...parts);
    this.result.firstElementChild!.appendChild(write);
    this.node.dataset.compared = labels.join(',');
  }

  private async writeNotebook(names: string[]): Promise<void> {
    try {
      const written = await requestAPI<IWrittenNotebook>(
        'notebooks',
        { home: this.ctx.settings.home },
        { method: 'POST', body: JSON.stringify({ template: 'compare_models', params: { models: names.join(',') } }) }
      );
      await this.ctx.openPath(written.path, null);
    } catch (error) {
      this.result.prepend(h('div', 'mhl-error', error instanceof ModelHubAPIError ? error.message : String(error)));
    }
  }

  readonly input: HTMLInputElement;
  private chips: HTMLElement;
  private result: HTMLElement;
}
