/** The launcher section "ModelHub notebooks": one tile per Papermill template; a tile asks for the
 * template's parameters (a dialog built from its parameter spec), writes the notebook through the
 * server (not executed) into the server's root, and opens it. */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { h } from './context';
import { requestAPI } from './request';

export interface ITemplateParameter {
  name: string;
  type: string;
  default: any;
  help: string;
  required: boolean;
}

export interface ITemplate {
  name: string;
  title: string;
  parameters: ITemplateParameter[];
}

export interface IWrittenNotebook {
  path: string;
  template: string;
  params: Record<string, any>;
}

/** The dialog body: one labelled field per parameter (a checkbox for bool, a number box for int/float). */
export class ParametersForm extends Widget {
  constructor(private template: ITemplate) {
    super();
    this.addClass('mhl-params');
    this.node.dataset.template = template.name;
    if (!template.parameters.length) {
      this.node.appendChild(h('p', 'mhl-message', 'This template takes no parameters.'));
    }
    for (const p of template.parameters) {
      const label = h('label', 'mhl-param');
      const name = h('span', 'mhl-param-name', p.name + (p.required ? ' *' : ''));
      let input: HTMLInputElement;
      if (p.type === 'bool') {
        input = h('input');
        input.type = 'checkbox';
        input.checked = Boolean(p.default);
      } else {
        input = h('input', 'mhl-input');
        input.type = p.type === 'int' || p.type === 'float' ? 'number' : 'text';
        if (p.type === 'float') {
          input.step = 'any';
        }
        input.value = p.default === null || p.default === undefined ? '' : String(p.default);
        input.placeholder = p.help;
      }
      input.name = p.name;
      input.dataset.param = p.name;
      label.append(name, input, h('small', 'mhl-message', p.help));
      this.node.appendChild(label);
      this.inputs.set(p.name, input);
    }
  }

  /** The values that differ from the defaults (the server types them like the template's). */
  getValue(): Record<string, string | boolean> {
    const out: Record<string, string | boolean> = {};
    for (const p of this.template.parameters) {
      const input = this.inputs.get(p.name)!;
      if (p.type === 'bool') {
        if (input.checked !== Boolean(p.default)) {
          out[p.name] = input.checked;
        }
      } else if (input.value !== String(p.default ?? '')) {
        out[p.name] = input.value;
      }
    }
    return out;
  }

  /** The required parameters left empty. */
  missing(): string[] {
    return this.template.parameters
      .filter(p => p.required && p.type !== 'bool' && !this.inputs.get(p.name)!.value.trim())
      .map(p => p.name);
  }

  private inputs = new Map<string, HTMLInputElement>();
}

export async function listTemplates(): Promise<ITemplate[]> {
  return requestAPI<ITemplate[]>('notebooks/templates');
}

/** Ask for the parameters, write the notebook; null when the dialog is cancelled. Errors (a missing
 * required parameter, a bad value) come back as the route's one-line message and the dialog reopens. */
export async function writeNotebook(template: ITemplate, home: string): Promise<IWrittenNotebook | null> {
  let form = new ParametersForm(template);
  for (;;) {
    const result = await showDialog({
      title: template.title,
      body: form,
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Write notebook' })]
    });
    if (!result.button.accept) {
      return null;
    }
    const params = result.value ?? {};
    const missing = form.missing();
    let message = missing.length ? `${template.name}: ${missing.join(', ')} is required` : '';
    if (!message) {
      try {
        return await requestAPI<IWrittenNotebook>(
          'notebooks',
          { home },
          { method: 'POST', body: JSON.stringify({ template: template.name, params }) }
        );
      } catch (error) {
        message = error instanceof Error ? error.message : String(error);
      }
    }
    const again = new ParametersForm(template);
    for (const [k, v] of Object.entries(params)) {
      const input = again.node.querySelector<HTMLInputElement>(`input[data-param="${k}"]`);
      if (input && typeof v === 'boolean') {
        input.checked = v;
      } else if (input) {
        input.value = String(v);
      }
    }
    again.node.prepend(h('p', 'mhl-error', message));
    form = again;
  }
}
