/** The Ask view (main area): a question, the answer with its checked citations; a citation opens
 * the file in the editor at the cited lines. Served by /modelhub/api/ask (no kernel). */
import { Widget } from '@lumino/widgets';

import { IModelHubContext, h } from './context';
import { ModelHubAPIError, requestAPI } from './request';

export interface ICitation {
  n: number;
  path: string;
  lines: number[] | null;
  root: string;
  key?: string;
  value?: any;
  open: string | null;
}

export interface IAnswer {
  question: string;
  answer: string;
  citations: ICitation[];
  intent: string;
  confidence: number;
  mode: string;
  model: string | null;
  notes: string[];
  seconds: number;
}

export class AskView extends Widget {
  constructor(private ctx: IModelHubContext) {
    super();
    this.addClass('mhl-panel');
    this.addClass('mhl-ask');
    this.node.dataset.status = 'empty';
    const row = h('div', 'mhl-row');
    this.input = h('input', 'mhl-input mhl-question');
    this.input.placeholder = 'Ask about the indexed models, e.g. Which models use AdamW, and with what learning rate?';
    this.input.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        void this.ask(this.input.value);
      }
    });
    this.llm = h('select', 'mhl-select mhl-llm');
    for (const [value, label] of [
      ['none', 'no language model'],
      ['local', 'local model'],
      ['auto', 'auto']
    ]) {
      const option = h('option', '', label);
      option.value = value;
      this.llm.appendChild(option);
    }
    this.llm.title = 'Who phrases the answer (metadata questions are answered from the catalog either way)';
    const go = h('button', 'mhl-button', 'Ask');
    go.addEventListener('click', () => void this.ask(this.input.value));
    row.append(this.input, this.llm, go);
    this.answer = h('div', 'mhl-answer');
    this.about = h('div', 'mhl-message mhl-answer-about');
    this.citations = h('ol', 'mhl-citations');
    this.node.append(row, this.answer, this.about, this.citations);
  }

  async ask(question: string): Promise<void> {
    question = question.trim();
    if (!question) {
      return;
    }
    this.input.value = question;
    this.node.dataset.status = 'asking';
    this.answer.textContent = 'Thinking…';
    this.about.textContent = '';
    this.citations.replaceChildren();
    try {
      const answer = await requestAPI<IAnswer>('ask', { q: question, llm: this.llm.value, home: this.ctx.settings.home });
      this.render(answer);
      this.node.dataset.status = 'answered';
    } catch (error) {
      this.answer.replaceChildren(h('div', 'mhl-error', error instanceof ModelHubAPIError ? error.message : String(error)));
      this.node.dataset.status = 'error';
    }
  }

  private render(answer: IAnswer): void {
    // [n] in the text become links to the citation
    const byN = new Map(answer.citations.map(c => [c.n, c]));
    this.answer.replaceChildren();
    for (const part of answer.answer.split(/(\[\d+\])/)) {
      const n = /^\[(\d+)\]$/.exec(part);
      const cited = n ? byN.get(Number(n[1])) : undefined;
      if (cited) {
        const link = h('a', 'mhl-cite-ref', part);
        link.href = '#';
        link.addEventListener('click', event => {
          event.preventDefault();
          void this.open(cited);
        });
        this.answer.appendChild(link);
      } else {
        this.answer.appendChild(document.createTextNode(part));
      }
    }
    const how = answer.mode === 'catalog' ? 'from the catalog' : answer.mode === 'extractive' ? 'extractive: no language model' : `phrased by ${answer.model ?? 'a language model'}`;
    this.about.textContent = `${how} · intent ${answer.intent} · confidence ${answer.confidence} · ${answer.seconds} s` + (answer.notes.length ? ' · ' + answer.notes.join(' · ') : '');
    for (const c of answer.citations) {
      const li = h('li', 'mhl-citation');
      li.value = c.n;
      const where = c.lines ? `${c.path}:${c.lines[0]}${c.lines[1] !== c.lines[0] ? '-' + c.lines[1] : ''}` : c.path;
      const link = h('a', 'mhl-citation-link', where);
      link.href = '#';
      link.title = c.open ? 'Open in the editor at these lines' : 'Not under the Jupyter server root';
      link.addEventListener('click', event => {
        event.preventDefault();
        void this.open(c);
      });
      li.appendChild(link);
      if (c.key) {
        li.appendChild(h('span', 'mhl-message', ` ${c.key} = ${JSON.stringify(c.value)}`));
      }
      this.citations.appendChild(li);
    }
  }

  private async open(c: ICitation): Promise<void> {
    if (c.open) {
      await this.ctx.openPath(c.open, c.lines);
    }
  }

  readonly input: HTMLInputElement;
  private llm: HTMLSelectElement;
  private answer: HTMLElement;
  private about: HTMLElement;
  private citations: HTMLOListElement;
}
