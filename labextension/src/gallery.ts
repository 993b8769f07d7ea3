/** The gallery (main area): image documents as a grid of thumbnails, pages of 60, one in focus. */
import { Widget } from '@lumino/widgets';

import { IModelHubContext, h } from './context';
import { IHit, ModelHubAPIError, requestAPI, thumbnailURL } from './request';

const PAGE = 60;

interface IPage {
  total: number;
  offset: number;
  hits: IHit[];
}

export class GalleryView extends Widget {
  constructor(private ctx: IModelHubContext) {
    super();
    this.addClass('mhl-panel');
    this.addClass('mhl-gallery-view');
    const row = h('div', 'mhl-row');
    this.filter = h('input', 'mhl-input');
    this.filter.placeholder = 'Filter, e.g. sampler=Euler a (Enter)';
    this.filter.addEventListener('keydown', e => {
      if (e.key === 'Enter') {
        this.offset = 0;
        void this.load();
      }
    });
    this.prev = h('button', 'mhl-button', '‹ Previous');
    this.next = h('button', 'mhl-button', 'Next ›');
    this.prev.addEventListener('click', () => {
      this.offset = Math.max(0, this.offset - PAGE);
      void this.load();
    });
    this.next.addEventListener('click', () => {
      this.offset += PAGE;
      void this.load();
    });
    row.append(this.filter, this.prev, this.next);
    this.message = h('div', 'mhl-message');
    this.detail = h('div', 'mhl-detail');
    this.grid = h('div', 'mhl-gallery');
    this.node.append(row, this.message, this.detail, this.grid);
  }

  /** Show the page holding `docId` (or the first page) with that image in focus. */
  async show(docId?: string): Promise<void> {
    this.focusId = docId;
    await this.load();
  }

  private async load(): Promise<void> {
    const where = this.filter.value.trim();
    this.message.className = 'mhl-message';
    this.message.textContent = 'Loading…';
    try {
      let page = await this.page(where);
      if (this.focusId && !page.hits.some(hit => hit.id === this.focusId)) {
        // the focused image is on another page: walk the pages (bounded) until it shows up
        for (let offset = 0; offset < Math.min(page.total, 50 * PAGE); offset += PAGE) {
          this.offset = offset;
          page = await this.page(where);
          if (page.hits.some(hit => hit.id === this.focusId)) {
            break;
          }
        }
      }
      this.render(page);
    } catch (error) {
      this.message.className = 'mhl-message mhl-error';
      this.message.textContent = error instanceof ModelHubAPIError ? error.message : String(error);
      this.grid.replaceChildren();
    }
  }

  private page(where: string): Promise<IPage> {
    return requestAPI<IPage>('browse', {
      kind: 'image',
      where: where ? [where] : [],
      offset: this.offset,
      limit: PAGE,
      home: this.ctx.settings.home
    });
  }

  private render(page: IPage): void {
    const last = Math.min(page.total, this.offset + page.hits.length);
    this.message.textContent = page.total ? `Images ${this.offset + 1}–${last} of ${page.total}` : 'No images indexed.';
    this.prev.disabled = this.offset === 0;
    this.next.disabled = last >= page.total;
    this.grid.replaceChildren(
      ...page.hits.map(hit => {
        const figure = h('figure');
        figure.dataset.id = hit.id;
        const img = h('img');
        img.alt = hit.path;
        thumbnailURL(hit.id, this.ctx.settings.home).then(
          url => (img.src = url),
          () => undefined
        );
        figure.append(img, h('figcaption', '', String(hit.metadata?.prompt ?? hit.path)));
        figure.addEventListener('click', () => this.select(hit, figure));
        if (hit.id === this.focusId) {
          this.select(hit, figure);
          requestAnimationFrame(() => figure.scrollIntoView({ block: 'center' }));
        }
        return figure;
      })
    );
  }

  private select(hit: IHit, figure: HTMLElement): void {
    this.grid.querySelectorAll('.mhl-focus').forEach(el => el.classList.remove('mhl-focus'));
    figure.classList.add('mhl-focus');
    const md = hit.metadata ?? {};
    const table = h('table', 'mhl-table');
    const rows: [string, any][] = [
      ['file', hit.path],
      ['prompt', md.prompt],
      ['negative prompt', md.negative_prompt],
      ['model', md.source_model_id ?? md.model_checkpoint],
      ['sampler', md.sampler],
      ['steps', md.num_inference_steps],
      ['guidance', md.guidance_scale],
      ['seed', md.seed]
    ];
    for (const [key, value] of rows) {
      if (value === undefined || value === null || value === '') {
        continue;
      }
      const tr = h('tr');
      tr.append(h('th', '', key), h('td', '', String(value)));
      table.appendChild(tr);
    }
    this.detail.replaceChildren(table);
  }

  private filter: HTMLInputElement;
  private prev: HTMLButtonElement;
  private next: HTMLButtonElement;
  private message: HTMLElement;
  private detail: HTMLElement;
  private grid: HTMLElement;
  private offset = 0;
  private focusId: string | undefined;
}
