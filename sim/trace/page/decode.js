// Layer-by-layer decoding of a packet's bytes for the packet view: every
// field with its value, a short meaning and where it sits in the bytes
// (offset and length, so the hex view can highlight it). Ethernet II
// (IEEE 802.3), ARP (RFC 826), IPv4 (RFC 791), IPv6 (RFC 8200, addresses
// written as RFC 5952 says), ICMP (RFC 792), ICMPv6 (RFC 4443, Neighbor
// Discovery from RFC 4861), UDP (RFC 768), TCP (RFC 9293, options from
// RFC 7323, RFC 2018), and the start of the application data.
import { hex2, ipv4, mac, u16, u32 } from './util.js';

function field(name, value, meaning, off, len) {
  return { name, value: String(value), meaning, off, len };
}

const ETHERTYPES = { 0x0800: 'IPv4', 0x0806: 'ARP', 0x86dd: 'IPv6' };
const PROTOS = { 1: 'ICMP', 6: 'TCP', 17: 'UDP' };
const ICMP_TYPES = {
  0: 'echo reply', 3: 'destination unreachable', 5: 'redirect', 8: 'echo request',
  11: 'time exceeded',
};
const UNREACH_CODES = {
  0: 'network unreachable', 1: 'host unreachable', 2: 'protocol unreachable',
  3: 'port unreachable', 4: 'fragmentation needed and DF set', 13: 'administratively prohibited',
};

// Decode an Ethernet frame. `full` is the frame's real length (the bytes
// may be cut short; see NS_PAGE_BYTES_MAX).
export function decodeFrame(b, full) {
  const layers = [];
  if (b.length < 14) return layers;
  const type = u16(b, 12);
  layers.push({
    name: 'Ethernet II', start: 0, end: 14,
    fields: [
      field('destination', mac(b, 0), b[0] === 0xff && b[1] === 0xff ? 'broadcast: every host on the network reads it' : 'the next hop\'s hardware (MAC) address', 0, 6),
      field('source', mac(b, 6), 'the sending interface\'s MAC address', 6, 6),
      field('type', '0x' + type.toString(16).padStart(4, '0') + ' (' + (ETHERTYPES[type] || '?') + ')', 'which protocol the payload is', 12, 2),
    ],
  });
  if (type === 0x0806) layers.push(...decodeArp(b, 14));
  else if (type === 0x0800 || type === 0x86dd) layers.push(...decodeIp(b, 14, full - 14));
  return layers;
}

function decodeArp(b, o) {
  if (b.length < o + 28) return [];
  const op = u16(b, o + 6);
  return [{
    name: 'ARP', start: o, end: o + 28,
    fields: [
      field('hardware type', u16(b, o), '1 = Ethernet', o, 2),
      field('protocol type', '0x' + u16(b, o + 2).toString(16), '0x0800 = IPv4 addresses', o + 2, 2),
      field('sizes', b[o + 4] + ' / ' + b[o + 5], 'bytes in a hardware / protocol address', o + 4, 2),
      field('operation', op + (op === 1 ? ' (request)' : op === 2 ? ' (reply)' : ''), op === 1 ? '"who has the target IP address?"' : '"I have it: here is my MAC address"', o + 6, 2),
      field('sender MAC', mac(b, o + 8), 'the asker\'s (request) or answerer\'s (reply) MAC', o + 8, 6),
      field('sender IP', ipv4(b, o + 14), 'the sender\'s IPv4 address', o + 14, 4),
      field('target MAC', mac(b, o + 18), op === 1 ? 'unknown yet: that is the question' : 'who asked', o + 18, 6),
      field('target IP', ipv4(b, o + 24), op === 1 ? 'the address being looked up' : 'who asked', o + 24, 4),
    ],
  }];
}

// Decode an IPv4 datagram starting at `o`; `full` is its real length.
// An IPv6 address as RFC 5952 writes it: lower-case hex, no leading
// zeros, the longest run of two or more zero groups (the first of equal
// ones) as "::".
export function ipv6(b, o) {
  const g = [];
  for (let i = 0; i < 8; i++) g.push(u16(b, o + 2 * i));
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = a => a.map(x => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return hex(g.slice(0, best)) + '::' + hex(g.slice(best + bestLen));
}

const ICMP6_TYPES = {
  1: 'destination unreachable', 2: 'packet too big', 3: 'time exceeded', 4: 'parameter problem',
  128: 'echo request', 129: 'echo reply', 133: 'router solicitation', 134: 'router advertisement',
  135: 'neighbor solicitation', 136: 'neighbor advertisement', 137: 'redirect',
};

function decodeIp6(b, o, full) {
  if (b.length < o + 40) return [];
  const plen = u16(b, o + 4), next = b[o + 6];
  const names = { 6: 'TCP', 17: 'UDP', 44: 'Fragment', 58: 'ICMPv6' };
  const layers = [{
    name: 'IPv6', start: o, end: o + 40,
    fields: [
      field('version', b[o] >> 4, 'IP version 6', o, 1),
      field('traffic class', '0x' + hex2(((b[o] & 15) << 4) | (b[o + 1] >> 4)), 'service class and congestion marks', o, 2),
      field('flow label', ((b[o + 1] & 15) << 16) | u16(b, o + 2), 'ties the packets of one flow together (0: none)', o + 1, 3),
      field('payload length', plen, 'bytes after this 40-byte header', o + 4, 2),
      field('next header', next + ' (' + (names[next] || '?') + ')', 'which header or transport layer follows', o + 6, 1),
      field('hop limit', b[o + 7], 'hops left: each router takes one; at 0 the packet is dropped', o + 7, 1),
      field('source', ipv6(b, o + 8), 'the sending interface\'s address', o + 8, 16),
      field('destination', ipv6(b, o + 24), 'the address it is for (routers only pass it on)', o + 24, 16),
    ],
  }];
  let t = o + 40, proto = next;
  const end = o + Math.min(40 + plen, full);
  // A fragment (RFC 8200 4.5): the Fragment header, then the first
  // fragment's transport header, or a later fragment's data only.
  if (next === 44 && b.length >= t + 8) {
    proto = b[t];
    const w = u16(b, t + 2);
    layers.push({
      name: 'IPv6 Fragment header', start: t, end: t + 8,
      fields: [
        field('next header', proto + ' (' + (names[proto] || '?') + ')', 'the transport layer of the whole datagram', t, 1),
        field('fragment offset', w & 0xfff8, 'where this fragment\'s data starts in the datagram', t + 2, 2),
        field('M', w & 1 ? 'more fragments' : 'last fragment', '1 on every fragment but the last', t + 3, 1),
        field('identification', u32(b, t + 4), 'ties the fragments of one datagram together', t + 4, 4),
      ],
    });
    t += 8;
    if (w & 0xfff8) {
      layers.push(...payloadLayer(b, t, end, 'fragment data', 'more of the ' + (names[proto] || 'IPv6') +
        ' datagram, from the fragment offset on; its header came in the first fragment'));
      return layers;
    }
  }
  if (proto === 6) layers.push(...decodeTcp(b, t, end));
  else if (proto === 17) layers.push(...decodeUdp(b, t, end));
  else if (proto === 58) layers.push(...decodeIcmp6(b, t, end));
  return layers;
}

function decodeIcmp6(b, o, end) {
  if (b.length < o + 4) return [];
  const type = b[o];
  const fields = [
    field('type', type + ' (' + (ICMP6_TYPES[type] || '?') + ')', 'what kind of message', o, 1),
    field('code', b[o + 1], 'detail of the type', o + 1, 1),
    field('checksum', '0x' + u16(b, o + 2).toString(16).padStart(4, '0'), 'covers a pseudo-header (addresses) and the message', o + 2, 2),
  ];
  const layers = [{ name: 'ICMPv6', start: o, end: Math.min(end, b.length), fields }];
  if ((type === 128 || type === 129) && b.length >= o + 8) {
    fields.push(field('identifier', u16(b, o + 4), 'ties replies to the pinging program', o + 4, 2));
    fields.push(field('sequence', u16(b, o + 6), 'counts the echo requests', o + 6, 2));
    layers[0].end = o + 8;
    layers.push(...payloadLayer(b, o + 8, end, 'echo data'));
  } else if ((type === 135 || type === 136) && b.length >= o + 24) {
    if (type === 136) {
      const f = b[o + 4];
      fields.push(field('flags', [f & 0x80 ? 'router' : '', f & 0x40 ? 'solicited' : '', f & 0x20 ? 'override' : ''].filter(Boolean).join(' ') || 'none',
        'R: sent by a router; S: answers a solicitation; O: replaces a cached address', o + 4, 1));
    }
    fields.push(field('target', ipv6(b, o + 8), type === 135 ? 'the address whose link-layer address is asked for' : 'the address this advertisement is about', o + 8, 16));
    for (let i = o + 24; i + 8 <= Math.min(end, b.length) && b[i + 1];) {
      const kind = b[i], len = b[i + 1] * 8;
      if (kind === 1 || kind === 2) fields.push(field(kind === 1 ? 'source link-layer address' : 'target link-layer address', mac(b, i + 2), 'the MAC address that goes with it', i, len));
      else fields.push(field('option ' + kind, len + ' bytes', 'an option netsim does not name', i, len));
      i += len;
    }
  } else if (type >= 1 && type <= 4 && b.length >= o + 8) {
    fields.push(field(type === 2 ? 'MTU' : type === 4 ? 'pointer' : 'unused', u32(b, o + 4), type === 2 ? 'the largest packet the next link takes' : type === 4 ? 'where the error is' : 'zero', o + 4, 4));
    layers[0].end = o + 8;
    const inner = decodeIp(b, o + 8, end - o - 8);
    for (const l of inner) l.name = 'quoted ' + l.name;
    layers.push(...inner);
  }
  return layers;
}

export function decodeIp(b, o, full) {
  if (b.length > o && b[o] >> 4 === 6) return decodeIp6(b, o, full);
  if (b.length < o + 20) return [];
  const ihl = (b[o] & 15) * 4;
  const total = u16(b, o + 2);
  const fl = u16(b, o + 6);
  const proto = b[o + 9];
  const layers = [{
    name: 'IPv4', start: o, end: o + ihl,
    fields: [
      field('version', b[o] >> 4, 'IP version 4', o, 1),
      field('header length', ihl + ' bytes', 'IHL \u00d7 4; 20 without options', o, 1),
      field('DSCP/ECN', '0x' + hex2(b[o + 1]), 'service class and congestion marks', o + 1, 1),
      field('total length', total, 'header + payload bytes', o + 2, 2),
      field('identification', u16(b, o + 4), 'ties the fragments of one datagram together', o + 4, 2),
      field('flags', (fl & 0x4000 ? 'DF ' : '') + (fl & 0x2000 ? 'MF' : '') || 'none', 'DF: do not fragment; MF: more fragments follow', o + 6, 1),
      field('fragment offset', (fl & 0x1fff) * 8, 'where this fragment\'s data starts', o + 6, 2),
      field('TTL', b[o + 8], 'hops left: each router takes one; at 0 the datagram is dropped', o + 8, 1),
      field('protocol', proto + ' (' + (PROTOS[proto] || '?') + ')', 'which transport layer gets the payload', o + 9, 1),
      field('header checksum', '0x' + u16(b, o + 10).toString(16).padStart(4, '0'), 'one\'s complement sum over the header', o + 10, 2),
      field('source', ipv4(b, o + 12), 'the sending host', o + 12, 4),
      field('destination', ipv4(b, o + 16), 'the host it is for (routers only pass it on)', o + 16, 4),
    ],
  }];
  const t = o + ihl;
  const end = o + Math.min(total, full);
  // A later fragment carries the middle or the end of the datagram's
  // payload: only the first one starts with the transport's header.
  if (fl & 0x1fff) {
    layers.push(...payloadLayer(b, t, end, 'fragment data', 'more of the ' + (PROTOS[proto] || 'IP') +
      ' datagram, from the fragment offset on; its header came in the first fragment'));
    return layers;
  }
  if (proto === 6) layers.push(...decodeTcp(b, t, end));
  else if (proto === 17) layers.push(...decodeUdp(b, t, end));
  else if (proto === 1) layers.push(...decodeIcmp(b, t, end));
  return layers;
}

function payloadLayer(b, o, end, name, meaning = 'what the application wrote') {
  if (end <= o) return [];
  const shown = Math.min(end, b.length);
  let text = '';
  for (let i = o; i < shown; i++) {
    const c = b[i];
    text += c === 10 ? '\u21b5\n' : c === 13 ? '' : c >= 32 && c < 127 ? String.fromCharCode(c) : '\u00b7';
  }
  const cut = shown < end ? ' (first ' + (shown - o) + ' shown)' : '';
  return [{
    name, start: o, end: shown, text,
    fields: [field('data', (end - o) + ' bytes' + cut, meaning, o, shown - o)],
  }];
}

function decodeUdp(b, o, end) {
  if (b.length < o + 8) return [];
  const sp = u16(b, o), dp = u16(b, o + 2);
  return [{
    name: 'UDP', start: o, end: o + 8,
    fields: [
      field('source port', sp, 'the sending socket\'s port', o, 2),
      field('destination port', dp, 'picks the receiving socket on the destination host', o + 2, 2),
      field('length', u16(b, o + 4), 'header + data bytes', o + 4, 2),
      field('checksum', '0x' + u16(b, o + 6).toString(16).padStart(4, '0'), 'covers a pseudo-header (addresses), header and data', o + 6, 2),
    ],
  }, ...payloadLayer(b, o + 8, end, sp === 53 || dp === 53 ? 'DNS' : 'data')];
}

function decodeIcmp(b, o, end) {
  if (b.length < o + 8) return [];
  const type = b[o], code = b[o + 1];
  const fields = [
    field('type', type + ' (' + (ICMP_TYPES[type] || '?') + ')', 'what kind of message', o, 1),
    field('code', code + (type === 3 ? ' (' + (UNREACH_CODES[code] || '?') + ')' : ''), type === 3 ? 'why it could not be delivered' : 'detail of the type', o + 1, 1),
    field('checksum', '0x' + u16(b, o + 2).toString(16).padStart(4, '0'), 'over the whole ICMP message', o + 2, 2),
  ];
  const layers = [{ name: 'ICMP', start: o, end: o + 8, fields }];
  if (type === 0 || type === 8) {
    fields.push(field('identifier', u16(b, o + 4), 'ties replies to the pinging program', o + 4, 2));
    fields.push(field('sequence', u16(b, o + 6), 'counts the echo requests', o + 6, 2));
    layers.push(...payloadLayer(b, o + 8, end, 'echo data'));
  } else if (type === 3 || type === 11) {
    fields.push(field('unused', u32(b, o + 4), type === 3 && code === 4 ? 'next-hop MTU in the low 16 bits' : 'zero', o + 4, 4));
    const inner = decodeIp(b, o + 8, end - o - 8);
    for (const l of inner) l.name = 'quoted ' + l.name;
    layers.push(...inner);
  }
  return layers;
}

const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];
const FLAG_MEANING = {
  FIN: 'no more data from this side', SYN: 'synchronise sequence numbers: opens a connection',
  RST: 'reset: abort the connection', PSH: 'deliver to the application now',
  ACK: 'the acknowledgment number is valid', URG: 'urgent pointer is valid',
  ECE: 'ECN echo', CWR: 'congestion window reduced',
};

function tcpOptions(b, o, end) {
  const fields = [];
  let i = o;
  while (i < end && i < b.length) {
    const kind = b[i];
    if (kind === 0) { fields.push(field('EOL', '', 'end of the option list', i, end - i)); break; }
    if (kind === 1) { fields.push(field('NOP', '', 'padding, aligns the next option', i, 1)); i++; continue; }
    const len = b[i + 1];
    if (!len || len < 2) break;
    if (kind === 2) fields.push(field('MSS', u16(b, i + 2), 'the largest segment this side wants to receive', i, len));
    else if (kind === 3) fields.push(field('window scale', b[i + 2], 'later windows are shifted left by this many bits (RFC 7323)', i, len));
    else if (kind === 4) fields.push(field('SACK permitted', '', 'this side understands selective ACKs (RFC 2018)', i, len));
    else if (kind === 5) {
      const blocks = [];
      for (let j = i + 2; j + 8 <= i + len; j += 8) blocks.push(u32(b, j) + '-' + u32(b, j + 4));
      fields.push(field('SACK', blocks.join(' '), 'blocks received beyond the cumulative ACK (raw sequence numbers)', i, len));
    } else if (kind === 8) fields.push(field('timestamps', 'val ' + u32(b, i + 2) + ' ecr ' + u32(b, i + 6), 'sender\'s clock and the echo of the peer\'s, for RTT and PAWS (RFC 7323)', i, len));
    else fields.push(field('option ' + kind, len + ' bytes', 'an option netsim does not name', i, len));
    i += len;
  }
  return fields;
}

function decodeTcp(b, o, end) {
  if (b.length < o + 20) return [];
  const off = (b[o + 12] >> 4) * 4;
  const flags = b[o + 13];
  const names = TCP_FLAGS.filter((_, k) => flags & (1 << k));
  const fields = [
    field('source port', u16(b, o), 'the sending socket\'s port', o, 2),
    field('destination port', u16(b, o + 2), 'with the addresses, picks the connection (socket) it belongs to', o + 2, 2),
    field('sequence number', u32(b, o + 4), 'number of the first data byte (raw; the trace shows it relative to the ISN)', o + 4, 4),
    field('acknowledgment number', u32(b, o + 8), 'the next byte this side expects from the other', o + 8, 4),
    field('data offset', off + ' bytes', 'header length, options included', o + 12, 1),
    field('flags', names.join(' ') || 'none', names.map(n => n + ': ' + FLAG_MEANING[n]).join('; '), o + 13, 1),
    field('window', u16(b, o + 14), 'how many more bytes this side can take in (before scaling)', o + 14, 2),
    field('checksum', '0x' + u16(b, o + 16).toString(16).padStart(4, '0'), 'covers a pseudo-header (addresses), header and data', o + 16, 2),
    field('urgent pointer', u16(b, o + 18), 'unused unless URG', o + 18, 2),
  ];
  const layers = [{ name: 'TCP', start: o, end: o + off, fields }];
  const opts = tcpOptions(b, o + 20, o + off);
  if (opts.length) layers.push({ name: 'TCP options', start: o + 20, end: o + off, fields: opts });
  const sp = u16(b, o), dp = u16(b, o + 2);
  const app = sp === 80 || dp === 80 ? 'HTTP' : sp === 25 || dp === 25 ? 'SMTP' : sp === 53 || dp === 53 ? 'DNS' : 'data';
  layers.push(...payloadLayer(b, o + off, end, app));
  return layers;
}
