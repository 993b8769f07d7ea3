/** The search view: a box with suggestions and filter chips, results as cards (sidebar and main area). */
import { Widget } from '@lumino/widgets';

import { IModelHubContext, h } from './context';
import { IHit, ISuggestion, ModelHubAPIError, requestAPI, thumbnailURL } from './request';

const KINDS = ['all', 'code', 'image', 'model'];

export class SearchView extends Widget {
  constructor(
    private ctx: IModelHubContext,
    main = false
  ) {
    super();
    this.addClass('mhl-panel');
    this.addClass('mhl-search');
    if (main) {
      this.addClass('mhl-main');
    }
    const row = h('div', 'mhl-row');
    this.input = h('input', 'mhl-input mhl-query');
    this.input.type = 'search';
    this.input.placeholder = 'Search models, code, images…';
    this.input.setAttribute('aria-label', 'ModelHub search');
    this.kind = h('select', 'mhl-select mhl-kind');
    for (const k of KINDS) {
      const option = h('option', '', k);
      option.value = k;
      this.kind.appendChild(option);
    }
    this.kind.value = ctx.settings.defaultKind;
    const go = h('button', 'mhl-button', 'Search');
    row.append(this.input, this.kind, go);
    this.chips = h('div', 'mhl-row mhl-chips');
    this.suggestions = h('div', 'mhl-suggestions');
    this.message = h('div', 'mhl-message', 'Type a query (e.g. causal self attention) and press Enter.');
    this.cards = h('div', 'mhl-cards');
    this.node.append(row, this.chips, this.suggestions, this.message, this.cards);

    this.input.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        void this.search();
      }
    });
    this.input.addEventListener('input', () => this.scheduleSuggest());
    this.kind.addEventListener('change', () => void this.search());
    go.addEventListener('click', () => void this.search());
    ctx.onSettingsChanged(() => {
      this.kind.value = ctx.settings.defaultKind;
    });
  }

  /** Run `query` (or what the box holds). */
  async search(query?: string): Promise<void> {
    if (query !== undefined) {
      this.input.value = query;
    }
    const q = this.input.value.trim();
    this.suggestions.replaceChildren();
    if (!q && this.where.length === 0) {
      this.message.textContent = 'Type a query or pick a filter.';
      this.cards.replaceChildren();
      return;
    }
    const generation = ++this.generation;
    this.message.className = 'mhl-message';
    this.message.textContent = 'Searching…';
    try {
      const hits = await requestAPI<IHit[]>('search', {
        q,
        kind: this.kind.value,
        where: this.where,
        limit: this.ctx.settings.resultCount,
        home: this.ctx.settings.home
      });
      if (generation !== this.generation) {
        return;
      }
      this.message.textContent = hits.length ? `${hits.length} result${hits.length === 1 ? '' : 's'}` : 'No results.';
      this.cards.replaceChildren(...hits.map(hit => this.card(hit)));
    } catch (error) {
      if (generation !== this.generation) {
        return;
      }
      this.cards.replaceChildren();
      this.message.className = 'mhl-message mhl-error';
      this.message.textContent = error instanceof ModelHubAPIError ? error.message : String(error);
    }
  }

  private scheduleSuggest(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.suggest(), 150);
  }

  private async suggest(): Promise<void> {
    const text = this.input.value;
    if (text.trim().length < 2) {
      this.suggestions.replaceChildren();
      return;
    }
    try {
      const items = await requestAPI<ISuggestion[]>('suggest', { q: text, home: this.ctx.settings.home });
      if (text !== this.input.value) {
        return;
      }
      this.suggestions.replaceChildren(
        ...items.map(s => {
          const chip = h('button', 'mhl-suggestion', s.term + ' ');
          chip.title = `filter ${s.clause} (${s.count})`;
          chip.appendChild(h('small', '', s.key));
          chip.addEventListener('click', () => {
            const words = this.input.value.trimEnd().split(/\s+/);
            words.pop();
            this.input.value = words.join(' ');
            this.addFilter(s.clause);
          });
          return chip;
        })
      );
    } catch {
      this.suggestions.replaceChildren(); // suggestions are a nicety; the search says what is wrong
    }
  }

  private addFilter(clause: string): void {
    if (!this.where.includes(clause)) {
      this.where.push(clause);
    }
    this.renderChips();
    void this.search();
  }

  private renderChips(): void {
    this.chips.replaceChildren(
      ...this.where.map(clause => {
        const chip = h('button', 'mhl-chip', clause + ' ×');
        chip.title = 'remove this filter';
        chip.addEventListener('click', () => {
          this.where = this.where.filter(w => w !== clause);
          this.renderChips();
          void this.search();
        });
        return chip;
      })
    );
  }

  private card(hit: IHit): HTMLElement {
    const md = hit.metadata ?? {};
    const card = h('div', 'mhl-card');
    card.dataset.kind = hit.kind;
    card.dataset.id = hit.id;
    const start = md.start_line;
    const end = md.end_line;
    const where = start ? `${hit.path}:${start}-${end ?? start}` : hit.path;
    card.appendChild(h('div', 'mhl-card-title', where));
    const facts = [hit.kind, md.symbol || md.model_id || '', hit.root_name || ''];
    if (hit.relevance !== null && hit.relevance !== undefined) {
      facts.push(`${Math.round(hit.relevance * 100)}% ${hit.strength}`.trim());
    }
    card.appendChild(h('div', 'mhl-card-meta', facts.filter(Boolean).join(' · ')));
    if (hit.kind === 'image') {
      const img = h('img');
      img.alt = String(md.prompt ?? hit.path);
      card.appendChild(img);
      thumbnailURL(hit.id, this.ctx.settings.home).then(
        url => (img.src = url),
        () => img.remove()
      );
      card.appendChild(h('div', 'mhl-card-meta', String(md.prompt ?? '')));
    } else {
      const breadcrumb = String(md.breadcrumb ?? '');
      let text = hit.snippet;
      if (breadcrumb && text.startsWith(breadcrumb)) {
        text = text.slice(breadcrumb.length).replace(/^\n/, '');
      }
      card.appendChild(h('pre', '', text.split('\n').slice(0, 12).join('\n')));
    }
    const actions = h('div', 'mhl-card-actions');
    const copy = h('button', 'mhl-button mhl-copy', 'Copy as code');
    copy.title = 'Insert hub.show(...) for this file into the active notebook';
    copy.addEventListener('click', event => {
      event.stopPropagation();
      void this.ctx.copyAsCode(hit);
    });
    actions.appendChild(copy);
    card.appendChild(actions);
    card.addEventListener('click', () => {
      if (hit.kind === 'image') {
        this.ctx.openGallery(hit.id);
      } else {
        void this.ctx.openDocument(hit.id);
      }
    });
    return card;
  }

  readonly input: HTMLInputElement;
  readonly kind: HTMLSelectElement;
  private chips: HTMLElement;
  private suggestions: HTMLElement;
  private message: HTMLElement;
  private cards: HTMLElement;
  private where: string[] = [];
  private generation = 0;
  private timer = 0;
}
