// Image viewer: previous/next across the room's images (oldest to newest, older pages loaded on
// demand), zoom, pan, download, delete (uploader or room admin), keyboard ← → + - Esc. A <dialog>, so
// Esc and focus behave like every other panel.
// A zoomed image pans by dragging (mouse, touch or pen: pointer events) and with Shift+←/→/↑/↓ (the view
// moves that way; plain ← → stay previous/next); 0 resets zoom and pan; next/previous reset both.
import { $, h, clear, icon, toast, errorText } from './dom.js';
import { t, fmtDateTime } from './i18n.js';
import { state, on } from './state.js';
import { get, del, query } from './api.js';

const view = { roomId: null, items: [], index: 0, hasMore: false, zoom: 1, x: 0, y: 0 };
const PAN_STEP = 60; // px per Shift+arrow
let drag = null; // {id, startX, startY, x, y, moved} while a pointer drags the image

async function loadOlder() {
  const oldest = view.items[0];
  const body = await get(`/api/rooms/${view.roomId}/files` + query({ kind: 'image', limit: 100, before_id: oldest ? oldest.message_id : undefined }));
  view.items = [...body.files.reverse(), ...view.items];
  view.hasMore = body.has_more;
  return body.files.length;
}

export function canDelete(roomId, f) {
  const room = state.rooms.get(roomId) || {};
  const mine = state.me && f.uploader && f.uploader.id === state.me.id;
  return Boolean(mine || room.my_role === 'admin');
}

function btn(testid, name, label, onclick, disabled = false) {
  return h('button', { type: 'button', class: 'icon lb-btn', dataset: { testid }, title: label, 'aria-label': label, onclick, disabled }, icon(name));
}

function render() {
  const dlg = $('#lightbox');
  const body = clear($('#lightbox-body'));
  const f = view.items[view.index];
  if (!f) { dlg.close(); return; }
  const img = h('img', { class: 'lb-img', src: f.url, alt: f.name, draggable: 'false', dataset: { testid: 'lightbox-image', fileId: f.id } });
  img.addEventListener('click', () => { if (drag && drag.moved) { drag = null; return; } drag = null; setZoom(view.zoom === 1 ? 2 : 1); });
  img.addEventListener('pointerdown', (e) => {
    if (view.zoom === 1 || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    img.setPointerCapture(e.pointerId);
    drag = { id: e.pointerId, startX: e.clientX, startY: e.clientY, x: view.x, y: view.y, moved: false };
    img.classList.add('dragging');
  });
  img.addEventListener('pointermove', (e) => {
    if (!drag || drag.id !== e.pointerId) return;
    const dx = e.clientX - drag.startX; const dy = e.clientY - drag.startY;
    if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
    pan(drag.x + dx, drag.y + dy);
  });
  const end = (e) => { if (drag && drag.id === e.pointerId) { img.classList.remove('dragging'); if (!drag.moved) drag = null; } };
  img.addEventListener('pointerup', end);
  img.addEventListener('pointercancel', end);
  const atStart = view.index === 0 && !view.hasMore;
  const atEnd = view.index === view.items.length - 1;
  body.append(
    h('header', { class: 'lb-head' },
      h('div', { class: 'lb-title' }, h('strong', { class: 'ellipsis', text: f.name }),
        h('span', { class: 'sub', text: [f.uploader && f.uploader.display_name, f.created_at && fmtDateTime(f.created_at)].filter(Boolean).join(' · ') })),
      h('span', { class: 'sub lb-count', dataset: { testid: 'lightbox-position' }, text: `${view.index + 1} / ${view.items.length}${view.hasMore ? '+' : ''}` }),
      h('button', { type: 'button', class: 'icon lb-btn', text: '−', title: t('lightbox.zoomOut'), 'aria-label': t('lightbox.zoomOut'), onclick: () => setZoom(view.zoom / 1.5) }),
      h('button', { type: 'button', class: 'icon lb-btn', text: '+', title: t('lightbox.zoomIn'), 'aria-label': t('lightbox.zoomIn'), dataset: { testid: 'lightbox-zoom' }, onclick: () => setZoom(view.zoom * 1.5) }),
      h('a', { class: 'icon lb-btn', href: f.url, download: f.name, title: t('lightbox.download'), 'aria-label': t('lightbox.download'), dataset: { testid: 'lightbox-download' } }, icon('attach')),
      canDelete(view.roomId, f) ? btn('lightbox-delete', 'trash', t('files.delete'), () => removeCurrent()) : null,
      btn('lightbox-close', 'close', t('common.close'), () => dlg.close())),
    h('div', { class: 'lb-stage' },
      btn('lightbox-prev', 'back', t('lightbox.prev'), () => go(-1), atStart),
      h('div', { class: 'lb-frame' }, img),
      h('span', { class: 'lb-next-wrap' }, btn('lightbox-next', 'back', t('lightbox.next'), () => go(1), atEnd))));
  apply();
}

function apply() {
  const img = $('#lightbox .lb-img');
  if (!img) return;
  img.style.transform = view.x || view.y ? `translate(${view.x}px, ${view.y}px) scale(${view.zoom})` : `scale(${view.zoom})`;
  img.classList.toggle('zoomed', view.zoom > 1);
}

// Pan within reach: any edge of the zoomed image can be brought to the middle of the frame, no further.
function pan(x, y) {
  const img = $('#lightbox .lb-img');
  const maxX = img ? (img.offsetWidth * view.zoom) / 2 : 0;
  const maxY = img ? (img.offsetHeight * view.zoom) / 2 : 0;
  view.x = view.zoom > 1 ? Math.round(Math.max(-maxX, Math.min(maxX, x))) : 0;
  view.y = view.zoom > 1 ? Math.round(Math.max(-maxY, Math.min(maxY, y))) : 0;
  apply();
}

function setZoom(z) {
  const before = view.zoom;
  view.zoom = Math.min(5, Math.max(1, z));
  pan(view.x * (view.zoom / before), view.y * (view.zoom / before)); // the same point stays in the middle
}

async function go(step) {
  if (step < 0 && view.index === 0) {
    if (!view.hasMore) return;
    const added = await loadOlder().catch((err) => { toast(errorText(err)); return 0; });
    view.index += added;
  }
  const next = view.index + step;
  if (next < 0 || next >= view.items.length) return;
  Object.assign(view, { index: next, zoom: 1, x: 0, y: 0 });
  render();
}

async function removeCurrent() {
  const f = view.items[view.index];
  if (!f || !confirm(t('files.confirmDelete', { name: f.name }))) return;
  try {
    await del(`/api/files/${f.id}`);
    view.items.splice(view.index, 1);
    view.index = Math.min(view.index, view.items.length - 1);
    render();
  } catch (err) { toast(errorText(err)); }
}

// Open at ``fileId`` of room ``roomId`` (``fallback``: the file object when it is not listed, e.g. pending).
export async function openLightbox(roomId, fileId, fallback) {
  Object.assign(view, { roomId, items: [], index: 0, hasMore: true, zoom: 1, x: 0, y: 0 });
  try {
    for (let page = 0; page < 20 && view.hasMore && !view.items.some((f) => f.id === fileId); page++) await loadOlder();
  } catch (err) { toast(errorText(err)); }
  view.index = view.items.findIndex((f) => f.id === fileId);
  if (view.index < 0) { view.items = fallback ? [fallback] : []; view.index = 0; view.hasMore = false; }
  render();
  const dlg = $('#lightbox');
  if (!dlg.open) dlg.showModal();
  dlg.focus();
}

export function init() {
  const dlg = $('#lightbox');
  dlg.addEventListener('keydown', (e) => {
    const arrows = { ArrowLeft: [1, 0], ArrowRight: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    if (e.shiftKey && arrows[e.key]) { // pan: the view moves toward the arrow
      e.preventDefault();
      const [dx, dy] = arrows[e.key];
      pan(view.x + dx * PAN_STEP, view.y + dy * PAN_STEP);
    } else if (e.key === 'ArrowLeft') { e.preventDefault(); go(-1); } else if (e.key === 'ArrowRight') { e.preventDefault(); go(1); } else if (e.key === '+' || e.key === '=') setZoom(view.zoom * 1.5); else if (e.key === '-') setZoom(view.zoom / 1.5); else if (e.key === '0') { view.x = 0; view.y = 0; setZoom(1); }
  });
  dlg.addEventListener('close', () => clear($('#lightbox-body')));
  // A thumbnail in the conversation opens the viewer instead of a new tab.
  document.addEventListener('click', (e) => {
    const img = e.target.closest && e.target.closest('#message-items img.thumb');
    if (!img || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const msgEl = img.closest('[data-testid="message"]');
    const roomId = state.currentRoomId;
    const c = roomId && state.convs.get(roomId);
    const m = c && msgEl && c.byId.get(Number(msgEl.dataset.messageId));
    if (!m || !m.file) return;
    e.preventDefault();
    openLightbox(roomId, m.file.id, { ...m.file, message_id: m.id, uploader: m.sender, created_at: m.created_at });
  });
  on('sio:message_edited', ({ message: m }) => {
    if (!m || !m.file || !m.file.deleted || !$('#lightbox').open) return;
    const i = view.items.findIndex((f) => f.id === m.file.id);
    if (i >= 0) { view.items.splice(i, 1); view.index = Math.min(view.index, view.items.length - 1); render(); }
  });
}
