// The run as the page knows it: the events (steps) and frames from the
// page's data block, socket tables replayed step by step, and per TCP
// connection the series the plots draw.
//
// Data (written by sim/trace/page.c): script elements, each holding
// zlib-compressed bytes (RFC 1950) in base64. #ns-events holds the events
// in a binary form (sim/trace/page-events.c; decodeEvents below): the
// objects the JSON trace writes (docs/json-trace.md) plus, for a packet,
// where its bytes are in #ns-bytes: `bytes_kept` bytes at `bytes_at` (the
// IP datagram, or the Ethernet frame for kind "frame", cut at
// NS_PAGE_BYTES_MAX; a packet seen before points at the same bytes; a
// frame with `bytes_rest_at` has there only its 14-byte Ethernet header,
// the rest being its datagram's bytes at bytes_rest_at) and `bytes_len`
// (the real length); and records of kind "tables" ({rows: [[host, proto,
// state, local, remote], ...]}), the run's own socket tables, written
// after each step that changed them. #ns-meta holds {title, scenario,
// seed, student, hosts, networks, links, sockets_end, questions};
// #ns-diagram the sequence diagram's SVG.
import { b64bytes } from './util.js';


// A name for the socket an event is about: its run-wide id when the trace
// has one, else host, protocol and addresses.
export function sockKey(ev) {
  const s = ev.sock;
  if (!s) return null;
  if (s.id !== undefined) return String(s.id);
  return ev.host + ' ' + s.proto + ' ' + s.local + (s.remote ? ' ' + s.remote : '');
}

export function sockLabel(ev) {
  const s = ev.sock;
  if (!s) return '';
  return ev.host + ' ' + s.proto + ' ' + s.local + (s.remote ? '-' + s.remote : '') + (s.id ? ' (#' + s.id + ')' : '');
}

// The connection a TCP packet belongs to, the same from both sides.
export function connKey(ev) {
  if (ev.proto !== 'tcp' || !ev.src || !ev.dst) return null;
  return ev.src < ev.dst ? ev.src + ' ' + ev.dst : ev.dst + ' ' + ev.src;
}

const NO_ROWS = [];

export class Run {
  constructor(events, meta, bytes) {
    this.meta = meta;
    this.bytes = bytes || new Uint8Array(0);
    this.all = events;
    this.steps = [];        // events that are steps (not frames)
    this.frames = [];       // indices into `all` of frames
    this.hostOrder = (meta.hosts || []).map(h => h.name);
    this.tableSteps = [];    // steps after which the socket tables changed
    const arpWaiting = new Map(); // host -> its ARP steps not yet on the wire
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      if (ev.kind === 'tables') {
        const last = this.steps.length - 1;
        if (this.tableSteps[this.tableSteps.length - 1] !== last) this.tableSteps.push(last);
        (last >= 0 ? this.steps[last] : this).tables = ev.rows;
      } else if (ev.kind === 'frame') {
        this.frames.push(i);
        // ARP frames go out in the order their steps were traced.
        const q = arpWaiting.get(ev.host);
        if (q && q.length && ev.bytes_kept && this.bytesOf(ev)[12] === 0x08 && this.bytesOf(ev)[13] === 0x06)
          q.shift().frame = ev;
      } else {
        ev.n = this.steps.length;
        this.steps.push(ev);
        if (ev.kind === 'arp' && (ev.what === 'request' || ev.what === 'reply')) {
          if (!arpWaiting.has(ev.host)) arpWaiting.set(ev.host, []);
          arpWaiting.get(ev.host).push(ev);
        }
      }
    }
    this.connections = this.buildConnections();
  }

  // The rows of the socket tables after step n, or [].
  rowsAt(n) {
    let lo = 0, hi = this.tableSteps.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (this.tableSteps[m] <= n) lo = m + 1; else hi = m; }
    if (lo === 0) return this.tables || NO_ROWS;
    const k = this.tableSteps[lo - 1];
    return (k >= 0 ? this.steps[k].tables : this.tables) || NO_ROWS;
  }

  // Socket tables after step n: host -> rows {host, proto, state, local,
  // remote}, hosts in the scenario's order.
  socketsAt(n) {
    const by = new Map(this.hostOrder.map(h => [h, []]));
    for (const [host, proto, state, local, remote] of this.rowsAt(n)) {
      if (!by.has(host)) by.set(host, []);
      by.get(host).push({ host, proto, state, local, remote });
    }
    return by;
  }

  // The frame that carried step `ev`. For a send, fwd or ARP step: the
  // first frame its host sent after it with the same IP datagram (or, for
  // ARP, the first ARP frame of that host). For a recv or drop: the last
  // frame before it that carried the same datagram. null when there is
  // none (a datagram for the host itself, a packet lost before the wire).
  frameOf(ev) {
    if (ev.frame !== undefined) return ev.frame;
    ev.frame = null;
    const out = ev.kind === 'send' || ev.kind === 'fwd';
    const back = (ev.kind === 'recv' || ev.kind === 'drop') && ev.bytes_kept;
    if (!out && !back) return null;
    const ip = this.bytesOf(ev);
    const carries = f => {
      const b = this.bytesOf(f);
      const type = (b[12] << 8) | b[13];
      if ((type !== 0x0800 && type !== 0x86dd) || !ip) return false;
      const n = Math.min(ip.length, b.length - 14);
      for (let k = 0; k < n; k++) if (ip[k] !== b[14 + k]) return false;
      return true;
    };
    let lo = 0, hi = this.frames.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (this.frames[m] < ev.i) lo = m + 1; else hi = m; }
    if (out) {
      for (let j = lo; j < this.frames.length && j < lo + 4096; j++) {
        const f = this.all[this.frames[j]];
        if (f.host !== ev.host || !carries(f)) continue;
        ev.frame = f;
        break;
      }
    } else {
      for (let j = lo - 1; j >= 0 && j >= lo - 4096; j--) {
        const f = this.all[this.frames[j]];
        if (carries(f)) { ev.frame = f; break; }
      }
    }
    return ev.frame;
  }

  bytesOf(ev) {
    if (!ev.bytes_kept) return null;
    if (ev.bytes_rest_at === undefined) return this.bytes.subarray(ev.bytes_at, ev.bytes_at + ev.bytes_kept);
    // A frame whose datagram the page holds already: its Ethernet header,
    // then the datagram's first bytes.
    if (!ev.raw) {
      ev.raw = new Uint8Array(ev.bytes_kept);
      ev.raw.set(this.bytes.subarray(ev.bytes_at, ev.bytes_at + 14));
      ev.raw.set(this.bytes.subarray(ev.bytes_rest_at, ev.bytes_rest_at + ev.bytes_kept - 14), 14);
    }
    return ev.raw;
  }

  // Per TCP connection: each direction's segments (sent by TCP, with
  // relative seq), the ACKs the other side sent, and congestion samples.
  buildConnections() {
    const conns = new Map();
    const get = (key, a, b) => {
      if (!conns.has(key)) conns.set(key, { key, a, b, dirs: new Map(), cc: [] });
      return conns.get(key);
    };
    for (const ev of this.steps) {
      if (ev.kind === 'send' && ev.proto === 'tcp' && ev.seq !== undefined) {
        const c = get(connKey(ev), ev.src, ev.dst);
        if (!c.dirs.has(ev.src)) c.dirs.set(ev.src, { from: ev.src, segs: [], acks: [], maxEnd: 0 });
        const d = c.dirs.get(ev.src);
        const span = ev.len + (ev.flags.includes('S') ? 1 : 0) + (ev.flags.includes('F') ? 1 : 0);
        const retrans = span > 0 && ev.seq < d.maxEnd;
        d.maxEnd = Math.max(d.maxEnd, ev.seq + span);
        d.segs.push({ t: ev.t_ns, seq: ev.seq, end: ev.seq + span, retrans, n: ev.n });
        if (ev.ack !== undefined) {
          if (!c.dirs.has(ev.dst)) c.dirs.set(ev.dst, { from: ev.dst, segs: [], acks: [], maxEnd: 0 });
          c.dirs.get(ev.dst).acks.push({ t: ev.t_ns, ack: ev.ack, n: ev.n });
        }
      } else if (ev.kind === 'cc' && ev.sock && ev.sock.remote) {
        const s = ccSample(ev);
        if (s) {
          const l = ev.sock.local, r = ev.sock.remote;
          const c = get(l < r ? l + ' ' + r : r + ' ' + l, l, r);
          c.cc.push({ t: ev.t_ns, from: l, n: ev.n, ...s });
        }
      }
    }
    return [...conns.values()];
  }
}

// A congestion sample (kind "cc": cwnd, ssthresh, smoothed RTT once
// measured).
export function ccSample(ev) {
  if (ev.cwnd === undefined) return null;
  return { cwnd: ev.cwnd, ssthresh: ev.ssthresh, rtt: ev.srtt_ns ? ev.srtt_ns : undefined };
}

// The events of #ns-events' bytes (the form sim/trace/page-events.c
// describes): each record defines a shape (its fields' names and types)
// or is an event of a shape defined before, a value per field. Each event
// also gets `i`, its place in the list.
//
// A shape becomes a small function that reads its values into an object
// literal: every event of a shape then has the same members in the same
// order, which the browser's engine builds and reads faster than objects
// grown member by member (as fast as JSON.parse makes the same objects
// from eight times the bytes). Names are the trace's words, checked
// before they are used.
export function decodeEvents(buf) {
  const text = new TextDecoder();
  const strings = [];
  const r = {
    p: 0,
    varint() {
      let b = buf[this.p++];
      if (b < 128) return b;
      let v = b & 127, mul = 128;
      do { b = buf[this.p++]; v += (b & 127) * mul; mul *= 128; } while (b >= 128);
      return v;
    },
    raw() { const n = this.varint(); this.p += n; return text.decode(buf.subarray(this.p - n, this.p)); },
    int() { const z = this.varint(); return z % 2 ? -(z + 1) / 2 : z / 2; },
    str() {
      const k = this.varint();
      if (k >= 2) return strings[k - 2];
      const s = this.raw();
      if (k === 0) strings.push(s);
      return s;
    },
    json() { return JSON.parse(this.str()); },
  };
  const READ = { i: 'r.int()', s: 'r.str()', j: 'r.json()', t: 'true', f: 'false' };
  const makers = [null], events = [];
  while (r.p < buf.length) {
    const shape = r.varint();
    if (shape === 0) {
      // Members in order, an object's members together: "sock.id",
      // "sock.proto" -> sock: {id: ..., proto: ...}.
      const members = [];
      for (let n = r.varint(); n > 0; n--) {
        const name = r.raw(), type = String.fromCharCode(buf[r.p++]);
        if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(name) || !READ[type] || name === 'i' || name === 'n')
          throw new Error('the run\'s data is damaged (a field ' + JSON.stringify(name) + ')');
        const [key, sub] = name.split('.');
        const last = members[members.length - 1];
        if (sub !== undefined && last && last.key === key && last.subs) last.subs.push(sub + ': ' + READ[type]);
        else if (sub !== undefined) members.push({ key, subs: [sub + ': ' + READ[type]] });
        else members.push({ key, code: READ[type] });
      }
      const body = members.map(m => m.key + ': ' + (m.subs ? '{ ' + m.subs.join(', ') + ' }' : m.code));
      makers.push(new Function('r', 'i', 'return { ' + body.concat('i: i', 'n: -1').join(', ') + ' };'));
      continue;
    }
    const make = makers[shape];
    if (!make) throw new Error('the run\'s data is damaged (an event of an unknown shape)');
    events.push(make(r, events.length));
  }
  return events;
}

// One of the page's data elements, inflated.
export async function inflate(node) {
  const raw = b64bytes(node.textContent);
  const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function loadRun(doc) {
  if (typeof DecompressionStream !== 'function')
    throw new Error('this browser cannot inflate the run\'s data: it needs DecompressionStream (Chrome 80, Firefox 113, Safari 16.4 or later)');
  const [events, bytes, meta] = await Promise.all(['ns-events', 'ns-bytes', 'ns-meta'].map(id => inflate(doc.getElementById(id))));
  return new Run(decodeEvents(events), JSON.parse(new TextDecoder().decode(meta)), bytes);
}
