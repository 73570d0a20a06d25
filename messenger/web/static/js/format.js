// Safe light formatting. User text is parsed into tokens and built as DOM nodes with textContent and
// createTextNode only: nothing a user typed is ever parsed as HTML.
//   ```code block```, `inline code`, **bold**, *italic* or _italic_, http(s) URLs, @mentions.

const INLINE = new RegExp([
  '`([^`\\n]+)`',                                   // 1 inline code
  '\\*\\*(?=\\S)([^*\\n]*?\\S)\\*\\*',              // 2 bold
  '(?<![\\w*])\\*(?=\\S)([^*\\n]*?\\S)\\*(?![\\w*])', // 3 italic *x*
  '(?<![\\w_])_(?=\\S)([^_\\n]*?\\S)_(?![\\w_])',   // 4 italic _x_
  '(https?:\\/\\/[^\\s<>"\'`]+)',                   // 5 URL
  '(?<![\\w@])@([\\p{L}\\p{N}_.\\-]+)',             // 6 mention
].join('|'), 'gu');

const TRAILING = /[.,;:!?'")\]}>]+$/u;

function trimUrl(url) {
  // Keep a closing bracket that closes one inside the URL (wikipedia links); drop sentence punctuation.
  let tail = '';
  const m = url.match(TRAILING);
  if (m) {
    let cut = m[0];
    const opens = (url.match(/\(/g) || []).length;
    const closes = (url.match(/\)/g) || []).length;
    if (cut.startsWith(')') && opens >= closes) cut = cut.slice(1);
    tail = url.slice(url.length - cut.length);
    url = url.slice(0, url.length - cut.length);
  }
  return [url, tail];
}

function inline(text, depth = 0) {
  const out = [];
  let last = 0;
  const push = (tok) => {
    const prev = out[out.length - 1];
    if (tok.t === 'text' && prev && prev.t === 'text') prev.v += tok.v;
    else if (tok.t !== 'text' || tok.v) out.push(tok);
  };
  const re = new RegExp(INLINE.source, 'gu');  // own lastIndex: inline() recurses
  for (let m; (m = re.exec(text));) {
    push({ t: 'text', v: text.slice(last, m.index) });
    if (m[1] !== undefined) push({ t: 'code', v: m[1] });
    else if (m[2] !== undefined) push(depth < 2 ? { t: 'bold', c: inline(m[2], depth + 1) } : { t: 'text', v: m[0] });
    else if (m[3] !== undefined || m[4] !== undefined) {
      const inner = m[3] ?? m[4];
      push(depth < 2 ? { t: 'italic', c: inline(inner, depth + 1) } : { t: 'text', v: m[0] });
    } else if (m[5] !== undefined) {
      const [url, tail] = trimUrl(m[5]);
      push({ t: 'link', v: url, href: url });
      push({ t: 'text', v: tail });
    } else if (m[6] !== undefined) push({ t: 'mention', v: m[6] });
    last = re.lastIndex;
  }
  push({ t: 'text', v: text.slice(last) });
  return out;
}

// Text -> token list (pure; no DOM). Exported for tests.
export function tokenize(text) {
  const out = [];
  const re = /```([\w+\-.#]*)\n?([\s\S]*?)```/g;
  let last = 0;
  for (let m; (m = re.exec(text));) {
    out.push(...inline(text.slice(last, m.index)));
    out.push({ t: 'codeblock', v: m[2].replace(/\n$/, ''), lang: m[1] || '' });
    last = re.lastIndex;
  }
  out.push(...inline(text.slice(last)));
  return out;
}

function safeHref(href) {
  try {
    const u = new URL(href);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch { return null; }
}

// Tokens -> DocumentFragment. opts.isMe(name) marks mentions of the viewer.
export function render(tokens, opts = {}) {
  const frag = document.createDocumentFragment();
  for (const tok of tokens) {
    let el;
    switch (tok.t) {
      case 'text': el = document.createTextNode(tok.v); break;
      case 'code': el = document.createElement('code'); el.textContent = tok.v; break;
      case 'codeblock': {
        el = document.createElement('pre');
        const code = document.createElement('code');
        code.textContent = tok.v;
        el.append(code);
        break;
      }
      case 'bold': el = document.createElement('strong'); el.append(render(tok.c, opts)); break;
      case 'italic': el = document.createElement('em'); el.append(render(tok.c, opts)); break;
      case 'link': {
        const href = safeHref(tok.href);
        if (!href) { el = document.createTextNode(tok.v); break; }
        el = document.createElement('a');
        el.href = href;
        el.target = '_blank';
        el.rel = 'noopener noreferrer';
        el.textContent = tok.v;
        break;
      }
      case 'mention':
        el = document.createElement('span');
        el.className = 'mention' + (opts.isMe && opts.isMe(tok.v) ? ' me' : '');
        // opts.mentionName(username) gives the person's display name when they are known.
        el.textContent = '@' + ((opts.mentionName && opts.mentionName(tok.v)) || tok.v);
        el.title = '@' + tok.v;
        break;
      default: el = document.createTextNode(tok.v || '');
    }
    frag.append(el);
  }
  return frag;
}

export function formatText(text, opts) { return render(tokenize(String(text ?? '')), opts); }

// Plain text with the query's matches wrapped in <mark> (search results), as DOM nodes.
export function highlight(text, terms) {
  const frag = document.createDocumentFragment();
  const words = (terms || []).filter(Boolean).map((w) => w.toLowerCase());
  const lower = text.toLowerCase();
  let i = 0;
  while (i < text.length) {
    let best = -1; let len = 0;
    for (const w of words) {
      const at = lower.indexOf(w, i);
      if (at !== -1 && (best === -1 || at < best)) { best = at; len = w.length; }
    }
    if (best === -1) break;
    frag.append(document.createTextNode(text.slice(i, best)));
    const mark = document.createElement('mark');
    mark.textContent = text.slice(best, best + len);
    frag.append(mark);
    i = best + len;
  }
  frag.append(document.createTextNode(text.slice(i)));
  return frag;
}
