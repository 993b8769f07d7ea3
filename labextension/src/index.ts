/**
 * ModelHub in JupyterLab: a left-area search sidebar, main-area Search / Gallery / Index views,
 * palette commands, a status bar item and settings. Everything reads the server extension's
 * REST routes, so it works without a kernel.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Clipboard, ICommandPalette, MainAreaWidget, Notification } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { IModelHubContext, IModelHubSettings } from './context';
import { GalleryView } from './gallery';
import { IndexView } from './indexview';
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
        text += ` · indexing ${job.done}/${job.total || '?'}`;
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
  description: 'ModelHub: search sidebar, gallery and index views, status bar item.',
  autoStart: true,
  requires: [IDocumentManager],
  optional: [ICommandPalette, IStatusBar, INotebookTracker, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    docManager: IDocumentManager,
    palette: ICommandPalette | null,
    statusBar: IStatusBar | null,
    notebooks: INotebookTracker | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    const settings: IModelHubSettings = { home: '', defaultKind: 'all', resultCount: 10 };
    const listeners: (() => void)[] = [];
    let gallery: MainAreaWidget<GalleryView> | null = null;
    let indexView: MainAreaWidget<IndexView> | null = null;
    let searchMain: MainAreaWidget<SearchView> | null = null;

    const ctx: IModelHubContext = {
      settings,
      onSettingsChanged: callback => listeners.push(callback),
      openDocument: async (docId: string) => {
        await app.commands.execute(CommandIDs.openDocument, { id: docId });
      },
      copyAsCode: async (hit: { root: string; path: string }) => {
        const target = hit.root ? `${hit.root.replace(/\/$/, '')}/${hit.path}` : hit.path;
        const home = settings.home ? JSON.stringify(settings.home) : '';
        const code = `from modelhub_jupyter import open_hub\n\nhub = open_hub(${home})\nhub.show(${JSON.stringify(target)})`;
        Clipboard.copyToSystem(code);
        const panel = notebooks?.currentWidget;
        if (!panel) {
          Notification.info('Copied to the clipboard (open a notebook to insert it as a cell).', { autoClose: 4000 });
          return;
        }
        const notebook = panel.content;
        NotebookActions.insertBelow(notebook);
        const cell = notebook.activeCell;
        if (cell) {
          cell.model.sharedModel.setSource(code);
        }
        app.shell.activateById(panel.id);
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
    app.commands.addCommand(CommandIDs.search, {
      label: 'ModelHub: Search',
      caption: 'Search models, code and images in the main area',
      icon: logoIcon,
      execute: args => {
        if (!searchMain || searchMain.isDisposed) {
          searchMain = new MainAreaWidget({ content: new SearchView(ctx, true) });
          searchMain.id = 'modelhub-search';
          searchMain.title.label = 'ModelHub Search';
          searchMain.title.icon = logoIcon;
          searchMain.title.closable = true;
          app.shell.add(searchMain, 'main');
        }
        app.shell.activateById(searchMain.id);
        if (args.query) {
          void searchMain.content.search(String(args.query));
        }
        searchMain.content.input.focus();
      }
    });
    app.commands.addCommand(CommandIDs.gallery, {
      label: 'ModelHub: Gallery',
      caption: 'The indexed images',
      icon: logoIcon,
      execute: args => {
        if (!gallery || gallery.isDisposed) {
          gallery = new MainAreaWidget({ content: new GalleryView(ctx) });
          gallery.id = 'modelhub-gallery';
          gallery.title.label = 'ModelHub Gallery';
          gallery.title.icon = logoIcon;
          gallery.title.closable = true;
          app.shell.add(gallery, 'main');
        }
        app.shell.activateById(gallery.id);
        void gallery.content.show(args.id ? String(args.id) : undefined);
      }
    });
    app.commands.addCommand(CommandIDs.index, {
      label: 'ModelHub: Index',
      caption: 'What is indexed, index runs, files not indexed',
      icon: logoIcon,
      execute: () => {
        if (!indexView || indexView.isDisposed) {
          indexView = new MainAreaWidget({ content: new IndexView(ctx) });
          indexView.id = 'modelhub-index';
          indexView.title.label = 'ModelHub Index';
          indexView.title.icon = logoIcon;
          indexView.title.closable = true;
          app.shell.add(indexView, 'main');
        }
        app.shell.activateById(indexView.id);
        void indexView.content.refresh();
      }
    });
    if (palette) {
      for (const command of [CommandIDs.search, CommandIDs.gallery, CommandIDs.index]) {
        palette.addItem({ command, category: 'ModelHub' });
      }
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
