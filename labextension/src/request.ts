/** Calls to the server extension's REST routes (`/modelhub/api/...`), with the server's auth. */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export const API = 'modelhub/api';

/** An error answer of a route: `{"error": code, "message": one line}`. */
export class ModelHubAPIError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number
  ) {
    super(message);
  }
}

export function apiUrl(endpoint: string, params?: Record<string, string | string[] | number | undefined>): string {
  const settings = ServerConnection.makeSettings();
  let url = URLExt.join(settings.baseUrl, API, endpoint);
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === undefined || value === '') {
      continue;
    }
    for (const v of Array.isArray(value) ? value : [value]) {
      query.append(key, String(v));
    }
  }
  const text = query.toString();
  if (text) {
    url += '?' + text;
  }
  return url;
}

export async function fetchAPI(url: string, init: RequestInit = {}): Promise<Response> {
  const settings = ServerConnection.makeSettings();
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ModelHubAPIError('network', String(error), 0);
  }
  if (!response.ok) {
    let body: any = {};
    try {
      body = await response.json();
    } catch {
      body = { error: 'error', message: response.statusText };
    }
    throw new ModelHubAPIError(body.error ?? 'error', body.message ?? response.statusText, response.status);
  }
  return response;
}

/** GET (or `init.method`) a JSON route. */
export async function requestAPI<T>(
  endpoint: string,
  params?: Record<string, string | string[] | number | undefined>,
  init: RequestInit = {}
): Promise<T> {
  const response = await fetchAPI(apiUrl(endpoint, params), init);
  return (await response.json()) as T;
}

/** A thumbnail as an object URL (the request carries the server's auth, an <img src> may not). */
export async function thumbnailURL(docId: string, home?: string): Promise<string> {
  const response = await fetchAPI(apiUrl('thumbnails/' + encodeURIComponent(docId), { home }));
  return URL.createObjectURL(await response.blob());
}

export interface IHit {
  id: string;
  kind: string;
  path: string;
  root: string;
  root_name: string;
  score: number;
  relevance: number | null;
  strength: string;
  snippet: string;
  metadata: Record<string, any>;
  lines?: number[] | null;
}

export interface ISuggestion {
  term: string;
  key: string;
  count: number;
  clause: string;
}

export interface ICounts {
  documents: Record<string, number>;
  files: number;
  errors: number;
  index_job: IIndexJob;
}

export interface IStatus {
  home: string;
  files: number;
  documents: Record<string, number>;
  errors: number;
  roots: string[];
  last_run: any;
  index_job: IIndexJob;
}

export interface IIndexJob {
  state: string;
  roots: string[];
  done: number;
  total: number;
  error: string | null;
  reports: any[];
  /** what a first run on this machine is making before it indexes (the embedder's copies) */
  note: string | null;
}
