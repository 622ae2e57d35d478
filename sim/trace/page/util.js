// Small helpers shared by the page's modules: time formatting, bytes,
// building DOM nodes.

// Simulated time in integer nanoseconds as the text trace writes it
// (seconds with nine decimals).
export function fmtTime(ns) {
  const s = Math.floor(ns / 1e9);
  const frac = String(ns % 1e9).padStart(9, '0');
  return s + '.' + frac;
}

// A short form for axes and labels: "12.5 ms", "3 s".
export function fmtShort(ns) {
  if (ns === 0) return '0';
  if (ns < 1e3) return ns + ' ns';
  if (ns < 1e6) return +(ns / 1e3).toPrecision(4) + ' \u00b5s';
  if (ns < 1e9) return +(ns / 1e6).toPrecision(4) + ' ms';
  return +(ns / 1e9).toPrecision(5) + ' s';
}

// "1.5ms", "2s", "300us", "42ns", or a bare number of seconds -> ns, or null.
export function parseTime(text) {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ns|us|\u00b5s|ms|s)?\s*$/.exec(text);
  if (!m) return null;
  const mult = { ns: 1, us: 1e3, '\u00b5s': 1e3, ms: 1e6, s: 1e9 }[m[2] || 's'];
  return Math.round(parseFloat(m[1]) * mult);
}

export function b64bytes(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function hex2(b) {
  return b.toString(16).padStart(2, '0');
}

export function ipv4(bytes, off) {
  return bytes[off] + '.' + bytes[off + 1] + '.' + bytes[off + 2] + '.' + bytes[off + 3];
}

export function mac(bytes, off) {
  const parts = [];
  for (let i = 0; i < 6; i++) parts.push(hex2(bytes[off + i]));
  return parts.join(':');
}

export function u16(bytes, off) {
  return (bytes[off] << 8) | bytes[off + 1];
}

export function u32(bytes, off) {
  return ((bytes[off] << 24) >>> 0) + (bytes[off + 1] << 16) + (bytes[off + 2] << 8) + bytes[off + 3];
}

// el('div', {class: 'x', onclick: f}, child, 'text', ...)
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

const SVGNS = 'http://www.w3.org/2000/svg';
export function svgEl(tag, attrs, ...children) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

// A packet's protocol as the text trace writes it ('icmp6' is ICMPv6).
export function protoName(proto) {
  if (proto === 'icmp6') return 'ICMPv6';
  return typeof proto === 'string' ? proto.toUpperCase() : 'proto ' + proto;
}
