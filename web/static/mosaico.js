// Mosaico: optional enhancements. Every page works without this file.
// 1. The record page checks the record's Ed25519 signature in the reader's own browser.
// 2. Home and search announce records published after the page was loaded (server-sent events).
(function () {
  'use strict';

  function hexToBytes(hex) {
    var bytes = new Uint8Array(hex.length / 2);
    for (var i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
    return bytes;
  }

  function bytesToHex(bytes) {
    var out = '';
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return out;
  }

  function base64ToBytes(text) {
    var binary = atob(text);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function say(el, result, messageKey) {
    el.textContent = el.getAttribute('data-' + messageKey);
    el.setAttribute('data-result', result);
    el.classList.add(result);
  }

  // The id is SHA-256 of the canonical (RFC 8785) record; the signature covers
  // "mosaico-record-v1:" followed by the id's 32 bytes (docs/protocol.md).
  async function checkSignature(el) {
    if (!window.crypto || !window.crypto.subtle) return say(el, 'unsupported', 'unsupported');
    el.textContent = el.getAttribute('data-checking');
    try {
      var canonical = base64ToBytes(el.getAttribute('data-canonical'));
      var id = new Uint8Array(await crypto.subtle.digest('SHA-256', canonical));
      if (bytesToHex(id) !== el.getAttribute('data-id')) return say(el, 'bad', 'bad');
      var domain = new TextEncoder().encode('mosaico-record-v1:');
      var message = new Uint8Array(domain.length + id.length);
      message.set(domain);
      message.set(id, domain.length);
      var key;
      try {
        key = await crypto.subtle.importKey('raw', hexToBytes(el.getAttribute('data-key')), { name: 'Ed25519' }, false, ['verify']);
      } catch (e) {
        return say(el, 'unsupported', 'unsupported');
      }
      var valid = await crypto.subtle.verify({ name: 'Ed25519' }, key, hexToBytes(el.getAttribute('data-signature')), message);
      return valid ? say(el, 'ok', 'ok') : say(el, 'bad', 'bad');
    } catch (e) {
      return say(el, 'unsupported', 'unsupported');
    }
  }

  // A node without the events stream answers 404, which closes an EventSource for good: that
  // is the feature detection.
  function liveUpdates(region) {
    if (!('EventSource' in window)) return;
    var source = new EventSource('/api/v1/events');
    var shown = false;
    function announce() {
      if (shown) return;
      shown = true;
      var p = document.createElement('p');
      p.textContent = region.getAttribute('data-new-records') + ' ';
      var a = document.createElement('a');
      a.href = window.location.href;
      a.textContent = region.getAttribute('data-reload');
      p.appendChild(a);
      region.appendChild(p);
    }
    source.addEventListener('message', announce);
    source.addEventListener('record', announce);
    source.addEventListener('error', function () {
      if (source.readyState === EventSource.CLOSED) source.close();
    });
  }

  function start() {
    var check = document.getElementById('browser-check');
    if (check) checkSignature(check);
    var region = document.getElementById('live-updates');
    if (region) liveUpdates(region);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
