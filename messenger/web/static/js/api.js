// HTTP client: JSON in/out, X-CSRF-Token on every state-changing request, errors as ApiError.
import { reviveNames } from './i18n.js';
let csrfToken = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, code, message, retryAfter, params) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.params = params || {};
  }
}

export function setCsrf(token) { csrfToken = token || null; }

// fn(error) is called for 401 responses (session ended or revoked) anywhere in the app.
export function onUnauthorized(fn) { listeners.add(fn); }

function lang() { return document.documentElement.lang || 'ko'; }

async function toError(resp) {
  let body = {};
  try { body = await resp.json(); } catch { /* not JSON */ }
  const err = new ApiError(resp.status, body.code || 'http_' + resp.status, body.error || resp.statusText,
    Number(resp.headers.get('Retry-After')) || 0, body.params);
  err.body = body;
  return err;
}

export async function api(method, path, body, { quiet401 = false } = {}) {
  const headers = { 'Accept': 'application/json', 'Accept-Language': lang() };
  const init = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network_error', e.message);
  }
  if (!resp.ok) {
    const err = await toError(resp);
    if (resp.status === 401 && !quiet401) listeners.forEach((fn) => fn(err));
    throw err;
  }
  if (resp.status === 204) return {};
  const type = resp.headers.get('Content-Type') || '';
  return type.includes('json') ? JSON.parse(await resp.text(), reviveNames) : resp.text();
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body = {}) => api('POST', path, body);
export const patch = (path, body = {}) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}

// Multipart upload with progress (fetch has no upload progress): resolves with the JSON body.
export function upload(path, fields, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    xhr.open('POST', path);
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.setRequestHeader('Accept-Language', lang());
    xhr.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'network error'));
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText, reviveNames); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else {
        const err = new ApiError(xhr.status, body.code || 'http_' + xhr.status, body.error || xhr.statusText, 0, body.params);
        err.body = body;
        if (xhr.status === 401) listeners.forEach((fn) => fn(err));
        reject(err);
      }
    };
    xhr.send(form);
  });
}
