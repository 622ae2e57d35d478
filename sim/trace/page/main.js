// The page: event list (virtual: only visible rows exist, so 100,000
// events scroll as fast as 100), filters and search, stepping with buttons,
// keys and the URL fragment (#step=42), and the panels that follow the
// current step.
import { el, fmtTime, parseTime, hex2 } from './util.js';
import { decodeFrame, decodeIp } from './decode.js';
import { loadRun, sockKey, sockLabel } from './model.js';
import { Topology } from './topo.js';
import { Plots } from './plots.js';
import { setupQuestions } from './lab.js';

const ROW = 20; // px, the height of one event row (page.css agrees)

// The step as one line, close to the text trace's.
function lineText(ev) {
  const p = [];
  if (ev.src) {
    p.push(ev.src + ' > ' + ev.dst, typeof ev.proto === 'string' ? ev.proto.toUpperCase() : 'proto ' + ev.proto);
    if (ev.icmp) p.push(ev.icmp.name);
    if (ev.flags) p.push('[' + ev.flags + ']');
    if (ev.seq !== undefined) p.push('seq ' + ev.seq);
    if (ev.ack !== undefined) p.push('ack ' + ev.ack);
    if (ev.win !== undefined) p.push('win ' + ev.win);
    if (ev.len !== undefined) p.push('len ' + ev.len);
    if (ev.kind === 'fwd' && ev.ttl) p.push('ttl ' + ev.ttl);
  } else if (ev.sock) {
    // Sockets by their run-wide number, as the text trace names them.
    p.push((ev.sock.id ? '#' + ev.sock.id + ' ' : '') + ev.sock.proto + ' ' + ev.sock.local + (ev.sock.remote ? '-' + ev.sock.remote : ''));
  }
  if (ev.kind === 'expect') p.push(ev.ok ? 'ok' : 'FAILED');
  if (ev.from) p.push(ev.from + ' \u2192 ' + ev.to);
  if (ev.what && !(ev.kind === 'sock' || ev.kind === 'tcp') || ev.kind === 'sock') if (ev.what) p.push(ev.what);
  if (ev.kind === 'timer' && ev.timer) p.push(ev.timer);
  if (ev.text) p.push(ev.text);
  if (ev.summary) p.push(ev.summary);
  if (ev.errno) p.push(ev.errno);
  if (ev.cause) p.push('(' + ev.cause + (ev.kind === 'tcp' && ev.from === 'CLOSED' && ev.sock && ev.sock.parent ? ': new socket #' + ev.sock.id + ' from listener #' + ev.sock.parent : '') + ')');
  return p.join(' ');
}

// The start of a packet's arrow label in the sequence diagram
// ("TCP [S.] seq 0 ack 1 "), or null for a step that is no TCP segment.
function arrowKey(ev) {
  if (ev.proto !== 'tcp' || ev.seq === undefined || !ev.flags) return null;
  return 'TCP [' + ev.flags + '] seq ' + ev.seq + (ev.ack !== undefined ? ' ack ' + ev.ack : '') + ' ';
}

class Page {
  constructor() {
    this.run = loadRun(document);
    this.meta = this.run.meta;
    this.steps = this.run.steps;
    this.cur = 0;
    this.view = [];
    this.lines = null;
    this.playing = null;
    const title = this.meta.title || this.meta.scenario || 'netsim';
    document.title = title + ' \u2014 netsim';
    document.getElementById('title').textContent = title + (this.meta.student ? ' (student mode)' : '');
    this.list = document.getElementById('list');
    this.pad = document.getElementById('listpad');
    this.topo = new Topology(document.getElementById('topo'), this.meta);
    this.plots = new Plots(document.getElementById('plots'), this.run, n => this.go(n));
    this.setupFilters();
    this.setupDiagram();
    this.setupQuestions();
    this.setupControls();
    this.applyFilters();
    this.go(this.fromHash() ?? 0, { scroll: true });
    document.body.dataset.ready = 'true';
  }

  // ---- filters -------------------------------------------------------
  setupFilters() {
    const kinds = [...new Set(this.steps.map(e => e.kind))];
    const box = document.getElementById('fkinds');
    this.kindBoxes = new Map();
    for (const k of kinds) {
      // Congestion samples come with every ACK: the plots show them; the
      // list hides them unless asked.
      const cb = el('input', { type: 'checkbox', checked: k !== 'cc', value: k, onchange: () => this.applyFilters() });
      this.kindBoxes.set(k, cb);
      box.append(el('label', { class: 'kind k-' + k }, cb, k));
    }
    const fhost = document.getElementById('fhost');
    for (const h of this.run.hostOrder) fhost.append(el('option', { value: h, text: h }));
    fhost.addEventListener('change', () => this.applyFilters());
    const fsock = document.getElementById('fsock');
    this.socks = new Map();
    for (const ev of this.steps) {
      const k = sockKey(ev);
      if (k !== null && !this.socks.has(k) && ev.sock.proto !== undefined)
        this.socks.set(k, { key: k, label: sockLabel(ev), host: ev.host, local: ev.sock.local, remote: ev.sock.remote, proto: ev.sock.proto });
      else if (k !== null && ev.sock.remote && !this.socks.get(k).remote) this.socks.get(k).remote = ev.sock.remote;
    }
    for (const s of this.socks.values()) fsock.append(el('option', { value: s.key, text: s.label }));
    fsock.addEventListener('change', () => this.applyFilters());
    const search = document.getElementById('search');
    let timer = null;
    search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => this.applyFilters(), 120); });
    search.addEventListener('keydown', e => { if (e.key === 'Enter') { clearTimeout(timer); this.applyFilters(); } });
  }

  // Is `ev` about socket s: its own events, and the packets it sent or
  // received (matched by host and addresses).
  aboutSock(ev, s) {
    const k = sockKey(ev);
    if (k !== null) return k === s.key;
    if (ev.host !== s.host || !ev.src || ev.proto !== s.proto) return false;
    if (!s.remote) return false; // a listener: its children carry the packets
    if (ev.kind === 'send') return ev.src === s.local && ev.dst === s.remote;
    if (ev.kind === 'recv' || ev.kind === 'drop') return ev.dst === s.local && ev.src === s.remote;
    return false;
  }

  applyFilters() {
    const kinds = new Set([...this.kindBoxes].filter(([, cb]) => cb.checked).map(([k]) => k));
    const host = document.getElementById('fhost').value;
    const sk = document.getElementById('fsock').value;
    const sock = sk ? this.socks.get(sk) : null;
    const q = document.getElementById('search').value.trim().toLowerCase();
    if (q && !this.lines) this.lines = this.steps.map(e => (fmtTime(e.t_ns) + ' ' + (e.host || '') + ' ' + e.kind + ' ' + lineText(e)).toLowerCase());
    const view = [];
    for (const ev of this.steps) {
      if (!kinds.has(ev.kind)) continue;
      if (host && ev.host !== host) continue;
      if (sock && !this.aboutSock(ev, sock)) continue;
      if (q && !this.lines[ev.n].includes(q)) continue;
      view.push(ev.n);
    }
    this.view = view;
    this.pos = new Int32Array(this.steps.length).fill(-1);
    view.forEach((n, i) => { this.pos[n] = i; });
    this.pad.style.height = view.length * ROW + 'px';
    document.getElementById('count').textContent = view.length === this.steps.length
      ? this.steps.length + ' steps' : view.length + ' of ' + this.steps.length + ' steps shown';
    this.rendered = null;
    this.renderRows();
    if (view.length && this.pos[this.cur] < 0) {
      const next = view.find(n => n >= this.cur);
      this.go(next !== undefined ? next : view[view.length - 1], { scroll: true });
    } else {
      this.scrollTo(this.cur);
    }
  }

  // ---- the list --------------------------------------------------------
  renderRows() {
    const top = this.list.scrollTop, h = this.list.clientHeight || 600;
    const a = Math.max(0, Math.floor(top / ROW) - 10);
    const b = Math.min(this.view.length, Math.ceil((top + h) / ROW) + 10);
    const key = a + ':' + b + ':' + this.cur;
    if (this.rendered === key) return;
    this.rendered = key;
    const frag = document.createDocumentFragment();
    for (let i = a; i < b; i++) {
      const ev = this.steps[this.view[i]];
      const row = el('div', {
        class: 'row k-' + ev.kind + (ev.n === this.cur ? ' cur' : '') + (ev.kind === 'expect' && !ev.ok ? ' bad' : ''),
        style: 'top:' + i * ROW + 'px', 'data-step': ev.n + 1, onclick: () => this.go(ev.n),
      },
      el('span', { class: 'n', text: ev.n + 1 }),
      el('span', { class: 't', text: fmtTime(ev.t_ns) }),
      el('span', { class: 'h', text: ev.host || '' }),
      el('span', { class: 'k', text: ev.kind }),
      el('span', { class: 'x', text: lineText(ev) }));
      frag.append(row);
    }
    this.pad.replaceChildren(frag);
  }

  scrollTo(n) {
    const i = this.pos[n];
    if (i < 0) return;
    const top = i * ROW, h = this.list.clientHeight;
    if (top < this.list.scrollTop || top + ROW > this.list.scrollTop + h)
      this.list.scrollTop = Math.max(0, top - h / 2);
    this.renderRows();
  }

  // ---- stepping --------------------------------------------------------
  setupControls() {
    const $ = id => document.getElementById(id);
    $('first').addEventListener('click', () => this.go(this.view[0]));
    $('last').addEventListener('click', () => this.go(this.view[this.view.length - 1]));
    $('back').addEventListener('click', () => this.step(-1));
    $('fwd').addEventListener('click', () => this.step(1));
    $('play').addEventListener('click', () => this.togglePlay());
    $('jump').addEventListener('keydown', e => {
      if (e.key !== 'Enter') return;
      const t = parseTime(e.target.value);
      e.target.classList.toggle('bad', t === null);
      if (t === null) return;
      const n = this.view.find(k => this.steps[k].t_ns >= t);
      this.go(n !== undefined ? n : this.view[this.view.length - 1]);
    });
    this.list.addEventListener('scroll', () => this.renderRows());
    window.addEventListener('resize', () => { this.rendered = null; this.renderRows(); });
    window.addEventListener('hashchange', () => { const n = this.fromHash(); if (n !== null && n !== this.cur) this.go(n, { scroll: true }); });
    document.addEventListener('keydown', e => {
      const tag = (e.target.tagName || '').toLowerCase();
      if (tag === 'input' || tag === 'select' || tag === 'textarea' || e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === 'ArrowRight' || e.key === 'ArrowDown' || e.key === 'j') this.step(1);
      else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp' || e.key === 'k') this.step(-1);
      else if (e.key === ' ') this.togglePlay();
      else if (e.key === 'Home') this.go(this.view[0]);
      else if (e.key === 'End') this.go(this.view[this.view.length - 1]);
      else return;
      e.preventDefault();
    });
  }

  fromHash() {
    const m = /^#step=(\d+)$/.exec(location.hash);
    if (!m) return null;
    const n = +m[1] - 1;
    return n >= 0 && n < this.steps.length ? n : null;
  }

  step(d) {
    if (!this.view.length) return;
    let i = this.pos[this.cur];
    if (i < 0) {
      // The current step is filtered out: the nearest shown one that way.
      let j = 0;
      while (j < this.view.length && this.view[j] < this.cur) j++;
      i = d > 0 ? j - 1 : j;
    }
    const k = Math.max(0, Math.min(this.view.length - 1, i + d));
    this.go(this.view[k]);
  }

  togglePlay() {
    const btn = document.getElementById('play');
    if (this.playing) {
      clearInterval(this.playing);
      this.playing = null;
      btn.textContent = '\u25B6';
      return;
    }
    btn.textContent = '\u23F8';
    this.playing = setInterval(() => {
      if (this.pos[this.cur] >= this.view.length - 1) { this.togglePlay(); return; }
      this.step(1);
    }, 450);
  }

  go(n, opts) {
    if (n === undefined || n === null || !this.steps.length) return;
    this.cur = n;
    const ev = this.steps[n];
    const hash = '#step=' + (n + 1);
    if (location.hash !== hash) history.replaceState(null, '', hash);
    document.getElementById('stepinfo').textContent = 'step ' + (n + 1) + ' of ' + this.steps.length + ' \u00b7 ' + fmtTime(ev.t_ns) + ' s';
    this.rendered = null;
    this.scrollTo(n);
    if (opts && opts.scroll) this.renderRows();
    const frame = this.run.frameOf(ev);
    this.topo.show(ev, frame);
    this.showExplain(ev);
    this.showPacket(ev, frame);
    this.showSockets(n);
    this.plots.setTime(ev.t_ns);
    this.showDiagram(ev);
  }

  // ---- panels ----------------------------------------------------------
  showExplain(ev) {
    const box = document.getElementById('explain');
    box.hidden = !ev.explain;
    box.textContent = ev.explain || '';
  }

  showPacket(ev, frame) {
    const root = document.getElementById('pkt');
    root.replaceChildren();
    let bytes = null, full = 0, layers = [];
    if (frame) {
      bytes = this.run.bytesOf(frame);
      full = frame.bytes_len;
      layers = decodeFrame(bytes, full);
    } else if (ev.bytes) {
      bytes = this.run.bytesOf(ev);
      full = ev.bytes_len;
      layers = decodeIp(bytes, 0, full);
    }
    if (!bytes) {
      root.append(el('p', { class: 'muted', text: 'This step carries no packet.' }));
      return;
    }
    const head = el('p', { class: 'pkthead' }, el('b', { text: (ev.host || '') + ' ' + ev.kind }), ' ',
      (frame ? 'frame on ' + frame.where + ', ' : '') + full + ' bytes' + (bytes.length < full ? ' (the first ' + bytes.length + ' kept)' : ''));
    if (ev.summary) head.append(el('span', { class: 'summary', text: ' \u2014 ' + ev.summary }));
    const hexbox = el('div', { class: 'hex', 'aria-label': 'raw bytes' });
    const cells = [];
    for (let off = 0; off < bytes.length; off += 16) {
      const line = el('div', {}, el('span', { class: 'off', text: off.toString(16).padStart(4, '0') }));
      for (let k = off; k < Math.min(off + 16, bytes.length); k++) {
        const c = el('span', { class: 'b', text: hex2(bytes[k]) });
        cells.push(c);
        line.append(c);
      }
      hexbox.append(line);
    }
    const mark = (off, len) => {
      for (const c of cells) c.classList.remove('sel');
      for (let k = off; k < off + len && k < cells.length; k++) cells[k].classList.add('sel');
    };
    const tree = el('div', { class: 'layers' });
    for (const l of layers) {
      const table = el('table', {});
      for (const f of l.fields) {
        const tr = el('tr', { tabindex: 0, 'data-field': f.name, onclick: () => { for (const r of tree.querySelectorAll('tr.sel')) r.classList.remove('sel'); tr.classList.add('sel'); mark(f.off, f.len); } },
          el('th', { text: f.name }), el('td', { class: 'v', text: f.value }), el('td', { class: 'm', text: f.meaning }));
        tr.addEventListener('keydown', e => { if (e.key === 'Enter') tr.click(); });
        table.append(tr);
      }
      const det = el('details', { open: true, 'data-layer': l.name },
        el('summary', { onclick: () => mark(l.start, l.end - l.start) }, l.name + ' ', el('small', { text: '(bytes ' + l.start + '-' + (l.end - 1) + ')' })), table);
      if (l.text) det.append(el('pre', { class: 'payload', text: l.text }));
      tree.append(det);
    }
    root.append(head, tree, hexbox);
  }

  showSockets(n) {
    const root = document.getElementById('socks');
    const tables = this.run.socketsAt(n);
    const before = new Set(n > 0 ? this.run.rowsAt(n - 1).map(r => r.join(' ')) : []);
    const host = this.steps[n].host;
    root.replaceChildren();
    let any = false;
    for (const [h, rows] of tables) {
      if (!rows.length) continue;
      any = true;
      const t = el('table', { class: 'ss', 'data-host': h },
        el('caption', { class: h === host ? 'here' : '', text: h }),
        el('tr', {}, el('th', { text: 'Netid' }), el('th', { text: 'State' }), el('th', { text: 'Local Address:Port' }), el('th', { text: 'Peer Address:Port' })));
      for (const r of rows) {
        const changed = !before.has([r.host, r.proto, r.state, r.local, r.remote].join(' '));
        t.append(el('tr', { class: changed ? 'changed' : '' }, el('td', { text: r.proto }), el('td', { text: r.state }),
          el('td', { text: r.local }), el('td', { text: r.remote })));
      }
      root.append(t);
    }
    if (!any) root.append(el('p', { class: 'muted', text: 'No host has a socket yet.' }));
  }

  setupDiagram() {
    if (!this.meta.diagram) return;
    const doc = new DOMParser().parseFromString(this.meta.diagram, 'image/svg+xml');
    const svg = doc.documentElement;
    if (svg.nodeName !== 'svg') return;
    const node = document.importNode(svg, true);
    document.getElementById('diagram').append(node);
    document.getElementById('diagpanel').hidden = false;
    // The diagram's rows, by the time each one shows in its left column
    // (the text at x=6, as the trace writes times), in time order.
    this.diagRows = [];
    for (const t of node.querySelectorAll('text[x="6"]')) {
      const m = /^(\d+)\.(\d{9})$/.exec(t.textContent.trim());
      if (m) this.diagRows.push({ t: +m[1] * 1e9 + +m[2], y: +t.getAttribute('y') });
    }
    // The mark is a see-through box over the diagram, outside the SVG:
    // moving it never lays the (maybe huge) diagram out again.
    this.diagMark = el('div', { class: 'now', hidden: true });
    document.getElementById('diagram').append(this.diagMark);
    this.diagScale = null;
    this.diagLabels = [...node.querySelectorAll('text.label')].map(t => ({ y: +t.getAttribute('y'), x: +t.getAttribute('x') }));
    // An arrow's label sits 5 units above its row's time.
    const byY = new Map(this.diagRows.map((r, i) => [r.y, i]));
    for (const t of node.querySelectorAll('text.label')) {
      const i = byY.get(+t.getAttribute('y') + 5);
      if (i !== undefined) this.diagRows[i].label = t.textContent;
    }
    this.diagSvg = node;
  }

  // The diagram follows the step: the rows of its moment (or, between
  // rows, the last one before it) are marked and scrolled into view.
  showDiagram(ev) {
    if (!this.diagRows || !this.diagRows.length) return;
    const rows = this.diagRows;
    let lo = 0, hi = rows.length; // the first row later than the step
    while (lo < hi) { const mid = (lo + hi) >> 1; if (rows[mid].t <= ev.t_ns) lo = mid + 1; else hi = mid; }
    const mark = this.diagMark;
    // A packet's step: its own arrow, drawn where it arrived (at or after
    // a send, at a receive or a loss), found by its label.
    const key = arrowKey(ev);
    let arrow = -1;
    if (key && ev.kind === 'send') {
      for (let k = Math.max(0, lo - 64); k < rows.length && k < lo + 2000 && arrow < 0; k++)
        if (rows[k].t >= ev.t_ns && rows[k].label && rows[k].label.startsWith(key)) arrow = k;
    } else if (key) {
      for (let k = lo - 1; k >= 0 && k >= lo - 2000 && arrow < 0; k--)
        if (rows[k].label && rows[k].label.startsWith(key)) arrow = k;
    }
    if (lo === 0 && arrow < 0) { mark.hidden = true; return; }
    let first = lo - 1, last = rows[Math.max(0, lo - 1)];
    if (arrow >= 0) {
      first = arrow;
      last = rows[arrow];
    } else if (last.t === ev.t_ns) {
      while (first > 0 && rows[first - 1].t === last.t) first--;
    }
    const y0 = rows[first].y - 22, y1 = last.y + 12;
    if (this.diagScale === null)
      this.diagScale = this.diagSvg.getBoundingClientRect().height / (+this.diagSvg.getAttribute('height') || 1) || 1;
    const sc = this.diagScale;
    mark.style.top = y0 * sc + 'px';
    mark.style.height = (y1 - y0) * sc + 'px';
    mark.style.width = (+this.diagSvg.getAttribute('width') || 0) * sc + 'px';
    mark.dataset.y = y0;
    mark.dataset.h = y1 - y0;
    mark.hidden = false;
    mark.dataset.rows = (first + 1) + '-' + (arrow >= 0 ? arrow + 1 : lo);
    // Scrolling reads the layout: once per frame, not once per step (a
    // synchronous read would lay out a diagram of thousands of rows each
    // time, 40 ms at 40,000 steps).
    this.diagWant = [y0, y1];
    if (this.diagFrame) return;
    this.diagFrame = requestAnimationFrame(() => {
      this.diagFrame = null;
      const [a, b] = this.diagWant;
      const box = document.getElementById('diagram');
      const scale = this.diagScale;
      const top = a * scale, bottom = b * scale;
      if (top < box.scrollTop || bottom > box.scrollTop + box.clientHeight)
        box.scrollTop = Math.max(0, (top + bottom) / 2 - box.clientHeight / 2);
      // Sideways, to the arrow of that moment (the diagram is wide).
      const label = this.diagLabels.find(l => l.y > a && l.y < b);
      if (label) {
        const x = label.x * scale;
        if (x < box.scrollLeft + 40 || x > box.scrollLeft + box.clientWidth - 40)
          box.scrollLeft = Math.max(0, x - box.clientWidth / 2);
      }
    });
  }

  setupQuestions() {
    setupQuestions(document.getElementById('lab'), document.getElementById('questions'), this.meta.questions);
  }
}

window.addEventListener('DOMContentLoaded', () => {
  try {
    window.netsimPage = new Page();
  } catch (e) {
    document.body.prepend(el('p', { class: 'error', text: 'This page could not load its run: ' + e.message }));
    throw e;
  }
});
