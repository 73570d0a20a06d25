// The emoji picker (reactions and the composer): local data with Korean and English names, a search
// box, recently used emoji first (kept in this browser), keyboard: type to search, Enter picks the
// first match, Esc closes.
import { $, h, clear } from './dom.js';
import { t, lang } from './i18n.js';
import { GROUPS, ALL } from './emojidata.js';

export const EMOJIS = ['👍', '❤️', '😂', '😮', '😢', '🙏', '🎉', '✅', '👀', '🔥'];
const RECENT_KEY = 'im.emoji.recent';
const RECENT_MAX = 24;

function recent() {
  try { const v = JSON.parse(localStorage.getItem(RECENT_KEY)); return Array.isArray(v) ? v.slice(0, RECENT_MAX) : []; } catch { return []; }
}

function remember(e) {
  const list = [e, ...recent().filter((x) => x !== e)].slice(0, RECENT_MAX);
  try { localStorage.setItem(RECENT_KEY, JSON.stringify(list)); } catch { /* private mode */ }
}

function nameOf(e) {
  const item = ALL.find((x) => x[0] === e);
  return item ? (lang() === 'en' ? item[2] : item[1]).split(' ')[0] : e;
}

export function searchEmoji(query) {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return [];
  return ALL.filter(([, ko, en]) => words.every((w) => ko.includes(w) || en.includes(w))).map((x) => x[0]);
}

export function openEmojiPicker({ anchor, onPick }) {
  const dlg = $('#emoji-dialog');
  const body = clear($('#emoji-body'));
  const pick = (e) => { remember(e); dlg.close(); onPick(e); };
  const button = (e) => h('button', { type: 'button', class: 'emoji', text: e, title: nameOf(e), 'aria-label': nameOf(e), dataset: { emoji: e }, onclick: () => pick(e) });
  const grid = h('div', { class: 'emoji-grid', dataset: { testid: 'emoji-grid' } });
  const search = h('input', { type: 'search', class: 'emoji-search', placeholder: t('emoji.search'), autocomplete: 'off', dataset: { testid: 'emoji-search' } });
  const render = () => {
    clear(grid);
    const q = search.value;
    if (q.trim()) {
      const found = searchEmoji(q);
      if (!found.length) grid.append(h('p', { class: 'sub', text: t('emoji.none') }));
      grid.append(...found.map(button));
      return;
    }
    const used = recent();
    const first = used.length ? used : EMOJIS;
    grid.append(h('h5', { text: t(used.length ? 'emoji.recent' : 'emoji.frequent') }), h('div', { class: 'emoji-row', dataset: { testid: 'emoji-recent' } }, first.map(button)));
    const shown = new Set(first); // each emoji once: the first row's are left out of their group
    for (const [key, ko, list] of GROUPS) {
      grid.append(h('h5', { text: lang() === 'en' ? t('emoji.group.' + key) : ko }),
        h('div', { class: 'emoji-row' }, list.filter((x) => !shown.has(x[0])).map((x) => button(x[0]))));
    }
  };
  search.addEventListener('input', render);
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); const first = grid.querySelector('[data-emoji]'); if (first) pick(first.dataset.emoji); }
    if (e.key === 'Escape') { e.preventDefault(); dlg.close(); }
  });
  body.append(search, grid);
  render();
  dlg.show();
  const r = anchor.getBoundingClientRect();
  const width = Math.min(320, window.innerWidth - 16);
  const height = 340;
  dlg.style.width = width + 'px';
  dlg.style.left = Math.max(8, Math.min(window.innerWidth - width - 8, r.left - width / 2)) + 'px';
  dlg.style.top = Math.max(8, Math.min(window.innerHeight - height - 8, r.top - height - 8)) + 'px';
  search.focus();
  const away = (e) => { if (!dlg.contains(e.target) && e.target !== anchor) { dlg.close(); document.removeEventListener('mousedown', away); } };
  setTimeout(() => document.addEventListener('mousedown', away), 0);
}
