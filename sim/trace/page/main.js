// The page: event list (virtual: only visible rows exist, so 100,000
// events scroll as fast as 100), filters and search, stepping with buttons,
// keys and the URL fragment (#step=42), and the panels that follow the
// current step.
import { el, fmtTime, parseTime, protoName } from './util.js';
import { PacketView } from './packet.js';
import { inflate, loadRun, sockKey, sockLabel } from './model.js';
import { Topology } from './topo.js';
import { Plots } from './plots.js';
import { setupQuestions } from './lab.js';
import { Diagram } from './diagram.js';

const ROW = 20; // px, the height of one event row (page.css agrees)

// The step as one line, close to the text trace's.
function lineText(ev) {
  const p = [];
  if (ev.src) {
    p.push(ev.src + ' > ' + ev.dst, protoName(ev.proto));
    const icmp = ev.icmp || ev.icmp6; // ICMPv6's message has its own member
    if (icmp) p.push(icmp.name);
    if (ev.frag) p.push('frag ipid ' + ev.frag.id + ' off ' + ev.frag.off);
    if (ev.flags) p.push('[' + ev.flags + ']');
    if (ev.seq !== undefined) p.push('seq ' + ev.seq);
    if (ev.ack !== undefined) p.push('ack ' + ev.ack);
    if (ev.win !== undefined) p.push('win ' + ev.win);
    if (ev.len !== undefined) p.push('len ' + ev.len);
    if (ev.frag && ev.frag.mf) p.push('MF');
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
  constructor(run) {
    this.run = run;
    this.meta = this.run.meta;
    this.steps = this.run.steps;
    this.cur = 0;
    this.view = [];
    this.lines = []; // each step's line in lower case, for the search
    this.playing = null;
    const title = this.meta.title || this.meta.scenario || 'netsim';
    document.title = title + ' \u2014 netsim';
    document.getElementById('title').textContent = title + (this.meta.student ? ' (student mode)' : '');
    this.list = document.getElementById('list');
    this.pad = document.getElementById('listpad');
    this.rows = null;
    this.listTop = 0;
    this.listH = this.list.clientHeight || 600;
    this.packet = new PacketView(document.getElementById('pkt'));
    this.topo = new Topology(document.getElementById('topo'), this.meta);
    this.plots = new Plots(document.getElementById('plots'), this.run, n => this.go(n));
    this.setupFilters();
    this.setupQuestions();
    this.setupControls();
    this.applyFilters();
    this.go(this.fromHash() ?? 0);
    // The run is shown and can be stepped; the diagram (at the bottom)
    // comes after, then the page is complete.
    // (The marks let a benchmark read the times.)
    document.body.dataset.shown = 'true';
    performance.mark('netsim-shown');
    this.setupDiagram().then(() => {
      document.body.dataset.ready = 'true';
      performance.mark('netsim-ready');
      this.whenIdle(() => this.makeLines(this.lines.length + 2000) < this.steps.length);
    }, e => {
      document.body.prepend(el('p', { class: 'error', text: 'This page could not draw its sequence diagram: ' + e.message }));
      throw e;
    });
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

  // The search's lines of the steps up to `n` (those not made yet); how
  // many steps have theirs. The page makes them while it waits for the
  // user, so that the first search need not.
  makeLines(n) {
    const end = Math.min(n, this.steps.length);
    for (let i = this.lines.length; i < end; i++) {
      const e = this.steps[i];
      this.lines.push((fmtTime(e.t_ns) + ' ' + (e.host || '') + ' ' + e.kind + ' ' + lineText(e)).toLowerCase());
    }
    return this.lines.length;
  }

  // Call `work` when the browser is idle, again while it returns true.
  whenIdle(work) {
    const later = typeof requestIdleCallback === 'function' ? f => requestIdleCallback(f, { timeout: 1000 })
      : f => setTimeout(f, 20);
    const run = () => { if (work()) later(run); };
    later(run);
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
    if (q) this.makeLines(this.steps.length);
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
    this.rows = null;
    this.renderRows();
    if (view.length && this.pos[this.cur] < 0) {
      const next = view.find(n => n >= this.cur);
      this.go(next !== undefined ? next : view[view.length - 1]);
    } else {
      this.scrollTo(this.cur);
    }
  }

  // ---- the list --------------------------------------------------------
  // Only the rows in view (and ten either side) exist, kept by their place
  // in the view: scrolling adds the rows that came into view and removes
  // those that left, stepping moves the mark from one row to another, and
  // neither lays out rows that did not change. The list's scroll position
  // and height are remembered, not read back: reading them makes the
  // browser lay the page out at once.
  renderRows() {
    // A shorter view than before moves the list up (the browser does the same).
    this.listTop = Math.max(0, Math.min(this.listTop, this.view.length * ROW - this.listH));
    const top = this.listTop, h = this.listH;
    const b = Math.min(this.view.length, Math.ceil((top + h) / ROW) + 10);
    const a = Math.min(b, Math.max(0, Math.floor(top / ROW) - 10));
    if (!this.rows || b <= this.rowsA || a >= this.rowsB) {
      this.rows = new Map();
      this.pad.replaceChildren();
      this.rowsA = this.rowsB = a;
      this.curRow = null;
    }
    for (let i = this.rowsA; i < a; i++) { this.rows.get(i).remove(); this.rows.delete(i); }
    for (let i = b; i < this.rowsB; i++) { this.rows.get(i).remove(); this.rows.delete(i); }
    const before = document.createDocumentFragment(), after = document.createDocumentFragment();
    for (let i = a; i < b; i++) {
      if (this.rows.has(i)) continue;
      const row = this.makeRow(i);
      this.rows.set(i, row);
      (i < this.rowsA ? before : after).append(row);
    }
    this.pad.prepend(before);
    this.pad.append(after);
    this.rowsA = a;
    this.rowsB = b;
    this.markRow();
  }

  makeRow(i) {
    const ev = this.steps[this.view[i]];
    return el('div', {
      class: 'row k-' + ev.kind + (ev.kind === 'expect' && !ev.ok ? ' bad' : ''),
      style: 'top:' + i * ROW + 'px', 'data-step': ev.n + 1, onclick: () => this.go(ev.n),
    },
    el('span', { class: 'n', text: ev.n + 1 }),
    el('span', { class: 't', text: fmtTime(ev.t_ns) }),
    el('span', { class: 'h', text: ev.host || '' }),
    el('span', { class: 'k', text: ev.kind }),
    el('span', { class: 'x', text: lineText(ev) }));
  }

  // The current step's row, marked.
  markRow() {
    const i = this.pos[this.cur];
    const row = i >= 0 ? this.rows.get(i) : undefined;
    if (this.curRow === row) return;
    if (this.curRow) this.curRow.classList.remove('cur');
    if (row) row.classList.add('cur');
    this.curRow = row;
  }

  scrollTo(n) {
    const i = this.pos[n];
    if (i < 0) { this.markRow(); return; }
    const top = i * ROW, h = this.listH;
    if (top < this.listTop || top + ROW > this.listTop + h) {
      this.listTop = Math.max(0, Math.min(top - h / 2, this.view.length * ROW - h));
      this.list.scrollTop = this.listTop;
    }
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
    this.list.addEventListener('scroll', () => { this.listTop = this.list.scrollTop; this.renderRows(); });
    window.addEventListener('resize', () => { this.listH = this.list.clientHeight || 600; this.renderRows(); });
    window.addEventListener('hashchange', () => { const n = this.fromHash(); if (n !== null && n !== this.cur) this.go(n); });
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

  go(n) {
    if (n === undefined || n === null || !this.steps.length) return;
    this.cur = n;
    const ev = this.steps[n];
    this.setHash('#step=' + (n + 1));
    document.getElementById('stepinfo').textContent = 'step ' + (n + 1) + ' of ' + this.steps.length + ' \u00b7 ' + fmtTime(ev.t_ns) + ' s';
    this.scrollTo(n);
    const frame = this.run.frameOf(ev);
    this.topo.show(ev, frame);
    this.showExplain(ev);
    this.showPacket(ev, frame);
    this.showSockets(n);
    this.plots.setTime(ev.t_ns);
    this.showDiagram(ev);
  }

  // The URL fragment follows the step, written at most every 100 ms:
  // browsers refuse a flood of history changes, and each costs time.
  setHash(hash) {
    this.hashWant = hash;
    if (this.hashTimer) return;
    const write = () => {
      this.hashTimer = null;
      this.hashAt = performance.now();
      if (location.hash !== this.hashWant) history.replaceState(null, '', this.hashWant);
    };
    const wait = (this.hashAt ?? -Infinity) + 100 - performance.now();
    if (wait <= 0) write();
    else this.hashTimer = setTimeout(write, wait);
  }

  // ---- panels ----------------------------------------------------------
  showExplain(ev) {
    const box = document.getElementById('explain');
    box.hidden = !ev.explain;
    box.textContent = ev.explain || '';
  }

  showPacket(ev, frame) {
    if (frame) this.packet.show(ev, frame, this.run.bytesOf(frame), frame.bytes_len);
    else if (ev.bytes_kept) this.packet.show(ev, null, this.run.bytesOf(ev), ev.bytes_len);
    else this.packet.show(ev, null, null, 0);
  }

  // The tables are made again only when they or the step before's
  // changed (what is marked new depends on both); otherwise the step only
  // moves the mark to its host's name.
  showSockets(n) {
    const root = document.getElementById('socks');
    const now = this.run.rowsAt(n), prev = n > 0 ? this.run.rowsAt(n - 1) : null;
    const host = this.steps[n].host;
    if (this.sockShown && this.sockShown[0] === now && this.sockShown[1] === prev) {
      for (const [h, c] of this.sockCaptions) c.className = h === host ? 'here' : '';
      return;
    }
    this.sockShown = [now, prev];
    this.sockCaptions = new Map();
    const tables = this.run.socketsAt(n);
    const before = new Set(prev ? prev.map(r => r.join(' ')) : []);
    root.replaceChildren();
    let any = false;
    for (const [h, rows] of tables) {
      if (!rows.length) continue;
      any = true;
      const caption = el('caption', { class: h === host ? 'here' : '', text: h });
      this.sockCaptions.set(h, caption);
      const t = el('table', { class: 'ss', 'data-host': h },
        caption,
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

  async setupDiagram() {
    const node = document.getElementById('ns-diagram');
    if (!node) return;
    const svg = new TextDecoder().decode(await inflate(node));
    const d = new Diagram(document.getElementById('diagram'), svg);
    if (!d.ok) return;
    document.getElementById('diagpanel').hidden = false;
    this.diagram = d;
    d.fill();
    if (this.steps.length) this.showDiagram(this.steps[this.cur]);
  }

  // The diagram follows the step: the rows of its moment (or, between
  // rows, the last one before it) are marked and scrolled into view.
  showDiagram(ev) {
    if (this.diagram) this.diagram.show(ev.t_ns, arrowKey(ev), ev.kind === 'send');
  }

  setupQuestions() {
    setupQuestions(document.getElementById('lab'), document.getElementById('questions'), this.meta.questions);
  }
}

window.addEventListener('DOMContentLoaded', () => {
  loadRun(document).then(run => {
    window.netsimPage = new Page(run);
  }).catch(e => {
    document.body.prepend(el('p', { class: 'error', text: 'This page could not load its run: ' + e.message }));
    throw e;
  });
});
