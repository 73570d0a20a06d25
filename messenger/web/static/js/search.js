// Message search panel: results with highlighted matches; a click opens the room at that message (a reply
// only in its thread: the room with the thread panel scrolled to that reply).
import { $, h, clear, avatar, toast, errorText, debounce } from './dom.js';
import { t, fmtShort } from './i18n.js';
import { get, post, query } from './api.js';
import { emit, state } from './state.js';
import * as rooms from './rooms.js';

const LIMIT = 20;
let current = { q: '', offset: 0 };

function marked(text, ranges) {
  const frag = document.createDocumentFragment();
  const chars = Array.from(text); // code-point offsets, as the server counts them
  let at = 0;
  for (const r of ranges || []) {
    if (r.start < at) continue;
    frag.append(document.createTextNode(chars.slice(at, r.start).join('')));
    frag.append(h('mark', { text: chars.slice(r.start, r.end).join('') }));
    at = r.end;
  }
  frag.append(document.createTextNode(chars.slice(at).join('')));
  return frag;
}

// A window of the content around the first match, so long messages still show the hit.
function excerpt(text, ranges) {
  const chars = Array.from(text);
  const first = ranges && ranges[0] ? ranges[0].start : 0;
  const from = Math.max(0, first - 40);
  if (from === 0 && chars.length <= 160) return [text, ranges];
  const shifted = (ranges || []).map((r) => ({ start: r.start - from + 1, end: r.end - from + 1 })).filter((r) => r.start >= 1);
  return ['…' + chars.slice(from, from + 160).join(''), shifted];
}

function resultNode(r) {
  const m = r.message;
  let body;
  if (m.content) { const [text, ranges] = excerpt(m.content, r.highlights); body = marked(text, ranges); }
  else body = document.createTextNode('');
  const file = m.file ? h('div', { class: 'sub' }, '📎 ', marked(m.file.name, r.file_highlights)) : null;
  return h('li', {
    class: 'search-result', dataset: { testid: 'search-result', messageId: m.id, roomId: m.room_id }, tabindex: '0',
    onclick: () => {
      if (m.thread_root_id && !m.also_to_channel) { // only in its thread: the room, with the thread panel at the reply
        emit('open-room', { roomId: m.room_id });
        emit('open-thread-at', { rootId: m.thread_root_id, focusId: m.id });
      } else emit('open-room', { roomId: m.room_id, focusId: m.id });
      if (window.matchMedia('(max-width: 760px)').matches) close();
    },
  },
  avatar(m.sender),
  h('div', { class: 'result-main' },
    h('div', { class: 'result-top' },
      h('strong', { class: 'ellipsis', text: m.sender ? m.sender.display_name : '' }),
      h('span', { class: 'sub ellipsis', text: ' · ' + (r.room ? rooms.roomName(r.room) : '') }),
      h('time', { class: 'sub', text: fmtShort(m.created_at) })),
    h('div', { class: 'result-text' }, body), file));
}

// The advanced filters (POST /api/search/advanced) when any is set; plain GET /api/search otherwise.
async function filters() {
  const f = {};
  const room = $('#sf-room').value;
  if (room) f.room_id = Number(room);
  if ($('#sf-from').value) f.date_from = $('#sf-from').value;
  if ($('#sf-to').value) f.date_to = $('#sf-to').value;
  const file = $('#sf-file').value;
  if (file === 'has') f.has_file = true; else if (file) { f.has_file = true; f.file_type = file; }
  const sender = $('#sf-sender').value.trim().replace(/^@/, '');
  if (sender) {
    const body = await get('/api/users' + query({ q: sender }));
    const u = body.users.find((x) => x.username === sender.toLowerCase()) || body.users[0];
    f.sender_id = u ? u.id : 2 ** 31 - 1; // nobody by that name: no results
  }
  return f;
}

function fillRooms() {
  const sel = $('#sf-room');
  const keep = sel.value;
  clear(sel).append(h('option', { value: '', text: t('search.allRooms') }),
    ...[...state.rooms.values()].map((r) => h('option', { value: r.id, text: rooms.roomName(r) })));
  sel.value = keep;
}

async function run(q, offset = 0) {
  current = { q, offset };
  const panel = $('#search-panel');
  const list = $('#search-results');
  if (offset === 0) clear(list);
  panel.hidden = false;
  document.body.classList.add('searching');
  $('#search-summary').textContent = t('common.loading');
  try {
    const f = await filters();
    const body = Object.keys(f).length
      ? await post('/api/search/advanced', { q: q || null, ...f, limit: LIMIT, offset })
      : await get('/api/search' + query({ q, limit: LIMIT, offset }));
    if (current.q !== q) return;
    list.append(...body.results.map(resultNode));
    let summary = body.total_capped ? t('search.total_capped', { n: body.total.toLocaleString() })
      : t('search.total', { n: body.total });
    if (body.suggestion) summary += ' · ' + t('search.suggestion', { q: body.suggestion });
    $('#search-summary').textContent = summary;
    $('#search-more').hidden = body.total_capped ? body.results.length < LIMIT : offset + LIMIT >= body.total;
  } catch (err) {
    $('#search-summary').textContent = errorText(err);
  }
}

export function close() {
  $('#search-panel').hidden = true;
  document.body.classList.remove('searching');
}

const onInput = debounce(() => {
  const q = $('#search-input').value.trim();
  rooms.setFilter(q);
  if (q.length >= 1) run(q); else close();
}, 300);

export function init() {
  const input = $('#search-input');
  input.addEventListener('input', onInput);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); const q = input.value.trim(); if (q) run(q); }
    if (e.key === 'Escape') { input.value = ''; rooms.setFilter(''); close(); }
  });
  $('#search-close').addEventListener('click', () => { input.value = ''; rooms.setFilter(''); close(); });
  $('#search-filters').addEventListener('toggle', fillRooms);
  $('#search-filters').addEventListener('change', () => run(input.value.trim()));
  $('#search-more').addEventListener('click', () => run(current.q, current.offset + LIMIT).catch((e) => toast(errorText(e))));
}
