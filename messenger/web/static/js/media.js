// The room's media panel: tabs images / files, each filtered by type and searchable by name; images
// open the lightbox; the uploader or a room admin can delete a file.
import { $, h, clear, icon, toast, errorText, openDialog, closeButton, debounce } from './dom.js';
import { t, fmtDateTime, fmtSize } from './i18n.js';
import { state } from './state.js';
import { get, del, query } from './api.js';
import { openLightbox, canDelete } from './lightbox.js';

const TYPES = {
  image: [['', 'media.allTypes'], ['png', 'PNG'], ['jpg', 'JPEG'], ['gif', 'GIF'], ['webp', 'WebP']],
  file: [['', 'media.allTypes'], ['pdf', 'PDF'], ['xlsx', 'Excel'], ['docx', 'Word'], ['pptx', 'PowerPoint'], ['hwp', '한글 (HWP)'],
    ['zip', 'ZIP'], ['text', 'media.text'], ['video', 'media.video'], ['audio', 'media.audio']],
};
const panel = { roomId: null, kind: 'image', next: null };

function controls() {
  return { q: $('#media-q'), type: $('#media-type'), list: $('#media-list'), more: $('#media-more') };
}

function fileRow(f) {
  return h('li', { class: 'media-file', dataset: { testid: 'media-file', fileId: f.id } },
    h('span', { class: 'file-icon' }, icon('file')),
    h('span', { class: 'media-file-main' }, h('a', { href: f.url, target: '_blank', rel: 'noopener', class: 'ellipsis', text: f.name }),
      h('span', { class: 'sub ellipsis', text: [fmtSize(f.size || 0), f.uploader && f.uploader.display_name, f.created_at && fmtDateTime(f.created_at)].filter(Boolean).join(' · ') })),
    canDelete(panel.roomId, f) ? h('button', { type: 'button', class: 'icon', dataset: { testid: 'media-delete' }, title: t('files.delete'), 'aria-label': t('files.delete'),
      onclick: () => removeFile(f) }, icon('trash')) : null);
}

function imageCell(f) {
  return h('li', { class: 'media-image', dataset: { testid: 'media-image', fileId: f.id } },
    h('button', { type: 'button', class: 'media-thumb', title: f.name, onclick: () => openLightbox(panel.roomId, f.id, f) },
      h('img', { src: f.thumbnail_url || f.url, alt: f.name, loading: 'lazy' })));
}

async function load(append = false) {
  const { q, type, list, more } = controls();
  if (!append) { clear(list); panel.next = null; }
  list.className = panel.kind === 'image' ? 'media-grid' : 'media-files';
  try {
    const body = await get(`/api/rooms/${panel.roomId}/files` + query({ kind: panel.kind, q: q.value.trim(), type: type.value, limit: 60, before_id: append ? panel.next : undefined }));
    for (const f of body.files) list.append(panel.kind === 'image' ? imageCell(f) : fileRow(f));
    if (!append && !body.files.length) list.append(h('li', { class: 'empty', text: t(q.value.trim() || type.value ? 'media.noMatch' : 'media.none') }));
    panel.next = body.files.length ? body.files[body.files.length - 1].message_id : null;
    more.hidden = !body.has_more;
  } catch (err) { toast(errorText(err)); }
}

async function removeFile(f) {
  if (!confirm(t('files.confirmDelete', { name: f.name }))) return;
  try { await del(`/api/files/${f.id}`); load(); } catch (err) { toast(errorText(err)); }
}

function renderTabs() {
  for (const b of document.querySelectorAll('#media-tabs button')) b.classList.toggle('active', b.dataset.kind === panel.kind);
  const type = clear($('#media-type'));
  for (const [value, label] of TYPES[panel.kind]) type.append(h('option', { value, text: label.startsWith('media.') ? t(label) : label }));
}

export function open(roomId) {
  panel.roomId = roomId; panel.kind = 'image';
  const dlg = $('#media-dialog');
  const body = clear($('#media-body'));
  const q = h('input', { id: 'media-q', type: 'search', placeholder: t('media.search'), maxlength: '200', autocomplete: 'off', dataset: { testid: 'media-search' } });
  const type = h('select', { id: 'media-type', 'aria-label': t('media.type'), dataset: { testid: 'media-type' } });
  q.addEventListener('input', debounce(() => load(), 250));
  type.addEventListener('change', () => load());
  const tab = (kind) => h('button', { type: 'button', dataset: { kind, testid: 'media-tab-' + kind }, text: t('media.' + kind + 's'),
    onclick: () => { panel.kind = kind; renderTabs(); load(); } });
  body.append(h('header', { class: 'panel-head' }, h('h3', { text: t('media.title') }), closeButton(() => dlg.close(), t('common.close'))),
    h('nav', { id: 'media-tabs', class: 'tabs' }, tab('image'), tab('file')),
    h('div', { class: 'row media-filters' }, q, type),
    h('ul', { id: 'media-list' }),
    h('button', { id: 'media-more', type: 'button', class: 'secondary', hidden: true, text: t('search.more'), onclick: () => load(true) }));
  renderTabs();
  openDialog(dlg);
  load();
}

export function init() {
  $('#media-open').addEventListener('click', () => state.currentRoomId && open(state.currentRoomId));
}
