// Strings from static/i18n/<lang>.json; Korean by default. Dates and times use the browser's locale rules.
let strings = {};
let fallback = {};
let current = 'ko';

async function load(lang) {
  const resp = await fetch(`/static/i18n/${lang}.json`);
  return resp.json();
}

export async function setLang(lang) {
  current = lang === 'en' ? 'en' : 'ko';
  strings = await load(current);
  if (!Object.keys(fallback).length) fallback = current === 'ko' ? strings : await load('ko');
  document.documentElement.lang = current;
  apply(document);
}

export function lang() { return current; }

export function t(key, vars) {
  let s = strings[key] ?? fallback[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

export function has(key) { return key in strings || key in fallback; }

// The words for a server error {code, params}: error.<code>.<params.reason> when the catalog has it, else
// error.<code>, with params filled in; null for a code this client does not know (the caller then shows
// the server's English text).
export function errorMessage(err) {
  if (!err || !err.code) return null;
  const params = err.params || {};
  const base = 'error.' + err.code;
  if (params.reason && has(base + '.' + params.reason)) return t(base + '.' + params.reason, params);
  return has(base) ? t(base, params) : null;
}

// A deleted account keeps its messages, and the server stores no word for it: its display_name is "".
// Server data passes through here (JSON responses via JSON.parse's reviver, socket events via
// wordDeletedNames) so every view shows the word of the current language.
export function reviveNames(key, value) {
  return key === 'display_name' && value === '' ? t('user.deleted') : value;
}

export function wordDeletedNames(data) {
  if (Array.isArray(data)) data.forEach(wordDeletedNames);
  else if (data && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) {
      if (k === 'display_name' && v === '') data[k] = t('user.deleted');
      else if (v && typeof v === 'object') wordDeletedNames(v);
    }
  }
  return data;
}

// Fill [data-i18n] (textContent), [data-i18n-placeholder], [data-i18n-title] (tooltip and accessible name),
// [data-i18n-tip] (tooltip only: for a control whose visible text is its name) under root.
export function apply(root) {
  root.querySelectorAll('[data-i18n-tip]').forEach((el) => { el.title = t(el.dataset.i18nTip); });
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  root.querySelectorAll('[data-i18n-title]').forEach((el) => {
    el.title = t(el.dataset.i18nTitle);
    el.setAttribute('aria-label', el.title);
  });
}

const locale = () => (current === 'ko' ? 'ko-KR' : undefined);

export function fmtTime(iso) {
  return new Date(iso).toLocaleTimeString(locale(), { hour: 'numeric', minute: '2-digit' });
}

export function fmtDate(iso) {
  return new Date(iso).toLocaleDateString(locale(), { year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' });
}

export function fmtDateTime(iso) {
  return new Date(iso).toLocaleString(locale(), { dateStyle: 'medium', timeStyle: 'short' });
}

export function fmtShort(iso) {
  const d = new Date(iso);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return fmtTime(iso);
  return d.toLocaleDateString(locale(), { month: 'short', day: 'numeric' });
}

export function fmtSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
