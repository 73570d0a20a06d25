// Image viewer: previous/next across the room's images (oldest to newest, older pages loaded on
// demand), zoom, download, delete (uploader or room admin), keyboard ← → + - Esc. A <dialog>, so Esc
// and focus behave like every other panel.
import { $, h, clear, icon, toast, errorText } from './dom.js';
import { t, fmtDateTime } from './i18n.js';
import { state, on } from './state.js';
import { get, del, query } from './api.js';

const view = { roomId: null, items: [], index: 0, hasMore: false, zoom: 1 };

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
  const img = h('img', { class: 'lb-img', src: f.url, alt: f.name, dataset: { testid: 'lightbox-image', fileId: f.id } });
  img.style.transform = `scale(${view.zoom})`;
  img.addEventListener('click', () => setZoom(view.zoom === 1 ? 2 : 1));
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
}

function setZoom(z) { view.zoom = Math.min(5, Math.max(1, z)); const img = $('#lightbox .lb-img'); if (img) img.style.transform = `scale(${view.zoom})`; }

async function go(step) {
  if (step < 0 && view.index === 0) {
    if (!view.hasMore) return;
    const added = await loadOlder().catch((err) => { toast(errorText(err)); return 0; });
    view.index += added;
  }
  const next = view.index + step;
  if (next < 0 || next >= view.items.length) return;
  view.index = next; view.zoom = 1;
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
  Object.assign(view, { roomId, items: [], index: 0, hasMore: true, zoom: 1 });
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
    if (e.key === 'ArrowLeft') { e.preventDefault(); go(-1); } else if (e.key === 'ArrowRight') { e.preventDefault(); go(1); } else if (e.key === '+' || e.key === '=') setZoom(view.zoom * 1.5); else if (e.key === '-') setZoom(view.zoom / 1.5);
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
