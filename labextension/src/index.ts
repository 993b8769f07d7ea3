/**
 * ModelHub in JupyterLab: a left-area search sidebar, main-area views, palette commands, a status
 * bar item and settings. The sidebar reads the server extension's REST routes; the main-area views
 * (Search, Gallery, Index, Ask, Models, Compare, Prompt Studio, Quality) are the notebook panels
 * themselves, run by the server extension's widget host (`host.ts`). No kernel is needed.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Clipboard, ICommandPalette, MainAreaWidget, Notification } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { IModelHubContext, IModelHubSettings } from './context';
import { HostedPanelView } from './host';
import { MetricsView } from './metrics';
import { ITemplate, listTemplates, writeNotebook } from './notebooks';
import { ICounts, ModelHubAPIError, requestAPI } from './request';
import { SearchView } from './search';

const PLUGIN_ID = 'modelhub-jupyter:plugin';

const logoSvg =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
  '<circle cx="6" cy="6" r="3"/><circle cx="18" cy="6" r="3"/><circle cx="12" cy="18" r="3"/>' +
  '<path d="M6 6L12 18L18 6" stroke="#616161" stroke-width="1.5" fill="none"/></g></svg>';
export const logoIcon = new LabIcon({ name: 'modelhub-jupyter:logo', svgstr: logoSvg });

namespace CommandIDs {
  export const search = 'modelhub:search';
  export const gallery = 'modelhub:gallery';
  export const index = 'modelhub:index';
  export const openDocument = 'modelhub:open-document';
  export const ask = 'modelhub:ask';
  export const models = 'modelhub:models';
  export const compare = 'modelhub:compare';
  export const notebook = 'modelhub:notebook';
  export const prompts = 'modelhub:prompts';
  export const quality = 'modelhub:quality';
  export const metrics = 'modelhub:metrics';
}

/** Open `path` in the editor and select (and scroll to) lines `start`..`end` (1-based). */
async function revealLines(
  app: JupyterFrontEnd,
  docManager: IDocumentManager,
  path: string,
  lines: number[] | null | undefined
): Promise<void> {
  const factory = path.endsWith('.ipynb') ? undefined : 'Editor';
  const widget: any = docManager.openOrReveal(path, factory);
  if (!widget) {
    throw new Error(`cannot open ${path}`);
  }
  await widget.context.ready;
  app.shell.activateById(widget.id);
  const editor = widget.content?.editor;
  if (!editor || !lines || !lines.length) {
    return;
  }
  const last = Math.max(0, editor.lineCount - 1);
  const start = Math.min(Math.max(0, lines[0] - 1), last);
  const end = Math.min(Math.max(start, (lines[1] ?? lines[0]) - 1), last);
  const endColumn = (editor.getLine(end) ?? '').length;
  editor.setSelection({ start: { line: start, column: 0 }, end: { line: end, column: endColumn } });
  // CodeMirror scrolls once the widget is laid out
  await new Promise(resolve => requestAnimationFrame(resolve));
  editor.revealPosition({ line: start, column: 0 });
  editor.focus();
  widget.node.dataset.modelhubLines = `${start + 1}-${end + 1}`;
}

/** The status bar item: documents indexed, errors, an index run's progress; click: the Index view. */
class StatusItem extends Widget {
  constructor(
    private settings: IModelHubSettings,
    onClick: () => void
  ) {
    super();
    this.addClass('mhl-status-item');
    this.node.title = 'ModelHub: documents indexed and files not indexed (click: the Index view)';
    this.node.textContent = 'ModelHub';
    this.node.addEventListener('click', onClick);
  }

  async refresh(): Promise<void> {
    let delay = 30000;
    try {
      const status = await requestAPI<ICounts>('counts', { home: this.settings.home });
      const docs = Object.values(status.documents).reduce((a, b) => a + b, 0);
      const job = status.index_job;
      let text = `ModelHub: ${docs} docs · ${status.errors} errors`;
      if (job.state === 'running') {
        text += job.note ? ` · ${job.note}` : ` · indexing ${job.done}/${job.total || '?'}`;
        delay = 2000;
      }
      this.node.textContent = text;
      this.node.dataset.documents = String(docs);
      this.node.dataset.errors = String(status.errors);
    } catch (error) {
      this.node.textContent = 'ModelHub: ' + (error instanceof ModelHubAPIError ? error.code : 'unavailable');
    }
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.refresh(), delay);
  }

  private timer = 0;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'ModelHub: search sidebar, the notebook panels as main-area views, metrics, status bar item.',
  autoStart: true,
  requires: [IDocumentManager],
  optional: [ICommandPalette, IStatusBar, INotebookTracker, ISettingRegistry, ILauncher],
  activate: (
    app: JupyterFrontEnd,
    docManager: IDocumentManager,
    palette: ICommandPalette | null,
    statusBar: IStatusBar | null,
    notebooks: INotebookTracker | null,
    settingRegistry: ISettingRegistry | null,
    launcher: ILauncher | null
  ) => {
    const settings: IModelHubSettings = { home: '', defaultKind: 'all', resultCount: 10 };
    const listeners: (() => void)[] = [];

    const ctx: IModelHubContext = {
      settings,
      onSettingsChanged: callback => listeners.push(callback),
      openPath: async (path: string, lines: number[] | null | undefined) => {
        try {
          await revealLines(app, docManager, path, lines);
        } catch (error) {
          Notification.error(error instanceof Error ? error.message : String(error), { autoClose: 6000 });
        }
      },
      openDocument: async (docId: string) => {
        await app.commands.execute(CommandIDs.openDocument, { id: docId });
      },
      copyAsCode: async (hit: { root: string; path: string }) => {
        const target = hit.root ? `${hit.root.replace(/\/$/, '')}/${hit.path}` : hit.path;
        const home = settings.home ? JSON.stringify(settings.home) : '';
        const code = `from modelhub_jupyter import open_hub\n\nhub = open_hub(${home})\nhub.show(${JSON.stringify(target)})`;
        const panel = notebooks?.currentWidget;
        if (panel) {
          // a notebook opened a moment ago may still be loading its model: insert once it has
          await panel.context.ready;
          const notebook = panel.content;
          NotebookActions.insertBelow(notebook);
          notebook.activeCell?.model.sharedModel.setSource(code);
          app.shell.activateById(panel.id);
        }
        try {
          Clipboard.copyToSystem(code);
        } catch {
          // no clipboard here (a locked-down browser): the cell, when there is a notebook, is enough
        }
        if (!panel) {
          Notification.info('Copied to the clipboard (open a notebook to insert it as a cell).', { autoClose: 4000 });
        }
      },
      openGallery: (docId?: string) => {
        void app.commands.execute(CommandIDs.gallery, docId ? { id: docId } : {});
      },
      openIndex: () => {
        void app.commands.execute(CommandIDs.index);
      }
    };

    // -- the sidebar ------------------------------------------------------------------------
    const sidebar = new SearchView(ctx);
    sidebar.id = 'modelhub-sidebar';
    sidebar.title.icon = logoIcon;
    sidebar.title.caption = 'ModelHub';
    app.shell.add(sidebar, 'left', { rank: 850 });

    // -- commands ---------------------------------------------------------------------------
    app.commands.addCommand(CommandIDs.openDocument, {
      label: 'ModelHub: Open Document',
      execute: async args => {
        const id = String(args.id ?? '');
        try {
          const where = await requestAPI<{ path: string; lines: number[] | null }>(
            'documents/' + encodeURIComponent(id) + '/open',
            { home: settings.home }
          );
          await revealLines(app, docManager, where.path, where.lines);
        } catch (error) {
          Notification.error(error instanceof Error ? error.message : String(error), { autoClose: 6000 });
        }
      }
    });
    // The main-area views: one hosted panel each (the same panel a notebook shows)
    const views = new Map<string, MainAreaWidget<HostedPanelView>>();
    const openView = (panel: string, label: string): MainAreaWidget<HostedPanelView> => {
      const id = `modelhub-${panel}`;
      let view = views.get(id);
      if (!view || view.isDisposed) {
        view = new MainAreaWidget<HostedPanelView>({ content: new HostedPanelView(panel, ctx) });
        view.id = id;
        view.title.label = label;
        view.title.icon = logoIcon;
        view.title.closable = true;
        views.set(id, view);
        app.shell.add(view, 'main');
      }
      app.shell.activateById(view.id);
      return view;
    };
    const hosted: [string, string, string, string][] = [
      [CommandIDs.search, 'search', 'ModelHub Search', 'Search models, code and images in the main area'],
      [CommandIDs.gallery, 'gallery', 'ModelHub Gallery', 'The indexed images'],
      [CommandIDs.index, 'index', 'ModelHub Index', 'What is indexed, index runs, files not indexed'],
      [CommandIDs.ask, 'ask', 'ModelHub Ask', 'Ask about the indexed models; answers cite files and lines'],
      [CommandIDs.models, 'models', 'ModelHub Models', 'The model registry: models, versions, stages'],
      [CommandIDs.compare, 'compare', 'ModelHub Compare', 'Compare 2 to 4 models side by side'],
      [CommandIDs.prompts, 'prompts', 'ModelHub Prompt Studio', 'Edit, preview, version and A/B the answer prompts'],
      [CommandIDs.quality, 'quality', 'ModelHub Quality', 'Query latency, throughput and problem queries']
    ];
    for (const [command, panel, label, caption] of hosted) {
      app.commands.addCommand(command, {
        label: label.replace('ModelHub ', 'ModelHub: '),
        caption,
        icon: logoIcon,
        execute: args => {
          const view = openView(panel, label);
          const state: Record<string, any> = {};
          if (panel === 'search' && args.query) {
            state.query = String(args.query);
          } else if (panel === 'gallery' && args.id) {
            state.detail_id = String(args.id);
          } else if (panel === 'ask' && args.question) {
            state.question = String(args.question);
          }
          if (Object.keys(state).length) {
            void view.content.setState(state);
          }
          return view;
        }
      });
    }
    let metricsView: MainAreaWidget<MetricsView> | null = null;
    app.commands.addCommand(CommandIDs.metrics, {
      label: 'ModelHub: Metrics',
      caption: "The last hour's query latency and throughput",
      icon: logoIcon,
      execute: () => {
        if (!metricsView || metricsView.isDisposed) {
          metricsView = new MainAreaWidget({ content: new MetricsView(ctx) });
          metricsView.id = 'modelhub-metrics';
          metricsView.title.label = 'ModelHub Metrics';
          metricsView.title.icon = logoIcon;
          metricsView.title.closable = true;
          app.shell.add(metricsView, 'main');
        }
        app.shell.activateById(metricsView.id);
        void metricsView.content.refresh();
      }
    });

    // the sidebar's way to the main-area views
    const nav = document.createElement('div');
    nav.className = 'mhl-nav';
    for (const [command, label] of [
      [CommandIDs.search, 'Search'],
      [CommandIDs.ask, 'Ask'],
      [CommandIDs.models, 'Models'],
      [CommandIDs.compare, 'Compare'],
      [CommandIDs.gallery, 'Gallery'],
      [CommandIDs.index, 'Index'],
      [CommandIDs.prompts, 'Prompts'],
      [CommandIDs.metrics, 'Metrics']
    ]) {
      const button = document.createElement('button');
      button.className = 'mhl-button mhl-nav-' + label.toLowerCase();
      button.textContent = label;
      button.addEventListener('click', () => void app.commands.execute(command));
      nav.appendChild(button);
    }
    sidebar.node.prepend(nav);

    // -- launcher: "ModelHub notebooks", one tile per Papermill template ------------------------
    const templates = new Map<string, ITemplate>();
    app.commands.addCommand(CommandIDs.notebook, {
      label: args => (args.template ? templates.get(String(args.template))?.title ?? String(args.template) : 'ModelHub: New Notebook from a Template'),
      caption: args => `Write the ${String(args.template ?? '')} notebook (its parameters asked first) and open it`,
      icon: logoIcon,
      execute: async args => {
        const template = templates.get(String(args.template ?? ''));
        if (!template) {
          Notification.error(`unknown notebook template ${String(args.template ?? '')}`, { autoClose: 6000 });
          return;
        }
        const written = await writeNotebook(template, settings.home);
        if (written) {
          const widget = docManager.openOrReveal(written.path);
          if (widget) {
            app.shell.activateById(widget.id);
          }
        }
      }
    });
    if (launcher) {
      void app.restored
        .then(() => listTemplates())
        .then(
          list => {
            list.forEach((template, rank) => {
              templates.set(template.name, template);
              launcher.add({ command: CommandIDs.notebook, args: { template: template.name }, category: 'ModelHub notebooks', rank });
            });
          },
          reason => console.warn('modelhub-jupyter: no notebook templates', reason)
        );
    }

    if (palette) {
      for (const [command] of hosted.filter(([, panel]) => panel !== 'quality')) {
        palette.addItem({ command, category: 'ModelHub' });
      }
      palette.addItem({ command: CommandIDs.metrics, category: 'ModelHub' });
      // the Quality view where this installation has its panel
      void app.restored
        .then(() => requestAPI<{ panels: string[] }>('widgets'))
        .then(
          ({ panels }) => {
            if (panels.includes('quality')) {
              palette.addItem({ command: CommandIDs.quality, category: 'ModelHub' });
            }
          },
          reason => console.warn('modelhub-jupyter: no hosted panels', reason)
        );
    }

    // -- status bar ---------------------------------------------------------------------------
    let status: StatusItem | null = null;
    if (statusBar) {
      status = new StatusItem(settings, ctx.openIndex);
      statusBar.registerStatusItem('modelhub-jupyter:status', { item: status, align: 'left', rank: 50 });
      void app.restored.then(() => status?.refresh());
    }

    // -- settings -----------------------------------------------------------------------------
    if (settingRegistry) {
      void settingRegistry.load(PLUGIN_ID).then(
        loaded => {
          const apply = () => {
            settings.home = String(loaded.get('home').composite ?? '');
            settings.defaultKind = String(loaded.get('defaultKind').composite ?? 'all');
            settings.resultCount = Number(loaded.get('resultCount').composite ?? 10);
            listeners.forEach(callback => callback());
            void status?.refresh();
          };
          apply();
          loaded.changed.connect(apply);
        },
        reason => console.warn('modelhub-jupyter: settings not loaded', reason)
      );
    }
  }
};

export default plugin;
