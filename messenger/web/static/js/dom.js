// DOM helpers. Text always goes in through textContent / text nodes.
import { t, errorMessage } from './i18n.js';

// h('div', {class: 'x', dataset: {id: 1}, onclick: fn, text: 'hi'}, child, ...)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'testid') el.dataset.testid = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

const SVG = 'http://www.w3.org/2000/svg';
// An icon from static/icons/icons.svg (stroke icons in currentColor).
export function icon(name) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'i');
  svg.setAttribute('aria-hidden', 'true');
  const use = document.createElementNS(SVG, 'use');
  use.setAttribute('href', '/static/icons/icons.svg#' + name);
  svg.append(use);
  return svg;
}

export function closeButton(onclick, label) {
  return h('button', { type: 'button', class: 'icon', 'aria-label': label, title: label, onclick }, icon('close'));
}

export function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

let toastTimer = null;
export function toast(message, ms = 4000) {
  const el = $('#toast');
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, ms);
}

// A user's error message: the server's text for ApiError, a generic one otherwise.
export function errorText(err) {
  if (!err) return t('error.generic');
  if (err.code === 'network_error' || err.code === 'offline' || err.code === 'timeout') return t('error.network');
  return errorMessage(err) || err.message || err.error || t('error.generic');
}

const COLORS = ['#e57373', '#f06292', '#ba68c8', '#7986cb', '#4fc3f7', '#4db6ac', '#81c784', '#ffb74d', '#a1887f', '#90a4ae'];

export function avatar(user, size = '') {
  const el = h('span', { class: 'avatar ' + size, 'aria-hidden': 'true' });
  if (user && user.avatar_url) {
    el.append(h('img', { src: user.avatar_url, alt: '', loading: 'lazy' }));
  } else {
    const name = (user && (user.display_name || user.username)) || '?';
    el.textContent = Array.from(name)[0].toUpperCase();
    el.dataset.color = String((user && user.id ? user.id : name.length) % COLORS.length);
  }
  return el;
}

// Make an avatar or a name open that person's profile card (profile.js listens for data-profile).
// A decorative avatar (aria-hidden) opens it on click only: the name beside it is the keyboard's way.
export function withProfile(el, user) {
  if (user && user.id) {
    el.dataset.profile = String(user.id); el.classList.add('profile-link');
    if (el.getAttribute('aria-hidden') !== 'true') { el.tabIndex = 0; el.setAttribute('role', 'button'); }
  }
  return el;
}

// userId lets live presence events re-colour the dot (presence.js).
export function presenceDot(presence, userId) {
  return h('span', { class: 'presence ' + (presence || 'offline'), title: t('presence.' + (presence || 'offline')), dataset: userId ? { user: userId } : undefined });
}

export function openDialog(dlg) {
  if (!dlg.open) dlg.showModal();
  dlg.querySelectorAll('[data-close]').forEach((b) => { b.onclick = () => dlg.close(); });
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

export function randomId() {
  // crypto.randomUUID needs a secure context; LAN http is not one.
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// Keyboard for elements that act as buttons without being <button>: Enter and Space activate a focused
// [role=button] or a focusable [role=option] (room list, names and avatars, people pickers) as a click does.
export function activateByKeyboard(root = document) {
  root.addEventListener('keydown', (e) => {
    if ((e.key !== 'Enter' && e.key !== ' ') || e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || e.isComposing) return;
    const el = e.target;
    if (!(el instanceof HTMLElement) || el instanceof HTMLButtonElement) return;
    if (!el.matches('[role="button"], [role="option"][tabindex]')) return;
    e.preventDefault();
    el.click();
  });
}
