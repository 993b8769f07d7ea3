/** What the views share: the settings, and the actions a card can take in JupyterLab. */
export interface IModelHubSettings {
  home: string;
  defaultKind: string;
  resultCount: number;
}

export interface IModelHubContext {
  settings: IModelHubSettings;
  /** Open a code hit's file in the editor at its lines. */
  openDocument(docId: string): Promise<void>;
  /** Open a file (a path under the server's root) in the editor at `lines`. */
  openPath(path: string, lines: number[] | null | undefined): Promise<void>;
  /** Put `hub.show("...")` for a hit into the active notebook (and the clipboard). */
  copyAsCode(hit: { root: string; path: string }): Promise<void>;
  /** Open the gallery in the main area, at an image. */
  openGallery(docId?: string): void;
  /** Open the Index view. */
  openIndex(): void;
  /** Called when settings change. */
  onSettingsChanged(callback: () => void): void;
}

/** An element with classes and text. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text = ''
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (className) {
    el.className = className;
  }
  if (text) {
    el.textContent = text;
  }
  return el;
}
