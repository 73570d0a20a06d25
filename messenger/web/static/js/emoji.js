// A small reaction picker.
import { $, h, clear } from './dom.js';

export const EMOJIS = ['👍', '❤️', '😂', '😮', '😢', '🙏', '🎉', '✅', '👀', '🔥'];

export function openEmojiPicker({ anchor, onPick }) {
  const dlg = $('#emoji-dialog');
  const body = clear($('#emoji-body'));
  body.append(...EMOJIS.map((e) => h('button', { type: 'button', class: 'emoji', text: e, dataset: { emoji: e },
    onclick: () => { dlg.close(); onPick(e); } })));
  dlg.show();
  const r = anchor.getBoundingClientRect();
  const width = 260;
  dlg.style.left = Math.max(8, Math.min(window.innerWidth - width - 8, r.left - width / 2)) + 'px';
  dlg.style.top = Math.max(8, r.top - 56) + 'px';
  const away = (e) => { if (!dlg.contains(e.target)) { dlg.close(); document.removeEventListener('mousedown', away); } };
  setTimeout(() => document.addEventListener('mousedown', away), 0);
}
